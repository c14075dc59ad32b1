"""Minimum detectable effects (Bloom) and ICC(1) against hand computations and pingouin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from impact.stats.power import icc_oneway, minimum_detectable_effect


def test_two_group_mde_matches_bloom_cluster_formula():
    # Bloom (2006): MDES = M_{J−2} · √(ρ/(P(1−P)J) + (1−ρ)/(P(1−P)Jn)), n retained per cluster
    j, recruited, rho, attrition, share = 20, 25, 0.1, 0.2, 0.5
    n = recruited * (1 - attrition)
    m = stats.t.ppf(0.975, j - 2) + stats.t.ppf(0.8, j - 2)
    expected = m * np.sqrt(rho / (share * (1 - share) * j)
                           + (1 - rho) / (share * (1 - share) * j * n))
    res = minimum_detectable_effect(j, recruited, rho, attrition, design="two_group")
    assert res.mde == pytest.approx(expected, rel=1e-12)
    assert res.df == j - 2 and res.n_effective == pytest.approx(j * n)


def test_paired_mde_by_hand():
    # 10 schools × 90 pupils, 20 % lost, ICC 0.05, r = 0.5:
    # m = 72, N = 720, DEFF = 1 + 71·0.05 = 4.55, SE = √(2·0.5·4.55/720), df = 9
    res = minimum_detectable_effect(10, 90, 0.05, 0.2, paired_r=0.5, design="paired")
    m = stats.t.ppf(0.975, 9) + stats.t.ppf(0.8, 9)
    assert res.design_effect == pytest.approx(4.55)
    assert res.mde == pytest.approx(m * np.sqrt(4.55 / 720), rel=1e-12)


def test_multiplier_tends_to_published_2_8():
    # Bloom (1995): for a two-tailed test at 0.05 with 80 % power, M ≈ 2.80 for large df
    res = minimum_detectable_effect(100_000, 1, 0.0, design="two_group")
    assert res.multiplier == pytest.approx(2.80, abs=0.005)


def test_mde_monotonicity():
    base = dict(cluster_size=30, icc=0.1, attrition=0.2, paired_r=0.5)
    mde = minimum_detectable_effect(np.array([5, 10, 20, 40]), **base).mde
    assert np.all(np.diff(mde) < 0)  # more clusters → smaller MDE
    by_icc = minimum_detectable_effect(10, 30, np.array([0.0, 0.05, 0.2]), 0.2,
                                       paired_r=0.5).mde
    assert np.all(np.diff(by_icc) > 0)
    by_att = minimum_detectable_effect(10, 30, 0.1, np.array([0.0, 0.3, 0.6]), paired_r=0.5).mde
    assert np.all(np.diff(by_att) > 0)
    by_r = minimum_detectable_effect(10, 30, 0.1, 0.2, paired_r=np.array([0.2, 0.5, 0.8])).mde
    assert np.all(np.diff(by_r) < 0)


def test_mde_argument_errors():
    with pytest.raises(ValueError):
        minimum_detectable_effect(10, 30, 0.1, 0.2, design="paired")
    with pytest.raises(ValueError):
        minimum_detectable_effect(10, 30, 0.1, 1.0, paired_r=0.5)


def test_icc_by_hand_balanced():
    # 3 clusters of 2: means 2, 4, 9 (grand 5); SSB = 2·(9+1+16) = 52, MSB = 26;
    # SSW = 2·0.5·... each pair differs by 2 → SS 2 each, SSW = 6, MSW = 6/3 = 2
    # ICC = (26 − 2)/(26 + (2 − 1)·2) = 24/28
    values = [1, 3, 3, 5, 8, 10]
    clusters = ["a", "a", "b", "b", "c", "c"]
    assert icc_oneway(values, clusters) == pytest.approx(24 / 28)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_icc_matches_pingouin_icc1():
    rng = np.random.default_rng(8)
    k, size = 12, 6
    cluster = np.repeat(np.arange(k), size)
    y = rng.normal(size=k)[cluster] * 0.7 + rng.normal(size=k * size)
    long = pd.DataFrame({"cluster": cluster, "member": np.tile(np.arange(size), k), "y": y})
    ref = pg.intraclass_corr(long, targets="cluster", raters="member", ratings="y")
    icc1 = ref.set_index("Type").loc["ICC(1,1)", "ICC"]  # one-way random, single rating
    assert icc_oneway(y, cluster) == pytest.approx(max(icc1, 0.0), rel=1e-10)


def test_icc_recovers_simulated_value_unbalanced_and_with_missing():
    rng = np.random.default_rng(21)
    sizes = rng.integers(10, 60, size=80)
    cluster = np.repeat(np.arange(80), sizes)
    y = rng.normal(size=80)[cluster] * np.sqrt(0.15) + rng.normal(size=cluster.size) * np.sqrt(0.85)
    y[::17] = np.nan
    assert icc_oneway(y, cluster) == pytest.approx(0.15, abs=0.05)


def test_icc_clipped_at_zero_and_degenerate():
    # identical cluster means: MSB = 0 < MSW → negative estimate, clipped
    assert icc_oneway([1, 2, 1, 2, 1, 2], [0, 0, 1, 1, 2, 2]) == 0.0
    assert np.isnan(icc_oneway([1, 2, 3], ["a", "a", "a"]))


def test_icc_clipped_at_zero_keeps_cluster_degrees_of_freedom():
    # issue 15: with ICC = 0 the df stayed N − 1 (≈ 10 % too optimistic with 10 sites)
    res = minimum_detectable_effect(10, 30, 0.0, paired_r=0.5)
    m = stats.t.ppf(0.975, 9) + stats.t.ppf(0.8, 9)
    assert res.df == 9
    assert res.mde == pytest.approx(m * np.sqrt(2 * 0.5 * 1.0 / 300), rel=1e-12)


def test_did_mde_closed_form():
    # P = 0.75 participants, J = 10 sites of 40, ICC 0.05, r = 0.6, attrition 0.25:
    # m = 30, N = 300, DEFF = 1 + 29·0.05; MDES = M·√(2(1−r)·DEFF/(P(1−P)N)), df = J − 1
    res = minimum_detectable_effect(10, 40, 0.05, 0.25, paired_r=0.6, design="did",
                                    treated_share=0.75)
    m = stats.t.ppf(0.975, 9) + stats.t.ppf(0.8, 9)
    deff = 1 + 29 * 0.05
    assert res.mde == pytest.approx(m * np.sqrt(2 * 0.4 * deff / (0.75 * 0.25 * 300)))
