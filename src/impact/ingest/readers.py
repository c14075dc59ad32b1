"""Reading raw survey exports as the codebook describes them, without trusting them.

Real exports arrive in UTF-8 with or without BOM, in Windows-1252 (a CSV re-saved by Excel) or
even UTF-16, with ``,`` or ``;`` separators, as CSV or Excel. :func:`read_export` returns every
record as text (no type guessing), the physical line of each record in the file (for
provenance), and what it found about the encoding and separator (:mod:`impact.ingest.sniff`),
so that a mismatch with the codebook is reported instead of crashing. A CSV's records are
counted a second time by a strict reading (:mod:`impact.ingest.records`) that must agree with
pandas; workbooks are checked cell by cell (:mod:`impact.ingest.workbook`). Problems that would
lose, shift or misread a record raise a French :class:`~impact.errors.DataError` naming the
file, the line or cell, and what to do.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import pandas as pd

from impact.errors import DataError
from impact.ingest.raw import RawExport, drop_trailing_blank, padding_note, sha256_file
from impact.ingest.records import Records, check_same_records, scan_records
from impact.ingest.sniff import decode, sniff_delimiter, sniff_header_row
from impact.ingest.workbook import read_excel
from impact.survey.codebook import WaveSpec

__all__ = ["RawExport", "decode", "read_export", "sha256_file"]


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
        return read_excel(path, spec)
    return _read_csv(path, spec)


def _read_csv(path: Path, spec: WaveSpec) -> RawExport:
    """Decode, sniff, count the records strictly, then parse with pandas and compare."""
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise DataError(f"{path} : ce fichier est un classeur Excel (ou une archive zip), pas un "
                        f"CSV : mettez `format: xlsx` dans waves.{spec.name} du codebook (et "
                        "nommez-le .xlsx), ou exportez les réponses en CSV.")
    try:
        text, encoding, notes = decode(data, spec.encoding, spec.name)
        header_row, header_notes = sniff_header_row(text, spec.header_row, spec.raw_columns,
                                                    spec.name)
        delimiter, delimiter_notes = sniff_delimiter(text, spec.delimiter, header_row,
                                                     spec.name)
    except DataError as exc:
        raise DataError(f"{path} : {str(exc).rstrip('.')}. Au besoin, ré-exportez le fichier "
                        "en CSV UTF-8.") from None
    notes += header_notes
    records = scan_records(text, delimiter, header_row, path)
    _check_header(path, records.header)
    frame = _parse_csv(text, delimiter, header_row, records, path)
    check_same_records(records, len(frame), frame.iloc[:, 0].tolist(), path)
    padded = len(frame)
    frame = drop_trailing_blank(frame)
    lines = records.starts[:len(frame)]
    return RawExport(path, frame, lines, hashlib.sha256(data).hexdigest(), encoding, delimiter,
                     notes + delimiter_notes + records.notes + padding_note(padded, len(frame)))


def _parse_csv(text: str, delimiter: str, header_row: int, records: Records,
               path: Path) -> pd.DataFrame:
    """pandas' reading of the text, every cell a ``str`` (the frame harmonise works on)."""
    try:
        with warnings.catch_warnings():
            # index_col=False drops the extra last field, which scan_records found empty on
            # every line: pandas' "loss of data" warning does not apply
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str,
                               keep_default_na=False, na_filter=False, skiprows=header_row - 1,
                               skip_blank_lines=False, engine="c",
                               index_col=False if records.trailing_delimiter else None,
                               usecols=range(len(records.header))
                               if records.header_trailing else None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path} : structure CSV invalide ({first}). Vérifiez les guillemets "
                        "et le séparateur, ou ré-exportez le fichier.") from None


def _check_header(path: Path, raw: list[str]) -> None:
    """Stop on duplicated or blank header names (pandas would rename them silently)."""
    duplicated = sorted({c for c in raw if raw.count(c) > 1})
    if duplicated:
        raise DataError(f"{path} : colonnes en double dans l'en-tête : "
                        f"{', '.join(repr(c) for c in duplicated)}. Chaque question doit avoir "
                        "un intitulé unique.")
    blank = [i + 1 for i, c in enumerate(raw) if not c.strip()]
    if blank:
        raise DataError(f"{path} : colonne(s) sans intitulé en position(s) "
                        f"{', '.join(map(str, blank))}. Supprimez-les ou nommez-les.")
