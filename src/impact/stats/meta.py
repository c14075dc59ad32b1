"""Pooling estimates across programmes: fixed and random effects, heterogeneity.

References
----------
DerSimonian, R. & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical
    Trials* 7:177–188.
Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
    *Statistics in Medicine* 21:1539–1558 (I²).
Higgins, J. P. T., Thompson, S. G. & Spiegelhalter, D. J. (2009). A re-evaluation of
    random-effects meta-analysis. *JRSS A* 172:137–159 (prediction interval, t on k − 2 df).
Borenstein, M., Hedges, L. V., Higgins, J. P. T. & Rothstein, H. R. (2009). *Introduction to
    meta-analysis*. Wiley, ch. 11–12 and 17.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["Pooled", "random_effects"]


@dataclass(frozen=True)
class Pooled:
    """Result of :func:`random_effects` (fixed-effect quantities kept for the Q test)."""

    k: int
    fixed: float
    fixed_se: float
    q: float
    q_df: int
    q_p: float
    i2: float
    tau2: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


def random_effects(estimates: ArrayLike, se: ArrayLike, alpha: float = 0.05) -> Pooled:
    """DerSimonian–Laird random-effects pooling with Q, I², τ² and a prediction interval.

    Fixed effect: ``wᵢ = 1/SEᵢ²``, ``θ_F = Σwᵢθᵢ/Σwᵢ``; Cochran's ``Q = Σwᵢ(θᵢ − θ_F)²`` on
    k − 1 df; ``I² = max(0, (Q − (k−1))/Q)``; ``τ² = max(0, (Q − (k−1)) / (Σwᵢ − Σwᵢ²/Σwᵢ))``
    (DerSimonian & Laird 1986). Random effects: ``wᵢ* = 1/(SEᵢ² + τ²)``,
    ``θ_R = Σwᵢ*θᵢ/Σwᵢ*``, SE ``√(1/Σwᵢ*)``, CI ``θ_R ± z·SE``; 95 % prediction interval for the
    effect in a new programme ``θ_R ± t_{k−2}·√(τ² + SE²)`` (Higgins et al. 2009; NaN for
    k < 3).
    """
    theta = np.asarray(estimates, dtype=float)
    s = np.asarray(se, dtype=float)
    k = theta.size
    w = 1 / s**2
    fixed = float((w * theta).sum() / w.sum())
    q = float((w * (theta - fixed) ** 2).sum())
    df = k - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    c = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (q - df) / c) if c > 0 else 0.0
    w_re = 1 / (s**2 + tau2)
    est = float((w_re * theta).sum() / w_re.sum())
    se_re = float(np.sqrt(1 / w_re.sum()))
    z = stats.norm.ppf(1 - alpha / 2)
    if k >= 3:
        half = stats.t.ppf(1 - alpha / 2, k - 2) * np.sqrt(tau2 + se_re**2)
        pi = (est - half, est + half)
    else:
        pi = (float("nan"), float("nan"))
    return Pooled(k=k, fixed=fixed, fixed_se=float(np.sqrt(1 / w.sum())), q=q, q_df=df,
                  q_p=float(stats.chi2.sf(q, df)) if df > 0 else float("nan"), i2=float(i2),
                  tau2=float(tau2), estimate=est, se=se_re, ci_low=est - z * se_re,
                  ci_high=est + z * se_re, pi_low=float(pi[0]), pi_high=float(pi[1]))
