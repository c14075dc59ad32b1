"""Paired change, McNemar, multiplicity and magnitudes, checked against independent sources."""

from __future__ import annotations

import numpy as np
import pingouin as pg
import pytest
from scipy import stats

from impact.stats.effects import (
    adjust_pvalues,
    dz_ci,
    gav_ci,
    magnitude_label,
    mcnemar_change,
    newcombe_paired_diff_ci,
    paired_change,
)

# Lakens (2013, Frontiers in Psychology 4:863) worked example: two movies rated by 10 people.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


def test_lakens_2013_published_values():
    res = paired_change(pre=MOVIE_2, post=MOVIE_1)
    assert res.n == 10 and res.df == 9
    # published to two decimals: t(9) = 4.74, d_z = 1.50, d_av = 1.13, g_av = 1.08
    assert round(res.t, 2) == 4.74
    assert round(res.d_z, 2) == 1.50
    assert round(res.d_av, 2) == 1.13
    assert round(res.g_av, 2) == 1.08
    assert res.mean_diff == pytest.approx(1.0)


def test_direction_is_post_minus_pre():
    res = paired_change(pre=MOVIE_1, post=MOVIE_2)
    assert res.mean_diff < 0 and res.t < 0 and res.d_z < 0 and res.g_av < 0
    assert res.rank_biserial < 0


@pytest.fixture()
def messy_pairs():
    rng = np.random.default_rng(42)
    pre = rng.integers(1, 6, size=80).astype(float)
    post = np.clip(pre + rng.integers(-1, 3, size=80), 1, 5).astype(float)  # ties and zeros
    pre[[3, 10]] = np.nan
    post[[10, 20, 30]] = np.nan
    return pre, post


def test_t_test_matches_scipy_and_pingouin(messy_pairs):
    pre, post = messy_pairs
    keep = ~np.isnan(pre) & ~np.isnan(post)
    res = paired_change(pre, post)
    assert res.n == keep.sum() == 76

    ref = stats.ttest_rel(post[keep], pre[keep])
    assert res.t == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_t == pytest.approx(ref.pvalue, rel=1e-10)

    pgt = pg.ttest(post[keep], pre[keep], paired=True)
    assert res.t == pytest.approx(pgt["T"].iloc[0], rel=1e-10)
    assert res.df == pgt["dof"].iloc[0]
    assert res.p_t == pytest.approx(pgt["p_val"].iloc[0], rel=1e-8)
    low, high = pgt["CI95"].iloc[0]  # pingouin rounds to 2 decimals
    assert res.ci_low == pytest.approx(low, abs=0.006)
    assert res.ci_high == pytest.approx(high, abs=0.006)


def test_wilcoxon_and_rank_biserial_match_scipy_and_pingouin(messy_pairs):
    pre, post = messy_pairs
    keep = ~np.isnan(pre) & ~np.isnan(post)
    res = paired_change(pre, post)

    ref = stats.wilcoxon(post[keep] - pre[keep], zero_method="wilcox", correction=False)
    assert res.wilcoxon_w == pytest.approx(ref.statistic)
    assert res.p_wilcoxon == pytest.approx(ref.pvalue, rel=1e-10)

    pgw = pg.wilcoxon(post[keep], pre[keep], correction=False)
    assert res.wilcoxon_w == pytest.approx(pgw["W_val"].iloc[0])
    assert res.p_wilcoxon == pytest.approx(pgw["p_val"].iloc[0], rel=1e-10)
    assert res.rank_biserial == pytest.approx(pgw["RBC"].iloc[0], rel=1e-10)


def test_rank_biserial_by_hand():
    # D = 1, 2, −3, 4 → ranks 1, 2, 3, 4: R+ = 7, R− = 3, r = (7 − 3)/10 = 0.4 (Kerby 2014)
    res = paired_change([0, 0, 3, 0], [1, 2, 0, 4])
    assert res.rank_biserial == pytest.approx(0.4)


def test_all_zero_differences_do_not_raise():
    res = paired_change([3, 4, 5, 2], [3, 4, 5, 2])
    assert res.p_wilcoxon == 1.0
    assert np.isnan(res.wilcoxon_w) and np.isnan(res.rank_biserial)
    assert res.wilcoxon_note
    assert res.mean_diff == 0


def test_no_complete_pair_gives_nan():
    res = paired_change([np.nan, 1.0], [2.0, np.nan])
    assert res.n == 0 and np.isnan(res.mean_diff) and np.isnan(res.p_wilcoxon)


def test_dz_ci_contains_estimate_and_matches_large_sample_approximation():
    res = paired_change(pre=MOVIE_2, post=MOVIE_1)
    assert res.d_z_ci_low < res.d_z < res.d_z_ci_high
    # for large n the exact interval approaches d ± z·√(1/n + d²/(2n)) (Hedges & Olkin 1985)
    d, n = 0.5, 2000
    low, high = dz_ci(d, n)
    half = 1.959964 * np.sqrt(1 / n + d**2 / (2 * n))
    assert low == pytest.approx(d - half, abs=0.003)
    assert high == pytest.approx(d + half, abs=0.003)


