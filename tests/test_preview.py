"""The live preview of a segment draft: every company graded offline, counted by tier and status."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from icp.cycle import run_cycle
from icp.demo import load_samples
from icp.evaluators.offline import OfflineEvaluator
from icp.preview import preview_segment
from icp.queue import ranked_queue
from icp.segments import create_segment

DRAFT = ("EU Fintech", "Fintech company\nHeadquartered in Europe\n200 to 2,000 employees", "Uses Salesforce")


def test_the_preview_counts_what_a_cycle_would_rank(engine: Engine) -> None:
    with Session(engine) as session:
        load_samples(session)
        preview = preview_segment(session, *DRAFT)
        assert preview.companies == sum(preview.tiers.values()) == sum(preview.statuses.values()) > 100
        create_segment(session, *DRAFT)
    run_cycle(engine, OfflineEvaluator(), generate=False)
    with Session(engine) as session:
        members = ranked_queue(session, segment=DRAFT[0], limit=None)
    # Signals can lift a member's tier in a cycle; membership and status never depend on them.
    assert len(members) == preview.companies - preview.tiers["disqualified"]
    assert sum(e.status == "unverified" for e in members) == preview.statuses["unverified"]
    assert set(preview.examples["T1"]) <= {e.company_name for e in members if e.tier == "T1"}
