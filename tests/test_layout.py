"""The library's layout follows the data flow (docs/library.md): one subpackage per stage,
imports pointing one way, no module too long to read, no programme named in the code."""

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "impact"
MAX_LINES = 700

#: What each subpackage may import (besides itself and the top-level ``errors`` and ``safety``).
ALLOWED = {
    "survey": set(),
    "ingest": {"survey"},
    "checks": {"survey"},
    "linkage": {"survey", "ingest", "stats"},
    "stats": set(),
    "indicators": {"survey", "stats"},
    "report": {"survey", "indicators"},
    "simulate": {"survey", "ingest"},
    "toolkit": {"survey", "ingest", "checks", "linkage", "stats", "indicators"},
}
#: Top-level modules every subpackage may import (no dependency on any stage).
TOP_LEVEL_SHARED = ("impact.errors", "impact.safety")


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _package(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported impact module, names) for every import of ``path``, lazy ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("impact"):
            names = [a.name for a in node.names]
            if node.module == "impact":
                found += [(f"impact.{n}", []) for n in names]
            else:
                found.append((node.module, names))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("impact")]
    return found


def _target(module: str) -> str:
    """Subpackage of an ``impact.…`` module, or "" for a top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (SRC / parts[1]).is_dir() else ""


def test_few_top_level_modules_and_one_subpackage_per_stage():
    top = [p.name for p in SRC.glob("*.py")]
    packages = [p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()]
    assert len(top) <= 10, top
    assert set(ALLOWED) <= set(packages), packages
    for name in packages:
        doc = ast.get_docstring(ast.parse((SRC / name / "__init__.py").read_text("utf-8")))
        assert doc and len(doc) > 80, f"impact.{name} needs a docstring saying what it does"


def test_no_module_over_the_size_limit():
    long = {str(p.relative_to(SRC)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def test_imports_point_one_way_and_skip_no_private_helper():
    wrong = []
    for path in _modules():
        package = _package(path)
        if not package:
            continue  # top-level entry points may call any stage
        for module, names in _imports(path):
            target = _target(module)
            if target == package:
                continue
            if target and target not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(SRC)} imports {module}")
            elif not target and module not in TOP_LEVEL_SHARED:
                wrong.append(f"{path.relative_to(SRC)} imports the entry point {module}")
            wrong += [f"{path.relative_to(SRC)} uses {module}.{n}" for n in names
                      if n.startswith("_")]
    assert not wrong, wrong


def test_allowed_dependencies_have_no_cycle():
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        assert state.get(node) != "open", " → ".join([*path, node])
        if state.get(node) == "done":
            return
        state[node] = "open"
        for nxt in ALLOWED[node]:
            visit(nxt, [*path, node])
        state[node] = "done"

    for node in ALLOWED:
        visit(node, [])


def test_nothing_in_the_library_names_a_programme():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    programmes = list(config["programmes"])
    assert programmes
    named = [f"{p.relative_to(SRC)}: {name}" for p in _modules()
             for name in programmes if name in p.read_text(encoding="utf-8")]
    assert not named, named
