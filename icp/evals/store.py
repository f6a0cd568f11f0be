"""Eval runs in the database (``EvalRun``/``EvalResult``) and as portable JSON files (baselines).

A run reference, as the CLI takes it, is a database id (``12``), ``latest``, ``blessed`` (the newest
blessed run, optionally for a suite and evaluator) or a path to an exported run (``*.json``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from icp.errors import InputError, NotFoundError
from icp.evals.metrics import compute_metrics
from icp.evals.results import CaseResult, CriterionOutcome
from icp.evals.runner import RunRecord
from icp.store.tables import EvalResult, EvalRun
from icp.team.audit import record
from icp.team.roles import LOCAL_OPERATOR, Actor, Permission, require


class RunSummary(BaseModel):
    """One stored run, for listings."""

    id: int
    suite: str
    evaluator: str
    model: str | None
    prompt_id: str | None
    cases: int
    repeat: int
    accuracy: float | None = Field(description="Verdict accuracy over measured cases.")
    end_to_end_accuracy: float | None = Field(default=None, description="Accuracy with model failures counted wrong.")
    model_failures: int = 0
    unmeasured: int
    cost_usd: float
    blessed: bool
    git_commit: str | None
    started_at: datetime


def save_run(session: Session, record: RunRecord) -> int:
    """Store a run and its results; returns the new run id."""
    m = record.manifest
    run = EvalRun.model_validate(
        {
            "suite": m.suite,
            "dataset_hash": m.dataset_hash,
            "evaluator": m.evaluator,
            "model": m.model,
            "prompt_id": m.prompt_id,
            "prompt_hash": m.prompt_hash,
            "git_commit": m.git_commit,
            "package_version": m.package_version,
            "repeat": m.repeat,
            "status": record.status,
            "cases": m.cases,
            "unmeasured": record.metrics.unmeasured,
            "accuracy": record.metrics.accuracy.rate,
            "metrics": record.metrics.model_dump(mode="json"),
            "manifest": m.model_dump(mode="json"),
            "blessed": record.blessed,
            "requests": m.requests,
            "cache_hits": m.cache_hits,
            "tokens_in": int(record.metrics.tokens_in.total),
            "tokens_out": int(record.metrics.tokens_out.total),
            "cost_usd": record.metrics.cost_usd.total,
            "started_at": m.started_at or datetime.now(UTC),
            "finished_at": m.finished_at,
        }
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    session.add_all(
        EvalResult.model_validate(
            {
                "run_id": run.id,
                "case_id": r.case_id,
                "repeat_index": r.repeat_index,
                "status": r.status,
                # One column says why a result has no verdicts; the status says whose failure it was.
                "unmeasured_reason": r.failure_reason if r.model_failed else r.unmeasured_reason,
                "error": r.error,
                "tags": list(r.tags),
                "critical": r.critical,
                "invariance_of": r.invariance_of,
                "verdicts": [c.model_dump(mode="json") for c in r.criteria],
                "expected": {
                    "member": r.expected_member,
                    "tiers": [t.value for t in r.expected_tiers],
                    "verdicts": {c.id: c.expected.value for c in r.criteria},
                },
                "n_correct": r.n_correct,
                "n_criteria": r.n_criteria,
                "member": r.member,
                "tier": r.tier.value if r.tier else None,
                "score": r.score,
                "tokens_in": r.tokens_in,
                "tokens_out": r.tokens_out,
                "tokens_cached": r.tokens_cached,
                "cost_usd": r.cost_usd,
                "latency_ms": r.latency_ms,
            }
        )
        for r in record.results
    )
    session.commit()
    return run.id


def load_run(session: Session, run_id: int) -> RunRecord:
    """A stored run with all its results.

    Raises:
        NotFoundError: no run with that id.
    """
    from icp.evals.results import RunManifest

    run = session.get(EvalRun, run_id)
    if run is None:
        raise NotFoundError(f"No eval run #{run_id}. List runs with `icp evals runs`.")
    rows = session.exec(
        select(EvalResult)
        .where(EvalResult.run_id == run_id)
        .order_by(col(EvalResult.case_id), col(EvalResult.repeat_index))
    ).all()
    results = tuple(
        CaseResult.model_validate(
            {
                "case_id": row.case_id,
                "repeat_index": row.repeat_index,
                "status": row.status,
                "unmeasured_reason": None if row.status == "model_failure" else row.unmeasured_reason,
                "failure_reason": row.unmeasured_reason if row.status == "model_failure" else None,
                "unanswered": row.n_criteria if row.status == "model_failure" else 0,
                "error": row.error,
                "tags": tuple(row.tags),
                "critical": row.critical,
                "invariance_of": row.invariance_of,
                "criteria": tuple(CriterionOutcome.model_validate(v) for v in row.verdicts),
                "expected_member": bool(row.expected.get("member")),
                "expected_tiers": tuple(row.expected.get("tiers") or ()),
                "member": row.member,
                "tier": row.tier,
                "score": row.score,
                "tokens_in": row.tokens_in,
                "tokens_out": row.tokens_out,
                "tokens_cached": row.tokens_cached,
                "cost_usd": row.cost_usd,
                "latency_ms": row.latency_ms,
            }
        )
        for row in rows
    )
    return RunRecord(
        id=run.id,
        status=run.status,
        blessed=run.blessed,
        manifest=RunManifest.model_validate(run.manifest),
        results=results,
        metrics=compute_metrics(results),
    )


def list_runs(session: Session, *, suite: str | None = None, limit: int = 50) -> list[RunSummary]:
    """Stored runs, newest first."""
    stmt = select(EvalRun).order_by(col(EvalRun.id).desc()).limit(limit)
    if suite:
        stmt = stmt.where(EvalRun.suite == suite)
    return [
        RunSummary(
            id=r.id or 0,
            suite=r.suite,
            evaluator=r.evaluator,
            model=r.model,
            prompt_id=r.prompt_id,
            cases=r.cases,
            repeat=r.repeat,
            accuracy=r.accuracy,
            end_to_end_accuracy=_rate(r.metrics.get("end_to_end_accuracy")),
            model_failures=int(r.metrics.get("model_failures") or 0),
            unmeasured=r.unmeasured,
            cost_usd=r.cost_usd,
            blessed=r.blessed,
            git_commit=r.git_commit,
            started_at=r.started_at,
        )
        for r in session.exec(stmt)
    ]


def _rate(stored: object) -> float | None:
    """A rate from a run's stored metrics (runs stored before a metric existed have none)."""
    if not isinstance(stored, dict):
        return None
    hits, total = stored.get("hits") or 0, stored.get("total") or 0
    return hits / total if total else None


