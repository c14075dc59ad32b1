"""French and English typography for every string of the report.

One function, :func:`typeset_html`, is applied by the renderer to every finished HTML document
(main report and annex, both languages) before it is written and before the PDF is made;
:func:`typeset` does the same to a plain string; :func:`count_violations` counts what is left
(the PDF test reads the PDF text back and expects zero).

French rules (Imprimerie nationale, *Lexique des règles typographiques en usage à l'Imprimerie
nationale*, 2002; the « Charte graphique » of the ministère de l'Éducation nationale):

- U+202F NARROW NO-BREAK SPACE (espace fine insécable) before « ; », « ! », « ? »;
- U+00A0 NO-BREAK SPACE (espace insécable) before « : », after « « » and before « » »;
- curly apostrophe « ’ » (U+2019) for the straight « ' »;
- « 1er » for the first of the month (« 1 décembre » → « 1er décembre »);
- U+00A0 around a relation between a short symbol and a number and between the symbol and
  the relation: « n = 12 », « p < 0,001 », « g = 0,42 »;
- U+00A0 between a number and its unit or « % » (« 12 % », « 3 h »);
- U+202F as thousands separator in integers of five digits or more (« 12 345 »; four-digit
  numbers such as years are left alone, as the Imprimerie nationale allows), never in a
  decimal part.

English rules (*New Hart's Rules*, 2nd ed., 2014): no space before « : ; ! ? % »; curly quotes
“ ” and ’ (‘ when opening); « » become “ ”; U+00A0 in « n = 12 », « p < 0.001 ».

Nothing is changed inside URLs or e-mail addresses, in HTML attributes, comments, or in
``<script>``, ``<style>``, ``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``, ``<textarea>``,
``<math>``. Both functions are idempotent and only ever change spaces, quotes and apostrophes,
plus the « er » of « 1er » (a property test checks it).

How HTML is handled: the document is cut into tags and text nodes with a small tokeniser (tags,
comments, ``<!…>`` and ``<?…>`` are copied byte for byte). Consecutive text nodes separated only
by inline tags (``<strong>``, ``<em>``, ``<a>``, ``<span>``, ``<sub>``…) form one *run*, which is
typeset as a whole, so « <strong>n</strong> = 12 » is seen as « n = 12 »; every character of
the result is then given back to the text node it came from (an inserted space belongs to the
node of the character it precedes, except after « « », where it follows it). A text node whose
text is unchanged is copied byte for byte (entities included); a changed one is re-escaped
minimally (``&``, ``<``, ``>``).
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["count_violations", "typeset", "typeset_html"]

NBSP = "\u00a0"
NNBSP = "\u202f"
_SP = "[ \u00a0\u202f]"  # any horizontal space we may replace
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_UNITS = "€|k€|M€|h|min|s|ms|km|m|cm|mm|kg|g|pts?|pp|ans|mois|jours|semaines|heures"
# A short symbol before a relation: n, N, p, g, d_z, IC, α, χ² … (at most four characters).
_SYMBOL = r"(?<![\w.\-/])[A-Za-zα-ωΑ-Ω][\w²]{0,3}"
_REL = "(?:=|<|>|≤|≥|≠|≈)"
_PROTECTED = re.compile(
    r"(?:https?|ftp)://\S+|www\.\S+|doi:\S+|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",
    re.IGNORECASE,
)


# Text without any of these characters has nothing to typeset; without these marks, no URL
# or e-mail address to protect (fast paths: most text nodes of a report are short).
_TRIGGER = re.compile(r"['\"«»:;!?=<>≤≥≠≈%‰\d]")
_PROTECTED_MARKS = ("@", "://", "www.", "doi:", "WWW.", "DOI:")


@dataclass(frozen=True)
class _Rule:
    """A regex whose named groups are the spans to replace (an empty group is an insertion).

    ``values`` maps a group name to its replacement; ``left`` names the groups whose inserted
    text belongs to the node of the character before (default: the character after).
    """

    pattern: re.Pattern[str]
    values: dict[str, str]
    left: frozenset[str] = frozenset()


def _rule(pattern: str, left: Iterable[str] = (), **values: str) -> _Rule:
    return _Rule(re.compile(pattern), values, frozenset(left))


_FR_RULES: tuple[_Rule, ...] = (
    _rule(r"(?P<q>')", q="’"),
    _rule(rf"«(?P<s>{_SP}*)(?=\S)", left=("s",), s=NBSP),
    _rule(rf"(?<=\S)(?P<s>{_SP}*)»", s=NBSP),
    # before « : » that ends a phrase (not 14:30, not ::)
    _rule(rf"(?<=[^\s:])(?:(?P<s>{_SP}+)(?=:)|(?P<t>)(?=:(?:\s|$|[»)\]])))", s=NBSP, t=NBSP),
    _rule(
        rf"(?<=[^\s;!?:])(?:(?P<s>{_SP}+)(?=[;!?])|(?P<t>)(?=[;!?](?:\s|$|[»)\]\"’!?])))",
        s=NNBSP,
        t=NNBSP,
    ),
    _rule(rf"(?<![\d,.])\b1(?P<er>)(?={_SP}+(?:{_MONTHS})\b)", left=("er",), er="er"),
    _rule(rf"{_SYMBOL}(?P<a>{_SP}*){_REL}(?P<b>{_SP}*)(?=[−\-+]?\d)", a=NBSP, b=NBSP),
    _rule(rf"(?<=\d)(?P<s>{_SP}?)(?=[%‰])", s=NBSP),
    _rule(rf"(?<=\d)(?P<s>{_SP})(?=(?:{_UNITS})(?!\w))", s=NBSP),
)
_EN_RULES: tuple[_Rule, ...] = (
    _rule(r"(?<=[\w.,!?)\]])(?P<q>')", q="’"),
    _rule(r"(?P<q>')(?=\w)", q="‘"),
    _rule(r"(?P<q>')", q="’"),
    _rule(r"(?:^|(?<=[\s(\[{/\-—–]))(?P<q>\")", q="“"),
    _rule(r"(?P<q>\")", q="”"),
    _rule(rf"(?P<q>«{_SP}*)", q="“"),
    _rule(rf"(?P<q>{_SP}*»)", q="”"),
    _rule(rf"(?<=\S)(?P<s>{_SP}+)(?=[:;!?](?:\s|$|[”)\]]))", s=""),
    _rule(rf"(?<=\d)(?P<s>{_SP}+)(?=%)", s=""),
    _rule(rf"{_SYMBOL}(?P<a>{_SP}*){_REL}(?P<b>{_SP}*)(?=[−\-+]?\d)", a=NBSP, b=NBSP),
)
_RULES = {"fr": _FR_RULES, "en": _EN_RULES}


def _rules(lang: str) -> tuple[_Rule, ...]:
    try:
        return _RULES[lang]
    except KeyError:
        raise ValueError(
            f"unknown report language {lang!r}; expected one of {sorted(_RULES)}"
        ) from None


_LONG_NUMBER = re.compile(rf"(?<![\d,.\w\u202f])\d{{5,}}(?![\d\w]|[,.]\d|{_SP}+[A-ZÉ])")


def _long_number_edits(text: str) -> list[tuple[int, int, str, bool]]:
    """Insert U+202F every three digits (from the right) in integer runs of ≥ 5 digits.

    Not in a run followed by a capitalised word: « 75007 Paris » is a postcode.
    """
    edits = []
    for m in _LONG_NUMBER.finditer(text):
        for i in range(m.end() - 3, m.start(), -3):
            edits.append((i, i, NNBSP, False))
    return edits


def _apply(text: str, owners: list[int], lang: str) -> tuple[str, list[int]]:
    """Apply the rules of ``lang`` to ``text``; ``owners[i]`` is the node of character i."""
    rules = _rules(lang)
    if not _TRIGGER.search(text):
        return text, owners
    steps: list[_Rule | None] = [*rules, None] if lang == "fr" else list(rules)
    may_protect = any(mark in text for mark in _PROTECTED_MARKS)
    for rule in steps:
        protected = [m.span() for m in _PROTECTED.finditer(text)] if may_protect else []
        if rule is None:
            edits = _long_number_edits(text)
        else:
            edits = []
            for m in rule.pattern.finditer(text):
                for name, value in rule.values.items():
                    a, b = m.span(name)
                    if a >= 0 and text[a:b] != value:
                        edits.append((a, b, value, name in rule.left))
        for a, b, value, left in sorted(edits, reverse=True):
            if any(s < b and a < e if b > a else s < a < e for s, e in protected):
                continue
            if b > a:
                owner = owners[a]
            elif left and a > 0:
                owner = owners[a - 1]
            else:
                owner = owners[a] if a < len(owners) else (owners[-1] if owners else 0)
            text = text[:a] + value + text[b:]
            owners = owners[:a] + [owner] * len(value) + owners[b:]
    return text, owners


def typeset(text: str, lang: str = "fr") -> str:
    """Return ``text`` with the typographic conventions of ``lang`` (``"fr"``/``"en"``) applied.

    >>> typeset("Note : n = 12, p < 0,001 ; l'effet est-il « fort » ?")
    'Note\\xa0: n\\xa0=\\xa012, p\\xa0<\\xa00,001\\u202f; l’effet est-il «\\xa0fort\\xa0»\\u202f?'
    """
    out, _ = _apply(text, [0] * len(text), lang)
    return out


# --------------------------------------------------------------------------- HTML

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<![^>]*>"
    r"|<\?.*?>"
    r"|</?[A-Za-z][^\s/>]*(?:[^\"'>]|\"[^\"]*\"|'[^']*')*>",
    re.DOTALL,
)
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
_RAW_TEXT = {"script", "style", "textarea"}
_VERBATIM = {"code", "pre", "kbd", "samp", "tt", "math", "script", "style", "textarea"}
_INLINE = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "data", "del", "dfn", "em", "i", "ins", "mark",
    "q", "s", "small", "span", "strong", "sub", "sup", "time", "u", "tspan", "wbr",
}  # fmt: skip


@dataclass
class _Text:
    raw: str
    text: str


def _tokens(document: str) -> list[str | _Text]:
    """Cut ``document`` into tags (str) and text nodes (_Text); script/style kept verbatim."""
    out: list[str | _Text] = []
    pos = 0
    n = len(document)
    while pos < n:
        m = _TOKEN.search(document, pos)
        end = m.start() if m else n
        if end > pos:
            raw = document[pos:end]
            out.append(_Text(raw, html_lib.unescape(raw)))
        if not m:
            break
        out.append(m.group())
        pos = m.end()
        name = _tag_name(m.group())
        if name in _RAW_TEXT and not m.group().startswith("</"):
            close = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(document, pos)
            stop = close.start() if close else n
            if stop > pos:
                out.append(document[pos:stop])  # raw content as an opaque token
            pos = stop
    return out


def _tag_name(tag: str) -> str | None:
    m = _TAG_NAME.match(tag)
    return m.group(1).lower() if m else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def typeset_html(html: str, lang: str = "fr") -> str:
    """Apply :func:`typeset` to the text nodes of an HTML document (or fragment).

    Runs of text separated only by inline tags are typeset together; text inside verbatim
    elements (``code``, ``pre``, ``script``, ``style``…), tags, attributes and comments is
    copied unchanged; so is every text node the rules leave as it was.
    """
    _rules(lang)
    out: list[str | _Text] = []
    run: list[_Text] = []
    depth = 0  # nesting inside verbatim elements
    context = False  # the run follows a verbatim element: its first character has a left neighbour

    def flush(before_verbatim: bool = False) -> None:
        nonlocal context
        if run:
            # A verbatim element next to the run stands for one letter (« <code>x</code> : »),
            # owned by no node (-1) and dropped afterwards.
            joined = ("x" if context else "") + "".join(t.text for t in run)
            joined += "x" if before_verbatim else ""
            owners = [-1] * context + [i for i, t in enumerate(run) for _ in t.text]
            owners += [-1] * before_verbatim
            new, new_owners = _apply(joined, owners, lang)
            parts = [""] * len(run)
            for ch, o in zip(new, new_owners, strict=True):
                if o >= 0:
                    parts[o] += ch
            for t, part in zip(run, parts, strict=True):
                t.raw = t.raw if part == t.text else _escape(part)
            run.clear()
        context = False

    for tok in _tokens(html):
        if isinstance(tok, _Text):
            if not depth:
                run.append(tok)
            out.append(tok)
            continue
        name = _tag_name(tok)
        if name in _VERBATIM and not tok.endswith("/>"):
            closing = tok.startswith("</")
            if not closing and not depth:
                flush(before_verbatim=True)
            depth = max(depth + (-1 if closing else 1), 0)
            context = closing and not depth
        elif name is None or name not in _INLINE:
            flush()
        out.append(tok)
    flush()
    return "".join(t.raw if isinstance(t, _Text) else t for t in out)


# --------------------------------------------------------------------------- checking

_BREAKABLE = "[ \t\n\r]"
_NB = "\u00a0\u202f"
# « n = 12 » with anything but U+00A0 on both sides of the relation
_RELATION = rf"(?<![\w.\-/])[nNp](?!\u00a0{_REL}\u00a0[−\-]?\d)[\s{_NB}]*{_REL}[\s{_NB}]*[−\-]?\d"
# « collégien·nes », « étudiant·e·s », « inactif·ve »: a word, a middle dot (or a look-alike) and
# a feminine / plural ending — not a product in a formula (« z·s », « 2·n »).
_POINT_MEDIAN = (
    r"(?i)[a-zà-ÿ]{2,}[·•‧∙⋅](?:e|ne|se|ve|fe|le|te|ice|rice|trice|euse|ère|ive|ale)"
    r"(?:[·•‧∙⋅]?s)?(?![a-zà-ÿ])"
)
_FR_CHECKS: dict[str, str] = {
    "space_before_colon": rf"(?<=[^{_NB}:]):(?=\s|$)",
    "space_before_semicolon": rf"(?<=[^{_NB};]);(?=\s|$)",
    "space_before_exclamation": rf"(?<=[^{_NB}!?])!(?=\s|$)",
    "space_before_question": rf"(?<=[^{_NB}!?])\?(?=\s|$)",
    "space_after_opening_guillemet": rf"«(?![{_NB}])",
    "space_before_closing_guillemet": rf"(?<![{_NB}])»",
    "straight_apostrophe": "'",
    "first_of_month": rf"(?<![\d,.])\b1{_BREAKABLE}+(?:{_MONTHS})\b",
    "relation_spaces": _RELATION,
    "number_unit_space": rf"\d{_BREAKABLE}?%",
    "point_median": _POINT_MEDIAN,
}
_EN_CHECKS: dict[str, str] = {
    "space_before_punctuation": rf"(?<=\S)[ {_NB}]+[:;!?](?=\s|$)",
    "space_before_percent": rf"\d[ {_NB}]+%",
    "guillemets": "[«»]",
    "straight_quotes": "['\"]",
    "relation_spaces": _RELATION,
    "point_median": _POINT_MEDIAN,
}
_AFTER_NO_BREAK = re.compile(r"([\u00a0\u202f])[ \t]+")
_CHECKS = {
    lang: {k: re.compile(v) for k, v in checks.items()}
    for lang, checks in (("fr", _FR_CHECKS), ("en", _EN_CHECKS))
}


def count_violations(text: str, lang: str = "fr") -> dict[str, int]:
    """Count what :func:`typeset` would have fixed, by kind, in extracted text.

    ``text`` is plain text (e.g. the text layer of the PDF, or the text of the HTML). URLs and
    e-mail addresses are not counted. Every kind is present in the result (0 when clean).
    Missing no-break spaces are only detectable when the extraction keeps U+00A0 / U+202F.
    On WeasyPrint's PDFs, ``pypdf`` (``PdfReader(...).pages[i].extract_text()``, what
    :func:`impact.report.render.pdf_text` uses) returns the real characters; ``pdfplumber``'s
    ``extract_text`` turns both into ASCII spaces and would report false violations (checked
    in ``tests/test_typography.py``); pypdf's ASCII space after a stretched no-break space
    (« primaire\xa0 : ») is not counted. Text inside ``<pre>``/``<code>`` is counted too: a
    test of an HTML document should drop those elements first, a test of a PDF should leave
    out the pages of verbatim listings (configuration dumps).
    """
    if lang not in _CHECKS:
        raise ValueError(f"unknown report language {lang!r}; expected one of {sorted(_CHECKS)}")
    # pypdf adds an ASCII space after a no-break space where WeasyPrint stretched it
    # (justified lines): « primaire\xa0 : ». The no-break space is there: not a violation.
    clean = _AFTER_NO_BREAK.sub(r"\1", _PROTECTED.sub(" ", text))
    return {kind: len(rx.findall(clean)) for kind, rx in _CHECKS[lang].items()}
