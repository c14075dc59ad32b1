"""Ingestion: one raw export → the harmonised interim table (see ``docs/contracts.md``).

Steps, all driven by the codebook: read the export as text (:mod:`impact.ingest.readers`), check its
header against the codebook, look for test markers in the codebook's ``test_fields``, drop the
direct identifiers, recode labels to instrument codes, replace the typed site by its declared
label (``sites.yaml``; an undeclared one is blanked and flagged for quarantine, never
published), parse numbers and dates, normalise and hash the pseudonymous code, and attach
provenance (file and line) to every row.

Problems that concern the whole export (missing or unexpected column, a label the codebook does
not know, a date column in another format) stop with one French message naming the file, the
column, example lines and the fix. Problems confined to a few cells (an unreadable age, an
impossible date) are written to the row's ``ingest_issues`` so that validation quarantines the
row with that reason: nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import DataError
from impact.ingest.headers import describe_difference, match_headers, nearest
from impact.ingest.pseudonym import PseudonymKey, keyed_hash, normalise_code
from impact.ingest.readers import RawExport, read_export
from impact.survey.codebook import Codebook, WaveSpec, label_keys
from impact.survey.instrument import Instrument
from impact.survey.sites import SiteList, fold, fold_series, load_sites

#: Share of non-blank cells of a date or number column that may fail to parse before the whole
#: column is taken to be in another format (a codebook problem, not a few typing slips).
FORMAT_FAILURE_SHARE = 0.5
_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:ans?|mois|s|secondes?)?\s*$", re.IGNORECASE)
_COMBINED_CODE = re.compile(r"^([A-Z]{2})([0-9OIL]{1,2})([A-Z]{2})$")


@dataclass
class Ingested:
    """The result of ingesting one export."""

    interim: pd.DataFrame  # goes to results/interim (no identifier, no raw code)
    codes: pd.DataFrame  # row_id + normalised code parts: restricted zone only
    report: dict = field(default_factory=dict)


def ingest_export(codebook: Codebook, wave: str, instrument: Instrument, *,
                  key: PseudonymKey, test_markers: list[str],
                  surveys_dir: str | Path | None = None,
                  sites: SiteList | None = None) -> Ingested:
    """Read and harmonise the export of ``codebook.programme`` × ``wave``.

    ``sites``: the programme's declared sites (read from ``codebook.sites_path`` when the wave
    maps ``site`` and none is given)."""
    spec = codebook.waves[wave]
    if sites is None and "site" in spec.columns:
        sites = load_sites(codebook.sites_path)
    path = codebook.export_path(wave)
    raw = read_export(path, spec)
    source = str(path.relative_to(surveys_dir)) if surveys_dir else path.name
    check_columns(raw, spec, codebook)
    return harmonise(raw, spec, codebook, instrument, key=key, test_markers=test_markers,
                     source=source, sites=sites)


def check_columns(raw: RawExport, spec: WaveSpec, codebook: Codebook) -> None:
    """Find the codebook's columns among the export's headers, or stop naming what differs.

    Headers that differ from the codebook only invisibly (no-break space, typographic
    apostrophe, spacing, Unicode form, case: :func:`impact.ingest.headers.header_key`) are
    matched, renamed to the codebook's spelling in ``raw.frame`` and noted in ``raw.notes``.
    """
    header = [str(c) for c in raw.frame.columns]
    expected = list(dict.fromkeys([*spec.columns.values(), *spec.identifiers, *spec.ignore]))
    mapping = match_headers(expected, header)
    renamed = {found: column for column, found in mapping.items() if found != column}
    if renamed:
        raw.frame = raw.frame.rename(columns=renamed)
        raw.notes.extend(f"colonne « {column} » trouvée sous la forme « {found} » "
                         f"({describe_difference(column, found)}) : corrigez le codebook ou "
                         "l'export pour faire disparaître ce message"
                         for found, column in renamed.items())
    missing = [c for c in dict.fromkeys(spec.columns.values()) if c not in mapping]
    unexpected = [c for c in header if c not in renamed and c not in expected]
    if not missing and not unexpected:
        return
    lines = []
    for column in missing:
        var = next(v for v, c in spec.columns.items() if c == column)
        guess = nearest(column, unexpected)
        hint = (f" — renommée en « {guess} » ? ({describe_difference(column, guess)})"
                if guess else "")
        lines.append(f"colonne manquante « {column} » (variable {var}, "
                     f"{codebook.where('waves', spec.name, 'columns', var)}){hint}")
    for column in unexpected:
        lines.append(f"colonne inattendue « {column} » : ajoutez-la à waves.{spec.name}.columns "
                     f"(si c'est une question), à identifiers (si elle identifie la personne) "
                     f"ou à ignore dans {codebook.path}")
    raise DataError(f"{raw.path} : l'en-tête ne correspond pas au codebook (vague "
                    f"« {spec.name} »).\n" + "\n".join(f"  - {line}" for line in lines))


def harmonise(raw: RawExport, spec: WaveSpec, codebook: Codebook, instrument: Instrument, *,
              key: PseudonymKey, test_markers: list[str], source: str,
              sites: SiteList | None = None) -> Ingested:
    """Map, recode and type the raw records; see the module docstring."""
    frame = raw.frame
    programme, wave = codebook.programme, spec.name
    out = pd.DataFrame({
        "row_id": [f"{wave}:{line}" for line in raw.lines],
        "programme": programme,
        "wave": wave,
        "source_file": source,
        "source_line": raw.lines.astype("int64"),
    })
    issues = _Issues(len(frame))
    unknown: list[str] = []
    for var, column in spec.columns.items():
        if var in instrument.code_parts or var == "code":
            continue
        values = frame[column]
        parsed = _parse(values, var, spec, instrument, issues, raw, column, unknown, codebook)
        out[var] = pd.Series(parsed, copy=False).set_axis(out.index)
    if unknown:
        raise DataError(f"{raw.path} : libellés absents du codebook {codebook.path}.\n"
                        + "\n".join(f"  - {u}" for u in unknown))
    _derive_duration(out)
    typed = _declared_sites(out, sites)
    out["is_test"], out["test_evidence"] = _test_markers(frame, spec, test_markers)
    codes = _codes(frame, spec, instrument, issues)
    codes.insert(0, "row_id", out["row_id"].to_numpy())
    if typed is not None:
        codes["site_typed"] = typed.to_numpy()  # restricted zone: what was typed, if unknown
    out["code_hash"] = keyed_hash(codes["code"], key, context=programme).to_numpy()
    out["ingest_issues"] = issues.joined()
    out = out.reset_index(drop=True)
    report = {
        "programme": programme, "wave": wave, "file": source, "sha256": raw.sha256,
        "tool": spec.tool, "format": spec.format, "encoding": raw.encoding,
        "delimiter": raw.delimiter, "rows_read": int(len(out)),
        "columns_mapped": sorted(spec.columns), "identifiers_dropped": list(spec.identifiers),
        "rows_with_ingest_issues": int((out["ingest_issues"] != "").sum()),
        "notes": raw.notes,
    }
    return Ingested(out, codes.reset_index(drop=True), report)


class _Issues:
    """Per-row French problem descriptions, accumulated column by column."""

    def __init__(self, n: int) -> None:
        self.text = np.full(n, "", dtype=object)

    def add(self, mask: np.ndarray, messages: pd.Series) -> None:
        if not mask.any():
            return
        new = messages.to_numpy(dtype=object)
        current = self.text
        self.text = np.where(~mask, current,
                             np.where(current == "", new, current + "; " + new))

    def joined(self) -> np.ndarray:
        return self.text


def _parse(values: pd.Series, var: str, spec: WaveSpec, instrument: Instrument,
           issues: _Issues, raw: RawExport, column: str, unknown: list[str],
           codebook: Codebook) -> pd.Series:
    info = instrument.variable(var)
    blank = values.str.strip() == ""
    if info.type in ("likert", "categorical"):
        return _recode(values, blank, var, spec, raw, column, unknown, codebook, info.type)
    if info.type in ("integer", "number"):
        return _numbers(values, blank, var, info.type, raw, column, issues, info.label)
    if info.type in ("date", "datetime"):
        fmt = spec.date_format if info.type == "date" else spec.datetime_format
        return _dates(values, blank, fmt, raw, column, issues, info.label, var, codebook, spec)
    cleaned = values.str.replace(r"\s+", " ", regex=True).str.strip()
    return cleaned.where(~blank, None).astype("str")


def _recode(values, blank, var, spec, raw, column, unknown, codebook, kind) -> pd.Series:
    mapping = spec.labels.get(var, {})
    keys = label_keys(values)
    coded = keys.map(mapping)
    bad = coded.isna() & ~blank
    if bad.any():
        lines = pd.Series(raw.lines[bad.to_numpy()])
        bad_labels = values[bad]
        for label in pd.unique(bad_labels)[:5]:
            where = lines[(bad_labels == label).to_numpy()].tolist()
            shown = ", ".join(map(str, where[:5])) + (f" et {len(where) - 5} autres"
                                                       if len(where) > 5 else "")
            unknown.append(f"colonne « {column} » (variable {var}) : libellé « {label} » "
                           f"inconnu (ligne(s) {shown}). Ajoutez-le à labels.{var} ou à "
                           f"labels.likert dans le codebook ({codebook.where('labels')}), "
                           "ou corrigez l'export.")
    if kind == "likert" or var == "consent":
        return pd.array(coded.where(~blank), dtype="Int8")
    return coded.where(~blank).astype("str")


def _numbers(values, blank, var, kind, raw, column, issues, label) -> pd.Series:
    text = values.str.extract(_NUMBER, expand=False).str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    failed = numbers.isna() & ~blank
    if kind == "integer":
        fractional = numbers.notna() & (numbers % 1 != 0)
        failed |= fractional
        numbers = numbers.where(~fractional)
    _column_format_guard(failed, blank, raw, column, var, "nombre")
    issues.add(failed.to_numpy(), "valeur illisible pour « " + label + " » : « " + values + " »")
    if kind == "integer":
        return pd.array(numbers, dtype="Int64")
    return numbers.astype("float64")


def _dates(values, blank, fmt, raw, column, issues, label, var, codebook, spec) -> pd.Series:
    stripped = values.str.strip()
    parsed = pd.to_datetime(stripped, format=fmt, errors="coerce")
    retry = parsed.isna() & ~blank
    if retry.any():  # Excel cells come through as ISO text
        parsed = parsed.where(~retry, pd.to_datetime(stripped.where(retry), format="ISO8601",
                                                     errors="coerce"))
    failed = parsed.isna() & ~blank
    _column_format_guard(failed, blank, raw, column, var, f"date au format « {fmt} »",
                         hint=f"corrigez le format dans "
                              f"{codebook.where('waves', spec.name)} (datetime_format / "
                              "date_format)")
    issues.add(failed.to_numpy(), "date illisible pour « " + label + " » : « " + values + " »")
    return parsed.astype("datetime64[ns]")


def _column_format_guard(failed, blank, raw, column, var, expected, hint="") -> None:
    filled = int((~blank).sum())
    if filled and failed.sum() / filled > FORMAT_FAILURE_SHARE:
        example_rows = raw.lines[failed.to_numpy()][:3]
        example = raw.frame[column][failed].iloc[0]
        raise DataError(
            f"{raw.path} : colonne « {column} » (variable {var}) — {int(failed.sum())} valeurs "
            f"sur {filled} ne sont pas une {expected} (ex. « {example} », lignes "
            f"{', '.join(map(str, example_rows))}). Le format de l'export a changé : "
            f"{hint or 'vérifiez la colonne et le codebook'}.")


def _derive_duration(out: pd.DataFrame) -> None:
    if "duration_s" not in out and {"started_at", "submitted_at"} <= set(out.columns):
        delta = (out["submitted_at"] - out["started_at"]).dt.total_seconds()
        out["duration_s"] = delta.astype("float64")


def _declared_sites(out: pd.DataFrame, sites: SiteList | None) -> pd.Series | None:
    """Replace the typed ``site`` by its declared label (``site_code``: the stable code);
    a value on no list is blanked and flagged ``site_unknown`` (validation quarantines the
    row). Returns what was typed for the unknown values (restricted zone), else missing."""
    if "site" not in out:
        return None
    typed = out["site"]
    code = sites.match(typed) if sites is not None else pd.Series(np.nan, index=out.index,
                                                                  dtype="str")
    unknown = typed.notna() & code.isna()
    out["site"] = code.map(sites.labels if sites is not None else {}).astype("str")
    out["site_code"] = code
    out["site_unknown"] = unknown.to_numpy(dtype=bool)
    return typed.where(unknown)


def _test_markers(frame: pd.DataFrame, spec: WaveSpec,
                  markers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Flag test submissions: a configured marker as a whole word, ignoring case and accents,
    in one of the fields the codebook designates (``test_fields``; by default the direct
    identifiers and the pseudonymous code fields). Other fields — answers, the site — are
    never searched: « essai » in a genuine answer does not exclude it."""
    n = len(frame)
    if not markers:
        return np.zeros(n, dtype=bool), np.full(n, "", dtype=object)
    pattern = r"\b(?:" + "|".join(re.escape(fold(m)) for m in markers) + r")\b"
    evidence = pd.Series("", index=frame.index, dtype=object)
    for column in spec.test_fields:
        if column not in frame:
            continue
        hit = fold_series(frame[column]).str.contains(pattern, regex=True, na=False)
        evidence = evidence.where(~hit | (evidence != ""), column)
    flagged = (evidence != "").to_numpy()
    return flagged, evidence.to_numpy(dtype=object)


