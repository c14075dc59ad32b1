"""Calibration: over 50 simulated campaigns, 95 % CIs of the change cover the planted truth.

Each campaign draws new persons, answers and typos (``impact.simulate``), links the waves
through the typed codes exactly as the pipeline does (normalisation + one-to-one tolerant
linkage, so linkage errors are part of what is checked), scores the scales and estimates the
complete-pair change. The truth is the Monte Carlo expectation recorded in each programme's
``ground_truth.json``. Export writing, parsing and validation are left out (they are tested
against the simulator's row-level truth elsewhere) so that 50 campaigns fit in CI.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from impact.ingest.pseudonym import normalise_code
from impact.linkage.matching import link_waves
from impact.simulate import ProgrammeSpec, simulate_persons, wave_answers
from impact.stats.effects import paired_change
from impact.survey.codebook import load_codebook
from impact.survey.scales import scale_scores
from tests.conftest import SURVEYS

CAMPAIGNS = 50
PARTS = {"code_mother": "letters", "code_month": "digits", "code_town": "letters"}


def linked_pairs(pre: pd.DataFrame, post: pd.DataFrame) -> pd.DataFrame:
    """Link post answers to pre answers through their typed codes, as the pipeline does."""
    rows = []
    for wave, frame in (("pre", pre), ("post", post)):
        coded = normalise_code(frame[list(PARTS)], PARTS)
        rows.append(pd.DataFrame({"row_id": wave + ":" + frame.index.astype(str),
                                  "wave": wave, "site": frame["site"],
                                  "gender": frame["gender"], "age": frame["age"]})
                    .join(coded))
    result = link_waves(pd.concat(rows, ignore_index=True), wave_order=["pre", "post"])
    links = result.decisions[result.decisions["decision"].isin(["exact", "tolerant"])]
    pre_index = links["linked_row_id"].str.split(":").str[1].astype(int).to_numpy()
    post_index = links["row_id"].str.split(":").str[1].astype(int).to_numpy()
    return pd.DataFrame({"pre": pre_index, "post": post_index})


@pytest.mark.slow
def test_confidence_intervals_cover_the_planted_change(instrument):
    spec = yaml.safe_load((SURVEYS / "simulation.yaml").read_text())
    records = []
    for name, pspec in spec["programmes"].items():
        book = load_codebook(SURVEYS / name / "codebook.yaml", instrument)
        programme = ProgrammeSpec(name, pspec, book, 1.0)
        truth = json.loads((SURVEYS / name / "ground_truth.json").read_text())["expected"]
        for campaign in range(CAMPAIGNS):
            rng = np.random.default_rng([campaign, 7919])
            persons = simulate_persons(programme, rng)
            pre = wave_answers(programme, persons, "pre", instrument, rng)
            post = wave_answers(programme, persons, "post", instrument, rng)
            pairs = linked_pairs(pre, post)
            scores = {w: scale_scores(f, book.scales, instrument, book.response_scale)
                      for w, f in (("pre", pre), ("post", post))}
            groups = pre["group"].to_numpy()[pairs["pre"]]
            for group in np.unique(groups):
                chosen = pairs[groups == group]
                for scale in book.scales:
                    result = paired_change(scores["pre"][scale].to_numpy()[chosen["pre"]],
                                           scores["post"][scale].to_numpy()[chosen["post"]])
                    planted = truth["scales"][scale][group]["change"]
                    records.append(dict(programme=name, group=group, scale=scale,
                                        covered=result.ci_low <= planted <= result.ci_high,
                                        error=result.mean_diff - planted))
    frame = pd.DataFrame(records)
    summary = frame.groupby(["programme", "group", "scale"]).agg(
        coverage=("covered", "mean"), mean_error=("error", "mean"))
    coverage = frame["covered"].mean()
    print(f"\n{summary.round(3).to_string()}\n"
          f"coverage of the 95 % CIs over {CAMPAIGNS} campaigns: {coverage:.3f} "
          f"({int(frame['covered'].sum())}/{len(frame)} intervals)")
    assert 0.90 <= coverage <= 0.99
    assert (summary["coverage"] >= 0.80).all()  # no scale badly miscalibrated
