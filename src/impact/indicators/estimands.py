"""The estimand follows the design: headline rows, WWC baseline equivalence on the analytic
sample, clustering, linkage sensitivity and the evidence rating of each primary outcome.

Each programme's codebook declares its design (``design.type``) and its primary outcomes
(:class:`impact.survey.codebook.Design`). For every scale (and numeric single item):

* **design ``comparison_group`` or ``randomised``** — the analytic sample is the respondents of
  both groups present at both waves with the outcome. Baseline equivalence is Hedges' g
  (participants − comparison) at baseline *on that sample* (WWC Standards Handbook v5.0), with
  the WWC class. The impact is the difference-in-differences on complete pairs,
  ``Δᵢ = β₀ + β₁·participantᵢ + εᵢ`` (β₁ = participants' mean change − comparison's mean
  change), OLS with CR2 standard errors clustered by site and Bell–McCaffrey degrees of
  freedom (:func:`impact.stats.cluster.cr2_ols`); when the baseline difference requires
  adjustment (0.05 < |g| ≤ 0.25) the headline is the covariate-adjusted estimate
  ``postᵢ = β₀ + β₁·participantᵢ + β₂·preᵢ + εᵢ`` (ANCOVA, same CR2 inference) and the
  unadjusted DiD stays published. The effect size is the WWC Hedges' g of the impact:
  ``g = ω·β₁ / s_p``, ``s_p`` the pooled SD of the two groups at baseline on the analytic
  sample, ``ω = 1 − 3/(4N − 9)`` (:func:`impact.stats.wwc.wwc_standardised_difference`); its
  CI is the CR2 CI mapped the same way.
* **design ``pre_post``** — no counterfactual: the headline is the participants' before/after
  change, described as such (flag ``not_causal``), mean change with a CR2 CI by site
  (``Δᵢ = β₀ + εᵢ``) and g_av (Lakens 2013) with that CI mapped by ``g_av/Δ̄``.

Indicator codes: ``headline`` (outcome units) and ``headline_es`` (SD units) — the estimand in
``method`` (``did_cr2_site``, ``ancova_cr2_site``, ``before_after_cr2_site``), ``primary`` or
``exploratory`` in ``flag``; ``did`` and ``ancova`` (comparison designs, both always);
``baseline_equivalence`` on the analytic sample (the older all-baseline-respondents version is
kept as ``subgroup = sample``); ``icc`` of the change between sites and ``design_effect``
(Kish); ``wwc_clustering_correction`` (Hedges 2007) of the unclustered two-group t, with the
ICC used; ``change_clustered``, each group's mean change with a CR2 CI by site; the
``headline`` rows again on exact links only (``subgroup = link``); and, for each primary
outcome, ``evidence_wwc`` and ``evidence_security`` (:mod:`impact.indicators.rating`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.indicators.rating import EvidenceInputs, evidence_rows
from impact.stats.cluster import cr2_ols, design_effect, wwc_clustering_correction
from impact.stats.power import icc_oneway
from impact.stats.wwc import (
    baseline_equivalence,
    classify_attrition,
    cox_index,
    hedges_g_two_groups,
    pooled_sd,
    wwc_standardised_difference,
)

MIN_PAIRS = 20
#: ICC the WWC imputes for behavioural and attitudinal outcomes in its clustering correction
#: when a study reports none (Procedures and Standards Handbook v5.0).
WWC_DEFAULT_ICC = 0.10


@dataclass(frozen=True)
class EstimandSettings:
    """What the estimands need from ``analysis`` (see config/README.md)."""

    alpha: float
    power: float
    icc_prior: float
    icc_min_clusters: int

    @classmethod
    def from_config(cls, analysis: dict) -> EstimandSettings:
        return cls(alpha=analysis["alpha"], power=analysis["power"],
                   icc_prior=analysis.get("icc_prior", 0.10),
                   icc_min_clusters=analysis.get("icc_min_clusters", 20))


def design_rows(panel: pd.DataFrame, pairs: pd.DataFrame, codebook, measures: list[str],
                settings: EstimandSettings, head: dict,
                positive: str | None = None) -> list[dict]:
    """Headline, baseline equivalence, clustering, linkage sensitivity and evidence rows
    (``positive``: the code of the binary intention's « yes », for its Cox-index DiD)."""
    design = codebook.design
    grouped = design.has_comparison and (pairs["group"] == "comparison").any()
    baseline = panel[panel["wave"] == head["wave_from"]]
    rows: list[dict] = []
    if grouped and positive is not None and "intention_pre" in pairs:
        rows += binary_did_rows(pairs, positive, settings, head)
    for measure in measures:
        if f"{measure}_pre" not in pairs:
            continue
        role = "primary" if measure in design.primary_outcomes else "exploratory"
        if not design.declared:
            role += ";design_not_declared"
        data = _analytic(pairs, measure, grouped)
        if len(data) < MIN_PAIRS:
            continue
        if grouped:
            result = _comparison(data, measure, settings, head, role)
        else:
            result = _before_after(data, measure, settings, head, role)
        rows += result.rows
        rows += _clustered_change_rows(data, measure, settings, head)
        rows += _clustering_rows(data, measure, settings, head, grouped)
        exact = data[data["link_post"] == "exact"] if "link_post" in data else data.iloc[:0]
        if len(exact) >= MIN_PAIRS and len(exact) < len(data):
            redo = (_comparison if grouped else _before_after)(exact, measure, settings, head,
                                                               role)
            rows += [dict(r, subgroup="link", subgroup_value="exact",
                          flag=_join(r.get("flag", ""), "linkage_sensitivity"))
                     for r in redo.rows if r["indicator"] in ("headline", "headline_es")]
        if grouped:
            rows += _all_baseline_equivalence(baseline, measure, settings, head)
        if role.startswith("primary"):
            rows += evidence_rows(_evidence_inputs(baseline, data, result, design, measure,
                                                   settings, grouped), head, measure)
    return rows


@dataclass
class _Result:
    rows: list[dict]
    g: float = float("nan")
    g_se: float = float("nan")
    df: float = float("nan")
    equivalence: str = ""
    adjusted: bool = False


def _analytic(pairs: pd.DataFrame, measure: str, grouped: bool) -> pd.DataFrame:
    cols = [f"{measure}_pre", f"{measure}_post", "group", "site"]
    cols += [c for c in ("link_post",) if c in pairs]
    data = pairs[cols].dropna(subset=cols[:4]).copy()
    if not grouped:
        data = data[data["group"].fillna("participant") == "participant"]
    data["pre"] = data[f"{measure}_pre"].astype(float)
    data["post"] = data[f"{measure}_post"].astype(float)
    data["delta"] = data["post"] - data["pre"]
    data["participant"] = (data["group"] == "participant").astype(float)
    return data


def _unit(measure: str) -> str:
    return "count" if measure == "jobs_named" else "points"


def _fit_row(fit, k: int, settings: EstimandSettings) -> dict:
    low, high = fit.ci(k, settings.alpha)
    return dict(estimate=float(fit.params[k]), ci_low=low, ci_high=high, statistic=fit.t(k),
                df=float(fit.df[k]), p_value=fit.p(k))


def _comparison(data: pd.DataFrame, measure: str, settings: EstimandSettings, head: dict,
                role: str) -> _Result:
    part, comp = data[data["participant"] == 1], data[data["participant"] == 0]
    n = len(data)
    if len(part) < 2 or len(comp) < 2 or data["site"].nunique() < 2:
        return _Result(rows=[])
    row = dict(head, measure=measure, subgroup="all", n=n)
    g0 = hedges_g_two_groups(part["pre"], comp["pre"], alpha=settings.alpha)
    equivalence = str(baseline_equivalence(g0.g)) if np.isfinite(g0.g) else "not_computed"
    rows = [dict(row, indicator="baseline_equivalence", wave_to="", estimate=g0.g,
                 ci_low=g0.ci_low, ci_high=g0.ci_high, effect_size=g0.g, es_type="g",
                 unit="sd", method="wwc_hedges_g_analytic_sample", flag=f"wwc_{equivalence}")]
    sd = pooled_sd(part["pre"], comp["pre"])
    ones = np.ones(n)
    did = cr2_ols(data["delta"], np.column_stack([ones, data["participant"]]), data["site"])
    ancova = cr2_ols(data["post"], np.column_stack([ones, data["participant"], data["pre"]]),
                     data["site"])
    fits = {"did": (did, "did_cr2_site"), "ancova": (ancova, "ancova_cr2_site")}
    for indicator, (fit, method) in fits.items():
        values = _fit_row(fit, 1, settings)
        g, _, _ = wwc_standardised_difference(values["estimate"], sd, n)
        rows.append(dict(row, indicator=indicator, **values, effect_size=g, es_type="g",
                         unit=_unit(measure), method=method))
    adjusted = equivalence == "adjustment_required"
    fit, method = fits["ancova" if adjusted else "did"]
    values = _fit_row(fit, 1, settings)
    g, g_low, g_high = wwc_standardised_difference(values["estimate"], sd, n,
                                                   (values["ci_low"], values["ci_high"]))
    flag = _join(role, "design=" + "comparison_group", f"wwc_baseline_{equivalence}",
                 "covariate_adjusted" if adjusted else "",
                 f"clusters={data['site'].nunique()}")
    rows += [
        dict(row, indicator="headline", **values, effect_size=g, es_type="g",
             unit=_unit(measure), method=method, flag=flag),
        dict(row, indicator="headline_es", estimate=g, ci_low=g_low, ci_high=g_high,
             effect_size=g, es_type="g", statistic=values["statistic"], df=values["df"],
             p_value=values["p_value"], unit="sd", method=method + "_wwc_g", flag=flag),
    ]
    factor = g / values["estimate"] if values["estimate"] else float("nan")
    se = fit.se[1] * abs(factor)
    return _Result(rows=rows, g=g, g_se=se, df=float(fit.df[1]), equivalence=equivalence,
                   adjusted=adjusted)


def _before_after(data: pd.DataFrame, measure: str, settings: EstimandSettings, head: dict,
                  role: str) -> _Result:
    from impact.stats.effects import hedges_j_gav

    n = len(data)
    if data["site"].nunique() < 2:
        return _Result(rows=[])
    fit = cr2_ols(data["delta"], np.ones((n, 1)), data["site"])
    values = _fit_row(fit, 0, settings)
    sd_av = (data["pre"].std(ddof=1) + data["post"].std(ddof=1)) / 2
    factor = hedges_j_gav(n) / sd_av if sd_av > 0 else float("nan")
    g = values["estimate"] * factor
    flag = _join(role, "design=pre_post", "not_causal", f"clusters={data['site'].nunique()}")
    row = dict(head, measure=measure, subgroup="all", n=n)
    rows = [
        dict(row, indicator="headline", **values, effect_size=g, es_type="g_av",
             unit=_unit(measure), method="before_after_cr2_site", flag=flag),
        dict(row, indicator="headline_es", estimate=g, ci_low=values["ci_low"] * factor,
             ci_high=values["ci_high"] * factor, effect_size=g, es_type="g_av",
             statistic=values["statistic"], df=values["df"], p_value=values["p_value"],
             unit="sd", method="before_after_cr2_site_g_av", flag=flag),
    ]
    return _Result(rows=rows, g=g, g_se=float(fit.se[0] * abs(factor)), df=float(fit.df[0]))


def _clustered_change_rows(data: pd.DataFrame, measure: str, settings: EstimandSettings,
                           head: dict) -> list[dict]:
    """Each group's own mean change with a CR2 CI by site (``Δᵢ = β₀ + εᵢ``): the paired t
    treats pupils of one school as independent."""
    rows = []
    for group, cell in data.groupby(data["group"].fillna("participant")):
        if len(cell) < MIN_PAIRS or cell["site"].nunique() < 2:
            continue
        fit = cr2_ols(cell["delta"], np.ones((len(cell), 1)), cell["site"])
        sub = dict(subgroup="all") if group == "participant" else \
            dict(subgroup="group", subgroup_value=str(group))
        rows.append(dict(head, **sub, measure=measure, indicator="change_clustered",
                         n=len(cell), **_fit_row(fit, 0, settings), unit=_unit(measure),
                         method="mean_change_cr2_site",
                         flag=f"clusters={cell['site'].nunique()}"))
    return rows


def _clustering_rows(data: pd.DataFrame, measure: str, settings: EstimandSettings,
                     head: dict, grouped: bool) -> list[dict]:
    """ICC of the change between sites, Kish's design effect, and (comparison designs) the
    WWC clustering correction of the two-group t computed ignoring sites."""
    from scipy import stats

    sizes = data.groupby("site").size()
    icc = icc_oneway(data["delta"].to_numpy(), data["site"].to_numpy())
    unreliable = not np.isfinite(icc) or icc == 0 or len(sizes) < settings.icc_min_clusters
    row = dict(head, measure=measure, subgroup="all", n=len(data))
    rows = [dict(row, indicator="icc", estimate=icc, unit="coefficient",
                 statistic=float(len(sizes)), method="icc1_oneway_anova_change_by_site",
                 flag=_join("unreliable_few_clusters" if len(sizes) < settings.icc_min_clusters
                            else "", "clipped_at_0" if icc == 0 else "")),
            dict(row, indicator="design_effect", estimate=design_effect(sizes, icc),
                 statistic=float(sizes.mean()), unit="ratio",
                 method="kish_1_plus_m_minus_1_icc")]
    if grouped:
        part, comp = data[data["participant"] == 1], data[data["participant"] == 0]
        if len(part) > 1 and len(comp) > 1:
            t = stats.ttest_ind(part["delta"], comp["delta"]).statistic
            rho = WWC_DEFAULT_ICC if unreliable else icc
            corr = wwc_clustering_correction(float(t), len(data), len(sizes), rho)
            rows.append(dict(row, indicator="wwc_clustering_correction", estimate=rho,
                             statistic=corr.t, df=corr.df, p_value=corr.p_value, unit="",
                             method="hedges_2007_icc_in_estimate",
                             flag="icc_wwc_default" if unreliable else "icc_estimated"))
    return rows


def _all_baseline_equivalence(baseline: pd.DataFrame, measure: str,
                              settings: EstimandSettings, head: dict) -> list[dict]:
    """The baseline difference on every baseline respondent (what was published before; WWC
    requires the analytic sample, kept here for comparison)."""
    if measure not in baseline:
        return []
    g = hedges_g_two_groups(baseline.loc[baseline["group"] == "participant", measure],
                            baseline.loc[baseline["group"] == "comparison", measure],
                            alpha=settings.alpha)
    if not np.isfinite(g.g):
        return []
    return [dict(head, measure=measure, indicator="baseline_equivalence", subgroup="sample",
                 subgroup_value="baseline_respondents", wave_to="", n=g.n1 + g.n2,
                 estimate=g.g, ci_low=g.ci_low, ci_high=g.ci_high, effect_size=g.g,
                 es_type="g", unit="sd", method="wwc_hedges_g_baseline_respondents",
                 flag=f"wwc_{baseline_equivalence(g.g)}")]


def _evidence_inputs(baseline: pd.DataFrame, data: pd.DataFrame, result: _Result, design,
                     measure: str, settings: EstimandSettings, grouped: bool) -> EvidenceInputs:
    groups = baseline["group"].fillna("participant") if "group" in baseline else \
        pd.Series("participant", index=baseline.index)
    has_outcome = baseline[measure].notna() if measure in baseline else groups.notna()
    base_n = groups[has_outcome].value_counts()
    kept_n = data["group"].fillna("participant").value_counts()
    rates = {g: 1 - kept_n.get(g, 0) / base_n[g] for g in base_n.index if base_n[g] > 0}
    total = 1 - len(data) / max(int(base_n.sum()), 1)
    differential = abs(rates.get("participant", 0) - rates.get("comparison", 0)) \
        if grouped else 0.0
    attrition_class = str(classify_attrition(min(max(total, 0.0), 1.0), differential,
                                             design.attrition_boundary))
    sites = data.groupby("group")["site"].nunique()
    return EvidenceInputs(
        design=design.type if grouped or design.type == "pre_post" else "pre_post",
        comparison=design.comparison, overall_attrition=total,
        differential_attrition=differential, attrition_class=attrition_class,
        attrition_boundary=design.attrition_boundary, equivalence=result.equivalence,
        adjusted=result.adjusted, g=result.g, g_se=result.g_se, df=result.df,
        n=len(data), n_clusters=int(data["site"].nunique()),
        min_sites_per_group=int(sites.min()) if len(sites) else 0, alpha=settings.alpha,
        power=settings.power)


def _join(*parts: str) -> str:
    return ";".join(p for p in parts if p)


def binary_did_rows(pairs: pd.DataFrame, positive: str, settings: EstimandSettings,
                    head: dict) -> list[dict]:
    """Difference-in-differences of the share answering « yes » (``did_binary``).

    Estimate in proportion points: OLS of ``yᵢ,post − yᵢ,pre`` (y = 1 for « yes ») on
    participation, CR2 by site. Effect size the WWC difference-in-differences of Cox indices,
    ``d = d_Cox(post) − d_Cox(pre)``, ``d_Cox = ω·(logit p_t − logit p_c)/1.65`` (WWC
    Procedures and Standards Handbook v5.0, dichotomous outcomes and difference-in-differences
    adjustment); its CI maps the CR2 CI of the proportion-point DiD by ``d / DiD`` (a
    linearisation around the estimate, stated in ``method``).
    """
    data = pairs[["intention_pre", "intention_post", "group", "site"]].dropna()
    if data["group"].nunique() < 2 or len(data) < MIN_PAIRS or data["site"].nunique() < 2:
        return []
    pre = (data["intention_pre"] == positive).to_numpy(float)
    post = (data["intention_post"] == positive).to_numpy(float)
    part = (data["group"] == "participant").to_numpy(float)
    fit = cr2_ols(post - pre, np.column_stack([np.ones(len(data)), part]), data["site"])
    values = _fit_row(fit, 1, settings)
    n = len(data)
    treated, control = part == 1, part == 0
    cox = (cox_index(post[treated].mean(), post[control].mean(), n)
           - cox_index(pre[treated].mean(), pre[control].mean(), n))
    factor = cox / values["estimate"] if values["estimate"] else float("nan")
    low, high = sorted((values["ci_low"] * factor, values["ci_high"] * factor))
    row = dict(head, measure="intention", subgroup="all", n=n)
    return [
        dict(row, indicator="did_binary", **values, effect_size=cox, es_type="cox",
             unit="proportion", method="did_lpm_cr2_site"),
        dict(row, indicator="did_binary_es", estimate=cox, ci_low=low, ci_high=high,
             effect_size=cox, es_type="cox", statistic=values["statistic"], df=values["df"],
             p_value=values["p_value"], unit="sd",
             method="wwc_cox_index_did_ci_linearised_from_cr2"),
    ]
