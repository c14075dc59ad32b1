"""CR2 / Bell–McCaffrey, the WWC clustering correction, the WWC effect sizes and
random-effects pooling, each against a second library or a closed form."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import special, stats

from impact.stats.cluster import cr2_ols, wwc_clustering_correction
from impact.stats.meta import random_effects
from impact.stats.wwc import cox_index, pooled_sd, wwc_standardised_difference


def _welch_df(n1: float, n0: float) -> float:
    """Welch–Satterthwaite df with equal variances plugged in (the Bell–McCaffrey df of a
    two-group comparison under a homoskedastic working model; Imbens & Kolesár 2016)."""
    return (1 / n1 + 1 / n0) ** 2 / (1 / (n1**2 * (n1 - 1)) + 1 / (n0**2 * (n0 - 1)))


def test_cr2_with_singleton_clusters_is_hc2_and_welch():
    rng = np.random.default_rng(1)
    n1, n0 = 15, 25
    y = np.r_[rng.normal(1, 2, n1), rng.normal(0, 1, n0)]
    x = np.column_stack([np.ones(n1 + n0), np.r_[np.ones(n1), np.zeros(n0)]])
    fit = cr2_ols(y, x, np.arange(n1 + n0))
    hc2 = sm.OLS(y, x).fit(cov_type="HC2")  # second library
    assert fit.se == pytest.approx(hc2.bse, rel=1e-10)
    welch = np.sqrt(y[:n1].var(ddof=1) / n1 + y[n1:].var(ddof=1) / n0)  # closed form
    assert fit.se[1] == pytest.approx(welch, rel=1e-10)
    assert fit.df[1] == pytest.approx(_welch_df(n1, n0), rel=1e-10)
    assert fit.params == pytest.approx(hc2.params)


def test_cr2_with_a_cluster_level_regressor_is_welch_on_cluster_means():
    # balanced clusters, treatment constant within cluster: CR2 reduces to the Welch test on
    # the cluster means (scipy), and the BM df to the equal-variance Welch df of G1, G0
    rng = np.random.default_rng(4)
    g1, g0, m = 4, 6, 12
    cluster = np.repeat(np.arange(g1 + g0), m)
    treated = (cluster < g1).astype(float)
    y = np.repeat(rng.normal(0, 0.5, g1 + g0), m) + rng.normal(0, 1, cluster.size) + 0.3 * treated
    fit = cr2_ols(y, np.column_stack([np.ones(cluster.size), treated]), cluster)
    means = np.array([y[cluster == g].mean() for g in range(g1 + g0)])
    welch = stats.ttest_ind(means[:g1], means[g1:], equal_var=False)
    assert fit.t(1) == pytest.approx(welch.statistic, rel=1e-9)
    assert fit.df[1] == pytest.approx(_welch_df(g1, g0), rel=1e-9)
    low, high = fit.ci(1)
    assert (high - low) / 2 == pytest.approx(stats.t.ppf(0.975, fit.df[1]) * fit.se[1])


def test_cr2_is_larger_than_cr1_with_few_clusters():
    rng = np.random.default_rng(8)
    cluster = rng.integers(0, 8, 400)
    x = np.column_stack([np.ones(400), rng.random(400) < 0.6])
    y = rng.normal(0, 0.4, 8)[cluster] + rng.normal(size=400)
    cr1 = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": cluster})
    fit = cr2_ols(y, x, cluster)
    assert fit.n_clusters == 8 and np.all(fit.df < 8)
    assert fit.se[0] > cr1.bse[0] * np.sqrt((400 - 2) / 400 * 7 / 8) * 0.99


def test_wwc_clustering_correction_limits_of_hedges_2007():
    # ρ = 0: the uncorrected t on N − 2 df; ρ = 1: t·√((N − 2n)/((N − 2)n)) on M − 2 df
    t, big_n, m = 2.5, 200, 10
    none = wwc_clustering_correction(t, big_n, m, 0.0)
    assert none.t == pytest.approx(t) and none.df == pytest.approx(big_n - 2)
    assert none.p_value == pytest.approx(2 * stats.t.sf(t, big_n - 2))
    n = big_n / m
    full = wwc_clustering_correction(t, big_n, m, 1.0)
    assert full.t == pytest.approx(t * np.sqrt((big_n - 2 * n) / ((big_n - 2) * n)))
    assert full.df == pytest.approx(m - 2)


def test_wwc_clustering_correction_by_hand():
    # N = 120 pupils in M = 6 classes (n = 20), ρ = 0.10 (the WWC default for attitudes)
    t, big_n, n, rho = 2.2, 120, 20, 0.10
    num = (big_n - 2) - 2 * (n - 1) * rho
    t_a = t * np.sqrt(num / ((big_n - 2) * (1 + (n - 1) * rho)))
    h = num**2 / ((big_n - 2) * (1 - rho) ** 2 + n * (big_n - 2 * n) * rho**2
                  + 2 * (big_n - 2 * n) * rho * (1 - rho))
    out = wwc_clustering_correction(t, big_n, 6, rho)
    assert (out.t, out.df) == pytest.approx((t_a, h))
    assert out.p_value > 2 * stats.t.sf(t, big_n - 2)


def test_cox_index_closed_form():
    # 60 % vs 45 % with N = 200: ω·(logit 0.60 − logit 0.45)/1.65
    omega = 1 - 3 / (4 * 200 - 9)
    expected = omega * (special.logit(0.60) - special.logit(0.45)) / 1.65
    assert cox_index(0.60, 0.45, 200) == pytest.approx(expected)
    assert np.isnan(cox_index(1.0, 0.45, 200))


def test_wwc_standardised_difference_matches_hedges_g_of_two_groups():
    # for a post-test difference the map reproduces the WWC Hedges' g of the two groups
    from impact.stats.wwc import hedges_g_two_groups

    rng = np.random.default_rng(2)
    a, b = rng.normal(0.4, 1.1, 60), rng.normal(0.0, 0.9, 45)
    g, _, _ = wwc_standardised_difference(a.mean() - b.mean(), pooled_sd(a, b), 105)
    assert g == pytest.approx(hedges_g_two_groups(a, b).g)
    sd = np.sqrt((59 * a.var(ddof=1) + 44 * b.var(ddof=1)) / 103)
    assert pooled_sd(a, b) == pytest.approx(sd)


def test_random_effects_matches_statsmodels_dersimonian_laird():
    from statsmodels.stats.meta_analysis import combine_effects

    theta = np.array([0.41, 0.22, 0.65, 0.10])
    se = np.array([0.05, 0.08, 0.07, 0.06])
    ours = random_effects(theta, se)
    res = combine_effects(theta, se**2, method_re="dl")  # second library
    assert ours.tau2 == pytest.approx(res.tau2, rel=1e-9)
    assert ours.estimate == pytest.approx(res.mean_effect_re, rel=1e-9)
    assert ours.se == pytest.approx(res.sd_eff_w_re, rel=1e-9)
    assert ours.fixed == pytest.approx(res.mean_effect_fe, rel=1e-9)
    assert ours.q == pytest.approx(res.q, rel=1e-9)
    assert ours.i2 == pytest.approx(res.i2, rel=1e-9)
    half = stats.t.ppf(0.975, 2) * np.sqrt(ours.tau2 + ours.se**2)  # Higgins et al. 2009
    assert (ours.pi_low, ours.pi_high) == pytest.approx((ours.estimate - half,
                                                         ours.estimate + half))


def test_random_effects_without_heterogeneity_is_fixed_effect():
    out = random_effects([0.3, 0.3001], [0.1, 0.2])
    assert out.tau2 == 0 and out.estimate == pytest.approx(out.fixed)
    assert np.isnan(out.pi_low)  # k < 3
