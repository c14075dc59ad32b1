"""Scale scores and POMP against hand computations."""

import numpy as np
import pandas as pd
import pytest

from impact.survey.scales import pomp, scale_scores


def test_reverse_coding_and_mean(instrument):
    # image_3 is reverse-coded: on a 4-point scale 1 -> 4
    frame = pd.DataFrame({"image_1": [4, 2, 1], "image_2": [3, 2, None],
                          "image_3": [1, 3, None], "image_4": [4, 1, 2]}, dtype="Int8")
    scores = scale_scores(frame, ["image"], instrument, "accord4", min_item_share=0.75)
    assert scores.loc[0, "image"] == pytest.approx((4 + 3 + 4 + 4) / 4)
    assert scores.loc[1, "image"] == pytest.approx((2 + 2 + 2 + 1) / 4)
    assert np.isnan(scores.loc[2, "image"])  # 2 of 4 items < 75 %
    assert scores.loc[0, "image_pomp"] == pytest.approx(100 * (3.75 - 1) / 3)


def test_three_of_four_items_is_enough(instrument):
    frame = pd.DataFrame({"interest_1": [5], "interest_2": [4], "interest_3": [None],
                          "interest_4": [3]}, dtype="Int8")
    scores = scale_scores(frame, ["interest"], instrument, "accord5", min_item_share=0.75)
    assert scores.loc[0, "interest"] == pytest.approx(4.0)
    assert scores.loc[0, "interest_pomp"] == pytest.approx(75.0)


def test_scale_not_asked_is_missing(instrument):
    frame = pd.DataFrame({"image_1": [4]}, dtype="Int8")
    scores = scale_scores(frame, ["transition"], instrument, "accord4")
    assert scores["transition"].isna().all()


def test_pomp_bounds():
    assert list(pomp(pd.Series([1.0, 3.0, 5.0]), 1, 5)) == [0.0, 50.0, 100.0]
