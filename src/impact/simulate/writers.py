"""Exports in the layout of each survey tool (LimeSurvey and Google Forms CSV, Microsoft
Forms workbook), as the codebook describes them, with deterministic bytes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import numpy as np
import pandas as pd

from impact.simulate.spec import (
    FIXED_ZIP_TIME,
)
from impact.survey.codebook import WaveSpec
from impact.survey.instrument import Instrument

# ---------------------------------------------------------------------------------------------
# writing exports


LEADING_COLUMNS = {
    "limesurvey": ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
                   "datestamp", "ipaddr", "refurl"],
    "google_forms": ["Horodateur", "Adresse e-mail"],
    "ms_forms": ["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom",
                 "Heure de la dernière modification"],
}
TRAILING_COLUMNS = {"limesurvey": ["interviewtime"]}


def export_columns(spec: WaveSpec) -> list[str]:
    """Raw columns in the order the tool writes them."""
    every = list(dict.fromkeys(list(spec.columns.values()) + list(spec.identifiers)
                               + list(spec.ignore)))
    lead = [c for c in LEADING_COLUMNS.get(spec.tool, []) if c in every]
    trail = [c for c in TRAILING_COLUMNS.get(spec.tool, []) if c in every]
    middle = [c for c in every if c not in lead and c not in trail]
    return lead + middle + trail


def render_export(answers: pd.DataFrame, spec: WaveSpec, instrument: Instrument,
                  rng: np.random.Generator) -> bytes:
    """The bytes of the export file of one wave, in the tool's layout and encoding."""
    table = raw_table(answers, spec, instrument, rng)
    if spec.format == "xlsx":
        return _xlsx_bytes(table, spec)
    buffer = io.StringIO()
    terminator = "\r\n" if spec.encoding.lower() in ("cp1252", "windows-1252") else "\n"
    writer = csv.writer(buffer, delimiter=spec.delimiter, lineterminator=terminator)
    writer.writerow(table.columns)
    writer.writerows(table.itertuples(index=False, name=None))
    return buffer.getvalue().encode(spec.encoding)


def raw_table(answers: pd.DataFrame, spec: WaveSpec, instrument: Instrument,
              rng: np.random.Generator) -> pd.DataFrame:
    """Coded answers → the raw cells an export shows (labels, formatted dates, identifiers)."""
    by_column = {raw: var for var, raw in spec.columns.items()}
    out = {}
    excel = spec.format == "xlsx"
    for column in export_columns(spec):
        var = by_column.get(column)
        if var is not None:
            out[column] = _raw_values(answers, var, spec, instrument, excel)
        elif column in spec.identifiers:
            out[column] = _identifier_values(answers, column)
        else:
            out[column] = _ignored_values(answers, column, spec, rng)
    return pd.DataFrame(out)


def _raw_values(answers: pd.DataFrame, var: str, spec: WaveSpec, instrument: Instrument,
                excel: bool) -> list:
    if var == "code":
        return [_combined(m, mo, t) for m, mo, t in
                zip(answers["code_mother"], answers["code_month"], answers["code_town"],
                    strict=True)]
    values = answers[var] if var in answers else pd.Series([None] * len(answers))
    info = instrument.variable(var)
    if var in spec.label_text:
        labels = spec.label_text[var]
        return [labels.get(_code(v), v) if _present(v) else "" for v in values]
    if info.type in ("date", "datetime"):
        fmt = spec.date_format if info.type == "date" else spec.datetime_format
        if excel and info.type == "datetime":
            return [v.to_pydatetime() if _present(v) else None for v in values]
        return [v.strftime(fmt) if isinstance(v, (pd.Timestamp, datetime)) and _present(v)
                else (v if isinstance(v, str) else "") for v in values]
    if info.type in ("integer", "number"):
        return [str(int(v)) if isinstance(v, (int, float, np.integer, np.floating))
                and _present(v) else (v if isinstance(v, str) else "") for v in values]
    return ["" if not _present(v) else str(v) for v in values]


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and \
        value is not pd.NaT and value is not pd.NA


def _code(value):
    if isinstance(value, (np.integer, float)) and float(value).is_integer():
        return int(value)
    return value


def _combined(mother, month, town) -> str:
    return f"{mother}{month}{town}".replace("  ", " ").strip()


def _identifier_values(answers: pd.DataFrame, column: str) -> list:
    lowered = column.lower()
    if "mail" in lowered or "messagerie" in lowered:
        return list(answers["_email"])
    if "phone" in lowered or "téléphone" in lowered:
        return list(answers["_phone"])
    if lowered == "nom" or "name" in lowered:
        return list(answers["_name"])
    if "ip" in lowered:
        return list(answers["_ip"])
    return list(answers["_comment"])


def _ignored_values(answers: pd.DataFrame, column: str, spec: WaveSpec,
                    rng: np.random.Generator) -> list:
    n = len(answers)
    lowered = column.lower()
    if lowered == "id":
        return [str(k + 1) for k in range(n)]
    if lowered == "startlanguage":
        return ["fr"] * n
    if lowered == "seed":
        return [str(s) for s in rng.integers(10**8, 10**9, n)]
    if lowered == "datestamp":
        return [v.strftime(spec.datetime_format) if _present(v) else ""
                for v in answers["started_at"] + pd.to_timedelta(answers["duration_s"],
                                                                 unit="s")]
    return [""] * n


def _xlsx_bytes(table: pd.DataFrame, spec: WaveSpec) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = spec.sheet if isinstance(spec.sheet, str) else "Sheet1"
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False, name=None):
        sheet.append([None if v == "" else v for v in row])
    fixed = datetime(*FIXED_ZIP_TIME)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "Microsoft Forms"
    buffer = io.BytesIO()
    book.save(buffer)
    return _normalise_zip(buffer.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a workbook with fixed timestamps so the same content gives the same bytes.

    openpyxl stamps the save time into ``docProps/core.xml`` and into every zip entry.
    """
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = datetime(*FIXED_ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


