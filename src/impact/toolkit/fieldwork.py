"""Fieldwork monitoring: response rates per site and wave against the expected respondents.

Each programme's ``sites.yaml`` may give, for every site, the number of respondents expected
(``expected``: the pupils of the classes enrolled, the places of a session). For each wave and
site::

    respondents   = rows kept by validation at that site in that wave
    response_rate = respondents / expected          (blank when expected is not declared)

The full table (every site, every count) goes to the review workbook (restricted zone). The
published aggregate (``results/validation/fieldwork.csv``) goes through the secret statistique
of the indicator tables (:func:`impact.indicators.disclosure.protect`, docs/disclosure.md):
a site count under ``analysis.disclosure_threshold`` is suppressed (primary), and because the
wave's total of kept rows is published (here, and in ``row_accounting.csv``), as many other
site counts as needed are suppressed (secondary) for no hidden count to be recoverable by
subtraction within the protection interval. The response rate of a suppressed count is blanked
too (the expected number is public, so the rate would give the count back). A site nobody
answered at shows 0 (nobody is singled out by it); rows without a site count in the total only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.indicators.disclosure import SHOWN, Settings, protect
from impact.survey.sites import SiteList

#: Columns of the detailed table (review workbook) and of the published one.
DETAIL = ["programme", "wave", "site_code", "site", "expected", "respondents",
          "response_rate"]
PUBLISHED = [*DETAIL, "suppression"]
TOTAL_CODE, TOTAL_LABEL = "all", "Ensemble"
NO_SITE_LABEL = "(établissement ou session non renseigné)"


def response_rates(kept: dict[str, pd.DataFrame], sites: SiteList | None,
                   programme: str) -> pd.DataFrame:
    """Respondents and response rate per wave and declared site (:data:`DETAIL`), one
    ``all`` row per wave (respondents = every kept row, expected = Σ declared expected), and a
    row for kept rows without a site when there are some.

    ``kept``: wave → kept rows (``site_code`` column: the declared site's code, blank when
    none; without it every row counts as without a site)."""
    declared = list(sites.sites) if sites is not None else []
    rows = []
    for wave, frame in kept.items():
        codes = (frame["site_code"].astype("str").replace("", pd.NA) if "site_code" in frame
                 else pd.Series(pd.NA, index=frame.index, dtype="str"))
        counts = codes.value_counts()
        for site in declared:
            rows.append({"site_code": site.code, "site": site.label, "expected": site.expected,
                         "respondents": int(counts.get(site.code, 0)), "wave": wave})
        missing = int(codes.isna().sum())
        if missing:
            rows.append({"site_code": "", "site": NO_SITE_LABEL, "expected": None,
                         "respondents": missing, "wave": wave})
        expected = [s.expected for s in declared]
        total = sum(expected) if expected and None not in expected else None
        rows.append({"site_code": TOTAL_CODE, "site": TOTAL_LABEL, "expected": total,
                     "respondents": int(len(frame)), "wave": wave})
    table = pd.DataFrame(rows, columns=[c for c in DETAIL
                                        if c not in ("programme", "response_rate")])
    table.insert(0, "programme", programme)
    table["expected"] = table["expected"].astype("Int64")
    table["respondents"] = table["respondents"].astype("int64")
    table["response_rate"] = (table["respondents"] / table["expected"].astype("Float64")
                              .where(table["expected"] > 0)).astype("Float64")
    return table[DETAIL]


def published_fieldwork(detail: pd.DataFrame, analysis: dict) -> pd.DataFrame:
    """The publishable table (:data:`PUBLISHED`): declared sites and the ``all`` row of each
    programme × wave, counts and rates suppressed as the module docstring says.

    The pattern is the one :func:`~impact.indicators.disclosure.protect` decides for the
    relation « Σ site counts = total » of each programme × wave (the same LP audit and
    secondary suppression as the indicator tables); ``suppression`` is ``shown``,
    ``primary`` or ``secondary``."""
    table = detail[detail["site_code"] != ""].reset_index(drop=True)
    nonzero = table["respondents"] > 0
    cells = pd.DataFrame({
        "programme": table["programme"], "measure": "fieldwork", "indicator": "respondents",
        "subgroup": np.where(table["site_code"] == TOTAL_CODE, "all", "site"),
        "subgroup_value": table["site_code"].where(table["site_code"] != TOTAL_CODE, ""),
        "wave_from": table["wave"], "wave_to": "", "n": table["respondents"].astype(float),
        "estimate": np.nan, "unit": "count", "suppressed": False,
        **{c: np.nan for c in ("ci_low", "ci_high", "effect_size", "statistic", "df",
                               "p_value", "p_adjusted")},
    })[nonzero].reset_index(drop=True)
    status = pd.Series(SHOWN, index=table.index, dtype=object)
    if len(cells):
        _, found = protect(cells, Settings.from_analysis(analysis))
        status[nonzero.to_numpy()] = found.to_numpy()
    out = table.assign(suppression=status.to_numpy())
    hidden = out["suppression"] != SHOWN
    out["respondents"] = out["respondents"].astype("Int64").mask(hidden)
    out["response_rate"] = out["response_rate"].mask(hidden)
    return out[PUBLISHED]
