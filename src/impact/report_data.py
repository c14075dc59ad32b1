"""Table-shaping helpers of the report notebook: select, reshape and label published rows.

The report never recomputes a statistic (DESIGN, « one contract between analysis and
report »). Everything here only

- **selects** rows of the indicator tables (``results/indicators/*.csv``), the row accounting,
  the linkage reports, the validation checks and the ingest reports;
- **reshapes** them (one column per wave, one column per programme…);
- **labels** codes in French (programmes, measures, items, subgroups, reasons, flags);
- **adds up row counts** across the waves of a programme (sample flow: answers read in the
  pre and post exports), which is bookkeeping, not estimation.

Functions return plain DataFrames with the published numbers (and ``suppressed``), to be
formatted with :func:`impact.formatting.fmt_table`; the few pivots whose cells mix several
rows are formatted here (cells under the disclosure threshold read « s. »). Nothing here names
a programme: labels come from the instrument and the codebooks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from impact import contract
from impact.formatting import (
    MISSING,
    NNBSP,
    SECRET,
    effect_magnitude,
    fmt_ci,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_pct,
    is_missing,
)

__all__ = [
    "INSERTION_MEASURES",
    "INSERTION_SHORT",
    "MAX_LISTED_VALUES",
    "NOT_MEASURED",
    "Labels",
    "accounting_table",
    "attrition_table",
    "cell",
    "change_pairs",
    "change_table",
    "ci_nb",
    "ci_text",
    "comparison_table",
    "estimate_text",
    "flow_frame",
    "forest_frame",
    "funnel_frame",
    "group_rows",
    "imbalance_table",
    "ingest_table",
    "insertion_curve",
    "insertion_definitions",
    "insertion_models",
    "insertion_rates",
    "insertion_rows",
    "insertion_subgroups",
    "intention_table",
    "item_table",
    "key_effects_table",
    "likert_frame",
    "linkage_table",
    "load_indicators",
    "load_labels",
    "magnitude_text",
    "mde_table",
    "multiplicity_table",
    "natural_key",
    "ordinal_table",
    "reliability_table",
    "response_rates",
    "robustness_table",
    "select",
    "subgroup_table",
    "validation_failures",
    "validation_summary",
    "wwc_attrition_class",
    "wwc_attrition_words",
    "wwc_equivalence_words",
]

NOT_MEASURED = "non mesurée"
#: A subgroup variable with more published cells than this (sites of a national campaign) is
#: summarised in the subgroup table (median and quartiles of its cells); every cell stays in
#: the indicator tables and the funnel plot.
MAX_LISTED_VALUES = 20
WAVE_WORDS = {"pre": "avant", "post": "après", "followup": "suivi"}

#: Insertion outcomes (measures) the insertion stage publishes, with their French labels.
INSERTION_MEASURES = {
    "employment": "Accès à l'emploi",
    "durable_employment": "Emploi durable (6 mois ou plus)",
    "qualifying_training": "Formation qualifiante",
    "positive_exit": "Sortie positive (emploi durable ou formation qualifiante)",
    "job_in_industry": "Emploi ou formation dans l'industrie",
}

#: Exclusion rules and check families of the validation stage, in French.
REASONS = {
    "no_consent": "pas de consentement",
    "consent_missing": "consentement non renseigné",
    "test_submission": "réponse de test",
    "exact_duplicate": "doublon exact",
    "duplicate_code": "code pseudonyme en double",
    "incomplete": "questionnaire incomplet",
    "parse_error": "valeur illisible",
    "speeder": "réponse trop rapide",
    "straightliner": "même réponse à tous les items",
    "value_range": "valeur hors de l'intervalle prévu",
    "allowed_codes": "code de réponse non prévu",
    "dates_ordered": "dates incohérentes",
    "required_answers": "réponse obligatoire manquante",
    "required_columns": "colonne attendue absente",
    "row_count": "nombre de lignes hors limites",
    "campaign_window": "dates hors de la campagne",
    "kept_by_decision": "conservée sur décision documentée",
}
SEVERITIES = {"stop": "arrêt", "quarantine": "quarantaine", "exclude": "exclusion",
              "warn": "signalement"}

#: Subgroup variables that are not in the instrument's background block.
EXTRA_SUBGROUPS = {"age_band": "Tranche d'âge", "unemployment_band": "Durée de chômage",
                   "education": "Niveau de diplôme", "group": "Groupe d'évaluation"}


# --------------------------------------------------------------------------- labels


@dataclass
class Labels:
    """French labels of every code the report prints, from the instrument and codebooks."""

    programmes: dict[str, str] = field(default_factory=dict)
    codebooks: dict[str, dict] = field(default_factory=dict)
    measures: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    item_scale: dict[str, str] = field(default_factory=dict)
    reverse: set[str] = field(default_factory=set)
    response_scales: dict[str, dict] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    instrument: dict = field(default_factory=dict)

    def programme(self, code: str) -> str:
        if code == "pooled":
            return "Ensemble (méta-analyse)"
        return self.programmes.get(code, code)

    def measure(self, code: str) -> str:
        return self.measures.get(code, code)

    def item(self, code: str, with_code: bool = False) -> str:
        text = self.items.get(code, code)
        if code in self.reverse:
            text += " (item inversé)"
        return f"{code} – {text}" if with_code else text

    def variable(self, code: str) -> str:
        return self.variables.get(code, EXTRA_SUBGROUPS.get(code, code))

    def value(self, variable: str, code: str) -> str:
        return self.codes.get(variable, {}).get(code, code)

    def wave(self, code: str) -> str:
        return WAVE_WORDS.get(code, code)

    def response_labels(self, programme: str) -> dict[int, str]:
        scale = self.codebooks.get(programme, {}).get("response_scale")
        codes = self.response_scales.get(scale, {}).get("codes", {})
        return {int(k): str(v) for k, v in codes.items()}

    def scales(self, programme: str) -> list[str]:
        return list(self.codebooks.get(programme, {}).get("scales", []))

    def single_items(self, programme: str) -> list[str]:
        return list(self.codebooks.get(programme, {}).get("single_items", []))

    def has_comparison(self, programme: str) -> bool:
        return bool(self.codebooks.get(programme, {}).get("comparison_group", False))


def load_labels(instrument: str | Path, codebooks: Mapping[str, str | Path]) -> Labels:
    """Labels from ``surveys/instrument.yaml`` and the codebooks (programme → path)."""
    inst = yaml.safe_load(Path(instrument).read_text(encoding="utf-8")) or {}
    lab = Labels(instrument=inst)
    for name, scale in (inst.get("scales") or {}).items():
        lab.measures[name] = scale.get("label", name)
        lab.descriptions[name] = scale.get("description", "")
        for item, spec in (scale.get("items") or {}).items():
            lab.items[item] = (spec or {}).get("text", item)
            lab.item_scale[item] = name
            if (spec or {}).get("reverse"):
                lab.reverse.add(item)
    for name, spec in (inst.get("single_items") or {}).items():
        lab.measures[name] = spec.get("label", name)
        lab.descriptions[name] = spec.get("text", "")
        if spec.get("codes"):
            lab.codes[name] = {str(k): str(v) for k, v in spec["codes"].items()}
    for block in ("background", "followup"):
        for name, spec in (inst.get(block) or {}).items():
            lab.variables[name] = spec.get("label", name)
            if spec.get("codes"):
                lab.codes[name] = {str(k): str(v) for k, v in spec["codes"].items()}
    lab.measures.update({m: d["label"] for m, d in insertion_definitions().items()})
    lab.response_scales = dict(inst.get("response_scales") or {})
    for programme, path in codebooks.items():
        book = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        lab.codebooks[programme] = book
        lab.programmes[programme] = book.get("label", programme)
    return lab


# --------------------------------------------------------------------------- reading


def load_indicators(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The indicator tables, concatenated; a row present in two files (a programme's table and
    ``pooled.csv``) is kept once."""
    frames = [contract.read_csv(p) for p in paths]
    if not frames:
        return contract.tidy([])
    table = pd.concat(frames, ignore_index=True)
    return table.drop_duplicates(subset=contract.KEY, keep="first").reset_index(drop=True)


