"""Metrics of one run, from its case results. Pure functions over pydantic values: no I/O.

- verdict accuracy overall, per expected verdict and per tag, with a confusion matrix that includes
  ``unknown``;
- membership precision and recall (a member is a company in tier T1–T3);
- tier agreement (the tier falls in the labelled band);
- evidence grounding rate (met/not_met verdicts whose evidence occurs in the company's data);
- invariance violations (variants that must grade identically, matched by criterion text);
- stability across repeats (agreement rate, flaky cases);
- model failures (unusable output, refusals, truncation) in their own column, and an *end-to-end*
  accuracy where every criterion of a model failure counts as wrong, beside the accuracy over
  measured cases;
- tokens, cost and latency per case, over every result (a failed attempt spent them too).

Unmeasured results (the endpoint failed: connection, timeout, HTTP error) are counted as such and
left out of every quality metric: a provider outage is not a wrong answer.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from icp.domain import Verdict
from icp.evals.results import CaseResult

VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)


class Rate(BaseModel):
    """``hits`` out of ``total``; ``rate`` is None when nothing was counted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hits: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """hits / total, or None for an empty denominator."""
        return self.hits / self.total if self.total else None


class MembershipMetrics(BaseModel):
    """Membership as a binary classification (positive = member of the segment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float | None:
        """Of the companies called members, the share that truly are."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """Of the true members, the share called members."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


class InvarianceViolation(BaseModel):
    """A variant graded differently from the case it must agree with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str
    base_case_id: str
    repeat_index: int = 0
    criterion: str = Field(description="The criterion text (kind:text) whose verdict differs.")
    case_verdict: str
    base_verdict: str


class Stability(BaseModel):
    """Agreement of verdicts across repeats of the same case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repeats: int = 1
    compared: int = Field(default=0, description="(case, criterion) pairs with at least two measured repeats.")
    agreeing: int = 0
    flaky_cases: tuple[str, ...] = ()

    @property
    def agreement_rate(self) -> float | None:
        """Share of compared criteria with the same verdict in every repeat."""
        return self.agreeing / self.compared if self.compared else None


class Distribution(BaseModel):
    """Mean and percentiles of a per-case quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    total: float = 0.0
    mean: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    max: float = 0.0


class RunMetrics(BaseModel):
    """Everything measured in one run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cases: int = Field(default=0, description="Distinct cases.")
    results: int = Field(default=0, description="Case results (cases x repeats).")
    measured: int = 0
    model_failures: int = Field(default=0, description="Results whose answer was unusable, refused or cut off.")
    model_failures_by_reason: dict[str, int] = Field(default_factory=dict)
    unmeasured: int = Field(default=0, description="Results the endpoint failed (connection, timeout, HTTP error).")
    unmeasured_by_reason: dict[str, int] = Field(default_factory=dict)
    accuracy: Rate = Field(default_factory=Rate, description="Correct verdicts over measured verdicts.")
    end_to_end_accuracy: Rate = Field(
        default_factory=Rate,
        description="Correct verdicts over measured verdicts plus the criteria of model failures (counted wrong).",
    )
    accuracy_by_expected: dict[str, Rate] = Field(default_factory=dict)
    accuracy_by_tag: dict[str, Rate] = Field(default_factory=dict)
    exact_cases: Rate = Field(default_factory=Rate, description="Measured results with every verdict right.")
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict, description="expected -> actual -> count.")
    membership: MembershipMetrics = Field(default_factory=MembershipMetrics)
    tier_agreement: Rate = Field(default_factory=Rate)
    grounding: Rate = Field(default_factory=Rate, description="Grounded evidence over met/not_met verdicts.")
    invariance_checked: int = 0
    invariance_violations: tuple[InvarianceViolation, ...] = ()
    stability: Stability = Field(default_factory=Stability)
    tokens_in: Distribution = Field(default_factory=Distribution)
    tokens_out: Distribution = Field(default_factory=Distribution)
    cost_usd: Distribution = Field(default_factory=Distribution)
    latency_ms: Distribution = Field(default_factory=Distribution)
    wrong_cases: tuple[str, ...] = Field(default=(), description="Cases with at least one wrong verdict (any repeat).")

    @property
    def failed(self) -> int:
        """Results without a usable grade: model failures plus unmeasured ones."""
        return self.model_failures + self.unmeasured

    @property
    def failed_share(self) -> float:
        """Share of results without a usable grade (0 for an empty run)."""
        return self.failed / self.results if self.results else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of ``values``; 0 for an empty list."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def distribution(values: Sequence[float]) -> Distribution:
    """Total, mean, p50, p95 and max of ``values``."""
    if not values:
        return Distribution()
    total = float(sum(values))
    return Distribution(
        total=round(total, 10),
        mean=round(total / len(values), 10),
        p50=round(percentile(values, 50), 10),
        p95=round(percentile(values, 95), 10),
        max=float(max(values)),
    )


