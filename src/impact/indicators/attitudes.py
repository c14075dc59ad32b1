"""Attitude-change indicators of one programme, as rows of the tidy indicator table.

Estimands, for the programme's participants between the baseline wave and the post wave
(``wave_from`` → ``wave_to``):

* reliability of every scale at every wave (Cronbach's α with its Feldt CI, McDonald's ω);
* descriptive means (scale points and POMP) at every wave, on every answer;
* complete-pair change: pair means and SDs, mean change with its t CI, paired t, Wilcoxon
  signed-rank with the rank-biserial, d_z and g_av with CIs (Lakens 2013; see
  :func:`impact.stats.effects.paired_change`); the same in POMP points;
* binary intention (``oui`` vs not): shares at each wave (Wilson CIs) and McNemar's test;
* a linear mixed model on every answer (not only complete pairs), REML:
  ``score ~ wave + covariates`` with a random intercept per respondent nested in a random
  intercept per site (:mod:`impact.stats.mixed`, the model of statsmodels' ``MixedLM`` with
  ``groups=site`` and a variance component ``C(respondent_id)``, fitted in linear time);
  with one site only, the respondent is the group. The wave coefficient
  is the model-based change; the same model with a random slope of the change per site
  (``lmm_change_site_slope``, :func:`impact.stats.mixed.fit_site_slope_reml`); a second model
  adds ``wave × audience`` and its Wald test;
* an ordinal (proportional-odds, logit) model for the single items named in config, on the
  participants only: odds ratio of a higher answer at post, SEs clustered by respondent; with a
  comparison group also the group × wave interaction (the ordinal difference-in-differences);
* the inverse-probability-weighted mean change (weights from the attrition model);
* the comparison group, where there is one: its own change (the estimand the design
  supports — difference-in-differences, covariate-adjusted impact, before/after change — with
  clustered inference, baseline equivalence on the analytic sample and the evidence rating are
  built by :mod:`impact.indicators.estimands`);
* heterogeneity: change in each subgroup cell and the interaction test (``Δ ~ C(subgroup)``,
  F test);
* planning: the minimum detectable effect for the next campaign (Bloom 2006) given the
  observed number of sites, baseline sample per site, attrition, ICC and pre/post correlation;
* item-level answer distributions (for the Likert charts).

Multiple-testing adjustment happens when the programmes are put together
(:func:`impact.indicators.publish.adjust`), because the family can span programmes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.indicators.estimands import EstimandSettings, design_rows
from impact.stats.effects import cell_changes, mcnemar_change, paired_change
from impact.stats.power import icc_oneway, minimum_detectable_effect
from impact.stats.rates import wilson_ci
from impact.stats.reliability import cronbach_alpha, mcdonald_omega
from impact.survey.codebook import Codebook
from impact.survey.instrument import Instrument
from impact.survey.scales import flipped_items

MIN_MODEL_RESPONDENTS = 20


@dataclass(frozen=True)
class AnalysisSettings:
    alpha: float
    reliability_threshold: float
    covariates: tuple[str, ...]
    ordinal_items: tuple[str, ...]
    subgroups: tuple[str, ...]
    power: float
    icc_prior: float = 0.10
    icc_min_clusters: int = 20

    @classmethod
    def from_config(cls, config: dict) -> AnalysisSettings:
        a = config["analysis"]
        return cls(alpha=a["alpha"], reliability_threshold=a["reliability_threshold"],
                   covariates=tuple(a["covariates"]), ordinal_items=tuple(a.get(
                       "ordinal_items", [])), subgroups=tuple(a["subgroups"]),
                   power=a["power"], icc_prior=a.get("icc_prior", 0.10),
                   icc_min_clusters=a.get("icc_min_clusters", 20))


def attitude_indicators(panel: pd.DataFrame, codebook: Codebook, instrument: Instrument,
                        settings: AnalysisSettings, waves: list[str]) -> list[dict]:
    """Every attitude indicator of one programme (tidy records; see module docstring)."""
    programme = codebook.programme
    base = dict(programme=programme)
    rows: list[dict] = []
    rows += sample_sizes(panel, waves, base)
    rows += reliability_rows(panel, codebook, instrument, settings, waves, base)
    rows += descriptive_rows(panel, codebook, waves, base)
    rows += item_distributions(panel, codebook, instrument, waves, base)
    pre, post = waves[0], _post_wave(waves, codebook, instrument)
    if post is None:
        return rows
    change = dict(base, wave_from=pre, wave_to=post)
    pomp = [f"{s}_pomp" for s in codebook.scales if f"{s}_pomp" in panel]
    pairs = paired_frame(panel, pre, post, measures(codebook, instrument) + pomp)
    participants = pairs[pairs["group"].fillna("participant") == "participant"]
    for measure in measures(codebook, instrument):
        rows += change_rows(participants, measure, settings, change)
    rows += intention_rows(participants, instrument, settings, change)
    rows += heterogeneity_rows(participants, codebook, instrument, settings, change)
    rows += ipw_rows(participants, codebook, post, settings, change)
    rows += mixed_model_rows(panel, codebook, settings, pre, post, change)
    rows += ordinal_rows(panel, settings, pre, post, change)
    if codebook.comparison_group and (pairs["group"] == "comparison").any():
        rows += comparison_rows(panel, pairs, codebook, instrument, settings, change)
    rows += mde_rows(panel, participants, codebook, settings, pre, change, pairs)
    rows += design_rows(panel, pairs, codebook, measures(codebook, instrument),
                        EstimandSettings(alpha=settings.alpha, power=settings.power,
                                         icc_prior=settings.icc_prior,
                                         icc_min_clusters=settings.icc_min_clusters), change,
                        positive=instrument.positive_intention)
    return rows


def measures(codebook: Codebook, instrument: Instrument) -> list[str]:
    """Scales, then numeric single items (categorical ones are analysed separately)."""
    numeric = [s for s in codebook.single_items
               if instrument.variable(s).type in ("integer", "number")]
    return list(codebook.scales) + numeric


def _post_wave(waves: list[str], codebook: Codebook, instrument: Instrument) -> str | None:
    """The first wave after baseline at which the scales were asked again (usually ``post``)."""
    items = instrument.items(codebook.scales)
    for wave in waves[1:]:
        if any(i in codebook.waves[wave].columns for i in items):
            return wave
    return None


def paired_frame(panel: pd.DataFrame, pre: str, post: str, cols: list[str]) -> pd.DataFrame:
    """One row per respondent with ``<measure>_pre`` and ``<measure>_post``."""
    keep = ["respondent_id"] + [c for c in cols + ["intention"] if c in panel]
    first = panel[panel["wave"] == pre][keep + [c for c in ("group", "gender", "audience",
                                                            "site") if c in panel]]
    second = panel[panel["wave"] == post][keep + [c for c in ("link",) if c in panel]]
    pairs = first.merge(second, on="respondent_id", suffixes=("_pre", "_post"))
    if "link" in pairs:
        pairs = pairs.rename(columns={"link": "link_post"})
    weights = [c for c in panel.columns if c.startswith("ipw_")]
    if weights:
        w = panel[panel["wave"] == pre].set_index("respondent_id")[weights]
        pairs = pairs.join(w, on="respondent_id")
    if "group" not in pairs:
        pairs["group"] = "participant"
    return pairs


# ---------------------------------------------------------------------------------------------


def sample_sizes(panel: pd.DataFrame, waves: list[str], base: dict) -> list[dict]:
    rows = []
    groups = panel["group"].fillna("participant") if "group" in panel else \
        pd.Series("participant", index=panel.index)
    for wave in waves:
        at = panel["wave"] == wave
        rows.append(dict(base, measure="sample", indicator="respondents", subgroup="all",
                         wave_from=wave, n=int(at.sum()), estimate=int(at.sum()), unit="count",
                         method="count"))
        for group, n in groups[at].value_counts().sort_index().items():
            rows.append(dict(base, measure="sample", indicator="respondents", subgroup="group",
                             subgroup_value=group, wave_from=wave, n=int(n), estimate=int(n),
                             unit="count", method="count"))
    return rows


def reliability_rows(panel, codebook, instrument, settings, waves, base) -> list[dict]:
    rows = []
    for wave in waves:
        at = panel[panel["wave"] == wave]
        for scale in codebook.scales:
            items = flipped_items(at, scale, instrument, codebook.response_scale)
            complete = items.dropna()
            if items.shape[1] < 2 or len(complete) < 3:
                continue
            alpha, low, high = cronbach_alpha(complete, ci=1 - settings.alpha)
            flag = f"alpha_below_{settings.reliability_threshold:.2f}" \
                if alpha < settings.reliability_threshold else ""
            head = dict(base, measure=scale, subgroup="all", wave_from=wave, n=len(complete))
            rows.append(dict(head, indicator="alpha", estimate=alpha, ci_low=low,
                             ci_high=high, unit="coefficient", method="cronbach_feldt_ci",
                             flag=flag))
            rows.append(dict(head, indicator="omega", estimate=mcdonald_omega(complete),
                             unit="coefficient", method="mcdonald_omega_total"))
    return rows


def descriptive_rows(panel, codebook, waves, base) -> list[dict]:
    rows = []
    groups = panel["group"].fillna("participant") if "group" in panel else \
        pd.Series("participant", index=panel.index)
    for wave in waves:
        for group in sorted(groups.unique()):
            at = panel[(panel["wave"] == wave) & (groups == group)]
            sub = dict(subgroup="all") if group == "participant" else \
                dict(subgroup="group", subgroup_value=group)
            for scale in codebook.scales:
                for column, unit in ((scale, "points"), (f"{scale}_pomp", "pomp")):
                    values = at[column].dropna()
                    if values.empty:
                        continue
                    indicator = "mean" if unit == "points" else "mean_pomp"
                    rows.append(dict(base, **sub, measure=scale, indicator=indicator,
                                     wave_from=wave, n=len(values), estimate=values.mean(),
                                     statistic=values.std(ddof=1), unit=unit,
                                     method="mean_sd_in_statistic"))
    return rows


def item_distributions(panel, codebook, instrument, waves, base) -> list[dict]:
    """Share of each answer of each Likert item at each wave (participants)."""
    participants = panel[panel["group"].fillna("participant") == "participant"] \
        if "group" in panel else panel
    items = [i for s in codebook.scales for i in instrument.scales[s].items if i in panel]
    if not items:
        return []
    long = participants[["wave"] + items].melt(id_vars="wave", var_name="measure",
                                               value_name="code").dropna()
    long["wave"] = long["wave"].astype(str)
    counts = long.groupby(["measure", "wave", "code"], observed=True).size()
    totals = counts.groupby(level=["measure", "wave"]).transform("sum")
    table = pd.DataFrame({"count": counts, "total": totals}).reset_index()
    return [dict(base, measure=r.measure, indicator="share_response", subgroup="response",
                 subgroup_value=str(int(r.code)), wave_from=r.wave, n=int(r.total),
                 estimate=r.count / r.total, unit="proportion", method="share")
            for r in table.itertuples()]


def change_rows(pairs: pd.DataFrame, measure: str, settings: AnalysisSettings, head: dict,
                subgroup: tuple[str, str] = ("all", "")) -> list[dict]:
    """Complete-pair change of one measure (see module docstring)."""
    if f"{measure}_pre" not in pairs or f"{measure}_post" not in pairs:
        return []
    result = paired_change(pairs[f"{measure}_pre"].astype(float),
                           pairs[f"{measure}_post"].astype(float), alpha=settings.alpha)
    if result.n < 2:
        return []
    sub = dict(subgroup=subgroup[0], subgroup_value=subgroup[1])
    row = dict(head, **sub, measure=measure, n=result.n)
    unit = "count" if measure == "jobs_named" else "points"
    rows = [
        dict(row, indicator="pair_mean", wave_to="", estimate=result.mean_pre,
             statistic=result.sd_pre, unit=unit, method="mean_sd_in_statistic"),
        dict(row, indicator="pair_mean", wave_from=head["wave_to"], wave_to="",
             estimate=result.mean_post, statistic=result.sd_post, unit=unit,
             method="mean_sd_in_statistic"),
        dict(row, indicator="mean_change", estimate=result.mean_diff, ci_low=result.ci_low,
             ci_high=result.ci_high, effect_size=result.d_z, es_type="d_z",
             statistic=result.t, df=result.df, p_value=result.p_t, unit=unit,
             method="paired_t"),
        dict(row, indicator="d_z", estimate=result.d_z, ci_low=result.d_z_ci_low,
             ci_high=result.d_z_ci_high, effect_size=result.d_z, es_type="d_z", unit="sd",
             method="lakens_2013_noncentral_t"),
        dict(row, indicator="g_av", estimate=result.g_av, ci_low=result.g_av_ci_low,
             ci_high=result.g_av_ci_high, effect_size=result.g_av, es_type="g_av", unit="sd",
             method="lakens_2013"),
        dict(row, indicator="wilcoxon", statistic=result.wilcoxon_w,
             p_value=result.p_wilcoxon, effect_size=result.rank_biserial,
             es_type="rank_biserial", estimate=result.rank_biserial, unit="coefficient",
             method="wilcoxon_signed_rank", flag=result.wilcoxon_note),
    ]
    if f"{measure}_pomp_pre" in pairs:
        pomp = paired_change(pairs[f"{measure}_pomp_pre"].astype(float),
                             pairs[f"{measure}_pomp_post"].astype(float), alpha=settings.alpha)
        rows.append(dict(row, indicator="mean_change_pomp", estimate=pomp.mean_diff,
                         ci_low=pomp.ci_low, ci_high=pomp.ci_high, effect_size=pomp.d_z,
                         es_type="d_z", statistic=pomp.t, df=pomp.df, p_value=pomp.p_t,
                         unit="pomp", method="paired_t"))
    return rows


def intention_rows(pairs, instrument, settings, head, subgroup=("all", "")) -> list[dict]:
    if "intention_pre" not in pairs:
        return []
    both = pairs[["intention_pre", "intention_post"]].dropna()
    if len(both) < 2:
        return []
    positive = instrument.positive_intention
    pre, post = both["intention_pre"] == positive, both["intention_post"] == positive
    test = mcnemar_change(pre.to_numpy(), post.to_numpy())
    row = dict(head, measure="intention", subgroup=subgroup[0], subgroup_value=subgroup[1],
               n=test.n)
    rows = []
    for wave, flags in ((head["wave_from"], pre), (head["wave_to"], post)):
        share, low, high = (float(v) for v in wilson_ci(int(flags.sum()), len(flags),
                                                         alpha=settings.alpha))
        rows.append(dict(row, indicator="share_positive", wave_from=wave, wave_to="",
                         estimate=share, ci_low=low, ci_high=high, unit="proportion",
                         method="wilson"))
    rows += [
        dict(row, indicator="mcnemar", estimate=test.diff, ci_low=test.ci_low,
             ci_high=test.ci_high, statistic=test.statistic, p_value=test.p_value,
             unit="proportion", method=test.method),
        dict(row, indicator="switch_to_positive", estimate=test.share_neg_to_pos,
             unit="proportion", method="share_of_pairs"),
        dict(row, indicator="switch_from_positive", estimate=test.share_pos_to_neg,
             unit="proportion", method="share_of_pairs"),
    ]
    return rows


def heterogeneity_rows(pairs, codebook, instrument, settings, head) -> list[dict]:
    """Change in every subgroup cell (mean change, g_av, share intending) and the
    interaction test: one-way ANOVA of the change across cells, i.e. the F test of
    ``Δ ~ C(subgroup)`` by OLS."""
    rows = []
    for variable in settings.subgroups:
        if variable not in pairs or pairs[variable].nunique() < 2:
            continue
        cells = pairs[variable].astype("string")
        for measure in measures(codebook, instrument):
            if f"{measure}_pre" not in pairs:
                continue
            rows += _cell_change_rows(pairs, measure, cells, variable, settings, head)
            rows += _interaction_row(pairs, measure, cells, variable, head)
        for value, cell in pairs.groupby(cells, sort=True):
            rows += [r for r in intention_rows(cell, instrument, settings, head,
                                               (variable, str(value)))
                     if r["indicator"] == "share_positive"]
    return rows


def _cell_change_rows(pairs, measure, cells, variable, settings, head) -> list[dict]:
    table = cell_changes(pairs[f"{measure}_pre"].astype(float),
                         pairs[f"{measure}_post"].astype(float), cells, alpha=settings.alpha)
    unit = "count" if measure == "jobs_named" else "points"
    rows = []
    for value, c in table.iterrows():
        row = dict(head, subgroup=variable, subgroup_value=str(value), measure=measure,
                   n=int(c["n"]))
        rows += [
            dict(row, indicator="mean_change", estimate=c["mean_diff"], ci_low=c["ci_low"],
                 ci_high=c["ci_high"], effect_size=c["d_z"], es_type="d_z", statistic=c["t"],
                 df=c["df"], p_value=c["p_t"], unit=unit, method="paired_t"),
            dict(row, indicator="g_av", estimate=c["g_av"], ci_low=c["g_av_ci_low"],
                 ci_high=c["g_av_ci_high"], effect_size=c["g_av"], es_type="g_av",
                 unit="sd", method="lakens_2013"),
        ]
    return rows


def _interaction_row(pairs, measure, cells, variable, head) -> list[dict]:
    from scipy.stats import f_oneway

    delta = pairs[f"{measure}_post"].astype(float) - pairs[f"{measure}_pre"].astype(float)
    data = pd.DataFrame({"delta": delta, "cell": cells}).dropna()
    if data["cell"].nunique() < 2 or len(data) < MIN_MODEL_RESPONDENTS:
        return []
    groups = [g.to_numpy() for _, g in data.groupby("cell", sort=True)["delta"]]
    test = f_oneway(*groups)
    return [dict(head, measure=measure, indicator="interaction_test", subgroup=variable,
                 n=len(data), statistic=float(test.statistic), df=float(len(groups) - 1),
                 p_value=float(test.pvalue), unit="", method="ols_f_test_change_by_subgroup")]


def ipw_rows(pairs, codebook, post, settings, head) -> list[dict]:
    from impact.stats.attrition_model import ipw_mean_change

    column = f"ipw_{post}"
    if column not in pairs:
        return []
    rows = []
    for scale in codebook.scales:
        data = pairs[[f"{scale}_pre", f"{scale}_post", column]].dropna()
        if len(data) < MIN_MODEL_RESPONDENTS:
            continue
        diff = data[f"{scale}_post"].astype(float) - data[f"{scale}_pre"].astype(float)
        estimate = ipw_mean_change(diff.to_numpy(), data[column].to_numpy(), alpha=settings.alpha)
        rows.append(dict(head, measure=scale, indicator="ipw_mean_change", subgroup="all",
                         n=len(data), estimate=estimate.estimate, ci_low=estimate.ci_low,
                         ci_high=estimate.ci_high, unit="points",
                         method="ipw_stabilised_hc1"))
    return rows


def _model_frame(panel, scale, pre, post, covariates) -> pd.DataFrame:
    participants = panel["group"].fillna("participant") == "participant" \
        if "group" in panel else pd.Series(True, index=panel.index)
    cols = ["respondent_id", "site", "wave", scale] + [c for c in covariates if c in panel]
    data = panel.loc[participants & panel["wave"].isin([pre, post]), cols].dropna()
    data = data.assign(post=(data["wave"] == post).astype(float))
    return data


def mixed_model_rows(panel, codebook, settings, pre, post, head) -> list[dict]:
    """Model-based change on every answer (see module docstring)."""
    rows = []
    covariates = [c for c in settings.covariates if c in panel]
    for scale in codebook.scales:
        data = _model_frame(panel, scale, pre, post, covariates + ["audience"])
        if data["respondent_id"].nunique() < MIN_MODEL_RESPONDENTS or data["post"].nunique() < 2:
            continue
        terms = "".join(f" + C({c})" for c in covariates if data[c].nunique() > 1)
        fit = _mixedlm(f"{scale} ~ post{terms}", data)
        if fit is None:
            continue
        low, high = fit.conf_int(alpha=settings.alpha).loc["post"]
        z, p = fit.z_test("post")
        rows.append(dict(head, measure=scale, indicator="lmm_change", subgroup="all",
                         n=fit.n_respondents, estimate=fit.params["post"], ci_low=low,
                         ci_high=high, statistic=z, p_value=p, unit="points",
                         method=_lmm_method(fit), flag=_lmm_flag(fit)))
        rows += _site_slope_row(data, scale, terms, settings, head)
        if data["audience"].nunique() > 1:
            full = _mixedlm(f"{scale} ~ post * C(audience){terms}", data)
            if full is not None:
                names = [n for n in full.params.index if n.startswith("post:")]
                chi2, p = full.wald_test(names)
                rows.append(dict(head, measure=scale, indicator="lmm_interaction",
                                 subgroup="audience", n=full.n_respondents, statistic=chi2,
                                 df=float(len(names)), p_value=p, unit="",
                                 method=_lmm_method(full) + "_wald", flag=_lmm_flag(full)))
    return rows


def _site_slope_row(data, scale, terms, settings, head) -> list[dict]:
    """The same model with a random slope of the change per site (schools may differ in how
    much their pupils change): :func:`impact.stats.mixed.fit_site_slope_reml`."""
    import statsmodels.formula.api as smf

    from impact.stats.mixed import fit_site_slope_reml

    if data["site"].nunique() < 3:
        return []
    design = smf.ols(f"{scale} ~ post{terms}", data)
    exog = pd.DataFrame(design.exog, columns=design.exog_names)
    try:
        fit = fit_site_slope_reml(design.endog, exog, data["respondent_id"].to_numpy(),
                                  data["site"].to_numpy(), "post")
    except np.linalg.LinAlgError:
        return []
    low, high = fit.conf_int(alpha=settings.alpha).loc["post"]
    z, p = fit.z_test("post")
    return [dict(head, measure=scale, indicator="lmm_change_site_slope", subgroup="all",
                 n=fit.n_respondents, estimate=fit.params["post"], ci_low=low, ci_high=high,
                 statistic=z, p_value=p, unit="points",
                 method="mixedlm_reml_site_random_slope_respondent", flag=_lmm_flag(fit))]


def _lmm_method(fit) -> str:
    return "mixedlm_reml_site_respondent" if fit.n_sites > 1 else "mixedlm_reml_respondent"


def _lmm_flag(fit) -> str:
    # published with a flag rather than dropped: the reader sees the model was tried
    return "" if fit.converged else "not_converged"


def _mixedlm(formula: str, data: pd.DataFrame):
    """Random intercept per respondent nested in site (or per respondent with one site),
    REML (:func:`impact.stats.mixed.fit_nested_reml`); None when the design is singular. A fit
    whose optimiser did not converge is returned too (``converged=False``), to be flagged."""
    import statsmodels.formula.api as smf

    from impact.stats.mixed import fit_nested_reml

    design = smf.ols(formula, data)  # the design matrix, with statsmodels' term names
    exog = pd.DataFrame(design.exog, columns=design.exog_names)
    try:
        fit = fit_nested_reml(design.endog, exog, data["respondent_id"].to_numpy(),
                              data["site"].to_numpy())
    except np.linalg.LinAlgError:
        return None
    return fit


def ordinal_rows(panel, settings, pre, post, head) -> list[dict]:
    """Proportional-odds (logit) model of single Likert items, SEs clustered by respondent.

    On the participants only (every answer at the two waves): ``logit P(Y ≤ k) = α_k −
    β·post``, the odds ratio exp(β) of a higher answer at post. With a comparison group, the
    ordinal difference-in-differences on both groups: ``α_k − (β₁·post + β₂·participant +
    β₃·post×participant)``, exp(β₃) published as ``ordinal_did_odds_ratio``.
    """
    groups = panel["group"].fillna("participant") if "group" in panel else \
        pd.Series("participant", index=panel.index)
    rows = []
    for item in settings.ordinal_items:
        if item not in panel:
            continue
        keep = panel["wave"].isin([pre, post]) & panel[item].notna()
        data = pd.DataFrame({"respondent_id": panel.loc[keep, "respondent_id"],
                             "post": (panel.loc[keep, "wave"] == post).astype(float),
                             "participant": (groups[keep] == "participant").astype(float),
                             "answer": panel.loc[keep, item].astype(int)})
        part = data[data["participant"] == 1]
        rows += _ordinal_fit(part, ["post"], "post", item, "ordinal_odds_ratio",
                             "ordered_logit_participants_cluster_respondent", settings, head)
        if data["participant"].nunique() == 2:
            data["post_x_participant"] = data["post"] * data["participant"]
            rows += _ordinal_fit(data, ["post", "participant", "post_x_participant"],
                                 "post_x_participant", item, "ordinal_did_odds_ratio",
                                 "ordered_logit_group_x_wave_cluster_respondent", settings,
                                 head)
    return rows


def _ordinal_fit(data, terms, term, item, indicator, method, settings, head) -> list[dict]:
    from scipy import stats
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    if data["respondent_id"].nunique() < MIN_MODEL_RESPONDENTS or data["answer"].nunique() < 3:
        return []
    answer = pd.Categorical(data["answer"], ordered=True)
    exog = data[terms].reset_index(drop=True)
    groups = pd.factorize(data["respondent_id"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = OrderedModel(answer, exog, distr="logit").fit(
            method="bfgs", disp=False, cov_type="cluster", cov_kwds={"groups": groups})
    coef, se = float(fit.params[term]), float(fit.bse[term])
    z = stats.norm.ppf(1 - settings.alpha / 2)
    return [dict(head, measure=item, indicator=indicator, subgroup="all",
                 n=int(data["respondent_id"].nunique()), estimate=np.exp(coef),
                 ci_low=np.exp(coef - z * se), ci_high=np.exp(coef + z * se),
                 effect_size=np.exp(coef), es_type="odds_ratio", statistic=coef / se,
                 p_value=float(fit.pvalues[term]), unit="odds_ratio", method=method)]


def comparison_rows(panel, pairs, codebook, instrument, settings, head) -> list[dict]:
    """The comparison group's own change (the DiD, the adjusted impact and baseline
    equivalence on the analytic sample are in :mod:`impact.indicators.estimands`)."""
    rows = []
    comparison = pairs[pairs["group"] == "comparison"]
    for measure in measures(codebook, instrument):
        rows += [r for r in change_rows(comparison, measure, settings, head,
                                        ("group", "comparison"))
                 if r["indicator"] in ("mean_change", "g_av", "pair_mean")]
    return rows


def mde_rows(panel, participants, codebook, settings, pre, head, pairs=None) -> list[dict]:
    """Minimum detectable effect for a next campaign of the same design (Bloom 2006).

    Same number of sites J and baseline sample per site, this campaign's attrition, the
    pre/post correlation of the change; J − 1 degrees of freedom whatever the ICC
    (:func:`impact.stats.power.minimum_detectable_effect`). The ICC of the change between
    sites is the estimate when it can be trusted, otherwise (fewer than
    ``analysis.icc_min_clusters`` sites, or estimated at 0) the programme's ``design.icc`` or
    ``analysis.icc_prior`` (flag ``icc_prior``; the ICC used is in ``statistic``). With a
    comparison group the row ``subgroup = all`` is the MDE of the difference-in-differences
    (``design = did``, this campaign's share of participants) and the before/after MDE is kept
    as ``subgroup = design``, ``subgroup_value = pre_post``.
    """
    baseline = panel[panel["wave"] == pre]
    groups = baseline["group"].fillna("participant") if "group" in baseline else \
        pd.Series("participant", index=baseline.index)
    base_part = baseline[groups == "participant"]
    n_sites = base_part["site"].nunique()
    if n_sites < 2 or len(participants) < MIN_MODEL_RESPONDENTS:
        return []
    attrition = min(max(1 - len(participants) / len(base_part), 0.0), 0.95)
    prior = codebook.design.icc if getattr(codebook, "design", None) is not None and \
        codebook.design.icc is not None else settings.icc_prior
    with_comparison = pairs is not None and getattr(codebook, "design", None) is not None \
        and codebook.design.has_comparison and (groups == "comparison").any()
    rows = []
    for scale in codebook.scales:
        data = participants[[f"{scale}_pre", f"{scale}_post", "site"]].dropna()
        if len(data) < MIN_MODEL_RESPONDENTS:
            continue
        delta = data[f"{scale}_post"] - data[f"{scale}_pre"]
        icc = icc_oneway(delta.to_numpy(), data["site"].to_numpy())
        trusted = np.isfinite(icc) and icc > 0 and n_sites >= settings.icc_min_clusters
        used = float(icc) if trusted else float(prior)
        flag = "icc_estimated" if trusted else "icc_prior"
        r = float(np.corrcoef(data[f"{scale}_pre"], data[f"{scale}_post"])[0, 1])
        paired = minimum_detectable_effect(n_sites, len(base_part) / n_sites, used,
                                           attrition=attrition, alpha=settings.alpha,
                                           power=settings.power, paired_r=r, design="paired")
        row = dict(head, measure=scale, indicator="mde", unit="sd", statistic=used)
        paired_row = dict(row, n=len(base_part), estimate=float(paired.mde),
                          df=float(paired.df), method="bloom_2006_paired_icc_in_statistic",
                          flag=flag)
        if not with_comparison:
            rows.append(dict(paired_row, subgroup="all"))
            continue
        rows.append(dict(paired_row, subgroup="design", subgroup_value="pre_post"))
        share = len(base_part) / len(baseline)
        kept = pairs[[f"{scale}_pre", f"{scale}_post"]].notna().all(axis=1).sum()
        overall = min(max(1 - kept / len(baseline), 0.0), 0.95)
        did = minimum_detectable_effect(n_sites, len(baseline) / n_sites, used,
                                        attrition=overall, alpha=settings.alpha,
                                        power=settings.power, paired_r=r, design="did",
                                        treated_share=share)
        rows.append(dict(row, subgroup="all", n=len(baseline), estimate=float(did.mde),
                         df=float(did.df), method="bloom_2006_did_icc_in_statistic",
                         flag=flag))
    return rows
