"""The shipped sample data: segments, companies, signals and motions, loaded idempotently."""

from __future__ import annotations

import json

from pydantic import BaseModel
from sqlmodel import Session, col, select

from icp.companies import ImportReport, import_companies, import_signals
from icp.domain import normalize_domain
from icp.outcomes import read_deals, store_deals
from icp.samples import COMPANIES_FILE, DEALS_FILE, MOTIONS_FILE, SEGMENTS_FILE, SIGNALS_FILE
from icp.segments import SegmentImportReport, import_segments, load_segment_specs
from icp.store.tables import Company
from icp.store.tables import Signal as SignalRow
from icp.tasks import import_motions
from icp.team.roles import LOCAL_OPERATOR, Actor


class SampleLoad(BaseModel):
    """What loading the samples did."""

    segments: SegmentImportReport
    companies: ImportReport
    signals: int
    motions: list[str]
    deals: int = 0


def load_samples(session: Session, *, actor: Actor = LOCAL_OPERATOR) -> SampleLoad:
    """Load whatever part of the sample segments, companies, signals, motions and deals is missing.

    Running it twice changes nothing, and a run that was interrupted (after the companies, before the
    signals) is completed by the next. Signals have no natural key, so they are loaded only when none
    of the sample companies has any.
    """
    segments = import_segments(session, load_segment_specs(SEGMENTS_FILE), actor=actor)
    companies = import_companies(session, COMPANIES_FILE, actor=actor)
    signals = import_signals(session, SIGNALS_FILE, actor=actor).imported if _sample_signals_missing(session) else 0
    motions = import_motions(session, MOTIONS_FILE, actor=actor)
    deals = store_deals(
        session, read_deals(DEALS_FILE.read_bytes(), DEALS_FILE.name).deals, source="sample deals", actor=actor
    )
    return SampleLoad(segments=segments, companies=companies, signals=signals, motions=motions, deals=deals.created)


def _sample_signals_missing(session: Session) -> bool:
    domains = {
        normalize_domain(str(json.loads(line)["domain"]))
        for line in SIGNALS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    with_signals = (
        select(Company.id)
        .join(SignalRow, col(SignalRow.company_id) == col(Company.id))
        .where(col(Company.domain).in_(domains))
        .limit(1)
    )
    return session.exec(with_signals).first() is None
