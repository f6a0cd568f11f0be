"""The arithmetic of lift, with honest intervals. Pure: numbers in, numbers out.

- **Win rate** of a group: won / closed deals, with a Wilson score interval (good at small counts and at
  rates near 0 or 1, where the normal approximation lies).
- **Lift**: a group's win rate over the rate of the deals outside it (a risk ratio), with the Katz
  log interval; and over the overall win rate, for the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

Z95 = 1.959963984540054  # two-sided 95%


class Interval(NamedTuple):
    """A point estimate and its 95% interval."""

    value: float
    low: float
    high: float


def wilson_interval(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """Win rate with its Wilson score interval; None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def risk_ratio(won_a: int, closed_a: int, won_b: int, closed_b: int, z: float = Z95) -> Interval | None:
    """How many times as often group A won as group B, with the Katz log interval.

    Zero counts get the usual 0.5 continuity correction, so a group that never won still has a (wide)
    interval instead of an infinite one. None when either group has no closed deals.
    """
    if closed_a <= 0 or closed_b <= 0:
        return None
    a, b = float(won_a), float(won_b)
    n1, n2 = float(closed_a), float(closed_b)
    if won_a == 0 or won_b == 0 or won_a == closed_a or won_b == closed_b:
        a, b, n1, n2 = a + 0.5, b + 0.5, n1 + 1.0, n2 + 1.0
    ratio = (a / n1) / (b / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return Interval(
        (won_a / closed_a) / (won_b / closed_b) if won_b else ratio,
        math.exp(math.log(ratio) - z * se),
        math.exp(math.log(ratio) + z * se),
    )


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the middle two); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
