"""What Works Clearinghouse (WWC) group-design standards: attrition, baseline equivalence.

References
----------
What Works Clearinghouse (2020). *Standards Handbook, Version 4.1*. U.S. Department of
    Education, IES/NCEE — section II (group designs: attrition, Table II.1 attrition boundary,
    baseline equivalence).
What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0* — keeps the
    same cautious/optimistic boundaries and baseline-equivalence thresholds.
What Works Clearinghouse (2020). *Procedures Handbook, Version 4.1* — Hedges' g with the
    small-sample correction ω = 1 − 3/(4N − 9) (effect-size chapter and appendix).
Hedges, L. V. & Olkin, I. (1985). *Statistical methods for meta-analysis*. Academic Press.
Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. *Journal of Educational Statistics* 6:107–128.
Cox, D. R. (1970). *Analysis of binary data*. Methuen (logit difference / 1.65 as a d-type
    effect size; Sánchez-Meca, Marín-Martínez & Chacón-Moscoso 2003, *Psychological Methods*
    8:448–467, show it tracks Cohen's d best among the binary indices).
Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. *Statistics in
    Medicine* 28:3083–3107.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "ATTRITION_BOUNDARY",
    "HedgesG",
    "baseline_equivalence",
    "classify_attrition",
    "cox_index",
    "hedges_g_two_groups",
    "pooled_sd",
    "small_sample_omega",
    "wwc_standardised_difference",
    "max_low_differential",
    "standardized_difference",
]

# WWC Standards Handbook v4.1, Table II.1 "Highest differential attrition rate for a sample to
# maintain low attrition, by overall attrition rate, under 'optimistic' and 'cautious'
# assumptions" (same boundary as v3.0 Table III.1 and v5.0). One row per whole percent of
# overall attrition 0–65: the largest differential attrition (percentage points) still "low"
# under the cautious and the optimistic boundary. Under the cautious boundary, overall
# attrition of 58 % or more is high whatever the differential (None). The table could not be
# read from the handbook PDF itself here: these values were transcribed from the baselinr R
# package (Liang, CRAN 0.6.0, R/attrition_boundary.R, citing Table II.1) and agree with the
# rows we remember (0 %: 5.7/10.0; 10 %: 6.3/10.9); re-check against the PDF when possible.
_CAUTIOUS = (
    5.7, 5.8, 5.9, 5.9, 6.0, 6.1, 6.2, 6.3, 6.3, 6.3, 6.3, 6.2, 6.2, 6.1, 6.0,
    5.9, 5.9, 5.8, 5.7, 5.5, 5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3,
    4.1, 4.0, 3.8, 3.6, 3.5, 3.3, 3.2, 3.1, 2.9, 2.8, 2.6, 2.5, 2.3, 2.1, 2.0,
    1.8, 1.6, 1.5, 1.3, 1.2, 1.0, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.0,
) + (None,) * 8
_OPTIMISTIC = (
    10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9, 10.9, 10.9,
    10.9, 10.8, 10.8, 10.7, 10.6, 10.5, 10.3, 10.2, 10.0, 9.9, 9.7, 9.5, 9.4,
    9.2, 9.0, 8.8, 8.6, 8.4, 8.2, 8.0, 7.8, 7.6, 7.4, 7.2, 7.0, 6.7, 6.5, 6.3,
    6.0, 5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9, 3.7, 3.5, 3.2, 3.0, 2.8,
    2.6, 2.3, 2.1, 1.9, 1.6, 1.4, 1.1, 0.9, 0.7, 0.5, 0.3,
)
ATTRITION_BOUNDARY = pd.DataFrame({
    "overall_pct": np.arange(66),
    "cautious_max_differential_pct": np.array(_CAUTIOUS, dtype=float),  # None → NaN
    "optimistic_max_differential_pct": np.array(_OPTIMISTIC, dtype=float),
})

# Comparisons on the boundary tolerate float noise (0.063*100 = 6.300000000000001).
_EPS = 1e-9


def max_low_differential(overall: ArrayLike,
                         boundary: Literal["cautious", "optimistic"]) -> np.ndarray:
    """Largest differential attrition (proportion) still "low" at this overall attrition.

    ``overall`` is a proportion; it is rounded half up to a whole percent, the resolution of
    Table II.1. NaN where every differential is high (overall above 65 %, or ≥ 58 % under the
    cautious boundary).
    """
    if boundary not in ("cautious", "optimistic"):
        raise ValueError(f"frontière inconnue : {boundary!r} (cautious ou optimistic)")
    column = ATTRITION_BOUNDARY[f"{boundary}_max_differential_pct"].to_numpy()
    pct = np.floor(np.asarray(overall, dtype=float) * 100 + 0.5 + _EPS)
    inside = (pct >= 0) & (pct <= 65)
    idx = np.where(inside, pct, 0).astype(int)
    return np.where(inside, column[idx], np.nan) / 100


def classify_attrition(overall: ArrayLike, differential: ArrayLike,
                       boundary: Literal["cautious", "optimistic"] = "cautious",
                       ) -> str | np.ndarray:
    """« low » or « high » attrition against the WWC boundary (Standards Handbook v4.1).

    Low when ``|differential| ≤ max_low_differential(overall, boundary)``; high otherwise,
    including overall attrition beyond the table. Overall and differential attrition are
    proportions (differential = |attrition_treated − attrition_comparison|). The cautious
    boundary applies when the intervention could affect who stays (the default here); the
    optimistic one when it plausibly cannot. Scalars give a str, arrays an array of str.
    """
    over = np.asarray(overall, dtype=float)
    diff = np.abs(np.asarray(differential, dtype=float))
    if np.any(np.isnan(over)) or np.any(np.isnan(diff)):
        raise ValueError("attrition globale ou différentielle manquante")
    if np.any((over < 0) | (over > 1)):
        raise ValueError("l'attrition globale est une proportion entre 0 et 1")
    limit = max_low_differential(over, boundary)
    low = ~np.isnan(limit) & (diff <= np.nan_to_num(limit, nan=-1.0) + _EPS)
    out = np.where(low, "low", "high")
    return str(out) if out.ndim == 0 else out


def baseline_equivalence(g: ArrayLike) -> str | np.ndarray:
    """WWC baseline-equivalence category of a standardised baseline difference.

    ``|g| ≤ 0.05`` « satisfied »; ``0.05 < |g| ≤ 0.25`` « adjustment_required » (equivalence
    holds only if the impact model adjusts for that characteristic); ``|g| > 0.25``
    « not_satisfied » (Standards Handbook v4.1, section II). Scalars give a str, arrays an array.
    """
    a = np.abs(np.asarray(g, dtype=float))
    if np.any(np.isnan(a)):
        raise ValueError("différence standardisée manquante")
    out = np.select([a <= 0.05 + _EPS, a <= 0.25 + _EPS],
                    ["satisfied", "adjustment_required"], "not_satisfied")
    return str(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class HedgesG:
    """Result of :func:`hedges_g_two_groups`."""

    g: float
    ci_low: float
    ci_high: float
    se: float
    n1: int
    n2: int
    mean_diff: float
    sd_pooled: float


def _clean(x: ArrayLike) -> np.ndarray:
    v = pd.to_numeric(pd.Series(np.asarray(x)), errors="coerce").to_numpy(dtype=float)
    return v[~np.isnan(v)]


def hedges_g_two_groups(x: ArrayLike, y: ArrayLike, alpha: float = 0.05) -> HedgesG:
    """Hedges' g for group x minus group y, WWC formula, with a normal-theory CI.

    ``g = ω · (x̄ − ȳ) / s_p``, ``s_p = √(((n₁−1)s₁² + (n₂−1)s₂²) / (n₁+n₂−2))``,
    ``ω = 1 − 3/(4N − 9)``, N = n₁ + n₂ (WWC Procedures Handbook v4.1; Hedges 1981).
    ``SE(g) = √(N/(n₁n₂) + g²/(2N))``, the large-sample SE of Hedges & Olkin (1985), and CI
    ``g ± z_{1−α/2}·SE``. Missing values are dropped.
    """
    a, b = _clean(x), _clean(y)
    n1, n2 = a.size, b.size
    nan = float("nan")
    if n1 < 2 or n2 < 2:
        return HedgesG(nan, nan, nan, nan, n1, n2, nan, nan)
    big_n = n1 + n2
    sp = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (big_n - 2))
    diff = a.mean() - b.mean()
    g = (1 - 3 / (4 * big_n - 9)) * diff / sp if sp > 0 else nan
    se = np.sqrt(big_n / (n1 * n2) + g**2 / (2 * big_n))
    half = stats.norm.ppf(1 - alpha / 2) * se
    return HedgesG(float(g), float(g - half), float(g + half), float(se), n1, n2,
                   float(diff), float(sp))


def standardized_difference(x_stayers: ArrayLike, x_leavers: ArrayLike,
                            kind: Literal["auto", "continuous", "binary"] = "auto") -> float:
    """Standardised difference (stayers − leavers) of one baseline covariate (Austin 2009).

    Continuous: ``(x̄₁ − x̄₂) / √((s₁² + s₂²)/2)``; binary (0/1): ``(p̂₁ − p̂₂) /
    √((p̂₁(1−p̂₁) + p̂₂(1−p̂₂))/2)`` (Austin 2009, eqs. 1–2). The SD pools the two groups with
    equal weight, so it does not depend on how many dropped out. ``kind="auto"`` treats a
    covariate whose values are all 0/1 as binary. Missing values are dropped; NaN when a
    group is empty or both groups are constant.
    """
    a, b = _clean(x_stayers), _clean(x_leavers)
    if a.size == 0 or b.size == 0:
        return float("nan")
    if kind == "auto":
        kind = "binary" if np.isin(np.concatenate([a, b]), (0.0, 1.0)).all() else "continuous"
    if kind == "binary":
        p1, p2 = a.mean(), b.mean()
        spread = (p1 * (1 - p1) + p2 * (1 - p2)) / 2
    elif kind == "continuous":
        if a.size < 2 or b.size < 2:
            return float("nan")
        spread = (a.var(ddof=1) + b.var(ddof=1)) / 2
    else:
        raise ValueError(f"type de covariable inconnu : {kind!r}")
    return float((a.mean() - b.mean()) / np.sqrt(spread)) if spread > 0 else float("nan")


def small_sample_omega(n_total: float) -> float:
    """Hedges' small-sample correction ``ω = 1 − 3/(4N − 9)`` (WWC Procedures Handbook)."""
    return 1 - 3 / (4 * float(n_total) - 9)


