"""What every section's tables share: French labels of codes (:class:`Labels`), reading and
selecting published rows, and the text of a cell (estimates, intervals, WWC classes).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.indicators import contract
from impact.report.formatting import (
    MISSING,
    NNBSP,
    SECRET,
    effect_magnitude,
    fmt_ci,
    fmt_int,
    fmt_number,
    fmt_pct,
    is_missing,
)
from impact.report.i18n import N_, current_language, pgettext
from impact.report.i18n import gettext as _
from impact.survey.yamlio import read_yaml

LOG = logging.getLogger(__name__)

NOT_MEASURED = N_("non mesurée")
#: A subgroup variable with more published cells than this (sites of a national campaign) is
#: summarised in the subgroup table (median and quartiles of its cells); every cell stays in
#: the indicator tables and the funnel plot.
MAX_LISTED_VALUES = 20
WAVE_WORDS = {"pre": N_("avant"), "post": N_("après"), "followup": N_("suivi")}

#: Insertion outcomes (measures) the insertion stage publishes, with their French labels.
INSERTION_MEASURES = {
    "employment": N_("Accès à l'emploi"),
    "durable_employment": N_("Emploi durable (6 mois ou plus)"),
    "qualifying_training": N_("Formation qualifiante"),
    "positive_exit": N_("Sortie positive (emploi durable ou formation qualifiante)"),
    "job_in_industry": N_("Emploi ou formation dans l'industrie"),
}

#: Exclusion rules and check families of the validation stage, in French.
REASONS = {
    "no_consent": N_("pas de consentement"),
    "consent_missing": N_("consentement non renseigné"),
    "test_submission": N_("réponse de test"),
    "exact_duplicate": N_("doublon exact"),
    "resubmission": N_("nouvel envoi du même répondant (le dernier est conservé)"),
    "duplicate_code": N_("code pseudonyme en double"),
    "unknown_site": N_("établissement ou session non déclaré(e)"),
    "incomplete": N_("questionnaire incomplet"),
    "parse_error": N_("valeur illisible"),
    "speeder": N_("réponse trop rapide"),
    "straightliner": N_("même réponse à tous les items"),
    "value_range": N_("valeur hors de l'intervalle prévu"),
    "allowed_codes": N_("code de réponse non prévu"),
    "dates_ordered": N_("dates incohérentes"),
    "required_answers": N_("réponse obligatoire manquante"),
    "required_columns": N_("colonne attendue absente"),
    "row_count": N_("nombre de lignes hors limites"),
    "campaign_window": N_("dates hors de la campagne"),
    "kept_by_decision": N_("conservée sur décision documentée"),
    "decision": N_("écartée sur décision documentée"),
}
SEVERITIES = {"stop": N_("arrêt"), "quarantine": N_("quarantaine"), "exclude": N_("exclusion"),
              "warn": N_("signalement")}

#: Subgroup variables that are not in the instrument's background block.
EXTRA_SUBGROUPS = {"age_band": N_("Tranche d'âge"), "unemployment_band": N_("Durée de chômage"),
                   "education": N_("Niveau de diplôme"), "group": N_("Groupe d'évaluation")}


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
            return _("Ensemble (méta-analyse)")
        return self.programmes.get(code, code)

    def measure(self, code: str) -> str:
        return self.measures.get(code, code)

    def item(self, code: str, with_code: bool = False) -> str:
        text = self.items.get(code, code)
        if code in self.reverse:
            text += _(" (item inversé)")
        return f"{code} – {text}" if with_code else text

    def variable(self, code: str) -> str:
        if code in self.variables:
            return self.variables[code]
        return _(EXTRA_SUBGROUPS[code]) if code in EXTRA_SUBGROUPS else code

    def value(self, variable: str, code: str) -> str:
        return self.codes.get(variable, {}).get(code, code)

    def wave(self, code: str) -> str:
        return _(WAVE_WORDS[code]) if code in WAVE_WORDS else code

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
    """Labels from ``surveys/instrument.yaml`` and the codebooks (programme → path), in the
    language set by :func:`impact.report.i18n.use_language` when they are loaded.

    English labels are the instrument's optional ``label_en`` / ``text_en`` /
    ``description_en`` / ``codes_en`` keys; where one is missing the French wording is used
    and one warning lists what is missing (``impact.report.tables.common`` logger)."""
    inst = read_yaml(instrument) or {}
    lab = Labels(instrument=inst)
    english = current_language() == "en"
    untranslated: list[str] = []

    def word(spec: Mapping, key: str, default: str, where: str) -> str:
        if key not in spec:
            return default
        if english:
            if f"{key}_en" in spec:
                return str(spec[f"{key}_en"])
            untranslated.append(f"{where}.{key}")
        return str(spec[key])

    def codes(spec: Mapping, where: str, keys=str) -> dict:
        fr = {keys(k): str(v) for k, v in spec["codes"].items()}
        if not english:
            return fr
        en = {str(k): str(v) for k, v in (spec.get("codes_en") or {}).items()}
        untranslated.extend(f"{where}.codes.{k}" for k in fr if str(k) not in en)
        return {k: en.get(str(k), v) for k, v in fr.items()}

    for name, scale in (inst.get("scales") or {}).items():
        lab.measures[name] = word(scale, "label", name, f"scales.{name}")
        lab.descriptions[name] = word(scale, "description", "", f"scales.{name}")
        for item, spec in (scale.get("items") or {}).items():
            lab.items[item] = word(spec or {}, "text", item, f"scales.{name}.items.{item}")
            lab.item_scale[item] = name
            if (spec or {}).get("reverse"):
                lab.reverse.add(item)
    for name, spec in (inst.get("single_items") or {}).items():
        lab.measures[name] = word(spec, "label", name, f"single_items.{name}")
        lab.descriptions[name] = word(spec, "text", "", f"single_items.{name}")
        if spec.get("codes"):
            lab.codes[name] = codes(spec, f"single_items.{name}")
    for block in ("background", "followup"):
        for name, spec in (inst.get(block) or {}).items():
            lab.variables[name] = word(spec, "label", name, f"{block}.{name}")
            if spec.get("codes"):
                lab.codes[name] = codes(spec, f"{block}.{name}")
    lab.measures.update({m: d["label"] for m, d in insertion_definitions().items()})
    scales = {}
    for name, spec in (inst.get("response_scales") or {}).items():
        scales[name] = {**spec, "label": word(spec, "label", name, f"response_scales.{name}"),
                        "codes": codes(spec, f"response_scales.{name}", keys=int)}
    lab.response_scales = scales
    for programme, path in codebooks.items():
        book = read_yaml(path) or {}
        lab.codebooks[programme] = book
        lab.programmes[programme] = book.get("label", programme)  # a proper name
    if untranslated:
        LOG.warning("%s: no English wording for %d label(s), the French is used: %s",
                    instrument, len(untranslated), ", ".join(untranslated))
    return lab


# --------------------------------------------------------------------------- reading


def load_indicators(paths: Iterable[str | Path]) -> pd.DataFrame:
    """The indicator tables, concatenated; a row present in two files (a programme's table and
    ``pooled.csv``) is kept once."""
    frames = [contract.read_csv(p) for p in paths]
    if not frames:
        return contract.tidy([])
    table = pd.concat(frames, ignore_index=True)
    table = table.drop_duplicates(subset=contract.KEY, keep="first").reset_index(drop=True)
    # the report filters this table hundreds of times: Python strings compare and copy faster
    # than Arrow-backed ones there (the frame is only read)
    return table.astype({column: object for column in contract.TEXT})


def _positions(table: pd.DataFrame, criteria: Mapping[str, object]) -> np.ndarray:
    """Positions of the rows matching every criterion, each tested on the rows the previous
    ones kept (the report asks hundreds of questions of a table of thousands of rows)."""
    found = np.arange(len(table))
    for column, value in criteria.items():
        if value is None or not len(found):
            continue
        values = table[column].to_numpy()[found]
        if isinstance(value, list | tuple | set):
            hit = pd.Series(values).isin(list(value)).to_numpy(dtype=bool)
        else:
            hit = _equal(values, value)
        found = found[hit]
    return found


def _equal(values: np.ndarray, value: object) -> np.ndarray:
    hit = values == value
    if np.ndim(hit) == 0:  # types numpy does not compare element-wise
        return np.fromiter(((v == value) is True for v in values), dtype=bool,
                           count=len(values))
    try:
        return np.asarray(hit, dtype=bool)
    except TypeError:  # pd.NA among the values: not equal
        return pd.Series(hit, dtype=object).eq(True).to_numpy(dtype=bool)


def select(table: pd.DataFrame, **criteria: object) -> pd.DataFrame:
    """Rows whose columns equal the given values (a list/tuple/set means « one of »)."""
    return table.iloc[_positions(table, criteria)]


def one_row(table: pd.DataFrame, **criteria: object) -> pd.Series | None:
    """The first row :func:`select` would return, or None (only that row is copied)."""
    found = _positions(table, criteria)
    return table.iloc[found[0]] if len(found) else None


def ordered_measures(table: pd.DataFrame, labels: Labels, programme: str | None) -> list[str]:
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
    before each run of rows with that label (:func:`impact.report.notes.table_html` renders such a
    row as a heading spanning the table). Cells must be formatted strings."""
    if frame.empty or column not in frame.columns:
        return frame
    others = [c for c in frame.columns if c != column]
    if not others:
        return frame
    rows, previous = [], None
    for _row, r in frame.iterrows():
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
    """:func:`fmt_ci` with a no-break space after « ; » (English: after « , »), so that a
    table cell may wrap before an interval but never inside it."""
    return fmt_ci(low, high, decimals).replace("; ", ";\u00a0").replace(", ", ",\u00a0")


