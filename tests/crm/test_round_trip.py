"""The CRM round trip end to end through the `icp` command, against a fake CRM server per provider.

Pull 1,000 companies and 300 deals over several pages (the first pull killed half-way with kill -9, the
resumed one meeting a 429), run a cycle, push: every account with a standing is written once, tasks are
created once, a second push writes nothing, a changed company is the only account written after the next
cycle, and a task completed in the CRM is completed in icp after the next pull.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from icp.owners import Assignment, set_assignment
from icp.samples import MOTIONS_FILE, SEGMENTS_FILE
from icp.store import open_engine
from icp.store.tables import Company, CrmSyncState
from icp.tasks import import_motions
from icp.testing.synthetic import synthetic_companies
from tests.crm.conftest import CrmServer
from tests.inprocess import run_icp
from tests.test_cli import ICP

REPS = ["ann@example.com", "bo@example.com"]


def _seed(crm: CrmServer) -> list[str]:
    fields = ("domain", "name", "industry", "employees", "country", "description")
    rows = [{k: c.get(k) for k in fields} for c in synthetic_companies(1000, seed=14)]
    ids: list[str] = crm.fake.seed_companies(rows)
    results = ("won", "lost", "open")
    crm.fake.seed_deals(
        [
            {
                "name": f"Deal {i}",
                "result": results[i % 3],
                "amount": 1000 * (i + 1),
                "create_date": "2026-02-01",
                "close_date": None if i % 3 == 2 else "2026-04-01",
                "account_crm_id": ids[i * 3],
            }
            for i in range(300)
        ]
    )
    return ids


def _motions(db: Path) -> None:
    engine = open_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        for name in import_motions(session, MOTIONS_FILE):
            set_assignment(session, name, Assignment(mode="round_robin", reps=REPS))
    engine.dispose()


def _kill_pull_half_way(crm: CrmServer, db: Path, pages: int) -> None:
    """Start `icp crm pull` in its own process, let it store ``pages`` pages, and kill -9 it on the next one."""
    crm.fake.hang_after_pages(pages)
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(db.parent), **crm.env}
    process = subprocess.Popen(
        [ICP, "--db", str(db), "crm", "pull", crm.name], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not crm.fake.hanging.is_set():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the pull never reached the hung page"
            time.sleep(0.02)
        os.kill(process.pid, 9)
        process.wait(timeout=10)
    finally:
        crm.fake.release()
        if process.poll() is None:
            process.kill()
        process.communicate()


def _push(db: Path, crm: CrmServer, *args: str) -> dict[str, object]:
    report: dict[str, object] = json.loads(
        run_icp(db, "crm", "push", crm.name, "-f", "json", *args, env=crm.env).stdout
    )
    return report


@pytest.mark.slow
def test_the_round_trip(crm: CrmServer, tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    ids = _seed(crm)
    for rep in REPS[:1]:
        crm.fake.add_owner(rep)  # bo@ has no CRM user: bo's tasks stay unassigned

    # A pull killed half-way keeps the pages it stored and the cursor after them.
    _kill_pull_half_way(crm, db, pages=4)
    engine = open_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        state = session.get(CrmSyncState, (crm.name, "companies"))
        assert state is not None and state.cursor is not None and state.pages == 4
        assert session.exec(select(func.count()).select_from(Company)).one() == 400
    engine.dispose()

    # The next pull resumes from the cursor (6 more pages, not 10), through a rate limit on the way.
    crm.fake.rate_limit_next(1)
    pulled = json.loads(run_icp(db, "crm", "pull", crm.name, "-f", "json", env=crm.env).stdout)
    assert pulled["resumed"] == ["companies"] and pulled["company_pages"] == 6
    assert pulled["companies"]["created"] == 600 and pulled["companies"]["rejected"] == 0
    assert pulled["deals"]["created"] == 300 and pulled["deal_pages"] >= 3
    assert (pulled["deals"]["won"], pulled["deals"]["lost"], pulled["deals"]["open"]) == (100, 100, 100)
    deals = json.loads(run_icp(db, "outcomes", "list", "-n", "0", "-f", "json").stdout)
    assert len(deals) == 300 and crm.fake.writes == []

    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    _motions(db)
    run_icp(db, "cycle", "run", "--evaluator", "offline")

    # A dry run says what would be written and writes nothing.
    preview = _push(db, crm, "--dry-run")
    assert preview["accounts_changed"] and preview["tasks_new"] and preview["sample"]
    assert crm.fake.writes == []

    first = _push(db, crm)
    assert first["accounts_written"] == preview["accounts_changed"] and not first["account_failures"]
    assert first["tasks_written"] == preview["tasks_new"] == len(crm.fake.tasks())
    queue = json.loads(run_icp(db, "queue", "-n", "0", "-f", "json").stdout)
    written = [i for i in ids if crm.fake.account_values(i).get(crm.tier_field)]
    members = {row["domain"] for row in queue if row["tier"] in ("T1", "T2", "T3")}
    assert len(written) == len(members) == first["accounts_written"]  # every account in a segment, once

    # A second push writes nothing.
    writes = len(crm.fake.writes)
    second = _push(db, crm)
    assert (second["accounts_written"], second["tasks_written"]) == (0, 0) and len(crm.fake.writes) == writes

    # A company that changes in the CRM is the only account written after the next cycle.
    changed = written[0]
    before = crm.fake.account_values(changed)
    crm.fake.touch_company(changed, employees=3, country="Antarctica")
    run_icp(db, "crm", "pull", crm.name, env=crm.env)
    run_icp(db, "cycle", "run", "--evaluator", "offline")
    third = _push(db, crm)
    assert third["accounts_written"] == 1 and crm.fake.account_values(changed) != before
    assert len(crm.fake.tasks()) == first["tasks_written"] + third["tasks_written"]

    # A task completed in the CRM is completed in icp on the next pull, recorded as done by the CRM.
    task = crm.fake.tasks()[0]
    crm.fake.complete_task(task["id"])
    again = json.loads(run_icp(db, "crm", "pull", crm.name, "-f", "json", env=crm.env).stdout)
    assert again["tasks_completed"] == 1
    done = json.loads(run_icp(db, "tasks", "list", "--status", "done", "-f", "json").stdout)
    assert [(f"icp-task-{t['id']}", t["completed_by"]) for t in done] == [(task["external_id"], f"crm:{crm.name}")]

    # The audit trail says who moved what: the operator's pulls and pushes, and the CRM's completion.
    events = json.loads(run_icp(db, "audit", "-f", "json").stdout)
    by_action: dict[str, list[dict[str, object]]] = {}
    for event in events:
        by_action.setdefault(str(event["action"]), []).append(event)
    assert {e["actor"] for e in by_action["crm.pull"] + by_action["crm.push"]} == {"local operator"}
    assert len(by_action["crm.push"]) == 3 and len(by_action["crm.pull"]) >= 3
    assert [(e["actor"], e["object_id"]) for e in by_action["task.done"]] == [(f"crm:{crm.name}", str(done[0]["id"]))]
