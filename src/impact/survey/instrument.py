"""The common instrument: scales, items, single items, background and follow-up variables.

``surveys/instrument.yaml`` is the single source of the variables every programme shares.
Everything downstream (codebooks, ingestion, validation, scoring, the report) asks this module
what a variable is: its type, its allowed codes, its range, the scale it belongs to and whether
it is reverse-coded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from impact.errors import DataError
from impact.survey.yamlio import bullet_list, load_schema, load_yaml, schema_errors

VarType = Literal["likert", "categorical", "integer", "number", "text", "date", "datetime", "code"]


@dataclass(frozen=True)
class ResponseScale:
    """A Likert response scale: ordered integer codes and their French labels."""

    name: str
    label: str
    codes: dict[int, str]

    @property
    def low(self) -> int:
        return min(self.codes)

    @property
    def high(self) -> int:
        return max(self.codes)

    @property
    def midpoint(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class Variable:
    """One canonical variable (a column of every harmonised table)."""

    name: str
    label: str
    type: VarType
    section: str
    codes: dict[str, str] = field(default_factory=dict)
    range: tuple[int, int] | None = None
    scale: str | None = None
    reverse: bool = False
    text: str = ""


@dataclass(frozen=True)
class Scale:
    name: str
    label: str
    description: str
    items: tuple[str, ...]
    reverse_items: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    """The parsed instrument. ``variables`` holds every canonical variable by name."""

    path: Path
    response_scales: dict[str, ResponseScale]
    scales: dict[str, Scale]
    variables: dict[str, Variable]
    code_parts: dict[str, str]  # part name -> "letters" | "digits"
    positive_intention: str

    def variable(self, name: str) -> Variable:
        return self.variables[name]

    def items(self, scales: list[str] | tuple[str, ...]) -> list[str]:
        """Item names of the given scales, in instrument order."""
        return [item for s in scales for item in self.scales[s].items]

    def names(self, section: str) -> list[str]:
        return [v.name for v in self.variables.values() if v.section == section]


def load_instrument(path: str | Path) -> Instrument:
    """Read and check ``instrument.yaml``; raise :class:`DataError` naming the line on problems."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Instrument introuvable : {path}. Vérifiez la clé surveys_dir de la "
                        "configuration.")
    data, lines = load_yaml(path)
    problems = schema_errors(data, load_schema("instrument"), lines)
    if problems:
        raise DataError(f"Instrument {path} invalide :\n{bullet_list(problems)}")
    return _build(path, data)


def _build(path: Path, data: dict) -> Instrument:
    response_scales = {
        name: ResponseScale(name, spec["label"], {int(k): v for k, v in spec["codes"].items()})
        for name, spec in data["response_scales"].items()
    }
    variables: dict[str, Variable] = {}
    scales: dict[str, Scale] = {}
    for name, spec in data["scales"].items():
        items = spec["items"]
        for item, item_spec in items.items():
            variables[item] = Variable(item, item_spec["text"], "likert", "scales", scale=name,
                                       reverse=bool(item_spec.get("reverse", False)),
                                       text=item_spec["text"])
        scales[name] = Scale(name, spec["label"], spec.get("description", ""), tuple(items),
                             tuple(i for i, s in items.items() if s.get("reverse", False)))
    for section in ("single_items", "background", "followup", "metadata"):
        for name, spec in data.get(section, {}).items():
            variables[name] = Variable(
                name, spec["label"], spec["type"], section,
                codes={str(k): v for k, v in spec.get("codes", {}).items()},
                range=tuple(spec["range"]) if "range" in spec else None,
                text=spec.get("text", ""),
            )
    consent = data["consent"]
    variables["consent"] = Variable("consent", consent["label"], "categorical", "consent",
                                    codes={str(k): v for k, v in consent["codes"].items()},
                                    text=consent.get("text", ""))
    parts = data["pseudonym"]["parts"]
    code_parts = {}
    for name, spec in parts.items():
        variables[name] = Variable(name, spec["label"], "code", "pseudonym")
        code_parts[name] = "digits" if "0-9" in spec["pattern"] else "letters"
    variables["code"] = Variable("code", "Code pseudonyme complet", "code", "pseudonym")
    variables["duration_s"] = Variable("duration_s", "Durée de réponse (s)", "number", "metadata")
    positive = data["single_items"].get("intention", {}).get("positive", "oui")
    return Instrument(path, response_scales, scales, variables, code_parts, positive)
