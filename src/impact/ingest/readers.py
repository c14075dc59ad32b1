"""Reading raw survey exports as the codebook describes them, without trusting them.

Real exports arrive in UTF-8 with or without BOM or in Windows-1252 (a CSV re-saved by Excel),
with ``,`` or ``;`` separators, as CSV or Excel. :func:`read_export` returns every record as
text (no type guessing), the physical line of each record in the file (for provenance), and
what it found about the encoding and separator, so that a mismatch with the codebook is
reported instead of crashing. Problems that make the file unreadable raise a French
:class:`~impact.errors.DataError` naming the file and what to do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import DataError
from impact.survey.codebook import WaveSpec

_CANDIDATE_DELIMITERS = [",", ";", "\t", "|"]
WESTERN_ENCODINGS = ["cp1252", "iso8859_15", "latin_1", "mac_roman", "utf_16"]


@dataclass
class RawExport:
    """An export read as text. ``frame`` has the raw header as columns, every cell a ``str``."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray  # 1-based physical line (CSV) or sheet row (Excel) of each record
    sha256: str
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)  # French remarks for the ingest log


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_export(path: str | Path, spec: WaveSpec) -> RawExport:
    """Read one export (CSV or Excel) as text records with their line numbers."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Export introuvable : {path}. Déposez le fichier de la vague "
                        f"« {spec.name} » sous ce nom, ou corrigez waves.{spec.name}.file "
                        "dans le codebook.")
    if path.stat().st_size == 0:
        raise DataError(f"Export vide : {path} (0 octet). Refaites l'export depuis l'outil "
                        "d'enquête.")
    if spec.format == "xlsx":
        return _read_excel(path, spec)
    return _read_csv(path, spec)


def decode(data: bytes, declared: str) -> tuple[str, str, list[str]]:
    """Decode bytes, sniffing rather than trusting the declared encoding.

    Order: a UTF-8 BOM wins; then strict UTF-8 (which Windows-1252 text with accents almost
    never passes); then the declared encoding; then charset-normalizer's best guess among the
    Western European encodings French exports come in (left free, it mistakes short French
    Windows-1252 files for Central European cp1250).
    Returns ``(text, encoding_used, notes)``; a note reports any mismatch with ``declared``.
    """
    declared_norm = _codec_name(declared)
    candidates = ["utf-8-sig"] if data.startswith(b"\xef\xbb\xbf") else []
    candidates += ["utf-8"] + ([declared_norm] if declared_norm != "utf-8" else [])
    for encoding in dict.fromkeys(candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, encoding, _encoding_notes(encoding, declared_norm)
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=WESTERN_ENCODINGS).best()
    if best is None:
        raise DataError("encodage du fichier impossible à déterminer")
    encoding = _codec_name(best.encoding)
    return str(best), encoding, _encoding_notes(encoding, declared_norm)


def _codec_name(name: str) -> str:
    import codecs

    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _encoding_notes(used: str, declared: str) -> list[str]:
    same = {used, declared} <= {"utf-8", "utf-8-sig"} or used == declared
    if same:
        return []
    return [f"encodage déclaré dans le codebook : {declared} ; encodage détecté et utilisé : "
            f"{used} (mettez à jour waves.<vague>.encoding pour faire disparaître ce message)"]


def _read_csv(path: Path, spec: WaveSpec) -> RawExport:
    data = path.read_bytes()
    try:
        text, encoding, notes = decode(data, spec.encoding)
    except DataError as exc:
        raise DataError(f"{path} : {exc}. Ré-exportez le fichier en UTF-8.") from None
    text = text.lstrip("\ufeff")
    header_line = _nth_line(text, spec.header_row - 1)
    if not header_line.strip():
        raise DataError(f"{path} : la ligne d'en-tête (ligne {spec.header_row}) est vide. "
                        "L'export doit commencer par les noms de colonnes.")
    delimiter = spec.delimiter
    if delimiter not in header_line:
        found = max(_CANDIDATE_DELIMITERS, key=header_line.count)
        if header_line.count(found) == 0:
            raise DataError(f"{path} : aucun séparateur reconnu dans l'en-tête (attendu "
                            f"« {spec.delimiter} »). Vérifiez qu'il s'agit bien d'un export CSV.")
        notes.append(f"séparateur déclaré « {spec.delimiter} », séparateur détecté et utilisé : "
                     f"« {found} »")
        delimiter = found
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, skiprows=spec.header_row - 1,
                            skip_blank_lines=False, engine="c")
    except pd.errors.ParserError as exc:
        raise DataError(f"{path} : structure CSV invalide ({exc}). Une ligne a plus de "
                        "colonnes que l'en-tête : vérifiez les guillemets et le séparateur.") \
            from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} : aucune colonne lisible. Refaites l'export.") from None
    _check_header(path, list(frame.columns), _split_header(header_line, delimiter))
    frame = _drop_trailing_blank(frame)
    lines = _record_lines(text, delimiter, spec.header_row, len(frame))
    return RawExport(path, frame, lines, hashlib.sha256(data).hexdigest(), encoding, delimiter,
                     notes)


def _nth_line(text: str, n: int) -> str:
    for i, line in enumerate(io.StringIO(text)):
        if i == n:
            return line
    return ""


def _split_header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter))


def _check_header(path: Path, parsed: list[str], raw: list[str]) -> None:
    duplicated = sorted({c for c in raw if raw.count(c) > 1})
    if duplicated:
        raise DataError(f"{path} : colonnes en double dans l'en-tête : "
                        f"{', '.join(repr(c) for c in duplicated)}. Chaque question doit avoir "
                        "un intitulé unique.")
    blank = [i + 1 for i, c in enumerate(raw) if not c.strip()]
    if blank:
        raise DataError(f"{path} : colonne(s) sans intitulé en position(s) "
                        f"{', '.join(map(str, blank))}. Supprimez-les ou nommez-les.")


def _drop_trailing_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank records at the very end are file padding, not answers (inner ones are kept)."""
    if frame.empty:
        return frame
    blank = (frame == "").all(axis=1).to_numpy()
    last = len(frame) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    return frame.iloc[:last]


