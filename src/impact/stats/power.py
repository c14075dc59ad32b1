"""Planning: minimum detectable effect size (MDES) and the one-way ANOVA intraclass correlation.

References
----------
Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power
    of experimental designs. *Evaluation Review* 19:547–556.
Bloom, H. S. (2006). *The core analytics of randomized experiments for social research*.
    MDRC Working Papers on Research Methodology (also in Alasuutari et al., eds., 2008,
    *The SAGE Handbook of Social Research Methods*, ch. 9).
Kish, L. (1965). *Survey sampling*. Wiley (design effect 1 + (m − 1)·ICC).
Donner, A. (1986). A review of inference procedures for the intraclass correlation
    coefficient in the one-way random effects model. *International Statistical Review*
    54:67–82.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["MDE", "icc_oneway", "minimum_detectable_effect"]


@dataclass(frozen=True)
class MDE:
    """Result of :func:`minimum_detectable_effect` (arrays when inputs are arrays)."""

    mde: np.ndarray | float
    multiplier: np.ndarray | float
    df: np.ndarray | float
    n_effective: np.ndarray | float
    design_effect: np.ndarray | float
    design: str


def minimum_detectable_effect(
    n_clusters: ArrayLike,
    cluster_size: ArrayLike,
    icc: ArrayLike,
    attrition: ArrayLike = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    paired_r: ArrayLike | None = None,
    design: Literal["paired", "two_group", "did"] = "paired",
    treated_share: float = 0.5,
) -> MDE:
    """Smallest true effect, in SD units of the outcome, detectable with the given power.

    Bloom (1995, 2006): ``MDES = M · SE(effect in SD units)`` with the multiplier
    ``M = t_{1−α/2, df} + t_{power, df}`` (two-sided test). Respondents retained per cluster
    ``m = cluster_size · (1 − attrition)``, analysed sample ``N = n_clusters · m`` and Kish's
    design effect ``DEFF = 1 + (m − 1)·ICC``. Then

    * ``design="two_group"`` (treated vs comparison, clusters wholly in one group, share P
      treated): ``MDES = M · √(DEFF / (P(1−P)·N))`` — Bloom's (2006) cluster-randomised formula
      ``M·√(ICC/(P(1−P)J) + (1−ICC)/(P(1−P)Jm))`` rewritten; df = J − 2 (N − 2 when ICC = 0);
    * ``design="paired"`` (pre/post on the same people, correlation r between waves): the SD
      of the change is ``σ·√(2(1−r))``, so ``MDES = M · √(2(1−r) · DEFF / N)`` in SD units of the
      outcome (divide by √(2(1−r)) for d_z units); df = J − 1. Here ICC should be that of the
      change scores;
    * ``design="did"`` (participants and comparison respondents in the same J clusters, share
      P participants, difference in mean change): ``MDES = M · √(2(1−r) · DEFF / (P(1−P)·N))``,
      df = J − 1 (the clustered test of the difference has about J − 1 df) — an approximation
      that charges the whole design effect of the change to the difference (conservative when
      site shocks are common to both groups).

    The degrees of freedom are those of the clustered test whatever the ICC: an ICC estimated
    (or clipped) at 0 does not turn J clusters into N independent respondents (the earlier
    N − 1 made 9 of 13 MDEs about 10 % too optimistic). Pass a prior ICC when the estimate is
    unreliable.

    All numeric arguments broadcast, so a grid of scenarios is one call.

    Parameters
    ----------
    n_clusters, cluster_size
        Number of clusters J (e.g. schools) and respondents recruited per cluster at baseline.
    icc
        Intraclass correlation of the analysed outcome within clusters.
    attrition
        Expected share of recruited respondents lost by the last wave.
    paired_r
        Pre/post correlation; required for ``design="paired"``.
    treated_share
        P, share of clusters in the treated group (``design="two_group"``), or of respondents
        who are participants (``design="did"``).
    """
    j, size, rho, att = (np.asarray(v, dtype=float) for v in (n_clusters, cluster_size, icc,
                                                              attrition))
    if np.any((att < 0) | (att >= 1)) or np.any((rho < 0) | (rho > 1)):
        raise ValueError("attrition doit être dans [0, 1[ et l'ICC dans [0, 1]")
    if not 0 < treated_share < 1:
        raise ValueError("treated_share doit être strictement entre 0 et 1")
    m = size * (1 - att)
    n_eff = j * m
    deff = 1 + (m - 1) * rho
    if design == "paired":
        if paired_r is None:
            raise ValueError("paired_r (corrélation pré/post) est requis pour design='paired'")
        r = np.asarray(paired_r, dtype=float)
        var_unit = 2 * (1 - r)
        df = j - 1
    elif design == "two_group":
        var_unit = 1 / (treated_share * (1 - treated_share))
        df = j - 2
    elif design == "did":
        if paired_r is None:
            raise ValueError("paired_r (corrélation pré/post) est requis pour design='did'")
        r = np.asarray(paired_r, dtype=float)
        var_unit = 2 * (1 - r) / (treated_share * (1 - treated_share))
        df = j - 1
    else:
        raise ValueError(f"plan inconnu : {design!r} (paired, two_group ou did)")
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(df >= 1, df, np.nan)  # too few clusters: no test is possible
        multiplier = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
        mde = multiplier * np.sqrt(var_unit * deff / n_eff)
    return MDE(mde=_scalar(mde), multiplier=_scalar(multiplier), df=_scalar(df),
               n_effective=_scalar(n_eff), design_effect=_scalar(deff), design=design)


def _scalar(a: np.ndarray) -> np.ndarray | float:
    """A 0-d array as a Python float, anything else unchanged."""
    return float(a) if np.ndim(a) == 0 else a


def icc_oneway(values: ArrayLike, clusters: ArrayLike) -> float:
    """ICC(1), the one-way random-effects ANOVA estimator, clipped at 0.

    With k clusters, N observations, cluster sizes nⱼ and the between/within mean squares
    ``MSB = Σ nⱼ(ȳⱼ − ȳ)² / (k − 1)``, ``MSW = Σⱼ Σᵢ (yᵢⱼ − ȳⱼ)² / (N − k)``:

    ``ICC(1) = (MSB − MSW) / (MSB + (n₀ − 1)·MSW)``, ``n₀ = (N − Σ nⱼ²/N) / (k − 1)``

    (n₀ is the mean cluster size corrected for imbalance; Donner 1986). Negative estimates,
    which happen by chance when the true ICC is near 0, are set to 0. Rows with a missing
    value or cluster are ignored; computed with one groupby. NaN with < 2 clusters or no
    within-cluster degrees of freedom.
    """
    frame = pd.DataFrame({"y": pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce"),
                          "g": pd.Series(np.asarray(clusters))}).dropna()
    by = frame.groupby("g", observed=True)["y"].agg(["size", "mean", "var"])
    k, n = len(by), len(frame)
    if k < 2 or n <= k:
        return float("nan")
    grand = frame["y"].mean()
    msb = (by["size"] * (by["mean"] - grand) ** 2).sum() / (k - 1)
    msw = ((by["size"] - 1) * by["var"].fillna(0.0)).sum() / (n - k)
    n0 = (n - (by["size"] ** 2).sum() / n) / (k - 1)
    den = msb + (n0 - 1) * msw
    if den <= 0:
        return float("nan")
    return float(max(0.0, (msb - msw) / den))
