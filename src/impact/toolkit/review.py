"""The review workbook and its decisions (restricted zone: it holds row-level raw values).

:func:`review_tables` gathers, for every programme of a campaign, what the researcher decides
on, from the outputs of the validate and link stages:

``Quarantaine``
    each quarantined row (programme, wave, file line, failed checks, French reasons and the
    row's values); decision ``garder`` (``keep``: the checks are waived), ``exclure``
    (``exclude``: excluded under the rule ``decision``) or ``corriger`` with a ``correction``
    ``{colonne: valeur}``. Rows on which ``corrections.yaml`` already decided are listed too,
    with their decision.
``Doublons``
    each pair of an excluded row and the row it copies (exact duplicate, or earlier copy of a
    resubmitted answer), with the fields where they differ side by side — as World Bank's
    ``iecompdup`` lists them: fields compared, fields that differ, and both values of each;
    decision ``garder`` (both rows are analysed), ``exclure`` (confirmed) or ``corriger``.
``Liens possibles``
    near-miss link candidates (:func:`near_misses`): a later-wave row and an earlier-wave row,
    not linked, whose pseudonymous codes are at most two edits apart (optimal string
    alignment, ``rapidfuzz``, the distance of :mod:`impact.linkage.matching`) and whose
    persons could be one (no wave in common); with site, gender and age of both sides and
    why the workflow did not link them; decision ``lier`` or ``ne pas lier``.
``Terrain``
    respondents and response rate per site and wave (:mod:`impact.toolkit.fieldwork`).

:func:`write_workbook` writes them with ``openpyxl`` (drop-down decisions, frozen header,
filters, widths; every text cell formula-safe; fixed timestamps, so the same inputs give the
same bytes). :func:`apply_workbook` reads the filled decisions back and appends them to each
programme's ``corrections.yaml`` (:func:`impact.checks.corrections.load_corrections` format,
``links:`` section for the linkage), keeping what the file already says; a decision that
contradicts the file or another row of the workbook stops with a French message naming the
sheet and the row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from impact.checks.corrections import LINKS, NO_LINK, PROVENANCE
from impact.errors import DataError
from impact.safety import formula_safe
from impact.toolkit.exports import save_workbook

QUARANTINE, DUPLICATES, LINK_SHEET, FIELDWORK, README = (
    "Quarantaine", "Doublons", "Liens possibles", "Terrain", "Mode d'emploi")
DECISION, CORRECTION = "décision", "correction"
ROW_CHOICES = {"garder": "keep", "exclure": "exclude", "corriger": "correct"}
LINK_CHOICES = {"lier": "link", "ne pas lier": "no_link"}
#: Columns never shown as « values » (provenance, derived, or the code's keyed hash).
NOT_VALUES = {*PROVENANCE, "code_hash", "checks", "reasons", "ingest_issues"}
#: Near-miss candidates: codes at most this many edits apart.
MAX_EDITS = 2
#: Comparisons of codes (sources × targets) above which candidates are sought within a site.
MAX_CELLS = 20_000_000


@dataclass
class Programme:
    """What the review needs of one programme (the validate and link stages' outputs)."""

    name: str
    waves: list[str]
    interim: dict[str, pd.DataFrame]  # wave -> every harmonised row (values)
    kept: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]  # restricted quarantine (values, full reasons)
    excluded: dict[str, pd.DataFrame]
    codes: dict[str, pd.DataFrame]  # wave -> row_id, code (normalised)
    panel: pd.DataFrame  # row_id, wave, respondent_id
    linkage: pd.DataFrame  # link decisions (restricted/panel/<p>_linkage.csv)
    corrections: dict[str, Any] = field(default_factory=dict)  # corrections.yaml as read
    max_distance: int = 1
    max_age_gap: int = 1


# ---------------------------------------------------------------------------------------------
# the tables


def _values(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in NOT_VALUES and not c.startswith("_")]


