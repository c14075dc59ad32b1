"""The researcher's linkage decisions, applied over the automatic linkage.

``surveys/<programme>/corrections.yaml`` may hold a ``links:`` section (read by
:func:`impact.checks.corrections.load_link_decisions`, written by ``impact review apply``):

* ``post:17: pre:42`` — link the later row ``post:17`` to the earlier row ``pre:42`` (a
  near-miss the tolerant pass could not make: two edits apart, another site typed, …); an
  automatic link of ``post:17`` to another row is replaced;
* ``post:17: none`` — ``post:17`` is linked to no earlier row (an automatic link is cut).

Decisions are applied after the automatic linkage and before the chronology check, so a
manual link is still cut if the later answer was sent before the earlier one. A manual link
is recorded with ``decision`` ``exact`` or ``tolerant`` (the codes are equal or not) and
``reason`` ``manual_link``; a manual cut with ``unmatched`` and ``manual_no_link``. A decision
that names a row absent from the kept rows, or a link that would put two answers of one wave
in one chain, stops with a French message.
"""

from __future__ import annotations

import pandas as pd
from rapidfuzz.distance import OSA

from impact.errors import DataError
from impact.linkage.chronology import _membership, _restore_baseline_only, cut_links
from impact.linkage.matching import LinkageResult, chain_anchors

MANUAL_LINK, MANUAL_NO_LINK = "manual_link", "manual_no_link"


def apply_link_decisions(result: LinkageResult, decisions: dict[str, str | None],
                         codes: pd.Series, *, source: str = "corrections.yaml"
                         ) -> tuple[LinkageResult, pd.DataFrame]:
    """``result`` with the manual decisions applied, and their log.

    ``decisions``: later row id → earlier row id, or ``None`` for no link; ``codes``: row id →
    normalised code (to record ``exact`` or ``tolerant``). The log has one row per decision:
    ``row_id``, ``linked_row_id`` (empty for ``none``), ``before`` (the automatic decision) and
    ``applied`` (``link`` or ``no_link``).
    """
    columns = ["row_id", "linked_row_id", "before", "applied"]
    if not decisions:
        return result, pd.DataFrame(columns=columns)
    rows = set(result.membership["row_id"])
    for row_id, target in decisions.items():
        for rid in (row_id, target):
            if rid is not None and rid not in rows:
                raise DataError(f"{source} (links) : la ligne « {rid} » n'est pas une réponse "
                                "conservée par la validation (absente de l'export, exclue ou "
                                "en quarantaine) ; elle ne peut pas être reliée.")
    before = result.decisions.set_index("row_id")["decision"]
    # every manual decision first undoes the row's automatic link
    result = cut_links(result, set(decisions), MANUAL_NO_LINK)
    wave = result.membership.set_index("row_id")["wave"]
    table = result.decisions.set_index("row_id")
    for row_id, target in decisions.items():
        if target is None:
            continue
        table.loc[row_id, ["linked_row_id", "linked_wave"]] = [target, wave[target]]
        a, b = codes.get(row_id), codes.get(target)
        distance = OSA.distance(a, b) if isinstance(a, str) and isinstance(b, str) else pd.NA
        table.loc[row_id, "decision"] = "exact" if distance is not pd.NA and distance == 0 \
            else "tolerant"
        table.loc[row_id, "distance"] = distance
        table.loc[row_id, ["reason", "ambiguous_with"]] = [MANUAL_LINK, pd.NA]
        table.loc[row_id, "n_candidates"] = 1
    table = table.reset_index()
    _check_one_row_per_wave(table, result.membership, source)
    membership = _membership(result.membership, table)
    linked = set(table["linked_row_id"].dropna())
    first = result.params["wave_order"][0]
    table = table[~((table["wave"] == first) & table["row_id"].isin(linked))]
    table = _restore_baseline_only(table.reset_index(drop=True), membership,
                                   result.params["wave_order"])
    table.attrs["wave_order"] = list(result.params["wave_order"])
    log = pd.DataFrame([{"row_id": r, "linked_row_id": t or "", "before": before.get(r, ""),
                         "applied": "link" if t else "no_link"}
                        for r, t in decisions.items()], columns=columns)
    return LinkageResult(table, membership, dict(result.params)), log


def _check_one_row_per_wave(decisions: pd.DataFrame, membership: pd.DataFrame,
                            source: str) -> None:
    """Stop when a chain would hold two answers of one wave (or a link points to itself)."""
    index = pd.Index(membership["row_id"])
    target = membership["row_id"].map(decisions.set_index("row_id")["linked_row_id"])
    link = index.get_indexer(target.astype(object).where(target.notna(), None))
    anchor = chain_anchors(link)
    chains = pd.DataFrame({"anchor": anchor, "wave": membership["wave"].to_numpy(),
                           "row_id": membership["row_id"].to_numpy()})
    twice = chains[chains.duplicated(["anchor", "wave"], keep=False)]
    if len(twice):
        names = ", ".join(sorted(twice["row_id"].astype(str))[:4])
        raise DataError(f"{source} (links) : ces liens mettraient deux réponses d'une même "
                        f"vague dans la même personne ({names}) ; ajoutez « ligne: none » "
                        "pour défaire le lien automatique en trop, ou retirez le lien manuel.")
