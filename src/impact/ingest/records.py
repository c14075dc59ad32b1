"""Counting the records of a CSV export independently of the parser that reads it.

pandas' C parser is fast but forgiving: one unbalanced ``"`` in a free-text comment makes it
swallow the following lines into one quoted cell, and the answers on those lines vanish without
an error. :func:`scan_records` reads the decoded text a second time with the strict ``csv``
module, one record at a time, and stops with a French :class:`~impact.errors.DataError` naming
the physical line on anything that would lose, shift or truncate a record: an unclosed quote,
a cell that swallows lines which look like answers, a ragged row, a NUL character, a cell over
the ``csv`` field size limit. Its count is the one the ingest report calls ``rows_read`` and
must equal the number of rows pandas returns (:func:`check_same_records`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from impact.errors import DataError
from impact.ingest.sniff import text_lines

#: Ragged rows listed in a message before « et N autres ».
SHOWN = 5
_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
_QUOTE_FIX = ("Dans le texte d'une réponse, un guillemet doit être doublé (\"\") ou supprimé : "
              "corrigez l'export à cet endroit (ou ré-exportez-le depuis l'outil), puis relancez.")


@dataclass
class Records:
    """What the strict reading found: the header and where each record starts."""

    header: list[str]
    starts: np.ndarray  # 1-based physical line where each record (after the header) starts
    first: list[str]  # first field of each record, to locate a divergence with pandas
    trailing_delimiter: bool = False  # every data line ends with one extra, empty field
    header_trailing: bool = False  # the header line ends with a separator (header excludes it)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.starts)


def scan_records(text: str, delimiter: str, header_row: int, path: Path) -> Records:
    """Read ``text`` record by record (strict ``csv``), checking each record's shape."""
    _check_nul(text, path)
    lines = text_lines(text)
    for _ in range(header_row - 1):
        lines.readline()
    offset = header_row - 1
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if not header or not any(c.strip() for c in header):
            raise DataError(f"{path} : la ligne d'en-tête (ligne {header_row}) est vide. "
                            "L'export doit commencer par les noms de colonnes.")
        header_trailing = len(header) > 1 and header[-1] == ""
        records = _scan_body(reader, header[:-1] if header_trailing else header, offset, path,
                             delimiter, header_trailing, text.endswith(("\n", "\r")))
    except csv.Error as exc:
        raise _csv_problem(exc, text, offset + reader.line_num, path, delimiter,
                           getattr(exc, "record_start", None)) from None
    if header_trailing:
        records.header_trailing = True
        records.notes.append(f"séparateur « {delimiter} » en trop à la fin de l'en-tête : la "
                             "colonne sans intitulé qu'il crée, vide, est ignorée")
    return records


def _scan_body(reader, header: list[str], offset: int, path: Path, delimiter: str,
               header_trailing: bool, ends_with_newline: bool) -> Records:
    """Each record's start line and shape; ``header_trailing``: the header ended with a
    separator, so data lines with or without one are both whole. A short last record in a
    file that does not end with a line break is a cut download: it is read (its missing
    fields blank, nothing shifts) and noted, not treated as a ragged row."""
    width = len(header)
    starts: list[int] = []
    first: list[str] = []
    odd: list[tuple[int, int]] = []  # (line, fields) of records not as wide as the header
    trailing: list[tuple[int, int]] = []  # records with one extra, empty, last field
    exact = 0
    previous_end = reader.line_num
    for row in _rows(reader, offset):
        start, end = offset + previous_end + 1, offset + reader.line_num
        previous_end = reader.line_num
        if end > start:
            _check_multiline(row, header, start, path, delimiter)
        if len(row) == width:
            exact += 1
        elif len(row) == width + 1 and row[-1] == "":
            trailing.append((start, len(row)))
        elif not _blank(row):
            odd.append((start, len(row)))
        starts.append(start)
        first.append(row[0] if row else "")
    cut = _cut_last(odd, starts, width, ends_with_newline)
    all_trailing = bool(trailing) and not exact and not odd and not header_trailing
    if trailing and not all_trailing and not header_trailing:
        odd = sorted(odd + trailing)
    if odd:
        raise _ragged(odd, width, path, delimiter)
    records = Records(header, np.asarray(starts, dtype=np.int64), first, all_trailing)
    records.notes.extend(cut)
    if all_trailing:
        records.notes.append(f"séparateur « {delimiter} » en trop à la fin de chaque ligne de "
                             "données (pas dans l'en-tête) : le champ vide final est ignoré, "
                             "aucune colonne n'est décalée")
    return records


