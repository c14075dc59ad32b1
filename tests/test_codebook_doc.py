"""docs/codebook.md documents every key the codebook and site-list schemas accept, and its YAML
examples are valid YAML."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

DOC = REPO / "docs" / "codebook.md"


def schema_keys(node: object) -> set[str]:
    """Every property name declared anywhere in a JSON schema (nested objects and $defs)."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "properties" and isinstance(value, dict):
                keys |= set(value)
            keys |= schema_keys(value)
    elif isinstance(node, list):
        for value in node:
            keys |= schema_keys(value)
    return keys


def test_every_schema_key_is_documented():
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", text))
    for schema in ("codebook", "sites"):
        path = REPO / "workflow" / "schemas" / f"{schema}.schema.yaml"
        keys = schema_keys(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert len(keys) > (30 if schema == "codebook" else 4), keys  # the walk found them
        missing = sorted(keys - documented)
        assert not missing, f"keys of {path.name} not documented in {DOC.name}: {missing}"


def test_yaml_examples_parse():
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 8
    for block in blocks:
        assert isinstance(yaml.safe_load(block), dict), block
