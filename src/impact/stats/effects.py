"""Pre/post change: paired tests, standardised effect sizes, McNemar, multiplicity, magnitudes.

Pure statistics: arrays in, small frozen dataclasses out. Differences are always
``post − pre``, so a positive change means the score went up.

References
----------
Cohen, J. (1988). *Statistical power analysis for the behavioral sciences* (2nd ed.). Erlbaum.
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science:
    a practical primer for t-tests and ANOVAs. *Frontiers in Psychology* 4:863.
Kerby, D. S. (2014). The simple difference formula: an approach to teaching nonparametric
    correlation. *Comprehensive Psychology* 3:11.IT.3.1.
Cumming, G. & Finch, S. (2001). A primer on the understanding, use, and calculation of
    confidence intervals that are based on central and noncentral distributions.
    *Educational and Psychological Measurement* 61:532–574.
Bonett, D. G. (2008). Confidence intervals for standardized linear contrasts of means.
    *Psychological Methods* 13:99–109.
McNemar, Q. (1947). Note on the sampling error of the difference between correlated
    proportions or percentages. *Psychometrika* 12:153–157.
Newcombe, R. G. (1998). Improved confidence intervals for the difference between binomial
    proportions based on paired data. *Statistics in Medicine* 17:2635–2650.
Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics* 6:65–70.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate.
    *Journal of the Royal Statistical Society B* 57:289–300.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, stats

from impact.stats.rates import wilson_ci

__all__ = [
    "McNemarResult",
    "PairedChange",
    "adjust_pvalues",
    "dz_ci",
    "gav_ci",
    "hedges_j_gav",
    "magnitude_label",
    "mcnemar_change",
    "newcombe_paired_diff_ci",
    "paired_change",
]

# Below this many discordant pairs McNemar's test uses the exact binomial distribution; the
# chi-square approximation is poor for small b + c (the common rule of thumb, e.g.
# Fagerland, Lydersen & Laake 2013, BMC Med Res Methodol 13:91, who recommend the exact or
# mid-p test for small samples).
MCNEMAR_EXACT_BELOW = 25


def _pairs(pre: ArrayLike, post: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of the complete pairs (rows where either value is missing are dropped)."""
    # positional, never index-aligned: pre[i] and post[i] are the same respondent
    x = pd.to_numeric(pd.Series(np.asarray(pre)), errors="coerce")
    y = pd.to_numeric(pd.Series(np.asarray(post)), errors="coerce")
    if len(x) != len(y):
        raise ValueError("pre et post doivent avoir la même longueur")
    keep = (x.notna() & y.notna()).to_numpy()
    return x.to_numpy(dtype=float)[keep], y.to_numpy(dtype=float)[keep]


def _ratio(num: float, den: float) -> float:
    """num / den, NaN instead of ±inf or a warning when den is 0 or NaN."""
    return float(num / den) if np.isfinite(den) and den != 0 else float("nan")


# --------------------------------------------------------------------------- paired change


@dataclass(frozen=True)
class PairedChange:
    """Result of :func:`paired_change` (all differences are post − pre)."""

    n: int
    mean_pre: float
    sd_pre: float
    mean_post: float
    sd_post: float
    r_pre_post: float
    mean_diff: float
    sd_diff: float
    ci_low: float
    ci_high: float
    t: float
    df: float
    p_t: float
    wilcoxon_w: float
    p_wilcoxon: float
    wilcoxon_note: str
    rank_biserial: float
    d_z: float
    d_z_ci_low: float
    d_z_ci_high: float
    d_av: float
    g_av: float
    g_av_ci_low: float
    g_av_ci_high: float
    alpha: float


