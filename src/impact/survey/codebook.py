"""Programme codebooks: how each export maps onto the common instrument.

A codebook (``surveys/<programme>/codebook.yaml``) says, for each wave, how to read the export
(tool, format, encoding, delimiter, sheet, date formats), which raw column holds each instrument
variable, how raw labels recode to instrument codes, and which columns are direct identifiers
(dropped at the door). It is checked twice: against ``workflow/schemas/codebook.schema.yaml``
(structure), then against the instrument (names, codes). Every problem names the codebook line.

Label matching is tolerant of what survey tools and spreadsheet round-trips change without
changing meaning: surrounding and repeated spaces (including no-break spaces), typographic
apostrophes and letter case. Anything else is an unknown label.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impact.errors import DataError
from impact.survey.instrument import Instrument
from impact.survey.yamlio import (
    LineIndex,
    bullet_list,
    load_checked,
)

#: Variables every export may map in addition to the instrument's (derived by ingestion).
EXTRA_VARIABLES = {"duration_s", "code"}

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})
_SPACES = re.compile(r"\s+")


def label_key(label: Any) -> str:
    """Normal form under which raw labels are compared (see module docstring)."""
    text = unicodedata.normalize("NFC", str(label)).translate(_APOSTROPHES)
    return _SPACES.sub(" ", text).strip().casefold()


def label_keys(values: pd.Series) -> pd.Series:
    """Vectorised :func:`label_key` (computed once per distinct value)."""
    uniques = pd.unique(values.dropna())
    return values.map({u: label_key(u) for u in uniques})


@dataclass(frozen=True)
class WaveSpec:
    """How to read one wave's export and map it."""

    name: str
    file: str
    tool: str
    format: str
    encoding: str
    delimiter: str
    decimal: str
    sheet: str | int
    header_row: int
    datetime_format: str
    date_format: str
    pages: int | None
    columns: dict[str, str]  # instrument variable -> raw column
    identifiers: tuple[str, ...]
    ignore: tuple[str, ...]
    labels: dict[str, dict[str, Any]]  # label map per variable, keys already label_key()-ed
    label_text: dict[str, dict[Any, str]]  # per variable: code -> the label an export shows
    audience: tuple[str, ...] = ()  # audiences asked at this wave (all when empty)
    test_fields: tuple[str, ...] = ()  # raw columns searched for test markers

    @property
    def raw_columns(self) -> set[str]:
        """Every raw column this wave's export is expected to have."""
        return set(self.columns.values()) | set(self.identifiers) | set(self.ignore)


@dataclass(frozen=True)
class Design:
    """The evaluation design a codebook declares (``design:``; see the codebook schema).

    ``type`` is ``pre_post``, ``comparison_group`` or ``randomised``; ``primary_outcomes`` the
    pre-specified confirmatory outcomes (empty: every scale, with a flag saying none was
    declared); ``comparison`` how the comparison group was formed; ``attrition_boundary`` the
    WWC boundary; ``icc`` the planning ICC (None: ``analysis.icc_prior``).
    """

    type: str = "pre_post"
    primary_outcomes: tuple[str, ...] = ()
    comparison: str = "unmatched"
    attrition_boundary: str = "cautious"
    icc: float | None = None
    declared: bool = False

    @property
    def has_comparison(self) -> bool:
        return self.type in ("comparison_group", "randomised")


@dataclass(frozen=True)
class Codebook:
    programme: str
    label: str
    path: Path
    response_scale: str
    scales: tuple[str, ...]
    single_items: tuple[str, ...]
    comparison_group: bool
    waves: dict[str, WaveSpec]
    lines: LineIndex = field(repr=False)
    sites_file: str = "sites.yaml"
    design: Design = field(default_factory=lambda: Design())

    @property
    def directory(self) -> Path:
        return self.path.parent

    def export_path(self, wave: str) -> Path:
        return self.directory / self.waves[wave].file

    @property
    def sites_path(self) -> Path:
        """The programme's declared sites (``sites.yaml`` beside the codebook by default)."""
        return self.directory / self.sites_file

    def where(self, *keys: str | int) -> str:
        """Location of a key in the codebook, for messages."""
        return self.lines.where(keys)

    def items(self, instrument: Instrument) -> list[str]:
        return instrument.items(self.scales)


