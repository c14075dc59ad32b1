"""Deliverables for evaluators: the published tables for Excel, the panel for Stata, SPSS and R.

Two zones (DESIGN.md « Zones »):

* ``results/exports/`` (publishable, aggregates): the indicator tables of
  ``results/datapackage.json`` as one workbook (:func:`write_workbook`: a « Lisez-moi » sheet
  with the Lecture / Champ / Source notes and the columns, then a sheet per table) and as
  French-Excel CSV files (:func:`write_french_csv`: UTF-8 with BOM, ``;``, decimal comma).
  Both read the published CSVs only, so they can show nothing the CSVs do not; on top of that
  every cell that disclosure control blanks (:func:`secret_mask`) reads « s. » (secret
  statistique) whatever the input holds there.
* ``restricted/exports/`` (pseudonymised personal data, one row per respondent × wave): the
  analysis panel as Stata ``.dta``, SPSS ``.sav`` and Parquet with its variable and value
  labels (:func:`write_panel`), after :func:`assert_pseudonymised`.

Number formats: an ``.xlsx`` number format code is locale-independent — ``.`` is the decimal
separator and ``,`` the thousands separator *of the reader's locale* — so ``0.00`` shows
« 0,42 » in French Excel and LibreOffice; writing ``0,00`` would be wrong. Proportions stay
real numbers (0.423) shown with the ``0.0 %`` format (« 42,3 % »).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from impact.checks.gx_store import run_time
from impact.errors import ConfigError, DataError
from impact.indicators import contract
from impact.indicators.disclosure import BLANK_ESTIMATE
from impact.safety import formula_safe, formula_safe_frame
from impact.toolkit.dictionary import PanelLabels

#: What a suppressed cell reads (secret statistique), as in the report.
SECRET = "s."
#: Excel's limit on sheet names.
SHEET_NAME_MAX = 31
#: Excel number format codes (locale-independent, see the module docstring).
FORMAT_INTEGER = "#,##0"
FORMAT_DECIMAL = "0.00"
FORMAT_ONE_DECIMAL = "0.0"
FORMAT_PERCENT = "0.0\\ %"
FORMAT_P = "0.000"
#: Format of ``estimate``, ``ci_low`` and ``ci_high`` by ``unit``.
UNIT_FORMATS = {"proportion": FORMAT_PERCENT, "count": FORMAT_INTEGER,
                "pomp": FORMAT_ONE_DECIMAL, "percentage_points": FORMAT_ONE_DECIMAL}
COLUMN_FORMATS = {"n": FORMAT_INTEGER, "effect_size": FORMAT_DECIMAL,
                  "statistic": FORMAT_DECIMAL, "df": FORMAT_ONE_DECIMAL,
                  "p_value": FORMAT_P, "p_adjusted": FORMAT_P}
#: French column headers, used where the data package gives no ``title``.
FRENCH_HEADERS = {
    "programme": "Programme", "measure": "Mesure", "indicator": "Indicateur",
    "subgroup": "Sous-groupe", "subgroup_value": "Modalité du sous-groupe",
    "wave_from": "Vague (début)", "wave_to": "Vague (fin)", "n": "Effectif (n)",
    "estimate": "Estimation", "ci_low": "IC 95 % bas", "ci_high": "IC 95 % haut",
    "unit": "Unité", "effect_size": "Taille d'effet", "es_type": "Type de taille d'effet",
    "statistic": "Statistique de test", "df": "Degrés de liberté", "p_value": "p",
    "p_adjusted": "p ajustée", "adjustment": "Ajustement", "method": "Méthode",
    "flag": "Signalements", "suppressed": "Masquée", "suppression": "Secret statistique",
}
ESTIMATE_COLUMNS = ("estimate", "ci_low", "ci_high")


@dataclass(frozen=True)
class PublishedTable:
    """One table of the data package: its name, file, Frictionless fields and typed rows."""

    name: str
    path: Path
    fields: list[dict]
    frame: pd.DataFrame


def read_published(datapackage: str | Path) -> list[PublishedTable]:
    """The CSV tables described in ``datapackage.json``, in its order, read as published."""
    datapackage = Path(datapackage)
    try:
        package = json.loads(datapackage.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{datapackage}: cannot read the data package ({exc}); re-run the "
                          "publish rule.") from None
    tables = []
    for resource in package.get("resources", []):
        if resource.get("format") != "csv":
            continue
        path = datapackage.parent / resource["path"]
        if not path.is_file():
            raise ConfigError(f"{datapackage}: resource {resource['name']!r} points at "
                              f"{path}, which does not exist; re-run the publish rule.")
        tables.append(PublishedTable(resource["name"], path, resource["schema"]["fields"],
                                     contract.read_csv(path)))
    return tables


def secret_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """Boolean frame, True where a cell reads « s. »: in a row whose ``suppression`` is
    ``primary`` or ``secondary``, every number disclosure control blanks
    (:data:`impact.indicators.disclosure.BLANK_ESTIMATE`), and ``n`` when it is blank (a row
    suppressed for its count; a rate suppressed for its numerator keeps its published ``n``).
    """
    hidden = frame["suppression"].isin(["primary", "secondary"]).to_numpy()
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in BLANK_ESTIMATE:
        if column in mask:
            mask[column] = hidden
    mask["n"] = hidden & frame["n"].isna().to_numpy()
    return mask


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for ``names``: forbidden characters replaced, at most 31
    characters, unique (a numbered suffix when two would collide)."""
    out: list[str] = []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "table"
        candidate, k = base[:SHEET_NAME_MAX], 1
        while candidate.casefold() in {n.casefold() for n in out}:
            k += 1
            suffix = f"_{k}"
            candidate = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        out.append(candidate)
    return out