def _prefill(entry: Any) -> tuple[str, str]:
    """(decision, correction) shown for an existing ``corrections.yaml`` entry."""
    if entry == "keep":
        return "garder", ""
    if entry == "exclude":
        return "exclure", ""
    if isinstance(entry, dict):
        return "corriger", _flow(entry)
    return "", ""


def _flow(value: Any) -> str:
    """``value`` as written in corrections.yaml (``keep``, ``{age: 15}``)."""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          sort_keys=False).strip()


def quarantine_table(p: Programme) -> pd.DataFrame:
    """Quarantined rows, and the rows ``corrections.yaml`` already decided on."""
    frames = []
    listed: set[str] = set()
    for wave in p.waves:
        q = p.quarantine[wave]
        listed |= set(q["row_id"])
        frames.append(q.assign(programme=p.name, wave=wave))
    decided = [r for r in p.corrections if r != LINKS and r not in listed]
    excluded_dupes = {r for w in p.waves for r in p.excluded[w].loc[
        p.excluded[w]["duplicate_of"].notna(), "row_id"]} if p.waves else set()
    for wave in p.waves:
        rows = p.interim[wave][p.interim[wave]["row_id"].isin(decided)
                               & ~p.interim[wave]["row_id"].isin(excluded_dupes)]
        if len(rows):
            frames.append(rows.assign(programme=p.name, wave=wave, checks="",
                                      reasons="décision de corrections.yaml appliquée"))
    if not frames:
        return pd.DataFrame(columns=["programme", "wave", "source_line", "row_id", "checks",
                                     "reasons", DECISION, CORRECTION])
    table = pd.concat(frames, ignore_index=True)
    shown = [c for c in dict.fromkeys(c for f in frames for c in _values(f))
             if c not in ("programme", "wave")]
    table = table[["programme", "wave", "source_line", "row_id", "checks", "reasons", *shown]]
    typed = pd.concat([p.codes[w] for w in p.waves], ignore_index=True)
    if "site_typed" in typed:  # what was typed for a site not in sites.yaml (add an alias)
        table.insert(6, "site_typed", table["row_id"].map(typed.set_index("row_id")
                                                          ["site_typed"]))
    pre = [_prefill(p.corrections.get(r)) for r in table["row_id"]]
    table[DECISION] = [d for d, _ in pre]
    table[CORRECTION] = [c for _, c in pre]
    return table


