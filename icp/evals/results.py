"""What an eval run produces: one :class:`CaseResult` per (case, repeat) and the run's manifest.

Plain pydantic, no database: a :class:`RunRecord` is the portable form of a run (exported to JSON
for committed baselines, rebuilt from ``EvalRun``/``EvalResult`` rows for stored runs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from icp.domain import Tier, Verdict

ResultStatus = Literal["ok", "model_failure", "unmeasured"]
"""``ok``: graded and compared with the labels. ``model_failure``: the model answered but its answer
could not be used (unusable, refused, cut off): wrong in end-to-end terms. ``unmeasured``: the endpoint
failed (connection, timeout, HTTP error), which says nothing about the model or the prompt."""
UnmeasuredReason = Literal["error", "refusal", "truncation"]
ModelFailureReason = Literal["unusable_output", "refusal", "truncation"]


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
    failure_reason: ModelFailureReason | None = Field(default=None, description="For a model failure: what failed.")
    unanswered: int = Field(default=0, ge=0, description="Criteria a model failure left without a verdict.")
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

    @model_validator(mode="before")
    @classmethod
    def _legacy_model_failures(cls, data: Any) -> Any:
        """Runs stored before model failures had their own status kept refusals and truncations unmeasured."""
        if (
            isinstance(data, dict)
            and data.get("status") == "unmeasured"
            and data.get("unmeasured_reason") in ("refusal", "truncation")
        ):
            return {**data, "status": "model_failure", "failure_reason": data["unmeasured_reason"],
                    "unmeasured_reason": None}  # fmt: skip
        return data

    @property
    def measured(self) -> bool:
        """Graded and compared with its labels (neither a model failure nor an endpoint failure)."""
        return self.status == "ok"

    @property
    def model_failed(self) -> bool:
        """The model's answer was unusable, a refusal or cut off: every criterion counts as wrong end to end."""
        return self.status == "model_failure"

    @property
    def n_correct(self) -> int:
        """Criteria graded as labelled."""
        return sum(1 for c in self.criteria if c.correct)

    @property
    def n_criteria(self) -> int:
        """Criteria in the case (those a model failure left unanswered included)."""
        return len(self.criteria) + self.unanswered


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