def headers(fields: list[dict]) -> list[str]:
    """Column headers: the field's ``title`` in the data package, else its French label."""
    return [f.get("title") or FRENCH_HEADERS.get(f["name"], f["name"]) for f in fields]


def french_number(value: float, digits: int = 2) -> str:
    """``value`` with a decimal comma and a narrow no-break space between thousands."""
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text.replace("-", "\u2212")


def notes(table: PublishedTable, *, campaign: str, synthetic: bool,
          programmes: dict[str, str], version: str,
          measures: dict[str, str] | None = None) -> dict[str, str]:
    """The Lecture / Champ / Source notes of one table (French public statistics style).

    ``programmes`` maps programme ids to their labels (codebooks), ``measures`` scale and
    item names to theirs (instrument). The Lecture note reads the first published mean
    change of the table, so it shows how to read a row.
    """
    measures = measures or {}
    frame = table.frame
    shown = frame[(frame["indicator"] == "mean_change") & (frame["suppression"] == "shown")
                  & frame["estimate"].notna() & (frame["subgroup"] == "all")]
    if len(shown):
        row = shown.iloc[0]
        lecture = (f"pour {programmes.get(row['programme'], row['programme'])}, la mesure "
                   f"« {measures.get(row['measure'], row['measure'])} » a changé de "
                   f"{'+' if row['estimate'] > 0 else ''}{french_number(row['estimate'])} "
                   f"(unité : {row['unit']}) entre les vagues {row['wave_from']} et "
                   f"{row['wave_to']} "
                   f"(IC à 95 % : {french_number(row['ci_low'])} à "
                   f"{french_number(row['ci_high'])} ; n = {int(row['n'])}).")
    else:
        lecture = "chaque ligne est une estimation, dans l'unité de la colonne « Unité »."
    lecture += (f" Une cellule « {SECRET} » est couverte par le secret statistique "
                "(colonne « Secret statistique » : primary ou secondary) ; une cellule vide "
                "d'une ligne publiée est une valeur qui n'existe pas.")
    names = sorted(set(frame["programme"]) - {"pooled"})
    scope = ", ".join(programmes.get(p, p) for p in names)
    champ = (f"répondants dont la réponse a été conservée après validation ({scope}), "
             f"{campaign}." + (" Données synthétiques de démonstration." if synthetic else ""))
    source = (f"enquêtes Impact ITIP, {campaign} ; calculs Impact ITIP {version}, table "
              f"« {table.name} » de results/datapackage.json ({table.path.name}).")
    return {"Lecture": lecture, "Champ": champ, "Source": source}


