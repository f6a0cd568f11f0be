"""Qualified, unverified, disqualified: T1 means every requirement is known to hold.

Driven through the `icp` CLI and the library on the sample data with a segment the sample segments were
not tuned with ("EU Fintech Scale-ups").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from icp.cli import app
from icp.cycle import run_cycle
from icp.demo import load_samples
from icp.domain import Tier
from icp.errors import InputError
from icp.evaluators.offline import OfflineEvaluator
from icp.queue import ranked_queue
from icp.samples import COMPANIES_FILE
from icp.scoring import ScoringPolicy
from icp.segments import create_segment

EU_FINTECH = (
    "EU Fintech Scale-ups",
    "Fintech company\nHeadquartered in Europe\n200 to 2,000 employees",
    "Series B or later\nUses Salesforce",
)


def run(db: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    if isinstance(result.exception, InputError):
        raise result.exception
    assert result.exit_code == code, result.output
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "fit.db"
    run(path, "companies", "import", str(COMPANIES_FILE))
    name, requirements, nice = EU_FINTECH
    run(path, "segments", "add", "--name", name, "--requirements", requirements, "--nice-to-haves", nice)
    return path


def queue(db: Path, *args: str) -> list[dict[str, object]]:
    return json.loads(run(db, "queue", "--segment", EU_FINTECH[0], "-n", "0", "-f", "json", *args))  # type: ignore[no-any-return]


def test_every_t1_account_meets_every_requirement_and_unverified_ones_say_what_to_research(db: Path) -> None:
    run(db, "cycle", "run")
    entries = queue(db)
    t1 = [e for e in entries if e["tier"] == "T1"]
    unverified = [e for e in entries if e["status"] == "unverified"]
    assert t1 and unverified
    for entry in t1:
        requirements = [c for c in entry["criteria"] if c["kind"] == "requirement"]  # type: ignore[union-attr]
        assert all(c["verdict"] == "met" for c in requirements), entry["domain"]
        assert entry["status"] == "qualified" and entry["needs_research"] == []
    for entry in unverified:
        assert entry["tier"] != "T1"
        unknown = [c["id"] for c in entry["criteria"] if c["kind"] == "requirement" and c["verdict"] == "unknown"]  # type: ignore[union-attr]
        research = entry["needs_research"]
        assert unknown and [r.split(" ", 1)[0] for r in research] == unknown  # type: ignore[union-attr]
        assert all("confirm" in r for r in research)  # type: ignore[union-attr]
    # Some unverified accounts score like T1 accounts: only their status holds them at T2.
    assert any(e["fit_score"] >= 80 for e in unverified)
    # Within a tier, qualified accounts come first.
    for tier in ("T2", "T3"):
        statuses = [e["status"] for e in entries if e["tier"] == tier]
        assert statuses == sorted(statuses, key=["qualified", "unverified"].index)
    # The status filter and the table show it too.
    only = queue(db, "--status", "unverified")
    assert {e["domain"] for e in only} == {e["domain"] for e in unverified}
    assert "unverified" in run(db, "queue", "--segment", EU_FINTECH[0], "--status", "unverified", "-x")
    assert "needs research: R1 Fintech company" in run(db, "queue", "--segment", EU_FINTECH[0], "-n", "0", "-x")


def test_a_new_policy_rescores_stored_grades_without_a_new_evaluation(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
        name, requirements, nice = EU_FINTECH
        create_segment(session, name, requirements, nice)
    lenient = ScoringPolicy(unverified_max_tier=Tier.T1)
    first = run_cycle(engine, OfflineEvaluator(), policy=lenient)
    assert first.pairs_graded > 0
    with Session(engine) as session:
        before = ranked_queue(session, segment=EU_FINTECH[0], limit=None)
    assert any(e.tier == "T1" and e.status == "unverified" for e in before)

    second = run_cycle(engine, OfflineEvaluator())
    assert second.pairs_graded == 0 and second.pairs_reused == first.pairs_total
    with Session(engine) as session:
        after = ranked_queue(session, segment=EU_FINTECH[0], limit=None)
    assert not any(e.tier == "T1" and e.status == "unverified" for e in after)
    moved = {e.domain for e in before if e.tier == "T1" and e.status == "unverified"}
    assert moved <= {e.domain for e in after if e.tier == "T2"}
    changes = json.dumps([c.model_dump(mode="json") for c in _changes(engine)])
    assert '"from_status": "unverified"' in changes


def _changes(engine: Engine) -> list:  # type: ignore[type-arg]
    from icp.trends import tier_changes

    with Session(engine) as session:
        return tier_changes(session)


def test_motions_give_unverified_members_research_tasks_after_outreach_of_their_tier(db: Path) -> None:
    run(db, "motions", "add", "--name", "EU push", "--segment", EU_FINTECH[0], "--capacity", "100")
    run(db, "cycle", "run")
    tasks = json.loads(run(db, "tasks", "list", "--motion", "EU push", "-n", "0", "-f", "json"))
    research = [t for t in tasks if t["kind"] == "research"]
    outreach = [t for t in tasks if t["kind"] == "outreach"]
    assert research and outreach
    assert all(t["fit_status"] == "unverified" for t in research)
    assert all(t["fit_status"] == "qualified" for t in outreach)
    for task in research:
        assert task["channel"] == "research" and "before outreach" in task["play"]
        assert task["reasons"][0].startswith("R1 Fintech company") and "confirm" in task["reasons"][0]
    for tier in ("T2", "T3"):
        kinds = [t["kind"] for t in sorted(tasks, key=lambda t: t["rank"]) if t["tier"] == tier]
        assert kinds == sorted(kinds, key=["outreach", "research"].index)
    assert "research" in run(db, "tasks", "list", "--motion", "EU push")


def test_a_confirmed_verdict_overrides_the_evaluator_until_the_company_data_changes(db: Path, tmp_path: Path) -> None:
    run(db, "cycle", "run")
    target = next(e for e in queue(db) if e["status"] == "unverified" and e["fit_score"] >= 80)
    domain = str(target["domain"])
    out = run(
        db, "verdicts", "confirm", domain, "--segment", EU_FINTECH[0], "--criterion", "R1",
        "--verdict", "met", "--author", "dana", "--note", "card issuing is their product",
    )  # fmt: skip
    assert "Confirmed 'Fintech company' = met" in out
    with pytest.raises(InputError, match="who confirms"):
        run(db, "verdicts", "confirm", domain, "-c", "R1", "-v", "met", "--author", " ")

    run(db, "cycle", "run")
    entry = next(e for e in queue(db) if e["domain"] == domain)
    r1 = next(c for c in entry["criteria"] if c["id"] == "R1")  # type: ignore[union-attr]
    assert entry["status"] == "qualified" and entry["tier"] == "T1"
    assert r1["verdict"] == "met" and r1["source"] == "person"
    assert "confirmed by dana" in r1["note"] and "card issuing" in r1["note"]
    # The confirmation is feedback too: it becomes a candidate eval case.
    candidates = tmp_path / "candidates.yaml"
    run(db, "evals", "from-feedback", "--out", str(candidates))
    assert domain in candidates.read_text(encoding="utf-8")

    # The company's data changes: it is re-graded, and the confirmation no longer applies.
    changed = tmp_path / "changed.csv"
    changed.write_text(f"domain,name,description\n{domain},{target['company_name']},New website launched this year.\n")
    run(db, "companies", "import", str(changed))
    run(db, "cycle", "run")
    entry = next(e for e in queue(db) if e["domain"] == domain)
    r1 = next(c for c in entry["criteria"] if c["id"] == "R1")  # type: ignore[union-attr]
    assert r1["source"] != "person" and "stale" in r1["note"]
    listed = json.loads(run(db, "verdicts", "list", "-f", "json"))
    assert listed[0]["domain"] == domain and listed[0]["stale"] is True


def test_confirming_an_unknown_criterion_id_names_the_ones_that_exist(db: Path) -> None:
    from tests.test_cli import icp

    out = icp(
        "verdicts", "confirm", "zurivo.ch", "-s", EU_FINTECH[0], "-c", "R9", "-v", "met", "-a", "x", db=db, check=False
    )
    assert out.returncode == 1 and "R1, R2, R3, N1, N2" in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
