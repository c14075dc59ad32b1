"""Works cited in a report's text, found by their « Auteur, année » form, and the check that
the references list holds each of them. Kept apart from :mod:`.document` so the HTML job can
check a page without importing pandas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["CITATION", "NOT_CITED", "check_citations", "cited_works"]

#: « (Lakens, 2013) », « Lakens (2013) », « Bell et McCaffrey, 2002 »: author(s) and year.
CITATION = re.compile(
    r"\b([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,2}(?:\s+(?:et|and|&)\s+[A-Z][\w'\-]+)?"
    r"(?:\s+et al\.)?)(?:,\s*|\s+\()((?:19|20)\d{2})\b")
#: Capitalised words followed by a year that are not citations (campaigns, laws, circulars).
NOT_CITED = {"Campagne", "Campaign", "Enquêtes", "Surveys", "Mai", "Juin", "Loi", "Version",
             "Handbook", "Standards"}


def cited_works(text: str) -> set[str]:
    """« Auteur année » keys of the citations in ``text`` (see :data:`CITATION`); « and » and
    « & » between two authors read « et », as in the references' keys."""
    found = set()
    for m in CITATION.finditer(text):
        author = " ".join("et" if w in ("and", "&") else w for w in m.group(1).split())
        words = author.split()
        if words[0] in NOT_CITED or words[-1].isupper():  # « CMQ-E ICI (2026) »: no author
            continue
        found.add(f"{author} {m.group(2)}")
    return found


def check_citations(text: str, references: Mapping[str, str]) -> list[str]:
    """Works cited in ``text`` that the references list lacks (keys « Auteur année »)."""
    listed = {k.lower() for k in references}
    return sorted(c for c in cited_works(text) if c.lower() not in listed)
