"""The data dictionary of the analysis panel: what ``iecodebook export`` gives Stata users.

For every column of a programme's panel (``restricted/panel/<programme>.parquet``,
``docs/contracts.md`` « Panel »): its French label, type, codes and their labels, scale
membership, reverse coding and the source column of every wave's export (from the codebook).
Everything comes from the instrument, the codebooks and the panel's *column names and types*:
no respondent value enters the dictionary, which is therefore publishable
(``results/exports/``).

:func:`panel_labels` gives the labels the row-level files carry (Stata / SPSS variable and
value labels, Parquet metadata); :func:`dictionary_frames` the dictionary's tidy tables,
written by :func:`impact.toolkit.exports.write_dictionary` (``.xlsx``), and
:func:`table_schema` (Frictionless Table Schema, checked with ``frictionless`` by
:func:`write_schema`).

Coded text variables (``gender`` = ``F``, ``M``, ``X``) become integers in Stata and SPSS,
which attach value labels to numbers only: codes that are integers keep their value, others
are numbered 1, 2, … in the instrument's order (like Stata's ``encode``). The dictionary's
« Codes » sheet gives both the Parquet code and the Stata / SPSS number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.errors import ConfigError
from impact.linkage.matching import DECISIONS
from impact.survey.codebook import Codebook
from impact.survey.instrument import Instrument

#: Stata's limit on a variable label.
STATA_LABEL_MAX = 80
LINK_LABELS = {
    "baseline": "Vague de référence (première réponse)",
    "exact": "Liée à la vague précédente : code identique",
    "tolerant": "Liée à la vague précédente : code à une faute près",
    "ambiguous": "Non liée : plusieurs candidats possibles",
    "unmatched": "Non liée : aucun candidat",
    "baseline_only": "Présente à la vague de référence seulement",
}
#: Labels of the panel's columns that the instrument does not declare (linkage, provenance).
DERIVED = {
    "respondent_id": "Identifiant du répondant (hachage à clé de la liaison, pseudonyme)",
    "wave": "Vague d'enquête",
    "link": "Liaison de la réponse aux vagues précédentes",
    "row_id": "Ligne d'origine (vague:ligne de l'export)",
    "source_file": "Fichier d'export d'origine",
    "source_line": "Ligne de la réponse dans l'export d'origine",
    "programme": "Programme",
    "site_code": "Code de l'établissement ou de la session (sites.yaml)",
    "site_unknown": "Établissement saisi absent de la liste déclarée",
}
YES_NO = {0: "Non", 1: "Oui"}


@dataclass(frozen=True)
class PanelLabels:
    """Labels of one programme's panel: variable labels, value labels of the numbers Stata
    and SPSS store, and the code → number mapping of coded text variables."""

    labels: dict[str, str]
    value_labels: dict[str, dict[int, str]] = field(default_factory=dict)
    numeric_codes: dict[str, dict[str, int]] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # Parquet code → label
    ordinal: frozenset[str] = frozenset()  # ordered codes (Likert items, waves)

    def label(self, column: str) -> str:
        return self.labels.get(column, column)

    def stata_label(self, column: str) -> str:
        """The label cut to Stata's 80 characters (an ellipsis says it was cut)."""
        text = self.label(column)
        return text if len(text) <= STATA_LABEL_MAX else text[:STATA_LABEL_MAX - 1] + "…"

    def measure(self, column: str, numeric: bool) -> str:
        """SPSS measurement level: ``ordinal`` (ordered codes), ``nominal`` (other codes,
        text) or ``scale`` (numbers)."""
        if column in self.ordinal:
            return "ordinal"
        return "nominal" if column in self.codes or not numeric else "scale"

    def metadata(self, columns: list[str]) -> dict:
        """What the Parquet schema metadata carries (key ``impact.labels``)."""
        return {c: {"label": self.label(c), "codes": self.codes.get(c, {})} for c in columns}


def _codes_of(column: str, instrument: Instrument, codebook: Codebook) -> dict[str, str]:
    """Code → French label of a coded panel column ({} when it has none)."""
    if column in instrument.variables:
        var = instrument.variables[column]
        if var.type == "likert":
            scale = instrument.response_scales[codebook.response_scale]
            return {str(k): v for k, v in scale.codes.items()}
        return dict(var.codes)
    if column == "link":
        return {c: LINK_LABELS[c] for c in ("baseline", *DECISIONS)}
    if column == "wave":
        return {w: w for w in codebook.waves}
    if column == "site_unknown":
        return {"False": "Non", "True": "Oui"}
    return {}


def _label_of(column: str, instrument: Instrument, codebook: Codebook) -> str:
    if column in instrument.variables:
        return instrument.variables[column].label
    if column in DERIVED:
        return DERIVED[column]
    if column in instrument.scales:
        scale = instrument.response_scales[codebook.response_scale]
        return (f"Score « {instrument.scales[column].label} » (moyenne des items, items "
                f"inversés retournés, {scale.low} à {scale.high})")
    if column.endswith("_pomp") and column[:-5] in instrument.scales:
        return f"Score POMP 0-100 « {instrument.scales[column[:-5]].label} »"
    if match := re.fullmatch(r"ipw_(\w+)", column):
        return (f"Poids d'attrition à la vague {match.group(1)} (inverse de la probabilité "
                "stabilisée d'être retrouvé)")
    raise ConfigError(f"panel column {column!r} has no label: declare it in "
                      "surveys/instrument.yaml or in impact.toolkit.dictionary.DERIVED.")


