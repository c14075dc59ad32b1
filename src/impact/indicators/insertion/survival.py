"""Start of the job held at follow-up: 1 - Kaplan-Meier curve of the start date of the
current job after the programme, censored at the follow-up answer.

What it measures, and what it does not: the survey asks the situation *at follow-up* and when
it started, so the event is the start of the job held then. A job found and lost before the
follow-up is not seen, and someone in a second job counts from its start: this is not a time to
first job, and is labelled accordingly (« début de l'emploi occupé au suivi »).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from impact.indicators.insertion.definitions import DAYS_PER_MONTH

# ---------------------------------------------------------------------------------------------
# time to employment


def kaplan_meier_employment(cohort: pd.DataFrame, alpha: float = 0.05
                            ) -> tuple[pd.DataFrame, int]:
    """1 − Kaplan–Meier curve of the start of the current job, at each whole month.

    Returns the curve (``month, estimate, ci_low, ci_high, at_risk``) and the number of
    respondents in employment left out for want of a start date.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    empty = pd.DataFrame(columns=["month", "estimate", "ci_low", "ci_high", "at_risk"])
    resp = cohort[cohort["responded"] & cohort["employment"].notna()]
    employed = resp["employment"] == 1
    day = pd.Timedelta(days=1)
    censor = (resp["answered_at"].dt.normalize() - resp["origin"]) / day
    event = (resp["situation_start"] - resp["origin"]) / day
    missing_start = int((employed & resp["situation_start"].isna()).sum())
    usable = censor.notna() & (censor >= 0) & ~(employed & event.isna())
    time = np.where(employed, np.clip(event, 0, censor), censor)[usable.to_numpy()]
    status = employed.to_numpy()[usable.to_numpy()].astype(int)
    if len(time) == 0:
        return empty, missing_start
    months = time / DAYS_PER_MONTH
    grid = np.arange(int(np.floor(months.max())) + 1)
    at_risk = (months[None, :] >= grid[:, None]).sum(axis=1)
    if status.sum() == 0:
        est = np.zeros(len(grid))
        low = high = np.full(len(grid), np.nan)
        return pd.DataFrame(dict(month=grid, estimate=est, ci_low=low, ci_high=high,
                                 at_risk=at_risk)), missing_start
    fit = SurvfuncRight(months, status)
    times = np.asarray(fit.surv_times)
    idx = np.searchsorted(times, grid, side="right") - 1
    surv = np.where(idx >= 0, np.asarray(fit.surv_prob)[np.maximum(idx, 0)], 1.0)
    se = np.where(idx >= 0, np.asarray(fit.surv_prob_se)[np.maximum(idx, 0)], np.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (surv > 0) & (surv < 1) & np.isfinite(se)
        theta_se = se / (surv * np.abs(np.log(surv)))
        s_low = np.where(inner, surv ** np.exp(z * theta_se), np.nan)
        s_high = np.where(inner, surv ** np.exp(-z * theta_se), np.nan)
    curve = pd.DataFrame(dict(month=grid, estimate=1 - surv, ci_low=1 - s_high,
                              ci_high=1 - s_low, at_risk=at_risk))
    return curve, missing_start


def km_rows(cohort: pd.DataFrame, alpha: float, head: dict) -> list[dict]:
    if not {"origin", "answered_at", "situation_start"} <= set(cohort):
        return []
    curve, missing = kaplan_meier_employment(cohort, alpha)
    flag = "missing_start_dates" if missing else ""
    return [dict(head, measure="employment", indicator="km_in_employment", subgroup="month",
                 subgroup_value=str(int(r.month)), n=int(r.at_risk), estimate=r.estimate,
                 ci_low=r.ci_low, ci_high=r.ci_high, unit="proportion",
                 method="kaplan_meier_loglog", flag=flag)
            for r in curve.itertuples()]


