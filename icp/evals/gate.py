"""The release gate: does a candidate run regress against the blessed baseline under a policy file?

Exit codes (``icp evals gate``): 0 pass, 1 regression, 2 infrastructure error (the gate could not
judge: a run or the policy could not be loaded, or too much of the candidate went unmeasured).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from icp.errors import ConfigError
from icp.evals.compare import Comparison

EXIT_PASS = 0
EXIT_REGRESSION = 1
EXIT_INFRASTRUCTURE = 2


class GatePolicy(BaseModel):
    """What counts as a regression. Load it from YAML (``evals/gate.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    critical_tags: tuple[str, ...] = Field(default=("critical",), description="A broken case with one of these fails.")
    alpha: float = Field(default=0.05, gt=0, lt=1, description="Significance level for McNemar's test.")
    max_accuracy_drop: float | None = Field(
        default=0.05, ge=0, le=1, description="Fail on a drop larger than this even when not significant."
    )
    grounding_floor: float | None = Field(default=0.9, ge=0, le=1, description="Minimum evidence grounding rate.")
    max_cost_increase: float | None = Field(
        default=0.25, ge=0, description="Maximum relative increase of the mean cost per case (0.25 = +25%)."
    )
    max_broken_cases: int | None = Field(default=None, ge=0, description="Maximum broken cases of any tag.")
    max_invariance_violations: int | None = Field(default=None, ge=0)
    max_unmeasured_rate: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Above this share of results the endpoint failed (connection, timeout, HTTP error), the gate "
        "cannot judge (exit 2).",
    )
    max_model_failure_rate: float | None = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Fail (exit 1) when more than this share of results are model failures (unusable output, "
        "refusals, truncation).",
    )


def load_policy(path: Path) -> GatePolicy:
    """Read a gate policy file.

    Raises:
        ConfigError: the file is missing or invalid.
    """
    if not path.is_file():
        raise ConfigError(f"No gate policy at {path}; create one (see evals/gate.yaml) or pass --policy.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return GatePolicy.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: invalid gate policy: {exc}") from exc


class GateResult(BaseModel):
    """The gate's decision with every reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exit_code: int
    regressions: tuple[str, ...] = ()
    infrastructure: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when nothing regressed and the gate could judge."""
        return self.exit_code == EXIT_PASS


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason.replace('_', ' ')} x{n}" for reason, n in sorted(counts.items())) or "no reason given"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def evaluate_gate(comparison: Comparison, policy: GatePolicy) -> GateResult:
    """Apply ``policy`` to a comparison of the candidate with its baseline."""
    cm = comparison.candidate_metrics
    infrastructure: list[str] = []
    regressions: list[str] = []
    notes: list[str] = []
    if cm.results == 0:
        infrastructure.append("the candidate run has no results")
    elif cm.unmeasured / cm.results > policy.max_unmeasured_rate:
        infrastructure.append(
            f"{cm.unmeasured} of {cm.results} results were unmeasured (the endpoint failed: "
            f"{_reasons(cm.unmeasured_by_reason)}), above the policy's {policy.max_unmeasured_rate:.0%}: fix the "
            "endpoint or recordings and run again"
        )
    if infrastructure:
        return GateResult(exit_code=EXIT_INFRASTRUCTURE, infrastructure=tuple(infrastructure))

    if not comparison.same_dataset:
        notes.append("the runs used different datasets; only cases present in both were paired")
    broken = comparison.by_change("broken")
    critical = [c for c in broken if set(c.tags) & set(policy.critical_tags)]
    for case in critical:
        what = ", ".join(f"{v.criterion_id} {v.base}->{v.candidate} (expected {v.expected})" for v in case.verdicts)
        regressions.append(f"critical case {case.case_id} broke: {what}")
    if policy.max_broken_cases is not None and len(broken) > policy.max_broken_cases:
        regressions.append(f"{len(broken)} cases broke; the policy allows {policy.max_broken_cases}")
    base_acc, cand_acc = comparison.base_accuracy, comparison.candidate_accuracy
    if base_acc is not None and cand_acc is not None and cand_acc < base_acc:
        drop = base_acc - cand_acc
        p = comparison.mcnemar.p_value
        if p < policy.alpha:
            regressions.append(
                f"verdict accuracy dropped {drop:.1%} ({base_acc:.1%} -> {cand_acc:.1%}); McNemar p={p:.4f} < "
                f"alpha {policy.alpha}"
            )
        elif policy.max_accuracy_drop is not None and drop > policy.max_accuracy_drop:
            regressions.append(
                f"verdict accuracy dropped {drop:.1%}, more than the policy's {policy.max_accuracy_drop:.1%}"
            )
    failure_rate = cm.model_failures / cm.results
    if policy.max_model_failure_rate is not None and failure_rate > policy.max_model_failure_rate:
        regressions.append(
            f"{cm.model_failures} of {cm.results} results were model failures ({_reasons(cm.model_failures_by_reason)})"
            f", above the policy's {policy.max_model_failure_rate:.0%}; end-to-end accuracy "
            f"{_pct(cm.end_to_end_accuracy.rate)} against {_pct(cm.accuracy.rate)} over measured cases"
        )
    grounding = cm.grounding.rate
    if policy.grounding_floor is not None and grounding is not None and grounding < policy.grounding_floor:
        regressions.append(f"evidence grounding {grounding:.1%} is below the floor {policy.grounding_floor:.0%}")
    ratio = comparison.cost_change_ratio
    if policy.max_cost_increase is not None and ratio is not None and ratio > policy.max_cost_increase:
        regressions.append(f"mean cost per case rose {ratio:.0%}, above the policy's {policy.max_cost_increase:.0%}")
    violations = len(cm.invariance_violations)
    if policy.max_invariance_violations is not None and violations > policy.max_invariance_violations:
        regressions.append(f"{violations} invariance violations; the policy allows {policy.max_invariance_violations}")
    if broken and not critical:
        notes.append(f"{len(broken)} non-critical case(s) broke: {', '.join(c.case_id for c in broken[:20])}")
    return GateResult(
        exit_code=EXIT_REGRESSION if regressions else EXIT_PASS, regressions=tuple(regressions), notes=tuple(notes)
    )
