"""Sign-in and roles in the app: each role sees what it may use, and a crafted action is refused by the server.

``at.user`` is what ``st.user`` reads; ``at.secrets["auth"]`` turns sign-in on, as ``[auth]`` in
``.streamlit/secrets.toml`` does. A "crafted" action is a widget event the person's own page never
offered them: the page is drawn for a leader, then the same browser session acts as an SDR (as a
forged websocket message would) and the click reaches the server, which must refuse it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from icp.cycle import run_cycle
from icp.evaluators.offline import OfflineEvaluator
from icp.queue import ranked_queue
from icp.segments import list_segments, segment_history
from icp.store.tables import ConfirmedVerdict, Cycle, Member, ProspectingTask
from icp.team import LOCAL_OPERATOR, add_member, list_events
from tests.ui.conftest import APP, open_account, open_page, texts, type_text
from ui import state

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-tests",
    "client_id": "icp",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ROLES = "admin=ana@acme.com; leader=lee@acme.com; sdr=dana@acme.com; evaluator=eve@acme.com; viewer=@acme.com"


@pytest.fixture
def team(db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], AppTest]]:
    """``team(email)``: the app with sign-in on, signed in as ``email`` (None: not signed in)."""
    import streamlit as st

    monkeypatch.setenv("ICP_ROLES", ROLES)
    with Session(db) as session:
        add_member(session, "dana@acme.com", "sdr", name="dana", actor=LOCAL_OPERATOR)

    def signed_in(email: str | None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=30)
        at.secrets["auth"] = dict(AUTH)
        at.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email, "name": ""}
        at.run()
        assert not at.exception, at.exception
        return at

    yield signed_in
    st.cache_resource.clear()


def act_as(at: AppTest, email: str) -> None:
    """The same browser session, now acting as ``email`` (the next run reads it)."""
    at.user = {"is_logged_in": True, "email": email, "name": ""}


def test_before_sign_in_only_the_sign_in_page_exists(team: Callable[[str | None], AppTest], seeded: Engine) -> None:
    at = team(None)
    assert [t.value for t in at.title] == ["icp — Ideal Customer Profiles"]
    assert at.button(key=state.sign_in_key("")).label == "Sign in"
    assert not at.dataframe and not at.text_input and not at.sidebar.button
    assert "US B2B SaaS" not in texts(at)
    # A session that had a page open and is signed out (an expired cookie) sees the sign-in page only.
    leader = team("lee@acme.com")
    open_page(leader, "queue")
    leader.user = {"is_logged_in": False}
    leader.run()
    assert [t.value for t in leader.title] == ["icp — Ideal Customer Profiles"]
    assert "US B2B SaaS" not in texts(leader) and not leader.dataframe


def test_single_user_mode_says_so_and_acts_as_the_local_user(app: AppTest, db: Engine) -> None:
    sidebar = " ".join(str(c.value) for c in app.sidebar.caption)
    assert "Single-user mode" in sidebar and "[auth]" in sidebar
    assert not app.sidebar.button  # nobody to sign out
    app.text_input(key=state.SEG_NAME).set_value("Solo")
    type_text(app, state.SEG_REQUIREMENTS, "- B2B SaaS company")
    app.button(key=state.SEG_SAVE).click().run()
    with Session(db) as session:
        [event] = list_events(session, action="segment.create")
        [version] = segment_history(session, "Solo")
    assert (event.actor, event.actor_role) == ("local user", "admin")
    assert version.author == "local user"
    open_page(app, "audit")
    assert [t.value for t in app.title] == ["Audit"]


def test_a_signed_in_person_without_a_role_sees_no_data(team: Callable[[str | None], AppTest], seeded: Engine) -> None:
    at = team("mallory@elsewhere.org")
    assert [t.value for t in at.title] == ["No access yet"]
    assert "mallory@elsewhere\\.org" in texts(at) and "US B2B SaaS" not in texts(at)
    assert at.button(key=state.SIGN_OUT)


def test_sidebar_names_the_person_and_role_and_offers_sign_out(
    team: Callable[[str | None], AppTest], seeded: Engine
) -> None:
    at = team("dana@acme.com")
    assert "Signed in as **dana** · sdr" in " ".join(str(m.value) for m in at.sidebar.markdown)
    assert "dana@acme\\.com" in " ".join(str(c.value) for c in at.sidebar.caption)
    at.sidebar.button(key=state.SIGN_OUT).click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["icp — Ideal Customer Profiles"]  # signed out: the sign-in page again


def test_sdr_sees_segments_read_only_and_a_crafted_save_is_refused(
    team: Callable[[str | None], AppTest], seeded: Engine
) -> None:
    sdr = team("dana@acme.com")
    assert not _has(sdr, state.SEG_SAVE) and not _has(sdr, state.SEG_NAME)
    assert "read-only" in texts(sdr)
    [toggle] = [t for t in sdr.toggle if t.key and t.key.startswith("seg_active_")]
    assert toggle.disabled

    at = team("lee@acme.com")  # the editor, as a leader draws it
    at.text_input(key=state.SEG_NAME).set_value("Forged")
    type_text(at, state.SEG_REQUIREMENTS, "- B2B SaaS company")
    act_as(at, "dana@acme.com")
    at.button(key=state.SEG_SAVE).click().run()

    assert not at.exception
    assert any("dana@acme.com (sdr) may not create, edit or delete segments" in e.value for e in at.error)
    with Session(seeded) as session:
        assert [s.name for s in list_segments(session)] == ["US B2B SaaS"]
        assert not list_events(session, action="segment.create", actor="dana")


def test_sdr_cannot_run_a_cycle_even_with_a_crafted_click(
    team: Callable[[str | None], AppTest], seeded: Engine
) -> None:
    sdr = team("dana@acme.com")
    open_page(sdr, "cycles")
    sdr.button(key=state.CY_ESTIMATE_BTN).click().run()  # estimating writes nothing: anyone may
    assert sdr.button(key=state.CY_RUN).disabled
    assert "Running cycles takes the leader role" in texts(sdr)

    at = team("lee@acme.com")
    open_page(at, "cycles")
    at.button(key=state.CY_ESTIMATE_BTN).click().run()
    assert not at.button(key=state.CY_RUN).disabled
    act_as(at, "dana@acme.com")
    at.button(key=state.CY_RUN).click().run()  # the click a leader's page offered, sent by an SDR

    assert not at.exception
    assert at.button(key=state.CY_RUN).disabled and "Running cycles takes the leader role" in texts(at)
    with Session(seeded) as session:
        assert session.exec(select(Cycle)).all() == []
        assert not list_events(session, action="cycle")


def test_leader_edits_segments_and_runs_cycles_under_their_name(
    team: Callable[[str | None], AppTest], seeded: Engine
) -> None:
    at = team("lee@acme.com")
    at.text_input(key=state.SEG_NAME).set_value("EU SaaS")
    type_text(at, state.SEG_REQUIREMENTS, "- B2B SaaS company\n- Based in Germany")
    at.button(key=state.SEG_SAVE).click().run()
    assert "Created segment 'EU SaaS' (version 1)" in texts(at)
    open_page(at, "cycles")
    at.button(key=state.CY_ESTIMATE_BTN).click().run()
    at.button(key=state.CY_RUN).click().run()
    assert any("completed" in s.value for s in at.success)

    with Session(seeded) as session:
        [version] = segment_history(session, "EU SaaS")
        actions = [(e.actor, e.actor_role, e.action) for e in list_events(session, actor="lee@acme.com")]
    assert version.author == "lee@acme.com"
    assert actions == [
        ("lee@acme.com", "leader", "cycle.stop"),
        ("lee@acme.com", "leader", "cycle.start"),
        ("lee@acme.com", "leader", "segment.create"),
    ]
    open_page(at, "audit")
    shown = at.table[0].value.map(lambda cell: cell.replace("\\", ""))
    assert list(shown["action"])[:3] == ["cycle.stop", "cycle.start", "segment.create"]
    assert set(shown["who"][:3]) == {"lee@acme.com"}
    assert "lee@acme\\.com (3)" in texts(at)


def test_sdr_completes_only_their_own_tasks(team: Callable[[str | None], AppTest], seeded: Engine) -> None:
    run_cycle(seeded, OfflineEvaluator())
    with Session(seeded) as session:
        mine, theirs = session.exec(select(ProspectingTask).order_by(ProspectingTask.id)).all()
        mine.owner, theirs.owner = "dana", "lee@acme.com"
        session.add_all([mine, theirs])
        session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    at = team("dana@acme.com")
    open_page(at, "motions")
    assert at.button(key=state.MO_REASSIGN).disabled
    at.multiselect(key=state.MO_DONE_PICK).select(mine_id).select(theirs_id).run()
    at.button(key=state.MO_DONE).click().run()

    assert "1 task marked done." in texts(at)
    assert any(f"Task {theirs_id} is lee@acme.com's task" in e.value for e in at.error)
    with Session(seeded) as session:
        done = {t.id: (t.status, t.completed_by) for t in session.exec(select(ProspectingTask))}
        [event] = list_events(session, action="task.done")
    assert done == {mine_id: ("done", "dana@acme.com"), theirs_id: ("open", None)}
    assert (event.actor, event.object_id) == ("dana@acme.com", str(mine_id))


def test_confirmations_carry_the_signed_in_person_not_a_typed_name(
    team: Callable[[str | None], AppTest], seeded: Engine
) -> None:
    run_cycle(seeded, OfflineEvaluator())
    with Session(seeded) as session:
        first = ranked_queue(session)[0]
    at = team("dana@acme.com")
    open_page(at, "queue")
    assert not _has(at, state.Q_AUTHOR)  # no free-text name box once people sign in
    open_account(at, first.company_id, first.segment_id)
    _pick, verdict_key, note_key, go = state.confirm_keys(first.grade_id)
    at.selectbox(key=verdict_key).set_value("met")
    at.text_input(key=note_key).set_value("their site says so")
    at.button(key=go).click().run()
    assert not at.exception
    with Session(seeded) as session:
        [row] = session.exec(select(ConfirmedVerdict)).all()
        [event] = list_events(session, action="verdict.confirm")
    assert row.author == "dana@acme.com" and event.actor == "dana@acme.com"


def test_viewers_and_sdrs_have_no_audit_or_members_page(team: Callable[[str | None], AppTest], seeded: Engine) -> None:
    at = team("lee@acme.com")
    open_page(at, "audit")
    assert [t.value for t in at.title] == ["Audit"]
    act_as(at, "viz@acme.com")  # a viewer, by domain, asking for the page the leader had open
    at.run()
    assert "Audit" not in [t.value for t in at.title]
    assert not at.table
    admin = team("ana@acme.com")
    open_page(admin, "members")
    assert [t.value for t in admin.title] == ["Members"]


def test_admin_manages_members_from_the_members_page(team: Callable[[str | None], AppTest], seeded: Engine) -> None:
    at = team("ana@acme.com")
    open_page(at, "members")
    at.text_input(key=state.ME_EMAIL).set_value("Sam@Acme.com")
    at.selectbox(key=state.ME_ROLE).set_value("leader")
    at.text_input(key=state.ME_NAME).set_value("sam")
    at.button(key=state.ME_ADD).click().run()
    assert not at.exception and "sam@acme.com is leader." in texts(at)
    at.button(key=state.member_remove_key("dana@acme.com")).click().run()
    with Session(seeded) as session:
        assert [(m.email, m.role) for m in session.exec(select(Member))] == [("sam@acme.com", "leader")]
        actions = [(e.actor, e.action, e.object_id) for e in list_events(session, object_type="member")]
    assert actions[:2] == [
        ("ana@acme.com", "member.remove", "dana@acme.com"),
        ("ana@acme.com", "member.add", "sam@acme.com"),
    ]
    # Sam signs in as a leader now: the Member row gives the role.
    sam = team("sam@acme.com")
    assert "leader" in " ".join(str(m.value) for m in sam.sidebar.markdown)


def _has(at: AppTest, key: str) -> bool:
    """Whether the page drew a widget with this key in its last run."""
    try:
        at.get_by_key(key)
    except KeyError:
        return False
    return True


def test_upload_limit_comes_from_the_shipped_configuration() -> None:
    text = (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "enableXsrfProtection = true" in text and "maxUploadSize = 50" in text


def test_named_providers_each_get_a_sign_in_button(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    at = AppTest.from_file(str(APP), default_timeout=30)
    provider = {k: v for k, v in AUTH.items() if k not in ("redirect_uri", "cookie_secret")}
    at.secrets["auth"] = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": AUTH["cookie_secret"],
        "google": dict(provider),
        "microsoft": dict(provider),
    }
    at.user = {"is_logged_in": False}
    at.run()
    st.cache_resource.clear()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Microsoft"]


def test_an_incomplete_auth_section_says_what_is_missing(db: Engine) -> None:
    import streamlit as st

    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets["auth"] = {"redirect_uri": AUTH["redirect_uri"], "client_id": "icp"}
    at.user = {"is_logged_in": False}
    at.run()
    st.cache_resource.clear()
    assert not at.exception and not at.button
    [error] = at.error
    assert "lacks cookie_secret, client_secret in [auth], server_metadata_url in [auth]" in error.value


def test_an_unverified_address_gets_no_role(team: Callable[[str | None], AppTest], seeded: Engine) -> None:
    at = team(None)
    at.user = {"is_logged_in": True, "email": "lee@acme.com", "email_verified": False}
    at.run()
    assert [t.value for t in at.title] == ["No access yet"] and "US B2B SaaS" not in texts(at)
