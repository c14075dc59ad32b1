"""Reading ``.xlsx`` exports: the header where it really is, every cell as the sheet shows it.

pandas reads the values (``data_only``: the values Excel cached), but hides three things that
lose or misread answers, so the raw sheet is looked at too (openpyxl): a title row above the
header (the header row is the one matching the most codebook columns), duplicated headers
(pandas renames the second ``X.1``), and formulas without a cached value (read as blanks).
Files that are not workbooks at all (a CSV renamed, an old ``.xls``, a truncated download) get
one French message each.
"""

from __future__ import annotations

import zipfile
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import DataError
from impact.ingest.headers import count_matches, header_key
from impact.ingest.raw import RawExport, drop_trailing_blank, padding_note, sha256_file
from impact.survey.codebook import WaveSpec

#: Rows at the top of a sheet searched for the header.
HEADER_SEARCH_ROWS = 20
#: Formula cells listed in a message before « … ».
SHOWN_CELLS = 8
_REREAD = ("Relisez le fichier téléchargé depuis l'outil d'enquête (ré-exportez-le au besoin) "
           "et relancez.")


def read_excel(path: Path, spec: WaveSpec) -> RawExport:
    """Read one sheet of a workbook as text records numbered by their sheet row."""
    _check_is_xlsx(path)
    book = _open(path)
    sheet = _sheet(path, book, spec)
    worksheet = book.book[sheet] if isinstance(sheet, str) else book.book.worksheets[sheet]
    top = [list(row) for row in islice(worksheet.iter_rows(values_only=True),
                                       HEADER_SEARCH_ROWS)]
    if not any(any(_filled(c) for c in row) for row in top):
        raise DataError(f"{path} : la feuille « {worksheet.title} » est vide. Vérifiez que "
                        "l'export contient les réponses (ou corrigez waves."
                        f"{spec.name}.sheet dans le codebook).")
    header_row, notes = _header_row(top, spec, worksheet.title)
    _check_raw_header(path, worksheet.title,
                      top[header_row - 1] if header_row <= len(top) else [], header_row)
    _check_cells(path, worksheet.title)
    # no NA guessing: « NA » is a code part (NAdia, NAthalie), « None » a possible answer
    frame = pd.read_excel(book, sheet_name=sheet, header=header_row - 1, dtype=object,
                          keep_default_na=False, na_values=[])
    raw_header = [str(c) for c in frame.columns]
    if raw_header and all(c.startswith("Unnamed:") for c in raw_header):
        raise DataError(f"{path} : la feuille « {worksheet.title} » n'a pas d'en-tête en ligne "
                        f"{header_row}.")
    frame.columns = raw_header
    padded = len(frame)
    frame = drop_trailing_blank(frame.map(_cell_text))
    lines = np.arange(len(frame), dtype=np.int64) + header_row + 1
    return RawExport(path, frame, lines, sha256_file(path), "xlsx", "",
                     notes + padding_note(padded, len(frame)))


