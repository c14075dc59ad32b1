"""Attrition of a programme's panel, in the What Works Clearinghouse sense.

For each later wave W: the baseline sample is every respondent with a kept baseline answer;
a respondent is *retained* at W when a W answer is linked to them. Overall attrition is the
share of the baseline sample not retained (participants and comparison group together);
differential attrition is |attrition of participants − attrition of the comparison group| and
is classified with the WWC boundary (:func:`impact.stats.wwc.classify_attrition`, cautious and
optimistic) when the programme has a comparison group. Stayers and leavers are compared on
baseline scores and covariates with standardised differences (Austin 2009). A logistic model
of retention on baseline covariates gives stabilised inverse-probability weights
(:func:`impact.stats.attrition_model.attrition_weights`), stored in the panel (``ipw_<wave>``) for
the sensitivity analyses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.stats.attrition_model import attrition_weights
from impact.stats.wwc import classify_attrition, standardized_difference

#: Baseline covariates of the attrition model besides the scale scores (when present).
MODEL_COVARIATES = ["gender", "audience", "site"]

#: Above this many sites, the site enters the attrition model (and the stayers-vs-leavers
#: table) as one number — its leave-one-out retention rate — instead of one dummy per site:
#: a national campaign has hundreds of sites, and hundreds of dummies made the logistic
#: model cost minutes and gigabytes for weights it barely changes.
MAX_SITE_DUMMIES = 50
SITE_RETENTION = "site_retention_loo"


def retention(panel: pd.DataFrame, waves: list[str]) -> pd.DataFrame:
    """One row per baseline respondent: baseline answers and ``retained_<wave>`` flags."""
    baseline = panel[panel["wave"] == waves[0]].set_index("respondent_id")
    present = panel.assign(wave=panel["wave"].astype(str)).groupby(
        ["respondent_id", "wave"], observed=True).size().unstack(fill_value=0) > 0
    for wave in waves[1:]:
        flags = present[wave] if wave in present else pd.Series(False, index=present.index)
        baseline[f"retained_{wave}"] = flags.reindex(baseline.index, fill_value=False)
    return baseline


def site_retention(site: pd.Series, kept: pd.Series) -> pd.Series:
    """Leave-one-out retention rate of each respondent's site, smoothed towards ½:
    ``(k_s − rᵢ + 1) / (n_s − 1 + 2)`` with k_s retained of n_s in site s (Laplace's rule), so
    that a respondent's own outcome does not enter their covariate."""
    r = kept.astype(float)
    total = r.groupby(site, observed=True).transform("sum")
    size = r.groupby(site, observed=True).transform("size")
    return (total - r + 1) / (size - 1 + 2)


def eligible(baseline: pd.DataFrame, wave: str, audiences: list[str] | None) -> pd.Series:
    """Baseline respondents expected at ``wave`` (e.g. job seekers only at follow-up)."""
    if audiences and "audience" in baseline:
        return baseline["audience"].isin(audiences)
    return pd.Series(True, index=baseline.index)


def attrition_rows(panel: pd.DataFrame, waves: list[str], scales: list[str], *,
                   programme: str, wave_audiences: dict[str, list[str]]) -> tuple[
                       list[dict], pd.DataFrame]:
    """Attrition indicators (tidy records) and the per-respondent IPW weights."""
    baseline = retention(panel, waves)
    records: list[dict] = []
    weights = pd.DataFrame(index=baseline.index)
    covariates = [c for c in MODEL_COVARIATES if c in baseline] + \
        [s for s in scales if s in baseline and baseline[s].notna().any()]
    for wave in waves[1:]:
        base = baseline[eligible(baseline, wave, wave_audiences.get(wave))]
        kept = base[f"retained_{wave}"]
        head = dict(programme=programme, measure="attrition", wave_from=waves[0], wave_to=wave)
        records += _attrition_rates(base, kept, head)
        wave_covariates = covariates
        if "site" in covariates and base["site"].nunique() > MAX_SITE_DUMMIES:
            base = base.assign(**{SITE_RETENTION: site_retention(base["site"], kept)})
            wave_covariates = [SITE_RETENTION if c == "site" else c for c in covariates]
        records += _stayers_vs_leavers(base, kept, wave_covariates, head)
        if 0 < kept.sum() < len(kept):
            model = attrition_weights(base, kept, wave_covariates)
            weights.loc[base.index, f"ipw_{wave}"] = model["weight"]
    return records, weights


def _attrition_rates(base: pd.DataFrame, kept: pd.Series, head: dict) -> list[dict]:
    n = len(base)
    overall = 1 - kept.mean() if n else np.nan
    rows = [dict(head, indicator="attrition_overall", subgroup="all", n=n, estimate=overall,
                 unit="proportion", method="share_not_linked")]
    if "group" not in base or base["group"].nunique() < 2:
        return rows
    by_group = 1 - kept.groupby(base["group"]).mean()
    counts = base["group"].value_counts()
    for group, value in by_group.items():
        rows.append(dict(head, indicator="attrition_group", subgroup="group",
                         subgroup_value=group, n=int(counts[group]), estimate=value,
                         unit="proportion", method="share_not_linked"))
    differential = abs(by_group.get("participant", np.nan) - by_group.get("comparison", np.nan))
    flags = [f"wwc_{b}_{classify_attrition(overall, differential, b)}"
             for b in ("cautious", "optimistic")]
    rows.append(dict(head, indicator="attrition_differential", subgroup="all", n=n,
                     estimate=differential, unit="proportion", method="wwc_boundary_v4.1",
                     flag=";".join(flags)))
    return rows


def _stayers_vs_leavers(base: pd.DataFrame, kept: pd.Series, covariates: list[str],
                        head: dict) -> list[dict]:
    rows = []
    for covariate in covariates:
        values = base[covariate]
        if values.dtype.kind in "fiu" or str(values.dtype) in ("Int64", "Float64", "Int8"):
            columns = {covariate: values.astype("float64")}
        else:
            dummies = pd.get_dummies(values.astype("object"), dtype=float)
            columns = {f"{covariate}={level}": dummies[level] for level in dummies.columns}
        for name, column in columns.items():
            diff = standardized_difference(column[kept.to_numpy()], column[~kept.to_numpy()])
            rows.append(dict(head, indicator="stayers_vs_leavers", subgroup="covariate",
                             subgroup_value=name, n=int(column.notna().sum()),
                             effect_size=diff, es_type="std_diff", estimate=diff, unit="sd",
                             method="austin_2009",
                             flag="imbalance" if abs(diff) > 0.25 else ""))
    return rows