def ci_text(low: object, high: object, unit: str) -> str:
    if is_missing(low) or is_missing(high):
        return MISSING
    if unit == "proportion":
        sep = f"{NNBSP};\u00a0" if current_language() == "fr" else ",\u00a0"
        return f"[{fmt_pct(low)}{sep}{fmt_pct(high)}]"
    return ci_nb(low, high, 1 if unit in ("pomp", "percentage_points") else 2)


def magnitude_text(es: object, es_type: str) -> str:
    """« 0,36 (faible) » (English "0.36 (small)")."""
    if is_missing(es):
        return MISSING
    words = effect_magnitude(es, es_type)
    return f"{fmt_number(es, 2)} ({_(words)})" if words else fmt_number(es, 2)


def wwc_attrition_words(flag: str) -> str:
    """« élevée (frontière prudente) ; élevée (frontière optimiste) » from the WWC flags."""
    words = {"low": pgettext("attrition", "faible"), "high": pgettext("attrition", "élevée")}
    bounds = {"cautious": _("frontière prudente"), "optimistic": _("frontière optimiste")}
    out = []
    for part in str(flag or "").split(";"):
        bits = part.strip().split("_")
        if len(bits) == 3 and bits[0] == "wwc" and bits[1] in bounds and bits[2] in words:
            out.append(f"{words[bits[2]]} ({bounds[bits[1]]})")
    sep = " ; " if current_language() == "fr" else "; "
    return sep.join(out) if out else MISSING


