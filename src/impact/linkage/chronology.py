"""Chronology per linked person: a later wave's answer must be sent after the answer it is
linked to.

The validation stage can only compare an answer with its export's own dates; whether « post
after pre » holds is a property of a *person*, known once the waves are linked. For every
direct link (a later-wave row → the earlier row it was linked to) with both submission times
known, the link is **not chronological** when the later row was not sent strictly after the
earlier one.

Two outcomes:

- when at least :data:`REPEATED_SHARE` of the links between two waves (and at least
  :data:`MIN_LINKS_TO_JUDGE` of them) are not chronological, the later export almost surely
  repeats the earlier one's dates (a wrong file, or the wrong date column in the codebook):
  the run stops with a French message naming both exports;
- otherwise each such link is cut: the later row stays in the panel as a respondent of its
  own (``decision = "unmatched"``, ``reason = "answered_before_linked_row"``), because a code
  typed twice by two people is likelier than an answer sent before the one it follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.errors import DataError
from impact.linkage.matching import LinkageResult, chain_anchors

REPEATED_SHARE = 0.2  # right dates give ~0; a pasted date column ~0.5
MIN_LINKS_TO_JUDGE = 5
REASON = "answered_before_linked_row"


def not_chronological(decisions: pd.DataFrame, submitted: pd.Series) -> pd.DataFrame:
    """Direct links whose later row was not sent strictly after the row it is linked to.

    ``submitted``: ``row_id`` → submission time (NaT when unknown; such links are not judged).
    Returns the offending rows of ``decisions`` (same columns).
    """
    linked = decisions[decisions["decision"].isin(["exact", "tolerant"])]
    later = pd.to_datetime(linked["row_id"].map(submitted))
    earlier = pd.to_datetime(linked["linked_row_id"].map(submitted))
    judged = later.notna() & earlier.notna()
    return linked[judged & (later <= earlier)]


def enforce_chronology(result: LinkageResult, submitted: pd.Series, *, sources: dict[str, str]
                       ) -> tuple[LinkageResult, pd.DataFrame]:
    """Stop on a wave that repeats another's dates, else cut the non-chronological links.

    ``sources``: wave → export file (for the message). Returns the corrected result and the
    cut links (``row_id``, ``wave``, ``linked_row_id``, ``linked_wave``).
    """
    bad = not_chronological(result.decisions, submitted)
    _stop_on_repeated_dates(result.decisions, bad, sources)
    cut = bad[["row_id", "wave", "linked_row_id", "linked_wave"]].reset_index(drop=True)
    if cut.empty:
        return result, cut
    return cut_links(result, set(cut["row_id"]), REASON), cut


def _stop_on_repeated_dates(decisions: pd.DataFrame, bad: pd.DataFrame,
                            sources: dict[str, str]) -> None:
    linked = decisions[decisions["decision"].isin(["exact", "tolerant"])]
    links = linked.groupby(["wave", "linked_wave"]).size()
    wrong = bad.groupby(["wave", "linked_wave"]).size().reindex(links.index, fill_value=0)
    for (later, earlier), n_links in links.items():
        n_bad = int(wrong[(later, earlier)])
        if n_links >= MIN_LINKS_TO_JUDGE and n_bad >= REPEATED_SHARE * n_links:
            raise DataError(
                f"{sources.get(later, later)} : pour {n_bad} des {n_links} personnes reliées à "
                f"la vague « {earlier} » ({sources.get(earlier, earlier)}), la réponse de la "
                f"vague « {later} » n'est pas postérieure à celle de la vague « {earlier} ». "
                "L'export de la vague est sans doute le mauvais fichier (ou la colonne de date "
                "du codebook est la mauvaise) : vérifiez le fichier et "
                f"waves.{later}.columns.submitted_at dans le codebook.")


def cut_links(result: LinkageResult, row_ids: set[str], reason: str) -> LinkageResult:
    """The same linkage with the links of ``row_ids`` (later-wave rows) removed.

    The rows become ``unmatched`` with ``reason``; chains and ``chain_size`` are recomputed,
    and an earlier row left with no later row becomes ``baseline_only`` again.
    """
    decisions = result.decisions.copy()
    cut = decisions["row_id"].isin(row_ids)
    for column in ("linked_row_id", "linked_wave", "ambiguous_with"):
        decisions.loc[cut, column] = pd.NA
    decisions.loc[cut, ["decision", "reason"]] = ["unmatched", reason]
    decisions.loc[cut, ["distance", "n_candidates"]] = pd.NA
    membership = _membership(result.membership, decisions)
    decisions = _restore_baseline_only(decisions, membership, result.params["wave_order"])
    decisions.attrs["wave_order"] = list(result.params["wave_order"])
    return LinkageResult(decisions, membership, dict(result.params))


def _membership(membership: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    index = pd.Index(membership["row_id"])
    target = membership["row_id"].map(decisions.set_index("row_id")["linked_row_id"])
    link = index.get_indexer(target.astype(object).where(target.notna(), None))
    anchor = chain_anchors(link)
    size = np.bincount(anchor, minlength=len(link))
    out = membership.copy()
    out["person_key"] = membership["row_id"].to_numpy(dtype=object)[anchor]
    out["chain_size"] = size[anchor].astype("int64")
    return out.astype({"person_key": "str"})


def _restore_baseline_only(decisions: pd.DataFrame, membership: pd.DataFrame,
                           wave_order: list[str]) -> pd.DataFrame:
    """Baseline rows no longer linked to are listed again as ``baseline_only``."""
    baseline = membership[(membership["wave"] == wave_order[0])
                          & (membership["chain_size"] == 1)
                          & ~membership["row_id"].isin(decisions["row_id"])]
    if baseline.empty:
        return decisions
    extra = pd.DataFrame({column: pd.Series(pd.NA, index=range(len(baseline)),
                                            dtype=decisions[column].dtype)
                          for column in decisions.columns})
    extra["row_id"] = baseline["row_id"].to_numpy()
    extra["wave"] = wave_order[0]
    extra["decision"] = "baseline_only"
    extra["reason"] = ""
    order = {w: i for i, w in enumerate(wave_order)}
    out = pd.concat([decisions, extra], ignore_index=True)
    rank = out["wave"].map(order)
    return out.assign(_rank=rank).sort_values(["_rank", "row_id"], kind="stable") \
        .drop(columns="_rank").reset_index(drop=True)
