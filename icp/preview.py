"""What a segment draft would pick, before it is saved: the whole book graded offline, counted by tier and status.

The Segments form shows it as the leader writes. Offline grading is deterministic and free, so the
preview costs nothing but time: every company is read once (only the graded columns, no ORM objects)
and graded against the draft.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from icp.criteria import CompiledSegment, compile_segment
from icp.domain import GRADED_FIELDS, CompanyProfile, FitStatus
from icp.evaluators.offline import OfflineEvaluator
from icp.grading import graded_columns
from icp.scoring import DEFAULT_POLICY, ScoringPolicy, tier_for
from icp.store.tables import Company, Outcome


class SegmentPreview(BaseModel):
    """How many accounts a draft would put in each tier and status."""

    companies: int
    tiers: dict[str, int] = Field(description="T1, T2, T3 and disqualified -> accounts (before signals).")
    statuses: dict[str, int] = Field(description="qualified, unverified, disqualified -> accounts.")
    examples: dict[str, list[str]] = Field(description="A few company names per tier, best first.")
    seconds: float


_COLUMNS = [getattr(Company, f) for f in GRADED_FIELDS]


def iter_profiles(session: Session, batch: int = 5000) -> Iterator[CompanyProfile]:
    """Every stored company as the evaluator sees it, read in id order without building ORM objects."""
    last = 0
    while True:
        rows = session.execute(
            sa_select(col(Company.id), *_COLUMNS).where(col(Company.id) > last).order_by(col(Company.id)).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            data = dict(zip(GRADED_FIELDS, row[1:], strict=True))
            data["tags"] = tuple(data["tags"] or ())
            data["technologies"] = tuple(data["technologies"] or ())
            yield CompanyProfile.model_construct(**data)
        last = rows[-1][0]


def preview_segment(
    session: Session,
    name: str,
    requirements: str,
    nice_to_haves: str = "",
    *,
    policy: ScoringPolicy = DEFAULT_POLICY,
    examples: int = 5,
) -> SegmentPreview:
    """Grade every company against a draft, offline, and count tiers and statuses. Stores nothing."""
    started = time.perf_counter()
    compiled = compile_segment(name or "Draft", requirements, nice_to_haves)
    total = session.execute(sa_select(func.count()).select_from(Company)).scalar_one()
    names: list[str] = []

    def work() -> Iterator[tuple[str, CompanyProfile, CompiledSegment]]:
        for profile in iter_profiles(session):
            names.append(profile.name)
            yield str(len(names) - 1), profile, compiled

    tiers: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    best: dict[str, list[tuple[float, str]]] = {}
    # The cycle's grading path: one worker process per core once the book is large enough to pay for them.
    graded = graded_columns(
        OfflineEvaluator(),
        work(),
        concurrency=os.cpu_count() or 1,
        compiled={0: compiled},
        policy=policy,
        phash="preview",
        pairs=total,
    )
    count = 0
    for key, columns in graded:
        assert columns is not None  # only a claiming cycle skips pairs
        count += 1
        score, status = float(columns["base_score"]), FitStatus(columns["fit_status"])
        tier = tier_for(score, policy, status).value
        tiers[tier] += 1
        statuses[status.value] += 1
        if tier != "disqualified":
            ranked = best.setdefault(tier, [])
            ranked.append((score, names[int(key)]))
            if len(ranked) > examples * 4:
                ranked.sort(key=lambda item: -item[0])
                del ranked[examples:]
    return SegmentPreview(
        companies=count,
        tiers={t: tiers.get(t, 0) for t in ("T1", "T2", "T3", "disqualified")},
        statuses={s: statuses.get(s, 0) for s in ("qualified", "unverified", "disqualified")},
        examples={t: [n for _, n in sorted(v, key=lambda item: -item[0])[:examples]] for t, v in best.items()},
        seconds=round(time.perf_counter() - started, 3),
    )


def book_version(session: Session) -> tuple[int, str]:
    """Changes whenever a company or a deal is added or updated: a cache key for previews and backtests."""
    companies = session.execute(sa_select(func.count(), func.max(col(Company.updated_at)))).one()
    outcomes = session.execute(sa_select(func.count(), func.max(col(Outcome.updated_at)))).one()
    return int(companies[0]) + int(outcomes[0]), f"{companies[1]}|{outcomes[1]}|{outcomes[0]}"
