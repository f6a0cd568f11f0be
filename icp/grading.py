"""How a cycle grades its pairs and stores the grades as they arrive.

I/O-bound evaluators (the LLM) grade in threads; CPU-bound ones (the offline rules) grade in one worker
process per core once there is enough work. Either way each grade is turned into its stored columns
(with its base score under the cycle's scoring policy) and handed to a :class:`GradeWriter`, which
commits paid grades at once and free ones in small batches.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from icp.concurrency import map_unordered
from icp.criteria import CompiledSegment
from icp.domain import CompanyProfile, CriterionResult, FitStatus, Grade
from icp.evaluators.base import Evaluator, grade_pairs
from icp.redact import redact
from icp.scoring import ScoringPolicy, base_score
from icp.store.tables import Grade as GradeRow
from icp.store.tables import utcnow

# Free (offline) grades cost nothing to redo, so they are committed in batches of up to this many or
# this often: a killed cycle loses at most that much free work, never a paid grade.
_FREE_BATCH = 5000
_FREE_BATCH_SECONDS = 2.0

_RESULTS_JSON: TypeAdapter[tuple[CriterionResult, ...]] = TypeAdapter(tuple[CriterionResult, ...])


def grade_columns(grade: Grade, policy: ScoringPolicy, phash: str) -> dict[str, Any]:
    """A grade as stored, minus the pair's own columns. Runs in grading worker processes too."""
    values: dict[str, Any] = {
        "status": grade.status,
        "results": _RESULTS_JSON.dump_json(grade.results).decode("utf-8"),
        "summary": grade.summary,
        "note": redact(grade.note) if grade.note else "",
        "error": redact(grade.error) if grade.error else grade.error,
        "evaluator": grade.identity.evaluator,
        "model": grade.identity.model,
        "prompt_id": grade.identity.prompt_id,
        "prompt_hash": grade.identity.prompt_hash,
        "tokens_in": grade.usage.tokens_in,
        "tokens_out": grade.usage.tokens_out,
        "tokens_cached": grade.usage.tokens_cached,
        "cost_usd": grade.usage.cost_usd,
        "latency_ms": grade.usage.latency_ms,
        "attempts": grade.usage.attempts,
        "base_score": None,
        "disqualified": False,
        "fit_status": None,
        "policy_hash": None,
    }
    if grade.status == "ok":
        score, status = base_score(grade.results, policy)
        values.update(
            base_score=score,
            disqualified=status is FitStatus.DISQUALIFIED,
            fit_status=status.value,
            policy_hash=phash,
        )
    return values


# Worker-process state for CPU-bound evaluators, set once per worker by _init_worker.
_WORKER: dict[str, Any] = {}
_PROCESS_CHUNK = 500  # pairs per task sent to a worker process
_PROCESS_MIN_PAIRS = 5000  # below this, starting processes costs more than it saves


def configure_grading_process() -> None:
    """Tune a process that only grades (a cycle's worker) for throughput.

    A grading worker allocates many small acyclic objects and keeps per-company caches: collecting
    generation 0 every 700 allocations costs ~20% of its time for nothing (measured by bench_offline).
    """
    gc.set_threshold(50_000, 20, 20)


def _init_worker(evaluator: Evaluator, compiled: dict[int, CompiledSegment], policy: ScoringPolicy, phash: str) -> None:
    _WORKER.update(evaluator=evaluator, compiled=compiled, policy=policy, phash=phash)
    configure_grading_process()


def _grade_chunk(chunk: list[tuple[str, CompanyProfile, int]]) -> list[tuple[str, dict[str, Any]]]:
    evaluator: Evaluator = _WORKER["evaluator"]
    compiled: dict[int, CompiledSegment] = _WORKER["compiled"]
    return [
        (
            input_hash,
            grade_columns(evaluator.grade(profile, compiled[version_id]), _WORKER["policy"], _WORKER["phash"]),
        )
        for input_hash, profile, version_id in chunk
    ]