def load_codebook(path: str | Path, instrument: Instrument) -> Codebook:
    """Read, validate and resolve a codebook; :class:`DataError` (French) names the line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Codebook introuvable : {path}. Chaque programme de la configuration "
                        "doit avoir un fichier surveys/<programme>/codebook.yaml.")
    data, lines = load_checked(path, "codebook", "Codebook")
    problems = _instrument_problems(data, lines, instrument)
    if problems:
        raise DataError(f"Codebook {path} incohérent avec l'instrument "
                        f"{instrument.path} :\n{bullet_list(problems)}")
    return _build(path, data, lines, instrument)


def _instrument_problems(data: dict, lines: LineIndex, instrument: Instrument) -> list[str]:
    known = set(instrument.variables) | EXTRA_VARIABLES
    problems = []
    if data["response_scale"] not in instrument.response_scales:
        problems.append(f"{lines.where(['response_scale'])}: échelle de réponse "
                        f"« {data['response_scale']} » inconnue de l'instrument "
                        f"(connues : {', '.join(instrument.response_scales)})")
    for key in ("scales", "single_items"):
        pool = instrument.scales if key == "scales" else instrument.names("single_items")
        for i, name in enumerate(data.get(key, [])):
            if name not in pool:
                problems.append(f"{lines.where([key, i])}: « {name} » n'existe pas dans "
                                f"l'instrument (section {key})")
    for wave, spec in data["waves"].items():
        seen: dict[str, str] = {}
        for var, raw in spec["columns"].items():
            where = lines.where(["waves", wave, "columns", var])
            if var not in known:
                problems.append(f"{where}: variable « {var} » inconnue de l'instrument")
            if raw in seen:
                problems.append(f"{where}: la colonne « {raw} » est déjà associée à "
                                f"« {seen[raw]} »")
            seen[raw] = var
        parts = set(instrument.code_parts) & set(spec["columns"])
        if "code" in spec["columns"] and parts:
            problems.append(f"{lines.where(['waves', wave, 'columns'])}: le code pseudonyme "
                            "doit être soit en une colonne (code), soit en parties, pas les deux")
        elif parts and parts != set(instrument.code_parts):
            missing = ", ".join(sorted(set(instrument.code_parts) - parts))
            problems.append(f"{lines.where(['waves', wave, 'columns'])}: parties du code "
                            f"pseudonyme manquantes : {missing}")
        raw_columns = set(spec["columns"].values()) | set(spec.get("identifiers", [])) \
            | set(spec.get("ignore", []))
        fields = spec.get("test_fields", data.get("test_fields", []))
        at = ["waves", wave, "test_fields"] if "test_fields" in spec else ["test_fields"]
        for i, name in enumerate(fields):
            if name not in spec["columns"] and name not in raw_columns:
                problems.append(f"{lines.where(at + [i])}: « {name} » n'est ni une variable "
                                f"de waves.{wave}.columns ni une colonne de l'export "
                                f"(vague {wave})")
        for key in ("labels",):
            problems += _label_problems(spec.get(key, {}), ["waves", wave, key], lines,
                                        instrument, data["response_scale"])
    problems += _label_problems(data.get("labels", {}), ["labels"], lines, instrument,
                                data["response_scale"])
    problems += _design_problems(data, lines)
    return problems


def _design_problems(data: dict, lines: LineIndex) -> list[str]:
    """The declared design must agree with the data the codebook maps."""
    design = data.get("design")
    if design is None:
        return []
    problems = []
    measured = set(data["scales"]) | set(data.get("single_items", []))
    for i, name in enumerate(design["primary_outcomes"]):
        if name not in measured:
            problems.append(f"{lines.where(['design', 'primary_outcomes', i])}: le critère "
                            f"principal « {name} » n'est ni une échelle ni une question du "
                            "programme (scales, single_items)")
    grouped = bool(data.get("comparison_group", False))
    if (design["type"] != "pre_post") != grouped:
        problems.append(f"{lines.where(['design', 'type'])}: le plan « {design['type']} » "
                        f"suppose comparison_group: {str(not grouped).lower()}")
    return problems


def _label_problems(labels: dict, at: list, lines: LineIndex, instrument: Instrument,
                    response_scale: str) -> list[str]:
    problems = []
    likert_codes = set(instrument.response_scales[response_scale].codes) \
        if response_scale in instrument.response_scales else set()
    for var, mapping in labels.items():
        if var == "likert" or var in instrument.scales or \
                (var in instrument.variables and instrument.variable(var).type == "likert"):
            allowed = likert_codes
        elif var in instrument.variables and instrument.variable(var).codes:
            allowed = set(instrument.variable(var).codes)
            if var == "consent":
                allowed = {int(c) for c in allowed}
        else:
            problems.append(f"{lines.where(at + [var])}: « {var} » n'est ni `likert`, ni une "
                            "échelle, ni une variable à modalités de l'instrument")
            continue
        for label, code in mapping.items():
            if code not in allowed:
                problems.append(
                    f"{lines.where(at + [var, label])}: le libellé « {label} » est recodé en "
                    f"« {code} », qui n'est pas un code de « {var} » "
                    f"(codes permis : {', '.join(map(str, sorted(allowed, key=str)))})")
    return problems


def _build(path: Path, data: dict, lines: LineIndex, instrument: Instrument) -> Codebook:
    scale = instrument.response_scales[data["response_scale"]]
    waves = {}
    for name, spec in data["waves"].items():
        labels = _default_labels(instrument, scale.codes)
        label_text = {var: {code: text for text, code in reversed(list(m.items()))}
                      for var, m in _default_labels(instrument, scale.codes, raw=True).items()}
        for source in (data.get("labels", {}), spec.get("labels", {})):
            for var, mapping in source.items():
                for target in _label_targets(var, instrument):
                    labels[target] = {**labels.get(target, {}),
                                      **{label_key(k): v for k, v in mapping.items()}}
                    # an export shows the codebook's labels: the first one given for a code
                    shown = {code: text for text, code in reversed(list(mapping.items()))}
                    label_text[target] = {**label_text.get(target, {}), **shown}
        waves[name] = WaveSpec(
            name=name, file=spec["file"], tool=spec["tool"], format=spec["format"],
            encoding=spec.get("encoding", "utf-8"), delimiter=spec.get("delimiter", ","),
            decimal=spec.get("decimal", ","), sheet=spec.get("sheet", 0),
            header_row=spec.get("header_row", 1),
            datetime_format=spec.get("datetime_format", "%d/%m/%Y %H:%M:%S"),
            date_format=spec.get("date_format", "%d/%m/%Y"), pages=spec.get("pages"),
            columns=dict(spec["columns"]), identifiers=tuple(spec.get("identifiers", [])),
            ignore=tuple(spec.get("ignore", [])), labels=labels, label_text=label_text,
            audience=tuple(spec.get("audience", [])),
            test_fields=_test_fields(spec, data.get("test_fields"), instrument),
        )
    return Codebook(
        programme=data["programme"], label=data["label"], path=path,
        response_scale=data["response_scale"], scales=tuple(data["scales"]),
        single_items=tuple(data.get("single_items", [])),
        comparison_group=bool(data.get("comparison_group", False)), waves=waves, lines=lines,
        sites_file=data.get("sites", "sites.yaml"),
        design=_design(data),
    )


def _test_fields(spec: dict, default: list[str] | None, instrument: Instrument) -> tuple:
    """Raw columns searched for test markers: the wave's ``test_fields`` (variables or raw
    columns), else the programme's, else the direct identifiers (names, e-mails, comments)
    and the pseudonymous code fields."""
    fields = spec.get("test_fields", default)
    if fields is None:
        fields = list(spec.get("identifiers", [])) + [
            v for v in spec["columns"] if v == "code" or v in instrument.code_parts]
    return tuple(dict.fromkeys(spec["columns"].get(f, f) for f in fields))


def _design(data: dict) -> Design:
    spec = data.get("design")
    if spec is None:  # undeclared: what the data allow, flagged downstream
        kind = "comparison_group" if data.get("comparison_group") else "pre_post"
        return Design(type=kind, primary_outcomes=tuple(data["scales"]))
    return Design(type=spec["type"], primary_outcomes=tuple(spec["primary_outcomes"]),
                  comparison=spec.get("comparison", "unmatched"),
                  attrition_boundary=spec.get("attrition_boundary", "cautious"),
                  icc=spec.get("icc"), declared=True)


def _default_labels(instrument: Instrument, likert: dict[int, str],
                    raw: bool = False) -> dict[str, dict]:
    """The instrument's own French labels recode by default (codebooks add or override)."""
    key = (lambda text: text) if raw else label_key
    labels: dict[str, dict] = {}
    for var in instrument.variables.values():
        if var.type == "likert":
            labels[var.name] = {key(text): code for code, text in likert.items()}
        elif var.codes:
            cast = int if var.name == "consent" else str
            labels[var.name] = {key(text): cast(code) for code, text in var.codes.items()}
    return labels


def _label_targets(var: str, instrument: Instrument) -> list[str]:
    if var == "likert":
        return [v.name for v in instrument.variables.values() if v.type == "likert"]
    if var in instrument.scales:
        return list(instrument.scales[var].items)
    return [var]


def load_codebooks(surveys_dir: str | Path, programmes: list[str],
                   instrument: Instrument) -> dict[str, Codebook]:
    """Load the codebooks of the configured programmes (checking their declared names)."""
    books = {}
    for programme in programmes:
        book = load_codebook(Path(surveys_dir) / programme / "codebook.yaml", instrument)
        if book.programme != programme:
            raise DataError(f"{book.where('programme')}: le codebook déclare le programme "
                            f"« {book.programme} » mais se trouve dans le dossier "
                            f"« {programme} ». Harmonisez les deux noms.")
        books[programme] = book
    return books
