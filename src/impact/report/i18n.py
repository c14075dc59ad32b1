"""The report's message catalogue: French source strings, their English text, and the language
the number formatting follows.

gettext conventions (GNU gettext manual, « The Programmer's View »), French as the source
language: a string generated in code is written in French inside ``_("…")``; its English text
lives in ``locale/en/LC_MESSAGES/impact.po`` (package data, read with Babel's
``babel.messages.pofile.read_po`` when first needed: no compile step). The msgid *is* the
French text, so the French edition needs no catalogue at all.

Usage (a notebook, a table helper)::

    from impact.report.i18n import translator, use_language
    use_language(lang)          # formatting.fmt_* now follow lang (decimal point, « 12% »…)
    _ = translator(lang)
    _("Taux d'emploi durable")  # → "Sustainable employment rate" when lang == "en"

Strings to be translated later (dictionary values, constants) are marked with
``N_("…")`` (identity), then translated where they are displayed with ``_(value)``.
A missing translation falls back to the French text with one logged warning per string;
``tests/test_i18n.py`` fails when a marked string has no English text or a translation is no
longer used, and ``tools/update_catalogue.py`` refreshes the catalogue from the code (Babel's
extractor, :func:`extract_messages`).
"""

from __future__ import annotations

import contextvars
import datetime
import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path
from types import TracebackType

__all__ = [
    "CATALOGUE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALES",
    "N_",
    "SOURCE_LANGUAGE",
    "catalogue",
    "current_language",
    "current_locale",
    "extract_messages",
    "gettext",
    "lookup",
    "ngettext",
    "message_sources",
    "pgettext",
    "update_catalogue",
    "translator",
    "use_language",
    "word_for",
]

LOG = logging.getLogger(__name__)

DOMAIN = "impact"
SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")
# CLDR locales for numbers and dates (Babel).
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
LOCALE_DIR = Path(__file__).with_name("locale")
CATALOGUE = LOCALE_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"

# Fixed header dates: refreshing the catalogue changes it only where the messages change.
_CATALOGUE_DATE = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)

_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar(
    "impact_report_language", default=SOURCE_LANGUAGE
)


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(
            f"unknown report language {lang!r}; expected one of {list(LANGUAGES)} "
            "(config key report.languages)"
        )
    return lang


def N_(message: str) -> str:  # noqa: N802 (gettext's name)
    """Mark a string for the catalogue without translating it (translate it where shown)."""
    return message


# --------------------------------------------------------------------------- language


class _Language(AbstractContextManager["_Language"]):
    def __init__(self, token: contextvars.Token[str]) -> None:
        self._token = token

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _LANGUAGE.reset(self._token)


def use_language(lang: str) -> AbstractContextManager[object]:
    """Set the language of the report being made (``"fr"`` or ``"en"``).

    Takes effect at once (a notebook calls ``use_language(lang)`` in its first cell) and, used
    as ``with use_language("en"): …``, is undone at the end of the block. It is a
    :class:`contextvars.ContextVar`, so threads and asyncio tasks each see their own.
    :mod:`impact.report.formatting` follows it.
    """
    return _Language(_LANGUAGE.set(_check(lang)))


def current_language() -> str:
    """The language set by :func:`use_language` (French by default)."""
    return _LANGUAGE.get()


def current_locale() -> str:
    """The CLDR locale of :func:`current_language` (``fr_FR``, ``en_GB``)."""
    return LOCALES[_LANGUAGE.get()]


# --------------------------------------------------------------------------- catalogue


