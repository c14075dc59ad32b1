"""Internal consistency of a scale: Cronbach's α with Feldt's CI, McDonald's ω total.

Items must already be oriented (reverse-coded items flipped, see :mod:`impact.survey.scales`): both
coefficients assume every item measures the construct in the same direction, and a
non-flipped reversed item lowers them, sometimes below zero.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika* 16:297–334.
Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. *Psychometrika* 30:357–370.
McDonald, R. P. (1999). *Test theory: a unified treatment*. Erlbaum (ch. 6, ω).
Jöreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
    *Psychometrika* 32:443–482.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ALPHA_FLAG_BELOW", "cronbach_alpha", "mcdonald_omega", "reliability_table"]

# Nunnally (1978) conventional minimum for group-level research use.
ALPHA_FLAG_BELOW = 0.70


def _complete(items: pd.DataFrame) -> np.ndarray:
    """Listwise complete cases as a float matrix (respondents × items)."""
    return items.apply(pd.to_numeric, errors="coerce").dropna(how="any").to_numpy(dtype=float)


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> tuple[float, float, float]:
    """Cronbach's α on listwise complete cases, with Feldt's (1965) F-based CI.

    ``α = k/(k−1) · (1 − Σᵢ s²ᵢ / s²_T)`` with s²ᵢ the item variances and s²_T the variance of
    the sum score (both with ddof = 1). Feldt: ``(1 − α)/(1 − α̂) ~ F(n−1, (n−1)(k−1))``, so the
    limits are ``1 − (1 − α̂)·F_{1−γ/2}`` and ``1 − (1 − α̂)·F_{γ/2}`` with γ = 1 − ci and F_q
    the q-quantile of F(n−1, (n−1)(k−1)) — the same interval as ``pingouin.cronbach_alpha``.

    Returns
    -------
    alpha, low, high
        NaN when fewer than 2 items or 2 complete cases, or the sum score has no variance.
    """
    x = _complete(items)
    n, k = x.shape
    if k < 2 or n < 2:
        return float("nan"), float("nan"), float("nan")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan"), float("nan"), float("nan")
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    gamma = 1 - ci
    low = 1 - (1 - alpha) * stats.f.ppf(1 - gamma / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(gamma / 2, df1, df2)
    return float(alpha), float(low), float(high)


def mcdonald_omega(items: pd.DataFrame) -> float:
    """McDonald's ω total of the unit-weighted sum from a one-factor maximum-likelihood model.

    A single-factor model ``Σ = λλᵀ + Ψ`` is fitted by maximum likelihood (Jöreskog 1967;
    ``statsmodels.multivariate.factor.Factor(method="ml")``) to the correlation matrix of the
    listwise complete cases. ML is scale-invariant, so the loadings and uniquenesses in the
    items' raw metric are ``λᵢ = λ*ᵢ·sᵢ`` and ``ψᵢ = ψ*ᵢ·s²ᵢ``; then

    ``ω = (Σλᵢ)² / ((Σλᵢ)² + Σψᵢ)``,

    the share of the variance of the raw sum (or mean) score due to the common factor. Under
    tau-equivalence (equal raw loadings) ω equals α in the population. Loadings keep their
    sign (the factor oriented so that Σλ* > 0), so a reversed item that was not flipped
    before the call shows up as a lower ω rather than being silently counted as positive.

    Returns NaN with fewer than 3 items (a one-factor model on 2 items is not identified), fewer
    than k + 1 complete cases, an item without variance, or a fit that fails to converge.
    """
    from statsmodels.multivariate.factor import Factor

    x = _complete(items)
    n, k = x.shape
    sd = x.std(axis=0, ddof=1) if n > 1 else np.zeros(k)
    if k < 3 or n <= k or np.any(sd == 0):
        return float("nan")
    corr = np.corrcoef(x, rowvar=False)
    try:
        # statsmodels draws the EM starting loadings at random: a fixed generator makes ω
        # byte-identical from one run to the next
        fit = Factor(corr=corr, n_factor=1, method="ml", nobs=n).fit(rng=0)
    except (np.linalg.LinAlgError, ValueError):
        return float("nan")
    if not getattr(getattr(fit, "mle_retvals", None), "success", True):
        return float("nan")
    loadings = fit.loadings[:, 0]
    if loadings.sum() < 0:  # the factor's sign is arbitrary: orient it with the items
        loadings = -loadings
    # an item still loading negatively (reversed, not flipped) lowers ω, as it lowers the
    # reliability of the unit-weighted sum it is part of
    loadings = loadings * sd
    uniqueness = np.clip(fit.uniqueness, 0.0, None) * sd**2
    common = loadings.sum() ** 2
    return float(common / (common + uniqueness.sum()))


def reliability_table(items_by_scale: dict[str, pd.DataFrame], ci: float = 0.95) -> pd.DataFrame:
    """α (with CI) and ω for every scale, one row per scale.

    Columns ``scale, n, k, alpha, alpha_ci_low, alpha_ci_high, omega, flag``; n counts the
    listwise complete cases used, k the items, and ``flag`` is ``alpha_below_0.70`` when
    α < 0.70 (Nunnally 1978's usual minimum), else empty.
    """
    rows = []
    for scale, items in items_by_scale.items():  # a handful of scales, not respondents
        alpha, low, high = cronbach_alpha(items, ci)
        rows.append({
            "scale": scale, "n": int(len(_complete(items))), "k": int(items.shape[1]),
            "alpha": alpha, "alpha_ci_low": low, "alpha_ci_high": high,
            "omega": mcdonald_omega(items),
            "flag": "alpha_below_0.70" if alpha < ALPHA_FLAG_BELOW else "",
        })
    columns = ["scale", "n", "k", "alpha", "alpha_ci_low", "alpha_ci_high", "omega", "flag"]
    return pd.DataFrame(rows, columns=columns)
