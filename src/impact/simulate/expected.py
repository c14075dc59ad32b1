"""Expected values of the planted effects on the observed metrics (score points, POMP, d_av,
rates), by Monte Carlo on persons without mess or attrition (see the package docstring).
"""

from __future__ import annotations

import numpy as np

from impact.simulate.answers import likert_answers
from impact.simulate.population import expit, simulate_persons, situation_probabilities
from impact.simulate.spec import (
    ITEM_DIFFICULTY,
    MONTE_CARLO_PERSONS,
    ProgrammeSpec,
)
from impact.survey.instrument import Instrument

#: Copies of the site list the Monte Carlo uses when change is clustered by school (so that
#: the school effects on change average out: 10 sites × 500 = 5 000 schools).
MC_SITE_COPIES = 500

# ---------------------------------------------------------------------------------------------
# expected values on the observed metrics


def expected_values(p: ProgrammeSpec, instrument: Instrument) -> dict:
    """Monte Carlo expected change per scale and subgroup (see module docstring)."""
    rng = np.random.default_rng(20260101)
    n = MONTE_CARLO_PERSONS
    n_comp = int(n * p.get("comparison", 0) / max(p.get("participants"), 1)) if \
        p.get("comparison") else 0
    # with school-level clustering of change, the truth is the expectation over schools: the
    # Monte Carlo spreads its persons over many copies of the sites (MC_SITE_COPIES)
    clustered = bool(p.get("site_change_sd", 0.0) or p.get("site_effect_sd", 0.0))
    unscaled = ProgrammeSpec(p.name, p.spec, p.codebook, MC_SITE_COPIES if clustered else 1.0)
    persons = simulate_persons(unscaled, rng, n_participants=n, n_comparison=n_comp,
                               with_identity=False)
    scale_spec = instrument.response_scales[p.codebook.response_scale]
    k = len(scale_spec.codes)
    out: dict = {"method": f"Monte Carlo, {n} persons, seed 20260101", "scales": {}}
    for scale in p.scales:
        pre = _mc_scores(persons[f"theta_pre_{scale}"].to_numpy(), scale, instrument, k, rng)
        post = _mc_scores(persons[f"theta_post_{scale}"].to_numpy(), scale, instrument, k, rng)
        entry = {}
        for group in ("participant", "comparison"):
            mask = (persons["group"] == group).to_numpy()
            if not mask.any():
                continue
            entry[group] = _change_summary(pre[mask], post[mask], scale_spec.low,
                                           scale_spec.high)
        entry["subgroups"] = _subgroup_changes(persons, pre, post, scale, p)
        if "comparison" in entry:
            entry["did"] = entry["participant"]["change"] - entry["comparison"]["change"]
        out["scales"][scale] = entry
    out["intention"] = _mc_intention(p, persons, rng)
    if p.get("insertion"):
        out["insertion"] = _mc_insertion(p, persons)
    return out


def _mc_scores(theta, scale, instrument, k, rng) -> np.ndarray:
    items = instrument.scales[scale].items
    total = np.zeros(len(theta))
    for j, item in enumerate(items):
        reverse = instrument.variable(item).reverse
        x = likert_answers(theta, reverse, k, ITEM_DIFFICULTY[j % len(ITEM_DIFFICULTY)], rng)
        total += (k + 1 - x) if reverse else x
    return total / len(items)


def _change_summary(pre, post, low, high) -> dict:
    diff = post - pre
    sd_av = (pre.std(ddof=1) + post.std(ddof=1)) / 2
    return {
        "latent_shift_sd": None,
        "mean_pre": round(float(pre.mean()), 4),
        "mean_post": round(float(post.mean()), 4),
        "change": round(float(diff.mean()), 4),
        "change_pomp": round(float(diff.mean() * 100 / (high - low)), 3),
        "d_av": round(float(diff.mean() / sd_av), 4),
        "d_z": round(float(diff.mean() / diff.std(ddof=1)), 4),
    }


def _subgroup_changes(persons, pre, post, scale, p) -> dict:
    out = {}
    participants = (persons["group"] == "participant").to_numpy()
    for variable, extras in p.get("subgroup_effects", {}).get(scale, {}).items():
        for value in extras:
            inside = participants & (persons[variable] == value).to_numpy()
            outside = participants & ~(persons[variable] == value).to_numpy()
            change_in = float((post - pre)[inside].mean())
            change_out = float((post - pre)[outside].mean())
            out[f"{variable}={value}"] = {"change": round(change_in, 4),
                                          "change_others": round(change_out, 4),
                                          "difference": round(change_in - change_out, 4)}
    return out


def _mc_intention(p, persons, rng) -> dict:
    if "intention" not in p.codebook.single_items:
        return {}
    spec = p.get("intention")
    participants = (persons["group"] == "participant").to_numpy()
    shares = {}
    for when in ("pre", "post"):
        theta = persons[f"theta_{when}_interest"].to_numpy()[participants]
        shares[when] = round(float(expit(spec["intercept"] + spec["slope"] * theta).mean()), 4)
    return {"share_oui": shares}


def _mc_insertion(p, persons) -> dict:
    seekers = (persons["audience"] == "demandeur_emploi").to_numpy()
    probs = situation_probabilities(p, persons)[seekers]
    cats = list(p.get("insertion")["situation"])
    share = dict(zip(cats, probs.mean(axis=0).round(4).tolist(), strict=True))
    employment = share["emploi_durable"] + share["emploi_court"]
    active = 1 - share["recherche"] - share["inactif"]
    return {"situation": share,
            "employment": round(employment, 4),
            "durable_employment": share["emploi_durable"],
            "qualifying_training": share["formation_qualifiante"],
            "positive_exit": round(share["emploi_durable"] + share["formation_qualifiante"], 4),
            "job_in_industry": round(active * p.get("insertion")["industry_share"], 4),
            "job_in_industry_among_active": p.get("insertion")["industry_share"]}