@cache
def catalogue(lang: str) -> dict[str, str]:
    """French msgid → text in ``lang`` (empty for French); untranslated and fuzzy entries are
    left out."""
    if _check(lang) == SOURCE_LANGUAGE:
        return {}
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang, domain=DOMAIN)
    return {
        _key(str(m.id), m.context): str(m.string)
        for m in cat
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def _key(msgid: str, context: str | None = None) -> str:
    """gettext's key of a message with a context: ``context + "\\x04" + msgid``."""
    return f"{context}\x04{msgid}" if context else msgid


@cache
def _warn_missing(lang: str, message: str) -> None:
    LOG.warning(
        "no %s translation for %r in %s: the French text is used "
        "(run tools/update_catalogue.py and fill in the msgstr)",
        lang,
        message,
        CATALOGUE.relative_to(LOCALE_DIR.parent),
    )


def translator(lang: str | None = None) -> Callable[[str], str]:
    """A gettext-style function: French source string → its text in ``lang`` (default: the
    language set by :func:`use_language`, read when the translator is made)."""
    lang = _check(lang or current_language())
    if lang == SOURCE_LANGUAGE:
        return _identity
    table = catalogue(lang)

    def _(message: str) -> str:
        text = table.get(message)
        if text is None:
            if message.strip():
                _warn_missing(lang, message)
            return message
        return text

    return _


def _identity(message: str) -> str:
    return message


def pgettext(context: str, message: str) -> str:
    """:func:`gettext` of a message whose English depends on what it is about
    (``pgettext("attrition", "faible")`` → "low", while an effect is "small")."""
    lang = current_language()
    if lang == SOURCE_LANGUAGE:
        return message
    text = catalogue(lang).get(_key(message, context))
    if text is None:
        _warn_missing(lang, _key(message, context))
        return message
    return text


def lookup(message: str) -> str:
    """The translation of ``message`` in the current language if the catalogue has one, else
    ``message`` unchanged and no warning: for text that may or may not be a catalogue entry,
    such as table headers translated when displayed (:func:`impact.report.notes.table_html`)."""
    if current_language() == SOURCE_LANGUAGE:
        return message
    return catalogue(current_language()).get(message, message)


def word_for(words: Mapping[str, str], code: object, default: str | None = None) -> str:
    """The word of ``code`` in a table of French words marked ``N_``, in the current language
    (``word_for(WAVE_WORDS, "pre")`` → « avant » / "before"); ``default`` (else the code
    itself) when the table has no entry."""
    key = str(code)
    if key in words:
        return gettext(words[key])
    return key if default is None else default


#: Languages whose singular covers 0 and 1 (« 0 valeur », « 1 valeur »); the others
#: (English) use the singular for exactly 1 (CLDR plural rules, « one » category).
_SINGULAR_UP_TO_ONE = {"fr"}


def ngettext(singular: str, plural: str, n: float) -> str:
    """The form of ``singular`` / ``plural`` (both French, both in the catalogue) that ``n``
    takes in the current language, translated: French uses the singular for 0 and 1,
    English for 1 only (``ngettext("{n} valeur", "{n} valeurs", 0)`` → « {n} valeur » /
    "{n} values"). Babel's extractor reads both strings as msgids."""
    lang = current_language()
    one = abs(n) < 2 if lang in _SINGULAR_UP_TO_ONE else n == 1
    return gettext(singular if one else plural)


def gettext(message: str) -> str:
    """``message`` in the language set by :func:`use_language`, looked up at each call: the
    library's modules import it as ``_`` at module level (``from impact.report.i18n import
    gettext as _``) and follow the language of the report being made."""
    return translator(current_language())(message)


# --------------------------------------------------------------------------- extraction


def _notebook_code(path: Path) -> Iterator[tuple[int, str]]:
    """(cell number, source) of the code cells of a notebook; IPython magics blanked."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            lines = [("" if ln.lstrip().startswith(("%", "!")) else ln) for ln in src.split("\n")]
            yield i, "\n".join(lines)


def extract_messages(paths: Iterable[Path]) -> dict[str, list[str]]:
    """Every string marked ``_("…")`` / ``N_("…")`` (and the other gettext keywords) in Python
    files and in the code cells of notebooks → its locations (``file:line`` or
    ``file:cell N``), with Babel's Python extractor (``babel.messages.extract.extract``).
    Only literal strings count: ``_(variable)`` translates at run time what was marked
    elsewhere. A message with a context (``pgettext``) is keyed ``context + "\\x04" + msgid``."""
    from babel.messages.extract import extract

    found: dict[str, list[str]] = {}

    def add(source: str, where: Callable[[int], str]) -> None:
        for lineno, message, _comments, context in extract(
            "python", io.BytesIO(source.encode("utf-8"))
        ):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(_key(msgid, context), []).append(where(lineno))

    for path in paths:
        if path.suffix == ".ipynb":
            for cell_no, code in _notebook_code(path):
                add(code, lambda _line, p=path, c=cell_no: f"{p.name}:cell {c}")
        else:
            add(path.read_text(encoding="utf-8"), lambda line, p=path: f"{p}:{line}")
    return found


def message_sources(repo: Path) -> list[Path]:
    """The files whose marked strings make the catalogue: the report package (``src/impact/
    report/**/*.py``) and the report notebooks (``workflow/notebooks/*.ipynb``)."""
    package = repo / "src" / "impact" / "report"
    return sorted(package.rglob("*.py")) + sorted((repo / "workflow" / "notebooks").glob("*.ipynb"))


def update_catalogue(repo: Path, lang: str = "en") -> tuple[list[str], list[str], list[str]]:
    """Rewrite the ``lang`` catalogue from the code: new msgids get an empty msgstr (to fill
    in), unused ones are dropped, translations of the others are kept. Returns the msgids
    added, removed, and still without translation."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = LOCALE_DIR / _check(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
    old: dict[str, str] = {}
    if path.exists():
        with path.open("rb") as fh:
            old = {
                _key(str(m.id), m.context): str(m.string or "")
                for m in read_po(fh, locale=lang)
                if m.id
            }
    found = extract_messages(message_sources(repo))
    cat = Catalog(
        locale=lang,
        domain=DOMAIN,
        project="Impact ITIP",
        fuzzy=False,
        creation_date=_CATALOGUE_DATE,
        revision_date=_CATALOGUE_DATE,
        header_comment=(
            "# English text of the strings the report generates (French is the source "
            "language).\n# Refresh the msgids with: python tools/update_catalogue.py; then fill "
            "in every empty msgstr."
        ),
        last_translator="Impact ITIP",
        language_team="Impact ITIP",
        msgid_bugs_address="",
    )
    for key in sorted(found):
        context, _sep, msgid = key.rpartition("\x04")
        files = sorted({loc.rsplit(":", 1)[0] for loc in found[key]})
        rel = [
            (str(Path(f).relative_to(repo)) if Path(f).is_absolute() else f, None) for f in files
        ]
        cat.add(msgid, old.get(key, ""), locations=rel, context=context or None)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, cat, width=100, omit_header=False, include_lineno=False, sort_output=True)
    catalogue.cache_clear()
    untranslated = sorted(m for m in found if not old.get(m))
    return sorted(set(found) - set(old)), sorted(set(old) - set(found)), untranslated
