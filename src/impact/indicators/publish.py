"""Putting the programmes together: multiplicity adjustment, pooled estimates, data package.

Multiple testing. The confirmatory family is, for each programme (``analysis.family:
programme``) or for the whole campaign (``campaign``), the participants' complete-pair tests of
every measure (``mean_change`` paired t of each scale and numeric single item, and the McNemar
test of the intention item). Their p-values are adjusted together with Holm's step-down method
(family-wise error) or Benjamini–Hochberg (false discovery rate), as configured; the Wilcoxon
tests form a parallel family adjusted the same way. Other p-values (subgroups, models,
interaction tests) are exploratory and left unadjusted. Both raw and adjusted p are published.

Pooling. For a scale measured in several programmes, the programmes' POMP changes and g_av
are pooled by random effects (DerSimonian–Laird, :func:`impact.stats.meta.random_effects`; SE
from each CI): the programmes differ in publics and content, so they are not assumed to share
one true effect. Published with Cochran's Q (``statistic``, ``df``, ``p_value``), and as rows of
their own I² (``pooled_i2``), τ² (``pooled_tau2``) and the prediction interval for a new
programme (``pooled_prediction``). When I² exceeds ``analysis.heterogeneity_i2_max`` there is
no pooled headline: the pooled row's numbers are left empty (flag ``heterogeneous``) and the
range of the programmes' estimates is published instead (``pooled_range``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from impact.stats.effects import adjust_pvalues

FAMILIES = {"mean_change": "primary", "mcnemar": "primary", "wilcoxon": "wilcoxon"}


def adjust(frame: pd.DataFrame, method: str, family: str) -> pd.DataFrame:
    """Fill ``p_adjusted`` and ``adjustment`` for the confirmatory families.

    Besides the complete-pair tests (``FAMILIES``), the pre-specified primary outcomes'
    ``headline`` rows (flag ``primary``, declared in each codebook's ``design``) form the
    confirmatory family of the design's estimand, adjusted the same way (adjustment
    ``<method>:<family>:primary``).
    """
    out = frame.copy()
    primary = (out["indicator"] == "headline") & out["flag"].str.contains(
        r"(?:^|;)primary(?:;|$)", regex=True).astype(bool)
    member = (out["indicator"].isin(list(FAMILIES)) | primary) & (out["subgroup"] == "all") \
        & out["p_value"].notna()
    keys = out["indicator"].map(FAMILIES).where(~primary, "primary_headline")
    scope = out["programme"] if family == "programme" else pd.Series("campaign",
                                                                      index=out.index)
    for _, index in out[member].groupby([scope[member], keys[member]]).groups.items():
        out.loc[index, "p_adjusted"] = adjust_pvalues(out.loc[index, "p_value"].to_numpy(),
                                                      method)
        suffix = ":primary" if (keys[index] == "primary_headline").all() else ""
        out.loc[index, "adjustment"] = f"{method}:{family}{suffix}"
    return out


def pooled_rows(frame: pd.DataFrame, alpha: float, i2_max: float = 0.5) -> list[dict]:
    """Random-effects pooling of POMP change and g_av across programmes (module docstring)."""
    from impact.stats.meta import random_effects

    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    wanted = frame[frame["indicator"].isin(["mean_change_pomp", "g_av"])
                   & (frame["subgroup"] == "all") & ~frame["suppressed"]
                   & frame[["estimate", "ci_low", "ci_high"]].notna().all(axis=1)]
    for (measure, indicator), cell in wanted.groupby(["measure", "indicator"]):
        if cell["programme"].nunique() < 2:
            continue
        se = (cell["ci_high"] - cell["ci_low"]) / (2 * z)
        pooled = random_effects(cell["estimate"].to_numpy(), se.to_numpy(), alpha=alpha)
        heterogeneous = pooled.i2 > i2_max
        programmes = f"programmes={','.join(sorted(cell['programme']))}"
        head = dict(programme="pooled", measure=measure, subgroup="all", wave_from="pre",
                    wave_to="post", n=int(cell["n"].sum()))
        is_g = indicator == "g_av"
        main = dict(head, indicator=indicator, estimate=pooled.estimate,
                    ci_low=pooled.ci_low, ci_high=pooled.ci_high,
                    effect_size=pooled.estimate if is_g else np.nan,
                    es_type="g_av" if is_g else "", statistic=pooled.q, df=pooled.q_df,
                    p_value=pooled.q_p, unit=cell["unit"].iloc[0],
                    method="random_effects_dersimonian_laird_q_in_statistic",
                    flag=programmes)
        if heterogeneous:  # no pooled headline: the range instead
            main.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, effect_size=np.nan,
                        flag=f"heterogeneous_i2_above_{i2_max:.2f};{programmes}")
        rows += [
            main,
            dict(head, indicator="pooled_i2", subgroup="estimate",
                 subgroup_value=indicator, estimate=pooled.i2, statistic=pooled.q,
                 df=pooled.q_df, p_value=pooled.q_p, unit="proportion",
                 method=f"higgins_thompson_2002_of_{indicator}", flag=programmes),
            dict(head, indicator="pooled_tau2", subgroup="estimate",
                 subgroup_value=indicator, estimate=pooled.tau2, unit="coefficient",
                 method=f"dersimonian_laird_of_{indicator}", flag=programmes),
            dict(head, indicator="pooled_prediction", subgroup="estimate",
                 subgroup_value=indicator, ci_low=pooled.pi_low,
                 ci_high=pooled.pi_high, unit=cell["unit"].iloc[0],
                 method=f"higgins_2009_t_k_minus_2_of_{indicator}", flag=programmes),
        ]
        if heterogeneous:
            rows.append(dict(head, indicator="pooled_range", subgroup="estimate",
                 subgroup_value=indicator, ci_low=cell["estimate"].min(),
                             ci_high=cell["estimate"].max(), unit=cell["unit"].iloc[0],
                             method=f"min_max_of_{indicator}", flag=programmes))
    return rows


def linkage_rows(quality: pd.DataFrame, programme: str) -> list[dict]:
    """Linkage quality (match rate, tolerant share, precision/recall) as indicator records."""
    rows = []
    for record in quality.to_dict("records"):
        pair = f"{record['wave_from']}>{record['wave_to']}"
        head = dict(programme=programme, measure="linkage", subgroup="wave_pair",
                    subgroup_value=pair, n=record["n_to"], unit="proportion",
                    method="linkage_one_to_one")
        for indicator in ("match_rate", "tolerant_share", "precision", "recall"):
            if indicator in record and pd.notna(record[indicator]):
                flag = "synthetic_ground_truth" if indicator in ("precision", "recall") else ""
                rows.append(dict(head, indicator=indicator, estimate=record[indicator],
                                 flag=flag))
    return rows


def publish_table(frames: list[pd.DataFrame], quality: dict[str, pd.DataFrame],
                  analysis: dict) -> pd.DataFrame:
    """Every programme's estimates + linkage quality → adjusted, pooled, disclosure-controlled.

    ``frames`` hold the true values (not yet suppressed): disclosure control
    (:func:`impact.indicators.disclosure.protect`) decides the primary and secondary
    suppression pattern of the whole publication at once, pooled rows included.
    """
    from impact.indicators import contract, disclosure

    linkage = [r for programme, table in quality.items() for r in linkage_rows(table, programme)]
    frames = frames + [contract.tidy(linkage)]
    table = adjust(pd.concat(frames, ignore_index=True), analysis["adjustment"],
                   analysis["family"])
    pooled = contract.tidy(pooled_rows(table, analysis["alpha"],
                                       analysis.get("heterogeneity_i2_max", 0.5)))
    table = pd.concat([table, pooled], ignore_index=True)
    table, status = disclosure.protect(table, disclosure.Settings.from_analysis(analysis))
    table["suppression"] = status
    return contract.sort(table)