def pooled_sd(x: ArrayLike, y: ArrayLike) -> float:
    """``√(((n₁−1)s₁² + (n₂−1)s₂²) / (n₁+n₂−2))`` of two groups (missing values dropped)."""
    a, b = _clean(x), _clean(y)
    if a.size < 2 or b.size < 2:
        return float("nan")
    return float(np.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1))
                         / (a.size + b.size - 2)))


def wwc_standardised_difference(difference: float, sd: float, n_total: float,
                                ci: tuple[float, float] | None = None,
                                ) -> tuple[float, float, float]:
    """An impact in outcome units as a WWC Hedges' g: ``g = ω · difference / sd``.

    ``sd`` is the standardiser — for the difference-in-differences the pooled SD of the two
    groups at baseline (WWC Procedures Handbook v5.0, effect sizes of difference-in-differences
    and gain-score analyses: the impact is standardised by the pooled SD of the outcome, not of
    the gains), ``ω = 1 − 3/(4N − 9)``. ``ci`` (bounds in outcome units, e.g. the clustered CI)
    is carried over by the same linear map, treating the standardiser as fixed. Returns
    (g, low, high).
    """
    if not (np.isfinite(sd) and sd > 0):
        return float("nan"), float("nan"), float("nan")
    factor = small_sample_omega(n_total) / sd
    low, high = (ci if ci is not None else (float("nan"), float("nan")))
    return float(factor * difference), float(factor * low), float(factor * high)


def cox_index(p_treated: float, p_comparison: float, n_total: float) -> float:
    """Cox index of a difference in proportions, with the WWC small-sample correction.

    ``d_Cox = ω · (ln(p_t/(1 − p_t)) − ln(p_c/(1 − p_c))) / 1.65`` with ``ω = 1 − 3/(4N − 9)``
    (WWC Procedures Handbook v4.1/v5.0, dichotomous outcomes; Cox 1970). NaN when a proportion
    is 0 or 1 (the WWC then substitutes 0.5/n; not done here: such cells are too small to
    publish).
    """
    if not (0 < p_treated < 1 and 0 < p_comparison < 1):
        return float("nan")
    logit = np.log(p_treated / (1 - p_treated)) - np.log(p_comparison / (1 - p_comparison))
    return float(small_sample_omega(n_total) * logit / 1.65)
