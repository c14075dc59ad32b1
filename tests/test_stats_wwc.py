"""WWC attrition boundary, baseline equivalence, Hedges' g and standardised differences."""

from __future__ import annotations

import numpy as np
import pingouin as pg
import pytest

from impact.stats.wwc import (
    ATTRITION_BOUNDARY,
    baseline_equivalence,
    classify_attrition,
    hedges_g_two_groups,
    max_low_differential,
    standardized_difference,
)


@pytest.mark.parametrize(("overall", "differential", "boundary", "expected"), [
    # cautious boundary: 0 % → 5.7 pp, 10 % → 6.3, 30 % → 4.1, 57 % → 0.0, ≥ 58 % always high
    (0.00, 0.057, "cautious", "low"), (0.00, 0.058, "cautious", "high"),
    (0.10, 0.063, "cautious", "low"), (0.10, 0.064, "cautious", "high"),
    (0.30, 0.041, "cautious", "low"), (0.30, 0.042, "cautious", "high"),
    (0.57, 0.000, "cautious", "low"), (0.57, 0.001, "cautious", "high"),
    (0.58, 0.000, "cautious", "high"),
    # optimistic boundary: 0 % → 10.0, 10 % → 10.9, 30 % → 8.2, 65 % → 0.3, > 65 % high
    (0.00, 0.100, "optimistic", "low"), (0.00, 0.101, "optimistic", "high"),
    (0.10, 0.109, "optimistic", "low"), (0.10, 0.110, "optimistic", "high"),
    (0.30, 0.082, "optimistic", "low"), (0.30, 0.083, "optimistic", "high"),
    (0.65, 0.003, "optimistic", "low"), (0.65, 0.004, "optimistic", "high"),
    (0.66, 0.000, "optimistic", "high"),
    # worked examples documented by the baselinr R package (attrition_boundary help page)
    (0.08, 0.03, "cautious", "low"), (0.30, 0.06, "cautious", "high"),
    (0.30, 0.06, "optimistic", "low"),
])
def test_classify_attrition_both_sides_of_boundaries(overall, differential, boundary, expected):
    assert classify_attrition(overall, differential, boundary) == expected


def test_classify_attrition_sign_rounding_and_vectorised():
    # differential is an absolute difference; overall rounds half up to a whole percent
    assert classify_attrition(0.10, -0.063, "cautious") == "low"
    assert classify_attrition(0.104, 0.0625, "cautious") == "low"   # 10 % row: 6.3
    assert classify_attrition(0.105, 0.0625, "cautious") == "high"  # 11 % row: 6.2
    out = classify_attrition(np.array([0.1, 0.3, 0.6]), np.array([0.05, 0.05, 0.01]),
                             "optimistic")
    assert out.tolist() == ["low", "low", "low"]
    with pytest.raises(ValueError):
        classify_attrition(np.nan, 0.01)


def test_boundary_table_shape():
    assert ATTRITION_BOUNDARY["overall_pct"].tolist() == list(range(66))
    caut = ATTRITION_BOUNDARY["cautious_max_differential_pct"]
    opt = ATTRITION_BOUNDARY["optimistic_max_differential_pct"]
    assert caut.isna().sum() == 8 and opt.notna().all()
    assert (opt[caut.notna()] >= caut[caut.notna()]).all()
    # both boundaries peak near 10 % overall and then fall steadily
    assert (np.diff(opt.to_numpy()[12:]) <= 0).all()
    assert (np.diff(caut.dropna().to_numpy()[10:]) <= 0).all()
    assert max_low_differential(0.3, "optimistic") == pytest.approx(0.082)


@pytest.mark.parametrize(("g", "expected"), [
    (0.0, "satisfied"), (0.049, "satisfied"), (0.05, "satisfied"), (-0.049, "satisfied"),
    (0.051, "adjustment_required"), (0.249, "adjustment_required"),
    (-0.25, "adjustment_required"), (0.251, "not_satisfied"), (-0.9, "not_satisfied"),
])
def test_baseline_equivalence_thresholds(g, expected):
    assert baseline_equivalence(g) == expected


def test_baseline_equivalence_vectorised():
    out = baseline_equivalence([0.049, 0.051, 0.249, 0.251])
    assert out.tolist() == ["satisfied", "adjustment_required", "adjustment_required",
                            "not_satisfied"]


def test_hedges_g_by_hand_and_against_pingouin():
    x, y = [1, 2, 3, 4], [2, 3, 4, 5, 6]
    # x̄ = 2.5, s² = 5/3; ȳ = 4, s² = 2.5; s_p² = (3·5/3 + 4·2.5)/7 = 15/7
    sp = np.sqrt(15 / 7)
    omega = 1 - 3 / (4 * 9 - 9)
    g = omega * (2.5 - 4) / sp
    se = np.sqrt(9 / 20 + g**2 / 18)
    res = hedges_g_two_groups(x, y)
    assert res.g == pytest.approx(g, rel=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx((g - 1.959964 * se, g + 1.959964 * se),
                                                      rel=1e-6)
    assert res.g == pytest.approx(pg.compute_effsize(x, y, eftype="hedges"), rel=1e-10)


def test_hedges_g_drops_missing():
    res = hedges_g_two_groups([1, 2, np.nan, 3, 4], [2, 3, 4, 5, 6, None])
    assert (res.n1, res.n2) == (4, 5)


def test_standardized_difference_continuous_and_binary():
    a, b = np.array([1.0, 2, 3, 4, 5]), np.array([2.0, 4, 6])
    expected = (3 - 4) / np.sqrt((2.5 + 4.0) / 2)
    assert standardized_difference(a, b) == pytest.approx(expected)

    stay, leave = [1, 1, 1, 0], [1, 0, 0, 0, 0]  # 0.75 vs 0.2
    p1, p2 = 0.75, 0.2
    expected = (p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)  # Austin (2009)
    assert standardized_difference(stay, leave) == pytest.approx(expected)
    assert standardized_difference(stay, leave, kind="binary") == pytest.approx(expected)
    with_missing = standardized_difference([1.0, 2, 3, np.nan], [2.0, 3, None, 4])
    assert with_missing == pytest.approx(standardized_difference([1.0, 2, 3], [2.0, 3, 4]))
    assert np.isnan(standardized_difference([], [1.0, 2.0]))
