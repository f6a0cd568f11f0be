"""The shipped sample data: segments, companies, signals and motions, loaded idempotently."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from icp.companies import ImportReport, import_companies, import_signals
from icp.outcomes import read_deals, store_deals
from icp.samples import COMPANIES_FILE, DEALS_FILE, MOTIONS_FILE, SEGMENTS_FILE, SIGNALS_FILE
from icp.segments import SegmentImportReport, import_segments, load_segment_specs
from icp.tasks import import_motions


class SampleLoad(BaseModel):
    """What loading the samples did."""

    segments: SegmentImportReport
    companies: ImportReport
    signals: int
    motions: list[str]
    deals: int = 0


def load_samples(session: Session) -> SampleLoad:
    """Load the sample segments, companies, signals, motions and deals. Running it twice changes nothing.

    Signals are loaded only when the companies were new, so a second run does not duplicate them.
    """
    segments = import_segments(session, load_segment_specs(SEGMENTS_FILE))
    companies = import_companies(session, COMPANIES_FILE)
    signals = import_signals(session, SIGNALS_FILE).imported if companies.created else 0
    motions = import_motions(session, MOTIONS_FILE)
    deals = store_deals(session, read_deals(DEALS_FILE.read_bytes(), DEALS_FILE.name).deals, source="sample deals")
    return SampleLoad(segments=segments, companies=companies, signals=signals, motions=motions, deals=deals.created)
