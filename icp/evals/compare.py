"""Compare a candidate run with a base run, case by case and verdict by verdict.

Verdicts are paired by (case id, criterion id) on the first measured repeat of each case, and only
when both runs graded the same criterion text. A verdict is *fixed* when the base got it wrong and
the candidate right, *broken* for the reverse. A case is broken when any of its verdicts broke,
fixed when some were fixed and none broke. A model failure (unusable, refused or cut-off answer)
counts every criterion of the case as wrong, so a case the base graded and the candidate's model
failed is broken. Cases the endpoint left unmeasured in either run are listed apart, never counted
as broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from icp.evals.metrics import RunMetrics
from icp.evals.results import CaseResult, RunManifest
from icp.evals.runner import RunRecord
from icp.evals.stats import BootstrapResult, McNemarResult, mcnemar, paired_bootstrap

CaseChange = Literal["fixed", "broken", "unchanged", "unmeasured", "added", "removed"]


class VerdictChange(BaseModel):
    """One criterion whose correctness changed between the runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criterion_id: str
    text: str
    expected: str
    base: str
    candidate: str
    change: Literal["fixed", "broken"]


class CaseDiff(BaseModel):
    """How one case changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    change: CaseChange
    critical: bool = False
    tags: tuple[str, ...] = ()
    base_correct: int = 0
    candidate_correct: int = 0
    total: int = 0
    verdicts: tuple[VerdictChange, ...] = ()
    base_tier: str | None = None
    candidate_tier: str | None = None
    note: str = ""


class Comparison(BaseModel):
    """A paired comparison of two runs."""

    model_config = ConfigDict(extra="forbid")

    base_label: str
    candidate_label: str
    base_manifest: RunManifest
    candidate_manifest: RunManifest
    base_metrics: RunMetrics
    candidate_metrics: RunMetrics
    same_dataset: bool
    cases: tuple[CaseDiff, ...]
    verdicts_fixed: int = 0
    verdicts_broken: int = 0
    verdicts_unchanged: int = 0
    verdicts_paired: int = 0
    base_accuracy: float | None = Field(default=None, description="On the paired verdicts.")
    candidate_accuracy: float | None = None
    mcnemar: McNemarResult
    bootstrap: BootstrapResult
    cost_per_case_delta_usd: float = 0.0
    cost_change_ratio: float | None = Field(default=None, description="Relative change of mean cost per case.")
    latency_p50_delta_ms: float = 0.0
    latency_mean_delta_ms: float = 0.0
    tokens_per_case_delta: float = 0.0

    def by_change(self, change: CaseChange) -> list[CaseDiff]:
        """Cases with one kind of change."""
        return [c for c in self.cases if c.change == change]

    @property
    def critical_broken(self) -> list[CaseDiff]:
        """Broken cases tagged critical."""
        return [c for c in self.cases if c.change == "broken" and c.critical]


def _first_measured(results: Sequence[CaseResult]) -> dict[str, CaseResult]:
    """Per case, the first repeat with an answer (graded or a model failure), else the first repeat."""
    chosen: dict[str, CaseResult] = {}
    seen: dict[str, CaseResult] = {}
    for r in sorted(results, key=lambda r: (r.case_id, r.repeat_index)):
        seen.setdefault(r.case_id, r)
        if (r.measured or r.model_failed) and r.case_id not in chosen:
            chosen[r.case_id] = r
    return {case_id: chosen.get(case_id, first) for case_id, first in seen.items()}


def _answered(r: CaseResult) -> bool:
    return r.measured or r.model_failed


class _Pair(BaseModel):
    criterion_id: str
    text: str
    expected: str
    base: str
    candidate: str
    base_correct: bool
    candidate_correct: bool


def _failed_as(r: CaseResult) -> str:
    return f"model failure ({r.failure_reason or 'unusable_output'})"


def _paired_outcomes(b: CaseResult, c: CaseResult) -> list[_Pair]:
    """Criteria graded in both runs (same id and text); a model failure's criteria count as wrong."""
    if b.model_failed and c.model_failed:
        return []
    if c.model_failed or b.model_failed:
        graded, failed = (b, c) if c.model_failed else (c, b)
        pairs = []
        for o in graded.criteria:
            graded_side, failed_side = (o.actual.value, o.correct), (_failed_as(failed), False)
            (base, base_ok), (cand, cand_ok) = (
                (graded_side, failed_side) if c.model_failed else (failed_side, graded_side)
            )
            pairs.append(
                _Pair(
                    criterion_id=o.id,
                    text=o.text,
                    expected=o.expected.value,
                    base=base,
                    candidate=cand,
                    base_correct=base_ok,
                    candidate_correct=cand_ok,
                )  # fmt: skip
            )
        return pairs
    base_outcomes = {o.id: o for o in b.criteria}
    pairs = []
    for outcome in c.criteria:
        other = base_outcomes.get(outcome.id)
        if other is None or other.text != outcome.text:
            continue
        pairs.append(
            _Pair(
                criterion_id=outcome.id,
                text=outcome.text,
                expected=outcome.expected.value,
                base=other.actual.value,
                candidate=outcome.actual.value,
                base_correct=other.correct,
                candidate_correct=outcome.correct,
            )  # fmt: skip
        )
    return pairs


