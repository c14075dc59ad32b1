"""Wilson intervals and nonresponse bounds against closed forms and published values."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from impact.stats.rates import bounds_for_nonresponse, wilson_ci

Z = 1.959963984540054


def _wilson_by_hand(x, n, z=Z):
    """Textbook form: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (10, 10), (1, 29), (7, 12), (500, 1000), (3, 4)])
def test_wilson_matches_closed_form(x, n):
    rate, low, high = wilson_ci(x, n)
    ref_low, ref_high = _wilson_by_hand(x, n)
    assert rate == pytest.approx(x / n)
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)


def test_wilson_extremes_are_pinned():
    _, low, high = wilson_ci([0, 10], [10, 10])
    assert low[0] == 0.0 and high[1] == 1.0


def test_wilson_newcombe_1998_table():
    # Newcombe (1998, Stat Med 17:857, method 3, Wilson score without continuity correction)
    cases = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
             (0, 20): (0.0, 0.1611), (1, 29): (0.0061, 0.1718)}
    x, n = np.array(list(cases)).T
    _, low, high = wilson_ci(x, n)
    for (lo, hi), a, b in zip(cases.values(), low, high, strict=True):
        assert round(float(a), 4) == lo and round(float(b), 4) == hi


def test_wilson_matches_statsmodels_vectorised():
    x = np.array([0, 3, 17, 40, 99])
    n = np.array([5, 30, 40, 41, 100])
    _, low, high = wilson_ci(x, n, alpha=0.1)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.1, method="wilson")
    np.testing.assert_allclose(low, ref_low, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, atol=1e-12)


def test_wilson_empty_group_and_bad_counts():
    rate, low, high = wilson_ci(0, 0)
    assert np.isnan(rate) and np.isnan(low) and np.isnan(high)
    with pytest.raises(ValueError):
        wilson_ci(5, 4)


def test_nonresponse_bounds_by_hand():
    out = bounds_for_nonresponse([30, 0], [60, 10], [40, 0])
    # 30 successes of 60 respondents, 40 nonrespondents: 30/100 … 70/100
    assert out.loc[0, ["observed_rate", "worst_case", "best_case"]].tolist() == [0.5, 0.3, 0.7]
    assert out.loc[1, ["observed_rate", "worst_case", "best_case"]].tolist() == [0.0, 0.0, 0.0]
    assert (out["worst_case"] <= out["observed_rate"]).all()
    assert (out["observed_rate"] <= out["best_case"]).all()
    with pytest.raises(ValueError):
        bounds_for_nonresponse(5, 4, 1)
