"""Sniffing how a CSV export is written: its encoding and its separator.

Neither is trusted from the codebook: both are always detected, and when the detection disagrees
with the codebook's declaration the export is read as detected and ONE French line says which
value to put in the codebook. Problems that make the text unreadable raise a French
:class:`~impact.errors.DataError`.
"""

from __future__ import annotations

import codecs
import csv
import io
from itertools import islice

from impact.errors import DataError

CANDIDATE_DELIMITERS = [",", ";", "\t", "|"]
WESTERN_ENCODINGS = ["cp1252", "iso8859_15", "latin_1", "mac_roman"]
#: Records after the header looked at to judge a separator (field counts must agree).
SNIFF_RECORDS = 50
#: First lines searched for the header when the declared header line is not it.
HEADER_SEARCH_LINES = 20
#: Characters of the text those records are looked for in (the whole file is not copied).
SNIFF_CHARS = 1 << 18
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_UTF8_FAMILY = {"utf-8", "utf-8-sig"}
_BOMS16 = set(_UTF16_BOMS)


def codec_name(name: str) -> str:
    """Python's canonical name of an encoding (``UTF8`` → ``utf-8``), or ``name`` unknown."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def decode(data: bytes, declared: str, wave: str = "<vague>") -> tuple[str, str, list[str]]:
    """Decode bytes, sniffing rather than trusting the declared encoding.

    Order: a UTF-16 byte-order mark or the NUL pattern of UTF-16 text; a UTF-8 BOM; then strict
    UTF-8 (which Windows-1252 text with accents almost never passes); then the declared
    encoding; then charset-normalizer's best guess among the Western European encodings French
    exports come in (left free, it mistakes short French Windows-1252 files for cp1250).
    Returns ``(text, encoding_used, notes)`` without any BOM; a note reports a mismatch with
    ``declared``. Raises :class:`DataError` (without the file name) when nothing fits.
    """
    declared_norm = codec_name(declared)
    utf16 = _utf16_codec(data)
    if utf16:
        text = _decode_utf16(data, utf16)
        return text, utf16, _encoding_notes(utf16, declared_norm, wave, data)
    candidates = ["utf-8-sig"] if data.startswith(codecs.BOM_UTF8) else []
    candidates += ["utf-8"] + ([declared_norm] if declared_norm not in _UTF8_FAMILY else [])
    for encoding in dict.fromkeys(candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return text.lstrip("\ufeff"), encoding, _encoding_notes(encoding, declared_norm, wave,
                                                                 data)
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=WESTERN_ENCODINGS).best()
    if best is None:
        raise DataError("encodage du fichier impossible à déterminer")
    encoding = codec_name(best.encoding)
    return str(best), encoding, _encoding_notes(encoding, declared_norm, wave, data)


def _utf16_codec(data: bytes) -> str:
    """``utf-16-le``/``-be`` when the bytes are UTF-16 (BOM, or NULs on every other byte)."""
    for bom, codec in _UTF16_BOMS.items():
        if data.startswith(bom):
            return codec
    sample = data[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return ""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.7 * len(sample[1::2]) and even < 0.1 * len(sample[0::2]):
        return "utf-16-le"
    if even > 0.7 * len(sample[0::2]) and odd < 0.1 * len(sample[1::2]):
        return "utf-16-be"
    return ""


def _decode_utf16(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise DataError(f"fichier en UTF-16 ({codec}) mais illisible à l'octet {exc.start} "
                        "(fichier tronqué ?)") from None


def _encoding_notes(used: str, declared: str, wave: str, data: bytes) -> list[str]:
    same = ({used, declared} <= _UTF8_FAMILY or used == declared
            or (declared == "utf-16" and used.startswith("utf-16") and data[:2] in _BOMS16))
    if same or (data.isascii() and used in _UTF8_FAMILY and _ascii_compatible(declared)):
        return []
    extra = " (fichier UTF-16 lu correctement ; un export UTF-8 est préférable)" \
        if used.startswith("utf-16") else ""
    return [f"encodage déclaré « {declared} », détecté « {used} » : mettez "
            f"`encoding: {used}` dans waves.{wave} du codebook{extra}"]


def _ascii_compatible(encoding: str) -> bool:
    try:
        return "abc;,".encode(encoding) == b"abc;,"
    except (LookupError, UnicodeError):
        return False


def sniff_delimiter(text: str, declared: str, header_row: int = 1,
                    wave: str = "<vague>") -> tuple[str, list[str]]:
    """The separator of a CSV text, and a one-line note when it is not the declared one.

    Each candidate splits the header and the first :data:`SNIFF_RECORDS` records with the
    ``csv`` module (so separators inside quoted question texts do not count); among those
    giving more than one column, the one under which most records have as many fields as the
    header (or one more, empty: a trailing separator) wins, then the one giving more columns,
    then the declared one.
    """
    scores = {d: _delimiter_score(text, d, header_row) for d in CANDIDATE_DELIMITERS}
    if declared not in scores:
        scores[declared] = _delimiter_score(text, declared, header_row)
    best = max(scores, key=lambda d: (scores[d][1] > 1, scores[d], d == declared))
    if scores[best][1] == 0:
        raise DataError(f"la ligne d'en-tête (ligne {header_row}) est vide : l'export doit "
                        "commencer par les noms de colonnes")
    if scores[best][1] <= 1:
        raise DataError(f"aucun séparateur reconnu dans l'en-tête (ligne {header_row}, "
                        f"attendu « {declared} »). Vérifiez qu'il s'agit bien d'un export CSV.")
    if best == declared or scores[declared] == scores[best]:
        return declared, []
    shown = best.encode("unicode_escape").decode()
    return best, [f"séparateur déclaré « {declared} », détecté « {shown} » : mettez "
                  f'`delimiter: "{shown}"` dans waves.{wave} du codebook']


def _delimiter_score(text: str, delimiter: str, header_row: int) -> tuple[float, int]:
    """(share of records consistent with the header, number of header fields)."""
    sample = text[:SNIFF_CHARS]
    cut = len(sample) < len(text)
    lines = islice(text_lines(sample), header_row - 1, None)
    rows: list[list[str]] = []
    try:  # a broken record (NUL, huge field) ends the sample; records.py names it later
        for row in islice(csv.reader(lines, delimiter=delimiter), SNIFF_RECORDS + 1):
            rows.append(row)
    except csv.Error:
        cut = True
    if cut and len(rows) > 1:  # the last record may be cut short
        rows.pop()
    if not rows:
        return 0.0, 0
    width = len(rows[0])
    data = [r for r in rows[1:] if r]
    if not data:
        return 1.0, width
    short = width - 1 if width > 1 and rows[0][-1] == "" else width  # header ends with « ; »
    consistent = sum(len(r) in (width, short) or (len(r) == width + 1 and r[-1] == "")
                     for r in data)
    return consistent / len(data), width


def sniff_header_row(text: str, declared: int, expected: set[str],
                     wave: str = "<vague>") -> tuple[int, list[str]]:
    """The declared header line, or a line among the first ones matching more codebook columns.

    Exports sometimes carry a title line (« Export du 02/10/2025 ») above the header. Each of
    the first :data:`HEADER_SEARCH_LINES` lines is split with each candidate separator and
    compared with the codebook's columns (:func:`impact.ingest.headers.count_matches`).
    """
    from impact.ingest.headers import count_matches, header_key

    keys = {header_key(e) for e in expected}
    lines = list(islice(text_lines(text[:SNIFF_CHARS]), HEADER_SEARCH_LINES))
    counts = [max(count_matches(_split_line(line, d), keys) for d in CANDIDATE_DELIMITERS)
              for line in lines]
    if not counts:
        return declared, []
    at_declared = counts[declared - 1] if declared <= len(counts) else 0
    best = max(range(len(counts)), key=lambda i: (counts[i], -i)) + 1
    if counts[best - 1] <= at_declared:
        return declared, []
    return best, [f"en-tête trouvé à la ligne {best} ({counts[best - 1]} colonnes du codebook, "
                  f"contre {at_declared} à la ligne {declared} déclarée) : mettez "
                  f"`header_row: {best}` dans waves.{wave} du codebook"]


def _split_line(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a huge or broken line is no header; records.py names the problem
        return []


def text_lines(text: str) -> io.StringIO:
    """The text as lines for ``csv``: split on ``\\n`` (``\\r\\n`` kept for ``csv`` to handle),
    or on a lone ``\\r`` in a file that has no ``\\n`` at all (old Mac line ends)."""
    return io.StringIO(text, newline=None if "\n" not in text and "\r" in text else "\n")
