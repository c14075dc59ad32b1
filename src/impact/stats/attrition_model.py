"""Attrition model on baseline covariates and inverse-probability-weighted (IPW) change.

If who answers the last wave depends on baseline characteristics that also shift the change
(missing at random given those covariates), the complete-case mean change is biased;
weighting each retained respondent by the inverse of their predicted retention probability
recovers the mean change of everyone who started (Robins, Rotnitzky & Zhao 1995). This is a
sensitivity check, not a cure for dropout that depends on unobserved things.

References
----------
Robins, J. M., Rotnitzky, A. & Zhao, L. P. (1995). Analysis of semiparametric regression
    models for repeated outcomes in the presence of missing data. *JASA* 90:106–121.
Robins, J. M., Hernán, M. A. & Brumback, B. (2000). Marginal structural models and causal
    inference in epidemiology. *Epidemiology* 11:550–560 (stabilised weights).
Cole, S. R. & Hernán, M. A. (2008). Constructing inverse probability weights for marginal
    structural models. *American Journal of Epidemiology* 168:656–664 (truncation at the
    1st/99th percentiles).
Seaman, S. R. & White, I. R. (2013). Review of inverse probability weighting for dealing
    with missing data. *Statistical Methods in Medical Research* 22:278–295.
Kish, L. (1965). *Survey sampling*. Wiley (effective sample size (Σw)²/Σw²).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["IPWEstimate", "MISSING_LEVEL", "attrition_weights", "ipw_mean_change"]

# Level given to a missing categorical covariate: "not answered" becomes its own category.
MISSING_LEVEL = "(manquant)"


def _design_frame(baseline: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Covariates under safe names (c0, c1, …) with the missing-value rule applied, and terms.

    Numeric covariates: missing values are replaced by the mean and a 0/1 indicator
    ``cK_missing`` enters the model (missing-indicator method; it is fine here because the
    model is only used for prediction, Rosenbaum & Rubin 1984, Appendix B). Other
    covariates (text, category, bool): missing becomes the level « (manquant) », one-hot
    coded with patsy's ``C()`` (treatment coding, first level as reference).
    """
    data, terms = {}, []
    for k, name in enumerate(covariates):
        col, key = baseline[name], f"c{k}"
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            values = pd.to_numeric(col, errors="coerce").astype(float)
            if values.notna().sum() == 0:
                continue  # nothing to learn from an all-missing covariate
            missing = values.isna()
            data[key] = values.fillna(values.mean())
            terms.append(key)
            if missing.any():
                data[f"{key}_missing"] = missing.astype(float)
                terms.append(f"{key}_missing")
        else:
            data[key] = col.astype("string").fillna(MISSING_LEVEL).astype(object)
            terms.append(f"C({key})")
    return pd.DataFrame(data, index=baseline.index), terms


def attrition_weights(baseline: pd.DataFrame, retained: pd.Series, covariates: list[str],
                      truncate: tuple[float, float] | None = (0.01, 0.99)) -> pd.DataFrame:
    """Predicted retention and stabilised, truncated inverse-probability weights.

    A logistic regression ``logit P(Rᵢ = 1) = β₀ + xᵢᵀβ`` of retention R on the baseline
    covariates is fitted by maximum likelihood (``statsmodels`` GLM, Binomial family, logit
    link; missing covariates handled as in :func:`_design_frame`). For retained respondents

    ``wᵢ = P̄ / p̂ᵢ`` with ``P̄ = mean(R)`` (stabilised weight: mean ≈ 1 among the retained,
    Robins et al. 2000),

    then truncated (winsorised) at the ``truncate`` quantiles of the retained respondents'
    weights — the 1st and 99th percentiles by default (Cole & Hernán 2008) — so a few
    respondents with tiny p̂ cannot dominate (``truncate=None`` keeps the raw weights).
    Truncation trades a little bias for variance: when retention depends strongly on the
    covariates it pulls the estimate slightly back towards the complete-case mean.
    Dropouts get no weight (NaN).

    Parameters
    ----------
    baseline
        One row per respondent who started, with the covariate columns.
    retained
        Boolean Series on the same index: answered the wave analysed.
    covariates
        Columns of ``baseline`` to model retention on.

    Returns
    -------
    DataFrame
        Same index as ``baseline``; columns ``retained``, ``p_retained``, ``weight_raw``,
        ``weight``. ``attrs["formula"]`` and ``attrs["covariates"]`` describe the model.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    r = pd.Series(retained).reindex(baseline.index)
    if r.isna().any():
        raise ValueError("l'indicateur de maintien (retained) est manquant pour certaines lignes")
    r = r.astype(bool)
    if r.all() or not r.any():
        raise ValueError("pas d'attrition à modéliser : tous les répondants sont dans le même cas")
    data, terms = _design_frame(baseline, covariates)
    data["retained_"] = r.astype(float)
    formula = "retained_ ~ " + (" + ".join(terms) if terms else "1")
    fit = smf.glm(formula, data=data, family=sm.families.Binomial()).fit()
    p_hat = pd.Series(np.asarray(fit.fittedvalues, dtype=float), index=baseline.index)

    raw = (r.mean() / p_hat).where(r)
    weight = raw
    if truncate is not None:
        low, high = raw[r].quantile(list(truncate))
        weight = raw.clip(low, high)
    out = pd.DataFrame({"retained": r, "p_retained": p_hat, "weight_raw": raw,
                        "weight": weight}, index=baseline.index)
    out.attrs["formula"] = formula
    out.attrs["covariates"] = list(covariates)
    return out


@dataclass(frozen=True)
class IPWEstimate:
    """Result of :func:`ipw_mean_change`."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    effective_n: float
    method: str


def ipw_mean_change(diff: ArrayLike, weights: ArrayLike, alpha: float = 0.05) -> IPWEstimate:
    """Weighted mean change with a heteroscedasticity-robust (sandwich) CI.

    ``μ̂ = Σwᵢdᵢ / Σwᵢ``, estimated as the intercept of a weighted least squares regression of
    d on a constant (``statsmodels`` WLS) with the HC1 sandwich variance

    ``V̂ = n/(n−1) · Σwᵢ²(dᵢ − μ̂)² / (Σwᵢ)²``

    and a t interval on n − 1 df. Rows with a missing difference or weight are dropped. The SE
    treats the weights as known; ignoring that they were estimated usually makes the interval
    slightly conservative for IPW means (Lunceford & Davidian 2004, *Stat. Med.* 23:2937).
    ``effective_n`` is Kish's (Σw)²/Σw².
    """
    import statsmodels.api as sm

    d = np.asarray(diff, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = ~np.isnan(d) & ~np.isnan(w)
    d, w = d[keep], w[keep]
    if np.any(w < 0):
        raise ValueError("les poids doivent être positifs")
    n = int(d.size)
    if n < 2 or w.sum() <= 0:
        nan = float("nan")
        return IPWEstimate(nan, nan, nan, nan, n, nan, "wls_hc1")
    fit = sm.WLS(d, np.ones((n, 1)), weights=w).fit(cov_type="HC1")
    estimate, se = float(fit.params[0]), float(fit.bse[0])
    half = stats.t.ppf(1 - alpha / 2, n - 1) * se
    return IPWEstimate(estimate, se, estimate - half, estimate + half, n,
                       float(w.sum() ** 2 / (w**2).sum()), "wls_hc1")
