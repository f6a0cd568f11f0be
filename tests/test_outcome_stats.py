"""Interval and lift arithmetic against hand-computed values."""

from __future__ import annotations

import math

import pytest

from icp.outcomes._stats import median, risk_ratio, wilson_interval


def test_wilson_interval_matches_the_textbook_values() -> None:
    # 8 of 10: Wilson 95% interval 0.4902–0.9433 (Newcombe 1998, and any statistics package).
    rate = wilson_interval(8, 10)
    assert rate is not None
    assert rate.value == 0.8
    assert rate.low == pytest.approx(0.4902, abs=1e-4) and rate.high == pytest.approx(0.9433, abs=1e-4)
    zero = wilson_interval(0, 20)
    assert zero is not None and zero.low == 0.0 and zero.high == pytest.approx(0.1611, abs=1e-4)
    assert wilson_interval(0, 0) is None


def test_risk_ratio_uses_the_katz_log_interval() -> None:
    # 30/50 won against 20/100: RR 3.0; ln(3) ± 1.96 * sqrt(1/30 - 1/50 + 1/20 - 1/100).
    found = risk_ratio(30, 50, 20, 100)
    assert found is not None
    se = math.sqrt(1 / 30 - 1 / 50 + 1 / 20 - 1 / 100)
    assert found.value == pytest.approx(3.0)
    assert found.low == pytest.approx(3.0 * math.exp(-1.959964 * se), rel=1e-5)
    assert found.high == pytest.approx(3.0 * math.exp(1.959964 * se), rel=1e-5)
    assert found.low == pytest.approx(1.9079, abs=1e-3) and found.high == pytest.approx(4.7173, abs=1e-3)


def test_risk_ratio_stays_finite_when_a_group_never_won() -> None:
    found = risk_ratio(0, 12, 10, 40)
    assert found is not None and found.value == 0.0
    assert 0 < found.low < found.high < math.inf
    assert risk_ratio(1, 0, 1, 10) is None


def test_median() -> None:
    assert median([]) is None
    assert median([5.0]) == 5.0
    assert median([1.0, 9.0, 3.0]) == 3.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