def panel_labels(columns: list[str], instrument: Instrument, codebook: Codebook) -> PanelLabels:
    """Variable and value labels of a panel with ``columns`` (raises on an unlabelled one)."""
    labels, value_labels, numeric, codes = {}, {}, {}, {}
    for column in columns:
        labels[column] = _label_of(column, instrument, codebook)
        found = _codes_of(column, instrument, codebook)
        if not found:
            continue
        codes[column] = found
        if column == "site_unknown":
            value_labels[column] = dict(YES_NO)
        elif all(re.fullmatch(r"-?\d+", c) for c in found):
            value_labels[column] = {int(c): text for c, text in found.items()}
        else:
            numeric[column] = {c: i for i, c in enumerate(found, start=1)}
            value_labels[column] = {i: found[c] for c, i in numeric[column].items()}
    ordinal = frozenset(c for c in codes if c == "wave" or (
        c in instrument.variables and instrument.variables[c].type == "likert"))
    return PanelLabels(labels, value_labels, numeric, codes, ordinal)


def _kind(dtype) -> str:
    """Frictionless type of a pandas dtype."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"


def _sources(column: str, codebook: Codebook) -> dict[str, str]:
    """Wave → the export column the codebook maps onto ``column`` (code parts excluded)."""
    return {w: spec.columns[column] for w, spec in codebook.waves.items()
            if column in spec.columns}


def dictionary_frames(panels: Mapping[str, pd.DataFrame], instrument: Instrument,
                      codebooks: Mapping[str, Codebook]) -> dict[str, pd.DataFrame]:
    """The dictionary's tables, from each programme's panel *columns and dtypes* only.

    ``variables``: one row per programme × column (label, type, Stata / SPSS storage,
    section, scale, reverse coding, question text); ``codes``: one row per programme ×
    column × code (Parquet code, Stata / SPSS number, label); ``sources``: one row per
    programme × column × wave with the export's column.
    """
    variables, codes, sources = [], [], []
    for programme, panel in panels.items():
        book = codebooks[programme]
        labels = panel_labels(list(panel.columns), instrument, book)
        for position, column in enumerate(panel.columns, start=1):
            var = instrument.variables.get(column)
            score_of = column[:-5] if column.endswith("_pomp") else column
            kind = "date" if var and var.type == "date" else _kind(panel[column].dtype)
            stored = ("numérique (codes étiquetés)" if column in labels.numeric_codes
                      else "texte" if kind == "string"
                      else "date et heure (Stata %tc)" if kind in ("date", "datetime")
                      else "numérique")
            variables.append({
                "programme": programme, "position": position, "variable": column,
                "libelle": labels.label(column), "type": kind, "stata_spss": stored,
                "section": var.section if var else (
                    "scores" if score_of in instrument.scales
                    else "pondération" if column.startswith("ipw_")
                    else "liaison et provenance"),
                "echelle": var.scale if var and var.scale else (
                    score_of if score_of in instrument.scales else ""),
                "inverse": bool(var.reverse) if var else False,
                "question": var.text if var else "",
                "reponses": book.response_scale if var and var.type == "likert" else "",
            })
            numbers = labels.numeric_codes.get(column)
            for code, text in labels.codes.get(column, {}).items():
                number = numbers[code] if numbers else (
                    int(code) if re.fullmatch(r"-?\d+", code) else int(code == "True"))
                codes.append({"programme": programme, "variable": column, "code": code,
                              "code_stata_spss": number, "libelle": text})
            for wave, raw in _sources(column, book).items():
                sources.append({"programme": programme, "variable": column, "vague": wave,
                                "fichier": book.waves[wave].file, "colonne_source": raw})
    return {"variables": pd.DataFrame(variables), "codes": pd.DataFrame(codes),
            "sources": pd.DataFrame(sources)}


def table_schema(frames: dict[str, pd.DataFrame], programme: str) -> dict:
    """Frictionless Table Schema of one programme's Parquet panel: ``title`` = the French
    label, ``categories`` = codes and labels (Table Schema v2; ``constraints.enum`` too, which
    ``frictionless`` 5 enforces), and under ``x-impact`` the
    scale, reverse coding, Stata / SPSS numbers and the source column per wave."""
    variables = frames["variables"][frames["variables"]["programme"] == programme]
    codes = frames["codes"][frames["codes"]["programme"] == programme]
    sources = frames["sources"][frames["sources"]["programme"] == programme]
    fields = []
    for row in variables.itertuples(index=False):
        own = codes[codes["variable"] == row.variable]
        field_ = {"name": row.variable, "title": row.libelle, "type": row.type}
        if row.question:
            field_["description"] = row.question
        if len(own) and row.type in ("string", "integer"):
            cast = str if row.type == "string" else int
            field_["categories"] = [{"value": cast(c), "label": t}
                                    for c, t in zip(own["code"], own["libelle"], strict=True)]
            field_["constraints"] = {"enum": [c["value"] for c in field_["categories"]]}
        extra = {"section": row.section}
        if row.echelle:
            extra.update(scale=row.echelle, reverse=bool(row.inverse))
        if len(own):
            extra["stata_spss_codes"] = dict(zip(own["code"], own["code_stata_spss"].astype(int),
                                                 strict=True))
        mine = sources[sources["variable"] == row.variable]
        if len(mine):
            extra["sources"] = dict(zip(mine["vague"], mine["colonne_source"], strict=True))
        field_["x-impact"] = extra
        fields.append(field_)
    return {"fields": fields, "missingValues": [""], "primaryKey": ["respondent_id", "wave"]}


def write_schema(schema: dict, path: str | Path) -> None:
    """Write a Table Schema after checking it with ``frictionless`` (raises on an error)."""
    from frictionless import Schema

    report = Schema.validate_descriptor(schema)
    if not report.valid:
        errors = "; ".join(e.message for e in report.flatten_errors())  # pragma: no cover
        raise ValueError(f"invalid Table Schema: {errors}")  # pragma: no cover
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