def _codes(frame: pd.DataFrame, spec: WaveSpec, instrument: Instrument,
           issues: _Issues) -> pd.DataFrame:
    """Normalised code parts (restricted zone) from separate fields or one combined field."""
    parts = list(instrument.code_parts)
    if "code" in spec.columns:
        split = _split_combined(frame[spec.columns["code"]], parts)
    elif set(parts) <= set(spec.columns):
        split = pd.DataFrame({p: frame[spec.columns[p]] for p in parts})
    else:
        split = pd.DataFrame({p: pd.Series(None, index=frame.index, dtype="str") for p in parts})
    split = split.replace({"": None})
    normalised = normalise_code(split, instrument.code_parts)
    return normalised[parts + ["code"]].reset_index(drop=True)


def _split_combined(values: pd.Series, parts: list[str]) -> pd.DataFrame:
    """Split a code typed in one field (e.g. « ma 5 on ») into its parts, tolerantly.

    The middle part may be one or two characters (« 5 » for « 05 »); anything else that is six
    characters long is split by position; otherwise the parts are missing and the row's code
    cannot be used for linkage.
    """
    import unicodedata

    cleaned = values.map(lambda v: "".join(
        c for c in unicodedata.normalize("NFKD", str(v)) if c.isalnum()).upper()
        if isinstance(v, str) else v)
    groups = cleaned.str.extract(_COMBINED_CODE)
    groups.columns = parts
    by_position = pd.DataFrame({part: cleaned.str[2 * k:2 * k + 2]
                                for k, part in enumerate(parts)})
    matched = groups.notna().all(axis=1)
    use_position = ~matched & (cleaned.str.len() == 2 * len(parts))
    groups = groups.where(matched, by_position.where(use_position))
    return groups
