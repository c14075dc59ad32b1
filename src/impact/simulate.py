"""Synthetic survey campaigns with planted effects, in the formats of real survey tools.

``impact simulate`` writes, for every programme of ``surveys/simulation.yaml``, one export per
wave laid out exactly as the programme's codebook describes (LimeSurvey CSV, Google Forms CSV,
Microsoft Forms workbook…), with the mess real exports have, plus two ground-truth files:

* ``<programme>/ground_truth.json`` — the planted parameters (mean change per scale in SD units
  of the latent trait, subgroup extras, retention, insertion probabilities), their implied
  values on the observed metrics (see *Expected values* below) and the number of messy rows of
  each kind planted in each export;
* ``<programme>/ground_truth_rows.csv`` — for every exported row: wave, line, true person id and
  the mess planted in it (``none`` for a clean row), so that validation counts and linkage
  precision/recall can be checked.

Generative model
----------------
Each person has a latent attitude per scale, ``θ = μ_scale + u_site + √0.3·g + √0.7·e`` with a
general factor ``g`` and independent ``e`` (so scales correlate at about 0.3), shifted for the
comparison group where given. At post, ``θ_post = θ + δ_scale(group) + δ_subgroup + N(0, τ²)``.
A Likert answer to item *j* is the category of ``y* = ±θ + b_j + N(0, 0.9²)`` (minus sign for a
reverse-coded item) cut at equally spaced thresholds one unit apart, centred on zero.
Retention at post follows ``logit P = logit r_group + β·(θ_pre − mean)`` on one scale
(attrition that depends on baseline attitude). Follow-up non-response is planted at random
(MCAR) so that the planted insertion rates are what a follow-up survey estimates. The situation
at follow-up is drawn from the planted probabilities, with the odds of a positive exit tilted
by ``exp(κ·z)`` where ``z`` is a standardised post-programme attitude.

Expected values
---------------
Scale scores are non-linear (thresholded) transforms of θ, so a latent shift of δ SD does not
map to a closed-form change in score points. The ground truth therefore also reports the
expected change in score points, in POMP points and as d_av, computed by Monte Carlo on
200 000 simulated persons (no mess, no attrition) with a fixed seed; those are the values the
pipeline's estimates are checked against.

Determinism: the same seed and specification give byte-identical files (the workbook's zip
timestamps and document properties are fixed).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from impact.codebook import Codebook, WaveSpec, load_codebook
from impact.instrument import Instrument, load_instrument

LATENT_SCALES = ("image", "interest", "knowledge", "stereotypes", "self_efficacy", "transition")
ITEM_NOISE_SD = 0.9
THRESHOLD_GAP = 1.0
ITEM_DIFFICULTY = (0.15, -0.10, 0.05, -0.15)
MONTE_CARLO_PERSONS = 200_000
FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
POSITIVE_EXITS = ("emploi_durable", "formation_qualifiante")
MESS_KINDS = ("duplicates", "tests", "no_consent", "incomplete", "speeders", "straightliners",
              "resubmissions", "bad_values")

# Synthetic name material (first names of mothers, towns of birth, pupils' names).
MOTHER_NAMES = ["Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Christine",
                "Véronique", "Valérie", "Sophie", "Céline", "Stéphanie", "Karine", "Aurélie",
                "Émilie", "Julie", "Laetitia", "Fatima", "Nadia", "Samia", "Élodie", "Caroline",
                "Virginie", "Audrey", "Hélène", "Anne", "Laurence", "Patricia", "Martine",
                "Sabrina", "Delphine", "Florence", "Agnès", "Béatrice", "Corinne", "Djamila",
                "Ophélie", "Yasmina", "Kelly", "Jessica", "Mélanie", "Noémie", "Pauline",
                "Gaëlle", "Inès", "Leïla", "Rachida", "Océane", "Urielle", "Zoé"]
MOTHER_WEIGHTS = np.linspace(3.0, 0.6, len(MOTHER_NAMES))
TOWNS = ["Besançon", "Belfort", "Montbéliard", "Dijon", "Dole", "Vesoul", "Pontarlier",
         "Lons-le-Saunier", "Chalon-sur-Saône", "Mâcon", "Auxerre", "Nevers", "Paris", "Lyon",
         "Mulhouse", "Audincourt", "Héricourt", "Valentigney", "Sochaux", "Gray", "Morteau",
         "Ornans", "Champagnole", "Saint-Claude", "Le Creusot", "Autun", "Sens", "Beaune",
         "Casablanca", "Alger", "Tunis", "Porto", "Strasbourg", "Marseille", "Lille"]
TOWN_WEIGHTS = np.linspace(3.0, 0.5, len(TOWNS))
FIRST_NAMES = ["Lucas", "Emma", "Hugo", "Jade", "Louis", "Louise", "Nathan", "Alice", "Enzo",
               "Chloé", "Léo", "Lina", "Gabriel", "Mila", "Adam", "Inaya", "Yanis", "Sarah",
               "Mohamed", "Camille", "Théo", "Manon", "Kylian", "Lola", "Noah", "Anaïs"]
LAST_NAMES = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
              "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David",
              "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Faure",
              "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Benali", "Nguyen"]
COMMENTS = ["Très bien", "Visite intéressante", "J'ai aimé l'atelier", "Trop long",
            "Super journée !", "Merci", "Je ne savais pas que l'industrie recrutait autant",
            "Bien mais\nun peu court", "Les robots c'était top"]
KEYBOARD_NEIGHBOURS = {c: n for c, n in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                            "QVXSRDFJUHJKNBPOASDYIBZCTE", strict=True)}


@dataclass(frozen=True)
class ProgrammeSpec:
    name: str
    spec: dict
    codebook: Codebook
    scale_factor: float

    def get(self, key, default=None):
        return self.spec.get(key, default)

    @property
    def scales(self) -> tuple[str, ...]:
        return self.codebook.scales

    @property
    def waves(self) -> list[str]:
        return list(self.codebook.waves)


# ---------------------------------------------------------------------------------------------
# public entry point


def simulate_campaign(spec_path: str | Path, out_dir: str | Path, *, seed: int | None = None,
                      respondents: int | None = None) -> dict[str, dict]:
    """Write a complete synthetic campaign under ``out_dir``; return each programme's truth.

    ``spec_path`` is ``surveys/simulation.yaml``; the instrument and codebooks are read from
    its directory and copied to ``out_dir`` when that is another directory, so that ``out_dir``
    is a complete surveys directory. ``respondents`` rescales every programme (and its sites and
    mess counts) so that the campaign has about that many baseline respondents in total.
    """
    spec_path, out_dir = Path(spec_path), Path(out_dir)
    source_dir = spec_path.parent
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    seed = int(spec["seed"] if seed is None else seed)
    instrument = load_instrument(source_dir / "instrument.yaml")
    base_total = sum(p["participants"] + p.get("comparison", 0)
                     for p in spec["programmes"].values())
    factor = 1.0 if respondents is None else respondents / base_total
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != source_dir.resolve():
        _copy_definitions(source_dir, out_dir, list(spec["programmes"]))
    truths = {}
    seeds = np.random.SeedSequence(seed).spawn(len(spec["programmes"]))
    for (name, pspec), child in zip(spec["programmes"].items(), seeds, strict=True):
        codebook = load_codebook(source_dir / name / "codebook.yaml", instrument)
        programme = ProgrammeSpec(name, pspec, codebook, factor)
        truths[name] = _simulate_programme(programme, instrument, np.random.default_rng(child),
                                           out_dir / name, seed)
    return truths


def _copy_definitions(source: Path, target: Path, programmes: list[str]) -> None:
    shutil.copyfile(source / "instrument.yaml", target / "instrument.yaml")
    shutil.copyfile(source / "simulation.yaml", target / "simulation.yaml")
    for name in programmes:
        (target / name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name / "codebook.yaml", target / name / "codebook.yaml")


def _simulate_programme(p: ProgrammeSpec, instrument: Instrument, rng: np.random.Generator,
                        out: Path, seed: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    persons = simulate_persons(p, rng)
    truth_rows = []
    mess_counts = {}
    for wave in p.waves:
        spec = p.codebook.waves[wave]
        answers = wave_answers(p, persons, wave, instrument, rng)
        answers, counts = plant_mess(p, answers, wave, instrument, rng)
        mess_counts[wave] = counts
        content = render_export(answers, spec, instrument, rng)
        (out / spec.file).write_bytes(content)
        truth_rows.append(pd.DataFrame({
            "wave": wave, "source_line": np.arange(len(answers)) + 2,
            "person_id": answers["person_id"].to_numpy(), "mess": answers["mess"].to_numpy()}))
    _fix_lines_for_multiline(truth_rows, out, p)
    rows = pd.concat(truth_rows, ignore_index=True)
    rows.to_csv(out / "ground_truth_rows.csv", index=False, lineterminator="\n")
    truth = {
        "programme": p.name,
        "seed": seed,
        "scale_factor": p.scale_factor,
        "persons": int(len(persons)),
        "planted": {k: p.get(k) for k in ("effects", "comparison_effects", "subgroup_effects",
                                          "change_sd", "retention", "attrition_on",
                                          "attrition_slope", "insertion")
                    if p.get(k) is not None},
        "expected": expected_values(p, instrument),
        "mess": mess_counts,
    }
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False,
                                                      sort_keys=True) + "\n", encoding="utf-8")
    return truth


def _fix_lines_for_multiline(truth_rows: list[pd.DataFrame], out: Path, p: ProgrammeSpec) -> None:
    """Line numbers in the truth must be physical lines: re-read CSVs with quoted newlines."""
    for frame in truth_rows:
        wave = frame["wave"].iloc[0] if len(frame) else None
        if wave is None:
            continue
        spec = p.codebook.waves[wave]
        if spec.format != "csv":
            continue
        text = (out / spec.file).read_bytes().decode(spec.encoding)
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=spec.delimiter)
        starts, end = [], 0
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
        frame["source_line"] = starts[1:1 + len(frame)]


# ---------------------------------------------------------------------------------------------
# persons, latent attitudes and outcomes


def _scaled(p: ProgrammeSpec, n: int | float) -> int:
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
    n_part = _scaled(p, p.get("participants")) if n_participants is None else n_participants
    n_comp = _scaled(p, p.get("comparison", 0)) if n_comparison is None else n_comparison
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
    for k, scale in enumerate(LATENT_SCALES):
        mean = p.get("baseline_mean", {}).get(scale, 0.0)
        theta = (mean + site_effects[site_index, k] + np.sqrt(0.3) * general
                 + np.sqrt(0.7) * rng.standard_normal(n))
        theta = theta + comparison * p.get("comparison_baseline_shift", {}).get(scale, 0.0)
        shift = np.where(comparison, p.get("comparison_effects", {}).get(scale, 0.0),
                         p.get("effects", {}).get(scale, 0.0))
        for variable, extras in p.get("subgroup_effects", {}).get(scale, {}).items():
            for value, extra in extras.items():
                shift = shift + extra * ((persons[variable] == value).to_numpy() & ~comparison)
        persons[f"theta_pre_{scale}"] = theta
        persons[f"theta_post_{scale}"] = theta + shift + rng.normal(0.0, p.get("change_sd", 0.3),
                                                                    n)


def _logit(x):
    return np.log(x / (1 - x))


def _expit(x):
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
        prob = _expit(_logit(base) + slope * centred)
        persons[f"retained_{wave}"] = rng.random(len(persons)) < prob


def _situation_probabilities(p: ProgrammeSpec, persons: pd.DataFrame) -> np.ndarray:
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
    probs = _situation_probabilities(p, persons)
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


# ---------------------------------------------------------------------------------------------
# answers of one wave


def likert_answers(theta: np.ndarray, reverse: bool, k_points: int, difficulty: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Thresholded latent response (codes 1..k) — see the module docstring."""
    signed = -theta if reverse else theta
    y = signed + difficulty + rng.normal(0.0, ITEM_NOISE_SD, len(theta))
    cuts = (np.arange(k_points - 1) - (k_points - 2) / 2) * THRESHOLD_GAP
    return 1 + (y[:, None] > cuts[None, :]).sum(axis=1)


