"""McNemar's test and the paired bootstrap on inputs with known answers."""

from __future__ import annotations

import math

import pytest

from icp.evals.stats import binomial_two_sided_p, chi2_sf_1df, mcnemar, paired_bootstrap


def test_mcnemar_exact_matches_binomial_by_hand() -> None:
    # 1 broken vs 9 fixed: p = 2 * (C(10,0) + C(10,1)) / 2**10 = 22/1024.
    result = mcnemar(1, 9)
    assert result.method == "exact"
    assert result.p_value == pytest.approx(22 / 1024)


def test_mcnemar_exact_is_symmetric_and_capped_at_one() -> None:
    assert mcnemar(9, 1).p_value == pytest.approx(mcnemar(1, 9).p_value)
    assert mcnemar(3, 3).p_value == 1.0
    assert binomial_two_sided_p(5, 10) == 1.0


def test_mcnemar_without_discordant_pairs_is_not_significant() -> None:
    result = mcnemar(0, 0)
    assert (result.p_value, result.method, result.statistic) == (1.0, "none", None)


def test_mcnemar_chi_square_with_continuity_correction() -> None:
    # (|10 - 30| - 1)^2 / 40 = 9.025; survival of chi2(1) at 9.025 = erfc(sqrt(9.025 / 2)).
    result = mcnemar(10, 30)
    assert result.method == "chi2"
    assert result.statistic == pytest.approx(9.025)
    assert result.p_value == pytest.approx(0.0026631, abs=1e-6)
    assert chi2_sf_1df(3.841458820694124) == pytest.approx(0.05, abs=1e-9)


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar(-1, 2)


def test_bootstrap_of_identical_runs_is_exactly_zero() -> None:
    pairs = [(3, 4), (1, 2), (5, 5)]
    result = paired_bootstrap(pairs, pairs, resamples=500, seed=1)
    assert (result.delta, result.low, result.high) == (0.0, 0.0, 0.0)


def test_bootstrap_is_seeded_and_brackets_a_uniform_improvement() -> None:
    base = [(0, 2)] * 10 + [(1, 2)] * 10
    cand = [(1, 2)] * 10 + [(2, 2)] * 10
    first = paired_bootstrap(base, cand, resamples=1000, seed=7)
    again = paired_bootstrap(base, cand, resamples=1000, seed=7)
    assert first == again
    assert first.delta == pytest.approx(0.5)
    # Every case improves by exactly half its verdicts, so every resample gives +0.5.
    assert first.low == pytest.approx(0.5) and first.high == pytest.approx(0.5)


def test_bootstrap_interval_contains_the_observed_delta() -> None:
    base = [(1, 1), (0, 1), (1, 1), (1, 1), (0, 1), (1, 1), (1, 1), (0, 1)]
    cand = [(1, 1), (1, 1), (1, 1), (0, 1), (1, 1), (1, 1), (1, 1), (1, 1)]
    result = paired_bootstrap(base, cand, resamples=2000, seed=0, confidence=0.9)
    assert result.delta == pytest.approx(2 / 8)
    assert result.low <= result.delta <= result.high
    assert not math.isnan(result.low)


def test_bootstrap_rejects_unpaired_samples() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap([(1, 1)], [])