def paired_change(pre: ArrayLike, post: ArrayLike, alpha: float = 0.05) -> PairedChange:
    """Mean change between two waves with paired t, Wilcoxon and Lakens (2013) effect sizes.

    Pairs with a missing value at either wave are dropped. With ``D = post − pre`` over the n
    complete pairs:

    * mean change ``D̄`` with CI ``D̄ ± t_{1−α/2, n−1} · s_D/√n``; ``t = D̄ / (s_D/√n)``, df = n−1,
      two-sided p (Student's paired t-test);
    * Wilcoxon signed-rank test, ``scipy.stats.wilcoxon(D, zero_method="wilcox",
      correction=False, method="auto")``: zero differences are discarded (Wilcoxon's original
      rule, the one pingouin and R's ``wilcox.test`` use); scipy's "auto" p-value is exact for
      ≤ 50 distinct non-zero differences, with ties or zeros an exhaustive permutation up to
      13 pairs and the tie-corrected normal approximation beyond. When every difference is zero the
      test is undefined: W and the rank-biserial are NaN, p = 1 and ``wilcoxon_note`` says why;
    * matched-pairs rank-biserial (Kerby 2014): ``r = (R₊ − R₋) / (R₊ + R₋)`` with R₊, R₋ the
      sums of the ranks of |D| over positive and negative non-zero differences;
    * ``d_z = D̄ / s_D`` (Lakens 2013) with an exact CI by inverting the noncentral t
      (:func:`dz_ci`);
    * ``d_av = D̄ / ((s_pre + s_post)/2)`` (Lakens 2013) and ``g_av = J · d_av`` with
      Hedges' correction J as applied in Lakens (2013) (:func:`hedges_j_gav`), CI by
      :func:`gav_ci`.

    Parameters
    ----------
    pre, post
        Scores of the same respondents at the two waves (same order).
    alpha
        1 − confidence level of every interval.

    Returns
    -------
    PairedChange
        NaN where a quantity is undefined (n < 2, zero variance).

    Examples
    --------
    Lakens's (2013) worked example, ``paired_change([9,6,7,8,7,9,8,8,8,7],
    [9,7,8,9,8,9,9,10,9,9])``,
    gives t(9) = 4.74, d_z = 1.50, d_av = 1.13, g_av = 1.08.
    """
    x, y = _pairs(pre, post)
    d = y - x
    n = d.size
    nan = float("nan")
    mean_pre, mean_post, mean_diff = (float(v.mean()) if n else nan for v in (x, y, d))
    sd_pre, sd_post, sd_diff = (float(v.std(ddof=1)) if n > 1 else nan for v in (x, y, d))
    r = float(np.corrcoef(x, y)[0, 1]) if n > 1 and sd_pre > 0 and sd_post > 0 else nan

    df = n - 1
    se = sd_diff / np.sqrt(n) if n > 1 else nan
    t = _ratio(mean_diff, se)
    p_t = float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else nan
    half = stats.t.ppf(1 - alpha / 2, df) * se if n > 1 else nan
    w, p_w, note, rbc = _wilcoxon(d)

    d_z = _ratio(mean_diff, sd_diff)
    d_av = _ratio(mean_diff, (sd_pre + sd_post) / 2)
    g_av = d_av * hedges_j_gav(n)
    dz_low, dz_high = dz_ci(d_z, n, alpha)
    g_low, g_high = (float(v) for v in gav_ci(d_av, n, sd_pre, sd_post, r, alpha))
    return PairedChange(
        n=n, mean_pre=mean_pre, sd_pre=sd_pre, mean_post=mean_post, sd_post=sd_post,
        r_pre_post=r, mean_diff=mean_diff, sd_diff=sd_diff,
        ci_low=float(mean_diff - half), ci_high=float(mean_diff + half), t=t,
        df=float(df) if n else nan,
        p_t=p_t, wilcoxon_w=w, p_wilcoxon=p_w, wilcoxon_note=note, rank_biserial=rbc,
        d_z=d_z, d_z_ci_low=dz_low, d_z_ci_high=dz_high, d_av=d_av, g_av=g_av,
        g_av_ci_low=g_low, g_av_ci_high=g_high, alpha=alpha,
    )