def wave_answers(p: ProgrammeSpec, persons: pd.DataFrame, wave: str, instrument: Instrument,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Coded answers (instrument variables) of the persons who answer ``wave``."""
    wspec = p.get("waves")[wave]
    who = np.ones(len(persons), dtype=bool)
    if f"retained_{wave}" in persons:
        who &= persons[f"retained_{wave}"].to_numpy()
    if p.codebook.waves[wave].audience:  # e.g. only job seekers are followed up
        who &= persons["audience"].isin(p.codebook.waves[wave].audience).to_numpy()
    people = persons.loc[who].reset_index(drop=True)
    n = len(people)
    spec = p.codebook.waves[wave]
    when = "pre" if wave == "pre" else "post"
    answers = pd.DataFrame({"person_id": people["person_id"], "mess": "none"})
    submitted = _submission_times(p, people, wave, rng)
    median = wspec.get("median_duration_s", 0) or 300
    duration = np.round(median * rng.lognormal(0.0, 0.35, n))
    answers["submitted_at"] = submitted
    answers["started_at"] = submitted - pd.to_timedelta(duration, unit="s")
    answers["duration_s"] = duration
    answers["lastpage"] = spec.pages or 0
    answers["consent"] = 1
    for var in ("site", "group", "gender", "audience", "education", "unemployment_months"):
        answers[var] = people[var].to_numpy()
    grows = (rng.random(n) < _months_between(p, wave) / 12)
    answers["age"] = (people["age"] + grows.astype(int)).to_numpy()
    k_points = len(instrument.response_scales[p.codebook.response_scale].codes)
    for scale in p.scales:
        theta = people[f"theta_{when}_{scale}"].to_numpy()
        for j, item in enumerate(instrument.scales[scale].items):
            reverse = instrument.variable(item).reverse
            answers[item] = likert_answers(theta, reverse, k_points,
                                           ITEM_DIFFICULTY[j % len(ITEM_DIFFICULTY)], rng)
    _single_items(p, people, when, answers, rng)
    if "situation" in spec.columns:
        answers["situation"] = people["situation"].to_numpy()
        answers["job_industry"] = people["job_industry"].to_numpy()
        start = pd.to_datetime(people["session_start"]) + pd.to_timedelta(
            p.get("waves")["post"].get("session_day", 0), unit="D")
        started = start + pd.to_timedelta(people["days_to_situation"], unit="D")
        started = started.where(started < submitted)
        answers["situation_start"] = started.dt.normalize().to_numpy()
    answers = pd.concat([answers, _typed_codes(p, people, wave, rng)], axis=1)
    _avoid_code_collisions(answers, people, [v for v in ("gender", "age") if v in spec.columns])
    _identifiers(answers, rng)
    return answers.sort_values("submitted_at", kind="stable").reset_index(drop=True)


def _months_between(p: ProgrammeSpec, wave: str) -> float:
    waves = p.get("waves")
    if wave == "pre":
        return 0.0
    if "session_day" in waves[wave]:
        return waves[wave]["session_day"] / 30.4
    return (pd.Timestamp(waves[wave]["from"]) - pd.Timestamp(waves["pre"]["from"])).days / 30.4


def _submission_times(p: ProgrammeSpec, people: pd.DataFrame, wave: str,
                      rng: np.random.Generator) -> pd.Series:
    wspec = p.get("waves")[wave]
    n = len(people)
    if "session_day" in wspec:
        day = pd.to_datetime(people["session_start"]) + pd.to_timedelta(wspec["session_day"],
                                                                        unit="D")
        if wave == "followup":  # answered over the following ten days
            day = day + pd.to_timedelta(rng.integers(0, 10, n), unit="D")
    else:
        first, last = pd.Timestamp(wspec["from"]), pd.Timestamp(wspec["to"])
        span = (last - first).days + 1
        day = first + pd.to_timedelta(rng.integers(0, span, n), unit="D")
        day = pd.Series(day)
    seconds = rng.integers(8 * 3600, 17 * 3600, n)
    return (pd.Series(day).reset_index(drop=True)
            + pd.to_timedelta(seconds, unit="s")).astype("datetime64[s]")


def _single_items(p: ProgrammeSpec, people: pd.DataFrame, when: str, answers: pd.DataFrame,
                  rng: np.random.Generator) -> None:
    n = len(people)
    if "intention" in p.codebook.single_items:
        spec = p.get("intention")
        theta = people[f"theta_{when}_interest"].to_numpy()
        yes = rng.random(n) < _expit(spec["intercept"] + spec["slope"] * theta)
        unsure = rng.random(n) < spec["nsp_share"]
        answers["intention"] = np.where(yes, "oui", np.where(unsure, "nsp", "non"))
    if "jobs_named" in p.codebook.single_items:
        spec = p.get("jobs_named")
        theta = people[f"theta_{when}_knowledge"].to_numpy()
        answers["jobs_named"] = np.minimum(rng.poisson(np.exp(spec["intercept"]
                                                              + spec["slope"] * theta)), 30)


def _typed_codes(p: ProgrammeSpec, people: pd.DataFrame, wave: str,
                 rng: np.random.Generator) -> pd.DataFrame:
    """The code as typed at this wave: the true code plus the slips people make."""
    noise = p.get("code_noise", {})
    n = len(people)
    mother = people["mother_name"].str[:2].to_numpy(dtype=object)
    town = people["birth_town"].str.replace("-", "").str[-2:].to_numpy(dtype=object)
    month = np.char.zfill(people["birth_month"].astype(str).to_numpy(dtype=str), 2).astype(object)
    mother = np.array([m.upper() for m in mother], dtype=object)
    town = np.array([t.upper() for t in town], dtype=object)
    if wave != "pre":  # slips that change the code between waves
        typo = rng.random(n) < noise.get("typo", 0)
        which = rng.integers(0, 3, n)
        for i in np.flatnonzero(typo):
            if which[i] == 1:
                month[i] = f"{(int(month[i]) % 12) + 1:02d}"
            else:
                target = mother if which[i] == 0 else town
                pos = rng.integers(0, 2)
                chars = list(target[i])
                chars[pos] = KEYBOARD_NEIGHBOURS.get(_ascii(chars[pos]), "E")
                target[i] = "".join(chars)
        swap = (rng.random(n) < noise.get("part_swap", 0)) & ~typo
        for i in np.flatnonzero(swap):
            if rng.random() < 0.5:
                mother[i], town[i] = town[i], mother[i]
            else:
                mother[i] = mother[i][::-1]
    lookalike = rng.random(n) < noise.get("lookalike", 0)
    month = np.where(lookalike, [m.replace("0", "O") for m in month], month)
    unpadded = rng.random(n) < noise.get("month_unpadded", 0)
    month = np.where(unpadded & (np.char.str_len(month.astype(str)) == 2),
                     [m[1:] if m.startswith(("0", "O")) else m for m in month], month)
    cosmetic = rng.random(n) < noise.get("case_accents", 0)
    style = rng.integers(0, 3, n)
    for i in np.flatnonzero(cosmetic):
        if style[i] == 0:
            mother[i], town[i] = mother[i].lower(), town[i].lower()
        elif style[i] == 1:
            mother[i] = people["mother_name"].iloc[i][:2] if _ascii(mother[i]) == \
                _ascii(people["mother_name"].iloc[i][:2]).upper() else mother[i]
        else:
            mother[i] = f" {mother[i]} "
    return pd.DataFrame({"code_mother": mother, "code_month": month, "code_town": town})


def _avoid_code_collisions(answers: pd.DataFrame, people: pd.DataFrame,
                           asked: list[str]) -> None:
    """Two persons of a wave must not share their code, site and the background the wave asks
    (``asked``: gender and age where the questionnaire has them; see _true_codes).

    A slip can turn one person's code into another's, a birthday can make two ages equal, and
    a wave that does not ask gender and age cannot tell two people with the same code apart;
    such rows would be indistinguishable from a resubmission, so the slip (then the birthday,
    then the code itself) is undone or redrawn for them.
    """
    from impact.pseudonym import normalise_code

    parts = {"code_mother": "letters", "code_month": "digits", "code_town": "letters"}
    true = pd.DataFrame({
        "code_mother": people["mother_name"].map(_ascii).str[:2].str.upper(),
        "code_month": people["birth_month"].astype(str).str.zfill(2),
        "code_town": people["birth_town"].str.replace("-", "").map(_ascii).str[-2:].str.upper(),
    })
    for fix in ("code", "age", "month", "month", "month"):
        key = normalise_code(answers[list(parts)], parts)["code"].astype(str) + "|" + \
            answers["site"]
        for column in asked:
            key = key + "|" + answers[column].astype(str)
        clash = key.duplicated(keep=False).to_numpy()
        if not clash.any():
            return
        if fix == "code":
            answers.loc[clash, list(parts)] = true.loc[clash].to_numpy()
        elif fix == "age":
            answers.loc[clash, "age"] = people.loc[clash, "age"].to_numpy()
        else:  # same code for two people: the later of them typed another birth month
            later = key.duplicated(keep="first").to_numpy()
            month = answers.loc[later, "code_month"].astype(str).str.extract(r"(\d+)")[0]
            answers.loc[later, "code_month"] = (month.astype(int) % 12 + 1).map("{:02d}".format)


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii())


def _identifiers(answers: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(answers)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    answers["_name"] = [f"{f} {ln}" for f, ln in zip(first, last, strict=True)]
    answers["_email"] = [f"{_ascii(f).lower()}.{_ascii(ln).lower()}{k % 97}@exemple.fr"
                         for k, (f, ln) in enumerate(zip(first, last, strict=True))]
    answers["_phone"] = [f"06 {a:02d} {b:02d} {c:02d} {d:02d}"
                         for a, b, c, d in rng.integers(0, 100, (n, 4))]
    answers["_comment"] = np.where(rng.random(n) < 0.12, rng.choice(COMMENTS, n), "")
    answers["_ip"] = [f"192.0.2.{k}" for k in rng.integers(1, 255, n)]


# ---------------------------------------------------------------------------------------------
# mess


def plant_mess(p: ProgrammeSpec, answers: pd.DataFrame, wave: str, instrument: Instrument,
               rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, int]]:
    """Plant the configured number of messy rows of each kind; each row gets at most one kind."""
    wanted = {k: _scaled(p, v) for k, v in p.get("mess", {}).get(wave, {}).items()}
    spec = p.codebook.waves[wave]
    items = [i for i in instrument.items(p.scales) if i in answers]
    clean = list(rng.permutation(len(answers)))
    counts = dict.fromkeys(MESS_KINDS, 0)
    answers = answers.copy()
    k_points = len(instrument.response_scales[p.codebook.response_scale].codes)
    has_duration = "duration_s" in spec.columns or "started_at" in spec.columns

    def take(k: int) -> list[int]:
        chosen = [clean.pop() for _ in range(min(k, len(clean)))]
        return chosen

    # Each kind is written in one assignment: a pandas assignment per row copies the column
    # (copy-on-write), which made planting quadratic (hours at 10⁶ answers). The random draws
    # are made one row at a time, in the original order, so the campaign is unchanged.
    rows = take(wanted.get("incomplete", 0))
    blank = items[len(items) // 3:] + [v for v in ("intention", "jobs_named") if v in answers]
    answers.loc[rows, blank] = None
    if spec.pages:
        answers.loc[rows, "lastpage"] = 2
        answers.loc[rows, "submitted_at"] = pd.NaT
    _mark(answers, rows, "incomplete", counts, "incomplete")
    if has_duration:
        rows = take(wanted.get("speeders", 0))
        fast = _speeder_durations(answers["duration_s"].to_numpy(dtype=float), rows, rng)
        answers.loc[rows, "duration_s"] = fast
        answers.loc[rows, "started_at"] = (answers.loc[rows, "submitted_at"]
                                           - pd.to_timedelta(fast, unit="s"))
        _mark(answers, rows, "speeder", counts, "speeders")
    if items:
        rows = take(wanted.get("straightliners", 0))
        levels = [1, k_points, k_points, (k_points + 1) // 2]
        values = [int(rng.choice(levels)) for _ in rows]
        answers.loc[rows, items] = np.repeat(np.array(values, dtype=float)[:, None], len(items),
                                             axis=1)
        _mark(answers, rows, "straightliner", counts, "straightliners")
    rows = take(wanted.get("bad_values", 0))
    variable = "age" if "age" in spec.columns else ("jobs_named" if "jobs_named" in
                                                    spec.columns else "situation_start")
    if rows:
        answers[variable] = answers[variable].astype(object)
        # one draw per row whatever the variable, as before, so the campaign is unchanged
        words = [rng.choice(["quinze", "150"]) for _ in rows]
        answers.loc[rows, variable] = words if variable == "age" else {
            "jobs_named": "beaucoup", "situation_start": "31/02/2026"}[variable]
    _mark(answers, rows, "bad_value", counts, "bad_values")
    extra = [_resubmissions(answers, take(wanted.get("resubmissions", 0)), items, k_points,
                            rng, counts)]
    rows = [int(rng.integers(0, len(answers))) for _ in range(wanted.get("no_consent", 0))]
    refused = answers.loc[rows].assign(person_id="refus", consent=0, mess="no_consent")
    refused[[c for c in answers.columns if c in set(items) | {
        "intention", "jobs_named", "situation", "job_industry", "situation_start"}]] = None
    counts["no_consent"] += len(rows)
    rows = [int(rng.integers(0, len(answers))) for _ in range(wanted.get("tests", 0))]
    extra += [refused, answers.loc[rows].assign(
        person_id="test", _name="TEST Test", _email="test@cmq-ici.fr", _comment="test",
        code_mother="TEST", mess="test")]
    counts["tests"] += len(rows)
    answers = pd.concat([answers, *extra], ignore_index=True)
    answers = answers.sort_values("submitted_at", kind="stable", na_position="last")
    answers = answers.reset_index(drop=True)
    pool = answers.index[answers["mess"] == "none"].to_numpy()
    copies, positions = [], []
    for i in rng.choice(pool, min(wanted.get("duplicates", 0), len(pool)), replace=False):
        copies.append(i)
        positions.append(int(rng.integers(i + 1, len(answers) + 1)))
    counts["duplicates"] += len(copies)
    # a copy drawn for position p goes before row p; copies drawn for the same position end up
    # in reverse order of drawing (as inserting them one at a time did)
    n, k = len(answers), len(copies)
    order = np.lexsort((np.r_[np.zeros(n), -np.arange(k)],  # last key: ties of copies
                        np.r_[np.ones(n), np.zeros(k)],  # copies before the row at p
                        np.r_[np.arange(n), positions]))
    answers = pd.concat([answers, answers.loc[copies].assign(mess="duplicate")],
                        ignore_index=True).iloc[order].reset_index(drop=True)
    return answers, counts


def _resubmissions(answers: pd.DataFrame, rows: list[int], items: list[str], k_points: int,
                   rng: np.random.Generator, counts: dict[str, int]) -> pd.DataFrame:
    """Second submissions of the given rows: new answers to every item, sent 20 to 300 minutes
    later (random draws row after row, items first)."""
    draws = [([int(rng.integers(1, k_points + 1)) for _ in items],
              int(rng.integers(20, 300))) for _ in rows]
    again = answers.loc[rows].copy()
    if rows and items:
        again[items] = np.array([d[0] for d in draws], dtype=float)
    again["submitted_at"] = again["submitted_at"] + pd.to_timedelta(
        [d[1] for d in draws], unit="min")
    again["started_at"] = again["submitted_at"] - pd.to_timedelta(again["duration_s"], unit="s")
    _mark(answers, rows, "resubmission", counts, "resubmissions")
    return again.assign(mess="resubmission")


def _mark(answers: pd.DataFrame, rows: list[int], kind: str, counts: dict[str, int],
          key: str) -> None:
    answers.loc[rows, "mess"] = kind
    counts[key] += len(rows)


def _speeder_durations(duration: np.ndarray, rows: list[int],
                       rng: np.random.Generator) -> np.ndarray:
    """Durations of speeders, row after row: a few percent of the median duration of the
    export as it stands (earlier speeders included). The durations are kept sorted, so each
    median is a lookup and each update a memmove, not a pass of pandas over the column."""
    ordered = np.sort(duration[~np.isnan(duration)])
    fast = np.empty(len(rows))
    for k, i in enumerate(rows):
        n = len(ordered)
        median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
        fast[k] = float(np.round(median * rng.uniform(0.04, 0.15)))
        if not np.isnan(duration[i]):  # each row is a speeder once: its old value is here
            ordered = np.delete(ordered, np.searchsorted(ordered, duration[i]))
        ordered = np.insert(ordered, np.searchsorted(ordered, fast[k]), fast[k])
    return fast


# ---------------------------------------------------------------------------------------------
# writing exports


LEADING_COLUMNS = {
    "limesurvey": ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
                   "datestamp", "ipaddr", "refurl"],
    "google_forms": ["Horodateur", "Adresse e-mail"],
    "ms_forms": ["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom",
                 "Heure de la dernière modification"],
}
TRAILING_COLUMNS = {"limesurvey": ["interviewtime"]}


def export_columns(spec: WaveSpec) -> list[str]:
    """Raw columns in the order the tool writes them."""
    every = list(dict.fromkeys(list(spec.columns.values()) + list(spec.identifiers)
                               + list(spec.ignore)))
    lead = [c for c in LEADING_COLUMNS.get(spec.tool, []) if c in every]
    trail = [c for c in TRAILING_COLUMNS.get(spec.tool, []) if c in every]
    middle = [c for c in every if c not in lead and c not in trail]
    return lead + middle + trail


def render_export(answers: pd.DataFrame, spec: WaveSpec, instrument: Instrument,
                  rng: np.random.Generator) -> bytes:
    """The bytes of the export file of one wave, in the tool's layout and encoding."""
    table = raw_table(answers, spec, instrument, rng)
    if spec.format == "xlsx":
        return _xlsx_bytes(table, spec)
    buffer = io.StringIO()
    terminator = "\r\n" if spec.encoding.lower() in ("cp1252", "windows-1252") else "\n"
    writer = csv.writer(buffer, delimiter=spec.delimiter, lineterminator=terminator)
    writer.writerow(table.columns)
    writer.writerows(table.itertuples(index=False, name=None))
    return buffer.getvalue().encode(spec.encoding)


def raw_table(answers: pd.DataFrame, spec: WaveSpec, instrument: Instrument,
              rng: np.random.Generator) -> pd.DataFrame:
    """Coded answers → the raw cells an export shows (labels, formatted dates, identifiers)."""
    by_column = {raw: var for var, raw in spec.columns.items()}
    out = {}
    excel = spec.format == "xlsx"
    for column in export_columns(spec):
        var = by_column.get(column)
        if var is not None:
            out[column] = _raw_values(answers, var, spec, instrument, excel)
        elif column in spec.identifiers:
            out[column] = _identifier_values(answers, column)
        else:
            out[column] = _ignored_values(answers, column, spec, rng)
    return pd.DataFrame(out)


def _raw_values(answers: pd.DataFrame, var: str, spec: WaveSpec, instrument: Instrument,
                excel: bool) -> list:
    if var == "code":
        return [_combined(m, mo, t) for m, mo, t in
                zip(answers["code_mother"], answers["code_month"], answers["code_town"],
                    strict=True)]
    values = answers[var] if var in answers else pd.Series([None] * len(answers))
    info = instrument.variable(var)
    if var in spec.label_text:
        labels = spec.label_text[var]
        return [labels.get(_code(v), v) if _present(v) else "" for v in values]
    if info.type in ("date", "datetime"):
        fmt = spec.date_format if info.type == "date" else spec.datetime_format
        if excel and info.type == "datetime":
            return [v.to_pydatetime() if _present(v) else None for v in values]
        return [v.strftime(fmt) if isinstance(v, (pd.Timestamp, datetime)) and _present(v)
                else (v if isinstance(v, str) else "") for v in values]
    if info.type in ("integer", "number"):
        return [str(int(v)) if isinstance(v, (int, float, np.integer, np.floating))
                and _present(v) else (v if isinstance(v, str) else "") for v in values]
    return ["" if not _present(v) else str(v) for v in values]


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and \
        value is not pd.NaT and value is not pd.NA


def _code(value):
    if isinstance(value, (np.integer, float)) and float(value).is_integer():
        return int(value)
    return value


def _combined(mother, month, town) -> str:
    return f"{mother}{month}{town}".replace("  ", " ").strip()


def _identifier_values(answers: pd.DataFrame, column: str) -> list:
    lowered = column.lower()
    if "mail" in lowered or "messagerie" in lowered:
        return list(answers["_email"])
    if "phone" in lowered or "téléphone" in lowered:
        return list(answers["_phone"])
    if lowered == "nom" or "name" in lowered:
        return list(answers["_name"])
    if "ip" in lowered:
        return list(answers["_ip"])
    return list(answers["_comment"])


def _ignored_values(answers: pd.DataFrame, column: str, spec: WaveSpec,
                    rng: np.random.Generator) -> list:
    n = len(answers)
    lowered = column.lower()
    if lowered == "id":
        return [str(k + 1) for k in range(n)]
    if lowered == "startlanguage":
        return ["fr"] * n
    if lowered == "seed":
        return [str(s) for s in rng.integers(10**8, 10**9, n)]
    if lowered == "datestamp":
        return [v.strftime(spec.datetime_format) if _present(v) else ""
                for v in answers["started_at"] + pd.to_timedelta(answers["duration_s"],
                                                                 unit="s")]
    return [""] * n


def _xlsx_bytes(table: pd.DataFrame, spec: WaveSpec) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = spec.sheet if isinstance(spec.sheet, str) else "Sheet1"
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False, name=None):
        sheet.append([None if v == "" else v for v in row])
    fixed = datetime(*FIXED_ZIP_TIME)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "Microsoft Forms"
    buffer = io.BytesIO()
    book.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a workbook with fixed timestamps so the same content gives the same bytes.

    openpyxl stamps the save time into ``docProps/core.xml`` and into every zip entry.
    """
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = datetime(*FIXED_ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# expected values on the observed metrics


def expected_values(p: ProgrammeSpec, instrument: Instrument) -> dict:
    """Monte Carlo expected change per scale and subgroup (see module docstring)."""
    rng = np.random.default_rng(20260101)
    n = MONTE_CARLO_PERSONS
    n_comp = int(n * p.get("comparison", 0) / max(p.get("participants"), 1)) if \
        p.get("comparison") else 0
    unscaled = ProgrammeSpec(p.name, p.spec, p.codebook, 1.0)
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
        shares[when] = round(float(_expit(spec["intercept"] + spec["slope"] * theta).mean()), 4)
    return {"share_oui": shares}


def _mc_insertion(p, persons) -> dict:
    seekers = (persons["audience"] == "demandeur_emploi").to_numpy()
    probs = _situation_probabilities(p, persons)[seekers]
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
