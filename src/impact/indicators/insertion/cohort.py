"""The follow-up cohort: one row per baseline job seeker, with the outcomes coded from the
follow-up situation (see :mod:`impact.indicators.insertion` for the population).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.indicators.insertion.definitions import (
    OUTCOMES,
    InsertionSettings,
    banded,
)

# ---------------------------------------------------------------------------------------------
# the follow-up cohort


def followup_waves(panel: pd.DataFrame, waves: list[str]) -> tuple[str, str | None, str | None]:
    """Baseline, post (programme end) and follow-up waves."""
    baseline = waves[0]
    followup = None
    if "situation" in panel:
        asked = set(panel.loc[panel["situation"].notna(), "wave"].astype(str))
        later = [w for w in waves[1:] if w in asked]
        followup = later[-1] if later else None
    present = set(panel["wave"].astype(str))
    post = next((w for w in waves[1:] if w != followup and w in present), None)
    return baseline, post, followup


def _one_per_respondent(frame: pd.DataFrame) -> pd.DataFrame:
    if "submitted_at" in frame:
        frame = frame.sort_values("submitted_at", kind="stable")
    return frame.drop_duplicates("respondent_id", keep="last")


def followup_cohort(panel: pd.DataFrame, *, settings: InsertionSettings, baseline: str,
                    followup: str, post: str | None = None,
                    attitude_scales: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per baseline respondent of the follow-up audience (see module docstring).

    Columns: background and subgroup variables, ``responded``, ``situation``,
    ``job_industry``, ``situation_start``, ``answered_at``, ``origin`` (programme end), the
    outcome columns (1/0, NaN when unknown), ``unknown_<outcome>`` (eligible but unknown), and
    ``<scale>_base``, ``<scale>_change`` for the attitude scales.
    """
    wave = panel["wave"].astype(str)
    audience = panel["audience"] if "audience" in panel else pd.Series(np.nan, index=panel.index)
    base = _one_per_respondent(panel[(wave == baseline) & audience.isin(settings.audience)])
    background = [c for c in ("site", "gender", "age", "education", "unemployment_months")
                  if c in panel]
    scales = [s for s in attitude_scales if s in panel]
    cohort = base[["respondent_id", *background, *scales]].rename(
        columns={s: f"{s}_base" for s in scales}).reset_index(drop=True)

    fu = _one_per_respondent(panel[wave == followup])
    fu_cols = {"situation": "situation", "job_industry": "job_industry",
               "situation_start": "situation_start", "submitted_at": "answered_at"}
    fu = fu.rename(columns=fu_cols)
    for column in fu_cols.values():
        if column not in fu:
            fu[column] = np.nan
    fu = fu.set_index("respondent_id")
    cohort = cohort.join(fu[list(fu_cols.values())], on="respondent_id")
    cohort["responded"] = cohort["respondent_id"].isin(fu.index)
    # background missing at baseline: take the follow-up row's value when there is one
    for column in background:
        if column in fu and column != "site":
            cohort[column] = cohort[column].fillna(
                cohort["respondent_id"].map(fu[column]))

    # post wave: attitude change and the end date of the programme
    origin = pd.Series(pd.NaT, index=cohort.index, dtype="datetime64[ns]")
    if post is not None:
        after = _one_per_respondent(panel[wave == post]).set_index("respondent_id")
        for s in scales:
            cohort[f"{s}_change"] = (cohort["respondent_id"].map(after[s]).astype(float)
                                     - cohort[f"{s}_base"].astype(float))
        if "submitted_at" in after and "site" in cohort:
            own = cohort["respondent_id"].map(after["submitted_at"])
            session = after.groupby("site")["submitted_at"].median()
            origin = own.fillna(cohort["site"].map(session))
    cohort["origin"] = pd.to_datetime(origin).dt.normalize()
    for column in ("situation_start", "answered_at"):
        cohort[column] = pd.to_datetime(cohort[column])

    if "age" in cohort:
        cohort["age_band"] = banded(cohort["age"], settings.age_bands, "ans")
    if "unemployment_months" in cohort:
        cohort["unemployment_band"] = banded(cohort["unemployment_months"],
                                             settings.unemployment_bands, "mois")
    outcomes = outcome_table(cohort["situation"], cohort["job_industry"], settings)
    cohort = pd.concat([cohort, outcomes], axis=1)
    return cohort


def outcome_table(situation: pd.Series, job_industry: pd.Series,
                  settings: InsertionSettings) -> pd.DataFrame:
    """Outcome indicators (1.0 / 0.0, NaN when unknown) and ``unknown_<outcome>`` flags.

    ``unknown_<outcome>`` marks people who belong to the outcome's denominator population but
    whose outcome is unknown (follow-up non-respondents, or item non-response): the
    non-respondents of the Manski bounds.
    """
    situation = situation.astype(object)
    known = situation.notna()
    active = situation.isin(settings.active) & known
    industry = job_industry.astype(object)
    said = industry.notna()
    out = {}

    def coded(success: pd.Series, where: pd.Series) -> pd.Series:
        return success.astype(float).where(where)

    out["employment"] = coded(situation.isin(settings.employment), known)
    out["durable_employment"] = coded(situation.isin(settings.durable), known)
    out["qualifying_training"] = coded(situation.isin(settings.qualifying_training), known)
    out["positive_exit"] = coded(situation.isin(settings.positive_exit), known)
    in_industry = active & (industry == "oui")
    out["job_in_industry"] = coded(in_industry, known & (~active | said))
    out["job_in_industry_among_active"] = coded(in_industry, active & said)
    frame = pd.DataFrame(out, index=situation.index)
    eligible = {o: pd.Series(True, index=situation.index) for o in OUTCOMES}
    eligible["job_in_industry_among_active"] = ~(known & ~active)  # unknown, or active
    for o in OUTCOMES:
        frame[f"unknown_{o}"] = eligible[o] & frame[o].isna()
    return frame