def _cell_formats(frame: pd.DataFrame) -> pd.DataFrame:
    """Number format code of every numeric cell (object frame, "" for text cells)."""
    formats = pd.DataFrame("", index=frame.index, columns=frame.columns, dtype=object)
    for column, code in COLUMN_FORMATS.items():
        formats[column] = code
    unit_format = frame["unit"].map(UNIT_FORMATS).fillna(FORMAT_DECIMAL)
    for column in ESTIMATE_COLUMNS:
        formats[column] = unit_format
    return formats


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the deliverables show it: text cells formula-safe, numbers as floats
    (``None`` when blank), « s. » where :func:`secret_mask` says; object dtype."""
    out = formula_safe_frame(frame).astype(object)
    out = out.where(frame.notna().to_numpy(), None)
    out[secret_mask(frame).to_numpy()] = SECRET
    return out


def write_workbook(tables: list[PublishedTable], path: str | Path, *, title: str,
                   table_notes: dict[str, dict[str, str]], description: str = "") -> None:
    """One ``.xlsx`` workbook: a « Lisez-moi » sheet (title, notes of every table, the columns
    and their meaning), then one sheet per table with a frozen header row, an autofilter,
    French headers and number formats; reproducible bytes (:func:`save_workbook`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    readme = book.active
    readme.title = "Lisez-moi"
    bold = Font(bold=True)
    readme.append([formula_safe(title)])
    readme["A1"].font = Font(bold=True, size=14)
    if description:
        readme.append([formula_safe(description)])
    readme.append([f"Une cellule « {SECRET} » est couverte par le secret statistique : sa "
                   "valeur n'est publiée nulle part."])
    names = sheet_names([t.name for t in tables])
    for table, sheet in zip(tables, names, strict=True):
        readme.append([])
        readme.append([f"Feuille « {sheet} »", f"{len(table.frame)} lignes"])
        readme.cell(readme.max_row, 1).font = bold
        for key, text in table_notes[table.name].items():
            readme.append([key, formula_safe(text)])
    readme.append([])
    readme.append(["Colonne", "Intitulé", "Description"])
    for cell in readme[readme.max_row]:
        cell.font = bold
    for field, header in zip(tables[0].fields, headers(tables[0].fields), strict=True):
        readme.append([field["name"], header, formula_safe(field.get("description", ""))])
    readme.column_dimensions["A"].width = 22
    readme.column_dimensions["B"].width = 28
    readme.column_dimensions["C"].width = 100
    for row in readme.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    for table, sheet_name in zip(tables, names, strict=True):
        sheet = book.create_sheet(sheet_name)
        columns = [f["name"] for f in table.fields]
        frame = table.frame[columns]
        sheet.append([formula_safe(h) for h in headers(table.fields)])
        for cell in sheet[1]:
            cell.font = bold
        shown = display_frame(frame)
        formats = _cell_formats(frame).to_numpy()
        right = Alignment(horizontal="right")
        for i, values in enumerate(shown.itertuples(index=False, name=None)):
            sheet.append(list(values))
            for j, value in enumerate(values):
                if value == SECRET:
                    sheet.cell(i + 2, j + 1).alignment = right
                elif formats[i, j] and value is not None:
                    sheet.cell(i + 2, j + 1).number_format = formats[i, j]
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for j, header in enumerate(headers(table.fields), start=1):
            sheet.column_dimensions[sheet.cell(1, j).column_letter].width = \
                max(10, min(len(header) + 2, 28))
    save_workbook(book, path)


def write_french_csv(table: PublishedTable, path: str | Path) -> None:
    """The published CSV as French Excel opens it by double-click: UTF-8 with BOM, ``;``
    separator, decimal comma, « s. » in the suppressed cells, text formula-safe.

    Numbers keep the digits of the published CSV (read back as text, ``.`` → ``,``)."""
    raw = pd.read_csv(table.path, dtype=str, keep_default_na=False)
    numeric = [f["name"] for f in table.fields if f["type"] in ("number", "integer")]
    for column in numeric:
        raw[column] = raw[column].str.replace(".", ",", regex=False)
    mask = secret_mask(table.frame).reindex(columns=raw.columns, fill_value=False)
    raw = raw.mask(mask.to_numpy(), SECRET)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    formula_safe_frame(raw).to_csv(path, sep=";", index=False, encoding="utf-8-sig",
                                   lineterminator="\r\n")


# ------------------------------------------------------------------------ data dictionary

SHEETS = {  # sheet name, French headers
    "variables": ("Variables", {
        "programme": "Programme", "position": "Position", "variable": "Variable",
        "libelle": "Libellé", "type": "Type", "stata_spss": "Stockage Stata / SPSS",
        "section": "Section", "echelle": "Échelle", "inverse": "Item inversé",
        "question": "Texte de la question", "reponses": "Échelle de réponse"}),
    "codes": ("Codes", {"programme": "Programme", "variable": "Variable", "code": "Code",
                        "code_stata_spss": "Code Stata / SPSS", "libelle": "Libellé"}),
    "sources": ("Sources", {"programme": "Programme", "variable": "Variable",
                            "vague": "Vague", "fichier": "Fichier d'export",
                            "colonne_source": "Colonne de l'export"}),
}


def write_dictionary(frames: dict[str, pd.DataFrame], path: str | Path, *,
                     title: str) -> None:
    """The dictionary as ``.xlsx``: « Lisez-moi », Variables, Codes, Sources (frozen headers,
    formula-safe text, deterministic bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    readme = book.active
    readme.title = "Lisez-moi"
    for line in (title,
                 "Dictionnaire des variables des panels répondant × vague (un fichier par "
                 "programme dans restricted/exports/ : .dta, .sav, .parquet).",
                 "Variables : libellé, type, échelle, items inversés, texte de la question.",
                 "Codes : chaque code, son numéro dans les fichiers Stata et SPSS et son "
                 "libellé.",
                 "Sources : la colonne de l'export d'origine de chaque variable, par vague.",
                 "Aucune valeur individuelle : ce fichier décrit les variables."):
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    for key, (sheet_name, names) in SHEETS.items():
        sheet = book.create_sheet(sheet_name)
        frame = formula_safe_frame(frames[key][list(names)])
        sheet.append(list(names.values()))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False, name=None):
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for j, header in enumerate(names.values(), start=1):
            width = 60 if header in ("Libellé", "Texte de la question") else len(header) + 4
            sheet.column_dimensions[sheet.cell(1, j).column_letter].width = width
    save_workbook(book, path)


# ------------------------------------------------------------------------ row-level panel

#: Columns a panel must never hold: direct identifiers and raw or hashed pseudonymous codes
#: (``docs/contracts.md`` « Panel »: the keyed respondent id only).
FORBIDDEN = re.compile(r"^(code(_hash|_mother|_month|_town)?|site_typed|name|nom|prenom|"
                       r"e?mail|courriel|phone|telephone|ipaddr|comment\w*|free_text)$", re.I)


def assert_pseudonymised(panel: pd.DataFrame, *, source: str, free_text: list[str],
                         identifiers: tuple[str, ...] = ()) -> None:
    """Stop unless the panel holds no direct identifier (``identifiers``: the raw columns
    the codebook declares as such, and the usual names), no pseudonymous code (raw, parts or
    ``code_hash``) and no free text (``free_text``: the instrument's text variables other
    than the declared site), and its ``respondent_id`` is the 16-hex keyed hash."""
    found = [c for c in panel.columns
             if FORBIDDEN.match(str(c)) or c in free_text or c in identifiers]
    if found:
        raise DataError(f"{source} : colonnes interdites dans un panel pseudonymisé : "
                        f"{', '.join(found)}. Elles ne doivent jamais quitter l'ingestion ; "
                        "relancez les règles ingest et link avec la version courante.")
    ids = panel["respondent_id"].astype(str) if "respondent_id" in panel else pd.Series([])
    if "respondent_id" not in panel or not ids.str.fullmatch(r"[0-9a-f]{16}").all():
        raise DataError(f"{source} : la colonne respondent_id doit être le hachage à 16 "
                        "caractères hexadécimaux de la liaison ; relancez la règle link.")


def stata_frame(panel: pd.DataFrame, labels: PanelLabels) -> pd.DataFrame:
    """The panel with coded text variables as integers (:attr:`PanelLabels.numeric_codes`),
    nullable integers as floats, text as Python strings: what ``pyreadstat`` writes."""
    out = pd.DataFrame(index=panel.index)
    for column in panel.columns:
        values = panel[column]
        if column in labels.numeric_codes:
            mapping = labels.numeric_codes[column]
            text = values.astype(object).where(values.notna(), None)
            unknown = sorted({str(v) for v in pd.unique(text.dropna())} - set(mapping))
            if unknown:
                raise DataError(f"colonne {column} : codes sans libellé dans l'instrument "
                                f"({', '.join(unknown[:5])}) ; ajoutez-les à "
                                "surveys/instrument.yaml.")
            out[column] = text.map(mapping).astype("float64")  # missing → NaN
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.tz_localize(None) if values.dt.tz else values
        elif pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype("float64")
        else:
            out[column] = values.astype(object).where(values.notna(), "").astype(str)
    return out


def write_panel(panel: pd.DataFrame, labels: PanelLabels, *, dta: str | Path,
                sav: str | Path, parquet: str | Path, file_label: str) -> None:
    """The panel as Stata 15 ``.dta``, SPSS ``.sav`` (variable and value labels) and Parquet
    (original codes; labels in the schema metadata, key ``impact.labels``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyreadstat

    for target in (dta, sav, parquet):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    frame = stata_frame(panel, labels)
    value_labels = {c: v for c, v in labels.value_labels.items() if c in frame}
    measures = {c: labels.measure(c, pd.api.types.is_numeric_dtype(frame[c])) for c in frame}
    pyreadstat.write_dta(frame, str(dta), file_label=file_label[:80], version=15,
                         column_labels={c: labels.stata_label(c) for c in frame.columns},
                         variable_value_labels=value_labels)
    pyreadstat.write_sav(frame, str(sav), file_label=file_label[:64],
                         column_labels={c: labels.label(c) for c in frame.columns},
                         variable_value_labels=value_labels,
                         variable_measure=measures)
    _restamp_dta(Path(dta), _stamp())
    _restamp_sav(Path(sav), _stamp())
    table = pa.Table.from_pandas(panel, preserve_index=False)
    metadata = {**(table.schema.metadata or {}),
                b"impact.labels": json.dumps(labels.metadata(list(panel.columns)),
                                             ensure_ascii=False, sort_keys=True).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), str(parquet), compression="zstd")


# ------------------------------------------------------------------------ reproducible bytes

def _stamp() -> datetime:
    """The time written into files: ``SOURCE_DATE_EPOCH`` or a fixed one (zip needs ≥ 1980)."""
    return max(run_time(), datetime(1980, 1, 1, tzinfo=UTC))


def save_workbook(book, path: str | Path) -> None:
    """Save an openpyxl workbook with reproducible bytes: document properties and zip
    entries dated :func:`_stamp` (:func:`deterministic_zip`)."""
    when = _stamp()
    book.properties.created = when
    book.properties.modified = when
    book.properties.creator = "Impact ITIP"
    buffer = io.BytesIO()
    book.save(buffer)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(deterministic_zip(buffer.getvalue(), when))


def deterministic_zip(data: bytes, when: datetime) -> bytes:
    """An ``.xlsx`` rewritten with every zip entry and ``docProps/core.xml`` dated ``when``
    (openpyxl stamps the save time in both), so the same content gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>" + stamp + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _restamp_dta(path: Path, when: datetime) -> None:
    """Stata 117+ header: ``<timestamp>`` + length byte + ``dd Mon yyyy hh:mm`` (ReadStat
    writes the current time; the format is Stata's, dta_117.pdf « 5.1 Header »)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"<timestamp>")
    if at < 0:
        raise ValueError(f"{path}: no <timestamp> in the Stata header")
    text = f"{when.day:02d} {_MONTHS[when.month - 1]} {when.year} {when:%H:%M}".encode()
    length = data[at + 11]
    if length:  # 17 characters, or 0 (no timestamp)
        data[at + 11:at + 12 + length] = bytes([len(text)]) + text
    path.write_bytes(bytes(data))


def _restamp_sav(path: Path, when: datetime) -> None:
    """SPSS header record: creation date ``dd mmm yy`` at byte 92, time ``hh:mm:ss`` at 101
    (the PSPP system-file format description, « File Header Record »)."""
    data = bytearray(path.read_bytes())
    if data[:4] not in (b"$FL2", b"$FL3"):
        raise ValueError(f"{path}: not an SPSS system file")
    data[92:109] = f"{when.day:02d} {_MONTHS[when.month - 1]} {when:%y}{when:%H:%M:%S}".encode()
    path.write_bytes(bytes(data))