def bless_run(session: Session, run_id: int, *, actor: Actor = LOCAL_OPERATOR) -> RunRecord:
    """Mark a run as the baseline for its suite and evaluator (earlier blessings of the pair are lifted)."""
    require(actor, Permission.RUN_EVALS)
    run = session.get(EvalRun, run_id)
    if run is None:
        raise NotFoundError(f"No eval run #{run_id}. List runs with `icp evals runs`.")
    if run.status != "completed":
        raise InputError(f"Eval run #{run_id} is {run.status}; only a completed run can be a baseline.")
    others = session.exec(
        select(EvalRun).where(EvalRun.suite == run.suite, EvalRun.evaluator == run.evaluator, col(EvalRun.blessed))
    ).all()
    for other in others:
        other.blessed = False
        session.add(other)
    run.blessed = True
    run.blessed_at = datetime.now(UTC)
    session.add(run)
    record(
        session,
        actor=actor,
        action="evals.bless",
        object_type="eval_run",
        object_id=run_id,
        summary=f"blessed eval run #{run_id} as the {run.suite}/{run.evaluator} baseline",
        before={"baseline": [o.id for o in others]},
        after={"baseline": [run_id]},
    )
    session.commit()
    return load_run(session, run_id)


def latest_run_id(
    session: Session, *, blessed: bool = False, suite: str | None = None, evaluator: str | None = None
) -> int | None:
    """The newest (blessed) run id, optionally for one suite and evaluator."""
    stmt = select(EvalRun.id).order_by(col(EvalRun.id).desc()).limit(1)
    if blessed:
        stmt = stmt.where(col(EvalRun.blessed))
    if suite:
        stmt = stmt.where(EvalRun.suite == suite)
    if evaluator:
        stmt = stmt.where(EvalRun.evaluator == evaluator)
    return session.exec(stmt).first()


def export_run(record: RunRecord, path: Path) -> Path:
    """Write a run as JSON (the form committed baselines take)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = record.model_copy(update={"id": None}).model_dump_json(indent=1, exclude={"metrics"})
    path.write_text(data + "\n", encoding="utf-8")
    return path


def read_run_file(path: Path) -> RunRecord:
    """Read an exported run (metrics are recomputed from the results, so they can never disagree).

    Raises:
        NotFoundError: the file does not exist.
        InputError: the file is not an exported run.
    """
    if not path.is_file():
        raise NotFoundError(f"No exported eval run at {path}.")
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("metrics", None)
        results = tuple(CaseResult.model_validate(r) for r in data.get("results", ()))
        return RunRecord.model_validate({**data, "results": results, "metrics": compute_metrics(results)})
    except (ValueError, ValidationError) as exc:
        raise InputError(f"{path} is not an exported eval run: {exc}") from exc


def resolve_run(
    session: Session | None, ref: str, *, suite: str | None = None, evaluator: str | None = None
) -> RunRecord:
    """Load a run from a reference: an id, ``latest``, ``blessed`` or a JSON file path."""
    text = ref.strip()
    if text.endswith(".json") or "/" in text:
        return read_run_file(Path(text))
    if session is None:
        raise InputError(f"Run reference {ref!r} needs the database; pass a file path instead.")
    if text in ("latest", "blessed"):
        run_id = latest_run_id(session, blessed=text == "blessed", suite=suite, evaluator=evaluator)
        if run_id is None:
            what = "blessed run" if text == "blessed" else "run"
            scope = f" for suite {suite!r}" if suite else ""
            raise NotFoundError(f"No {what}{scope} in the database yet. Run `icp evals run` (and `bless` it) first.")
        return load_run(session, run_id)
    if not text.lstrip("#").isdigit():
        raise InputError(f"Run reference {ref!r} is not a run id, 'latest', 'blessed' or a path to a .json file.")
    return load_run(session, int(text.lstrip("#")))
