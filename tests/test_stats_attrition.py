"""Attrition model and IPW mean change on simulated missing-at-random dropout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.stats.attrition_model import attrition_weights, ipw_mean_change

TRUE_CHANGE = 0.5


@pytest.fixture(scope="module")
def campaign():
    """Baseline score x shifts both the change and the chance of answering the post wave."""
    rng = np.random.default_rng(2024)
    n = 4000
    x = rng.normal(size=n)
    audience = rng.choice(["eleve", "demandeur"], size=n, p=[0.7, 0.3])
    diff = TRUE_CHANGE + 0.6 * x + rng.normal(size=n)  # E[diff] = 0.5
    p_stay = 1 / (1 + np.exp(-(0.3 + 1.2 * x)))
    retained = rng.random(n) < p_stay
    baseline = pd.DataFrame({"x": x, "audience": audience, "age": rng.normal(15, 2, size=n)},
                            index=pd.RangeIndex(1000, 1000 + n, name="respondent"))
    # missing covariate values must not drop anyone from the model
    baseline.loc[baseline.index[::25], "age"] = np.nan
    baseline.loc[baseline.index[3::40], "audience"] = None
    return baseline, pd.Series(retained, index=baseline.index), diff


def _replicate(rng, n=2000):
    x = rng.normal(size=n)
    diff = TRUE_CHANGE + 0.6 * x + rng.normal(size=n)
    retained = rng.random(n) < 1 / (1 + np.exp(-(0.3 + 1.0 * x)))
    baseline = pd.DataFrame({"x": x, "audience": rng.choice(["eleve", "demandeur"], size=n)})
    return baseline, pd.Series(retained), diff


def test_naive_mean_is_biased_and_ipw_recovers_truth(campaign):
    # one campaign: the complete-case CI misses the truth, the IPW one covers it
    baseline, retained, diff = campaign
    stayed = retained.to_numpy()
    naive = ipw_mean_change(diff[stayed], np.ones(stayed.sum()))
    assert not naive.ci_low <= TRUE_CHANGE <= naive.ci_high
    assert naive.estimate > TRUE_CHANGE + 0.1
    w = attrition_weights(baseline, retained, ["x", "audience", "age"], truncate=None)
    ipw = ipw_mean_change(diff[stayed], w["weight"].to_numpy()[stayed])
    assert ipw.ci_low <= TRUE_CHANGE <= ipw.ci_high


def test_ipw_bias_and_coverage_over_replications():
    # 40 seeded campaigns: IPW (with the default 1 %/99 % truncation) removes most of the
    # complete-case bias and its CI covers the truth most of the time; the naive CI never does.
    rng = np.random.default_rng(77)
    naive, ipw = [], []
    for _ in range(40):
        baseline, retained, diff = _replicate(rng)
        stayed = retained.to_numpy()
        w = attrition_weights(baseline, retained, ["x", "audience"])
        naive.append(ipw_mean_change(diff[stayed], np.ones(stayed.sum())))
        ipw.append(ipw_mean_change(diff[stayed], w["weight"].to_numpy()[stayed]))

    def coverage(results):
        return np.mean([r.ci_low <= TRUE_CHANGE <= r.ci_high for r in results])

    naive_bias = np.mean([r.estimate for r in naive]) - TRUE_CHANGE
    ipw_bias = np.mean([r.estimate for r in ipw]) - TRUE_CHANGE
    assert naive_bias > 0.15 and coverage(naive) <= 0.1
    assert abs(ipw_bias) < 0.2 * naive_bias
    assert coverage(ipw) >= 0.8


def test_weights_frame(campaign):
    baseline, retained, _ = campaign
    w = attrition_weights(baseline, retained, ["x", "audience", "age"])
    assert w.index.equals(baseline.index)
    assert list(w.columns) == ["retained", "p_retained", "weight_raw", "weight"]
    assert w["p_retained"].between(0, 1).all()
    assert w.loc[~retained, "weight"].isna().all()
    kept = w.loc[retained, "weight_raw"]
    low, high = kept.quantile([0.01, 0.99])
    assert w.loc[retained, "weight"].between(low - 1e-12, high + 1e-12).all()
    # stabilised: P̄/p̂ has mean about 1 over the retained
    assert kept.mean() == pytest.approx(1.0, abs=0.1)
    # retention rises with x in the simulation: the fitted model must see it
    assert np.corrcoef(baseline["x"], w["p_retained"])[0, 1] > 0.9


def test_weights_equal_marginal_ratio_without_covariate_signal():
    # a covariate-free model predicts the marginal rate for all → every weight is 1
    baseline = pd.DataFrame({"g": ["a", "b"] * 50})
    retained = pd.Series([True, True, False, True] * 25)
    w = attrition_weights(baseline, retained, [])
    assert w.loc[retained, "weight"].to_numpy() == pytest.approx(1.0)


def test_ipw_se_is_hc1_sandwich_by_hand():
    rng = np.random.default_rng(1)
    d = rng.normal(size=50)
    w = rng.uniform(0.5, 2.0, size=50)
    res = ipw_mean_change(d, w)
    mu = np.sum(w * d) / np.sum(w)
    n = d.size
    var = n / (n - 1) * np.sum(w**2 * (d - mu) ** 2) / np.sum(w) ** 2
    assert res.estimate == pytest.approx(mu)
    assert res.se == pytest.approx(np.sqrt(var), rel=1e-10)
    assert res.ci_high - res.estimate == pytest.approx(stats.t.ppf(0.975, n - 1) * res.se)
    # equal weights: the ordinary mean and its usual standard error s/√n
    eq = ipw_mean_change(d, np.ones(n))
    assert eq.se == pytest.approx(d.std(ddof=1) / np.sqrt(n), rel=1e-10)
    assert eq.effective_n == pytest.approx(n)


def test_errors_and_missing_values():
    baseline = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError):
        attrition_weights(baseline, pd.Series([True, True, True]), ["x"])
    with pytest.raises(ValueError):
        attrition_weights(baseline, pd.Series([True, None, False]), ["x"])
    res = ipw_mean_change([1.0, np.nan, 3.0, 5.0], [1.0, 1.0, np.nan, 1.0])
    assert res.n == 2 and res.estimate == pytest.approx(3.0)


# --- many sites: the site's leave-one-out retention rate instead of one dummy per site ------


def test_site_retention_is_leave_one_out_and_smoothed():
    from impact.linkage.attrition import site_retention

    site = pd.Series(["a", "a", "a", "b"])
    kept = pd.Series([True, True, False, False])
    # a: 2 of 3 retained; without respondent 0: 1 of 2 → (1 + 1)/(2 + 2); b alone: (0+1)/(0+2)
    expected = [2 / 4, 2 / 4, 3 / 4, 1 / 2]
    np.testing.assert_allclose(site_retention(site, kept), expected)


def _many_site_panel(sites: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(sites):
        keep_rate = 0.3 + 0.6 * (s % 2)  # odd sites keep most of their respondents
        for r in range(20):
            rid = f"{s}-{r}"
            base = dict(respondent_id=rid, site=f"S{s:03d}", gender=rng.choice(["F", "M"]),
                        audience="lyceen", image=float(rng.normal(3, 1)))
            rows.append(dict(base, wave="pre"))
            if rng.random() < keep_rate:
                rows.append(dict(base, wave="post"))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("sites, site_rows", [(10, "site=S000"), (60, "site_retention_loo")])
def test_attrition_model_site_encoding(sites, site_rows):
    from impact.linkage.attrition import MAX_SITE_DUMMIES, attrition_rows

    assert 10 <= MAX_SITE_DUMMIES < 60
    panel = _many_site_panel(sites)
    records, weights = attrition_rows(panel, ["pre", "post"], ["image"], programme="p",
                                      wave_audiences={})
    names = {r["subgroup_value"] for r in records if r["indicator"] == "stayers_vs_leavers"}
    assert site_rows in names
    assert not any(n.startswith("site=") for n in names) or sites <= MAX_SITE_DUMMIES
    # either way, the weights undo the site-driven attrition: the weighted share of odd sites
    # among the retained is the share among everyone who started (one half)
    retained = weights["ipw_post"].dropna()
    odd = panel.drop_duplicates("respondent_id").set_index("respondent_id")["site"].str[-1] \
        .astype(int).mod(2).reindex(retained.index)
    assert np.average(odd, weights=retained) == pytest.approx(0.5, abs=0.05)
    assert odd.mean() > 0.65  # the unweighted retained sample is tilted