def _record_lines(text: str, delimiter: str, header_row: int, n_records: int) -> np.ndarray:
    """Physical line where each record starts (quoted fields may span several lines)."""
    simple = np.arange(n_records) + header_row + 1
    if '"' not in text or text.count("\n") <= n_records + header_row:
        if _no_multiline_fields(text):
            return simple
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    starts = []
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    starts = starts[header_row:header_row + n_records]
    return np.asarray(starts, dtype=np.int64)


def _no_multiline_fields(text: str) -> bool:
    # A record spans lines only when a quoted field holds a newline: an odd number of quotes on
    # a physical line is the cheap, sufficient sign.
    return all(line.count('"') % 2 == 0 for line in text.splitlines())


def _read_excel(path: Path, spec: WaveSpec) -> RawExport:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        raise DataError(f"{path} : fichier Excel illisible ({type(exc).__name__}). "
                        "Vérifiez qu'il s'agit bien du fichier .xlsx téléchargé depuis l'outil "
                        "(et non d'un CSV renommé).") from None
    sheets = book.sheet_names
    sheet = spec.sheet
    if isinstance(sheet, str) and sheet not in sheets:
        if len(sheets) == 1:
            sheet = sheets[0]
        else:
            raise DataError(f"{path} : feuille « {spec.sheet} » absente (feuilles : "
                            f"{', '.join(sheets)}). Corrigez waves.{spec.name}.sheet dans le "
                            "codebook.")
    # no NA guessing: « NA » is a code part (NAdia, NAthalie), « None » a possible answer
    frame = pd.read_excel(book, sheet_name=sheet, header=spec.header_row - 1, dtype=object,
                          keep_default_na=False, na_values=[])
    raw_header = [str(c) for c in frame.columns]
    unnamed = [c for c in raw_header if c.startswith("Unnamed:")]
    if unnamed and len(unnamed) == len(raw_header):
        raise DataError(f"{path} : la feuille « {sheet} » n'a pas d'en-tête en ligne "
                        f"{spec.header_row}.")
    frame.columns = raw_header
    frame = frame.map(_cell_text)
    frame = _drop_trailing_blank(frame)
    lines = np.arange(len(frame), dtype=np.int64) + spec.header_row + 1
    return RawExport(path, frame, lines, sha256_file(path), "xlsx", "", [])


def _cell_text(value: object) -> str:
    """Excel cells as text: datetimes in ISO form (parsed later), whole floats without '.0'."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