def duplicate_tables(p: Programme) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, fields): one row per excluded copy and the row it copies; one row per pair and
    field that differs, with both values (``iecompdup``)."""
    pairs, fields = [], []
    for wave in p.waves:
        ex = p.excluded[wave]
        ex = ex[ex["duplicate_of"].notna()]
        if ex.empty:
            continue
        rows = p.interim[wave].set_index("row_id")
        compared = [c for c in _values(rows.reset_index()) if c != "site_unknown"]
        for rec in ex.itertuples(index=False):
            a, b = rows.loc[rec.row_id, compared], rows.loc[rec.duplicate_of, compared]
            same = (a.isna() & b.isna()) | (a.astype(str) == b.astype(str))
            differ = [c for c in compared if not same[c]]
            for column in differ:
                fields.append({"programme": p.name, "wave": wave, "row_id": rec.row_id,
                               "copy_of": rec.duplicate_of, "field": column,
                               "value": _show(a[column]), "value_copy": _show(b[column])})
            pairs.append({"programme": p.name, "wave": wave, "row_id": rec.row_id,
                          "source_line": int(rows.loc[rec.row_id, "source_line"]),
                          "copy_of": rec.duplicate_of, "rule": rec.exclusion,
                          "reason": rec.exclusion_reason, "compared": len(compared),
                          "n_differ": len(differ),
                          "differences": " ; ".join(f"{c} : {_show(a[c])} | {_show(b[c])}"
                                                    for c in differ)})
    table = pd.DataFrame(pairs, columns=["programme", "wave", "row_id", "source_line",
                                         "copy_of", "rule", "reason", "compared", "n_differ",
                                         "differences"])
    pre = [_prefill(p.corrections.get(r)) for r in table["row_id"]]
    table[DECISION] = [d for d, _ in pre]
    table[CORRECTION] = [c for _, c in pre]
    return table, pd.DataFrame(fields, columns=["programme", "wave", "row_id", "copy_of",
                                                "field", "value", "value_copy"])


def _show(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else str(value)


def near_misses(p: Programme) -> pd.DataFrame:
    """Unlinked pairs (later row, earlier row) whose codes are ≤ :data:`MAX_EDITS` apart.

    A later row is a candidate source when its link decision is ``unmatched`` or
    ``ambiguous``; an earlier row a target when the two persons have no wave in common (a link
    would not put two answers of one wave in one person). ``why`` says what the automatic
    linkage saw: ``distance`` (beyond ``linkage.max_distance``), ``site``, ``gender``, ``age``
    (beyond ``linkage.max_age_gap``), ``ambiguous`` (either row disputed by several others,
    which takes it out of the tolerant pass), or ``cut`` (cut by the chronology check or a
    manual decision). Pairs ``corrections.yaml`` links are listed
    too, decided."""
    from rapidfuzz.distance import OSA

    codes = pd.concat([p.codes[w][["row_id", "code"]].assign(wave=w) for w in p.waves],
                      ignore_index=True)
    kept = pd.concat([p.kept[w] for w in p.waves], ignore_index=True).set_index("row_id")
    codes = codes[codes["row_id"].isin(kept.index) & codes["code"].notna()
                  & (codes["code"].astype(str) != "")]
    person = p.panel.set_index("row_id")["respondent_id"]
    waves_of = p.panel.groupby("respondent_id")["wave"].agg(lambda w: set(map(str, w)))
    decision = p.linkage.set_index("row_id")
    rank = {w: i for i, w in enumerate(p.waves)}
    codes = codes.assign(rank=codes["wave"].map(rank))
    open_ = decision.index[decision["decision"].isin(["unmatched", "ambiguous"])]
    sources = codes[codes["row_id"].isin(open_) & (codes["rank"] > 0)]
    out = []
    targets = codes
    for i, j, d in _close_pairs(sources, targets, kept):
        s, t = sources.iloc[i], targets.iloc[j]
        if waves_of[person[s["row_id"]]] & waves_of[person[t["row_id"]]]:
            continue
        out.append(_candidate(p, s, t, d, kept, decision.loc[s["row_id"]],
                              _decision_of(decision, t["row_id"])))
    links = p.corrections.get(LINKS) or {}
    for row_id, target in links.items():
        if target != NO_LINK and not any(c["row_id"] == row_id and c["candidate"] == target
                                         for c in out):
            if row_id in kept.index and target in kept.index:
                a = codes.set_index("row_id")["code"]
                d = OSA.distance(str(a.get(row_id, "")), str(a.get(target, "")))
                s = pd.Series({"row_id": row_id, "wave": row_id.split(":")[0],
                               "code": a.get(row_id, "")})
                t = pd.Series({"row_id": target, "wave": target.split(":")[0],
                               "code": a.get(target, "")})
                out.append(_candidate(p, s, t, d, kept, _decision_of(decision, row_id),
                                      _decision_of(decision, target)))
    table = pd.DataFrame(out, columns=["programme", "wave", "row_id", "code", "site", "gender",
                                       "age", "candidate_wave", "candidate", "candidate_code",
                                       "candidate_site", "candidate_gender", "candidate_age",
                                       "distance", "link_decision", "why"])
    table = table.sort_values(["wave", "row_id", "distance", "candidate"], kind="stable")
    table[DECISION] = [_link_prefill(links, r, c) for r, c in
                       zip(table["row_id"], table["candidate"], strict=True)]
    return table.reset_index(drop=True)


def _close_pairs(sources: pd.DataFrame, targets: pd.DataFrame, kept: pd.DataFrame
                 ) -> list[tuple[int, int, int]]:
    """(source position, target position, distance) of the pairs ≤ :data:`MAX_EDITS` apart,
    target in an earlier wave. Every source is compared with every target while that is at
    most :data:`MAX_CELLS` comparisons (the example campaign: all of them); beyond, only
    within a site (a national campaign: the cost stays linear in the number of sites), in
    chunks of sources so that memory stays bounded."""
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import cdist

    if not len(sources) or not len(targets):
        return []
    whole = len(sources) * len(targets) <= MAX_CELLS or "site" not in kept.columns
    s_block = np.zeros(len(sources), dtype=object) if whole else \
        kept["site"].reindex(sources["row_id"]).astype(str).to_numpy(dtype=object)
    t_block = np.zeros(len(targets), dtype=object) if whole else \
        kept["site"].reindex(targets["row_id"]).astype(str).to_numpy(dtype=object)
    s_codes = sources["code"].astype(str).to_numpy(dtype=object)
    t_codes = targets["code"].astype(str).to_numpy(dtype=object)
    s_rank, t_rank = sources["rank"].to_numpy(), targets["rank"].to_numpy()
    found = []
    for block in pd.unique(s_block):
        si = np.flatnonzero(s_block == block)
        ti = np.flatnonzero(t_block == block)
        if not len(ti):
            continue
        step = max(1, MAX_CELLS // len(ti))
        for lo in range(0, len(si), step):
            chunk = si[lo:lo + step]
            dist = cdist(list(s_codes[chunk]), list(t_codes[ti]), scorer=OSA.distance,
                         score_cutoff=MAX_EDITS, dtype=np.int32, workers=1)
            ii, jj = np.nonzero(dist <= MAX_EDITS)
            ok = t_rank[ti[jj]] < s_rank[chunk[ii]]
            found += [(int(chunk[i]), int(ti[j]), int(dist[i, j]))
                      for i, j in zip(ii[ok], jj[ok], strict=True)]
    return sorted(found)


def _link_prefill(links: dict, row_id: str, candidate: str) -> str:
    if row_id not in links:
        return ""
    return "lier" if links[row_id] == candidate else "ne pas lier"


def _decision_of(decisions: pd.DataFrame, row_id: str) -> pd.Series:
    """A row's link decision (a baseline row linked to is not listed: empty decision)."""
    if row_id in decisions.index:
        return decisions.loc[row_id]
    return pd.Series({"decision": "", "reason": ""})