def test_dz_ci_coverage_by_simulation():
    rng = np.random.default_rng(2013)
    delta, n, reps = 0.6, 15, 400
    diffs = rng.normal(delta, 1.0, size=(reps, n))
    d_hat = diffs.mean(axis=1) / diffs.std(axis=1, ddof=1)
    covered = [lo <= delta <= hi for lo, hi in (dz_ci(d, n) for d in d_hat)]
    assert 0.92 <= np.mean(covered) <= 0.98


def test_gav_ci_coverage_by_simulation():
    rng = np.random.default_rng(7)
    n, reps, rho, mu_diff = 30, 3000, 0.6, 0.5  # σ_pre = σ_post = 1 → δ_av = 0.5
    cov = [[1, rho], [rho, 1]]
    xy = rng.multivariate_normal([0, mu_diff], cov, size=(reps, n))
    pre, post = xy[..., 0], xy[..., 1]
    s1, s2 = pre.std(axis=1, ddof=1), post.std(axis=1, ddof=1)
    r = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(pre, post, strict=True)])
    d_av = (post - pre).mean(axis=1) / ((s1 + s2) / 2)
    low, high = gav_ci(d_av, n, s1, s2, r)
    assert 0.92 <= np.mean((low <= mu_diff) & (mu_diff <= high)) <= 0.98


def test_gav_ci_is_the_one_reported():
    res = paired_change(pre=MOVIE_2, post=MOVIE_1)
    low, high = gav_ci(res.d_av, res.n, res.sd_pre, res.sd_post, res.r_pre_post)
    assert (res.g_av_ci_low, res.g_av_ci_high) == pytest.approx((float(low), float(high)))
    assert res.g_av_ci_low < res.g_av < res.g_av_ci_high


# ------------------------------------------------------------------------------ McNemar


def _binary_pairs(a, b, c, d):
    pre = [True] * a + [True] * b + [False] * c + [False] * d
    post = [True] * a + [False] * b + [True] * c + [False] * d
    return pre, post


def test_mcnemar_exact_matches_binomial_test():
    pre, post = _binary_pairs(20, 3, 9, 15)  # b + c = 12 < 25 → exact
    res = mcnemar_change(pre, post)
    assert (res.n, res.b_pos_to_neg, res.c_neg_to_pos) == (47, 3, 9)
    assert res.share_pos_to_neg == pytest.approx(3 / 47)
    assert res.share_neg_to_pos == pytest.approx(9 / 47)
    assert res.diff == pytest.approx((9 - 3) / 47)
    assert res.p_value == pytest.approx(stats.binomtest(3, 12, 0.5).pvalue, rel=1e-10)
    assert res.method == "mcnemar_exact_binomial"


def test_mcnemar_chi_square_with_continuity_by_hand():
    pre, post = _binary_pairs(40, 10, 22, 30)  # b + c = 32 ≥ 25 → chi-square
    res = mcnemar_change(pre, post)
    chi2 = (abs(10 - 22) - 1) ** 2 / 32
    assert res.statistic == pytest.approx(chi2)
    assert res.p_value == pytest.approx(stats.chi2.sf(chi2, 1))
    assert res.method == "mcnemar_chi2_continuity"


def test_mcnemar_drops_missing_pairs_and_handles_no_discordance():
    res = mcnemar_change([True, False, None, True], [True, False, True, np.nan])
    assert res.n == 2 and res.p_value == 1.0 and res.diff == 0
    assert res.ci_low <= 0 <= res.ci_high


def test_newcombe_paired_ci_close_to_wald_for_large_n():
    a, b, c, d = 800, 150, 250, 800  # b = pos→neg, c = neg→pos
    n = a + b + c + d
    theta, low, high = newcombe_paired_diff_ci(a, c, b, d)
    wald_se = np.sqrt((b + c) - (b - c) ** 2 / n) / n
    assert theta == pytest.approx((c - b) / n)
    assert low == pytest.approx(theta - 1.959964 * wald_se, abs=0.002)
    assert high == pytest.approx(theta + 1.959964 * wald_se, abs=0.002)


def test_newcombe_paired_ci_coverage_by_simulation():
    rng = np.random.default_rng(1998)
    probs = [0.45, 0.10, 0.20, 0.25]  # (+,+), (+,−), (−,+), (−,−) for (post, pre)
    truth = probs[1] - probs[2]
    tables = rng.multinomial(40, probs, size=4000)
    _, low, high = newcombe_paired_diff_ci(*tables.T)
    assert np.all((low >= -1) & (high <= 1))
    assert 0.93 <= np.mean((low <= truth) & (truth <= high)) <= 0.975


# -------------------------------------------------------------------------- multiplicity


def test_holm_hand_computed():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max
    p = [0.01, np.nan, 0.04, 0.03, 0.005]
    expected = [0.03, np.nan, 0.06, 0.06, 0.02]
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), expected)


