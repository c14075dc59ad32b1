"""How well ``impact codebook draft`` recovers the example codebooks (``make bench``).

For each example programme, its codebook is set aside (a scratch copy of ``surveys/`` without
``codebook.yaml``), a draft is written from its exports alone, read back as YAML (merge keys
resolved) and compared, wave by wave, with the real codebook's ``columns``:

* correct — the draft maps the variable to the real column;
* wrong — the draft maps the variable to another column, or the real column to another
  variable;
* unmapped — the draft leaves the variable out (its column listed « À DÉCIDER »);

plus ``identifiers_as_items``: columns the real codebook lists as ``identifiers`` that the draft
maps to a variable (must be 0). Prints one line per programme and the total.

    .venv/bin/python bench/codebook_draft.py [--surveys surveys]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def compare(real: dict, drafted: dict) -> dict[str, int]:
    """Counts of correct / wrong / unmapped variables and of identifiers mapped to items."""
    counts = {"variables": 0, "correct": 0, "wrong": 0, "unmapped": 0,
              "identifiers_as_items": 0}
    for wave, spec in real["waves"].items():
        got = (drafted["waves"].get(wave) or {}).get("columns") or {}
        by_column = {c: v for v, c in got.items()}
        for var, column in spec["columns"].items():
            counts["variables"] += 1
            if got.get(var) == column:
                counts["correct"] += 1
            elif var in got or column in by_column:
                counts["wrong"] += 1
            else:
                counts["unmapped"] += 1
        identifiers = set(spec.get("identifiers", []))
        counts["identifiers_as_items"] += sum(c in identifiers for c in got.values())
    return counts


def measure(surveys: Path) -> dict[str, dict[str, int]]:
    """Draft each example programme without its codebook; counts per programme."""
    from impact.toolkit.draft import draft_codebook

    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "surveys"
        shutil.copytree(surveys, copy)
        for book_path in sorted(copy.glob("*/codebook.yaml")):
            real = yaml.safe_load(book_path.read_text(encoding="utf-8"))
            book_path.unlink()
            exports = [book_path.parent / spec["file"] for spec in real["waves"].values()]
            draft = draft_codebook(exports, book_path.parent.name, copy / "instrument.yaml")
            results[real["programme"]] = compare(real, yaml.safe_load(draft.text))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=Path, default=ROOT / "surveys")
    args = parser.parse_args()
    results = measure(args.surveys)
    total = {k: sum(r[k] for r in results.values()) for k in next(iter(results.values()))}
    print("codebook draft vs the real codebooks (wave × variable)")
    for name, r in {**results, "TOTAL": total}.items():
        share = 100 * r["correct"] / r["variables"]
        print(f"  {name:<22} {r['correct']:>4}/{r['variables']:<4} correct ({share:5.1f} %), "
              f"{r['wrong']} wrong, {r['unmapped']} unmapped, "
              f"{r['identifiers_as_items']} identifier(s) mapped to a variable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
