"""Paired statistics for comparing two runs on the same cases. Pure Python (no scipy).

- :func:`mcnemar`: McNemar's test on paired correctness. ``broken`` counts items right in the base
  and wrong in the candidate, ``fixed`` the reverse; only these discordant pairs carry information.
  Below ``exact_below`` discordant pairs the exact two-sided binomial test is used (the chi-square
  approximation is poor for small counts); above it, chi-square with continuity correction.
- :func:`paired_bootstrap`: a seeded percentile bootstrap interval for the accuracy difference,
  resampling whole cases (criteria of one case are not independent).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict


class McNemarResult(BaseModel):
    """The outcome of McNemar's test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broken: int
    fixed: int
    statistic: float | None
    p_value: float
    method: Literal["exact", "chi2", "none"]


class BootstrapResult(BaseModel):
    """Accuracy difference (candidate - base) with a percentile interval."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delta: float
    low: float
    high: float
    confidence: float
    resamples: int
    seed: int


def binomial_two_sided_p(k: int, n: int) -> float:
    """Exact two-sided p-value of ``k`` successes in ``n`` fair coin flips (doubling the smaller tail)."""
    if n == 0:
        return 1.0
    smaller = min(k, n - k)
    tail: float = sum(math.comb(n, i) for i in range(smaller + 1)) / float(2**n)
    return min(1.0, 2.0 * tail)


def chi2_sf_1df(statistic: float) -> float:
    """Survival function of the chi-square distribution with one degree of freedom."""
    if statistic <= 0:
        return 1.0
    return float(math.erfc(math.sqrt(statistic / 2.0)))


def mcnemar(broken: int, fixed: int, *, exact_below: int = 25) -> McNemarResult:
    """McNemar's test: is the candidate's error pattern different from the base's?"""
    if broken < 0 or fixed < 0:
        raise ValueError("discordant counts cannot be negative")
    n = broken + fixed
    if n == 0:
        return McNemarResult(broken=broken, fixed=fixed, statistic=None, p_value=1.0, method="none")
    if n < exact_below:
        return McNemarResult(
            broken=broken, fixed=fixed, statistic=None, p_value=binomial_two_sided_p(broken, n), method="exact"
        )
    statistic = (abs(broken - fixed) - 1) ** 2 / n
    return McNemarResult(broken=broken, fixed=fixed, statistic=statistic, p_value=chi2_sf_1df(statistic), method="chi2")


def paired_bootstrap(
    base: Sequence[tuple[int, int]],
    candidate: Sequence[tuple[int, int]],
    *,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapResult:
    """Percentile interval for accuracy(candidate) - accuracy(base) over paired cases.

    Args:
        base: per case, (correct verdicts, total verdicts) in the base run.
        candidate: the same cases, in the same order, in the candidate run.
        resamples: bootstrap resamples.
        confidence: interval coverage, e.g. 0.95.
        seed: the random seed; the same inputs and seed give the same interval.
    """
    if len(base) != len(candidate):
        raise ValueError(f"paired samples differ in length: {len(base)} vs {len(candidate)}")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    delta = _delta(base, candidate, range(len(base)))
    if not base:
        return BootstrapResult(delta=0.0, low=0.0, high=0.0, confidence=confidence, resamples=0, seed=seed)
    rng = random.Random(seed)
    n = len(base)
    deltas = sorted(_delta(base, candidate, [rng.randrange(n) for _ in range(n)]) for _ in range(resamples))
    alpha = (1 - confidence) / 2
    low = deltas[max(0, math.floor(alpha * resamples))]
    high = deltas[min(resamples - 1, math.ceil((1 - alpha) * resamples) - 1)]
    return BootstrapResult(
        delta=round(delta, 12),
        low=round(low, 12),
        high=round(high, 12),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def _delta(base: Sequence[tuple[int, int]], candidate: Sequence[tuple[int, int]], indices: Sequence[int]) -> float:
    base_total = sum(base[i][1] for i in indices)
    cand_total = sum(candidate[i][1] for i in indices)
    base_acc = sum(base[i][0] for i in indices) / base_total if base_total else 0.0
    cand_acc = sum(candidate[i][0] for i in indices) / cand_total if cand_total else 0.0
    return cand_acc - base_acc
