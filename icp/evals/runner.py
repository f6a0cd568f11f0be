"""Run a suite of golden cases through an evaluator: bounded concurrency, repeats, a manifest.

Every (case, repeat) becomes one :class:`~icp.evals.results.CaseResult`. A grade the model failed
(unusable output, refusal, truncation) is a *model failure*: wrong end to end, kept apart from the
accuracy over measured cases. A grade the endpoint failed (connection, timeout, HTTP error) is
*unmeasured*, never a wrong answer. Tokens and cost are recorded for every attempt, failed ones too.
Scores and tiers come from :func:`icp.scoring.score_grade`, exactly as in a cycle.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import icp
from icp.concurrency import map_unordered
from icp.domain import Grade, GradeFailure, Verdict
from icp.errors import ConfigError
from icp.evals.cache import (
    CachingTransport,
    ResponseCache,
    caching_client,
    read_entries,
    repeat_scope,
    replay_responder,
)
from icp.evals.cases import GoldenCase, Suite
from icp.evals.metrics import RunMetrics, compute_metrics
from icp.evals.results import CaseResult, CriterionOutcome, RunManifest, UnmeasuredReason
from icp.evaluators._grounding import ungrounded_reason
from icp.evaluators.base import Evaluator
from icp.scoring import score_grade
from icp.settings import Settings

logger = logging.getLogger(__name__)

EvaluatorName = Literal["offline", "llm", "hybrid"]
Progress = Callable[[CaseResult, int, int], None]


class RunRecord(BaseModel):
    """A complete run: manifest, every case result and the metrics. The portable (JSON) form of a run."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(default=None, description="Database id, when stored.")
    status: str = "completed"
    blessed: bool = False
    manifest: RunManifest
    results: tuple[CaseResult, ...]
    metrics: RunMetrics

    @property
    def label(self) -> str:
        """How reports name the run: ``#12 offline`` or ``llm grade_company@v2 gpt-4o-mini``."""
        m = self.manifest
        parts = [f"#{self.id}" if self.id is not None else "", m.evaluator, m.prompt_id or "", m.model or ""]
        return " ".join(p for p in parts if p)


def grade_case(evaluator: Evaluator, case: GoldenCase, repeat_index: int = 0) -> CaseResult:
    """Grade one case once and compare it with its labels."""
    with repeat_scope(repeat_index):
        grade = evaluator.grade(case.company, case.compiled)
    return case_result(case, grade, repeat_index)


def case_result(case: GoldenCase, grade: Grade, repeat_index: int = 0) -> CaseResult:
    """The case result for a grade of ``case``."""
    usage = grade.usage
    base = {
        "case_id": case.id,
        "repeat_index": repeat_index,
        "tags": case.tags,
        "critical": case.critical,
        "invariance_of": case.invariance_of,
        "expected_member": case.expected_member,
        "expected_tiers": case.expected_tiers,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "tokens_cached": usage.tokens_cached,
        "cost_usd": usage.cost_usd,
        "latency_ms": usage.latency_ms,
    }
    n_criteria = len(case.compiled.criteria)
    if grade.status != "ok":
        error = grade.error or "the grade failed without a reason"
        failure = grade.failure or _failure_from_text(error)
        if failure == "endpoint":
            return CaseResult.model_validate(
                {**base, "status": "unmeasured", "unmeasured_reason": "error", "error": error}
            )
        return CaseResult.model_validate(
            {**base, "status": "model_failure", "failure_reason": failure, "unanswered": n_criteria, "error": error}
        )
    missing = [c.id for c in case.compiled.criteria if grade.result(c.id) is None]
    if missing or len(grade.results) != n_criteria:
        error = f"the grade has no verdict for {', '.join(missing)}" if missing else "the grade has extra verdicts"
        return CaseResult.model_validate(
            {
                **base,
                "status": "model_failure",
                "failure_reason": "unusable_output",
                "unanswered": n_criteria,
                "error": error,
            }  # fmt: skip
        )
    outcomes = []
    for criterion in case.compiled.criteria:
        got = grade.result(criterion.id)
        assert got is not None  # checked above
        grounded = None if got.verdict is Verdict.UNKNOWN else ungrounded_reason(got.evidence, case.company) is None
        outcomes.append(
            CriterionOutcome(
                id=criterion.id,
                kind=criterion.kind.value,
                text=criterion.text,
                expected=case.expected.verdicts[criterion.id],
                actual=got.verdict,
                evidence=got.evidence,
                grounded=grounded,
                source=got.source,
            )
        )
    breakdown = score_grade(grade.results)
    return CaseResult.model_validate(
        {
            **base,
            "criteria": tuple(outcomes),
            "member": breakdown.tier.is_member,
            "tier": breakdown.tier,
            "score": breakdown.score,
        }
    )


def unmeasured_reason(error: str) -> UnmeasuredReason:
    """Classify a failed grade's message: a refusal, a truncated answer, or any other error."""
    lowered = error.lower()
    if "refused" in lowered or "content filter" in lowered:
        return "refusal"
    if "cut off" in lowered or "finish_reason=length" in lowered or "truncat" in lowered:
        return "truncation"
    return "error"


