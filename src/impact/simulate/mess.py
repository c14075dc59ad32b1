"""The mess of real exports, planted in a wave's answers: duplicates, test submissions,
refusals, half-finished answers, speeders, straight-liners, resubmissions, bad values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.simulate.population import scaled_count
from impact.simulate.spec import (
    MESS_KINDS,
    ProgrammeSpec,
)
from impact.survey.instrument import Instrument

# ---------------------------------------------------------------------------------------------
# mess


def plant_mess(p: ProgrammeSpec, answers: pd.DataFrame, wave: str, instrument: Instrument,
               rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, int]]:
    """Plant the configured number of messy rows of each kind; each row gets at most one kind."""
    wanted = {k: scaled_count(p, v) for k, v in p.get("mess", {}).get(wave, {}).items()}
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


