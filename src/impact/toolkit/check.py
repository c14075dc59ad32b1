"""``impact check``: codebooks, site lists and exports checked before a run, in seconds.

Nothing here re-implements a rule of the workflow: each programme × wave goes through the
workflow's own functions in the workflow's order — :func:`impact.survey.codebook.load_codebook`,
:func:`impact.survey.sites.load_sites`, :func:`impact.ingest.readers.read_export`,
:func:`impact.ingest.harmonise.check_columns` and :func:`impact.ingest.harmonise.harmonise` —
and every French message they raise is reported as the workflow would print it. Around them,
the check describes what it saw, so that a researcher can fix a codebook in one pass:

* the tool, encoding and separator found and the rows read (the strict record count);
* every instrument variable of the wave → the column found, or the nearest header
  (:func:`impact.ingest.headers.nearest`, rapidfuzz) and what differs
  (:func:`impact.ingest.headers.describe_difference`);
* every label seen in a closed question and the code it recodes to (unmapped ones with their
  counts); a column with more than :data:`MAX_LABELS` distinct unmapped values is not a
  closed question and its values are counted, never quoted (it may hold free text);
* typed site values matched against the site list: unknown values are counted, never quoted
  (they may be names; ingestion blanks them too), each with the nearest declared site.

A wave *would ingest* when no step raised :class:`~impact.errors.DataError`; the campaign
passes when every wave would. Rows that ingestion flags for quarantine (unknown site, an
unreadable cell) are counted: they do not stop a run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.errors import DataError
from impact.ingest.harmonise import check_columns, harmonise
from impact.ingest.headers import describe_difference, match_headers, nearest
from impact.ingest.pseudonym import load_key
from impact.ingest.readers import RawExport, read_export
from impact.survey.codebook import Codebook, WaveSpec, label_key, load_codebook
from impact.survey.instrument import Instrument, load_instrument
from impact.survey.sites import SiteList, load_sites, site_key

#: Distinct unmapped values above which a column is taken for free text (values not quoted).
MAX_LABELS = 30
#: Longest label quoted in the summary (longer ones are cut with « … »).
LABEL_CHARS = 70


@dataclass(frozen=True)
class ColumnStatus:
    """One instrument variable of a wave and where its column is in the export."""

    variable: str
    column: str  # as the codebook writes it
    found: str | None  # the export's header (None: missing)
    nearest: str | None = None  # for a missing column: the closest unexpected header
    difference: str = ""  # what differs between ``column`` and ``found`` / ``nearest``


@dataclass(frozen=True)
class LabelStatus:
    """A label seen in a closed question (or several, for Likert items) and its code."""

    variables: tuple[str, ...]
    label: str | None  # None: not quoted (the column looks like free text)
    count: int
    code: object | None  # None: not mapped by the codebook


@dataclass
class WaveCheck:
    programme: str
    wave: str
    file: Path
    tool: str = ""
    encoding: str = ""
    delimiter: str = ""
    header_line: int | None = None
    rows: int | None = None
    columns: list[ColumnStatus] = field(default_factory=list)
    labels: list[LabelStatus] = field(default_factory=list)
    sites: dict[str, int] = field(default_factory=dict)
    site_hints: list[tuple[int, str, float]] = field(default_factory=list)
    flagged_rows: int = 0
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ProgrammeCheck:
    programme: str
    codebook: Path
    label: str = ""
    sites: Path | None = None
    n_sites: int = 0
    errors: list[str] = field(default_factory=list)
    waves: list[WaveCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(w.ok for w in self.waves)


@dataclass
class CampaignCheck:
    programmes: list[ProgrammeCheck]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(p.ok for p in self.programmes)

    def summary(self) -> str:
        """The French summary ``impact check`` prints."""
        return format_summary(self)


def check_campaign(surveys_dir: str | Path, programmes: dict[str, list[str]],
                   test_markers: list[str]) -> CampaignCheck:
    """Check every ``programme: [waves]`` of ``surveys_dir`` (see the module docstring)."""
    surveys = Path(surveys_dir)
    try:
        instrument = load_instrument(surveys / "instrument.yaml")
    except DataError as exc:
        return CampaignCheck([], [str(exc)])
    return CampaignCheck([check_programme(surveys, p, waves, instrument, test_markers)
                          for p, waves in programmes.items()])


def check_programme(surveys: Path, programme: str, waves: list[str], instrument: Instrument,
                    test_markers: list[str]) -> ProgrammeCheck:
    """The codebook and site list of one programme, then each of its waves."""
    result = ProgrammeCheck(programme, surveys / programme / "codebook.yaml")
    try:
        book = load_codebook(result.codebook, instrument)
    except DataError as exc:
        result.errors.append(str(exc))
        return result
    result.label = book.label
    if book.programme != programme:
        result.errors.append(f"{book.where('programme')}: le codebook déclare le programme "
                             f"« {book.programme} » mais se trouve dans le dossier "
                             f"« {programme} ». Harmonisez les deux noms.")
    sites = None
    if any("site" in w.columns for w in book.waves.values()):
        result.sites = book.sites_path
        try:
            sites = load_sites(book.sites_path)
            result.n_sites = len(sites.sites)
        except DataError as exc:
            result.errors.append(str(exc))
    for wave in waves:
        if wave not in book.waves:
            result.errors.append(f"{result.codebook} : la vague « {wave} » de la configuration "
                                 f"n'est pas dans le codebook (il définit "
                                 f"{', '.join(book.waves)}).")
            continue
        result.waves.append(check_wave(book, wave, instrument, sites, test_markers, surveys))
    return result


def check_wave(book: Codebook, wave: str, instrument: Instrument, sites: SiteList | None,
               test_markers: list[str], surveys: Path) -> WaveCheck:
    """Read one export as ingestion does and describe what the codebook finds in it."""
    spec = book.waves[wave]
    path = book.export_path(wave)
    result = WaveCheck(book.programme, wave, path, tool=spec.tool)
    try:
        raw = read_export(path, spec)
    except DataError as exc:
        result.errors.append(str(exc))
        return result
    result.encoding, result.delimiter = raw.encoding, raw.delimiter
    result.rows = len(raw.frame)
    result.header_line = int(raw.lines[0]) - 1 if len(raw.lines) else None
    result.columns = column_statuses(raw, spec)
    found = {c.column: c.found for c in result.columns if c.found}
    result.labels = label_statuses(raw, spec, instrument, found)
    if sites is not None and "site" in spec.columns and spec.columns["site"] in found:
        result.sites, result.site_hints = site_counts(raw.frame[found[spec.columns["site"]]],
                                                      sites)
    try:  # the workflow's own checks, in its order: header, then every cell
        check_columns(raw, spec, book)
        if sites is None and "site" in spec.columns:
            raise DataError(f"{book.sites_path} : liste des sites illisible (voir plus haut).")
        done = harmonise(raw, spec, book, instrument, key=load_key(demo=True),
                         test_markers=test_markers, source=str(path.relative_to(surveys))
                         if path.is_relative_to(surveys) else path.name, sites=sites)
    except DataError as exc:
        result.errors.append(str(exc))
    else:
        interim = done.interim
        flagged = interim["ingest_issues"] != ""
        if "site_unknown" in interim:
            flagged |= interim["site_unknown"]
        result.flagged_rows = int(flagged.sum())
    result.notes = list(raw.notes)
    return result


def column_statuses(raw: RawExport, spec: WaveSpec) -> list[ColumnStatus]:
    """Each ``columns:`` entry of the wave → the export header it is (or the nearest one)."""
    header = [str(c) for c in raw.frame.columns]
    expected = list(dict.fromkeys([*spec.columns.values(), *spec.identifiers, *spec.ignore]))
    mapping = match_headers(expected, header)
    unexpected = [h for h in header if h not in mapping.values() and h not in expected]
    statuses = []
    for var, column in spec.columns.items():
        if column in mapping:
            found = mapping[column]
            diff = describe_difference(column, found) if found != column else ""
            statuses.append(ColumnStatus(var, column, found, difference=diff))
            continue
        guess = nearest(column, unexpected)
        statuses.append(ColumnStatus(var, column, None, guess,
                                     describe_difference(column, guess) if guess else ""))
    return statuses


def label_statuses(raw: RawExport, spec: WaveSpec, instrument: Instrument,
                   found: dict[str, str]) -> list[LabelStatus]:
    """Labels seen in the wave's closed questions, with counts and the code each recodes to.

    Likert items sharing a label map are pooled in one set of rows (their ``variables``)."""
    groups: dict[tuple, list[str]] = {}
    for var, column in spec.columns.items():
        info = instrument.variables.get(var)
        if info is None or info.type not in ("likert", "categorical") or column not in found:
            continue
        group = ("likert", tuple(sorted(spec.labels.get(var, {}).items(), key=str))) \
            if info.type == "likert" else (var,)
        groups.setdefault(group, []).append(var)
    statuses: list[LabelStatus] = []
    for variables in groups.values():
        mapping = spec.labels.get(variables[0], {})
        counts: Counter[str] = Counter()
        for var in variables:
            values = raw.frame[found[spec.columns[var]]].astype(str)
            counts.update(v for v in values if v.strip())
        unmapped = [label for label in counts if label_key(label) not in mapping]
        quoted = len(unmapped) <= MAX_LABELS
        for label, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            code = mapping.get(label_key(label))
            if code is not None or quoted:
                statuses.append(LabelStatus(tuple(variables), label, count, code))
        if not quoted:
            statuses.append(LabelStatus(tuple(variables), None,
                                        sum(counts[label] for label in unmapped), None))
    return statuses


def site_counts(values: pd.Series, sites: SiteList) -> tuple[dict[str, int],
                                                               list[tuple[int, str, float]]]:
    """Typed site values: how many are declared, blank or unknown (counts only), and for
    each distinct unknown value its count and the nearest declared label (rapidfuzz)."""
    from rapidfuzz import fuzz, process

    text = values.astype(str)
    blank = text.str.strip() == ""
    code = sites.match(text.where(~blank))
    unknown = ~blank & code.isna()
    counts = {"matched": int(code.notna().sum()), "blank": int(blank.sum()),
              "unknown": int(unknown.sum()), "unknown_distinct": int(text[unknown].nunique())}
    choices = {s.label: site_key(s.label) for s in sites.sites}
    hints = []
    for value, n in text[unknown].value_counts().items():
        best = process.extractOne(site_key(value), choices, scorer=fuzz.WRatio)
        hints.append((int(n), best[2], round(float(best[1]), 0)))
    return counts, hints


# ------------------------------------------------------------------ the printed summary


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def format_summary(check: CampaignCheck) -> str:
    """The readable French report of a campaign check."""
    out: list[str] = [f"ERREUR : {e}" for e in check.errors]
    for prog in check.programmes:
        verdict = "OK" if prog.ok else "À CORRIGER"
        out.append(f"\n== {prog.programme}{f' ({prog.label})' if prog.label else ''} — "
                   f"{prog.codebook} : {verdict}")
        if prog.sites is not None and prog.n_sites:
            out.append(f"   sites : {prog.sites}, {prog.n_sites} sites déclarés")
        out += [f"   ERREUR : {_indent(e)}" for e in prog.errors]
        for wave in prog.waves:
            out += _wave_lines(wave)
    waves = [w for p in check.programmes for w in p.waves]
    good = sum(w.ok for w in waves)
    out.append("")
    if check.ok:
        out.append(f"Bilan : tout s'ingérerait ({good} vague(s) sur {len(waves)}).")
    else:
        bad_books = sum(bool(p.errors) for p in check.programmes) + bool(check.errors)
        books = (f", {bad_books} codebook(s), liste(s) de sites ou instrument à corriger"
                 if bad_books else "")
        out.append(f"Bilan : {len(waves) - good} vague(s) sur {len(waves)} ne s'ingéreraient "
                   f"pas{books}. Corrigez les erreurs ci-dessus puis relancez `impact check`.")
    return "\n".join(out)


def _indent(text: str) -> str:
    return text.replace("\n", "\n      ")


def _wave_lines(wave: WaveCheck) -> list[str]:
    out = [f"\n  -- vague {wave.wave} : {wave.file} — "
           f"{'s’ingérerait' if wave.ok else 'ne s’ingérerait pas'}"]
    if wave.rows is not None:
        sep = f", séparateur « {wave.delimiter} »" if wave.delimiter else ""
        enc = "classeur xlsx" if wave.encoding == "xlsx" else f"encodage {wave.encoding}"
        out.append(f"     outil {wave.tool}, {enc}{sep}, en-tête ligne {wave.header_line}, "
                   f"{wave.rows} ligne(s) lue(s)"
                   + (f", dont {wave.flagged_rows} signalée(s) pour la quarantaine"
                      if wave.flagged_rows else ""))
    if wave.columns:
        n_found = sum(c.found is not None for c in wave.columns)
        out.append(f"     colonnes : {n_found} variable(s) sur {len(wave.columns)} trouvée(s)")
        for c in wave.columns:
            if c.found is None:
                hint = (f" ; en-tête le plus proche « {c.nearest} » ({c.difference})"
                        if c.nearest else " ; aucun en-tête proche")
                out.append(f"       ✗ {c.variable} ← « {_cut(c.column)} » absente{hint}")
            else:
                extra = f" (trouvée « {_cut(c.found)} » : {c.difference})" if c.difference else ""
                out.append(f"       ✓ {c.variable} ← « {_cut(c.column)} »{extra}")
    if wave.labels:
        out.append("     libellés vus (nombre de réponses → code) :")
        current: tuple[str, ...] = ()
        for label in wave.labels:
            if label.variables != current:
                current = label.variables
                name = current[0] if len(current) == 1 else \
                    f"likert ({len(current)} items : {current[0]} … {current[-1]})"
                out.append(f"       {name}")
            if label.label is None:
                out.append(f"         ✗ {label.count} réponse(s) aux valeurs non reconnues, "
                           f"trop variées pour une question fermée (texte libre ?) : vérifiez "
                           f"la colonne associée")
            elif label.code is None:
                out.append(f"         ✗ « {_cut(label.label)} » ({label.count}) : non recodé")
            else:
                out.append(f"         ✓ « {_cut(label.label)} » ({label.count}) → {label.code}")
    if wave.sites:
        s = wave.sites
        unknown = (f"{s['unknown']} d'un site inconnu ({s['unknown_distinct']} valeur(s) "
                   "distincte(s), non citées : elles peuvent contenir des noms ; ces lignes "
                   "iraient en quarantaine)" if s["unknown"] else "aucune d'un site inconnu")
        out.append(f"     sites : {s['matched']} réponse(s) d'un site déclaré, {s['blank']} "
                   f"vide(s), {unknown}")
        for n, label, score in wave.site_hints:
            out.append(f"       ? {n} réponse(s) d'une valeur inconnue proche de « {label} » "
                       f"(score {score:.0f}) : ajoutez l'orthographe comme alias si c'est lui")
    out += [f"     remarque : {note}" for note in wave.notes]
    out += [f"     ERREUR : {_indent(e)}" for e in wave.errors]
    return out
