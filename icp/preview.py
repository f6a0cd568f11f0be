"""What a segment draft would pick, before it is saved: the whole book graded offline, counted by tier and status.

The Segments form shows it as the leader writes. Offline grading is deterministic and free, so the
preview costs nothing but time: every company is read once (only the graded columns, no ORM objects)
and graded against the draft.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import String, func, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from icp.concurrency import map_unordered
from icp.criteria import CompiledSegment, compile_segment
from icp.domain import GRADED_FIELDS, CompanyProfile, FitStatus
from icp.evaluators.offline import OfflineEvaluator
from icp.grading import configure_grading_process
from icp.scoring import DEFAULT_POLICY, ScoringPolicy, base_score, tier_for
from icp.store.tables import Company, Outcome

_LISTS = ("tags", "technologies")


class SegmentPreview(BaseModel):
    """How many accounts a draft would put in each tier and status."""

    companies: int
    tiers: dict[str, int] = Field(description="T1, T2, T3 and disqualified -> accounts (before signals).")
    statuses: dict[str, int] = Field(description="qualified, unverified, disqualified -> accounts.")
    examples: dict[str, list[str]] = Field(description="A few company names per tier, best first.")
    seconds: float


# Graded columns as stored: JSON lists stay text here and are parsed where the company is graded.
_COLUMNS = [type_coerce(getattr(Company, f), String) if f in _LISTS else getattr(Company, f) for f in GRADED_FIELDS]
_CHUNK = 1000  # companies per task sent to a grading worker
_MIN_FOR_PROCESSES = 5000  # below this, starting worker processes costs more than it saves
_WORKER: dict[str, Any] = {}


def _rows(session: Session, batch: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
    """Every stored company's graded columns, in id order, as plain tuples (no ORM objects, no JSON parsed)."""
    last = 0
    while True:
        rows = session.execute(
            sa_select(col(Company.id), *_COLUMNS).where(col(Company.id) > last).order_by(col(Company.id)).limit(batch)
        ).all()
        if not rows:
            return
        for start in range(0, len(rows), _CHUNK):
            yield [tuple(row) for row in rows[start : start + _CHUNK]]
        last = rows[-1][0]


def _profile(values: tuple[Any, ...]) -> CompanyProfile:
    data = dict(zip(GRADED_FIELDS, values, strict=True))
    for field in _LISTS:
        raw = data[field]
        data[field] = tuple(json.loads(raw) if isinstance(raw, str) else raw or ())
    return CompanyProfile.model_construct(**data)


def _best_first(example: tuple[float, str]) -> tuple[float, str]:
    """Higher score first; on a tie, by name, so the examples do not depend on which worker finished first."""
    return -example[0], example[1]


def _init_worker(compiled: CompiledSegment, policy: ScoringPolicy) -> None:
    _WORKER.update(evaluator=OfflineEvaluator(), compiled=compiled, policy=policy)
    configure_grading_process()


def _grade_rows(chunk: list[tuple[Any, ...]]) -> list[tuple[str, float, str]]:
    """In a worker process: grade a chunk against the draft the worker was started with."""
    return _grade(chunk, _WORKER["evaluator"], _WORKER["compiled"], _WORKER["policy"])


def _grade(
    chunk: list[tuple[Any, ...]], evaluator: OfflineEvaluator, compiled: CompiledSegment, policy: ScoringPolicy
) -> list[tuple[str, float, str]]:
    """(name, base score, status) of each company in the chunk; nothing is stored."""
    graded = []
    for row in chunk:
        profile = _profile(row[1:])
        score, status = base_score(evaluator.grade(profile, compiled).results, policy)
        graded.append((profile.name, score, status.value))
    return graded


def preview_segment(
    session: Session,
    name: str,
    requirements: str,
    nice_to_haves: str = "",
    *,
    policy: ScoringPolicy = DEFAULT_POLICY,
    examples: int = 5,
) -> SegmentPreview:
    """Grade every company against a draft, offline, and count tiers and statuses. Stores nothing.

    Large books are graded in one worker process per core; the workers get plain rows and send back
    only each company's score and status (not the stored form of a grade, which the preview never keeps).
    """
    started = time.perf_counter()
    compiled = compile_segment(name or "Draft", requirements, nice_to_haves)
    total = session.execute(sa_select(func.count()).select_from(Company)).scalar_one()
    tiers: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    best: dict[str, list[tuple[float, str]]] = {}
    cores = os.cpu_count() or 1
    chunks: Iterator[tuple[Any, list[tuple[str, float, str]]]]
    if cores > 1 and total >= _MIN_FOR_PROCESSES:
        chunks = map_unordered(
            _grade_rows,
            _rows(session),
            concurrency=cores,
            processes=True,
            initializer=_init_worker,
            initargs=(compiled, policy),
        )
    else:  # in this thread, with nothing shared (several people may preview at once)
        evaluator = OfflineEvaluator()
        chunks = ((chunk, _grade(chunk, evaluator, compiled, policy)) for chunk in _rows(session))
    count = 0
    for _, graded in chunks:
        for company, score, status_value in graded:
            count += 1
            status = FitStatus(status_value)
            tier = tier_for(score, policy, status).value
            tiers[tier] += 1
            statuses[status.value] += 1
            if tier != "disqualified":
                ranked = best.setdefault(tier, [])
                ranked.append((score, company))
                if len(ranked) > examples * 4:
                    ranked.sort(key=_best_first)
                    del ranked[examples:]
    return SegmentPreview(
        companies=count,
        tiers={t: tiers.get(t, 0) for t in ("T1", "T2", "T3", "disqualified")},
        statuses={s: statuses.get(s, 0) for s in ("qualified", "unverified", "disqualified")},
        examples={t: [n for _, n in sorted(v, key=_best_first)[:examples]] for t, v in best.items()},
        seconds=round(time.perf_counter() - started, 3),
    )


def book_version(session: Session) -> tuple[int, str]:
    """Changes whenever a company or a deal is added or updated: a cache key for previews and backtests."""
    companies = session.execute(sa_select(func.count(), func.max(col(Company.updated_at)))).one()
    outcomes = session.execute(sa_select(func.count(), func.max(col(Outcome.updated_at)))).one()
    return int(companies[0]) + int(outcomes[0]), f"{companies[1]}|{outcomes[1]}|{outcomes[0]}"