def _failure_note(b: CaseResult, c: CaseResult) -> str:
    sides = [f"{name}: {_failed_as(r)}" for name, r in (("base", b), ("candidate", c)) if r.model_failed]
    return "; ".join(sides)


def compare_runs(base: RunRecord, candidate: RunRecord, *, seed: int = 0, resamples: int = 2000) -> Comparison:
    """Pair the two runs' results and test whether the candidate is better, worse or the same."""
    base_by_case = _first_measured(base.results)
    cand_by_case = _first_measured(candidate.results)
    diffs: list[CaseDiff] = []
    fixed = broken = unchanged = 0
    paired: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for case_id in sorted(set(base_by_case) | set(cand_by_case)):
        b, c = base_by_case.get(case_id), cand_by_case.get(case_id)
        if b is None or c is None:
            present = c or b
            assert present is not None
            diffs.append(
                CaseDiff(
                    case_id=case_id,
                    change="added" if b is None else "removed",
                    critical=present.critical,
                    tags=present.tags,
                )
            )
            continue
        if not (_answered(b) and _answered(c)):
            side = " and ".join(n for n, r in (("base", b), ("candidate", c)) if not _answered(r))
            reason = (c if not _answered(c) else b).unmeasured_reason or "error"
            diffs.append(
                CaseDiff(
                    case_id=case_id,
                    change="unmeasured",
                    critical=c.critical,
                    tags=c.tags,
                    note=f"unmeasured in {side} ({reason})",
                )
            )
            continue
        changes: list[VerdictChange] = []
        b_correct = c_correct = total = 0
        for pair in _paired_outcomes(b, c):
            total += 1
            b_correct += int(pair.base_correct)
            c_correct += int(pair.candidate_correct)
            if pair.base_correct and not pair.candidate_correct:
                broken += 1
                kind: Literal["fixed", "broken"] | None = "broken"
            elif pair.candidate_correct and not pair.base_correct:
                fixed += 1
                kind = "fixed"
            else:
                unchanged += 1
                kind = None
            if kind is not None:
                changes.append(
                    VerdictChange(
                        criterion_id=pair.criterion_id,
                        text=pair.text,
                        expected=pair.expected,
                        base=pair.base,
                        candidate=pair.candidate,
                        change=kind,
                    )
                )
        paired.append(((b_correct, total), (c_correct, total)))
        change: CaseChange = (
            "broken"
            if any(v.change == "broken" for v in changes)
            else "fixed"
            if changes
            else "unchanged"
        )  # fmt: skip
        diffs.append(
            CaseDiff(
                case_id=case_id,
                change=change,
                critical=c.critical,
                tags=c.tags,
                base_correct=b_correct,
                candidate_correct=c_correct,
                total=total,
                verdicts=tuple(changes),
                base_tier=b.tier.value if b.tier else None,
                candidate_tier=c.tier.value if c.tier else None,
                note=_failure_note(b, c),
            )
        )
    n_paired = sum(t for (_, t), _ in paired)
    base_acc = sum(bc for (bc, _), _ in paired) / n_paired if n_paired else None
    cand_acc = sum(cc for _, (cc, _) in paired) / n_paired if n_paired else None
    bm, cm = base.metrics, candidate.metrics
    base_cost, cand_cost = bm.cost_usd.mean, cm.cost_usd.mean
    return Comparison(
        base_label=base.label,
        candidate_label=candidate.label,
        base_manifest=base.manifest,
        candidate_manifest=candidate.manifest,
        base_metrics=bm,
        candidate_metrics=cm,
        same_dataset=base.manifest.dataset_hash == candidate.manifest.dataset_hash,
        cases=tuple(diffs),
        verdicts_fixed=fixed,
        verdicts_broken=broken,
        verdicts_unchanged=unchanged,
        verdicts_paired=n_paired,
        base_accuracy=base_acc,
        candidate_accuracy=cand_acc,
        mcnemar=mcnemar(broken, fixed),
        bootstrap=paired_bootstrap([p[0] for p in paired], [p[1] for p in paired], seed=seed, resamples=resamples),
        cost_per_case_delta_usd=round(cand_cost - base_cost, 10),
        cost_change_ratio=(cand_cost - base_cost) / base_cost if base_cost > 0 else None,
        latency_p50_delta_ms=round(cm.latency_ms.p50 - bm.latency_ms.p50, 3),
        latency_mean_delta_ms=round(cm.latency_ms.mean - bm.latency_ms.mean, 3),
        tokens_per_case_delta=round(
            (cm.tokens_in.mean + cm.tokens_out.mean) - (bm.tokens_in.mean + bm.tokens_out.mean), 3
        ),
    )
