"""The simulated population: persons, sites, audiences, ages, latent attitudes, retention,
follow-up situations and the true pseudonymous codes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.simulate.spec import (
    LATENT_SCALES,
    MOTHER_NAMES,
    MOTHER_WEIGHTS,
    POSITIVE_EXITS,
    TOWN_WEIGHTS,
    TOWNS,
    ProgrammeSpec,
)

# ---------------------------------------------------------------------------------------------
# persons, latent attitudes and outcomes


def scaled_count(p: ProgrammeSpec, n: int | float) -> int:
    return int(round(n * p.scale_factor))


def _sites(p: ProgrammeSpec) -> tuple[list[str], list[str | None]]:
    """Site names (and session start dates), extended with numbered copies when scaled up."""
    names = list(p.get("sites"))
    starts = list(p.get("session_starts") or [None] * len(names))
    wanted = max(len(names), int(np.ceil(len(names) * p.scale_factor)))
    out_names, out_starts = [], []
    for k in range(wanted):
        base, start = names[k % len(names)], starts[k % len(names)]
        copy = k // len(names)
        out_names.append(base if copy == 0 else f"{base} – groupe {copy + 1}")
        out_starts.append(start)
    return out_names, out_starts


def simulate_persons(p: ProgrammeSpec, rng: np.random.Generator, *,
                     n_participants: int | None = None, n_comparison: int | None = None,
                     with_identity: bool = True) -> pd.DataFrame:
    """One row per person: background, true code, latent attitudes pre/post, retention, outcome."""
    n_part = scaled_count(p, p.get("participants")) if n_participants is None else n_participants
    n_comp = scaled_count(p, p.get("comparison", 0)) if n_comparison is None else n_comparison
    n = n_part + n_comp
    sites, starts = _sites(p)
    site_idx = rng.integers(0, len(sites), n)
    persons = pd.DataFrame({
        "person_id": [f"P{i + 1:06d}" for i in range(n)],
        "site": np.asarray(sites, dtype=object)[site_idx],
        "session_start": np.asarray(starts, dtype=object)[site_idx],
        "group": np.where(np.arange(n) < n_part, "participant", "comparison"),
    })
    persons["audience"] = _audience(p, persons["site"], rng)
    persons["gender"] = rng.choice(["F", "M", "X"], n, p=[0.47, 0.50, 0.03])
    persons["age"] = _ages(persons["audience"], rng)
    is_seeker = persons["audience"] == "demandeur_emploi"
    persons["education"] = np.where(
        is_seeker, rng.choice(["aucun", "cap_bep", "bac", "bac2", "bac3plus"], n,
                              p=[0.18, 0.32, 0.28, 0.14, 0.08]),
        np.where(persons["audience"] == "etudiant", "bac", "aucun"))
    months = np.clip(np.round(rng.lognormal(np.log(10), 0.8, n)), 1, 120).astype(int)
    persons["unemployment_months"] = pd.array(np.where(is_seeker, months, -1)).astype("Int64")
    persons.loc[~is_seeker, "unemployment_months"] = pd.NA
    _latent(p, persons, sites, rng)
    _retention(p, persons, rng)
    if p.get("insertion"):
        _insertion(p, persons, rng)
    if with_identity:
        _true_codes(persons, rng)
    return persons


def _audience(p: ProgrammeSpec, sites: pd.Series, rng: np.random.Generator) -> np.ndarray:
    by_prefix = p.get("audience_by_site_prefix")
    if by_prefix:
        out = np.full(len(sites), None, dtype=object)
        for prefix, audience in by_prefix.items():
            out[sites.str.startswith(prefix).to_numpy()] = audience
        return out
    mix = p.get("audience_mix")
    return rng.choice(list(mix), len(sites), p=np.asarray(list(mix.values())) /
                      sum(mix.values()))


def _ages(audience: pd.Series, rng: np.random.Generator) -> pd.array:
    n = len(audience)
    ranges = {"collegien": (11, 15), "lyceen": (15, 19), "etudiant": (18, 24)}
    ages = np.empty(n, dtype=int)
    for name, (low, high) in ranges.items():
        mask = (audience == name).to_numpy()
        ages[mask] = rng.integers(low, high + 1, mask.sum())
    seekers = (audience == "demandeur_emploi").to_numpy()
    ages[seekers] = np.clip(np.round(rng.gamma(4.0, 6.0, seekers.sum()) + 18), 18, 64)
    return pd.array(ages, dtype="Int64")


def _latent(p: ProgrammeSpec, persons: pd.DataFrame, sites: list[str],
            rng: np.random.Generator) -> None:
    n = len(persons)
    general = rng.standard_normal(n)
    site_effects = rng.normal(0.0, p.get("site_sd", 0.0), (len(sites), len(LATENT_SCALES)))
    site_index = pd.Categorical(persons["site"], categories=sites).codes
    comparison = (persons["group"] == "comparison").to_numpy()
    shape = (len(sites), len(LATENT_SCALES))
    site_change = site_effect = np.zeros(shape)
    if p.get("site_change_sd", 0.0) or p.get("site_effect_sd", 0.0):
        # school-level clustering of change: a shock every pupil of the school shares, and
        # the school's deviation from the mean programme effect (participants only)
        site_change = rng.normal(0.0, p.get("site_change_sd", 0.0), shape)
        site_effect = rng.normal(0.0, p.get("site_effect_sd", 0.0), shape)
    for k, scale in enumerate(LATENT_SCALES):
        mean = p.get("baseline_mean", {}).get(scale, 0.0)
        theta = (mean + site_effects[site_index, k] + np.sqrt(0.3) * general
                 + np.sqrt(0.7) * rng.standard_normal(n))
        theta = theta + comparison * p.get("comparison_baseline_shift", {}).get(scale, 0.0)
        # secular change (everyone, comparison group included) + the programme's effect
        # (participants): with a comparison group the planted DiD is `effects`
        effect = p.get("effects", {}).get(scale, 0.0) + site_effect[site_index, k]
        shift = (p.get("secular_change", {}).get(scale, 0.0) + site_change[site_index, k]
                 + np.where(comparison, 0.0, effect))
        for variable, extras in p.get("subgroup_effects", {}).get(scale, {}).items():
            for value, extra in extras.items():
                shift = shift + extra * ((persons[variable] == value).to_numpy() & ~comparison)
        persons[f"theta_pre_{scale}"] = theta
        persons[f"theta_post_{scale}"] = theta + shift + rng.normal(0.0, p.get("change_sd", 0.3),
                                                                    n)


def logit(x):
    return np.log(x / (1 - x))


def expit(x):
    return 1 / (1 + np.exp(-x))


def _retention(p: ProgrammeSpec, persons: pd.DataFrame, rng: np.random.Generator) -> None:
    attr = persons[f"theta_pre_{p.get('attrition_on', 'interest')}"].to_numpy()
    centred = attr - attr.mean()
    for wave, rate in p.get("retention", {}).items():
        if isinstance(rate, dict):
            base = persons["group"].map(rate).to_numpy(dtype=float)
        else:
            base = np.full(len(persons), float(rate))
        # follow-up non-response is planted at random (see module docstring)
        slope = 0.0 if wave == "followup" else p.get("attrition_slope", 0.0)
        prob = expit(logit(base) + slope * centred)
        persons[f"retained_{wave}"] = rng.random(len(persons)) < prob


def situation_probabilities(p: ProgrammeSpec, persons: pd.DataFrame) -> np.ndarray:
    ins = p.get("insertion")
    cats = list(ins["situation"])
    base = np.asarray(list(ins["situation"].values()), dtype=float)
    z = persons[f"theta_post_{ins['positive_tilt_on']}"].to_numpy()
    z = (z - z.mean()) / z.std()
    tilt = np.exp(ins["positive_tilt"] * z)[:, None]
    positive = np.isin(cats, POSITIVE_EXITS)[None, :]
    weights = base[None, :] * np.where(positive, tilt, 1.0)
    return weights / weights.sum(axis=1, keepdims=True)


def _insertion(p: ProgrammeSpec, persons: pd.DataFrame, rng: np.random.Generator) -> None:
    ins = p.get("insertion")
    cats = np.asarray(list(ins["situation"]), dtype=object)
    probs = situation_probabilities(p, persons)
    draws = (probs.cumsum(axis=1) > rng.random(len(persons))[:, None]).argmax(axis=1)
    situation = cats[draws]
    active = ~np.isin(situation, ["recherche", "inactif"])
    industry = rng.random(len(persons)) < ins["industry_share"]
    persons["situation"] = situation
    persons["job_industry"] = np.where(active, np.where(industry, "oui", "non"), None)
    # days from the end of the programme to the start of the current job or training
    persons["days_to_situation"] = np.where(active, rng.exponential(45.0, len(persons)), np.nan)


def _true_codes(persons: pd.DataFrame, rng: np.random.Generator) -> None:
    """True code parts; unique within site × gender × age (indistinguishable otherwise)."""
    n = len(persons)
    mothers = rng.choice(MOTHER_NAMES, n, p=MOTHER_WEIGHTS / MOTHER_WEIGHTS.sum())
    towns = rng.choice(TOWNS, n, p=TOWN_WEIGHTS / TOWN_WEIGHTS.sum())
    persons["mother_name"] = mothers
    persons["birth_town"] = towns
    persons["birth_month"] = rng.integers(1, 13, n)
    for _ in range(50):
        key = (persons["site"] + "|" + persons["gender"] + "|" + persons["age"].astype(str) + "|"
               + persons["mother_name"].str[:2].str.upper() + "|"
               + persons["birth_month"].astype(str) + "|"
               + persons["birth_town"].str[-2:].str.upper())
        clash = key.duplicated().to_numpy()
        if not clash.any():
            break
        persons.loc[clash, "birth_month"] = rng.integers(1, 13, clash.sum())
        persons.loc[clash, "mother_name"] = rng.choice(MOTHER_NAMES, clash.sum())


