"""``impact codebook draft``: a first codebook from a programme's exports, for a human to review.

Each export (one per wave, the wave named after the file: ``pre.csv`` → ``pre``) is read by the
workflow's own reader (:func:`impact.ingest.readers.read_export`, which always sniffs the
encoding, separator and header row), then each column is classified, in this order:

1. **system columns** of the survey tools, by exact name (LimeSurvey ``submitdate``, Google
   Forms « Horodateur », MS Forms « Heure de début »…: :data:`SYSTEM_COLUMNS`) → submission
   metadata, or ``ignore``;
2. **direct identifiers** (:func:`identifier_reason`): a header naming a person, an address, a
   phone or a remark (:data:`IDENTIFIER_WORDS`, unless it is the pseudonymous code), values that
   are mostly e-mail addresses, phone numbers or IP addresses, or free text (many distinct,
   long values) → ``identifiers`` (dropped at ingestion). An identifier is never matched to an
   item;
3. **instrument variables** by French wording: every remaining column is scored against every
   variable's phrases (:func:`variable_phrases`: the item or question text, its label, a few
   usual French wordings of :data:`PHRASES`) with ``rapidfuzz.fuzz.WRatio`` on
   :func:`impact.ingest.headers.header_key` forms; for a grid question (« Question ? [Item] »)
   the bracketed item is scored too. For a closed question the values add evidence: the share
   of the column's distinct values that match one of the variable's codes or labels
   (:func:`value_score`). Pairs are then assigned one to one, best score first
   (score ≥ :data:`MIN_SCORE`); the score is written as a YAML comment, « À VÉRIFIER » below
   :data:`SURE_SCORE`;
4. what is left is listed as a comment « À DÉCIDER ».

Label maps: for each closed question, each label seen is mapped to the variable's code whose
French label (or the code itself) it matches best; Likert labels to the response scale whose
labels they match (:func:`response_scale`; LimeSurvey answer codes ``A1…An`` in their order).
Dates: the first of :data:`DATETIME_FORMATS` / :data:`DATE_FORMATS` that reads every value.

The YAML is plain text (strings JSON-quoted, which YAML reads as double-quoted scalars).
Columns shared by several waves go once in ``shared_columns: &shared`` and are merged with
``<<: *shared`` (the pattern of docs/codebook.md). Labels seen in the data are closed-question
answers only; free-text columns and sites are counted, never quoted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.errors import DataError
from impact.ingest.headers import header_key
from impact.ingest.readers import RawExport, read_export
from impact.survey.codebook import WaveSpec, label_key
from impact.survey.instrument import Instrument, load_instrument
from impact.survey.sites import fold

#: Least score (0–100) for a column to be mapped to a variable.
MIN_SCORE = 80
#: Below this score the mapping is marked « À VÉRIFIER ».
SURE_SCORE = 92
#: Distinct values above which a column is not a closed question.
MAX_CLOSED = 15
#: Least share of a column's values matching a variable's labels for value evidence to count.
VALUE_SHARE = 0.8

#: Columns the survey tools write themselves, by exact name: variable, or None (``ignore``).
SYSTEM_COLUMNS: dict[str, dict[str, str | None]] = {
    "limesurvey": {"submitdate": "submitted_at", "startdate": "started_at",
                   "lastpage": "lastpage", "interviewtime": "duration_s", "id": None,
                   "seed": None, "startlanguage": None, "datestamp": None, "refurl": None,
                   "token": None},
    "google_forms": {"horodateur": "submitted_at", "timestamp": "submitted_at",
                     "horodatage": "submitted_at"},
    "ms_forms": {"heure de début": "started_at", "heure de fin": "submitted_at",
                 "start time": "started_at", "completion time": "submitted_at", "id": None,
                 "heure de la dernière modification": None, "last modified time": None},
}
#: Words of a header that designate a direct identifier (folded: no accents, lower case).
IDENTIFIER_WORDS = re.compile(
    r"\b(nom|prenom|name|e-?mail|courriel|mail|messagerie|telephone|tel|phone|portable|"
    r"ipaddr|adresse ip|remarques?|commentaires?|suggestions?|precisez|signature)\b")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d .\-()]{9,}$")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
#: Usual French wordings of the variables whose instrument entry has no question text.
PHRASES: dict[str, list[str]] = {
    "gender": ["Vous êtes", "Genre", "Sexe", "Vous êtes une fille ou un garçon"],
    "age": ["Votre âge", "Âge", "Quel âge avez-vous ?"],
    "audience": ["Votre situation actuelle", "Vous êtes actuellement", "Public", "Statut"],
    "site": ["Établissement", "Session", "Lieu", "Votre semaine (lieu et dates)", "Site",
             "Votre collège ou lycée"],
    "group": ["Groupe", "Classe participante ou témoin"],
    "education": ["Votre plus haut diplôme", "Diplôme le plus élevé", "Niveau d'études"],
    "unemployment_months": ["Depuis combien de mois êtes-vous demandeur d'emploi ?",
                            "Inscrit comme demandeur d'emploi depuis combien de mois ?"],
    "situation": ["Quelle est votre situation aujourd'hui ?"],
    "job_industry": ["Cet emploi ou cette formation est-il dans l'industrie ?"],
    "situation_start": ["Depuis quelle date ?", "Depuis quand êtes-vous dans cette situation ?",
                        "Date de début de la situation"],
    "code": ["Votre code personnel", "Code personnel", "Code pseudonyme"],
}
DATETIME_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H:%M"]
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%m/%d/%Y"]
#: Defaults of the codebook loader (a key equal to its default is not written).
DEFAULT_DATETIME, DEFAULT_DATE = "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"
_GRID_ITEM = re.compile(r"\[([^\[\]]+)\]\s*$")
_LIMESURVEY_CODE = re.compile(r"^A(\d+)$")
_NUMERIC = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*(?:ans?|mois)?\s*$", re.IGNORECASE)
_LIMESURVEY_QUESTION = re.compile(r"^G\d+Q\d+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Mapping:
    variable: str
    column: str
    score: float
    how: str  # "nom système", "libellé de l'instrument", "réponses", …


@dataclass
class WaveDraft:
    """What the draft found in one export."""

    name: str
    file: str
    tool: str
    format: str
    encoding: str
    delimiter: str
    header_row: int
    sheet: str | None
    datetime_format: str | None
    date_format: str | None
    rows: int
    mappings: list[Mapping] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (column, reason)
    ignore: list[str] = field(default_factory=list)
    undecided: list[tuple[str, str]] = field(default_factory=list)  # (column, best guess)
    labels: dict[str, list[str]] = field(default_factory=dict)  # variable -> labels seen
    site_values: int = 0

    @property
    def columns(self) -> dict[str, str]:
        return {m.variable: m.column for m in self.mappings}


@dataclass
class CodebookDraft:
    programme: str
    response_scale: str
    waves: list[WaveDraft]
    text: str = ""


def draft_codebook(exports: list[Path], programme: str,
                   instrument_path: str | Path) -> CodebookDraft:
    """Draft the codebook of ``programme`` from its exports (see the module docstring)."""
    instrument = load_instrument(instrument_path)
    names = [Path(p).stem for p in exports]
    if len(set(names)) != len(names):
        raise DataError("Deux exports portent le même nom de vague ("
                        + ", ".join(sorted({n for n in names if names.count(n) > 1}))
                        + ") : nommez chaque fichier d'après sa vague (pre.csv, post.csv…).")
    waves = [draft_wave(Path(p), instrument) for p in exports]
    scale = response_scale(waves, instrument)
    book = CodebookDraft(programme, scale, waves)
    book.text = render(book, instrument)
    return book


def read_any(path: Path, vocabulary: list[str]) -> RawExport:
    """Read an export with the workflow's reader, nothing declared: the encoding and the
    separator are sniffed; the header row is the line matching most of ``vocabulary``."""
    if not path.is_file():
        raise DataError(f"Export introuvable : {path}.")
    with open(path, "rb") as handle:
        xlsx = handle.read(4) == b"PK\x03\x04"
    spec = WaveSpec(name=path.stem, file=path.name, tool="other",
                    format="xlsx" if xlsx else "csv", encoding="utf-8", delimiter=",",
                    decimal=",", sheet=0, header_row=1, datetime_format=DEFAULT_DATETIME,
                    date_format=DEFAULT_DATE, pages=None, columns={}, identifiers=(),
                    ignore=tuple(vocabulary), labels={}, label_text={})
    return read_export(path, spec)


def draft_wave(path: Path, instrument: Instrument) -> WaveDraft:
    """Classify every column of one export (module docstring, steps 1–4)."""
    phrases = {v: variable_phrases(v, instrument) for v in instrument.variables}
    vocabulary = [p for ps in phrases.values() for p in ps] + \
        [c for tool in SYSTEM_COLUMNS.values() for c in tool]
    raw = read_any(path, vocabulary)
    frame = raw.frame
    header = [str(c) for c in frame.columns]
    tool = detect_tool(header)
    xlsx = raw.encoding == "xlsx"
    wave = WaveDraft(path.stem, path.name, tool, "xlsx" if xlsx else "csv",
                     "" if xlsx else raw.encoding, raw.delimiter,
                     int(raw.lines[0]) - 1 if len(raw.lines) else 1,
                     _sheet_name(path) if xlsx else None, None, None, len(frame))
    system = SYSTEM_COLUMNS.get(tool, {})
    free = []
    for column in header:
        key = header_key(column)
        if key in system:
            if system[key] is None:
                wave.ignore.append(column)
            else:
                wave.mappings.append(Mapping(str(system[key]), column, 100, "colonne système"))
            continue
        reason = identifier_reason(column, frame[column])
        if reason:
            wave.identifiers.append((column, reason))
        else:
            free.append(column)
    wave.mappings += assign(frame, free, instrument, phrases,
                            taken={m.variable for m in wave.mappings})
    dropped = _one_code_form(wave, instrument)
    if dropped:  # the freed columns are matched again, without the code's other form
        taken = {m.variable for m in wave.mappings} | set(instrument.code_parts) | {"code"}
        wave.mappings += assign(frame, [m.column for m in dropped], instrument, phrases, taken)
    mapped = set(wave.columns.values())
    for column in free:
        if column not in mapped:
            wave.undecided.append((column, _best_guess(column, phrases)))
    for m in wave.mappings:
        info = instrument.variable(m.variable)
        values = frame[m.column].astype(str).str.strip()
        values = values[values != ""]
        if info.type in ("likert", "categorical") and values.nunique() <= MAX_CLOSED:
            wave.labels[m.variable] = sorted(pd.unique(values), key=str)
        if m.variable == "site":
            wave.site_values = int(values.nunique())
    wave.datetime_format, wave.date_format = _formats(frame, wave, instrument, xlsx)
    return wave


def _sheet_name(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return book.sheetnames[0]
    finally:
        book.close()


def detect_tool(header: list[str]) -> str:
    """The survey tool whose system columns the header holds most of (``other`` if none)."""
    keys = {header_key(h) for h in header}
    counts = {tool: len(keys & set(cols)) for tool, cols in SYSTEM_COLUMNS.items()}
    best = max(counts, key=lambda t: counts[t])
    return best if counts[best] else "other"


def identifier_reason(column: str, values: pd.Series) -> str:
    """Why a column is a direct identifier (French), or "" when it is not one."""
    folded = fold(column)
    if IDENTIFIER_WORDS.search(folded) and "code" not in folded:
        return "intitulé désignant une personne, une adresse ou une remarque"
    text = values.astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return ""
    for pattern, what in ((_EMAIL, "adresses e-mail"), (_IP, "adresses IP"),
                          (_PHONE, "numéros de téléphone")):
        if text.str.match(pattern).mean() > 0.5:
            return f"valeurs : {what}"
    distinct = text.nunique()
    if distinct > MAX_CLOSED and distinct > 0.3 * len(text) and text.str.len().mean() > 12 \
            and not text.str.match(r"^[\d\s:/.,\-]+$").mean() > 0.5:
        return "texte libre (réponses variées et longues)"
    return ""


def variable_phrases(name: str, instrument: Instrument) -> list[str]:
    """The French wordings a column of this variable may carry: the instrument's question
    text and label, and the usual wordings of :data:`PHRASES`."""
    info = instrument.variable(name)
    phrases = [p for p in (info.text, info.label) if p] + PHRASES.get(name, [])
    return list(dict.fromkeys(phrases))


def wording_score(column: str, phrases: list[str]) -> float:
    """Best ``rapidfuzz.fuzz.WRatio`` of the header (and of its bracketed grid item) against
    the phrases, on :func:`header_key` forms (0–100)."""
    from rapidfuzz import fuzz

    texts = [header_key(column)]
    item = _GRID_ITEM.search(column)
    if item:
        texts.append(header_key(item.group(1)))
    return max((fuzz.WRatio(t, header_key(p)) for t in texts for p in phrases), default=0.0)


def value_score(distinct: list[str], name: str, instrument: Instrument) -> float:
    """Share (0–100) of a closed column's distinct values matching one of the variable's
    codes or labels (rapidfuzz ratio ≥ 85 on :func:`label_key` forms, or starting with a
    label); 0 for open columns or variables without codes."""
    from rapidfuzz import fuzz

    info = instrument.variable(name)
    if not info.codes or not distinct or len(distinct) > MAX_CLOSED:
        return 0.0
    targets = [label_key(t) for t in [*info.codes, *info.codes.values()]]
    hits = sum(max(fuzz.ratio(label_key(v), t) for t in targets) >= 85 or
               any(label_key(v).startswith(t) for t in targets if len(t) > 2)
               for v in distinct)
    return 100.0 * hits / len(distinct)


def assign(frame: pd.DataFrame, columns: list[str], instrument: Instrument,
           phrases: dict[str, list[str]], taken: set[str]) -> list[Mapping]:
    """One-to-one assignment of columns to variables, best (score, wording) pair first."""
    candidates = []
    for column in columns:
        text = frame[column].astype(str).str.strip()
        distinct = [v for v in pd.unique(text) if v]
        likert = _likert_column(distinct)
        numeric = bool(distinct) and sum(bool(_NUMERIC.match(v)) for v in distinct) \
            >= 0.8 * len(distinct)
        for name, texts in phrases.items():
            if name in taken or instrument.variable(name).section == "metadata":
                continue
            info = instrument.variable(name)
            wording = wording_score(column, texts)
            values = value_score(distinct, name, instrument) if wording >= 50 else 0.0
            evidence = values if values >= 100 * VALUE_SHARE else 0.0
            score = max(wording, min(evidence, wording + 25))
            if wording < 50 and _exact_codes(distinct, info.codes):
                score = MIN_SCORE + 5  # the answers are the variable's own codes (F, M, X)
            if likert != (info.type == "likert"):
                score -= 30  # Likert answers belong to Likert items, and only to them
            if numeric and info.type in ("likert", "categorical", "date", "datetime") or \
                    not numeric and distinct and info.type in ("integer", "number"):
                score -= 30  # numbers answer a number question, labels a closed one
            if score >= MIN_SCORE:
                how = "réponses" if score > wording else "intitulé"
                candidates.append((score, wording, column, name, how))
    mappings, used_columns = [], set()
    for score, _, column, name, how in sorted(candidates, key=lambda c: (-c[0], -c[1])):
        if column in used_columns or name in taken:
            continue
        used_columns.add(column)
        taken.add(name)
        mappings.append(Mapping(name, column, round(score), how))
    return mappings


def _exact_codes(distinct: list[str], codes: dict[str, str]) -> bool:
    """At least two distinct answers, every one of them a code of the variable."""
    keys = {label_key(c) for c in codes}
    return len(distinct) >= 2 and {label_key(v) for v in distinct} <= keys


def label_score(label: str, target: str) -> tuple[bool, float, int]:
    """How well an answer label matches a code or a code's label: (same text, score, length).

    Same text: equal :func:`label_key` forms. Score: the best of rapidfuzz's ``ratio`` and
    ``token_set_ratio`` on :func:`impact.survey.sites.fold` forms stripped of punctuation
    (« Bac +2 (BTS, DUT) » and « Bac + 2 » share every word of the latter). Compared in that
    order, then the longer target first (``bac2`` before ``bac`` for « Bac +2 »)."""
    from rapidfuzz import fuzz

    a = _NOT_ALNUM.sub(" ", fold(label)).strip()
    b = _NOT_ALNUM.sub(" ", fold(target)).strip()
    score = max(fuzz.ratio(a, b), fuzz.token_set_ratio(a, b)) if a and b else 0.0
    return label_key(label) == label_key(target), score, len(b)


def _likert_column(distinct: list[str]) -> bool:
    """Answers on an agreement scale (« … d'accord ») or LimeSurvey answer codes A1…An."""
    return 0 < len(distinct) <= 7 and all("accord" in fold(v) or _LIMESURVEY_CODE.match(v)
                                      for v in distinct)


def _one_code_form(wave: WaveDraft, instrument: Instrument) -> list[Mapping]:
    """Keep either the whole code or its parts (the loader refuses both); the dropped
    mappings are returned, their columns free again."""
    parts = [m for m in wave.mappings if m.variable in instrument.code_parts]
    whole = [m for m in wave.mappings if m.variable == "code"]
    if not (parts and whole):
        return []
    drop = whole if len(parts) == len(instrument.code_parts) else parts
    wave.mappings = [m for m in wave.mappings if m not in drop]
    return drop


def _best_guess(column: str, phrases: dict[str, list[str]]) -> str:
    scores = {name: wording_score(column, texts) for name, texts in phrases.items()}
    best = max(scores, key=lambda n: scores[n])
    return f"plus proche : {best} (score {scores[best]:.0f})" if scores[best] >= 50 else ""


def _formats(frame: pd.DataFrame, wave: WaveDraft, instrument: Instrument,
             xlsx: bool) -> tuple[str | None, str | None]:
    """The first datetime / date format reading every value of the wave's date columns."""
    found: dict[str, str | None] = {"datetime": None, "date": None}
    if xlsx:  # workbook dates arrive as ISO text, which ingestion reads whatever the format
        candidates = {"datetime": [], "date": DATE_FORMATS}
    else:
        candidates = {"datetime": DATETIME_FORMATS, "date": DATE_FORMATS}
    for m in wave.mappings:
        kind = instrument.variable(m.variable).type
        if kind not in found or found[kind] is not None:
            continue
        values = frame[m.column].astype(str).str.strip()
        values = values[values != ""]
        if xlsx and kind == "date" and values.str.match(r"^\d{4}-\d\d-\d\d").all():
            continue
        for fmt in candidates[kind]:
            if len(values) and pd.to_datetime(values, format=fmt, errors="coerce").notna().all():
                found[kind] = fmt
                break
    return found["datetime"], found["date"]


def response_scale(waves: list[WaveDraft], instrument: Instrument) -> str:
    """The response scale whose labels the Likert answers match (LimeSurvey codes A1…An: the
    scale with n points); the first scale when there are no Likert answers."""
    seen = {label_key(v) for w in waves for var, labels in w.labels.items()
            if instrument.variable(var).type == "likert" for v in labels}
    codes = [int(m.group(1)) for v in seen if (m := _LIMESURVEY_CODE.match(v.upper()))]
    scales = instrument.response_scales
    if codes:
        fit = [n for n, s in scales.items() if len(s.codes) == max(codes)]
        return fit[0] if fit else next(iter(scales))
    def covered(name: str) -> tuple[int, int]:
        labels = {label_key(t) for t in scales[name].codes.values()}
        return len(seen & labels), -len(labels)
    return max(scales, key=covered)


def label_map(var: str, labels: list[str], instrument: Instrument,
              scale: str) -> list[tuple[str, object | None, float]]:
    """(label seen, code, score) for each label (:func:`label_score`); code None when
    nothing scores 70 or more."""
    info = instrument.variable(var)
    if info.type == "likert":
        targets = {code: [text] for code, text in instrument.response_scales[scale].codes.items()}
    else:
        cast = int if var == "consent" else str
        targets = {cast(code): [code, text] for code, text in info.codes.items()}
    out = []
    for label in labels:
        coded = _LIMESURVEY_CODE.match(label.upper())
        if info.type == "likert" and coded and int(coded.group(1)) in targets:
            out.append((label, int(coded.group(1)), 100.0))
            continue
        scores = {code: max(label_score(label, t) for t in texts)
                  for code, texts in targets.items()}
        best = max(scores, key=lambda c: scores[c])
        same, score, _ = scores[best]
        out.append((label, best if same or score >= 70 else None, 100.0 if same else score))
    return out


# ------------------------------------------------------------------ YAML text


def q(text: object) -> str:
    """A YAML scalar: JSON-quoted text (a YAML double-quoted string), numbers as they are."""
    return str(text) if isinstance(text, int) else json.dumps(str(text), ensure_ascii=False)


def shared_block(waves: list[WaveDraft]) -> dict[str, str]:
    """The largest set of (variable, column) pairs that several whole waves share, weighted by
    the waves that would merge it (empty when fewer than three pairs)."""
    best: dict[str, str] = {}
    best_gain = 0
    for i, a in enumerate(waves):
        for b in waves[i + 1:]:
            common = {v: c for v, c in a.columns.items() if b.columns.get(v) == c}
            users = [w for w in waves if all(w.columns.get(v) == c for v, c in common.items())]
            gain = len(common) * (len(users) - 1)
            if len(common) >= 3 and gain > best_gain:
                best, best_gain = common, gain
    return best


def render(book: CodebookDraft, instrument: Instrument) -> str:
    """The draft as commented YAML (see the module docstring)."""
    mapped = {m.variable for w in book.waves for m in w.mappings}
    scales = [s for s, spec in instrument.scales.items() if set(spec.items) & mapped]
    singles = [v for v in instrument.names("single_items") if v in mapped]
    group = "group" in mapped
    lines = [
        f"# Codebook DRAFTED by `impact codebook draft` from {len(book.waves)} export(s): "
        "review every",
        "# « À VÉRIFIER » and « À DÉCIDER » comment, then run `impact check "
        f"{book.programme}`. Reference: docs/codebook.md.",
        f"programme: {book.programme}",
        f"label: {q(book.programme)}  # À COMPLÉTER : le nom publié du programme",
        f"response_scale: {book.response_scale}",
        f"scales: [{', '.join(scales) or '?'}]" + _partial_scales(scales, mapped, instrument),
        f"single_items: [{', '.join(singles)}]",
        f"comparison_group: {str(group).lower()}",
        "# À DÉCIDER avant de voir les données (docs/contracts.md « Design »).",
        "design:",
        f"  type: {'comparison_group' if group else 'pre_post'}",
        f"  primary_outcomes: [{scales[0] if scales else '?'}]  # À DÉCIDER",
        "",
    ]
    lines += _labels_block(book, instrument)
    shared = shared_block(book.waves)
    if shared:
        users = [w.name for w in book.waves
                 if all(w.columns.get(v) == c for v, c in shared.items())]
        lines += ["", f"# Columns shared by the waves {', '.join(users)} (YAML anchor, merged "
                  "below).", "shared_columns: &shared"]
        first = next(w for w in book.waves if w.name in users)
        lines += [_column_line(m, "  ") for m in first.mappings if m.variable in shared]
    lines += ["", "waves:"]
    for wave in book.waves:
        lines += _wave_block(wave, shared)
    return "\n".join(lines) + "\n"


def _partial_scales(scales: list[str], mapped: set[str], instrument: Instrument) -> str:
    partial = [f"{s} ({len(set(instrument.scales[s].items) & mapped)}/"
               f"{len(instrument.scales[s].items)} items)" for s in scales
               if not set(instrument.scales[s].items) <= mapped]
    return f"  # À VÉRIFIER, échelles incomplètes : {', '.join(partial)}" if partial else ""


def _labels_block(book: CodebookDraft, instrument: Instrument) -> list[str]:
    seen: dict[str, list[str]] = {}
    for wave in book.waves:
        for var, labels in wave.labels.items():
            key = "likert" if instrument.variable(var).type == "likert" else var
            seen[key] = list(dict.fromkeys(seen.get(key, []) + labels))
    if not seen:
        return []
    lines = ["labels:"]
    for key, labels in seen.items():
        var = key if key != "likert" else next(
            v for w in book.waves for v in w.labels if instrument.variable(v).type == "likert")
        lines.append(f"  {key}:")
        entries = label_map(var, labels, instrument, book.response_scale)
        for label, code, score in sorted(entries, key=lambda e: (e[1] is None, str(e[1]))):
            if code is None:
                lines.append(f"    # {q(label)}: ?  # À DÉCIDER : aucun code proche "
                             f"(meilleur score {score:.0f})")
            else:
                flag = "" if score >= SURE_SCORE else ", À VÉRIFIER"
                lines.append(f"    {q(label)}: {q(code)}  # score {score:.0f}{flag}")
    return lines


def _column_line(m: Mapping, indent: str) -> str:
    flag = "" if m.score >= SURE_SCORE else ", À VÉRIFIER"
    return f"{indent}  {m.variable}: {q(m.column)}  # {m.how}, score {m.score:.0f}{flag}"


def _wave_block(wave: WaveDraft, shared: dict[str, str]) -> list[str]:
    lines = [f"  {wave.name}:", f"    file: {q(wave.file)}", f"    tool: {wave.tool}",
             f"    format: {wave.format}"]
    if wave.format == "csv":
        lines += [f"    encoding: {wave.encoding}", f"    delimiter: {q(wave.delimiter)}"]
    if wave.sheet is not None:
        lines.append(f"    sheet: {q(wave.sheet)}")
    if wave.header_row != 1:
        lines.append(f"    header_row: {wave.header_row}")
    if wave.datetime_format and wave.datetime_format != DEFAULT_DATETIME:
        lines.append(f"    datetime_format: {q(wave.datetime_format)}")
    if wave.date_format and wave.date_format != DEFAULT_DATE:
        lines.append(f"    date_format: {q(wave.date_format)}")
    if wave.tool == "limesurvey" and sum(bool(_LIMESURVEY_QUESTION.match(c))
                                         for c, _ in wave.undecided) > len(wave.undecided) / 2:
        lines.append("    # Export LimeSurvey en codes de questions (G01Q01…) : aucun intitulé à "
                     "reconnaître. Ré-exportez avec « Question : texte complet » pour un "
                     "brouillon complet, ou associez les codes à la main.")
    lines.append(f"    # {wave.rows} ligne(s) lue(s)"
                 + (f" ; site : {wave.site_values} valeur(s) distincte(s) à déclarer dans "
                    "sites.yaml" if wave.site_values else ""))
    merge = bool(shared) and all(wave.columns.get(v) == c for v, c in shared.items())
    lines.append("    columns:")
    if merge:
        lines.append("      <<: *shared")
    lines += [_column_line(m, "    ") for m in wave.mappings
              if not (merge and m.variable in shared)]
    if not wave.mappings:
        lines.append("      {}  # À DÉCIDER : aucune colonne reconnue")
    if wave.identifiers:
        lines.append("    identifiers:  # supprimés dès la lecture")
        lines += [f"      - {q(c)}  # {why}" for c, why in wave.identifiers]
    if wave.ignore:
        lines.append(f"    ignore: [{', '.join(q(c) for c in wave.ignore)}]")
    if wave.undecided:
        lines.append("    # À DÉCIDER — colonnes non reconnues : ajoutez-les à columns (une "
                     "question), identifiers (elles identifient la personne) ou ignore :")
        lines += [f"    #   {q(c)}{'  (' + g + ')' if g else ''}" for c, g in wave.undecided]
    return lines
