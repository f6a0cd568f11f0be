"""`icp motions`, `icp tasks`, `icp cycle`, `icp queue`, `icp changes` and `icp companies signals`, in-process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from icp.cli import app
from icp.samples import COMPANIES_FILE, SEGMENTS_FILE


def run(db: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == code, result.output
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "work.db"
    run(path, "segments", "import", str(SEGMENTS_FILE))
    run(path, "companies", "import", str(COMPANIES_FILE))
    return path


def test_motion_cycle_tasks_and_done(db: Path, tmp_path: Path) -> None:
    out = run(
        db,
        "motions",
        "add",
        "--name",
        "Outbound",
        "--segment",
        "Mid-Market B2B SaaS",
        "--segment",
        "EMEA Scale-ups",
        "--capacity",
        "5",
        "--t1",
        "phone:1",
        "--t2",
        "email:4",
    )
    assert "Created motion Outbound" in out
    motions = json.loads(run(db, "motions", "list", "-f", "json"))
    assert motions[0]["plays"]["T1"] == {"channel": "phone", "sla_days": 1, "play": ""}
    assert motions[0]["plays"]["T3"]["channel"] == "nurture"  # default play where none was given
    report = json.loads(run(db, "cycle", "run", "-f", "json"))
    assert report["status"] == "completed" and report["tasks_created"] == 5  # capped by capacity
    tasks = json.loads(run(db, "tasks", "list", "--motion", "Outbound", "-f", "json"))
    assert [t["rank"] for t in tasks] == [1, 2, 3, 4, 5]
    assert all(t["reasons"] for t in tasks)
    run(db, "tasks", "done", str(tasks[0]["id"]))
    assert len(json.loads(run(db, "tasks", "list", "-f", "json"))) == 4
    assert len(json.loads(run(db, "tasks", "list", "--status", "done", "-f", "json"))) == 1
    history = list(csv.DictReader(io.StringIO(run(db, "cycle", "history", "-f", "csv"))))
    assert history[0]["status"] == "completed" and int(history[0]["pairs_graded"]) == report["pairs_graded"]


def test_bad_play_and_unknown_segment_are_clear_errors(db: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), "motions", "add", "--name", "X", "--segment", "Nope"])
    assert result.exit_code != 0 and "No segment named 'Nope'" in str(result.exception)
    result = CliRunner().invoke(
        app, ["--db", str(db), "motions", "add", "--name", "X", "--segment", "EMEA Scale-ups", "--t1", "phone"]
    )
    assert result.exit_code == 2 and "must look like 'email:5'" in result.output


def test_queue_csv_has_one_column_per_criterion_and_changes_name_the_flip(db: Path, tmp_path: Path) -> None:
    run(db, "cycle", "run")
    rows = list(csv.DictReader(io.StringIO(run(db, "queue", "--segment", "EMEA Scale-ups", "-f", "csv", "-n", "3"))))
    assert len(rows) == 3 and {"R1 verdict", "R1 evidence", "R2 verdict", "N1 evidence"} <= set(rows[0])
    assert rows[0]["R1 verdict"] == "met" and rows[0]["R1 evidence"]
    # A company leaves the segment: move its headquarters out of EMEA and run again.
    member = rows[0]["domain"]
    changed = tmp_path / "moved.json"
    changed.write_text(json.dumps([{"name": rows[0]["company_name"], "domain": member, "country": "Brazil"}]))
    run(db, "companies", "import", str(changed))
    run(db, "cycle", "run")
    changes = json.loads(run(db, "changes", "-f", "json"))
    (change,) = [c for c in changes if c["domain"] == member and c["segment"] == "EMEA Scale-ups"]
    assert change["to_tier"] == "disqualified"
    assert any(reason.startswith("R1 ") and "met → not_met" in reason for reason in change["reasons"])


def test_the_queue_table_lists_each_account_once_sorted_and_searched_over_the_whole_view(db: Path) -> None:
    run(db, "cycle", "run")
    per_segment = json.loads(run(db, "queue", "-n", "0", "-f", "json"))
    accounts = {e["domain"] for e in per_segment}
    assert len(per_segment) > len(accounts)  # JSON and CSV: one row per account and segment
    wide = CliRunner().invoke(app, ["--db", str(db), "queue", "-n", "0"], env={"COLUMNS": "400"})
    assert wide.exit_code == 0 and "Work list: each account once" in wide.stdout
    listed = [d for d in accounts if d in wide.stdout]
    assert sorted(listed) == sorted(accounts) and all(wide.stdout.count(f" {d} ") == 1 for d in accounts)
    assert "also: " in wide.stdout  # the other segments of an account in several

    # --sort orders the whole view, not the first page: the last company by name comes first with --desc.
    by_name = sorted(per_segment, key=lambda e: e["company_name"].lower())
    top = CliRunner().invoke(
        app, ["--db", str(db), "queue", "--sort", "company", "--desc", "-n", "1"], env={"COLUMNS": "400"}
    )
    assert by_name[-1]["domain"] in top.stdout and by_name[0]["domain"] not in top.stdout
    # The same order and search for scripts; a wrong choice is refused with the choices.
    first = json.loads(run(db, "queue", "--sort", "company", "-n", "1", "-f", "json"))
    assert first[0]["company_name"] == by_name[0]["company_name"]
    needle = by_name[len(by_name) // 2]["company_name"][:6]
    found = json.loads(run(db, "queue", "--search", needle.upper(), "-n", "0", "-f", "json"))
    assert found and all(needle.lower() in e["company_name"].lower() for e in found)
    refused = CliRunner().invoke(app, ["--db", str(db), "queue", "--sort", "size"])
    assert refused.exit_code == 2 and "'rank'" in refused.output and "'due'" in refused.output


def test_signals_import_for_known_companies(db: Path, tmp_path: Path) -> None:
    signals = tmp_path / "signals.jsonl"
    signals.write_text(
        '{"domain": "tessellate-analytics.de", "type": "intent", "topic": "pricing page", "days_ago": 1}\n'
    )
    assert "Imported signals.jsonl: 1 signal, 0 rejected." in run(db, "companies", "signals", str(signals))
    shown = json.loads(run(db, "companies", "show", "tessellate-analytics.de", "-f", "json"))
    assert shown["signals"][0]["topic"] == "pricing page"
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"domain": "nobody.example", "type": "intent", "days_ago": 2}\n')
    result = CliRunner().invoke(app, ["--db", str(db), "companies", "signals", str(unknown)])
    # An unknown domain is that row's error; nothing landed, so the command fails.
    assert result.exit_code == 1 and "0 signals" in result.output and "1 rejected" in result.output
    assert "row 1 (nobody.example): no company with domain nobody.example" in " ".join(result.output.split())


def test_a_signal_without_a_date_names_the_missing_field(db: Path, tmp_path: Path) -> None:
    undated = tmp_path / "undated.jsonl"
    undated.write_text('{"domain": "tessellate-analytics.de", "type": "intent"}\n')
    result = CliRunner().invoke(app, ["--db", str(db), "companies", "signals", str(undated)])
    assert result.exit_code == 1
    assert "row 1 (tessellate-analytics.de): missing observed_at (an ISO date) or days_ago" in " ".join(
        result.output.split()
    )


def test_a_deleted_segment_leaves_the_queue_at_once_and_its_tasks_stay(db: Path) -> None:
    run(db, "motions", "add", "--name", "EMEA", "--segment", "EMEA Scale-ups", "--capacity", "3")
    run(db, "cycle", "run")
    queue = json.loads(run(db, "queue", "-n", "0", "-f", "json"))
    assert any(e["segment"] == "EMEA Scale-ups" for e in queue)
    tasks_before = json.loads(run(db, "tasks", "list", "-f", "json"))
    run(db, "segments", "delete", "EMEA Scale-ups", "--yes")
    queue = json.loads(run(db, "queue", "-n", "0", "-f", "json"))
    assert queue and not any(e["segment"] == "EMEA Scale-ups" for e in queue)
    result = CliRunner().invoke(app, ["--db", str(db), "queue", "--segment", "EMEA Scale-ups"])
    assert "was deleted on" in str(result.exception)
    assert json.loads(run(db, "tasks", "list", "-f", "json")) == tasks_before
    shown = json.loads(run(db, "companies", "show", tasks_before[0]["company_domain"], "-f", "json"))
    assert not any(m["segment"] == "EMEA Scale-ups" for m in shown["memberships"])


def test_tasks_work_list_bulk_done_snooze_and_overdue(db: Path) -> None:
    from datetime import date, timedelta

    from sqlalchemy import update
    from sqlmodel import Session

    from icp.store import open_engine
    from icp.store.tables import ProspectingTask

    run(db, "motions", "add", "--name", "Outbound", "--segment", "Mid-Market B2B SaaS", "--capacity", "6")
    run(db, "cycle", "run")
    tasks = json.loads(run(db, "tasks", "list", "-f", "json"))
    ids = [t["id"] for t in tasks]
    engine = open_engine(f"sqlite:///{db}")
    with Session(engine) as session:  # two tasks fell behind
        session.execute(
            update(ProspectingTask)
            .where(ProspectingTask.id.in_(ids[:2]))  # type: ignore[union-attr]
            .values(due_date=date.today() - timedelta(days=3))
        )
        session.commit()
    engine.dispose()
    overdue = json.loads(run(db, "tasks", "list", "--overdue", "-f", "json"))
    assert [t["id"] for t in overdue] == ids[:2]
    wide = CliRunner().invoke(app, ["--db", str(db), "tasks", "list"], env={"COLUMNS": "250"})
    assert "(overdue)" in wide.stdout
    out = run(db, "tasks", "snooze", str(ids[0]), "--days", "2")
    assert f"now due {(date.today() + timedelta(days=2)).isoformat()}" in out
    assert [t["id"] for t in json.loads(run(db, "tasks", "list", "--overdue", "-f", "json"))] == [ids[1]]
    run(db, "tasks", "done", str(ids[1]), str(ids[2]), str(ids[3]))
    left = json.loads(run(db, "tasks", "list", "-f", "json"))
    assert [t["id"] for t in left] == [ids[0], *ids[4:]]
    by_due = json.loads(run(db, "tasks", "list", "--by-due", "-f", "json"))
    assert [t["due_date"] for t in by_due] == sorted(t["due_date"] for t in by_due)
