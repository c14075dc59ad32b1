"""The respondent × wave panel of one programme, built from the kept rows of every wave.

Steps: join each kept row to its normalised code (restricted zone), link the waves
(:func:`impact.linkage.matching.link_waves`), cut the links that are not chronological for
that person (:mod:`impact.linkage.chronology`), measure the match rate per site (a site renamed
between waves, :mod:`impact.linkage.site_rates`), replace the chain's anchor by a keyed hash (the
``respondent_id``; no code or row content enters it), carry the background answered at
baseline to the later waves where they were not asked, compute scale scores, and add the
attrition analysis and its inverse-probability weights (:mod:`impact.linkage.attrition`).

The panel has one row per respondent × wave (a chain never holds two rows of one wave), keeps
the provenance (file, line) of every row, and holds no pseudonymous code or direct identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.ingest.pseudonym import PseudonymKey, keyed_hash
from impact.linkage.attrition import attrition_rows
from impact.linkage.chronology import enforce_chronology
from impact.linkage.manual import apply_link_decisions
from impact.linkage.matching import link_waves, linkage_quality
from impact.linkage.site_rates import renamed_site_warnings, site_match_rates
from impact.survey.codebook import Codebook
from impact.survey.instrument import Instrument
from impact.survey.scales import scale_scores

#: Background variables a respondent keeps across waves (asked at baseline only in most
#: questionnaires).
CARRIED = ["group", "gender", "audience", "education", "unemployment_months", "site"]
LINK_COLUMNS = ["row_id", "wave", "site", "gender", "age"]
DROPPED = ["code_hash", "is_test", "test_evidence", "ingest_issues"]


@dataclass
class Panel:
    panel: pd.DataFrame  # respondent × wave, with the attrition weights ipw_<wave>
    decisions: pd.DataFrame
    quality: pd.DataFrame
    attrition: list[dict]  # attrition indicators (tidy records)
    cut_links: pd.DataFrame = field(default_factory=pd.DataFrame)  # not chronological
    site_rates: pd.DataFrame = field(default_factory=pd.DataFrame)  # match rate per site
    warnings: list[str] = field(default_factory=list)  # French, for the stage's log
    manual: pd.DataFrame = field(default_factory=pd.DataFrame)  # researcher's link decisions


def build_panel(kept: dict[str, pd.DataFrame], codes: dict[str, pd.DataFrame], *,
                codebook: Codebook, instrument: Instrument, key: PseudonymKey,
                linkage: dict, min_item_share: float,
                truth: pd.Series | None = None,
                manual_links: dict[str, str | None] | None = None,
                manual_source: str = "corrections.yaml") -> Panel:
    """Link the kept rows of every wave (in ``kept``'s order, baseline first) into a panel.

    ``manual_links``: the researcher's decisions (later row id → earlier row id, or ``None``
    for no link; :mod:`impact.linkage.manual`), applied over the automatic linkage."""
    waves = list(kept)
    rows = pd.concat([_link_rows(kept[w], codes[w]) for w in waves], ignore_index=True)
    result = link_waves(rows, wave_order=waves, block_on=list(linkage["block_on"]),
                        max_age_gap=linkage["max_age_gap"],
                        max_distance=linkage["max_distance"])
    result, manual = apply_link_decisions(result, manual_links or {},
                                          rows.set_index("row_id")["code"],
                                          source=manual_source)
    answers = pd.concat([kept[w] for w in waves], ignore_index=True)
    result, cut = enforce_chronology(result, _submitted(answers), sources=_sources(kept))
    site_rates = site_match_rates(result.decisions, answers, waves[0])
    membership = result.membership.set_index("row_id")["person_key"]
    answers["respondent_id"] = keyed_hash(answers["row_id"].map(membership), key,
                                          context=f"{codebook.programme}:respondent").to_numpy()
    decision = result.decisions.set_index("row_id")["decision"]
    answers["link"] = answers["row_id"].map(decision).fillna("baseline").to_numpy()
    answers = _carry_background(answers, waves)
    scores = scale_scores(answers, codebook.scales, instrument, codebook.response_scale,
                          min_item_share)
    panel = pd.concat([answers.drop(columns=[c for c in DROPPED if c in answers]), scores],
                      axis=1)
    panel["wave"] = pd.Categorical(panel["wave"], categories=waves, ordered=True)
    panel = panel.sort_values(["respondent_id", "wave"], kind="stable").reset_index(drop=True)
    first = ["respondent_id", "wave", "link", "row_id", "source_file", "source_line"]
    panel = panel[first + [c for c in panel.columns if c not in first]]
    decisions = result.decisions.assign(
        respondent_id=result.decisions["row_id"].map(panel.set_index("row_id")["respondent_id"]))
    quality = linkage_quality(result.decisions, truth, wave_order=waves)
    records, weights = attrition_rows(
        panel, waves, list(codebook.scales), programme=codebook.programme,
        wave_audiences={w: list(codebook.waves[w].audience) for w in waves})
    warnings = renamed_site_warnings(site_rates)
    return Panel(panel.join(weights, on="respondent_id"), decisions, quality, records,
                 cut, site_rates, warnings, manual)


def _submitted(answers: pd.DataFrame) -> pd.Series:
    """row_id → submission time (NaT when the export has none)."""
    if "submitted_at" not in answers:
        return pd.Series(pd.NaT, index=answers["row_id"].to_numpy(), dtype="datetime64[ns]")
    return pd.Series(pd.to_datetime(answers["submitted_at"]).to_numpy(),
                     index=answers["row_id"].to_numpy())


def _sources(kept: dict[str, pd.DataFrame]) -> dict[str, str]:
    return {w: str(frame["source_file"].iloc[0]) for w, frame in kept.items()
            if len(frame) and "source_file" in frame}


def _link_rows(kept: pd.DataFrame, codes: pd.DataFrame) -> pd.DataFrame:
    present = [c for c in LINK_COLUMNS if c in kept]
    rows = kept[present].merge(codes, on="row_id", how="left", validate="one_to_one")
    for column in LINK_COLUMNS:
        if column not in rows:
            rows[column] = pd.NA
    return rows


def _carry_background(answers: pd.DataFrame, waves: list[str]) -> pd.DataFrame:
    """Fill background variables missing at a wave with the respondent's baseline answer
    (or, failing that, their first answer at any wave)."""
    order = answers["wave"].map({w: i for i, w in enumerate(waves)})
    ordered = answers.assign(_order=order).sort_values(["respondent_id", "_order"],
                                                       kind="stable")
    for column in [c for c in CARRIED if c in ordered]:
        first = ordered.groupby("respondent_id", sort=False)[column].transform("first")
        ordered[column] = ordered[column].fillna(first)
    return ordered.drop(columns="_order").sort_index()


def truth_mapping(path: str | Path) -> pd.Series | None:
    """row_id → true person id from a simulator's ``ground_truth_rows.csv`` (None if absent).

    Rows that are not persons (test submissions, refusals) map to unique ids of their own so
    that they can only ever be false links.
    """
    path = Path(path)
    if not path.is_file():
        return None
    rows = pd.read_csv(path)
    row_id = rows["wave"] + ":" + rows["source_line"].astype(str)
    person = rows["person_id"].where(rows["person_id"].str.startswith("P"), "nobody:" + row_id)
    return pd.Series(person.to_numpy(), index=row_id.to_numpy())
