"""The icp Streamlit app: ``streamlit run ui/app.py``. A router only; each page lives in ``ui/app_pages/``.

It opens the same database as the CLI: ``ICP_DATABASE_URL``, or ``icp.db`` in the working directory.
With an ``[auth]`` section in ``.streamlit/secrets.toml`` only the sign-in page exists until the person
signs in; each page then checks their role again before it shows or changes anything (``ui/access.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run ui/app.py` puts ui/ on sys.path, not the checkout; the pages import `ui.*`.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from icp.errors import ICPError  # noqa: E402
from icp.team import Permission  # noqa: E402
from ui import access, resources, state  # noqa: E402

st.set_page_config(page_title="icp — Ideal Customer Profiles", page_icon=":material/target:", layout="wide")
st.secrets.load_if_toml_exists()  # top-level secrets become ICP_* environment variables
settings = state.init_settings()

if not access.signed_in():
    st.navigation([st.Page(access.sign_in_page, title="Sign in", icon=":material/login:")], position="hidden").run()
    st.stop()

try:
    resources.engine()
except ICPError as exc:
    st.error(str(exc))
    st.stop()

who = access.actor()
if who.role is None:
    st.navigation([st.Page(access.no_role_page, title="No access", icon=":material/block:")], position="hidden").run()
    st.stop()

_PAGES = Path(__file__).parent / "app_pages"
sections = {
    "Define": [
        st.Page(_PAGES / "segments.py", title="Segments", icon=":material/target:", default=True),
        st.Page(_PAGES / "companies.py", title="Companies", icon=":material/domain:"),
    ],
    "Prospect": [
        st.Page(_PAGES / "queue.py", title="Queue", icon=":material/format_list_numbered:"),
        st.Page(_PAGES / "motions.py", title="Motions & tasks", icon=":material/task_alt:"),
    ],
    "Prove": [
        st.Page(_PAGES / "outcomes.py", title="Outcomes", icon=":material/trophy:"),
    ],
    "Operate": [
        st.Page(_PAGES / "cycles.py", title="Cycles", icon=":material/autorenew:"),
        st.Page(_PAGES / "evals.py", title="Evals", icon=":material/science:"),
    ],
}
team = []
if who.can(Permission.VIEW_AUDIT):
    team.append(st.Page(_PAGES / "audit.py", title="Audit", icon=":material/history:"))
if who.can(Permission.MANAGE_MEMBERS):
    team.append(st.Page(_PAGES / "members.py", title="Members", icon=":material/group:"))
if team:
    sections["Team"] = team
page = st.navigation(sections)
access.sidebar(who)
st.sidebar.caption(f"Database: `{resources.display_url(settings.database_url)}`")
page.run()
