"""Rates (proportions) with Wilson score intervals, and worst/best-case nonresponse bounds.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *Journal of the American Statistical Association* 22:209–212.
Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison
    of seven methods. *Statistics in Medicine* 17:857–872 (method 3).
Manski, C. F. (1990). Nonparametric bounds on treatment effects. *American Economic Review*
    80:319–323; Horowitz, J. L. & Manski, C. F. (1998). Censoring of outcomes and regressors
    due to survey nonresponse. *Journal of Econometrics* 84:37–58.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["bounds_for_nonresponse", "wilson_ci"]


def wilson_ci(successes: ArrayLike, n: ArrayLike,
              alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate x/n and its Wilson (1927) score interval, vectorised over arrays.

    In Newcombe's (1998, method 3) notation, with p = x/n, q = 1 − p and z = z_{1−α/2}:

    ``(2np + z² ± z·√(z² + 4npq)) / (2(n + z²))``.

    The interval never leaves [0, 1], is 0 at its lower end when x = 0 and 1 at its upper end
    when x = n. Where n = 0 all three values are NaN.

    Returns
    -------
    rate, low, high
        Arrays broadcast from ``successes`` and ``n`` (0-d arrays for scalar input).
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any((x < 0) | (x > n)):
        raise ValueError("successes doit être compris entre 0 et n")
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, x / n, np.nan)
        centre = 2 * n * p + z**2
        half = z * np.sqrt(z**2 + 4 * n * p * (1 - p))
        den = 2 * (n + z**2)
        low = np.where(n > 0, (centre - half) / den, np.nan)
        high = np.where(n > 0, (centre + half) / den, np.nan)
    # at x = 0 or x = n the formula is exactly 0 / 1 up to rounding; pin it
    return p, np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def bounds_for_nonresponse(successes: ArrayLike, respondents: ArrayLike,
                           nonrespondents: ArrayLike) -> pd.DataFrame:
    """Worst- and best-case rates when the outcome of nonrespondents is unknown (Manski bounds).

    Without any assumption on why people did not answer, the rate in the whole target group
    of N = respondents + nonrespondents can be anything between

    * worst case — every nonrespondent is a failure: ``x / N``;
    * best case — every nonrespondent is a success: ``(x + nonrespondents) / N``.

    The observed rate ``x / respondents`` lies between them; the width of the bounds is the
    nonresponse share. Vectorised over arrays (e.g. one element per subgroup).

    Returns
    -------
    DataFrame
        Columns ``successes, respondents, nonrespondents, observed_rate, worst_case,
        best_case`` (rates NaN where their denominator is 0).
    """
    x, r, m = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                    for v in (successes, respondents, nonrespondents)))
    if np.any((x < 0) | (x > r) | (m < 0)):
        raise ValueError("effectifs incohérents : 0 ≤ successes ≤ respondents, nonrespondents ≥ 0")
    total = r + m
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(r > 0, x / r, np.nan)
        worst = np.where(total > 0, x / total, np.nan)
        best = np.where(total > 0, (x + m) / total, np.nan)
    return pd.DataFrame({
        "successes": np.atleast_1d(x), "respondents": np.atleast_1d(r),
        "nonrespondents": np.atleast_1d(m), "observed_rate": np.atleast_1d(observed),
        "worst_case": np.atleast_1d(worst), "best_case": np.atleast_1d(best),
    })
