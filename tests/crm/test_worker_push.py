"""A scheduled cycle pushes to the CRM as its follow-up: `icp worker --once` against the fake CRM server."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session

from icp.samples import MOTIONS_FILE, SEGMENTS_FILE
from icp.store import open_engine
from icp.tasks import import_motions
from icp.testing.synthetic import synthetic_companies
from tests.crm.conftest import CrmServer
from tests.inprocess import run_icp

YEARLY = {"ICP_CYCLE_SCHEDULE": "0 0 1 1 *", "ICP_CYCLE_CATCH_UP_HOURS": "100000"}


def test_a_scheduled_cycle_pushes_tiers_and_tasks_to_the_crm_once(crm: CrmServer, tmp_path: Path) -> None:
    db = tmp_path / "worker-crm.db"
    fields = ("domain", "name", "industry", "employees", "country", "description")
    crm.fake.seed_companies([{k: c.get(k) for k in fields} for c in synthetic_companies(120, seed=5)])
    run_icp(db, "crm", "pull", crm.name, env=crm.env)
    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    engine = open_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        import_motions(session, MOTIONS_FILE)
    engine.dispose()
    env = {**crm.env, **YEARLY, "ICP_CYCLE_FOLLOW_UPS": f"alerts,crm:{crm.name}"}
    out = " ".join(run_icp(db, "worker", "--once", env=env).stdout.split())
    assert "ran: cycle 1 completed" in out and "follow-up alerts: skipped" in out
    assert crm.fake.tasks() and f"tasks written to {crm.name}" in out
    status = json.loads(run_icp(db, "worker", "status", "-f", "json", env=env).stdout)
    [run] = status["runs"]
    pushed = run["follow_ups"][1]
    assert pushed["name"] == f"crm:{crm.name}" and pushed["status"] == "ok"
    assert pushed["detail"].endswith(f"{len(crm.fake.tasks())} tasks written to {crm.name}")
    assert crm.fake.token not in json.dumps(status)


def test_the_crm_follow_up_is_skipped_with_the_reason_when_it_is_not_set_up(tmp_path: Path) -> None:
    db = tmp_path / "no-crm.db"
    run_icp(db, "segments", "import", str(SEGMENTS_FILE))
    out = " ".join(
        run_icp(db, "worker", "--once", env={**YEARLY, "ICP_CYCLE_FOLLOW_UPS": "crm:hubspot,crm"}).stdout.split()
    )
    assert "ran: cycle 1 completed" in out
    assert "follow-up crm:hubspot: skipped" in out and "ICP_HUBSPOT_TOKEN" in out
    assert "follow-up crm: skipped (no CRM named (crm:hubspot, or ICP_CRM_PUSH_AFTER_CYCLE))" in out
