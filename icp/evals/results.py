"""What an eval run produces: one :class:`CaseResult` per (case, repeat) and the run's manifest.

Plain pydantic, no database: a :class:`RunRecord` is the portable form of a run (exported to JSON
for committed baselines, rebuilt from ``EvalRun``/``EvalResult`` rows for stored runs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from icp.domain import Tier, Verdict

ResultStatus = Literal["ok", "unmeasured"]
UnmeasuredReason = Literal["error", "refusal", "truncation"]


class CriterionOutcome(BaseModel):
    """One criterion of one case: what was expected, what the evaluator said, and its evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str = Field(description="'requirement' or 'nice_to_have'.")
    text: str
    expected: Verdict
    actual: Verdict
    evidence: str = ""
    grounded: bool | None = Field(
        default=None, description="For met/not_met: whether the evidence occurs in the company's data."
    )
    source: str = "none"

    @property
    def correct(self) -> bool:
        """The evaluator agreed with the label."""
        return self.expected is self.actual


class CaseResult(BaseModel):
    """One case graded once (``repeat_index`` tells which repetition)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    repeat_index: int = 0
    status: ResultStatus = "ok"
    unmeasured_reason: UnmeasuredReason | None = None
    error: str | None = None
    tags: tuple[str, ...] = ()
    critical: bool = False
    invariance_of: str | None = None
    criteria: tuple[CriterionOutcome, ...] = ()
    expected_member: bool
    member: bool | None = None
    expected_tiers: tuple[Tier, ...]
    tier: Tier | None = None
    score: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0

    @property
    def measured(self) -> bool:
        """Errors, refusals and truncations are unmeasured: never counted as wrong answers."""
        return self.status == "ok"

    @property
    def n_correct(self) -> int:
        """Criteria graded as labelled."""
        return sum(1 for c in self.criteria if c.correct)

    @property
    def n_criteria(self) -> int:
        """Criteria in the case."""
        return len(self.criteria)


class RunManifest(BaseModel):
    """Everything that identifies what a run measured, so two runs can be compared honestly."""

    model_config = ConfigDict(extra="forbid")

    suite: str
    dataset_hash: str
    evaluator: str
    model: str | None = None
    prompt_id: str | None = None
    prompt_hash: str | None = None
    git_commit: str | None = None
    package_version: str | None = None
    repeat: int = 1
    concurrency: int = 1
    cases: int = 0
    requests: int = Field(default=0, description="Provider requests made (cache misses).")
    cache_hits: int = Field(default=0, description="Provider responses served from the response cache.")
    started_at: datetime | None = None
    finished_at: datetime | None = None