def cell_changes(pre: ArrayLike, post: ArrayLike, cells: ArrayLike,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Mean change and g_av in every cell of a grouping, vectorised (one pass, no loop).

    The same estimates as :func:`paired_change` on each cell's complete pairs — ``n``,
    ``mean_diff`` with its t CI, ``t``, ``df``, ``p_t``, ``d_z``, ``g_av`` with :func:`gav_ci`
    — computed from grouped moments, for the subgroup tables where a campaign can have
    hundreds of cells (sites). Cells with fewer than 2 pairs are left out.

    Returns a DataFrame indexed by cell (sorted).
    """
    frame = pd.DataFrame({"x": pd.to_numeric(pd.Series(np.asarray(pre)), errors="coerce"),
                          "y": pd.to_numeric(pd.Series(np.asarray(post)), errors="coerce"),
                          "cell": np.asarray(cells)}).dropna()
    frame["d"] = frame["y"] - frame["x"]
    frame["xy"] = frame["x"] * frame["y"]
    g = frame.groupby("cell", sort=True)
    n = g.size().astype(float)
    means, sds = g[["x", "y", "d"]].mean(), g[["x", "y", "d"]].std(ddof=1)
    cov = (g["xy"].sum() - n * means["x"] * means["y"]) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / (sds["x"] * sds["y"])
        se = sds["d"] / np.sqrt(n)
        t = means["d"] / se
        half = stats.t.ppf(1 - alpha / 2, n - 1) * se
        d_av = means["d"] / ((sds["x"] + sds["y"]) / 2)
    g_low, g_high = gav_ci(d_av, n, sds["x"], sds["y"], r, alpha)
    out = pd.DataFrame({
        "n": n.astype(int), "mean_diff": means["d"], "ci_low": means["d"] - half,
        "ci_high": means["d"] + half, "t": t, "df": n - 1,
        "p_t": 2 * stats.t.sf(np.abs(t), n - 1), "d_z": means["d"] / sds["d"],
        "g_av": d_av * n.map(hedges_j_gav),
        "g_av_ci_low": g_low, "g_av_ci_high": g_high})
    return out[out["n"] >= 2].replace([np.inf, -np.inf], np.nan)


def _wilcoxon(d: np.ndarray) -> tuple[float, float, str, float]:
    """Wilcoxon signed-rank W, p, a French note when undefined, and Kerby's rank-biserial."""
    nonzero = d[d != 0]
    if nonzero.size == 0:
        reason = "aucune paire" if d.size == 0 else "toutes les différences sont nulles"
        return float("nan"), (1.0 if d.size else float("nan")), reason, float("nan")
    res = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="auto")
    ranks = stats.rankdata(np.abs(nonzero))  # average ranks for ties
    r_plus, r_minus = ranks[nonzero > 0].sum(), ranks[nonzero < 0].sum()
    rbc = (r_plus - r_minus) / (r_plus + r_minus)
    return float(res.statistic), float(res.pvalue), "", float(rbc)


def hedges_j_gav(n: int) -> float:
    """Small-sample correction applied to d_av in Lakens (2013): J = 1 − 3 / (4·2n − 9).

    Lakens (2013, and his companion spreadsheet) corrects d_av with the between-subjects
    factor ``1 − 3/(4(n₁+n₂) − 9)`` taking n₁ = n₂ = n, i.e. J = 1 − 3/(4·df − 1) with
    df = 2(n − 1); this reproduces his published g_av = 1.08 (d_av = 1.13, n = 10). The
    within-subject alternative df = n − 1 would give 1.03.
    """
    return 1 - 3 / (8 * n - 9) if n > 1 else float("nan")