def _candidate(p: Programme, s: pd.Series, t: pd.Series, distance: int, kept: pd.DataFrame,
               decision: pd.Series, target: pd.Series) -> dict:
    def get(row_id: str, column: str) -> Any:
        return kept.at[row_id, column] if column in kept.columns else None

    why = []
    if str(decision.get("reason", "")) in ("answered_before_linked_row", "manual_no_link"):
        why.append("cut")
    if "ambiguous" in (decision.get("decision"), target.get("decision")):
        why.append("ambiguous")
    if distance > p.max_distance:
        why.append("distance")
    if _show(get(s["row_id"], "site")) != _show(get(t["row_id"], "site")):
        why.append("site")
    g1, g2 = _show(get(s["row_id"], "gender")), _show(get(t["row_id"], "gender"))
    if g1 and g2 and g1 != g2 and "X" not in (g1, g2):
        why.append("gender")
    a1, a2 = (pd.to_numeric(pd.Series([get(r, "age")]), errors="coerce").iloc[0]
              for r in (s["row_id"], t["row_id"]))
    if pd.notna(a1) and pd.notna(a2) and abs(a1 - a2) > p.max_age_gap:
        why.append("age")
    return {"programme": p.name, "wave": s["wave"], "row_id": s["row_id"], "code": s["code"],
            "site": get(s["row_id"], "site"), "gender": get(s["row_id"], "gender"),
            "age": get(s["row_id"], "age"), "candidate_wave": t["wave"],
            "candidate": t["row_id"], "candidate_code": t["code"],
            "candidate_site": get(t["row_id"], "site"),
            "candidate_gender": get(t["row_id"], "gender"),
            "candidate_age": get(t["row_id"], "age"), "distance": distance,
            "link_decision": str(decision.get("decision", "")), "why": " ".join(why)}


