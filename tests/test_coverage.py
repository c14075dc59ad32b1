"""Calibration: over 50 simulated campaigns, the clustered 95 % CIs of the change cover the
planted truth; over 400 Cordée panels, the clustered CIs of the difference-in-differences cover
the planted effect.

Each campaign draws new persons, answers and typos (``impact.simulate``), links the waves
through the typed codes exactly as the pipeline does (normalisation + one-to-one tolerant
linkage, so linkage errors are part of what is checked), scores the scales and estimates the
complete-pair change with a CR2 interval clustered by site. The truth is the Monte Carlo
expectation recorded in each programme's ``ground_truth.json``. Export writing, parsing and
validation are left out (they are tested against the simulator's row-level truth elsewhere) so
that 50 campaigns fit in CI.
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
from impact.stats.cluster import cr2_ols
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
                sites = pre["site"].to_numpy()[chosen["pre"]]
                for scale in book.scales:
                    delta = (scores["post"][scale].to_numpy()[chosen["post"]]
                             - scores["pre"][scale].to_numpy()[chosen["pre"]])
                    keep = ~np.isnan(delta)
                    # clustered by school (CR2, Bell–McCaffrey df), as the pipeline publishes
                    fit = cr2_ols(delta[keep], np.ones((keep.sum(), 1)), sites[keep])
                    low, high = fit.ci(0)
                    planted = truth["scales"][scale][group]["change"]
                    records.append(dict(programme=name, group=group, scale=scale,
                                        covered=low <= planted <= high,
                                        error=fit.params[0] - planted))
    frame = pd.DataFrame(records)
    summary = frame.groupby(["programme", "group", "scale"]).agg(
        coverage=("covered", "mean"), mean_error=("error", "mean"))
    coverage = frame["covered"].mean()
    print(f"\n{summary.round(3).to_string()}\n"
          f"coverage of the 95 % CIs over {CAMPAIGNS} campaigns: {coverage:.3f} "
          f"({int(frame['covered'].sum())}/{len(frame)} intervals)")
    assert 0.90 <= coverage <= 0.99
    assert (summary["coverage"] >= 0.80).all()  # no scale badly miscalibrated


#: Campaigns of the DiD calibration (each: 4 scales, so 4 × DID_CAMPAIGNS intervals).
DID_CAMPAIGNS = 400


def did_panel(programme, rng) -> pd.DataFrame:
    """The analysis panel drawn straight from the generative model: persons of the Cordée
    specification (school intercepts, secular change, school shocks on the change and
    school-varying effects), retained at post as planted, latent attitudes as scores."""
    persons = simulate_persons(programme, rng, with_identity=False)
    return persons[persons["retained_post"]].reset_index(drop=True)


def _subgroup_extra(spec: dict, panel: pd.DataFrame, scale: str) -> float:
    """Mean extra effect of the planted subgroup effects among this panel's participants
    (e.g. girls' extra change in interest): part of the DiD these participants have."""
    part = panel[panel["group"] == "participant"]
    return sum(extra * float((part[variable] == value).mean())
               for variable, extras in spec.get("subgroup_effects", {}).get(scale, {}).items()
               for value, extra in extras.items())


def test_clustered_did_intervals_cover_the_planted_effect():
    """Over 400 simulated Cordée campaigns (10 schools), the CR2 / Bell–McCaffrey 95 % CI of
    the difference-in-differences covers the planted effect in 93–97 % of intervals; the
    ordinary OLS interval, which treats pupils as independent, covers far less."""
    import statsmodels.api as sm

    from impact.stats.cluster import cr2_ols
    from impact.survey.codebook import load_codebook

    spec = yaml.safe_load((SURVEYS / "simulation.yaml").read_text())["programmes"]["cordee"]
    assert spec.get("site_effect_sd", 0) > 0  # the point of the test: clustered change
    from impact.survey.instrument import load_instrument

    instrument = load_instrument(SURVEYS / "instrument.yaml")
    book = load_codebook(SURVEYS / "cordee" / "codebook.yaml", instrument)
    programme = ProgrammeSpec("cordee", spec, book, 1.0)
    records = []
    for campaign in range(DID_CAMPAIGNS):
        panel = did_panel(programme, np.random.default_rng([campaign, 4421]))
        x = np.column_stack([np.ones(len(panel)),
                             (panel["group"] == "participant").to_numpy(float)])
        for scale in book.scales:
            delta = (panel[f"theta_post_{scale}"] - panel[f"theta_pre_{scale}"]).to_numpy()
            planted = spec["effects"][scale] + _subgroup_extra(spec, panel, scale)
            fit = cr2_ols(delta, x, panel["site"].to_numpy())
            low, high = fit.ci(1)
            ols = sm.OLS(delta, x).fit()
            o_low, o_high = ols.conf_int()[1]
            records.append(dict(scale=scale, clustered=low <= planted <= high,
                                ordinary=o_low <= planted <= o_high,
                                error=fit.params[1] - planted))
    frame = pd.DataFrame(records)
    clustered, ordinary = frame["clustered"].mean(), frame["ordinary"].mean()
    print(f"\nDiD coverage over {DID_CAMPAIGNS} campaigns × 4 scales: clustered (CR2, BM df) "
          f"{clustered:.3f}, ordinary OLS {ordinary:.3f}; mean error "
          f"{frame['error'].mean():+.4f}")
    assert 0.93 <= clustered <= 0.97
    assert ordinary < clustered - 0.05
    assert abs(frame["error"].mean()) < 0.01  # unbiased
