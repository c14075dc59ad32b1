"""Attitude-change indicators and the publication step, against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.indicators import contract
from impact.indicators.attitudes import (
    AnalysisSettings,
    change_rows,
    intention_rows,
    mixed_model_rows,
    paired_frame,
)
from impact.indicators.publish import adjust, pooled_rows

SETTINGS = AnalysisSettings(alpha=0.05, reliability_threshold=0.7, covariates=("gender",),
                            ordinal_items=(), subgroups=("gender",), power=0.8)
HEAD = dict(programme="p", wave_from="pre", wave_to="post")


def balanced_panel(n_sites=6, per_site=40, change=0.3, seed=3) -> pd.DataFrame:
    """Every respondent answers both waves; gender constant within respondent."""
    rng = np.random.default_rng(seed)
    n = n_sites * per_site
    person = np.arange(n)
    site = np.repeat([f"s{k}" for k in range(n_sites)], per_site)
    site_effect = np.repeat(rng.normal(0, 0.3, n_sites), per_site)
    level = 2.5 + site_effect + rng.normal(0, 0.5, n)
    gender = rng.choice(["F", "M"], n)
    rows = []
    for wave, shift in (("pre", 0.0), ("post", change)):
        rows.append(pd.DataFrame({
            "respondent_id": [f"r{i:04d}" for i in person], "wave": wave, "site": site,
            "gender": gender, "audience": "lyceen", "group": "participant",
            "image": level + shift + rng.normal(0, 0.4, n)}))
    return pd.concat(rows, ignore_index=True)


class Book:
    programme, scales, single_items, comparison_group = "p", ("image",), (), False


def test_mixed_model_equals_paired_change_on_balanced_complete_data():
    panel = balanced_panel()
    lmm = [r for r in mixed_model_rows(panel, Book, SETTINGS, "pre", "post", HEAD)
           if r["indicator"] == "lmm_change"][0]
    wide = panel.pivot(index="respondent_id", columns="wave", values="image")
    assert lmm["estimate"] == pytest.approx((wide["post"] - wide["pre"]).mean(), abs=1e-6)
    assert lmm["n"] == 240


def test_a_mixed_model_that_did_not_converge_is_flagged_not_dropped(monkeypatch):
    import impact.stats.mixed

    def stalled(objective, start):  # the optimiser gives up where it started
        return impact.stats.mixed.optimize.OptimizeResult(x=start, fun=objective(start),
                                                    success=False)

    monkeypatch.setattr(impact.stats.mixed, "_minimise", stalled)
    rows = mixed_model_rows(balanced_panel(), Book, SETTINGS, "pre", "post", HEAD)
    lmm = [r for r in rows if r["indicator"] == "lmm_change"]
    assert len(lmm) == 1 and lmm[0]["flag"] == "not_converged"
    assert np.isfinite(lmm[0]["estimate"])


def test_change_rows_against_scipy_and_hand_formulas():
    rng = np.random.default_rng(11)
    pre = rng.normal(3, 0.6, 80)
    post = pre + 0.25 + rng.normal(0, 0.5, 80)
    pairs = pd.DataFrame({"image_pre": pre, "image_post": post})
    rows = {r["indicator"]: r for r in change_rows(pairs, "image", SETTINGS, HEAD)}
    test = stats.ttest_rel(post, pre)
    change = rows["mean_change"]
    assert change["statistic"] == pytest.approx(test.statistic)
    assert change["p_value"] == pytest.approx(test.pvalue)
    d = post - pre
    half = stats.t.ppf(0.975, 79) * d.std(ddof=1) / np.sqrt(80)
    assert (change["ci_low"], change["ci_high"]) == pytest.approx((d.mean() - half,
                                                                   d.mean() + half))
    assert rows["d_z"]["estimate"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert rows["wilcoxon"]["p_value"] == pytest.approx(stats.wilcoxon(post, pre).pvalue)
    means = [r["estimate"] for r in change_rows(pairs, "image", SETTINGS, HEAD)
             if r["indicator"] == "pair_mean"]
    assert means == pytest.approx([pre.mean(), post.mean()])


def test_intention_switches_and_mcnemar_by_hand(instrument):
    # 30 oui->oui, 5 oui->non, 15 non->oui, 50 non->non (nsp counts as "not oui")
    pre = ["oui"] * 35 + ["non"] * 40 + ["nsp"] * 25
    post = ["oui"] * 30 + ["non"] * 5 + ["oui"] * 15 + ["non"] * 25 + ["nsp"] * 25
    rows = {(r["indicator"], r["wave_from"]): r for r in intention_rows(
        pd.DataFrame({"intention_pre": pre, "intention_post": post}), instrument, SETTINGS,
        HEAD)}
    assert rows["share_positive", "pre"]["estimate"] == pytest.approx(0.35)
    assert rows["share_positive", "post"]["estimate"] == pytest.approx(0.45)
    assert rows["switch_to_positive", "pre"]["estimate"] == pytest.approx(0.15)
    assert rows["switch_from_positive", "pre"]["estimate"] == pytest.approx(0.05)
    exact = stats.binomtest(5, 20, 0.5).pvalue  # b + c = 20 < 25: exact test
    assert rows["mcnemar", "pre"]["p_value"] == pytest.approx(exact)


def test_small_subgroup_cells_are_suppressed():
    frame = contract.tidy([dict(programme="p", measure="image", indicator="mean_change",
                                subgroup="gender", subgroup_value="X", n=4, estimate=0.5,
                                ci_low=0.1, ci_high=0.9, p_value=0.01),
                           dict(programme="p", measure="image", indicator="mean_change",
                                subgroup="all", n=40, estimate=0.3)])
    out = contract.suppress(frame, 10)
    small, big = out.iloc[0], out.iloc[1]
    assert small["suppressed"] and small[contract.NUMERIC].isna().all()
    assert not big["suppressed"] and big["estimate"] == 0.3


def test_holm_within_each_programme_family():
    p = [0.01, 0.04, 0.03, 0.20]
    frame = contract.tidy(
        [dict(programme=prog, measure=m, indicator="mean_change", subgroup="all", p_value=v)
         for prog in ("a", "b") for m, v in zip("wxyz", p, strict=True)]
        + [dict(programme="a", measure="w", indicator="mean_change", subgroup="gender",
                subgroup_value="F", p_value=0.01)])
    out = adjust(frame, "holm", "programme")
    family = out[(out["programme"] == "a") & (out["subgroup"] == "all")]
    # Holm by hand: sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.09, 0.09 (monotone), 0.20
    assert family["p_adjusted"].tolist() == pytest.approx([0.04, 0.09, 0.09, 0.20])
    assert out[out["subgroup"] == "gender"]["p_adjusted"].isna().all()  # exploratory
    campaign = adjust(frame, "holm", "campaign")
    assert campaign["p_adjusted"].max() == pytest.approx(min(1, 0.20 * 2))  # family of 8


def test_primary_headlines_form_their_own_confirmatory_family():
    frame = contract.tidy(
        [dict(programme="a", measure=m, indicator="headline", subgroup="all", p_value=v,
              flag=f)
         for m, v, f in (("w", 0.01, "primary;design=pre_post"), ("x", 0.04, "primary"),
                         ("y", 0.001, "exploratory"))])
    out = adjust(frame, "holm", "programme").set_index("measure")
    # Holm by hand on the two primary outcomes: 0.01·2 = 0.02, max(0.02, 0.04·1) = 0.04
    assert out.loc[["w", "x"], "p_adjusted"].tolist() == pytest.approx([0.02, 0.04])
    assert out.loc["w", "adjustment"] == "holm:programme:primary"
    assert np.isnan(out.loc["y", "p_adjusted"])  # exploratory: not adjusted


def _pooled_input(estimates, ses):
    z = stats.norm.ppf(0.975)
    return contract.tidy([
        dict(programme=p, measure="image", indicator="mean_change_pomp", subgroup="all", n=n,
             estimate=e, ci_low=e - z * se, ci_high=e + z * se, unit="pomp")
        for p, n, e, se in zip("abcd", (100, 50, 80, 60), estimates, ses, strict=False)])


def test_pooled_random_effects_against_statsmodels():
    from statsmodels.stats.meta_analysis import combine_effects

    est, se = np.array([10.0, 4.0, 7.0]), np.array([2.0, 4.0, 3.0])
    rows = {r["indicator"]: r for r in pooled_rows(_pooled_input(est, se), 0.05)}
    ref = combine_effects(est, se**2, method_re="dl")  # second library
    assert rows["mean_change_pomp"]["estimate"] == pytest.approx(ref.mean_effect_re)
    assert rows["mean_change_pomp"]["statistic"] == pytest.approx(ref.q)
    assert rows["pooled_i2"]["estimate"] == pytest.approx(ref.i2)
    assert rows["pooled_tau2"]["estimate"] == pytest.approx(ref.tau2)
    assert "pooled_range" not in rows


def test_heterogeneous_programmes_give_a_range_not_a_pooled_headline():
    est, se = np.array([10.0, 2.0]), np.array([1.0, 1.0])  # Q = 32, I² = 0.97
    rows = {r["indicator"]: r for r in pooled_rows(_pooled_input(est, se), 0.05, 0.5)}
    head = rows["mean_change_pomp"]
    assert np.isnan(head["estimate"]) and np.isnan(head["ci_low"])
    assert head["flag"].startswith("heterogeneous")
    assert (rows["pooled_range"]["ci_low"], rows["pooled_range"]["ci_high"]) == (2.0, 10.0)
    assert rows["pooled_i2"]["estimate"] == pytest.approx(1 - 1 / 32)


def test_paired_frame_keeps_only_respondents_with_both_waves():
    panel = balanced_panel(n_sites=2, per_site=5)
    panel = panel.drop(index=panel.index[(panel["wave"] == "post")][:3])
    pairs = paired_frame(panel, "pre", "post", ["image"])
    assert len(pairs) == 7 and {"image_pre", "image_post"} <= set(pairs.columns)


def test_code_lists_refuse_undocumented_indicators():
    frame = contract.tidy([dict(programme="p", measure="m", indicator="mystery",
                                subgroup="all")])
    with pytest.raises(ValueError, match="undocumented indicator"):
        contract.code_lists(frame)
