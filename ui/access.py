"""Who is using the app, and what they may do: sign-in through Streamlit's OpenID Connect, roles from icp.team.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` the app shows nothing but a sign-in page until
the person signs in (``st.login``); their e-mail address then decides their role (:mod:`icp.team.roles`).
Without one it runs for a single local user, who may do everything, and says so in the sidebar.

Pages call :func:`require_page` before they show anything, and every action passes :func:`actor` to
the library, which checks the role again before it changes anything: a hidden button is never the
only control.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import Session

from icp.cli._output import pip_name
from icp.team import LOCAL_USER, ROLE_DUTIES, Actor, Permission, actor_for
from ui import resources, state
from ui.widgets import plain


def auth_section() -> dict[str, Any] | None:
    """The ``[auth]`` section of the app's secrets, or None when sign-in is not configured."""
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:  # no secrets file at all (StreamlitSecretNotFoundError is one)
        return None
    return dict(section) if section else None


def sign_in_required() -> bool:
    """Whether the app runs with sign-in (an ``[auth]`` section exists)."""
    return auth_section() is not None


def providers() -> list[str]:
    """Named providers (``[auth.google]``, ``[auth.okta]``...); empty for a single unnamed one."""
    section = auth_section() or {}
    return [name for name, value in section.items() if isinstance(value, dict) or hasattr(value, "keys")]


def signed_in() -> bool:
    """Whether the browser's person has signed in (always True without sign-in: the local user)."""
    if not sign_in_required():
        return True
    return bool(st.user.get("is_logged_in"))


def actor() -> Actor:
    """The person acting, worked out afresh on every run and in every callback from ``st.user``.

    Without sign-in: the local user (an admin). With sign-in: the signed-in address and the role it
    holds; a visitor who has not signed in is an actor with no role, who may do nothing.
    """
    if not sign_in_required():
        return LOCAL_USER
    if not st.user.get("is_logged_in"):
        return Actor(name="not signed in", role=None)
    email = str(st.user.get("email") or "")
    if not email:
        return Actor(name=str(st.user.get("sub") or "unknown"), role=None)
    if st.user.get("email_verified") is False:  # the provider says the address is not proven: no role from it
        return Actor(name=f"{email} (address not verified)", role=None, email=email.lower())
    with Session(resources.engine()) as session:
        return actor_for(session, email, state.settings(), display_name=str(st.user.get("name") or ""))


def require_page(permission: Permission = Permission.VIEW) -> Actor:
    """Stop the page unless the acting person may ``permission``; returns the actor for the page's actions."""
    who = actor()
    if not who.can(permission):
        st.error(f"{plain(who.label)} may not {permission.value}. Ask an admin for a role that does.")
        st.stop()
    return who


def sidebar(who: Actor) -> None:
    """Who is signed in and their role, with sign-out; or that the app runs for one local user."""
    if not sign_in_required():
        st.sidebar.caption(
            "Single-user mode: no sign-in is configured (`[auth]` in `.streamlit/secrets.toml`), so you act as the "
            "local user with every permission."
        )
        return
    shown = who.display_name or who.name
    role = who.role.value if who.role else "no role"
    st.sidebar.markdown(f"Signed in as **{plain(shown)}** · {role}")
    if who.display_name and who.email:
        st.sidebar.caption(plain(who.email))
    st.sidebar.button("Sign out", key=state.SIGN_OUT, icon=":material/logout:", on_click=st.logout)


_SHARED_KEYS = ("redirect_uri", "cookie_secret")
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def setup_problems() -> list[str]:
    """What keeps sign-in from working: Authlib missing, or keys missing from ``[auth]``; empty when ready."""
    problems: list[str] = []
    try:
        import authlib  # noqa: F401  (st.login needs it)
    except ImportError:
        pip = pip_name()  # the pip of the environment this app runs in (.venv/bin/pip after the quick start)
        problems.append(f"Sign-in needs Authlib: {pip} install -e '.[team]' (or {pip} install Authlib), then restart.")
    section = auth_section() or {}
    missing = [key for key in _SHARED_KEYS if not section.get(key)]
    named = providers()
    for where, values in [(f"[auth.{n}]", dict(section[n])) for n in named] or [("[auth]", section)]:
        missing += [f"{key} in {where}" for key in _PROVIDER_KEYS if not values.get(key)]
    if missing:
        problems.append(
            f"The [auth] section of .streamlit/secrets.toml lacks {', '.join(missing)} (README, 'Team use')."
        )
    return problems


def sign_in_page() -> None:
    """The only page before sign-in."""
    st.title("icp — Ideal Customer Profiles")
    st.write("Sign in to see your team's segments, queue and tasks.")
    problems = setup_problems()
    if problems:
        for problem in problems:
            st.error(problem)
        return
    named = providers()
    if named:
        for name in named:
            st.button(f"Sign in with {name.title()}", key=state.sign_in_key(name), on_click=st.login, args=(name,))
    else:
        st.button("Sign in", key=state.sign_in_key(""), type="primary", on_click=st.login)


def no_role_page() -> None:
    """A signed-in person nobody gave a role: what to ask for, and sign-out."""
    who = actor()
    st.title("No access yet")
    st.warning(
        f"You are signed in as {plain(who.name)}, but no role is set for this address. Ask an admin to add you "
        "(`icp members add ADDRESS --role sdr`, or the Members page), or to list your domain in ICP_ROLES."
    )
    st.markdown("\n".join(f"- **{role.value}**: {duty}" for role, duty in ROLE_DUTIES.items()))
    st.button("Sign out", key=state.SIGN_OUT, on_click=st.logout)
