"""Members: who holds which role once the app has sign-in. Admins only."""

from __future__ import annotations

import streamlit as st

from icp.errors import ICPError
from icp.team import ROLE_DUTIES, Permission, Role, add_member, list_members, remove_member
from ui import access, resources, state, widgets


def _add() -> None:
    who = access.actor()
    try:
        with resources.session() as db:
            info = add_member(
                db,
                str(st.session_state.get(state.ME_EMAIL) or ""),
                str(st.session_state.get(state.ME_ROLE) or Role.VIEWER.value),
                name=str(st.session_state.get(state.ME_NAME) or ""),
                actor=who,
            )
    except ICPError as exc:
        state.flash("error", str(exc))
        return
    state.flash("success", f"{info.email} is {info.role}.")
    st.session_state[state.ME_EMAIL] = ""
    st.session_state[state.ME_NAME] = ""


def _remove(email: str) -> None:
    try:
        with resources.session() as db:
            info = remove_member(db, email, actor=access.actor())
    except ICPError as exc:
        state.flash("error", str(exc))
        return
    state.flash("success", f"Removed {info.email} (was {info.role}).")


access.require_page(Permission.MANAGE_MEMBERS)
st.title("Members")
settings = state.settings()
st.caption(
    "A person's role comes from, in order: their address in ICP_ROLES, their row here, their @domain in ICP_ROLES, "
    "then ICP_DEFAULT_ROLE. Owner names tie people to the tasks and accounts they own."
)
widgets.show_flashes()
st.markdown("\n".join(f"- **{role.value}**: {duty}" for role, duty in ROLE_DUTIES.items()))
if settings.roles:
    st.caption(
        "ICP_ROLES: "
        + "; ".join(f"{widgets.plain(role)} = {widgets.plain(', '.join(who))}" for role, who in settings.roles.items())
    )
try:
    with resources.session() as db:
        members = list_members(db)
    if not members:
        st.info("No members yet: add the people who sign in below (or list them in ICP_ROLES).")
    for member in members:
        row = st.columns([4, 2, 2, 1])
        row[0].markdown(widgets.plain(member.email))
        row[1].markdown(member.role)
        row[2].markdown(widgets.plain(member.name or "—"))
        row[3].button("Remove", key=state.member_remove_key(member.email), on_click=_remove, args=(member.email,))
    with st.form("member_form", clear_on_submit=False):
        cols = st.columns([4, 2, 2])
        cols[0].text_input("E-mail address", key=state.ME_EMAIL, placeholder="dana@acme.com")
        cols[1].selectbox("Role", [r.value for r in Role], index=list(Role).index(Role.SDR), key=state.ME_ROLE)
        cols[2].text_input("Owner name (optional)", key=state.ME_NAME, placeholder="dana")
        st.form_submit_button("Add or change", key=state.ME_ADD, type="primary", on_click=_add)
except ICPError as exc:
    st.error(str(exc))