# ---------------------------------------------------------------------------------------------
# the workbook


#: French headers of the sheets (the apply step reads the columns back by these names).
HEADERS = {
    "programme": "programme", "wave": "vague", "source_line": "ligne du fichier",
    "row_id": "ligne (row_id)", "checks": "contrôles", "reasons": "motifs",
    "copy_of": "copie de (conservée)", "rule": "règle", "reason": "motif",
    "compared": "champs comparés", "n_differ": "champs différents",
    "differences": "écarts (champ : exclue | conservée)", "field": "champ",
    "value": "valeur (exclue)", "value_copy": "valeur (conservée)", "code": "code",
    "site": "site", "gender": "genre", "age": "âge", "candidate_wave": "vague candidate",
    "candidate": "ligne candidate", "candidate_code": "code candidat",
    "candidate_site": "site candidat", "candidate_gender": "genre candidat",
    "candidate_age": "âge candidat", "distance": "distance (éditions)",
    "link_decision": "décision automatique", "why": "non relié car",
    "site_code": "code du site", "expected": "attendus", "respondents": "répondants",
    "response_rate": "taux de réponse", "site_typed": "site saisi",
}
_README = [
    "Classeur de revue Impact ITIP — données individuelles : zone restreinte, ne pas diffuser.",
    "Remplissez la colonne « décision » (liste déroulante) des feuilles Quarantaine, Doublons "
    "et Liens possibles ; une cellule vide ne décide rien.",
    "garder : la ligne est analysée (contrôles levés ; pour un doublon, les deux réponses sont "
    "gardées). exclure : la ligne est exclue (règle « decision »). corriger : indiquez dans "
    "« correction » les valeurs corrigées, par ex. {age: 15}.",
    "lier : les deux lignes sont la même personne ; ne pas lier : la ligne reste sans lien.",
    "Puis : impact review apply <ce classeur> (écrit surveys/<programme>/corrections.yaml), "
    "et relancez la chaîne.",
]


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path) -> None:
    """Write the review workbook (sheets in the order of ``tables``; see the module doc)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    intro = book.active
    intro.title = README
    for line in _README:
        intro.append([formula_safe(line)])
    intro.column_dimensions["A"].width = 120
    for name, table in tables.items():
        sheet = book.create_sheet(name)
        headers = [HEADERS.get(c, c) for c in table.columns]
        sheet.append([formula_safe(h) for h in headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        last = max(len(table) + 1, 2)
        for k, column in enumerate(table.columns, start=1):
            letter = get_column_letter(k)
            longest = max([len(headers[k - 1])] + [len(str(v)) for v in table[column][:2000]
                                                   if _cell(v) is not None])
            sheet.column_dimensions[letter].width = min(max(longest + 2, 8), 60)
            choices = ROW_CHOICES if name != LINK_SHEET else LINK_CHOICES
            if column == "response_rate":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=k, max_col=k):
                    cell.number_format = "0.0%"
            if column == DECISION:
                check = DataValidation(type="list", allow_blank=True,
                                       formula1='"' + ",".join(choices) + '"',
                                       showErrorMessage=True,
                                       error="Choisissez une valeur de la liste.")
                sheet.add_data_validation(check)
                check.add(f"{letter}2:{letter}{last + 500}")
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{last}"
    save_workbook(book, path)  # reproducible bytes, as the exports' workbooks


def _cell(value: Any) -> Any:
    if value is None or (not isinstance(value, (str, dict, list, tuple)) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, (bool, int, float, datetime)):
        return value
    return formula_safe(str(value))


def review_tables(programmes: list[Programme], fieldwork: pd.DataFrame
                  ) -> dict[str, pd.DataFrame]:
    """The workbook's sheets for a campaign (every programme in one sheet per decision)."""
    quarantine = [quarantine_table(p) for p in programmes]
    dupes = [duplicate_tables(p) for p in programmes]
    links = [near_misses(p) for p in programmes]
    return {
        QUARANTINE: _concat(quarantine),
        DUPLICATES: _concat([d[0] for d in dupes]),
        f"{DUPLICATES} (champs)": _concat([d[1] for d in dupes]),
        LINK_SHEET: _concat(links),
        FIELDWORK: fieldwork,
    }


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if DECISION in table:  # decisions last, after every programme's value columns
        table = table[[c for c in table.columns if c not in (DECISION, CORRECTION)]
                      + [c for c in (DECISION, CORRECTION) if c in table]]
    return table


