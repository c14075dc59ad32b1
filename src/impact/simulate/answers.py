"""One wave's answers of the simulated persons: Likert items from the latent traits,
submission times, single items, the codes as typed (with typos) and direct identifiers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.simulate.population import expit
from impact.simulate.spec import (
    COMMENTS,
    FIRST_NAMES,
    ITEM_DIFFICULTY,
    ITEM_NOISE_SD,
    KEYBOARD_NEIGHBOURS,
    LAST_NAMES,
    THRESHOLD_GAP,
    ProgrammeSpec,
)
from impact.survey.instrument import Instrument

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
        yes = rng.random(n) < expit(spec["intercept"] + spec["slope"] * theta)
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
    from impact.ingest.pseudonym import normalise_code

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