def select(table: pd.DataFrame, **criteria: object) -> pd.DataFrame:
    """Rows whose columns equal the given values (a list/tuple/set means « one of »)."""
    mask = pd.Series(True, index=table.index)
    for column, value in criteria.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set):
            mask &= table[column].isin(list(value))
        else:
            mask &= table[column] == value
    return table[mask]


def _one(table: pd.DataFrame, **criteria: object) -> pd.Series | None:
    rows = select(table, **criteria)
    return None if rows.empty else rows.iloc[0]


def _ordered_measures(table: pd.DataFrame, labels: Labels, programme: str | None) -> list[str]:
    """Measures present in ``table``, in the codebook's order (scales, then single items),
    others after them in order of appearance."""
    present = list(pd.unique(table["measure"]))
    if programme is not None:
        order = labels.scales(programme) + labels.single_items(programme)
    else:
        order = []
        for book in labels.codebooks.values():
            for m in list(book.get("scales", [])) + list(book.get("single_items", [])):
                if m not in order:
                    order.append(m)
    first = [m for m in order if m in present]
    return first + [m for m in present if m not in first]


def change_pairs(table: pd.DataFrame, programme: str) -> list[tuple[str, str]]:
    """(wave_from, wave_to) of the programme's paired changes, in order of appearance."""
    rows = select(table, programme=programme, indicator="mean_change", subgroup="all")
    return list(dict.fromkeys(zip(rows["wave_from"], rows["wave_to"], strict=True)))


# --------------------------------------------------------------------------- formatting


def cell(value: object, fmt=fmt_number, suppressed: bool = False) -> str:
    """One formatted cell: « s. » under the disclosure threshold, « – » when missing."""
    if suppressed:
        return SECRET
    if is_missing(value):
        return MISSING
    return fmt(value)