def _failure_from_text(error: str) -> GradeFailure:
    """For grades that do not say who failed (stored before ``Grade.failure`` existed): read the message."""
    reason = unmeasured_reason(error)
    if reason != "error":
        return reason
    return "unusable_output" if "unusable" in error.lower() else "endpoint"


def run_suite(
    suite: Suite,
    evaluator: Evaluator,
    *,
    repeat: int = 1,
    concurrency: int = 4,
    on_result: Progress | None = None,
    transport: CachingTransport | None = None,
) -> RunRecord:
    """Grade every case ``repeat`` times with at most ``concurrency`` grades in flight.

    Args:
        suite: the validated cases.
        evaluator: offline, llm or hybrid (any :class:`~icp.evaluators.base.Evaluator`).
        repeat: how many times each case is graded (stability across repeats).
        concurrency: grades in flight at once.
        on_result: called after each result with (result, done, total), e.g. to drive a progress bar.
        transport: the caching transport under an LLM client, to record requests made and cache hits.
    """
    if repeat < 1:
        raise ConfigError("--repeat must be at least 1.")
    started = datetime.now(UTC)
    jobs = [(case, index) for index in range(repeat) for case in suite.cases]
    results: list[CaseResult] = []
    total = len(jobs)
    for result in _run_jobs(evaluator, jobs, max(1, concurrency)):
        results.append(result)
        if on_result is not None:
            on_result(result, len(results), total)
    results.sort(key=lambda r: (r.case_id, r.repeat_index))
    identity = evaluator.identity
    cache = transport.cache if transport is not None else None
    manifest = RunManifest(
        suite=suite.name,
        dataset_hash=suite.dataset_hash,
        evaluator=identity.evaluator,
        model=identity.model,
        prompt_id=identity.prompt_id,
        prompt_hash=identity.prompt_hash,
        git_commit=git_commit(),
        package_version=icp.__version__,
        repeat=repeat,
        concurrency=concurrency,
        cases=len(suite.cases),
        requests=transport.requests if transport is not None else 0,
        cache_hits=cache.hits if cache is not None else 0,
        started_at=started,
        finished_at=datetime.now(UTC),
    )
    return RunRecord(manifest=manifest, results=tuple(results), metrics=compute_metrics(results))


def _run_jobs(evaluator: Evaluator, jobs: list[tuple[GoldenCase, int]], concurrency: int) -> Iterator[CaseResult]:
    for _, result in map_unordered(
        lambda job: grade_case(evaluator, job[0], job[1]), jobs, concurrency=concurrency, thread_name_prefix="icp-eval"
    ):
        yield result


def git_commit(cwd: Path | None = None) -> str | None:
    """The checkout's commit (with ``-dirty`` when it has changes), or None outside a git checkout."""
    where = cwd or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head or None


# -- evaluators for evals --------------------------------------------------------------------------


def eval_settings(settings: Settings, *, prompt: str | None = None, model: str | None = None) -> Settings:
    """``settings`` with the prompt and model under test."""
    update: dict[str, object] = {}
    if prompt:
        update["prompt"] = prompt
    if model:
        update["model"] = model
    return settings.model_copy(update=update) if update else settings


def make_eval_evaluator(
    name: EvaluatorName, settings: Settings, *, cache: ResponseCache | None = None
) -> tuple[Evaluator, CachingTransport | None]:
    """The evaluator under test; LLM-backed ones get the response cache in their HTTP layer."""
    if name == "offline":
        from icp.evaluators.offline import OfflineEvaluator

        return OfflineEvaluator(), None
    if name not in ("llm", "hybrid"):
        raise ConfigError(f"Unknown evaluator {name!r}: choose offline, llm or hybrid.")
    from icp.evaluators.llm import LLMEvaluator, make_openai_client
    from icp.prompts import load_prompt

    prompt = load_prompt(settings.prompt, settings.prompts_dir)
    client, transport = caching_client(
        make_openai_client(settings), cache if cache is not None else ResponseCache(), prompt.hash
    )
    llm = LLMEvaluator(client, settings, prompt)
    if name == "llm":
        return llm, transport
    from icp.evaluators.hybrid import HybridEvaluator

    return HybridEvaluator(llm), transport


@contextmanager
def replay_server(recording: Path) -> Iterator[str]:
    """Serve a recording from the local fake OpenAI server; yields its base URL.

    Raises:
        InputError: the recording file is missing or malformed.
    """
    from icp.errors import InputError
    from icp.testing.fake_openai import FakeOpenAI

    if not recording.is_file():
        raise InputError(f"No recording at {recording}. Record one with --cache {recording} against a real endpoint.")
    entries = read_entries(recording)
    models = sorted({e.model for e in entries} | {"gpt-4o-mini"})
    with FakeOpenAI(responder=replay_responder(entries), models=models) as fake:
        yield fake.base_url


__all__ = [
    "RunRecord",
    "case_result",
    "eval_settings",
    "git_commit",
    "grade_case",
    "make_eval_evaluator",
    "replay_server",
    "run_suite",
    "unmeasured_reason",
]
