"""Match rate per site: a site renamed between waves shows as a site whose later answers find
no earlier ones (linkage blocks on the site, so a renamed site cannot link at all).

A site is flagged when it has at least :data:`MIN_ROWS` answers in a later wave and links none,
or links under a quarter of the programme's rate for that wave, while the programme as a whole
links at least :data:`MIN_PROGRAMME_RATE` of its answers.
"""

from __future__ import annotations

import pandas as pd

MIN_PROGRAMME_RATE = 0.3
MIN_ROWS = 10  # fewer answers say nothing about a rename (and are not published)
DROP_FACTOR = 0.25


def site_match_rates(decisions: pd.DataFrame, site: pd.Series, baseline: str) -> pd.DataFrame:
    """Per later wave and site: ``rows``, ``linked`` and ``match_rate`` (linked / rows).

    ``site``: ``row_id`` → site of the row (the declared site where a list exists);
    ``baseline``: the first wave, whose rows link to nothing earlier.
    """
    later = decisions[decisions["wave"] != baseline]
    frame = pd.DataFrame({"wave": later["wave"].to_numpy(),
                          "site": later["row_id"].map(site).fillna("").to_numpy(),
                          "linked": later["decision"].isin(["exact", "tolerant"]).to_numpy()})
    table = frame.groupby(["wave", "site"], sort=True)["linked"].agg(rows="size", linked="sum")
    table = table.reset_index()
    table["match_rate"] = table["linked"] / table["rows"]
    return table


def renamed_site_warnings(rates: pd.DataFrame) -> list[str]:
    """French warnings for the sites whose match rate collapses (see module docstring)."""
    warnings = []
    for wave, part in rates.groupby("wave", sort=False):
        overall = part["linked"].sum() / part["rows"].sum()
        if overall < MIN_PROGRAMME_RATE:
            continue
        low = part[(part["rows"] >= MIN_ROWS) & (part["match_rate"] < DROP_FACTOR * overall)]
        for row in low.itertuples():
            warnings.append(
                f"site « {row.site} », vague « {wave} » : {row.linked} des {row.rows} réponses "
                f"reliées à une vague précédente, contre {overall:.0%} pour l'ensemble du "
                "programme. Le site a-t-il été saisi sous un autre nom à une autre vague ? "
                "Ajoutez l'ancien nom comme alias dans sites.yaml.")
    return warnings