def compute_metrics(results: Iterable[CaseResult]) -> RunMetrics:
    """All metrics of a run from its case results."""
    rows = list(results)
    measured = [r for r in rows if r.measured]
    confusion: dict[str, dict[str, int]] = {e: {a: 0 for a in VERDICTS} for e in VERDICTS}
    by_expected: dict[str, list[int]] = {v: [0, 0] for v in VERDICTS}
    by_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    correct = total = grounded = decided = exact = 0
    membership = Counter[str]()
    tier_hits = tier_total = 0
    wrong: set[str] = set()
    for result in measured:
        for outcome in result.criteria:
            confusion[outcome.expected.value][outcome.actual.value] += 1
            hit = int(outcome.correct)
            correct += hit
            total += 1
            by_expected[outcome.expected.value][0] += hit
            by_expected[outcome.expected.value][1] += 1
            for tag in result.tags:
                by_tag[tag][0] += hit
                by_tag[tag][1] += 1
            if outcome.actual is not Verdict.UNKNOWN:
                decided += 1
                grounded += int(bool(outcome.grounded))
        if result.n_correct == result.n_criteria:
            exact += 1
        else:
            wrong.add(result.case_id)
        if result.member is not None:
            key = ("t" if result.member == result.expected_member else "f") + ("p" if result.member else "n")
            membership[key] += 1
        if result.tier is not None:
            tier_total += 1
            tier_hits += int(result.tier in result.expected_tiers)

    violations, checked = _invariance(measured)
    failures = [r for r in rows if r.model_failed]
    unmeasured = [r for r in rows if not r.measured and not r.model_failed]
    return RunMetrics(
        cases=len({r.case_id for r in rows}),
        results=len(rows),
        measured=len(measured),
        model_failures=len(failures),
        model_failures_by_reason=dict(Counter(r.failure_reason or "unusable_output" for r in failures)),
        unmeasured=len(unmeasured),
        unmeasured_by_reason=dict(Counter(r.unmeasured_reason or "error" for r in unmeasured)),
        accuracy=Rate(hits=correct, total=total),
        end_to_end_accuracy=Rate(hits=correct, total=total + sum(r.n_criteria for r in failures)),
        accuracy_by_expected={v: Rate(hits=h, total=t) for v, (h, t) in by_expected.items()},
        accuracy_by_tag={tag: Rate(hits=h, total=t) for tag, (h, t) in sorted(by_tag.items())},
        exact_cases=Rate(hits=exact, total=len(measured)),
        confusion=confusion,
        membership=MembershipMetrics(
            tp=membership["tp"], fp=membership["fp"], fn=membership["fn"], tn=membership["tn"]
        ),
        tier_agreement=Rate(hits=tier_hits, total=tier_total),
        grounding=Rate(hits=grounded, total=decided),
        invariance_checked=checked,
        invariance_violations=tuple(violations),
        stability=_stability(rows),
        tokens_in=distribution([float(r.tokens_in) for r in rows]),
        tokens_out=distribution([float(r.tokens_out) for r in rows]),
        cost_usd=distribution([r.cost_usd for r in rows]),
        latency_ms=distribution([r.latency_ms for r in rows]),
        wrong_cases=tuple(sorted(wrong)),
    )


def _by_text(result: CaseResult) -> dict[str, str]:
    return {f"{c.kind}:{' '.join(c.text.lower().split())}": c.actual.value for c in result.criteria}


def _invariance(measured: Sequence[CaseResult]) -> tuple[list[InvarianceViolation], int]:
    """Compare each variant with its base case, repeat by repeat, criterion by criterion (matched by text)."""
    index = {(r.case_id, r.repeat_index): r for r in measured}
    violations: list[InvarianceViolation] = []
    checked = 0
    for result in measured:
        if result.invariance_of is None:
            continue
        base = index.get((result.invariance_of, result.repeat_index))
        if base is None:
            continue
        checked += 1
        mine, theirs = _by_text(result), _by_text(base)
        for key in sorted(set(mine) & set(theirs)):
            if mine[key] != theirs[key]:
                violations.append(
                    InvarianceViolation(
                        case_id=result.case_id,
                        base_case_id=base.case_id,
                        repeat_index=result.repeat_index,
                        criterion=key,
                        case_verdict=mine[key],
                        base_verdict=theirs[key],
                    )
                )
    return violations, checked


def _stability(rows: Sequence[CaseResult]) -> Stability:
    per_case: dict[str, list[CaseResult]] = defaultdict(list)
    for r in rows:
        if r.measured:
            per_case[r.case_id].append(r)
    repeats = max((r.repeat_index for r in rows), default=0) + 1
    compared = agreeing = 0
    flaky: list[str] = []
    for case_id, results in sorted(per_case.items()):
        if len(results) < 2:
            continue
        verdicts: dict[str, set[str]] = defaultdict(set)
        for r in results:
            for c in r.criteria:
                verdicts[c.id].add(c.actual.value)
        case_flaky = False
        for seen in verdicts.values():
            compared += 1
            if len(seen) == 1:
                agreeing += 1
            else:
                case_flaky = True
        if case_flaky:
            flaky.append(case_id)
    return Stability(repeats=repeats, compared=compared, agreeing=agreeing, flaky_cases=tuple(flaky))
