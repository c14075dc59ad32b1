"""Insertion rates per cell with Wilson CIs, response rates and Manski bounds, and the
share of each follow-up situation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.indicators.insertion.definitions import OUTCOMES, SITUATION_CODES, InsertionSettings
from impact.stats.rates import bounds_for_nonresponse, wilson_ci

# ---------------------------------------------------------------------------------------------
# rates, response rates and bounds


def _long_cells(cohort: pd.DataFrame, subgroups: tuple[str, ...]) -> pd.DataFrame:
    """The cohort stacked once per subgroup variable (plus ``all``), for one groupby."""
    values = [c for c in subgroups if c in cohort]
    keep = ["responded", *OUTCOMES, *(f"unknown_{o}" for o in OUTCOMES)]
    parts = [cohort[keep].assign(subgroup="all", subgroup_value="")]
    if values:
        labelled = cohort[keep + values].copy()
        for c in values:
            values_c = labelled[c].astype(object)
            labelled[c] = values_c.where(values_c.isna(), values_c.astype(str))
        stacked = labelled.melt(id_vars=keep, value_vars=values, var_name="subgroup",
                                value_name="subgroup_value").dropna(subset=["subgroup_value"])
        parts.append(stacked)
    return pd.concat(parts, ignore_index=True)


def rate_rows(cohort: pd.DataFrame, settings: InsertionSettings, alpha: float, head: dict,
              baseline: str, followup: str) -> list[dict]:
    """Rates (Wilson), numerators, Manski bounds and response rates for every cell."""
    if cohort.empty:
        return []
    long = _long_cells(cohort, settings.subgroups)
    groups = long.groupby(["subgroup", "subgroup_value"], sort=True)
    size = groups.size()
    answered = groups["responded"].sum()
    known = groups[list(OUTCOMES)].count()
    successes = groups[list(OUTCOMES)].sum()
    unknown = groups[[f"unknown_{o}" for o in OUTCOMES]].sum()
    cells = size.index.to_frame(index=False)
    fu = dict(head, wave_from=followup, wave_to="")
    rows: list[dict] = []

    rate, low, high = wilson_ci(answered.to_numpy(), size.to_numpy(), alpha=alpha)
    rows += cells.assign(**head, wave_from=baseline, wave_to=followup, measure="followup",
                         indicator="response_rate",
                         n=size.to_numpy(), estimate=rate, unit="proportion",
                         method="share").to_dict("records")
    for outcome in OUTCOMES:
        x = successes[outcome].to_numpy(dtype=float)
        k = known[outcome].to_numpy(dtype=float)
        m = unknown[f"unknown_{outcome}"].to_numpy(dtype=float)
        rate, low, high = wilson_ci(x, k, alpha=alpha)
        bounds = bounds_for_nonresponse(x, k, m)
        common = cells.assign(**fu, measure=outcome)
        seen = k > 0
        rows += common[seen].assign(indicator="rate", n=k[seen], estimate=rate[seen],
                                    ci_low=low[seen], ci_high=high[seen], unit="proportion",
                                    method="wilson").to_dict("records")
        rows += common[seen].assign(indicator="successes", n=k[seen], estimate=x[seen],
                                    unit="count", method="count").to_dict("records")
        total = k + m
        some = total > 0
        rows += common[some].assign(indicator="rate_worst_case", n=total[some],
                                    estimate=bounds["worst_case"].to_numpy()[some],
                                    unit="proportion", method="manski_bounds",
                                    ).to_dict("records")
        rows += common[some].assign(indicator="rate_best_case", n=total[some],
                                    estimate=bounds["best_case"].to_numpy()[some],
                                    unit="proportion", method="manski_bounds",
                                    ).to_dict("records")
    return rows


def situation_rows(cohort: pd.DataFrame, alpha: float, head: dict) -> list[dict]:
    situation = cohort.loc[cohort["responded"], "situation"].dropna().astype(str)
    if situation.empty:
        return []
    codes = list(dict.fromkeys([*SITUATION_CODES, *sorted(set(situation))]))
    counts = situation.value_counts().reindex(codes, fill_value=0)
    total = len(situation)
    rate, low, high = wilson_ci(counts.to_numpy(), np.full(len(codes), total), alpha=alpha)
    return [dict(head, wave_to="", measure="situation", indicator="situation_share",
                 subgroup="response", subgroup_value=code, n=total, estimate=float(r),
                 ci_low=float(lo), ci_high=float(hi), unit="proportion", method="wilson")
            for code, r, lo, hi in zip(codes, rate, low, high, strict=True)]


