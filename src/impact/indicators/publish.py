"""Putting the programmes together: multiplicity adjustment, pooled estimates, data package.

Multiple testing. The confirmatory family is, for each programme (``analysis.family:
programme``) or for the whole campaign (``campaign``), the participants' complete-pair tests of
every measure (``mean_change`` paired t of each scale and numeric single item, and the McNemar
test of the intention item). Their p-values are adjusted together with Holm's step-down method
(family-wise error) or Benjamini–Hochberg (false discovery rate), as configured; the Wilcoxon
tests form a parallel family adjusted the same way. Other p-values (subgroups, models,
interaction tests) are exploratory and left unadjusted. Both raw and adjusted p are published.

Pooling. For a scale measured in several programmes, the programmes' POMP changes and g_av
are pooled with the fixed-effect inverse-variance estimator (``Σ wᵢ θᵢ / Σ wᵢ``, ``wᵢ = 1/SEᵢ²``,
SE from each CI; Borenstein et al. 2009, *Introduction to meta-analysis*, ch. 11) — a summary
of the campaign, not a claim that the programmes share one true effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from impact.stats.effects import adjust_pvalues

FAMILIES = {"mean_change": "primary", "mcnemar": "primary", "wilcoxon": "wilcoxon"}


def adjust(frame: pd.DataFrame, method: str, family: str) -> pd.DataFrame:
    """Fill ``p_adjusted`` and ``adjustment`` for the confirmatory families."""
    out = frame.copy()
    member = out["indicator"].isin(list(FAMILIES)) & (out["subgroup"] == "all") & \
        out["p_value"].notna()
    keys = out["indicator"].map(FAMILIES)
    scope = out["programme"] if family == "programme" else pd.Series("campaign",
                                                                      index=out.index)
    for _, index in out[member].groupby([scope[member], keys[member]]).groups.items():
        out.loc[index, "p_adjusted"] = adjust_pvalues(out.loc[index, "p_value"].to_numpy(),
                                                      method)
        out.loc[index, "adjustment"] = f"{method}:{family}"
    return out


def pooled_rows(frame: pd.DataFrame, alpha: float) -> list[dict]:
    """Fixed-effect inverse-variance pooling of POMP change and g_av across programmes."""
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    wanted = frame[frame["indicator"].isin(["mean_change_pomp", "g_av"])
                   & (frame["subgroup"] == "all") & ~frame["suppressed"]
                   & frame[["estimate", "ci_low", "ci_high"]].notna().all(axis=1)]
    for (measure, indicator), cell in wanted.groupby(["measure", "indicator"]):
        if cell["programme"].nunique() < 2:
            continue
        se = (cell["ci_high"] - cell["ci_low"]) / (2 * z)
        weight = 1 / se**2
        estimate = float((weight * cell["estimate"]).sum() / weight.sum())
        pooled_se = float(np.sqrt(1 / weight.sum()))
        q = float((weight * (cell["estimate"] - estimate) ** 2).sum())
        k = len(cell)
        rows.append(dict(
            programme="pooled", measure=measure, indicator=indicator, subgroup="all",
            wave_from="pre", wave_to="post", n=int(cell["n"].sum()), estimate=estimate,
            ci_low=estimate - z * pooled_se, ci_high=estimate + z * pooled_se,
            effect_size=estimate if indicator == "g_av" else np.nan,
            es_type="g_av" if indicator == "g_av" else "", statistic=q, df=k - 1,
            p_value=float(stats.chi2.sf(q, k - 1)), unit=cell["unit"].iloc[0],
            method="inverse_variance_fixed_effect_q_in_statistic",
            flag=f"programmes={','.join(sorted(cell['programme']))}"))
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
    pooled = contract.tidy(pooled_rows(table, analysis["alpha"]))
    table = pd.concat([table, pooled], ignore_index=True)
    table, status = disclosure.protect(table, disclosure.Settings.from_analysis(analysis))
    table["suppression"] = status
    return contract.sort(table)