def _rows(reader, offset: int):
    """The reader's rows; a ``csv.Error`` carries the line where the failing record began."""
    while True:
        before = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            exc.record_start = offset + before + 1
            raise
        yield row


def _cut_last(odd: list[tuple[int, int]], starts: list[int], width: int,
              ends_with_newline: bool) -> list[str]:
    """Take a cut last record out of ``odd`` and return the note about it (or nothing)."""
    if ends_with_newline or not odd or odd[-1][0] != starts[-1] or odd[-1][1] >= width:
        return []
    line, fields = odd.pop()
    return [f"dernière ligne (ligne {line}) coupée : {fields} champ(s) sur {width} et pas de "
            "fin de ligne (téléchargement interrompu ?) ; elle est lue avec ses champs "
            "manquants vides — ré-exportez le fichier pour la récupérer entière"]


def _blank(row: list[str]) -> bool:
    """An empty line (kept as a blank record, like pandas does), not a ragged row."""
    return len(row) <= 1 and not "".join(row).strip()


def _ragged(odd: list[tuple[int, int]], width: int, path: Path, delimiter: str) -> DataError:
    shown = ", ".join(f"ligne {line} : {n} champs" for line, n in odd[:SHOWN])
    more = f" et {len(odd) - SHOWN} autre(s)" if len(odd) > SHOWN else ""
    return DataError(
        f"{path} : structure CSV invalide : {len(odd)} enregistrement(s) n'ont pas autant "
        f"de champs que l'en-tête ({width}) — {shown}{more}. Une réponse contient sans "
        f"doute le séparateur « {delimiter} » hors guillemets, ou une ligne a été coupée ou "
        "collée : corrigez ces lignes de l'export (ou ré-exportez-le) ; rien n'est lu tant "
        "qu'une ligne décalerait les colonnes.")


def _check_multiline(row: list[str], header: list[str], start: int, path: Path,
                     delimiter: str) -> None:
    """A quoted cell spanning lines is legitimate unless those lines look like records."""
    line = start
    for i, value in enumerate(row):
        if "\n" not in value:
            continue
        inner = value.split("\n")
        if any(_looks_like_record(part, row[0], len(header), delimiter) for part in inner[1:]):
            column = header[i] if i < len(header) else f"n° {i + 1}"
            last = line + len(inner) - 1
            swallowed = (f"la ligne {last}, qui ressemble à une réponse, serait lue"
                         if last == line + 1 else f"les lignes {line + 1} à {last}, qui "
                         "ressemblent à des réponses, seraient lues")
            raise DataError(
                f"{path} : guillemet ouvrant non refermé à la ligne {line} (colonne "
                f"« {column} ») : {swallowed} dans cette seule cellule et perdue(s). "
                f"{_QUOTE_FIX}")
        line += len(inner) - 1


def _looks_like_record(part: str, first: str, width: int, delimiter: str) -> bool:
    """Whether a line inside a quoted cell is an answer swallowed by an unclosed quote.

    Either it holds (nearly) a whole record's separators, or it holds many and starts like the
    records do (same shape of first field: « 12 » and « 345 », or two timestamps). A comment
    with a few « ; » or « , » on a line is neither.
    """
    count = part.count(delimiter)
    if count >= max(2, width - 2):
        return True
    return count >= max(3, (width - 1) // 2) and _shape(part.split(delimiter, 1)[0]) == _shape(
        first)


def _shape(value: str) -> str:
    return _LETTERS.sub("a", _DIGITS.sub("9", value.strip().strip('"')))