# ---------------------------------------------------------------------------------------------
# apply


@dataclass(frozen=True)
class Decision:
    programme: str
    key: str  # row id (row decisions) or later row id (links)
    value: Any  # "keep", "exclude", {column: value}; for links: earlier row id or "none"
    where: str  # « feuille Quarantaine, ligne 12 »
    section: str = ""  # "" (row decisions) or LINKS


def read_decisions(path: str | Path) -> list[Decision]:
    """The filled decisions of a review workbook (blank decision cells decide nothing).

    A decision outside the drop-down list, or ``corriger`` without a ``{colonne: valeur}``
    correction, stops with a French message naming the sheet and the row."""
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise DataError(f"Classeur de revue introuvable : {path}.")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise DataError(f"{path} : classeur illisible ({type(exc).__name__}) ; indiquez le "
                        "classeur de revue écrit par la chaîne (restricted/review/"
                        "review_workbook.xlsx).") from None
    out: list[Decision] = []
    for sheet in (QUARANTINE, DUPLICATES, LINK_SHEET):
        if sheet not in book.sheetnames:
            continue
        rows = book[sheet].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, [])]
        col = {name: header.index(HEADERS.get(name, name)) for name in
               ("programme", "row_id", "candidate", DECISION, CORRECTION)
               if HEADERS.get(name, name) in header}
        if DECISION not in col:
            continue
        for number, row in enumerate(rows, start=2):
            choice = _text(row, col.get(DECISION))
            if not choice:
                continue
            where = f"feuille « {sheet} », ligne {number}"
            programme, row_id = _text(row, col.get("programme")), _text(row, col.get("row_id"))
            if sheet == LINK_SHEET:
                if choice not in LINK_CHOICES:
                    raise DataError(f"{path}, {where} : décision « {choice} » non comprise ; "
                                    f"choisissez {' ou '.join(LINK_CHOICES)}.")
                target = _text(row, col.get("candidate"))
                out.append(Decision(programme, row_id, target if choice == "lier" else NO_LINK,
                                    where, LINKS))
                continue
            if choice not in ROW_CHOICES:
                raise DataError(f"{path}, {where} : décision « {choice} » non comprise ; "
                                f"choisissez {', '.join(ROW_CHOICES)}.")
            value: Any = ROW_CHOICES[choice]
            if value == "correct":
                value = _correction(_text(row, col.get(CORRECTION)), f"{path}, {where}")
            out.append(Decision(programme, row_id, value, where))
    return out


def _text(row: tuple, index: int | None) -> str:
    if index is None or index >= len(row) or row[index] is None:
        return ""
    text = str(row[index]).strip()
    return text[1:] if text.startswith("'") else text  # formula_safe's quote


def _correction(text: str, where: str) -> dict:
    try:
        value = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict) or not value:
        raise DataError(f"{where} : « corriger » demande une correction {{colonne: valeur}} "
                        f"dans la colonne « correction » (lu : « {text} »), par ex. "
                        "{age: 15}.")
    return value