def test_bh_hand_computed():
    # m·p/rank = 0.02, 0.02, 0.04, 0.04 → running min from the top
    p = [0.01, 0.04, np.nan, 0.03, 0.005]
    expected = [0.02, 0.04, np.nan, 0.04, 0.02]
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), expected)


def test_adjust_all_nan_and_bad_method():
    assert np.isnan(adjust_pvalues([np.nan, np.nan], "holm")).all()
    with pytest.raises(ValueError):
        adjust_pvalues([0.1], "bonferroni")


# ---------------------------------------------------------------------------- magnitudes


@pytest.mark.parametrize(("es", "es_type", "label"), [
    (0.19, "d_z", "négligeable"), (0.2, "g_av", "faible"), (-0.49, "g", "faible"),
    (0.5, "d_av", "moyen"), (0.79, "d", "moyen"), (0.8, "g_av", "fort"),
    (0.09, "rank_biserial", "négligeable"), (0.1, "r", "faible"), (-0.3, "r", "moyen"),
    (0.5, "rank_biserial", "fort"), (np.nan, "g_av", "non calculable"),
])
def test_magnitude_label_cohen_benchmarks(es, es_type, label):
    assert magnitude_label(es, es_type) == label


def test_magnitude_label_unknown_type():
    with pytest.raises(ValueError):
        magnitude_label(0.3, "odds_ratio")


# ------------------------------------------------------------------ defects of issue 15


def _nct_cdf_by_quadrature(t: float, df: int, lam: float) -> float:
    """P(T ≤ t) for T = (Z + λ)/√(V/df), Z ~ N(0,1), V ~ χ²_df, by numerical integration
    over V: E_V[Φ(t·√(V/df) − λ)] — computed without scipy's nct."""
    from scipy import integrate

    def integrand(v: float) -> float:
        return stats.norm.cdf(t * np.sqrt(v / df) - lam) * stats.chi2.pdf(v, df)

    lo, hi = stats.chi2.ppf([1e-12, 1 - 1e-12], df)
    return integrate.quad(integrand, lo, hi, limit=400, epsabs=1e-11, epsrel=1e-10)[0]


@pytest.mark.parametrize("n", [2, 5, 30, 100, 300, 1000, 5000])
def test_dz_ci_has_both_bounds_over_a_grid_of_n_and_t(n):
    # the earlier bracket search wandered where nct.cdf returns NaN: blank bounds from n = 30
    for t in np.linspace(-40, 40, 81):
        low, high = dz_ci(t / np.sqrt(n), n)
        assert np.isfinite(low) and np.isfinite(high), (n, t)
        assert low < t / np.sqrt(n) < high


@pytest.mark.parametrize(("n", "t"), [(30, -27.5), (30, 31.5), (100, 12.0), (1000, -8.0),
                                      (5000, 3.0), (5, 2.0)])
def test_dz_ci_bounds_solve_the_defining_equation_by_quadrature(n, t):
    # independent of scipy's nct: the limits are the noncentralities where P(T ≤ t) = 0.975
    # and 0.025 (Cumming & Finch 2001)
    low, high = dz_ci(t / np.sqrt(n), n)
    assert _nct_cdf_by_quadrature(t, n - 1, low * np.sqrt(n)) == pytest.approx(0.975, abs=1e-6)
    assert _nct_cdf_by_quadrature(t, n - 1, high * np.sqrt(n)) == pytest.approx(0.025, abs=1e-6)


@pytest.mark.parametrize("b", [13, 20, 50])
def test_mcnemar_equal_discordant_counts_give_zero_statistic(b):
    # closed form: X² = max(|b − c| − 1, 0)² / (b + c) = 0 and p = 1 when b = c
    pre, post = _binary_pairs(30, b, b, 30)
    res = mcnemar_change(pre, post)
    assert res.method == "mcnemar_chi2_continuity"
    assert res.statistic == 0.0 and res.p_value == 1.0


def test_mcnemar_one_apart_is_also_zero():
    pre, post = _binary_pairs(30, 14, 15, 30)  # |b − c| − 1 = 0
    res = mcnemar_change(pre, post)
    assert res.statistic == 0.0 and res.p_value == 1.0


def test_hedges_j_of_g_av_is_lakens_choice_df_2n_minus_2():
    # Lakens (2013) corrects d_av with 1 − 3/(4(n₁+n₂) − 9), n₁ = n₂ = n, i.e. df = 2n − 2:
    # his published g_av = 1.08 for d_av = 1.13, n = 10 (df = n − 1 would give 1.03)
    from impact.stats.effects import hedges_j_gav

    assert hedges_j_gav(10) == pytest.approx(1 - 3 / (4 * 20 - 9))
    res = paired_change(MOVIE_2, MOVIE_1)
    assert round(res.g_av, 2) == 1.08
    assert round(res.d_av * (1 - 3 / (4 * 9 - 1)), 2) == 1.03