def _check_is_xlsx(path: Path) -> None:
    """A workbook is a zip archive; say what the file is when it is not one."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{path} : fichier Excel illisible : c'est un classeur Excel 97-2003 "
                        "(.xls) ou un classeur protégé par mot de passe. Ouvrez-le dans Excel ou "
                        "LibreOffice et enregistrez-le au format .xlsx, sans mot de passe.")
    kind = "un fichier texte (CSV renommé ?)" if _looks_like_text(head) else "un autre format"
    raise DataError(f"{path} : fichier Excel illisible : ce n'est pas un classeur .xlsx mais "
                    f"{kind}. Déposez le vrai fichier .xlsx, ou, si l'export est un CSV, "
                    "nommez-le .csv et mettez `format: csv` (avec encoding et delimiter) dans le "
                    "codebook.")


def _looks_like_text(head: bytes) -> bool:
    return all(b >= 0x20 or b in b"\t\r\n" for b in head.lstrip(b"\xef\xbb\xbf\xff\xfe"))


def _open(path: Path) -> pd.ExcelFile:
    try:
        return pd.ExcelFile(path, engine="openpyxl")
    except zipfile.BadZipFile:
        raise DataError(f"{path} : fichier Excel illisible : l'archive .xlsx est tronquée ou "
                        f"corrompue (téléchargement interrompu ?). {_REREAD}") from None
    except (ValueError, OSError, KeyError, TypeError, EOFError) as exc:
        raise DataError(f"{path} : fichier Excel illisible ({type(exc).__name__} : il manque "
                        f"une partie du classeur ou elle est abîmée). {_REREAD}") from None


def _sheet(path: Path, book: pd.ExcelFile, spec: WaveSpec) -> str | int:
    sheets = book.sheet_names
    sheet = spec.sheet
    if isinstance(sheet, str) and sheet not in sheets:
        if len(sheets) == 1:
            return sheets[0]
        raise DataError(f"{path} : feuille « {spec.sheet} » absente (feuilles : "
                        f"{', '.join(sheets)}). Corrigez waves.{spec.name}.sheet dans le "
                        "codebook.")
    if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
        raise DataError(f"{path} : feuille n° {sheet} absente (le classeur a {len(sheets)} "
                        f"feuille(s) : {', '.join(sheets)}). Corrigez waves.{spec.name}.sheet "
                        "dans le codebook.")
    return sheet


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


def _header_row(top: list[list], spec: WaveSpec, title: str) -> tuple[int, list[str]]:
    """The declared header row, or the row that matches clearly more codebook columns."""
    keys = {header_key(e) for e in spec.raw_columns}
    counts = [count_matches(row, keys) for row in top]
    declared = spec.header_row
    at_declared = counts[declared - 1] if declared <= len(counts) else 0
    best = int(np.argmax(counts)) + 1
    if counts[best - 1] <= at_declared:
        return declared, []
    return best, [f"en-tête trouvé à la ligne {best} de la feuille « {title} » ({counts[best - 1]}"
                  f" colonnes du codebook, contre {at_declared} à la ligne {declared} "
                  f"déclarée) : mettez `header_row: {best}` dans waves.{spec.name} du codebook"]


def _check_raw_header(path: Path, title: str, cells: list, row: int) -> None:
    """Duplicated or blank header cells, which pandas would silently rename (``X.1``,
    ``Unnamed: 3``)."""
    from openpyxl.utils import get_column_letter

    names = [str(c).strip() if _filled(c) else "" for c in cells]
    seen: dict[str, list[str]] = {}
    for index, name in enumerate(names, 1):
        if name:
            seen.setdefault(name, []).append(f"{get_column_letter(index)}{row}")
    last = max((i for i, n in enumerate(names, 1) if n), default=0)
    blank = [f"{get_column_letter(i)}{row}" for i, n in enumerate(names[:last], 1) if not n]
    if blank:
        raise DataError(f"{path} : feuille « {title} » : cellule(s) d'en-tête vide(s) en "
                        f"{', '.join(blank[:SHOWN_CELLS])} entre des colonnes nommées. Nommez "
                        "ces colonnes ou supprimez-les, puis relancez.")
    duplicated = {n: cells for n, cells in seen.items() if len(cells) > 1}
    if duplicated:
        listed = "; ".join(f"« {n} » en {', '.join(c)}" for n, c in duplicated.items())
        raise DataError(f"{path} : colonnes en double dans l'en-tête de la feuille « {title} » : "
                        f"{listed}. Chaque question doit avoir un intitulé unique : renommez ou "
                        "supprimez la copie, puis relancez.")


def _check_cells(path: Path, title: str) -> None:
    """Cells pandas would read as blanks: formulas never computed, Excel error values."""
    formula, error = _sheet_markers(path)
    if not (formula or error):
        return
    formulas = _formula_cells(path, title) if formula else set()
    if not (formulas or error):
        return
    uncached, errors = _blank_or_error_cells(path, title, formulas)
    if uncached:
        raise DataError(f"{path} : feuille « {title} » : {len(uncached)} cellule(s) contiennent "
                        f"une formule sans valeur enregistrée ({_shown(uncached)}) et seraient "
                        "lues comme vides. Ouvrez le fichier dans Excel ou LibreOffice et "
                        "enregistrez-le (les valeurs sont alors calculées et enregistrées), ou "
                        "exportez les valeurs plutôt que les formules depuis l'outil, puis "
                        "relancez.")
    if errors:
        raise DataError(f"{path} : feuille « {title} » : {len(errors)} cellule(s) contiennent "
                        f"une valeur d'erreur Excel ({_shown(errors)}) qui serait lue comme "
                        "vide. Corrigez ou videz ces cellules dans le classeur (ou ré-exportez "
                        "les réponses), puis relancez.")


def _sheet_markers(path: Path) -> tuple[bool, bool]:
    """Whether any sheet's XML holds a formula (``<f``) or an error value (``t="e"``)."""
    formula = error = False
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name)
                formula, error = formula or b"<f" in xml, error or b't="e"' in xml
    return formula, error


def _formula_cells(path: Path, title: str) -> set[str]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    try:
        return {c.coordinate for row in book[title].iter_rows() for c in row
                if getattr(c, "data_type", None) == "f"}
    finally:
        book.close()


def _blank_or_error_cells(path: Path, title: str,
                          formulas: set[str]) -> tuple[list[str], list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    uncached, errors = [], []
    try:
        for row in book[title].iter_rows():
            for cell in row:
                where = getattr(cell, "coordinate", None)
                if cell.value is None and where in formulas:
                    uncached.append(where)
                elif getattr(cell, "data_type", None) == "e":
                    errors.append(f"{where} : {cell.value}")
    finally:
        book.close()
    return uncached, errors


def _shown(cells: list[str]) -> str:
    return ", ".join(cells[:SHOWN_CELLS]) + (" …" if len(cells) > SHOWN_CELLS else "")


def _cell_text(value: object) -> str:
    """Excel cells as text: datetimes in ISO form (parsed later), whole floats without '.0'."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