def _check_nul(text: str, path: Path) -> None:
    position = text.find("\0")
    if position < 0:
        return
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    raise DataError(f"{path} : caractère NUL (octet 00) à la ligne {line}, caractère {column} : "
                    "le fichier est corrompu ou n'est pas un texte UTF-8 / Windows-1252. "
                    "Ré-exportez-le en CSV UTF-8 (ou supprimez ce caractère), puis relancez.")


def _csv_problem(exc: csv.Error, text: str, line: int, path: Path, delimiter: str,
                 record_start: int | None = None) -> DataError:
    """The strict reader's complaint, in French, with the line and the fix.

    ``record_start``: the line where the failing record began; a quote opened on an earlier
    line of that record than the failure is the unclosed one."""
    reason = str(exc)
    lines = text.split("\n" if "\n" in text else "\r")
    quote = _odd_quote_line(lines, line)
    if record_start is not None and record_start < line:
        odd = [n for n in range(record_start, line) if lines[n - 1].count('"') % 2]
        quote = odd[0] if odd else record_start
    if "field larger than field limit" in reason:
        limit = csv.field_size_limit()
        where = f" ; guillemet ouvrant non refermé à la ligne {quote} ?" if quote else ""
        return DataError(
            f"{path} : une cellule dépasse {limit:_} caractères (lecture arrêtée à la ligne "
            f"{line}{where}). C'est presque toujours un guillemet non refermé ou un contenu "
            f"collé par erreur. {_QUOTE_FIX}".replace("_", " "))
    if "unexpected end of data" in reason or "expected after" in reason:
        if quote and quote < line:
            return DataError(f"{path} : guillemet ouvrant non refermé à la ligne {quote} : les "
                             f"lignes suivantes (jusqu'à la ligne {line}) seraient lues comme "
                             f"une seule cellule. {_QUOTE_FIX}")
        return DataError(f"{path} : guillemet mal placé à la ligne {line} : un guillemet ferme "
                         f"une cellule sans être suivi du séparateur « {delimiter} ». "
                         f"{_QUOTE_FIX}")
    if "new-line character seen in unquoted field" in reason:
        return DataError(f"{path} : retour chariot isolé (caractère \\r) hors guillemets à la "
                         f"ligne {line} : les fins de ligne du fichier sont mélangées, et une "
                         "réponse serait coupée en deux. Ré-enregistrez le fichier avec des fins "
                         "de ligne uniformes (ou ré-exportez-le), puis relancez.")
    return DataError(f"{path} : structure CSV illisible à la ligne {line} ({reason}). "
                     "Vérifiez les guillemets, les fins de ligne et le séparateur, ou "
                     "ré-exportez le fichier.")


def _odd_quote_line(lines: list[str], stop: int) -> int:
    """The last line up to ``stop`` opening a quote that is not closed on that line.

    Scanning forward, a line with an odd number of ``"`` toggles "inside a quoted cell"; the
    line that last opened one is where the unclosed quote sits (0 when none is open).
    """
    opened = 0
    for number, text in enumerate(lines[:stop], 1):
        if text.count('"') % 2:
            opened = 0 if opened else number
    return opened


def check_same_records(records: Records, n_parsed: int, parsed_first: list[str],
                       path: Path) -> None:
    """Stop unless pandas returned exactly the records the strict reading counted."""
    if n_parsed == len(records) and parsed_first == records.first:
        return
    pairs = zip(parsed_first, records.first, strict=False)
    index = next((i for i, (a, b) in enumerate(pairs) if a != b), min(n_parsed, len(records)))
    starts = records.starts
    line = str(starts[min(index, len(starts) - 1)]) if len(starts) else "suivant l'en-tête"
    raise DataError(
        f"{path} : deux lectures du fichier ne trouvent pas les mêmes enregistrements "
        f"({len(records)} selon la lecture stricte, {n_parsed} selon pandas) ; elles divergent "
        f"à la ligne {line}. Vérifiez les guillemets, les fins de ligne (caractère retour "
        "chariot isolé ?) et le séparateur autour de cette ligne, ou ré-exportez le fichier.")
