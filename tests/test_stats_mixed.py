"""The nested random-intercept REML fit (impact.stats.mixed) against statsmodels' MixedLM, which
fits the same model by a different algorithm (dense per-site inversion, BFGS)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from impact.stats.effects import cell_changes, paired_change
from impact.stats.mixed import fit_nested_reml

FORMULA = "y ~ post * C(audience) + C(gender)"


def nested_data(seed: int, site_sd: float = 0.4, sites: int = 25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(sites):
        site_effect = rng.normal(0, site_sd)
        for r in range(int(rng.integers(4, 20))):
            person = rng.normal(0, 0.7)
            audience, gender = rng.choice(["a", "b", "c"]), rng.choice(["F", "M"])
            for wave in (0.0, 1.0):
                if rng.random() < 0.15:  # missed a wave: the model still uses the other
                    continue
                rows.append(dict(site=f"S{s}", rid=f"{s}-{r}", post=wave, audience=audience,
                                 gender=gender, y=3 + 0.3 * wave + 0.2 * wave * (audience == "b")
                                 + site_effect + person + rng.normal(0, 0.6)))
    return pd.DataFrame(rows)


def both_fits(data: pd.DataFrame, nested: bool = True):
    design = smf.ols(FORMULA, data)
    exog = pd.DataFrame(design.exog, columns=design.exog_names)
    ours = fit_nested_reml(design.endog, exog, data["rid"].to_numpy(),
                           data["site"].to_numpy() if nested else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if nested:
            model = smf.mixedlm(FORMULA, data, groups=data["site"], re_formula="1",
                                vc_formula={"respondent": "0 + C(rid)"})
        else:
            model = smf.mixedlm(FORMULA, data, groups=data["rid"])
        theirs = model.fit(reml=True)
    return ours, theirs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nested_fit_agrees_with_statsmodels_mixedlm(seed):
    data = nested_data(seed)
    ours, theirs = both_fits(data)
    names = list(ours.params.index)
    assert ours.converged and theirs.converged
    np.testing.assert_allclose(ours.params, theirs.fe_params[names], rtol=1e-4, atol=1e-5)
    # statsmodels' SEs come from the observed information of all parameters jointly; ours
    # from σ²(X'H⁻¹X)⁻¹ (the GLS form lme4 reports): equal up to a fraction of a percent
    np.testing.assert_allclose(ours.bse, theirs.bse[names], rtol=0.01)
    assert ours.scale == pytest.approx(theirs.scale, rel=1e-3)
    assert ours.site_var == pytest.approx(theirs.cov_re.iloc[0, 0], rel=1e-2)
    assert ours.respondent_var == pytest.approx(theirs.vcomp[0], rel=1e-2)
    ours_wald = ours.wald_test([n for n in names if n.startswith("post:")])
    theirs_wald = theirs.wald_test("post:C(audience)[T.b] = 0, post:C(audience)[T.c] = 0",
                                   scalar=True)
    assert ours_wald[0] == pytest.approx(float(theirs_wald.statistic), rel=0.02)


def test_respondent_only_fit_agrees_with_statsmodels():
    data = nested_data(4, site_sd=0.0, sites=1)
    ours, theirs = both_fits(data, nested=False)
    np.testing.assert_allclose(ours.params, theirs.fe_params[ours.params.index], rtol=1e-4,
                               atol=1e-5)
    assert ours.respondent_var == pytest.approx(theirs.cov_re.iloc[0, 0],
                                                rel=1e-2)
    assert ours.site_var == 0 and ours.n_sites == 1


def test_no_site_variance_is_estimated_at_the_boundary():
    """Sites that do not differ: the site component goes to (almost) zero, as in MixedLM."""
    data = nested_data(5, site_sd=0.0)
    ours, theirs = both_fits(data)
    assert ours.site_var < 0.01
    np.testing.assert_allclose(ours.params, theirs.fe_params[ours.params.index], atol=1e-3)


def test_balanced_complete_pairs_give_the_paired_mean_change():
    """With every respondent at both waves and no covariate, the wave effect is D̄."""
    rng = np.random.default_rng(6)
    person = rng.normal(0, 1, 200)
    pre = 3 + person + rng.normal(0, 0.5, 200)
    post = 3.4 + person + rng.normal(0, 0.5, 200)
    data = pd.DataFrame({"y": np.r_[pre, post], "post": np.r_[np.zeros(200), np.ones(200)],
                         "rid": np.r_[np.arange(200), np.arange(200)],
                         "site": np.r_[np.arange(200) % 10, np.arange(200) % 10]})
    exog = pd.DataFrame({"Intercept": 1.0, "post": data["post"]})
    fit = fit_nested_reml(data["y"].to_numpy(), exog, data["rid"].to_numpy(),
                          data["site"].to_numpy())
    assert fit.params["post"] == pytest.approx((post - pre).mean(), abs=1e-8)
    # and its SE is the paired-t SE (the random intercept absorbs the person)
    assert fit.bse["post"] == pytest.approx((post - pre).std(ddof=1) / np.sqrt(200), rel=0.02)


def test_cell_changes_match_paired_change_in_every_cell():
    rng = np.random.default_rng(7)
    cells = rng.choice(["a", "b", "c", "d"], 300)
    pre = rng.normal(3, 1, 300)
    post = pre + rng.normal(0.3, 0.8, 300)
    pre[rng.random(300) < 0.1] = np.nan
    table = cell_changes(pre, post, cells)
    assert list(table.index) == ["a", "b", "c", "d"]
    for cell, row in table.iterrows():
        mask = cells == cell
        one = paired_change(pre[mask], post[mask])
        assert row["n"] == one.n
        for ours, theirs in (("mean_diff", "mean_diff"), ("ci_low", "ci_low"),
                             ("ci_high", "ci_high"), ("t", "t"), ("p_t", "p_t"), ("d_z", "d_z"),
                             ("g_av", "g_av"), ("g_av_ci_low", "g_av_ci_low"),
                             ("g_av_ci_high", "g_av_ci_high")):
            assert row[ours] == pytest.approx(getattr(one, theirs), rel=1e-9), ours


def test_cells_with_fewer_than_two_pairs_are_left_out():
    table = cell_changes([1.0, 2.0, 3.0], [2.0, 2.5, 4.0], ["a", "b", "b"])
    assert list(table.index) == ["b"]


def likert_data(seed: int) -> pd.DataFrame:
    """Rounded answers with small or null variance components: a flat REML likelihood."""
    rng = np.random.default_rng(seed)
    respondents, sites = int(rng.integers(20, 200)), int(rng.integers(2, 8))
    site = rng.integers(0, sites, respondents)
    u = rng.normal(0, rng.choice([0, 0.01, 0.3]), sites)
    v = rng.normal(0, rng.choice([0, 0.01, 0.5]), respondents)
    rows = [(r, site[r], w, 3 + 0.3 * w + u[site[r]] + v[r] + rng.normal(0, 1))
            for r in range(respondents) for w in (0, 1) if rng.random() < 0.85 or w == 0]
    data = pd.DataFrame(rows, columns=["rid", "site", "post", "y"])
    return data.assign(y=np.round(data["y"] * 4) / 4, post=data["post"].astype(float))


def dense_reml(data: pd.DataFrame, g_r: float, g_s: float) -> float:
    """REML log-likelihood (σ² profiled, no constant) of ``y ~ post`` from the dense H."""
    x = np.column_stack([np.ones(len(data)), data["post"]])
    y = data["y"].to_numpy()
    same = lambda key: (data[key].to_numpy()[:, None] == data[key].to_numpy()[None, :])  # noqa: E731
    h = np.eye(len(data)) + g_r * same("rid") + g_s * same("site")
    hinv = np.linalg.inv(h)
    xhx = x.T @ hinv @ x
    beta = np.linalg.solve(xhx, x.T @ hinv @ y)
    r = y - x @ beta
    n, p = x.shape
    return -0.5 * (np.linalg.slogdet(h)[1] + np.linalg.slogdet(xhx)[1]
                   + (n - p) * np.log(r @ hinv @ r))


@pytest.mark.parametrize("seed", [23, 276])
def test_flat_likelihood_is_finished_by_the_gradient_free_restart(seed, monkeypatch):
    """On these two flat likelihoods (found by scanning 300 seeds) L-BFGS-B's line search can
    stop "ABNORMAL" (MixedLM does not converge on them either) — whether it does depends on the
    processor's floating point, so the test stops it after two steps. The Nelder–Mead
    restart must then finish the fit at the REML maximum, checked on the dense likelihood over
    a grid of variance ratios that includes both boundaries."""
    import impact.stats.mixed

    methods = []
    minimize = impact.stats.mixed.optimize.minimize

    def abnormal_lbfgsb(*args, **kwargs):
        if kwargs["method"] == "L-BFGS-B":  # stopped after two steps, as an ABNORMAL exit
            kwargs["options"] = dict(kwargs["options"], maxiter=2)
        result = minimize(*args, **kwargs)
        methods.append((kwargs["method"], bool(result.success)))
        return result

    monkeypatch.setattr(impact.stats.mixed.optimize, "minimize", abnormal_lbfgsb)
    data = likert_data(seed)
    exog = pd.DataFrame({"Intercept": 1.0, "post": data["post"]})
    ours = fit_nested_reml(data["y"].to_numpy(), exog, data["rid"].to_numpy(),
                           data["site"].to_numpy())
    assert methods == [("L-BFGS-B", False), ("Nelder-Mead", True)]
    assert ours.converged
    reached = dense_reml(data, ours.respondent_var / ours.scale, ours.site_var / ours.scale)
    grid = np.r_[0.0, np.geomspace(1e-4, 4.0, 12)]
    best = max(dense_reml(data, g_r, g_s) for g_r in grid for g_s in grid)
    assert reached >= best - 1e-9


def test_site_random_slope_for_change_matches_statsmodels():
    # y = 2 + u0_s + v_r + (0.3 + u1_s)·post + e: schools differ in their change
    from impact.stats.mixed import fit_site_slope_reml

    rng = np.random.default_rng(3)
    rows = []
    for s in range(8):
        u0, u1 = rng.normal(0, 0.4), rng.normal(0, 0.25)
        for r in range(25):
            v = rng.normal(0, 0.6)
            for post in (0.0, 1.0):
                if post and rng.random() < 0.15:
                    continue
                rows.append(dict(site=f"s{s}", rid=f"s{s}r{r}", post=post,
                                 y=2 + u0 + v + (0.3 + u1) * post + rng.normal(0, 0.5)))
    data = pd.DataFrame(rows)
    exog = pd.DataFrame({"Intercept": 1.0, "post": data["post"]})
    ours = fit_site_slope_reml(data["y"].to_numpy(), exog, data["rid"].to_numpy(),
                               data["site"].to_numpy(), "post")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("y ~ post", data, groups="site", re_formula="1 + post",
                          vc_formula={"r": "0 + C(rid)"}).fit(reml=True, method=["lbfgs"])
    assert ours.converged
    assert ours.params["post"] == pytest.approx(ref.params["post"], abs=1e-5)
    assert ours.bse["post"] == pytest.approx(ref.bse["post"], rel=1e-3)
    assert ours.scale == pytest.approx(ref.scale, rel=1e-3)
    assert ours.site_var == pytest.approx(ref.cov_re.iloc[0, 0], rel=1e-2)  # absolute units
    # the slope makes the change's SE account for schools: larger than without it
    plain = fit_nested_reml(data["y"].to_numpy(), exog, data["rid"].to_numpy(),
                            data["site"].to_numpy())
    assert ours.bse["post"] > plain.bse["post"]
