"""Finding the codebook's columns among an export's headers, forgiving invisible differences.

Survey tools and spreadsheets change headers in ways nobody sees: a no-break space (U+00A0,
U+202F before « ? » in French typography), a typographic apostrophe ’ for ', doubled or trailing
spaces, decomposed accents (NFD), a capital letter. :func:`header_key` folds these away on both
sides; :func:`describe_difference` says visibly what differs, for the notes and for the
suggestion shown when a column is still missing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

_SPACES = {"\u00a0": "U+00A0 (espace insécable)", "\u202f": "U+202F (espace fine insécable)",
           "\u2007": "U+2007 (espace tabulaire)", "\t": "une tabulation"}
_APOSTROPHES = {"\u2019": "’", "\u2018": "‘", "\u02bc": "ʼ", "\u00b4": "´"}
_QUOTES = {"\u00ab": "«", "\u00bb": "»", "\u201c": "“", "\u201d": "”"}
_WHITESPACE = re.compile(r"\s+")


def header_key(text: str) -> str:
    """The comparison form of a header: NFC, one plain space, straight apostrophes, casefold."""
    text = unicodedata.normalize("NFC", str(text))
    for char in _APOSTROPHES:
        text = text.replace(char, "'")
    return _WHITESPACE.sub(" ", text).strip().casefold()


def match_headers(expected: list[str], found: list[str]) -> dict[str, str]:
    """Map each expected column to the export header it is (exactly, else by key).

    An expected column matches by key only when exactly one header has that key and that header
    is not itself expected verbatim, so two headers differing only by a space are never merged.
    """
    exact = set(found)
    by_key: dict[str, list[str]] = {}
    for header in found:
        by_key.setdefault(header_key(header), []).append(header)
    mapping: dict[str, str] = {}
    for column in expected:
        if column in exact:
            mapping[column] = column
            continue
        candidates = [h for h in by_key.get(header_key(column), []) if h not in expected]
        if len(candidates) == 1:
            mapping[column] = candidates[0]
    return mapping


def describe_difference(expected: str, found: str) -> str:
    """In French, what makes ``found`` differ from ``expected`` (visible characters named)."""
    notes = _invisible_differences(expected, found)
    if header_key(expected) != header_key(found):
        notes.append(_edits(header_key(expected), header_key(found)))
    elif expected.casefold() != expected and _fold_light(expected) != _fold_light(found):
        notes.append("majuscules / minuscules différentes")
    return " ; ".join(n for n in notes if n) or "différence invisible"


def _fold_light(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    for char in _APOSTROPHES:
        text = text.replace(char, "'")
    return _WHITESPACE.sub(" ", text).strip()


def _invisible_differences(expected: str, found: str) -> list[str]:
    notes = []
    for char, name in _SPACES.items():
        if found.count(char) > expected.count(char):
            notes.append(f"{name} au lieu d'une espace")
        elif expected.count(char) > found.count(char):
            notes.append(f"une espace au lieu de {name}")
    for char, shown in {**_APOSTROPHES, **_QUOTES}.items():
        if found.count(char) > expected.count(char):
            notes.append(f"apostrophe typographique {shown} au lieu de '"
                         if char in _APOSTROPHES else f"guillemet {shown} en plus")
        elif expected.count(char) > found.count(char) and char in _APOSTROPHES:
            notes.append(f"apostrophe droite ' au lieu de {shown}")
    if unicodedata.normalize("NFC", found) != found:
        notes.append("accents décomposés (Unicode NFD)")
    if found != found.strip() or expected != expected.strip():
        notes.append("espace en début ou en fin d'intitulé")
    if "  " in found.strip() and "  " not in expected:
        notes.append("espaces répétées")
    return notes


def _edits(expected: str, found: str) -> str:
    """The word-level edits turning ``expected`` into ``found`` (« perso » ajouté, …)."""
    a, b = expected.split(" "), found.split(" ")
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old, new = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if tag == "insert":
            parts.append(f"« {new} » ajouté")
        elif tag == "delete":
            parts.append(f"« {old} » supprimé")
        elif tag == "replace":
            parts.append(f"« {old} » remplacé par « {new} »")
    return ", ".join(parts[:3]) + (" …" if len(parts) > 3 else "")


def nearest(column: str, candidates: list[str], cutoff: float = 80) -> str | None:
    """The candidate header closest to ``column`` (rapidfuzz on the keys), if close enough."""
    if not candidates:
        return None
    from rapidfuzz import process

    keys = [header_key(c) for c in candidates]
    best = process.extractOne(header_key(column), keys)
    if best is None or best[1] < cutoff:
        return None
    return candidates[best[2]]


def count_matches(cells: list[object], keys: set[str]) -> int:
    """How many of the expected headers (given by their :func:`header_key`) a row holds."""
    return len({header_key(c) for c in cells if c is not None and str(c).strip()} & keys)
