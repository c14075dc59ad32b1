"""Scale scores: mean of items after reverse-coding, and POMP scores.

For a scale with items x_1..x_k on a response scale with codes min..max, a reverse-coded item is
flipped as x' = min + max − x, so that a higher score always means more of what the scale's
label says. The score is the mean of the answered (flipped) items when at least
``min_item_share`` of the k items are answered, otherwise missing (person-mean imputation of a
few missing items, the usual practice for short attitude scales; Schafer & Graham 2002).

POMP (percent of maximum possible; Cohen, Cohen, Aiken & West 1999, *Multivariate Behavioral
Research* 34:315–346) rescales a score to 0–100: POMP = 100 · (score − min) / (max − min), so
that programmes asked on 4- and 5-point scales compare.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.survey.instrument import Instrument


def flipped_items(frame: pd.DataFrame, scale: str, instrument: Instrument,
                  response_scale: str) -> pd.DataFrame:
    """The scale's items with reverse-coded ones flipped (float, NaN for missing)."""
    rs = instrument.response_scales[response_scale]
    items = [i for i in instrument.scales[scale].items if i in frame]
    values = frame[items].astype("float64")
    reverse = [i for i in items if instrument.variable(i).reverse]
    values[reverse] = rs.low + rs.high - values[reverse]
    return values


def scale_scores(frame: pd.DataFrame, scales: list[str] | tuple[str, ...],
                 instrument: Instrument, response_scale: str,
                 min_item_share: float = 0.75) -> pd.DataFrame:
    """Score and POMP score of every scale for every row (columns ``<scale>``, ``<scale>_pomp``).

    Scales whose items are absent from ``frame`` (not asked at that wave) are all missing.
    """
    rs = instrument.response_scales[response_scale]
    out = {}
    for scale in scales:
        k = len(instrument.scales[scale].items)
        values = flipped_items(frame, scale, instrument, response_scale)
        answered = values.notna().sum(axis=1)
        score = values.mean(axis=1).where(answered >= np.ceil(min_item_share * k - 1e-9))
        if values.shape[1] == 0:
            score = pd.Series(np.nan, index=frame.index)
        out[scale] = score
        out[f"{scale}_pomp"] = pomp(score, rs.low, rs.high)
    return pd.DataFrame(out, index=frame.index)


def pomp(score: pd.Series | np.ndarray, low: float, high: float) -> pd.Series:
    """Percent of maximum possible: 100 · (score − low) / (high − low)."""
    return 100.0 * (score - low) / (high - low)