def apply_decisions(decisions: list[Decision], surveys_dir: str | Path) -> dict[str, int]:
    """Append the decisions to each programme's ``corrections.yaml``; return the number of
    entries added per programme.

    Existing entries and comments are kept as they are (new entries are appended, links inside
    the ``links:`` section); a decision equal to an existing entry adds nothing; one that
    differs from it, or from another decision of the workbook on the same row, stops before
    anything is written, with a French message naming the sheet and the row."""
    surveys_dir = Path(surveys_dir)
    by_programme: dict[str, dict[tuple[str, str], Decision]] = {}
    for d in decisions:
        if not (surveys_dir / d.programme / "codebook.yaml").is_file():
            raise DataError(f"{d.where} : programme « {d.programme} » inconnu dans "
                            f"{surveys_dir} (pas de {d.programme}/codebook.yaml) ; indiquez "
                            "le bon dossier avec --surveys.")
        seen = by_programme.setdefault(d.programme, {})
        key = (d.section, d.key)
        if key in seen and seen[key].value != d.value:
            if d.section == LINKS and NO_LINK in (seen[key].value, d.value):
                # « lier » to one candidate and « ne pas lier » to the others: the link wins
                if d.value == NO_LINK:
                    continue
            else:
                raise DataError(f"Décisions contradictoires pour « {d.key} » ({d.programme}) : "
                                f"{seen[key].where} et {d.where}. Gardez une seule décision.")
        seen[key] = d
    plans = {}
    for programme, chosen in by_programme.items():
        path = surveys_dir / programme / "corrections.yaml"
        existing = _existing(path)
        rows, links = [], []
        for (section, key), d in chosen.items():
            current = existing.get(LINKS, {}) if section == LINKS else existing
            if key in current:
                if current[key] != d.value:
                    raise DataError(f"{d.where} : la décision « {_flow(d.value)} » pour "
                                    f"« {key} » contredit {path}, qui indique déjà "
                                    f"« {_flow(current[key])} ». Modifiez ou retirez l'entrée "
                                    "du fichier à la main, puis relancez la commande.")
                continue
            (links if section == LINKS else rows).append(d)
        plans[programme] = (path, rows, links)
    added = {}
    for programme, (path, rows, links) in plans.items():
        _append(path, rows, links)
        added[programme] = len(rows) + len(links)
    return added


def existing_decisions(path: str | Path) -> dict:
    """What ``corrections.yaml`` decides already: row id → ``keep`` / ``exclude`` /
    ``{column: value}``, and ``links`` → {later row id: earlier row id or ``none``}; the
    file's own mistakes stop with their located message."""
    return _existing(Path(path))


def _existing(path: Path) -> dict:
    from impact.checks.corrections import load_corrections, load_link_decisions

    if not path.is_file():
        return {}
    load_corrections(path, "")  # the file's own mistakes stop here, located
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    links = load_link_decisions(path)
    out = {str(k): v for k, v in data.items() if k != LINKS}
    out[LINKS] = {k: (NO_LINK if v is None else v) for k, v in links.items()}
    return out


def _append(path: Path, rows: list[Decision], links: list[Decision]) -> None:
    """Append entries as text (comments and layout of the file stay as they are)."""
    if not rows and not links:
        return
    text = path.read_text(encoding="utf-8") if path.is_file() else (
        "# Corrections et décisions de la chercheuse (voir docs/review.md).\n")
    if text and not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    if rows:
        block = ["# impact review apply\n"] + [
            f"{d.key}: {_flow(d.value)}  # {d.where}\n" for d in rows]
        at = _links_start(lines)
        lines = lines[:at] + block + lines[at:] if at is not None else lines + block
    if links:
        entries = [f"  {d.key}: {d.value}  # {d.where}\n" for d in links]
        at = _links_start(lines)
        if at is None:
            lines += ["links:\n"] + entries
        else:
            end = at + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t"))
                                        or not lines[end].strip()):
                end += 1
            lines = lines[:end] + entries + lines[end:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")


def _links_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if re.match(r"^links\s*:", line):
            return i
    return None


def apply_workbook(workbook: str | Path, surveys_dir: str | Path) -> dict[str, int]:
    """:func:`read_decisions` then :func:`apply_decisions`."""
    return apply_decisions(read_decisions(workbook), surveys_dir)