def dz_ci(d_z: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact CI for d_z by inverting the noncentral t distribution (Cumming & Finch 2001).

    ``t = d_z·√n`` follows a noncentral t with df = n − 1 and noncentrality ``δ_z·√n``. The
    limits are the noncentralities λ_L, λ_U solving ``F_nct(t; n−1, λ_L) = 1 − α/2`` and
    ``F_nct(t; n−1, λ_U) = α/2`` (``scipy.stats.nct``, Brent's root finding on a bracket that is
    widened until it changes sign), divided by √n.
    """
    if n < 2 or not np.isfinite(d_z):
        return float("nan"), float("nan")
    t_obs, df = d_z * np.sqrt(n), n - 1
    lam_low = _nct_root(t_obs, df, 1 - alpha / 2)
    lam_high = _nct_root(t_obs, df, alpha / 2)
    return float(lam_low / np.sqrt(n)), float(lam_high / np.sqrt(n))


def _nct_root(t_obs: float, df: int, q: float) -> float:
    """Noncentrality λ with P(T ≤ t_obs | df, λ) = q (the CDF decreases in λ).

    The bracket starts from the large-sample approximation of the CI for the noncentrality,
    ``t ± z·√(1 + t²/(2·df))`` (Hedges & Olkin 1985), and widens by that half-width until the
    function changes sign. ``scipy.stats.nct.cdf`` returns NaN far in its tails (from n ≈ 100
    with |t| large, and for tiny df); there the CDF is numerically 0 or 1, so a NaN is read as
    its limit: 1 below t_obs (λ → −∞) and 0 above it (λ → +∞). The earlier search, widening by
    5 + |t| steps, could land both ends in such a region and return NaN.
    """
    def f(lam: float) -> float:
        value = stats.nct.cdf(t_obs, df, lam)
        if not np.isfinite(value):
            value = 1.0 if lam < t_obs else 0.0
        return float(value) - q

    half = 4.0 * np.sqrt(1 + t_obs**2 / (2 * df))
    low, high = t_obs - half, t_obs + half
    for _ in range(200):  # F → 1 as λ → −∞ and F → 0 as λ → +∞
        if f(low) > 0:
            break
        low -= half
    for _ in range(200):
        if f(high) < 0:
            break
        high += half
    try:
        return float(optimize.brentq(f, low, high, xtol=1e-12, rtol=1e-12))
    except ValueError:  # no sign change even 200 half-widths away (does not happen for df ≥ 1)
        return float("nan")


def gav_ci(d_av: ArrayLike, n: ArrayLike, sd_pre: ArrayLike, sd_post: ArrayLike,
           r: ArrayLike, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Approximate CI for g_av: Bonett's (2008) delta-method SE, then Hedges' J.

    For a within-subject standardised difference with standardiser the average variance
    ``s² = (s₁² + s₂²)/2``, Bonett (2008) gives

    ``var(d) = d²·(s₁⁴ + s₂⁴ + 2r²s₁²s₂²) / (8·s⁴·(n−1)) + (s₁² + s₂² − 2r·s₁s₂) / (s²·(n−1))``.

    We plug in d = d_av (whose standardiser, the mean of the two SDs, equals √s² when the SDs
    are equal), form ``d_av ± z_{1−α/2}·SE`` and multiply both limits by J
    (:func:`hedges_j_gav`) so that the interval is centred on g_av. Vectorised over arrays.
    With s₁ = s₂ the variance reduces to ``d²(1+r²)/(4(n−1)) + 2(1−r)/(n−1)``, the familiar
    large-sample form (cf. Algina & Keselman 2003, *Educ. Psychol. Meas.* 63:537–553).
    """
    d_av, n, s1, s2, r = (np.asarray(v, dtype=float) for v in (d_av, n, sd_pre, sd_post, r))
    s2_avg = (s1**2 + s2**2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (d_av**2 * (s1**4 + s2**4 + 2 * r**2 * s1**2 * s2**2) / (8 * s2_avg**2 * (n - 1))
               + (s1**2 + s2**2 - 2 * r * s1 * s2) / (s2_avg * (n - 1)))
        half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(var)
        j = np.where(n > 1, 1 - 3 / (8 * n - 9), np.nan)
    return j * (d_av - half), j * (d_av + half)


# --------------------------------------------------------------------------------- McNemar


@dataclass(frozen=True)
class McNemarResult:
    """Result of :func:`mcnemar_change` (positive = the condition holds, e.g. "intends to")."""

    n: int
    both_positive: int
    b_pos_to_neg: int
    c_neg_to_pos: int
    both_negative: int
    share_pos_to_neg: float
    share_neg_to_pos: float
    p_pre: float
    p_post: float
    diff: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    method: str


def _as_bool(values: ArrayLike) -> pd.Series:
    """Booleans (or 0/1, with None/NaN/NA for missing) as a nullable boolean Series."""
    return pd.Series(np.asarray(values)).astype("boolean")


def mcnemar_change(pre_positive: ArrayLike, post_positive: ArrayLike,
                   alpha: float = 0.05) -> McNemarResult:
    """Change in a binary outcome between two waves: McNemar's test and a paired-difference CI.

    Pairs with a missing value are dropped. With a = (+,+), b = (+ → −), c = (− → +),
    d = (−,−) over n pairs:

    * ``diff = p_post − p_pre = (c − b)/n``, 95 % CI by Newcombe's (1998) method 10
      (:func:`newcombe_paired_diff_ci`), which stays inside [−1, 1] and behaves well for small
      or zero discordant counts where the Wald interval collapses;
    * McNemar (1947) test on the discordant pairs: exact two-sided binomial p,
      ``min(1, 2·P(X ≤ min(b, c)))`` with X ~ Bin(b + c, ½), when b + c < 25; otherwise the
      chi-square with continuity correction ``max(|b − c| − 1, 0)² / (b + c)`` on 1 df
      (Edwards 1948; the correction never takes |b − c| past zero, so b = c gives X² = 0 and
      p = 1). The exact test via ``statsmodels.stats.contingency_tables.mcnemar``. With
      b + c = 0, p = 1.
    """
    from statsmodels.stats.contingency_tables import mcnemar

    x, y = _as_bool(pre_positive), _as_bool(post_positive)
    if len(x) != len(y):
        raise ValueError("pre et post doivent avoir la même longueur")
    keep = x.notna() & y.notna()
    x, y = x[keep].to_numpy(dtype=bool), y[keep].to_numpy(dtype=bool)
    n = int(x.size)
    a, b = int((x & y).sum()), int((x & ~y).sum())
    c, d = int((~x & y).sum()), int((~x & ~y).sum())
    exact = b + c < MCNEMAR_EXACT_BELOW
    if b + c == 0:
        stat, p = float("nan"), 1.0
    elif exact:
        res = mcnemar([[a, b], [c, d]], exact=True)
        stat, p = float(res.statistic), float(min(1.0, res.pvalue))
    else:
        # Edwards' correction stops at zero: (max(|b − c| − 1, 0))² / (b + c). statsmodels
        # computes (|b − c| − 1)², which gives 1/(b + c) instead of 0 when b = c.
        stat = max(abs(b - c) - 1, 0) ** 2 / (b + c)
        p = float(stats.chi2.sf(stat, 1))
    diff, low, high = (float(v) for v in newcombe_paired_diff_ci(a, c, b, d, alpha))
    return McNemarResult(
        n=n, both_positive=a, b_pos_to_neg=b, c_neg_to_pos=c, both_negative=d,
        share_pos_to_neg=_ratio(b, n), share_neg_to_pos=_ratio(c, n),
        p_pre=_ratio(a + b, n), p_post=_ratio(a + c, n), diff=diff, ci_low=low, ci_high=high,
        statistic=stat, p_value=p,
        method="mcnemar_exact_binomial" if exact else "mcnemar_chi2_continuity",
    )


def newcombe_paired_diff_ci(e: ArrayLike, f: ArrayLike, g: ArrayLike, h: ArrayLike,
                            alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newcombe's (1998) method 10 CI for θ = p₁ − p₂ from a paired 2×2 table. Vectorised.

    Cells (Newcombe's notation): e = (+,+), f = (+,−), g = (−,+), h = (−,−) for
    (first, second) classification; p₁ = (e+f)/n, p₂ = (e+g)/n, θ̂ = (f − g)/n. With (l₁, u₁)
    and (l₂, u₂) the Wilson score limits of p₁ and p₂,

    ``L = θ̂ − √((p₁−l₁)² − 2φ(p₁−l₁)(u₂−p₂) + (u₂−p₂)²)``,
    ``U = θ̂ + √((u₁−p₁)² − 2φ(u₁−p₁)(p₂−l₂) + (p₂−l₂)²)``,

    where φ = C/√A, A = (e+f)(g+h)(e+g)(f+h), B = eh − fg, C = B − n/2 if B > n/2, 0 if
    0 ≤ B ≤ n/2, B if B < 0; φ = 0 when A = 0. Returns (θ̂, L, U).
    """
    e, f, g, h = (np.asarray(v, dtype=float) for v in (e, f, g, h))
    n = e + f + g + h
    p1, l1, u1 = wilson_ci(e + f, n, alpha)
    p2, l2, u2 = wilson_ci(e + g, n, alpha)
    a = (e + f) * (g + h) * (e + g) * (f + h)
    b = e * h - f * g
    c = np.where(b > n / 2, b - n / 2, np.where(b < 0, b, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(a > 0, c / np.sqrt(a), 0.0)
        theta = (f - g) / n
    low = theta - np.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    high = theta + np.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2)
    return theta, low, high


# ---------------------------------------------------------------------------- multiplicity


def adjust_pvalues(p: ArrayLike, method: Literal["holm", "fdr_bh"]) -> np.ndarray:
    """Multiplicity-adjusted p-values; NaNs stay NaN and are not counted in the family.

    Holm (1979): with the m p-values sorted ascending, ``p̃₍ᵢ₎ = max_{j≤i} min(1, (m−j+1)·p₍ⱼ₎)``.
    Benjamini & Hochberg (1995) FDR: ``p̃₍ᵢ₎ = min_{j≥i} min(1, m·p₍ⱼ₎ / j)``.
    Computed by ``statsmodels.stats.multitest.multipletests`` on the non-missing values.
    """
    from statsmodels.stats.multitest import multipletests

    if method not in ("holm", "fdr_bh"):
        raise ValueError(f"méthode d'ajustement inconnue : {method!r} (holm ou fdr_bh)")
    values = np.asarray(p, dtype=float)
    out = np.full(values.shape, np.nan)
    ok = ~np.isnan(values)
    if ok.any():
        out[ok] = multipletests(values[ok], method=method)[1]
    return out


# ------------------------------------------------------------------------------ magnitudes

# Cohen (1988): d — 0.2 small, 0.5 medium, 0.8 large (ch. 2); r — 0.1, 0.3, 0.5 (ch. 3).
_BENCHMARKS = {
    "d": (0.2, 0.5, 0.8),
    "r": (0.1, 0.3, 0.5),
}
_ES_FAMILY = {
    "d": "d", "d_z": "d", "d_av": "d", "d_rm": "d", "cohen_d": "d",
    "g": "d", "g_av": "d", "hedges_g": "d",
    "r": "r", "rank_biserial": "r", "rbc": "r",
}
_LABELS = ("négligeable", "faible", "moyen", "fort")


def magnitude_label(effect_size: float, es_type: str) -> str:
    """French plain-words magnitude of a standardised effect by Cohen's (1988) benchmarks.

    |d| or |g| (d_z, d_av, g_av, Hedges' g): < 0.2 « négligeable », < 0.5 « faible »,
    < 0.8 « moyen », ≥ 0.8 « fort »; correlations (r, rank-biserial): thresholds 0.1 / 0.3 /
    0.5. The sign is ignored (direction is reported elsewhere). Cohen himself warned these are
    conventions for when nothing better is known; NaN gives « non calculable ».
    """
    family = _ES_FAMILY.get(es_type)
    if family is None:
        raise ValueError(f"type d'effet sans repères de Cohen : {es_type!r}")
    if effect_size is None or not np.isfinite(effect_size):
        return "non calculable"
    level = int(np.searchsorted(_BENCHMARKS[family], abs(effect_size), side="right"))
    return _LABELS[level]