def _chunks(
    work: Iterable[tuple[str, CompanyProfile, CompiledSegment]], compiled: dict[int, CompiledSegment]
) -> Iterator[list[tuple[str, CompanyProfile, int]]]:
    version_of = {id(segment): version_id for version_id, segment in compiled.items()}
    chunk: list[tuple[str, CompanyProfile, int]] = []
    for input_hash, profile, segment in work:
        chunk.append((input_hash, profile, version_of[id(segment)]))
        if len(chunk) >= _PROCESS_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def graded_columns(
    evaluator: Evaluator,
    work: Iterable[tuple[str, CompanyProfile, CompiledSegment]],
    *,
    concurrency: int,
    compiled: dict[int, CompiledSegment],
    policy: ScoringPolicy,
    phash: str,
    pairs: int,
    claim: Callable[[str], bool] | None = None,
) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Grade the admitted pairs and yield each one's stored columns as it completes.

    I/O-bound evaluators (LLM) run in threads. CPU-bound ones (``cpu_bound = True``, like the offline
    rules) run in worker processes when there is enough work, so a cycle uses every core.

    With ``claim``, each thread claims its pair by input hash just before grading it; a pair another
    cycle has claimed is not graded (nothing is sent for it) and yields ``None`` instead of columns.
    """
    if getattr(evaluator, "cpu_bound", False) and concurrency > 1 and pairs >= _PROCESS_MIN_PAIRS:
        for _, results in map_unordered(
            _grade_chunk,
            _chunks(work, compiled),
            concurrency=concurrency,
            processes=True,
            initializer=_init_worker,
            initargs=(evaluator, compiled, policy, phash),
        ):
            yield from results
        return
    if claim is None:
        for input_hash, grade in grade_pairs(evaluator, work, concurrency=concurrency):
            yield input_hash, grade_columns(grade, policy, phash)
        return

    def grade_claimed(item: tuple[str, CompanyProfile, CompiledSegment]) -> Grade | None:
        input_hash, profile, segment = item
        return evaluator.grade(profile, segment) if claim(input_hash) else None

    for (input_hash, _, _), claimed in map_unordered(
        grade_claimed, work, concurrency=concurrency, thread_name_prefix="icp-grade"
    ):
        yield input_hash, None if claimed is None else grade_columns(claimed, policy, phash)


class GradeWriter:
    """Persists grades from the main thread: paid ones at once, free ones in small batches.

    A grade another writer stored first (a second process grading the same pair) is kept, not
    overwritten and not an error: inserts skip existing input hashes on both dialects. A failed grade
    retried here keeps the cost, tokens and attempts of every try: they are added to the row's.
    ``on_commit`` runs in each commit's transaction (a cycle updates its own counters there, so its
    row shows what was paid even if the process is killed a moment later).
    """

    def __init__(self, session: Session, on_commit: Callable[[Session], None] | None = None) -> None:
        self.session = session
        self.on_commit = on_commit
        self.pending: list[dict[str, Any]] = []
        self.replacements: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()

    def add(self, values: dict[str, Any], *, replace: bool, paid: bool) -> None:
        (self.replacements if replace else self.pending).append(values)
        if (
            paid
            or len(self.pending) + len(self.replacements) >= _FREE_BATCH
            or (time.monotonic() - self.last_flush > _FREE_BATCH_SECONDS)
        ):
            self.flush()

    def flush(self) -> None:
        now = utcnow()
        for values in self.pending:
            values["created_at"] = now
        for values in self.replacements:
            values["created_at"] = now
        if self.pending and self.session.get_bind().dialect.name == "sqlite":
            # Hot path of every offline cycle: hand plain tuples to the driver. The values are already in
            # their stored form (results as JSON text); only the timestamp needs SQLite's text format.
            stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            columns = list(self.pending[0])
            sql = (
                f"INSERT INTO grade ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                "ON CONFLICT (input_hash) DO NOTHING"
            )
            rows = [tuple(stamp if c == "created_at" else v[c] for c in columns) for v in self.pending]
            self.session.connection().exec_driver_sql(sql, rows)
        elif self.pending:
            self.session.execute(_insert_new(self.session), self.pending)
        for values in self.replacements:  # a failed grade from an earlier cycle, now retried
            self.session.execute(_retried(values))
        if self.pending or self.replacements:
            if self.on_commit is not None:
                self.on_commit(self.session)
            self.session.commit()
        self.pending, self.replacements = [], []
        self.last_flush = time.monotonic()


_ACCUMULATED = ("tokens_in", "tokens_out", "tokens_cached", "cost_usd", "attempts")


def _insert_new(session: Session) -> Any:
    """INSERT that skips input hashes already stored (by another process grading the same pairs)."""
    table = GradeRow.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table).on_conflict_do_nothing(index_elements=["input_hash"])
    return sqlite_insert(table).on_conflict_do_nothing(index_elements=["input_hash"])


def _retried(values: dict[str, Any]) -> Any:
    """UPDATE of a stored failed grade with its retry: usage adds up; an ``ok`` grade is never overwritten."""
    table = GradeRow.__table__  # type: ignore[attr-defined]
    assigned = {k: v for k, v in values.items() if k not in _ACCUMULATED}
    for name in _ACCUMULATED:
        assigned[name] = table.c[name] + values[name]
    return update(table).where(table.c.input_hash == values["input_hash"], table.c.status != "ok").values(**assigned)
