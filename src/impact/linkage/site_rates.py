"""Match rate per site: a site renamed between waves shows as a site whose later answers find
no earlier ones (linkage blocks on the site, so a renamed site cannot link at all), or as a
site that has answers at baseline and none at a later wave (they went to another name).

A site is flagged at a later wave when the programme as a whole links at least
:data:`MIN_PROGRAMME_RATE` of that wave's answers and either

- it has at least :data:`MIN_ROWS` answers at that wave and links under :data:`DROP_FACTOR`
  times the programme's rate, or
- it has at least :data:`MIN_ROWS` answers at baseline and none at that wave.
"""

from __future__ import annotations

import pandas as pd

MIN_PROGRAMME_RATE = 0.3
MIN_ROWS = 10  # fewer answers say nothing about a rename (and are not published)
DROP_FACTOR = 0.25


def site_match_rates(decisions: pd.DataFrame, rows: pd.DataFrame, baseline: str
                     ) -> pd.DataFrame:
    """Per later wave and site: ``baseline_rows``, ``rows``, ``linked``, ``match_rate``.

    ``rows``: every answer's ``row_id``, ``wave`` and ``site`` (the declared site where a list
    exists); ``baseline``: the first wave, whose rows link to nothing earlier.
    """
    sites = rows.assign(site=rows["site"].astype(object).fillna("")) if "site" in rows \
        else rows.assign(site="")
    linked = decisions.set_index("row_id")["decision"].isin(["exact", "tolerant"])
    sites = sites.assign(linked=sites["row_id"].map(linked).fillna(False).astype(bool))
    at_baseline = sites[sites["wave"] == baseline].groupby("site").size()
    later = sites[sites["wave"] != baseline]
    table = later.groupby(["wave", "site"])["linked"].agg(rows="size", linked="sum")
    waves = list(dict.fromkeys(later["wave"]))
    full = pd.MultiIndex.from_product([waves, sorted(set(at_baseline.index) | set(later["site"]))],
                                      names=["wave", "site"])
    table = table.reindex(full, fill_value=0).reset_index()
    table["baseline_rows"] = table["site"].map(at_baseline).fillna(0).astype(int)
    table["match_rate"] = table["linked"] / table["rows"].where(table["rows"] > 0)
    return table[["wave", "site", "baseline_rows", "rows", "linked", "match_rate"]]


def renamed_site_warnings(rates: pd.DataFrame) -> list[str]:
    """French warnings for the sites whose answers stop linking (see module docstring)."""
    warnings = []
    for wave, part in rates.groupby("wave", sort=False):
        total = part["rows"].sum()
        overall = part["linked"].sum() / total if total else 0.0
        if overall < MIN_PROGRAMME_RATE:
            continue
        low = part[(part["rows"] >= MIN_ROWS) & (part["match_rate"] < DROP_FACTOR * overall)]
        gone = part[(part["baseline_rows"] >= MIN_ROWS) & (part["rows"] == 0)]
        warnings += [
            f"site « {r.site} », vague « {wave} » : {r.linked} des {r.rows} réponses reliées à "
            f"une vague précédente, contre {overall:.0%} pour l'ensemble du programme. Le site "
            "a-t-il été saisi sous un autre nom à une autre vague ? Ajoutez l'ancien nom comme "
            "alias dans sites.yaml." for r in low.itertuples()]
        warnings += [
            f"site « {r.site} », vague « {wave} » : aucune réponse, contre {r.baseline_rows} à "
            "la vague initiale. Ses réponses ont-elles été saisies ou rattachées sous un autre "
            "nom (un alias de sites.yaml qui désigne le mauvais site) ?"
            for r in gone.itertuples()]
    return warnings