def group_rows(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Turn a column of repeated labels (a programme, a subgroup variable) into group
    headings: one row carrying the label in the first remaining column, all other cells "",
    before each run of rows with that label (:func:`impact.notes.table_html` renders such a
    row as a heading spanning the table). Cells must be formatted strings."""
    if frame.empty or column not in frame.columns:
        return frame
    others = [c for c in frame.columns if c != column]
    if not others:
        return frame
    rows, previous = [], None
    for _, r in frame.iterrows():
        label = str(r[column])
        if label != previous:
            rows.append({others[0]: label, **{c: "" for c in others[1:]}})
            previous = label
        rows.append({c: (MISSING if isinstance(r[c], str) and r[c] == "" else r[c])
                     for c in others})
    return pd.DataFrame(rows, columns=others)


def estimate_text(value: object, unit: str, decimals: int | None = None) -> str:
    """A published estimate in its unit: proportions as percentages, counts as integers."""
    if is_missing(value):
        return MISSING
    if unit == "proportion":
        return fmt_pct(value, 1 if decimals is None else decimals)
    if unit == "count":
        return fmt_int(value)
    if unit == "percentage_points":
        return f"{fmt_number(value, 1 if decimals is None else decimals)}{NNBSP}pt"
    if unit == "pomp":
        return fmt_number(value, 1 if decimals is None else decimals)
    return fmt_number(value, 2 if decimals is None else decimals)


def ci_nb(low: object, high: object, decimals: int = 2) -> str:
    """:func:`fmt_ci` with a no-break space after « ; », so that a table cell may wrap
    before an interval but never inside it."""
    return fmt_ci(low, high, decimals).replace("; ", ";\u00a0")


def ci_text(low: object, high: object, unit: str) -> str:
    if is_missing(low) or is_missing(high):
        return MISSING
    if unit == "proportion":
        return f"[{fmt_pct(low)}{NNBSP};\u00a0{fmt_pct(high)}]"
    return ci_nb(low, high, 1 if unit in ("pomp", "percentage_points") else 2)


def magnitude_text(es: object, es_type: str) -> str:
    """« 0,36 (faible) »."""
    if is_missing(es):
        return MISSING
    words = effect_magnitude(es, es_type)
    return f"{fmt_number(es, 2)} ({words})" if words else fmt_number(es, 2)


def wwc_attrition_words(flag: str) -> str:
    """« élevée (frontière prudente) ; élevée (frontière optimiste) » from the WWC flags."""
    words = {"low": "faible", "high": "élevée"}
    bounds = {"cautious": "frontière prudente", "optimistic": "frontière optimiste"}
    out = []
    for part in str(flag or "").split(";"):
        bits = part.strip().split("_")
        if len(bits) == 3 and bits[0] == "wwc" and bits[1] in bounds and bits[2] in words:
            out.append(f"{words[bits[2]]} ({bounds[bits[1]]})")
    return " ; ".join(out) if out else MISSING


def wwc_attrition_class(flag: str, boundary: str) -> str:
    """« faible » / « élevée » attrition against one WWC boundary (``cautious`` or
    ``optimistic``), read from the ``wwc_<boundary>_<low|high>`` flags; « – » if absent."""
    words = {"low": "faible", "high": "élevée"}
    for part in str(flag or "").split(";"):
        bits = part.strip().split("_")
        if len(bits) == 3 and bits[:2] == ["wwc", boundary] and bits[2] in words:
            return words[bits[2]]
    return MISSING


def wwc_equivalence_words(flag: str) -> str:
    """WWC baseline-equivalence class in French."""
    return {
        "wwc_satisfied": "équivalence établie",
        "wwc_adjustment_required": "équivalence sous réserve d'ajustement",
        "wwc_not_satisfied": "équivalence non établie",
    }.get(str(flag or "").strip(), MISSING)


# --------------------------------------------------------------------------- data and method


def ingest_table(reports: Iterable[str | Path], labels: Labels) -> pd.DataFrame:
    """One row per export, from the ingest reports: file, tool, format, encoding, rows."""
    rows = []
    for path in reports:
        r = json.loads(Path(path).read_text(encoding="utf-8"))
        rows.append({
            "Programme": labels.programme(r.get("programme", "")),
            "Vague": labels.wave(r.get("wave", "")),
            "Fichier": r.get("file", ""),
            "Outil": r.get("tool", ""),
            "Format": f"{r.get('format', '')} ({r.get('encoding', '')})".replace(" ()", ""),
            "Lignes lues": fmt_int(r.get("rows_read")),
            "Identifiants retirés": fmt_int(len(r.get("identifiers_dropped", []) or [])),
        })
    return pd.DataFrame(rows)


def _accounting(accounting: pd.DataFrame) -> pd.DataFrame:
    acc = accounting.copy()
    acc["reason"] = acc["reason"].fillna("").astype(str)
    acc["rows"] = pd.to_numeric(acc["rows"]).astype("int64")
    return acc


def accounting_table(accounting: pd.DataFrame, labels: Labels,
                     waves: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Rows read, excluded, quarantined and kept per export (the « nothing lost » identity)."""
    acc = _accounting(accounting)
    totals = acc[acc["reason"] == ""].pivot_table(index=["programme", "wave"],
                                                  columns="outcome", values="rows",
                                                  aggfunc="sum", fill_value=0)
    rows = []
    for programme in pd.unique(acc["programme"]):
        order = list((waves or {}).get(programme, [])) or list(
            pd.unique(acc.loc[acc["programme"] == programme, "wave"]))
        for wave in order:
            if (programme, wave) not in totals.index:
                continue
            t = totals.loc[(programme, wave)]
            rows.append({"Programme": labels.programme(programme),
                         "Vague": labels.wave(wave),
                         "Lues": fmt_int(t.get("read", 0)),
                         "Exclues": fmt_int(t.get("excluded", 0)),
                         "En quarantaine": fmt_int(t.get("quarantined", 0)),
                         "Conservées": fmt_int(t.get("kept", 0))})
    return pd.DataFrame(rows)


def flow_frame(accounting: pd.DataFrame, table: pd.DataFrame,
               quality: Mapping[str, pd.DataFrame], labels: Labels,
               waves: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Input of :func:`impact.figures.sample_flow`: ``programme, stage, reason, n``.

    read / excluded / quarantined / kept: the row accounting, added up over the programme's
    exports (one total row per stage, plus one row per reason — a quarantined answer failing
    two checks counts under both reasons). linked: links between the first two waves (linkage
    report). analysed: the complete pairs of the paired analysis (``n`` of the
    ``mean_change`` rows of the participants, plus the comparison group's when there is one;
    the largest over the measures, as an item may be missing for a few).
    """
    acc = _accounting(accounting)
    rows = []
    for programme in waves:
        sub = acc[acc["programme"] == programme]
        if sub.empty:
            continue
        for stage in ("read", "excluded", "quarantined", "kept"):
            st = sub[sub["outcome"] == stage]
            total = int(st.loc[st["reason"] == "", "rows"].sum())
            if stage in ("excluded", "quarantined"):
                rows.append((programme, stage, "", total))
                by_reason = st[st["reason"] != ""].groupby("reason", sort=False)["rows"].sum()
                for reason, n in by_reason.items():
                    if n > 0:
                        rows.append((programme, stage, REASONS.get(reason, reason), int(n)))
            else:
                rows.append((programme, stage, "", total))
        wv = list(waves[programme])
        q = quality.get(programme)
        if q is not None and len(wv) >= 2:
            link = q[(q["wave_from"].astype(str) == wv[0]) & (q["wave_to"].astype(str) == wv[1])]
            if len(link) and not is_missing(link["links"].iloc[0]):
                rows.append((programme, "linked", "", int(link["links"].iloc[0])))
        if len(wv) >= 2:
            change = select(table, programme=programme, indicator="mean_change",
                            wave_from=wv[0], wave_to=wv[1])
            n = 0
            for criteria in ({"subgroup": "all"},
                             {"subgroup": "group", "subgroup_value": "comparison"}):
                cells = select(change, **criteria)["n"].dropna()
                n += int(cells.max()) if len(cells) else 0
            if n:
                rows.append((programme, "analysed", "", n))
    return pd.DataFrame(rows, columns=["programme", "stage", "reason", "n"])


def validation_summary(checks: Mapping[tuple[str, str], str | Path],
                       labels: Labels) -> pd.DataFrame:
    """Per export: checks run, passed, failed (by severity)."""
    rows = []
    for (programme, wave), path in checks.items():
        c = pd.read_csv(path, keep_default_na=False, na_values=[""])
        ok = c["success"].astype(str).str.lower().eq("true")
        failed = c[~ok]
        row = {"Programme": labels.programme(programme), "Vague": labels.wave(wave),
               "Contrôles": fmt_int(len(c)), "Réussis": fmt_int(int(ok.sum()))}
        for severity, word in (("exclude", "Échecs → exclusion"),
                               ("quarantine", "Échecs → quarantaine"),
                               ("warn", "Échecs signalés")):
            row[word] = fmt_int(int((failed["severity"] == severity).sum()))
        rows.append(row)
    return pd.DataFrame(rows)


def validation_failures(checks: Mapping[tuple[str, str], str | Path],
                        labels: Labels) -> pd.DataFrame:
    """Every failed check: export, check (family in French), column, severity, rows."""
    rows = []
    for (programme, wave), path in checks.items():
        c = pd.read_csv(path, keep_default_na=False, na_values=[""])
        failed = c[~c["success"].astype(str).str.lower().eq("true")]
        for _, r in failed.iterrows():
            family, _, detail = str(r["check"]).partition(":")
            column = str(r.get("column", "") or "")
            if column.startswith("_"):
                column = "(colonne dérivée)"
            rows.append({
                "Programme": labels.programme(programme),
                "Vague": labels.wave(wave),
                "Contrôle": REASONS.get(family, family) + (f" ({detail})" if detail else ""),
                "Colonne": column or MISSING,
                "Conséquence": SEVERITIES.get(str(r["severity"]), str(r["severity"])),
                "Lignes": cell(r.get("unexpected_count"), fmt_int),
            })
    return pd.DataFrame(rows, columns=["Programme", "Vague", "Contrôle", "Colonne",
                                       "Conséquence", "Lignes"])


def linkage_table(quality: Mapping[str, pd.DataFrame], labels: Labels,
                  synthetic: bool) -> pd.DataFrame:
    """Linkage between waves, from the linkage reports (precision/recall: synthetic only)."""
    rows = []
    for programme, q in quality.items():
        for _, r in q.iterrows():
            pair = ("Ensemble" if r["wave_from"] == "all"
                    else f"{labels.wave(str(r['wave_from']))} → {labels.wave(str(r['wave_to']))}")
            row = {"Programme": labels.programme(programme), "Vagues": pair,
                   "Réponses de la vague d'arrivée": cell(r["n_to"], fmt_int),
                   "Liens": cell(r["links"], fmt_int),
                   "dont tolérants": cell(r["tolerant"], fmt_int),
                   "Taux d'appariement": cell(r["match_rate"], fmt_pct)}
            if synthetic:
                row["Précision"] = cell(r.get("precision"), fmt_pct)
                row["Rappel"] = cell(r.get("recall"), fmt_pct)
            rows.append(row)
    return pd.DataFrame(rows)


def item_table(labels: Labels, programmes: Sequence[str]) -> pd.DataFrame:
    """Codebook summary: every item of the scales used, its wording, and who asks it."""
    rows = []
    used = {}
    for p in programmes:
        for s in labels.scales(p):
            used.setdefault(s, []).append(p)
    for scale, progs in used.items():
        for item, owner in labels.item_scale.items():
            if owner != scale:
                continue
            rows.append({"Échelle": labels.measure(scale), "Item": item,
                         "Formulation": labels.items.get(item, item),
                         "Inversé": "oui" if item in labels.reverse else "non",
                         "Programmes": ", ".join(labels.programme(p) for p in progs)})
    return pd.DataFrame(rows)


def reliability_table(table: pd.DataFrame, labels: Labels, threshold: float) -> pd.DataFrame:
    """α [CI] and ω per programme × scale, one pair of columns per wave; « † » marks an α
    under the threshold (flag ``alpha_below_…`` of the indicator table)."""
    rel = select(table, indicator=["alpha", "omega"], subgroup="all")
    rel = rel[rel["programme"] != "pooled"]
    waves = list(pd.unique(rel["wave_from"]))
    order = [w for w in ("pre", "post", "followup") if w in waves] + \
        [w for w in waves if w not in ("pre", "post", "followup")]
    rows = []
    for programme in pd.unique(rel["programme"]):
        sub = rel[rel["programme"] == programme]
        for measure in _ordered_measures(sub, labels, programme):
            row = {"Programme": labels.programme(programme), "Échelle": labels.measure(measure)}
            for wave in order:
                a = _one(sub, measure=measure, indicator="alpha", wave_from=wave)
                o = _one(sub, measure=measure, indicator="omega", wave_from=wave)
                word = labels.wave(wave)
                if a is None:
                    row[f"n ({word})"] = row[f"α [IC 95 %] ({word})"] = MISSING
                    row[f"ω ({word})"] = MISSING
                    continue
                secret = bool(a["suppressed"])
                low = "alpha_below" in str(a["flag"]) or (
                    not is_missing(a["estimate"]) and a["estimate"] < threshold)
                alpha = cell(a["estimate"], suppressed=secret)
                if not secret and alpha != MISSING:
                    alpha += " " + ci_nb(a["ci_low"], a["ci_high"]) + (" †" if low else "")
                row[f"n ({word})"] = cell(a["n"], fmt_int, secret)
                row[f"α [IC 95 %] ({word})"] = alpha
                row[f"ω ({word})"] = cell(o["estimate"] if o is not None else None,
                                          suppressed=bool(o["suppressed"]) if o is not None
                                          else secret)
            rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- results


def change_table(table: pd.DataFrame, programme: str, labels: Labels,
                 wave_from: str, wave_to: str, *, subgroup: str = "all",
                 subgroup_value: str = "") -> pd.DataFrame:
    """Paired change per measure: pair means, mean change [CI], d_z, g_av [CI], p, adjusted p.

    One row per measure (codebook order); ``suppressed`` is true when any of the rows it
    gathers is suppressed. Columns keep the published numbers (to format with fmt_table).
    """
    crit = dict(programme=programme, subgroup=subgroup, subgroup_value=subgroup_value)
    changes = select(table, indicator="mean_change", wave_from=wave_from, wave_to=wave_to,
                     **crit)
    rows = []
    for measure in _ordered_measures(changes, labels, programme):
        mc = _one(changes, measure=measure)
        g = _one(table, measure=measure, indicator="g_av", wave_from=wave_from,
                 wave_to=wave_to, **crit)
        pre = _one(table, measure=measure, indicator="pair_mean", wave_from=wave_from, **crit)
        post = _one(table, measure=measure, indicator="pair_mean", wave_from=wave_to, **crit)
        parts = [r for r in (mc, g, pre, post) if r is not None]
        rows.append({
            "measure": measure,
            "label": labels.measure(measure),
            "unit": mc["unit"],
            "n": mc["n"],
            "mean_pre": pre["estimate"] if pre is not None else np.nan,
            "mean_post": post["estimate"] if post is not None else np.nan,
            "change": mc["estimate"], "ci_low": mc["ci_low"], "ci_high": mc["ci_high"],
            "d_z": mc["effect_size"],
            "g_av": g["effect_size"] if g is not None else np.nan,
            "g_low": g["ci_low"] if g is not None else np.nan,
            "g_high": g["ci_high"] if g is not None else np.nan,
            "p_value": mc["p_value"], "p_adjusted": mc["p_adjusted"],
            "adjustment": mc["adjustment"],
            "suppressed": any(bool(r["suppressed"]) for r in parts),
        })
    return pd.DataFrame(rows, columns=[
        "measure", "label", "unit", "n", "mean_pre", "mean_post", "change", "ci_low",
        "ci_high", "d_z", "g_av", "g_low", "g_high", "p_value", "p_adjusted", "adjustment",
        "suppressed"])


def forest_frame(table: pd.DataFrame, labels: Labels, programmes: Sequence[str],
                 pooled: bool = True) -> pd.DataFrame:
    """Input of :func:`impact.figures.forest_plot`: g_av of every measure (participants, all),
    grouped by programme (programme labels), pooled estimates last."""
    rows = []
    for programme in list(programmes) + (["pooled"] if pooled else []):
        g = select(table, programme=programme, indicator="g_av", subgroup="all")
        for measure in _ordered_measures(g, labels, programme if programme != "pooled"
                                         else None):
            r = _one(g, measure=measure)
            rows.append({"programme": labels.programme(programme),
                         "measure": labels.measure(measure),
                         "effect_size": r["effect_size"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"], "es_type": r["es_type"] or "g_av",
                         "suppressed": bool(r["suppressed"])})
    return pd.DataFrame(rows, columns=["programme", "measure", "effect_size", "ci_low",
                                       "ci_high", "es_type", "suppressed"])


def key_effects_table(table: pd.DataFrame, labels: Labels,
                      programmes: Sequence[str]) -> pd.DataFrame:
    """Synthèse: g_av with its magnitude, one row per measure, one column per programme
    (and the pooled estimate when there is one)."""
    g = select(table, indicator="g_av", subgroup="all")
    cols = [p for p in programmes if p in set(g["programme"])]
    if "pooled" in set(g["programme"]):
        cols.append("pooled")
    measures = _ordered_measures(g[g["programme"].isin(cols)], labels, None)
    rows = []
    for measure in measures:
        row = {"Mesure": labels.measure(measure)}
        for p in cols:
            r = _one(g, programme=p, measure=measure)
            row[labels.programme(p)] = (NOT_MEASURED if r is None else
                                        cell(r["effect_size"],
                                             lambda v, t=r["es_type"]: magnitude_text(v, t),
                                             bool(r["suppressed"])))
        rows.append(row)
    return pd.DataFrame(rows)


def likert_frame(table: pd.DataFrame, programme: str, items: Sequence[str],
                 labels: Labels, waves: Sequence[str]) -> pd.DataFrame:
    """Input of :func:`impact.figures.likert_diverging` for some items of a programme, from
    the ``share_response`` rows (one per item × wave × response code)."""
    rows = select(table, programme=programme, indicator="share_response", measure=list(items),
                  subgroup="response", wave_from=list(waves))
    out = pd.DataFrame({
        "item": rows["measure"].map(lambda m: labels.item(m)),
        "code": rows["measure"],
        "wave": rows["wave_from"],
        "response": pd.to_numeric(rows["subgroup_value"], errors="coerce"),
        "share": rows["estimate"].fillna(0.0),
        "n": rows["n"],
        "suppressed": rows["suppressed"],
    })
    out = out.dropna(subset=["response"])
    out["response"] = out["response"].astype(int)
    order = {m: i for i, m in enumerate(items)}
    wave_order = {w: i for i, w in enumerate(waves)}
    return (out.assign(_i=out["code"].map(order), _w=out["wave"].map(wave_order))
            .sort_values(["_i", "_w", "response"], kind="stable")
            .drop(columns=["_i", "_w", "code"]).reset_index(drop=True))


_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_INT = re.compile(r"\d+")


def natural_key(value: str) -> tuple:
    """Sort key of subgroup values: a dd/mm/yyyy date in the label orders by date; else
    « moins de … » first, then by the first number (bands « 25-34 ans », « Session 10 »),
    then alphabetically."""
    text = str(value)
    date = _DATE.search(text)
    if date:
        d, m, y = (int(x) for x in date.groups())
        return (0, (y, m, d), text)
    if text.lower().startswith("moins de"):
        return (1, (-1,), text)
    number = _INT.search(text)
    return (1, (int(number.group()),) if number else (math.inf,), text)


def _subgroup_values(table: pd.DataFrame, variable: str, labels: Labels) -> list[str]:
    present = [v for v in pd.unique(table["subgroup_value"]) if v != ""]
    order = list(labels.codes.get(variable, {}))
    first = [v for v in order if v in present]
    return first + sorted((v for v in present if v not in first), key=natural_key)


def subgroup_table(table: pd.DataFrame, programme: str, labels: Labels,
                   variables: Sequence[str], wave_from: str, wave_to: str,
                   max_listed: int = MAX_LISTED_VALUES) -> pd.DataFrame:
    """g_av per subgroup cell (rows) and measure (columns), with the cell's number of pairs
    and, per variable, the p of the test that the change differs between its cells.

    Cells are formatted: « s. » under the disclosure threshold. The number of pairs is the
    largest over the measures (an item may be missing for a few respondents). A variable with
    more than ``max_listed`` cells is summarised by the median and quartiles of its published
    cells' g_av (:func:`_summarised_cells`) instead of one row per cell."""
    base = select(table, programme=programme, wave_from=wave_from, wave_to=wave_to)
    g_all = select(base, indicator="g_av", subgroup=list(variables))
    measures = _ordered_measures(g_all, labels, programme)
    rows = []
    for variable in variables:
        g = select(g_all, subgroup=variable)
        if g.empty:
            continue
        mc = select(base, indicator="mean_change", subgroup=variable)
        values = _subgroup_values(g, variable, labels)
        if len(values) > max_listed:
            rows += _summarised_cells(g, mc, labels.variable(variable), measures, labels)
            values = []
        for value in values:
            gv = select(g, subgroup_value=value)
            secret_all = bool(gv["suppressed"].all())
            ns = select(mc, subgroup_value=value)
            n = ns.loc[~ns["suppressed"], "n"].dropna()
            row = {"Sous-groupe": labels.variable(variable),
                   "Modalité": labels.value(variable, value),
                   "Paires": SECRET if secret_all or n.empty else fmt_int(n.max())}
            for m in measures:
                r = _one(gv, measure=m)
                row[labels.measure(m)] = (MISSING if r is None else
                                          cell(r["effect_size"], suppressed=bool(r["suppressed"])))
            rows.append(row)
        tests = select(base, indicator="interaction_test", subgroup=variable)
        if not tests.empty:
            row = {"Sous-groupe": labels.variable(variable),
                   "Modalité": "p du test d'interaction", "Paires": MISSING}
            for m in measures:
                r = _one(tests, measure=m)
                row[labels.measure(m)] = (MISSING if r is None else
                                          cell(r["p_value"], lambda p: fmt_p(p, with_p=False),
                                               bool(r["suppressed"])))
            rows.append(row)
    return pd.DataFrame(rows)


def _summarised_cells(g: pd.DataFrame, mc: pd.DataFrame, variable_label: str,
                      measures: Sequence[str], labels: Labels) -> list[dict]:
    """Median and quartiles (Q1 ; Q3) of the published cells' g_av, per measure."""
    shown = g[~g["suppressed"].astype(bool) & g["effect_size"].notna()]
    cells = g["subgroup_value"].nunique()
    published = shown["subgroup_value"].nunique()
    pairs = mc.loc[~mc["suppressed"].astype(bool)].groupby("subgroup_value")["n"].max()
    median = {"Sous-groupe": variable_label,
              "Modalité": (f"médiane des {fmt_int(published)} modalités publiées (sur "
                           f"{fmt_int(cells)})"),
              "Paires": fmt_int(pairs.sum()) if len(pairs) else SECRET}
    quartiles = {"Sous-groupe": variable_label, "Modalité": "1er et 3e quartiles",
                 "Paires": MISSING}
    for m in measures:
        values = shown.loc[shown["measure"] == m, "effect_size"].astype(float)
        if values.empty:
            median[labels.measure(m)] = quartiles[labels.measure(m)] = SECRET
            continue
        q1, q2, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        median[labels.measure(m)] = fmt_number(q2)
        quartiles[labels.measure(m)] = ci_nb(q1, q3)
    return [median, quartiles]


def funnel_frame(table: pd.DataFrame, programme: str, variable: str, wave_from: str,
                 wave_to: str, labels: Labels, alpha: float = 0.05) -> pd.DataFrame:
    """Per published cell of ``variable`` and scale: the mean change and its number of
    pairs, beside the whole programme's mean change (``overall``) and the SD of the individual
    changes behind it (``sd_overall``), from which a funnel plot draws its control limits.

    The SD is read back from the published interval (level 1 − ``alpha``, the analysis'
    setting), s = (ci_high − ci_low) / (2 t_{1−α/2, n−1}) · √n; the report recomputes no
    statistic (the module docstring)."""
    from scipy import stats

    base = select(table, programme=programme, wave_from=wave_from, wave_to=wave_to,
                  indicator="mean_change", unit="points")
    overall = select(base, subgroup="all")
    overall = overall[~overall["suppressed"].astype(bool) & overall["n"].gt(1)]
    cells = select(base, subgroup=variable)
    cells = cells[~cells["suppressed"].astype(bool) & cells["estimate"].notna()]
    if overall.empty or cells.empty:
        return pd.DataFrame(columns=["measure", "label", "subgroup_value", "n", "estimate",
                                     "overall", "sd_overall"])
    n = overall["n"].astype(float)
    half_width = (overall["ci_high"] - overall["ci_low"]) / 2
    sd = half_width / stats.t.ppf(1 - alpha / 2, n - 1) * np.sqrt(n)
    ref = pd.DataFrame({"measure": overall["measure"], "overall": overall["estimate"],
                        "sd_overall": sd})
    frame = cells[["measure", "subgroup_value", "n", "estimate"]].merge(ref, on="measure")
    frame = frame[frame["measure"].isin(labels.scales(programme))]
    order = {m: i for i, m in enumerate(_ordered_measures(frame, labels, programme))}
    frame = frame.assign(label=frame["measure"].map(labels.measure),
                         _order=frame["measure"].map(order))
    return frame.sort_values(["_order", "subgroup_value"], kind="stable").drop(
        columns="_order").reset_index(drop=True)


def intention_table(table: pd.DataFrame, labels: Labels,
                    programmes: Sequence[str]) -> pd.DataFrame:
    """Share answering « oui » before and after, McNemar test, switches (published rows)."""
    rows = []
    for programme in programmes:
        for wave_from, wave_to in change_pairs(table, programme):
            base = select(table, programme=programme, subgroup="all")
            mc = _one(base, indicator="mcnemar", wave_from=wave_from, wave_to=wave_to)
            if mc is None:
                continue
            pre = _one(base, indicator="share_positive", wave_from=wave_from, wave_to="")
            post = _one(base, indicator="share_positive", wave_from=wave_to, wave_to="")
            up = _one(base, indicator="switch_to_positive", wave_from=wave_from,
                      wave_to=wave_to)
            down = _one(base, indicator="switch_from_positive", wave_from=wave_from,
                        wave_to=wave_to)
            parts = [r for r in (mc, pre, post, up, down) if r is not None]
            rows.append({
                "programme": labels.programme(programme), "measure": mc["measure"],
                "n": mc["n"],
                "share_pre": pre["estimate"] if pre is not None else np.nan,
                "share_post": post["estimate"] if post is not None else np.nan,
                "diff": mc["estimate"], "ci_low": mc["ci_low"], "ci_high": mc["ci_high"],
                "p_value": mc["p_value"], "p_adjusted": mc["p_adjusted"],
                "to_positive": up["estimate"] if up is not None else np.nan,
                "from_positive": down["estimate"] if down is not None else np.nan,
                "suppressed": any(bool(r["suppressed"]) for r in parts),
            })
    return pd.DataFrame(rows, columns=["programme", "measure", "n", "share_pre", "share_post",
                                       "diff", "ci_low", "ci_high", "p_value", "p_adjusted",
                                       "to_positive", "from_positive", "suppressed"])


# --------------------------------------------------------------------------- insertion


#: Short outcome names for column headings.
INSERTION_SHORT = {
    "employment": "Emploi",
    "durable_employment": "Emploi durable",
    "qualifying_training": "Formation qualifiante",
    "positive_exit": "Sortie positive",
    "job_in_industry": "Industrie",
    "job_in_industry_among_active": "Industrie (actifs)",
}


def insertion_definitions() -> dict[str, dict]:
    """French label and definition of each insertion outcome: those of
    :mod:`impact.insertion` when it is installed, else the short labels above."""
    try:
        from impact.insertion import DEFINITIONS
    except ImportError:  # pragma: no cover - the insertion stage is optional
        DEFINITIONS = {}
    out = {m: {"label": lab, "definition": ""} for m, lab in INSERTION_MEASURES.items()}
    for m, spec in DEFINITIONS.items():
        out[m] = {"label": spec.get("label", m),  # Markdown code spans read as plain text
                  "definition": str(spec.get("definition", "")).replace("`", "")}
    return out


def insertion_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Every published row about insertion: the outcomes, and the follow-up response rate."""
    measures = set(insertion_definitions()) | {"followup", "situation"}
    return table[table["measure"].isin(measures) & (table["programme"] != "pooled")]


def _outcome_order(measures: Iterable[str]) -> list[str]:
    order = list(insertion_definitions())
    present = list(dict.fromkeys(measures))
    return [m for m in order if m in present] + [m for m in present if m not in order]


def insertion_rates(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Per programme and outcome: rate among follow-up respondents (Wilson CI) and its Manski
    bounds over the whole follow-up cohort (every non-respondent failed / succeeded)."""
    rows = insertion_rows(table)
    rates = select(rows, indicator="rate", subgroup="all")
    out = []
    for programme in pd.unique(rates["programme"]):
        sub = select(rows, programme=programme, subgroup="all")
        for measure in _outcome_order(select(rates, programme=programme)["measure"]):
            r = _one(sub, measure=measure, indicator="rate")
            lo = _one(sub, measure=measure, indicator="rate_worst_case")
            hi = _one(sub, measure=measure, indicator="rate_best_case")
            out.append({
                "programme": labels.programme(programme), "code": programme,
                "outcome": measure, "measure": labels.measure(measure),
                "wave": labels.wave(r["wave_from"]),
                "n": r["n"], "estimate": r["estimate"], "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "cohort": lo["n"] if lo is not None else np.nan,
                "worst": lo["estimate"] if lo is not None else np.nan,
                "best": hi["estimate"] if hi is not None else np.nan,
                "suppressed": any(bool(x["suppressed"]) for x in (r, lo, hi) if x is not None),
            })
    return pd.DataFrame(out, columns=["programme", "code", "outcome", "measure", "wave", "n",
                                      "estimate",
                                      "ci_low", "ci_high", "cohort", "worst", "best",
                                      "suppressed"])


def response_rates(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Follow-up response rate of each programme's cohort (whole cohort)."""
    r = select(insertion_rows(table), measure="followup", indicator="response_rate",
               subgroup="all")
    return pd.DataFrame({"programme": r["programme"].map(labels.programme), "n": r["n"],
                         "estimate": r["estimate"], "suppressed": r["suppressed"]})


def insertion_subgroups(table: pd.DataFrame, programme: str, labels: Labels,
                        variables: Sequence[str]) -> pd.DataFrame:
    """Rates per subgroup cell (rows) and outcome (columns), formatted (« s. » when secret)."""
    rates = select(insertion_rows(table), programme=programme, indicator="rate",
                   subgroup=list(variables))
    measures = _outcome_order(rates["measure"])
    out = []
    for variable in variables:
        sub = select(rates, subgroup=variable)
        for value in _subgroup_values(sub, variable, labels):
            cells = select(sub, subgroup_value=value)
            n = cells.loc[~cells["suppressed"], "n"].dropna()
            row = {"Sous-groupe": labels.variable(variable),
                   "Modalité": labels.value(variable, value),
                   "Répondants": SECRET if n.empty else fmt_int(n.max())}
            for m in measures:
                r = _one(cells, measure=m)
                row[INSERTION_SHORT.get(m, labels.measure(m))] = MISSING if r is None else cell(
                    r["estimate"], lambda v: fmt_pct(v, 0), bool(r["suppressed"]))
            out.append(row)
    return pd.DataFrame(out)


def _covariate_label(term: str, labels: Labels) -> str:
    var, _, value = term.partition("=")
    if value:
        return f"{labels.variable(var)} : {labels.value(var, value)}"
    if var.endswith("_pre") and var[:-4] in labels.measures:
        return f"{labels.measure(var[:-4])} (score initial)"
    if var.endswith("_change") and var[:-7] in labels.measures:
        return f"{labels.measure(var[:-7])} (évolution)"
    return labels.variable(var)


MODEL_SKIPPED = {
    "quasi_separation": "séparation quasi complète",
    "separation": "séparation complète",
    "too_few_respondents": "trop peu de répondants",
    "too_few_events": "trop peu d'événements",
    "fit_failed": "échec de l'estimation",
}


def insertion_models(table: pd.DataFrame, programme: str, labels: Labels,
                     alpha: float) -> tuple[pd.DataFrame, list[str]]:
    """Average marginal effects (percentage points) of the background model, one row per
    covariate and one column per outcome (« * » when p < alpha), and the list of outcomes
    whose model was not fitted, with the reason."""
    rows = insertion_rows(table)
    ame = select(rows, programme=programme, indicator="ame", subgroup="covariate")
    measures = _outcome_order(ame["measure"])
    out = []
    for term in pd.unique(ame["subgroup_value"]):
        row = {"Covariable": _covariate_label(term, labels)}
        for m in measures:
            r = _one(ame, measure=m, subgroup_value=term)
            row[INSERTION_SHORT.get(m, labels.measure(m))] = MISSING if r is None else cell(
                r["estimate"],
                lambda v, p=r["p_value"]: fmt_number(v, 1) + (
                    " *" if not is_missing(p) and p < alpha else ""),
                bool(r["suppressed"]))
        out.append(row)
    skipped = select(rows, programme=programme, indicator="model_skipped", subgroup="model",
                     subgroup_value="background")
    notes = [f"{labels.measure(r['measure'])} ({MODEL_SKIPPED.get(r['flag'], r['flag'])})"
             for _, r in skipped.iterrows()]
    return pd.DataFrame(out), notes


def insertion_curve(table: pd.DataFrame, programme: str) -> pd.DataFrame:
    """Input of :func:`impact.figures.survival_curve` from the rows with ``subgroup ==
    "month"`` (time in months in ``subgroup_value``; numbers at risk in ``n``)."""
    r = select(insertion_rows(table), programme=programme, subgroup="month")
    out = pd.DataFrame({
        "measure": r["measure"],
        "time": pd.to_numeric(r["subgroup_value"], errors="coerce"),
        "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
        "at_risk": r["n"], "suppressed": r["suppressed"],
    }).dropna(subset=["time"])
    return out.sort_values(["measure", "time"], kind="stable").reset_index(drop=True)


#: Short French names of indicator codes for generic tables.
INDICATOR_WORDS = {
    "rate": "taux",
    "ame": "effet marginal moyen",
    "odds_ratio": "rapport de cotes",
    "mean_change": "évolution moyenne",
    "g_av": "taille d'effet g_av",
    "d_z": "taille d'effet d_z",
    "share_positive": "part de « oui »",
    "ipw_mean_change": "évolution pondérée (IPW)",
    "lmm_change": "évolution (modèle mixte)",
    "did": "différence de différences",
    "baseline_equivalence": "écart initial (g de Hedges)",
    "mde": "effet minimal détectable",
    "interaction_test": "test d'interaction",
}


# --------------------------------------------------------------------------- robustness


def attrition_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Attrition per programme and wave pair: overall, by group, differential and its WWC
    class, and how many baseline covariates differ between stayers and leavers."""
    att = select(table, measure="attrition")
    rows = []
    for programme in pd.unique(att["programme"]):
        if programme == "pooled":
            continue
        sub = att[att["programme"] == programme]
        overall = select(sub, indicator="attrition_overall", subgroup="all")
        for _, o in overall.iterrows():
            pair = dict(wave_from=o["wave_from"], wave_to=o["wave_to"])
            part = _one(sub, indicator="attrition_group", subgroup_value="participant", **pair)
            comp = _one(sub, indicator="attrition_group", subgroup_value="comparison", **pair)
            diff = _one(sub, indicator="attrition_differential", **pair)
            svl = select(sub, indicator="stayers_vs_leavers", **pair)
            rows.append({
                "Programme": labels.programme(programme),
                "Vagues": f"{labels.wave(o['wave_from'])} → {labels.wave(o['wave_to'])}",
                "Effectif initial": cell(o["n"], fmt_int, bool(o["suppressed"])),
                "Attrition": cell(o["estimate"], fmt_pct, bool(o["suppressed"])),
                "Participants / comparaison": MISSING if part is None or comp is None else
                f"{cell(part['estimate'], fmt_pct, bool(part['suppressed']))} / "
                f"{cell(comp['estimate'], fmt_pct, bool(comp['suppressed']))}",
                "Différentielle": MISSING if diff is None else
                cell(diff["estimate"], fmt_pct, bool(diff["suppressed"])),
                "Classe WWC (prudente / optimiste)": MISSING if diff is None else
                f"{wwc_attrition_class(diff['flag'], 'cautious')} / "
                f"{wwc_attrition_class(diff['flag'], 'optimistic')}",
                "Covariables déséquilibrées": (
                    f"{fmt_int(int(svl['flag'].str.contains('imbalance').sum()))} sur "
                    f"{fmt_int(int(svl['estimate'].notna().sum()))}" if len(svl) else MISSING),
            })
    return pd.DataFrame(rows)


def imbalance_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Baseline covariates flagged ``imbalance`` (|standardised difference| > 0,25)."""
    svl = select(table, measure="attrition", indicator="stayers_vs_leavers")
    svl = svl[svl["flag"].str.contains("imbalance") & (svl["programme"] != "pooled")]
    rows = []
    for _, r in svl.iterrows():
        var, _, value = str(r["subgroup_value"]).partition("=")
        name = (f"{labels.variable(var)} : {labels.value(var, value)}" if value
                else labels.measure(var))
        rows.append({"Programme": labels.programme(r["programme"]),
                     "Vagues": f"{labels.wave(r['wave_from'])} → {labels.wave(r['wave_to'])}",
                     "Covariable": name,
                     "Différence standardisée": cell(r["estimate"],
                                                     suppressed=bool(r["suppressed"]))})
    return pd.DataFrame(rows, columns=["Programme", "Vagues", "Covariable",
                                       "Différence standardisée"])


def robustness_table(table: pd.DataFrame, labels: Labels,
                     programmes: Sequence[str]) -> pd.DataFrame:
    """Paired change beside the IPW-weighted and mixed-model estimates, per measure."""
    rows = []
    for programme in programmes:
        for wave_from, wave_to in change_pairs(table, programme):
            base = select(table, programme=programme, subgroup="all", wave_from=wave_from,
                          wave_to=wave_to)
            alt = select(base, indicator=["ipw_mean_change", "lmm_change"])
            for measure in _ordered_measures(alt, labels, programme):
                row = {"Programme": labels.programme(programme),
                       "Mesure": labels.measure(measure)}
                for indicator, name, n_name in (
                        ("mean_change", "Paires complètes", "Paires"),
                        ("ipw_mean_change", "Pondération IPW", None),
                        ("lmm_change", "Modèle mixte", "Répondants")):
                    r = _one(base, measure=measure, indicator=indicator)
                    if r is None:
                        row[name] = MISSING
                        continue
                    secret = bool(r["suppressed"])
                    row[name] = SECRET if secret else (
                        f"{fmt_number(r['estimate'])} {ci_nb(r['ci_low'], r['ci_high'])}")
                    if "not_converged" in str(r["flag"]):
                        row[name] += " (non convergé)"
                    if n_name:  # IPW weighs the same pairs
                        row[n_name] = cell(r["n"], fmt_int, secret)
                rows.append(row)
    cols = ["Programme", "Mesure", "Paires complètes", "Paires", "Pondération IPW",
            "Modèle mixte", "Répondants"]
    frame = pd.DataFrame(rows)
    return frame[[c for c in cols if c in frame.columns]] if len(frame) else frame


def multiplicity_table(table: pd.DataFrame, labels: Labels, alpha: float) -> pd.DataFrame:
    """Per adjusted family: tests, p < alpha before and after adjustment."""
    adj = table[(table["adjustment"] != "") & table["p_value"].notna()]
    rows = []
    for (programme, indicator), fam in adj.groupby(["programme", "indicator"], sort=False):
        method = str(fam["adjustment"].iloc[0]).split(":")[0]
        rows.append({
            "Programme": labels.programme(programme),
            "Famille de tests": INDICATOR_WORDS.get(indicator, {
                "mcnemar": "test de McNemar", "wilcoxon": "test de Wilcoxon"}.get(
                    indicator, indicator)),
            "Méthode": {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}.get(method, method),
            "Tests": fmt_int(len(fam)),
            f"p < {fmt_number(alpha, 2)} (brut)": fmt_int(int((fam["p_value"] < alpha).sum())),
            f"p < {fmt_number(alpha, 2)} (ajusté)": fmt_int(
                int((fam["p_adjusted"] < alpha).sum())),
        })
    return pd.DataFrame(rows)


def comparison_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Comparison group: change of participants and comparison pupils, difference-in-
    differences [CI] and p, baseline difference (Hedges' g) and its WWC class."""
    did = select(table, indicator="did", subgroup="all")
    rows = []
    for _, d in did.iterrows():
        if d["programme"] == "pooled":
            continue
        crit = dict(programme=d["programme"], measure=d["measure"],
                    wave_from=d["wave_from"], wave_to=d["wave_to"])
        part = _one(table, indicator="mean_change", subgroup="all", **crit)
        comp = _one(table, indicator="mean_change", subgroup="group",
                    subgroup_value="comparison", **crit)
        base = _one(table, indicator="baseline_equivalence", programme=d["programme"],
                    measure=d["measure"], subgroup="all")
        secret = bool(d["suppressed"])
        rows.append({
            "Programme": labels.programme(d["programme"]),
            "Mesure": labels.measure(d["measure"]),
            "Évolution participants": MISSING if part is None else
            cell(part["estimate"], suppressed=bool(part["suppressed"])),
            "Évolution comparaison": MISSING if comp is None else
            cell(comp["estimate"], suppressed=bool(comp["suppressed"])),
            "Différence de différences [IC 95 %]": SECRET if secret else
            f"{fmt_number(d['estimate'])} {ci_nb(d['ci_low'], d['ci_high'])}",
            "p": cell(d["p_value"], lambda p: fmt_p(p, with_p=False), secret),
            "Écart initial (g)": MISSING if base is None else
            cell(base["effect_size"], suppressed=bool(base["suppressed"])),
            "Équivalence initiale (WWC)": MISSING if base is None else
            wwc_equivalence_words(base["flag"]),
        })
    return pd.DataFrame(rows)


def ordinal_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Proportional-odds models of single Likert items: odds ratio of a higher answer."""
    o = select(table, indicator="ordinal_odds_ratio", subgroup="all")
    o = o[o["programme"] != "pooled"]
    return pd.DataFrame({
        "programme": o["programme"].map(labels.programme),
        "item": o["measure"].map(lambda m: labels.item(m, with_code=True)),
        "n": o["n"], "estimate": o["estimate"], "ci_low": o["ci_low"],
        "ci_high": o["ci_high"], "p_value": o["p_value"], "suppressed": o["suppressed"],
    }).reset_index(drop=True)


def mde_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Minimum detectable change (SD units) for a next campaign of the same size, with the
    intraclass correlation it assumed (``statistic`` of the ``mde`` rows)."""
    m = select(table, indicator="mde", subgroup="all")
    m = m[m["programme"] != "pooled"]
    return pd.DataFrame({
        "programme": m["programme"].map(labels.programme),
        "measure": m["measure"].map(labels.measure),
        "n": m["n"], "estimate": m["estimate"], "icc": m["statistic"],
        "suppressed": m["suppressed"],
    }).reset_index(drop=True)


def largest(values: Iterable[float]) -> float:
    finite = [v for v in values if not is_missing(v) and math.isfinite(float(v))]
    return max(finite) if finite else float("nan")