def wwc_attrition_class(flag: str, boundary: str) -> str:
    """« faible » / « élevée » attrition against one WWC boundary (``cautious`` or
    ``optimistic``), read from the ``wwc_<boundary>_<low|high>`` flags; « – » if absent."""
    words = {"low": pgettext("attrition", "faible"), "high": pgettext("attrition", "élevée")}
    for part in str(flag or "").split(";"):
        bits = part.strip().split("_")
        if len(bits) == 3 and bits[:2] == ["wwc", boundary] and bits[2] in words:
            return words[bits[2]]
    return MISSING


def wwc_equivalence_words(flag: str) -> str:
    """WWC baseline-equivalence class in French."""
    return {
        "wwc_satisfied": _("équivalence établie"),
        "wwc_adjustment_required": _("équivalence sous réserve d'ajustement"),
        "wwc_not_satisfied": _("équivalence non établie"),
    }.get(str(flag or "").strip(), MISSING)


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


def subgroup_values(table: pd.DataFrame, variable: str, labels: Labels) -> list[str]:
    present = [v for v in pd.unique(table["subgroup_value"]) if v != ""]
    order = list(labels.codes.get(variable, {}))
    first = [v for v in order if v in present]
    return first + sorted((v for v in present if v not in first), key=natural_key)


def insertion_definitions() -> dict[str, dict]:
    """Label and definition of each insertion outcome in the report's language
    (:func:`impact.report.i18n.current_language`): those of
    :data:`impact.indicators.insertion.DEFINITIONS` (English: its ``*_en`` keys; a missing one
    falls back to the French with a warning), else the short labels above."""
    try:  # the definitions module only: no estimator (scipy, statsmodels) is imported
        from impact.indicators.insertion.definitions import DEFINITIONS, definition_text
    except ImportError:  # pragma: no cover - the insertion stage is optional
        DEFINITIONS, definition_text = {}, None
    lang = current_language()
    out = {m: {"label": _(lab), "definition": ""} for m, lab in INSERTION_MEASURES.items()}
    for m in DEFINITIONS:
        out[m] = {key: _definition(definition_text, m, key, lang)
                  for key in ("label", "definition")}
    return out


def _definition(text_of, outcome: str, key: str, lang: str) -> str:
    text = text_of(outcome, key, lang)
    if text is None:
        LOG.warning("insertion outcome %s has no %s text for %r "
                    "(src/impact/indicators/insertion/definitions.py): the French is used",
                    outcome, lang, key)
        text = text_of(outcome, key, "fr") or (outcome if key == "label" else "")
    return text.replace("`", "")  # Markdown code spans read as plain text
