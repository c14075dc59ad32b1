"""Does the pipeline recover the effects planted in a synthetic campaign?

For a campaign written by ``impact simulate``, each programme's ``ground_truth.json`` holds the
expected value of every estimand on the observed metric (Monte Carlo over the simulator's
population, see :mod:`impact.simulate`). :func:`recovery_table` confronts the published
estimates with them: is the truth inside the 95 % CI, is the sign right, is a planted non-zero
effect significant (adjusted p for the confirmatory tests) and a planted null not? The changes
are checked on their clustered estimates (``change_clustered``, and the CR2 ``did``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

#: Truth of a planted null: a smaller expected change counts as "no effect".
NULL_EFFECT = 0.02


def truths(surveys_dir: str | Path, programmes: list[str]) -> dict[str, dict]:
    """The ``expected`` section of each programme's ground truth (absent file: skipped)."""
    out = {}
    for programme in programmes:
        path = Path(surveys_dir) / programme / "ground_truth.json"
        if path.is_file():
            out[programme] = json.loads(path.read_text(encoding="utf-8"))["expected"]
    return out


def recovery_table(table: pd.DataFrame, expected: dict[str, dict],
                   alpha: float = 0.05) -> pd.DataFrame:
    """One row per planted change: truth, estimate, CI, covered, sign and significance."""
    rows = []
    for programme, truth in expected.items():
        for scale, entry in truth.get("scales", {}).items():
            for group in ("participant", "comparison"):
                if group not in entry:
                    continue
                subgroup = ("all", "") if group == "participant" else ("group", "comparison")
                # the clustered change: pupils of one school are not independent
                rows.append(_row(table, programme, scale, "change_clustered", subgroup,
                                 entry[group]["change"], alpha))
            if "did" in entry:
                rows.append(_row(table, programme, scale, "did", ("all", ""), entry["did"],
                                 alpha))
    frame = pd.DataFrame(rows)
    return frame


def _row(table, programme, measure, indicator, subgroup, truth, alpha) -> dict:
    hit = table[(table["programme"] == programme) & (table["measure"] == measure)
                & (table["indicator"] == indicator) & (table["subgroup"] == subgroup[0])
                & (table["subgroup_value"].fillna("") == subgroup[1])]
    row = dict(programme=programme, measure=measure, indicator=indicator,
               subgroup=subgroup[0], subgroup_value=subgroup[1], truth=truth,
               estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p=np.nan)
    if len(hit) == 1:
        est = hit.iloc[0]
        p = est["p_adjusted"] if pd.notna(est["p_adjusted"]) else est["p_value"]
        row.update(estimate=est["estimate"], ci_low=est["ci_low"], ci_high=est["ci_high"], p=p)
    null = abs(truth) < NULL_EFFECT
    row["covered"] = bool(row["ci_low"] <= truth <= row["ci_high"])
    row["sign_ok"] = bool(null or np.sign(row["estimate"]) == np.sign(truth))
    row["significance_ok"] = bool((row["p"] >= alpha) if null else (row["p"] < alpha))
    return row


#: Insertion outcomes whose planted rate is checked (measure name = key of the truth).
INSERTION_OUTCOMES = ("employment", "durable_employment", "qualifying_training",
                      "positive_exit")


def insertion_recovery(table: pd.DataFrame, expected: dict[str, dict]) -> pd.DataFrame:
    """Planted insertion rates against the estimated rates and their Wilson CIs."""
    rows = []
    for programme, truth in expected.items():
        for outcome in INSERTION_OUTCOMES:
            if outcome not in truth.get("insertion", {}):
                continue
            hit = table[(table["programme"] == programme) & (table["measure"] == outcome)
                        & (table["indicator"] == "rate") & (table["subgroup"] == "all")]
            est = hit.iloc[0] if len(hit) == 1 else pd.Series(dtype=float)
            planted = truth["insertion"][outcome]
            low, high = est.get("ci_low", np.nan), est.get("ci_high", np.nan)
            rows.append(dict(programme=programme, measure=outcome, truth=planted,
                             estimate=est.get("estimate", np.nan), ci_low=low, ci_high=high,
                             n=est.get("n", np.nan), covered=bool(low <= planted <= high)))
    return pd.DataFrame(rows, columns=["programme", "measure", "truth", "estimate", "ci_low",
                                       "ci_high", "n", "covered"])
