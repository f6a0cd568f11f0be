"""Roles, members and the audit trail through the library and the CLI.

Every service refuses an actor whose role does not allow the action, before changing anything; every
listed action writes one audit event naming who did it; ``icp audit`` shows them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from icp.cli.team import parse_since
from icp.companies import import_rows, import_signal_rows
from icp.confirmations import confirm_verdict
from icp.cycle import run_cycle
from icp.domain import Verdict
from icp.errors import ConflictError, InputError, PermissionDeniedError
from icp.evals.store import bless_run
from icp.evaluators.offline import OfflineEvaluator
from icp.feedback import record_feedback
from icp.importing import parse_rows, parse_signal_rows
from icp.outcomes import read_deals, store_deals
from icp.owners import Assignment, assign_account, reassign_task, set_assignment
from icp.samples import COMPANIES_FILE, DEALS_FILE, SEGMENTS_FILE, SIGNALS_FILE
from icp.segments import create_segment, delete_segment, edit_segment, list_segments
from icp.settings import Settings
from icp.store import open_engine
from icp.store.tables import AuditEvent, Cycle, Grade, ProspectingTask
from icp.tasks import MotionSpec, complete_task, create_motion, list_motions, snooze_task
from icp.team import (
    LOCAL_OPERATOR,
    Actor,
    Permission,
    Role,
    actor_for,
    add_member,
    list_events,
    record,
    remove_member,
    role_for,
)
from tests.inprocess import run_icp

COMPANIES = b"""name,domain,industry,employees,country,technologies,tags,description
Acme Cloud,acme.io,Software,800,United States,Salesforce,SaaS;B2B,B2B SaaS platform.
Birch Analytics,birch.io,Software,450,United States,HubSpot,SaaS;B2B,B2B SaaS analytics.
"""

LEE = Actor(name="lee@acme.com", role=Role.LEADER, email="lee@acme.com", owner_names=frozenset({"lee@acme.com"}))
DANA = Actor(
    name="dana@acme.com", role=Role.SDR, email="dana@acme.com", owner_names=frozenset({"dana@acme.com", "dana"})
)
VIC = Actor(name="vic@acme.com", role=Role.VIEWER, email="vic@acme.com")
EVE = Actor(name="eve@acme.com", role=Role.EVALUATOR, email="eve@acme.com")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(f"sqlite:///{tmp_path / 'team.db'}")
    yield eng
    eng.dispose()


@pytest.fixture
def graded(engine: Engine) -> Engine:
    """One segment, two member companies, a motion and one offline cycle: two open tasks."""
    with Session(engine) as session:
        create_segment(session, "US SaaS", "- B2B SaaS company\n- Based in the United States", actor=LEE)
        import_rows(session, parse_rows(COMPANIES, "companies.csv"), actor=LEE)
        create_motion(session, MotionSpec(name="Outbound", segments=["US SaaS"], capacity=5), actor=LEE)
    run_cycle(engine, OfflineEvaluator(), actor=LEE)
    return engine


# --- Who holds which role ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "member", "default", "expected"),
    [
        ("ana@acme.com", None, None, Role.ADMIN),  # exact address in the settings
        ("ana@acme.com", Role.VIEWER, None, Role.ADMIN),  # ... beats a Member row: admins cannot be locked out
        ("kim@acme.com", None, None, Role.SDR),  # the domain
        ("kim@acme.com", Role.LEADER, None, Role.LEADER),  # a Member row beats the domain
        ("KIM@ACME.COM", None, None, Role.SDR),  # addresses are case-insensitive
        ("lee@acme.com", None, None, Role.LEADER),  # named twice at one level: the stronger role counts
        ("x@other.org", None, None, None),  # nobody named them: no role
        ("x@other.org", None, Role.VIEWER, Role.VIEWER),  # unless a default is set
        ("x@other.org", Role.EVALUATOR, Role.VIEWER, Role.EVALUATOR),
    ],
)
def test_role_precedence(email: str, member: Role | None, default: Role | None, expected: Role | None) -> None:
    roles = {"admin": ["ana@acme.com"], "sdr": ["@acme.com", "lee@acme.com"], "leader": ["lee@acme.com"]}
    assert role_for(email, settings_roles=roles, member_role=member, default_role=default) is expected


def test_roles_setting_reads_json_or_a_readable_list() -> None:
    as_json = Settings(roles='{"admin": ["ana@acme.com"], "leader": ["@acme.com"]}')  # type: ignore[arg-type]
    readable = Settings(roles="admin = ana@acme.com; leader=@acme.com, lee@partner.io")  # type: ignore[arg-type]
    assert as_json.roles == {"admin": ["ana@acme.com"], "leader": ["@acme.com"]}
    assert readable.roles == {"admin": ["ana@acme.com"], "leader": ["@acme.com", "lee@partner.io"]}
    with pytest.raises(ValueError, match="has no '='"):
        Settings(roles="admin ana@acme.com")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="boss"):
        Settings(roles='{"boss": ["ana@acme.com"]}')  # type: ignore[arg-type]


def test_members_give_roles_and_owner_names(engine: Engine) -> None:
    settings = Settings(roles={"sdr": ["@acme.com"]})  # type: ignore[arg-type]
    with Session(engine) as session:
        add_member(session, "Dana@Acme.com", "leader", name="dana", actor=LOCAL_OPERATOR)
        dana = actor_for(session, "dana@acme.com", settings)
        assert (dana.role, dana.owner, dana.owns("Dana"), dana.owns("kim")) == (Role.LEADER, "dana", True, False)
        with pytest.raises(PermissionDeniedError, match=r"dana@acme.com \(leader\) may not manage members"):
            add_member(session, "kim@acme.com", "admin", actor=dana)
        with pytest.raises(InputError, match="No role 'boss'"):
            add_member(session, "kim@acme.com", "boss", actor=LOCAL_OPERATOR)
        with pytest.raises(InputError, match="not an e-mail address"):
            add_member(session, "kim", "sdr", actor=LOCAL_OPERATOR)
        remove_member(session, "dana@acme.com", actor=LOCAL_OPERATOR)
        assert actor_for(session, "dana@acme.com", settings).role is Role.SDR  # back to the domain's role


# --- Server-side checks: refused, and nothing changes --------------------------------------------


def _attempts(engine: Engine) -> dict[str, tuple[Actor, Callable[[Session], Any]]]:
    deals = read_deals(DEALS_FILE.read_bytes(), DEALS_FILE.name).deals
    return {
        "create segment": (DANA, lambda s: create_segment(s, "Forged", "- B2B SaaS company", actor=DANA)),
        "edit segment": (DANA, lambda s: edit_segment(s, "US SaaS", requirements="- Anything", actor=DANA)),
        "deactivate segment": (VIC, lambda s: edit_segment(s, "US SaaS", active=False, actor=VIC)),
        "delete segment": (EVE, lambda s: delete_segment(s, "US SaaS", actor=EVE)),
        "create motion": (DANA, lambda s: create_motion(s, MotionSpec(name="X", segments=["US SaaS"]), actor=DANA)),
        "assignment": (
            DANA,
            lambda s: set_assignment(s, "Outbound", Assignment(mode="round_robin", reps=["dana"]), actor=DANA),
        ),
        "assign account": (DANA, lambda s: assign_account(s, "acme.io", "dana", actor=DANA)),
        "reassign task": (DANA, lambda s: reassign_task(s, 1, "dana", actor=DANA)),
        "complete someone's task": (DANA, lambda s: complete_task(s, 1, actor=DANA)),
        "snooze someone's task": (DANA, lambda s: snooze_task(s, 1, 3, actor=DANA)),
        "feedback": (VIC, lambda s: record_feedback(s, 1, "agree", actor=VIC)),
        "confirm": (
            EVE,
            lambda s: confirm_verdict(s, "acme.io", "B2B SaaS company", Verdict.MET, author="", actor=EVE),
        ),
        "import companies": (DANA, lambda s: import_rows(s, parse_rows(COMPANIES, "c.csv"), actor=DANA)),
        "import signals": (
            DANA,
            lambda s: import_signal_rows(s, parse_signal_rows(SIGNALS_FILE.read_bytes(), "s.jsonl"), actor=DANA),
        ),
        "import outcomes": (DANA, lambda s: store_deals(s, deals, source="deals.csv", actor=DANA)),
        "run cycle": (DANA, lambda s: run_cycle(engine, OfflineEvaluator(), actor=DANA)),
        "add member": (LEE, lambda s: add_member(s, "x@acme.com", "admin", actor=LEE)),
        "bless eval run": (DANA, lambda s: bless_run(s, 1, actor=DANA)),
    }


def _snapshot(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as session:
        return (
            [(s.name, s.version, s.active, s.requirements) for s in list_segments(session, include_deleted=True)],
            [(m.name, m.segments) for m in list_motions(session)],
            [(t.id, t.status, t.owner, t.due_date) for t in session.exec(select(ProspectingTask))],
            len(session.exec(select(Cycle)).all()),
            len(session.exec(select(AuditEvent)).all()),
        )


@pytest.mark.parametrize(
    "attempt",
    [
        "create segment",
        "edit segment",
        "deactivate segment",
        "delete segment",
        "create motion",
        "assignment",
        "assign account",
        "reassign task",
        "complete someone's task",
        "snooze someone's task",
        "feedback",
        "confirm",
        "import companies",
        "import signals",
        "import outcomes",
        "run cycle",
        "add member",
        "bless eval run",
    ],
)
def test_every_service_refuses_a_role_that_may_not_and_changes_nothing(graded: Engine, attempt: str) -> None:
    with Session(graded) as session:  # task 1 belongs to Lee, not Dana
        task = session.get(ProspectingTask, 1)
        assert task is not None
        task.owner = "lee@acme.com"
        session.add(task)
        session.commit()
    before = _snapshot(graded)
    actor, action = _attempts(graded)[attempt]
    with Session(graded) as session, pytest.raises(PermissionDeniedError, match=actor.name):
        action(session)
    assert _snapshot(graded) == before


def test_an_sdr_works_their_own_tasks_and_a_leader_anyones(graded: Engine) -> None:
    with Session(graded) as session:
        mine, theirs = session.exec(select(ProspectingTask).order_by(ProspectingTask.id)).all()
        mine.owner, theirs.owner = "dana", "kim"
        session.add_all([mine, theirs])
        session.commit()
        mine_id, theirs_id = mine.id, theirs.id
        assert mine_id is not None and theirs_id is not None
        snooze_task(session, mine_id, 2, actor=DANA)
        assert complete_task(session, mine_id, actor=DANA).status == "done"
        with pytest.raises(PermissionDeniedError, match=f"Task {theirs_id} is kim's task"):
            complete_task(session, theirs_id, actor=DANA)
        assert complete_task(session, theirs_id, actor=LEE).status == "done"
        done_by = dict(session.exec(select(ProspectingTask.id, ProspectingTask.completed_by)).all())
    assert done_by == {mine_id: "dana@acme.com", theirs_id: "lee@acme.com"}


def test_a_signed_in_person_is_the_author_whatever_is_typed(graded: Engine) -> None:
    with Session(graded) as session:
        grade_id = session.exec(select(Grade.id)).first()
        assert grade_id is not None
        record_feedback(session, grade_id, "agree", author="somebody else", actor=DANA)
        info = confirm_verdict(session, "acme.io", "B2B SaaS company", Verdict.MET, author="ana", actor=DANA)
        local = confirm_verdict(session, "birch.io", "B2B SaaS company", Verdict.MET, author="kim")
    assert info.author == "dana@acme.com" and local.author == "kim"  # no sign-in (CLI): the typed name stands


# --- The audit trail -----------------------------------------------------------------------------


def test_every_listed_action_is_recorded_once_with_who_did_it(graded: Engine) -> None:
    with Session(graded) as session:
        edit_segment(session, "US SaaS", requirements="- B2B SaaS company", actor=LEE)
        edit_segment(session, "US SaaS", active=False, actor=LEE)
        edit_segment(session, "US SaaS", active=True, actor=LEE)
        create_segment(session, "Spare", "- Fintech company", actor=LEE)
        delete_segment(session, "Spare", actor=LEE)
        set_assignment(session, "Outbound", Assignment(mode="round_robin", reps=["dana"]), actor=LEE)
        assign_account(session, "acme.io", "dana", actor=LEE)
        task_ids = list(session.exec(select(ProspectingTask.id)))
        reassign_task(session, task_ids[0], "dana", actor=LEE)
        snooze_task(session, task_ids[0], 1, actor=DANA)
        complete_task(session, task_ids[0], actor=DANA)
        grade_id = session.exec(select(Grade.id)).first()
        assert grade_id is not None
        record_feedback(session, grade_id, "agree", actor=DANA)
        confirm_verdict(session, "acme.io", "B2B SaaS company", Verdict.MET, author="", actor=DANA)
        import_signal_rows(
            session, parse_signal_rows(b'{"domain": "acme.io", "type": "intent"}\n', "s.jsonl"), actor=LEE
        )
        store_deals(session, read_deals(DEALS_FILE.read_bytes(), DEALS_FILE.name).deals, source="d.csv", actor=LEE)
        add_member(session, "kim@acme.com", "sdr", actor=LOCAL_OPERATOR)
        record(session, actor="worker", action="crm.push", object_type="crm", summary="pushed 2 accounts")
        session.commit()
        events = list(reversed(list_events(session)))
    assert [(e.action, e.actor) for e in events] == [
        ("segment.create", "lee@acme.com"),
        ("import.companies", "lee@acme.com"),
        ("motion.create", "lee@acme.com"),
        ("cycle.start", "lee@acme.com"),
        ("cycle.stop", "lee@acme.com"),
        ("segment.edit", "lee@acme.com"),
        ("segment.deactivate", "lee@acme.com"),
        ("segment.activate", "lee@acme.com"),
        ("segment.create", "lee@acme.com"),
        ("segment.delete", "lee@acme.com"),
        ("motion.assignment", "lee@acme.com"),
        ("account.assign", "lee@acme.com"),
        ("task.reassign", "lee@acme.com"),
        ("task.snooze", "dana@acme.com"),
        ("task.done", "dana@acme.com"),
        ("feedback.record", "dana@acme.com"),
        ("verdict.confirm", "dana@acme.com"),
        ("import.signals", "lee@acme.com"),
        ("import.outcomes", "lee@acme.com"),
        ("member.add", "local operator"),
        ("crm.push", "worker"),
    ]
    edit = events[5]
    assert edit.before == {"requirements": "- B2B SaaS company\n- Based in the United States", "version": 1}
    assert edit.after == {"requirements": "- B2B SaaS company", "version": 2}
    start = events[3]
    assert {k: start.after[k] for k in ("evaluator", "budget_usd", "pairs_total", "limit")} == {
        "evaluator": "offline",
        "budget_usd": None,
        "pairs_total": 2,
        "limit": None,
    }
    assert "offline evaluator" in start.summary and "no budget" in start.summary
    assert events[4].after["status"] == "completed"
    assert events[13].before["due_date"] < events[13].after["due_date"]


def test_the_trail_is_append_only(graded: Engine) -> None:
    with Session(graded) as session:
        event = session.exec(select(AuditEvent)).first()
        assert event is not None
        event.summary = "nothing happened"
        session.add(event)
        with pytest.raises(ConflictError, match="append-only"):
            session.commit()
        session.rollback()
        with pytest.raises(ConflictError, match="append-only"):
            session.delete(session.get(AuditEvent, event.id))
            session.commit()


def test_filters_by_actor_object_action_and_time(graded: Engine) -> None:
    with Session(graded) as session:
        assert {e.action for e in list_events(session, object_type="cycle")} == {"cycle.start", "cycle.stop"}
        assert [e.action for e in list_events(session, object_type="segment", object_id="1")] == ["segment.create"]
        assert {e.action for e in list_events(session, action="cycle")} == {"cycle.start", "cycle.stop"}
        assert list_events(session, actor="LEE@") and not list_events(session, actor="dana")
        assert not list_events(session, since=datetime.now(UTC) + timedelta(minutes=1))


def test_since_reads_durations_and_dates() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("90m", now=now) == now - timedelta(minutes=90)
    assert parse_since("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    with pytest.raises(InputError, match="neither a duration"):
        parse_since("last week")


# --- The CLI -------------------------------------------------------------------------------------


def test_cli_actions_are_audited_as_the_local_operator(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert "local operator" in run_icp(db, "--help").stdout
    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    run_icp(db, "segments", "edit", "Mid-Market B2B SaaS", "--priority", "9")
    run_icp(db, "companies", "import", str(COMPANIES_FILE))
    run_icp(db, "companies", "signals", str(SIGNALS_FILE))
    run_icp(db, "motions", "add", "--name", "Outbound", "--segment", "Mid-Market B2B SaaS", "--capacity", "3")
    run_icp(db, "cycle", "run", "--budget", "5")
    tasks = json.loads(run_icp(db, "tasks", "list", "-f", "json").stdout)
    run_icp(db, "tasks", "snooze", str(tasks[0]["id"]), "--days", "2")
    run_icp(db, "tasks", "done", str(tasks[0]["id"]))
    run_icp(db, "tasks", "assign", str(tasks[1]["id"]), "--owner", "dana")
    run_icp(db, "verdicts", "confirm", tasks[1]["company_domain"], "--segment", "Mid-Market B2B SaaS",
            "--criterion", "R1", "--verdict", "met", "--author", "dana")  # fmt: skip
    run_icp(db, "outcomes", "import", str(DEALS_FILE))
    run_icp(db, "members", "add", "dana@acme.com", "--role", "sdr", "--name", "dana")
    run_icp(db, "segments", "delete", "EMEA Scale-ups", "--yes")

    events = json.loads(run_icp(db, "audit", "--format", "json", "-n", "500").stdout)
    actions = [e["action"] for e in reversed(events)]
    for expected in (
        "segment.create",
        "segment.edit",
        "import.companies",
        "import.signals",
        "motion.create",
        "cycle.start",
        "cycle.stop",
        "task.snooze",
        "task.done",
        "task.reassign",
        "verdict.confirm",
        "import.outcomes",
        "member.add",
        "segment.delete",
    ):
        assert expected in actions, expected
    assert {(e["actor"], e["actor_role"]) for e in events} == {("local operator", "admin")}
    assert set(events[0]) == {
        "id", "at", "actor", "actor_role", "action", "object_type", "object_id", "summary", "before", "after",
    }  # fmt: skip
    cycle_start = next(e for e in events if e["action"] == "cycle.start")
    assert cycle_start["after"]["budget_usd"] == 5 and cycle_start["after"]["evaluator"] == "offline"

    only_task = json.loads(run_icp(db, "audit", "--object", f"task:{tasks[0]['id']}", "-f", "json").stdout)
    assert [e["action"] for e in only_task] == ["task.done", "task.snooze"]
    rows = list(csv.DictReader(io.StringIO(run_icp(db, "audit", "--action", "member", "-f", "csv").stdout)))
    assert [(r["actor"], r["action"], r["object"]) for r in rows] == [
        ("local operator", "member.add", "member:dana@acme.com")
    ]
    assert "No audit events match" in run_icp(db, "audit", "--actor", "nobody").stdout
    with pytest.raises(InputError, match="neither a duration"):
        run_icp(db, "audit", "--since", "soon")


def test_default_role_lets_in_anyone_else_who_signs_in(engine: Engine) -> None:
    with Session(engine) as session:
        closed = actor_for(session, "x@other.org", Settings())
        open_ = actor_for(session, "x@other.org", Settings(default_role="viewer"))
    assert closed.role is None and not closed.can(Permission.VIEW)
    assert open_.role is Role.VIEWER and open_.can(Permission.VIEW) and not open_.can(Permission.GIVE_FEEDBACK)


def test_segment_versions_name_their_author_in_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    run_icp(db, "segments", "add", "--name", "Solo", "--requirements", "- B2B SaaS company")
    shown = json.loads(run_icp(db, "segments", "show", "Solo", "-f", "json").stdout)
    assert [v["author"] for v in shown["versions"]] == ["local operator"]


def test_members_cli(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    out = run_icp(db, "members", "add", "Ana@Acme.com", "--role", "admin").stdout
    assert "ana@acme.com is admin" in out
    listed = json.loads(run_icp(db, "members", "list", "-f", "json").stdout)
    assert [(m["email"], m["role"], m["added_by"]) for m in listed] == [("ana@acme.com", "admin", "local operator")]
    assert "Removed ana@acme.com (was admin)" in run_icp(db, "members", "remove", "ana@acme.com").stdout
    assert "No members yet" in run_icp(db, "members", "list").stdout


def test_settings_saved_by_llm_check_are_audited_without_the_key(tmp_path: Path) -> None:
    from icp.testing import FakeOpenAI

    db, env = tmp_path / "s.db", tmp_path / "server.env"
    with FakeOpenAI(supports_json_schema=False, json_schema_status=500, files_api=False) as fake:
        run_icp(db, "llm", "check", "--save", "--env-file", str(env),
                env={"ICP_OPENAI_BASE_URL": fake.base_url, "ICP_OPENAI_API_KEY": "sk-secret-value"})  # fmt: skip
    [event] = json.loads(run_icp(db, "audit", "--object", "settings", "-f", "json").stdout)
    assert (event["action"], event["actor"], event["object_id"]) == ("settings.change", "local operator", str(env))
    assert event["after"]["ICP_LLM_MODE"] == "json_object_schema"
    assert "sk-secret-value" not in json.dumps(event)
