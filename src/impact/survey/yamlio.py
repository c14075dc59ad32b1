"""YAML files that remember where each key was written.

Codebooks and the configuration are edited by hand; an error must point at the line to fix.
``load_yaml`` returns the plain data together with a :class:`LineIndex` built from PyYAML's
node tree (merge keys ``<<: *anchor`` included), and ``schema_errors`` turns JSON-schema
violations into one line per problem, each naming the file, the line and the key path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from impact.errors import DataError

KeyPath = tuple[str | int, ...]
#: libyaml's parser when PyYAML was built with it (about ten times faster), else PyYAML's own
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class LineIndex:
    """Line numbers (1-based) of the keys of a YAML document."""

    path: Path
    root: yaml.Node | None

    def line(self, keys: Sequence[str | int]) -> int | None:
        """Line of the deepest key of ``keys`` that exists (None for an empty document)."""
        node, line = self.root, None
        for key in keys:
            found = _child(node, key)
            if found is None:
                break
            key_node, node = found
            line = key_node.start_mark.line + 1
        if line is None and self.root is not None:
            line = self.root.start_mark.line + 1
        return line

    def where(self, keys: Sequence[str | int]) -> str:
        """``"<file>, line N (a.b.c)"``-style location used in messages."""
        dotted = ".".join(str(k) for k in keys)
        line = self.line(keys)
        return f"{self.path}:{line} ({dotted})" if line else f"{self.path} ({dotted})"


def _child(node: yaml.Node | None, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        if 0 <= key < len(node.value):
            return node.value[key], node.value[key]
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    merged: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            merged.extend(value_node.value if isinstance(value_node, yaml.SequenceNode)
                          else [value_node])
        elif str(key_node.value) == str(key):
            return key_node, value_node
    for source in merged:
        found = _child(source, key)
        if found is not None:
            return found
    return None


def load_yaml(path: str | Path) -> tuple[Any, LineIndex]:
    """Read a YAML file; return ``(data, line_index)``. Raises ``yaml.YAMLError`` on bad syntax."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    return data, LineIndex(path, root)


def schema_errors(data: Any, schema: dict, lines: LineIndex) -> list[str]:
    """Validate ``data`` against a JSON schema; one located message per violation."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        keys = list(error.path)
        if error.validator == "additionalProperties":
            extra = _unexpected_keys(error)
            keys = keys + extra[:1]
        messages.append(f"{lines.where(keys)}: {error.message}")
    return messages


def _unexpected_keys(error: Any) -> list[str]:
    allowed = set(error.schema.get("properties", {}))
    patterns = error.schema.get("patternProperties", {})
    import re

    return [k for k in error.instance if k not in allowed
            and not any(re.search(p, k) for p in patterns)]


def read_yaml(path: str | Path) -> Any:
    """The data of a YAML file, plain types only (safe loading), without line numbers."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506


def load_schema(name: str, directory: str | Path | None = None) -> dict:
    """Load ``workflow/schemas/<name>.schema.yaml`` (the directory can be overridden)."""
    directory = Path(directory) if directory else schema_dir()
    return yaml.safe_load((directory / f"{name}.schema.yaml").read_text(encoding="utf-8"))


def schema_dir() -> Path:
    """The schemas shipped with the workflow (``<repo>/workflow/schemas``)."""
    return Path(__file__).resolve().parents[3] / "workflow" / "schemas"


def bullet_list(lines: Iterable[str]) -> str:
    return "\n".join(f"  - {line}" for line in lines)


def load_checked(path: Path, schema: str, what: str) -> tuple[Any, LineIndex]:
    """A YAML document checked against ``workflow/schemas/<schema>.schema.yaml``.

    ``what`` names the document in the French :class:`~impact.errors.DataError` raised on a
    syntax error (its line is in YAML's text) or on schema violations (each with its line)."""
    try:
        data, lines = load_yaml(path)
    except Exception as exc:  # yaml.YAMLError carries the line in its text
        raise DataError(f"{what} {path} illisible (syntaxe YAML) : {exc}") from None
    problems = schema_errors(data, load_schema(schema), lines)
    if problems:
        raise DataError(f"{what} {path} non conforme au schéma :\n{bullet_list(problems)}")
    return data, lines
