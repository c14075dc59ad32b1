"""Refresh the report's English message catalogue from the code.

    python tools/update_catalogue.py

Extracts every ``_("…")`` / ``N_("…")`` string of ``src/impact/report/`` and of the code cells
of ``workflow/notebooks/*.ipynb`` (Babel's extractor), adds the new ones to
``src/impact/report/locale/en/LC_MESSAGES/impact.po`` with an empty ``msgstr`` (fill it in),
drops the ones no longer used and keeps the other translations. ``tests/test_i18n.py`` fails
until every msgid has its English text.
"""

from __future__ import annotations

import sys
from pathlib import Path

from impact.report.i18n import CATALOGUE, update_catalogue

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    added, removed, untranslated = update_catalogue(REPO)
    for msgid in added:
        print(f"new (translate it): {msgid!r}")
    for msgid in removed:
        print(f"dropped (unused): {msgid!r}")
    print(
        f"{CATALOGUE.relative_to(REPO)}: {len(added)} new, {len(removed)} dropped, "
        f"{len(untranslated)} without translation"
    )
    return 1 if untranslated else 0


if __name__ == "__main__":
    sys.exit(main())
