"""Number formatting for the report, in the language set by
:func:`impact.report.i18n.use_language`: French « 0,42 », « 1 234 », « p < 0,001 »,
« 12,5 % », « 1er décembre 2026 »; English (``en_GB``) « 0.42 », « 1,234 », « p < 0.001 »,
« 12.5% », « 1 December 2026 ».

Conventions (decided once, used by every table, note and figure axis), French first:

- **Locale symbols come from Babel / CLDR, locale ``fr_FR``**: decimal comma, and the group
  separator U+202F NARROW NO-BREAK SPACE (« espace fine insécable », what the Imprimerie
  nationale rules and CLDR prescribe). We keep it: it is non-breaking (a number is never split
  across lines), DejaVu Sans/Serif (HTML, PDF) and matplotlib's bundled DejaVu Sans all have the
  glyph, and WeasyPrint and browsers treat it as non-breaking. Use :func:`plain_spaces` to turn
  the output into ASCII spaces (e.g. for a CSV or a terminal).
- **Percent**: ``12,5 %`` with U+00A0 NO-BREAK SPACE before ``%``, exactly as Babel's ``fr``
  percent pattern (``#,##0 %``) does.
- **Minus sign**: U+2212 MINUS SIGN (« − »), not the hyphen-minus: it is the typographic minus,
  it has the width of a digit in DejaVu (columns stay aligned), and it matches matplotlib's axis
  labels (``axes.unicode_minus``). Machine-readable outputs (the indicator CSVs) never go through
  this module, so copy-paste friendliness is not a concern here.
- **Rounding**: half away from zero on the shortest decimal representation of the float
  (``0.125 → 0,13``; ``2.675 → 2,68``; ``-0.125 → −0,13``), i.e. what people do by hand and
  what spreadsheets' ROUND does. Babel's default would be half-even on the float (``0,12``).
  A value that rounds to zero is printed without sign (``-0.001 → 0,00``).
- **Missing values** (None, NaN, NA, NaT) print as an en dash « – »; cells under the
  disclosure threshold as « s. » (secret statistique), see :func:`fmt_table`.
- **English** (locale ``en_GB``, *New Hart's Rules*): Babel's symbols — decimal point, comma
  group separator, « 12.5% » with no space (CLDR ``#,##0%``), intervals « [0.12, 0.40] »;
  the minus sign, rounding, « – » and « s. » are the same in both languages (« s. » is
  explained in the English notes). Words (« effet faible ») go through the catalogue.

The module-level constants (``GROUP``, ``DECIMAL``, ``PERCENT_SUFFIX``) are the French ones,
kept for existing callers; :func:`symbols` gives those of the current language.

Formatting uses Babel's locale data (symbols, percent pattern), looked up once; the digits
themselves are produced by Python's exact decimal formatting, which is ~10× faster than calling
``babel.numbers.format_decimal`` per cell and gives identical strings (a test checks it).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import NamedTuple

import pandas as pd
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from impact.report.i18n import N_, current_language, current_locale
from impact.report.i18n import gettext as _

LOCALE = "fr_FR"

NNBSP = "\u202f"  # narrow no-break space: group separator, before « ; » in intervals
NBSP = "\u00a0"  # no-break space: before « % », around « < » / « = » in p-values
MINUS = "\u2212"  # typographic minus sign
MISSING = "\u2013"  # en dash for missing values
SECRET = "s."  # secret statistique

GROUP = babel_numbers.get_group_symbol(LOCALE)
DECIMAL = babel_numbers.get_decimal_symbol(LOCALE)
# Babel's fr percent pattern is "#,##0\xa0%": keep whatever sits between the number and "%".
_PERCENT_PATTERN = Locale.parse(LOCALE).percent_formats[None].pattern
PERCENT_SUFFIX = _PERCENT_PATTERN[_PERCENT_PATTERN.rindex("0") + 1 :]


class Symbols(NamedTuple):
    """CLDR number symbols of a locale."""

    group: str
    decimal: str
    percent_suffix: str


@cache
def _symbols(locale: str) -> Symbols:
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return Symbols(
        babel_numbers.get_group_symbol(locale),
        babel_numbers.get_decimal_symbol(locale),
        pattern[pattern.rindex("0") + 1 :],
    )


def symbols() -> Symbols:
    """Group separator, decimal separator and what follows a percentage, in the current
    language (:func:`impact.report.i18n.use_language`)."""
    return _symbols(current_locale())

__all__ = [
    "DECIMAL",
    "GROUP",
    "LOCALE",
    "MINUS",
    "MISSING",
    "NBSP",
    "NNBSP",
    "PERCENT_SUFFIX",
    "SECRET",
    "Symbols",
    "effect_magnitude",
    "es_label",
    "fmt_ci",
    "fmt_date",
    "fmt_effect",
    "fmt_int",
    "fmt_number",
    "fmt_p",
    "fmt_pct",
    "fmt_table",
    "fmt_text",
    "is_missing",
    "lower_first",
    "magnitude_words",
    "plain_spaces",
    "suppress",
    "symbols",
]


# --------------------------------------------------------------------------- scalars


def is_missing(x: object) -> bool:
    """True for None, NaN, pd.NA and NaT."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, float | numbers.Real) and not isinstance(x, bool | numbers.Integral):
        try:
            return math.isnan(float(x))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return False


def _to_decimal(x: object) -> Decimal:
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(x, numbers.Integral):
        return Decimal(int(x))
    if isinstance(x, numbers.Real):
        f = float(x)
        if math.isinf(f):
            raise ValueError(f"cannot format an infinite value: {x!r}")
        return Decimal(repr(f))  # shortest repr: 0.125 stays 0.125, 0.1 stays 0.1
    try:
        return Decimal(str(x))
    except InvalidOperation as exc:
        raise TypeError(f"not a number: {x!r}") from exc


def _fmt_decimal(d: Decimal, decimals: int) -> str:
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)  # no "−0,00"
    s = f"{abs(q):,.{decimals}f}"  # exact: Decimal formatting does not go through float
    sym = symbols()
    s = s.replace(",", "\0").replace(".", sym.decimal).replace("\0", sym.group)
    return (MINUS + s) if q < 0 else s


def fmt_number(x: object, decimals: int = 2) -> str:
    """``0.4249 → "0,42"``, ``1234 → "1 234,00"`` (U+202F), ``-1.5 → "−1,50"``, NaN → « – »
    (English: ``"0.42"``, ``"1,234.00"``, ``"−1.50"``)."""
    if is_missing(x):
        return MISSING
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    return _fmt_decimal(_to_decimal(x), decimals)


def fmt_int(n: object) -> str:
    """``1234567 → "1 234 567"`` (U+202F groups); non-integers are rounded half away from 0."""
    return fmt_number(n, 0)


def fmt_pct(x: object, decimals: int = 1) -> str:
    """A proportion as a percentage: ``0.125 → "12,5 %"`` (U+00A0 before « % »; English
    ``"12.5%"``)."""
    if is_missing(x):
        return MISSING
    return _fmt_decimal(_to_decimal(x) * 100, decimals) + symbols().percent_suffix


def fmt_p(p: object, with_p: bool = True, decimals: int = 3) -> str:
    """p-value the way journals print it: ``"p < 0,001"``, ``"p = 0,042"``, ``"p > 0,999"``.

    Exact values use ``decimals`` decimals (3). If rounding would carry a p-value across a
    conventional threshold (0.05, 0.01) — e.g. 0.0496 → « 0,050 » — more decimals are used
    (« 0,0496 ») so the printed value never contradicts the test's decision.
    ``with_p=False`` drops the leading « p » (for a table column titled p):
    ``"< 0,001"``, ``"0,042"``.
    """
    if is_missing(p):
        return MISSING
    d = _to_decimal(p)
    if d < 0 or d > 1:
        raise ValueError(f"p-value out of [0, 1]: {p!r}")
    floor = Decimal(1).scaleb(-decimals)
    if d < floor:
        rel, body = "<", _fmt_decimal(floor, decimals)
    elif d > 1 - floor:
        rel, body = ">", _fmt_decimal(1 - floor, decimals)
    else:
        n = decimals
        while n < decimals + 3 and any(
            d < t <= d.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
            for t in (Decimal("0.05"), Decimal("0.01"))
        ):
            n += 1
        rel, body = "=", _fmt_decimal(d, n)
    return f"p{NBSP}{rel}{NBSP}{body}" if with_p else (body if rel == "=" else f"{rel}{NBSP}{body}")


def fmt_ci(low: object, high: object, decimals: int = 2) -> str:
    """Confidence interval: French ``"[0,12 ; 0,40]"`` (U+202F before « ; »), English
    ``"[0.12, 0.40]"``."""
    if is_missing(low) or is_missing(high):
        return MISSING
    sep = f"{NNBSP}; " if current_language() == "fr" else ", "
    return f"[{fmt_number(low, decimals)}{sep}{fmt_number(high, decimals)}]"


def fmt_date(d: dt.date | str) -> str:
    """A date in words: French ``"1er décembre 2026"`` (« 1er » for the first of the month),
    English ``"1 December 2026"`` (Babel ``format_date``, CLDR pattern ``d MMMM y``).
    A string is read as an ISO date (``"2026-12-01"``)."""
    day = dt.date.fromisoformat(d[:10]) if isinstance(d, str) else d
    text = babel_dates.format_date(day, "d MMMM y", locale=current_locale())
    if current_language() == "fr" and day.day == 1:
        text = "1er" + text[1:]
    return text


def fmt_text(x: object) -> str:
    """Labels: str(x), missing → « – »."""
    return MISSING if is_missing(x) else str(x)


def lower_first(text: str) -> str:
    """``text`` with a lower-case first letter: a label (« Image de l'industrie ») used inside
    a sentence."""
    return text[:1].lower() + text[1:] if text else text


def suppress(value: object, suppressed: bool) -> object:
    """« s. » when the cell is under the disclosure threshold, else the value unchanged."""
    return SECRET if bool(suppressed) else value


def plain_spaces(s: str) -> str:
    """Replace the no-break spaces and the typographic minus by ASCII (for CSV / terminals)."""
    return s.replace(NNBSP, " ").replace(NBSP, " ").replace(MINUS, "-")


# --------------------------------------------------------------------------- effect sizes

# Benchmarks for |effect|: (small, medium, large) lower bounds.
# - Standardised mean differences (d, d_z, d_av, g, g_av): Cohen, J. (1988). Statistical Power
#   Analysis for the Behavioral Sciences (2nd ed.). Erlbaum — 0.2 / 0.5 / 0.8. Lakens (2013,
#   Front. Psychol. 4:863) warns that d_z is not on the same metric as between-subject d;
#   g_av is the one to compare with Cohen's benchmarks. We apply them to both, as is common,
#   and say so in the report's method section.
# - Correlations, rank-biserial r, phi, Cramér's V (df = 1): Cohen (1988) — 0.1 / 0.3 / 0.5.
# - Odds ratios: Chen, H., Cohen, P., & Chen, S. (2010). How big is a big odds ratio?
#   Communications in Statistics — Simulation and Computation, 39(4), 860–864 — 1.68 / 3.47 /
#   6.71 (equivalent to d = 0.2 / 0.5 / 0.8 at a 1 % base rate); OR < 1 uses 1/OR.
# - Cohen's h (proportions): Cohen (1988) — 0.2 / 0.5 / 0.8.
_SMD = (0.2, 0.5, 0.8)
_R = (0.1, 0.3, 0.5)
_OR = (1.68, 3.47, 6.71)
EFFECT_BENCHMARKS: dict[str, tuple[float, float, float]] = {
    "d": _SMD,
    "d_z": _SMD,
    "d_av": _SMD,
    "d_s": _SMD,
    "g": _SMD,
    "g_av": _SMD,
    "g_s": _SMD,
    "h": _SMD,
    "r": _R,
    "rank_biserial": _R,
    "phi": _R,
    "cramer_v": _R,
    "odds_ratio": _OR,
}
_MAGNITUDES = (N_("négligeable"), N_("faible"), N_("moyen"), N_("fort"))
_MAGNITUDE_PHRASES = {
    "négligeable": N_("effet négligeable"),
    "faible": N_("effet faible"),
    "moyen": N_("effet moyen"),
    "fort": N_("effet fort"),
}


def effect_magnitude(es: object, es_type: str) -> str | None:
    """« négligeable » / « faible » / « moyen » / « fort », or None when there is no benchmark.

    The words are keys (French, whatever the language): translate them with
    :func:`magnitude_words` or use :func:`fmt_effect`."""
    bench = EFFECT_BENCHMARKS.get(str(es_type))
    if bench is None or is_missing(es):
        return None
    v = float(es)  # type: ignore[arg-type]
    if es_type == "odds_ratio":
        if v <= 0:
            raise ValueError(f"odds ratio must be > 0: {es!r}")
        v = max(v, 1 / v)
    else:
        v = abs(v)
    return _MAGNITUDES[sum(v >= b for b in bench)]


def magnitude_words(magnitude: str) -> str:
    """A word of :func:`effect_magnitude` in the current language (« faible » → "small")."""
    return _(magnitude)


# Display names of effect-size types (plain text, no markup; French: translate with
# :func:`es_label`).
ES_LABELS = {
    "d_z": N_("d de Cohen sur les paires"),
    "g_av": N_("g de Hedges"),
    "d_av": N_("d de Cohen"),
    "rank_biserial": N_("r (rang bisérial)"),
    "odds_ratio": N_("rapport de cotes"),
    "cramer_v": N_("V de Cramér"),
}


def es_label(es_type: str) -> str:
    """Display name of an effect-size type in the current language."""
    return _(ES_LABELS.get(str(es_type), str(es_type)))


def fmt_effect(es: object, es_type: str, decimals: int = 2, symbol: bool = False) -> str:
    """``fmt_effect(0.42, "d_z") → "0,42 (effet faible)"`` (English ``"0.42 (small effect)"``).

    ``symbol=True`` prefixes the effect-size name: ``"d_z = 0,42 (effet faible)"``.
    Types without a benchmark get no magnitude words. Missing → « – ».
    """
    if is_missing(es):
        return MISSING
    mag = effect_magnitude(es, es_type)
    s = fmt_number(es, decimals)
    if symbol:
        s = f"{es_label(es_type)}{NBSP}={NBSP}{s}"
    return f"{s} ({_(_MAGNITUDE_PHRASES[mag])})" if mag else s


# --------------------------------------------------------------------------- tables

Formatter = Callable[..., str]


def _shorthand(spec: str) -> tuple[Formatter, bool]:
    """``"number:3"`` → (formatter, is_text)."""
    name, _sep, arg = spec.partition(":")
    n = int(arg) if arg else None
    table: dict[str, Formatter] = {
        "number": lambda x: fmt_number(x, 2 if n is None else n),
        "int": fmt_int,
        "pct": lambda x: fmt_pct(x, 1 if n is None else n),
        "p": lambda x: fmt_p(x, with_p=False),
        "p_full": fmt_p,
        "ci": lambda lo, hi: fmt_ci(lo, hi, 2 if n is None else n),
        "effect": lambda es, t: fmt_effect(es, t, 2 if n is None else n),
        "text": fmt_text,
    }
    if name not in table:
        raise ValueError(f"unknown format {spec!r}; expected one of {sorted(table)}")
    return table[name], name == "text"


def fmt_table(
    df: pd.DataFrame,
    spec: Mapping[str, object],
    suppressed: str | None = "suppressed",
) -> pd.DataFrame:
    """Format a tidy DataFrame for display; returns a DataFrame of strings.

    ``spec`` maps each OUTPUT column (in display order) to either

    - a format for the same-named input column: a shorthand string (``"text"``, ``"int"``,
      ``"number"``, ``"number:3"``, ``"pct"``, ``"pct:0"``, ``"p"``, ``"p_full"``) or a callable
      ``value -> str``;
    - a pair ``(source, format)`` where ``source`` is an input column name or a tuple of names
      passed positionally: ``("Moyenne", ("estimate", "number:2"))``,
      ``"IC à 95 %": (("ci_low", "ci_high"), "ci:2")``,
      ``"Taille d'effet": (("effect_size", "es_type"), "effect")``.

    Disclosure control: in every row where the ``suppressed`` column is true — or missing,
    by caution — every cell except those formatted as ``"text"`` (labels) reads « s. »; the
    formatter is not even called on those values. ``suppressed=None`` disables this; a name
    that is not a column raises ``KeyError`` (a forgotten flag must not leak values).
    Secondary suppression (cells recomputable from totals) is the disclosure module's job.
    """
    if suppressed is not None:
        if suppressed not in df.columns:
            raise KeyError(f"no suppression column {suppressed!r} in the table")
        secret = df[suppressed].astype("boolean").fillna(True).to_numpy(dtype=bool)
    else:
        secret = None

    out: dict[str, pd.Series] = {}
    for out_col, item in spec.items():
        if isinstance(item, tuple):
            source, fmt = item
        else:
            source, fmt = out_col, item
        sources: Sequence[str] = (source,) if isinstance(source, str) else tuple(source)
        missing = [c for c in sources if c not in df.columns]
        if missing:
            raise KeyError(f"column(s) {missing} not in the table (output column {out_col!r})")
        if isinstance(fmt, str):
            func, is_text = _shorthand(fmt)
        elif callable(fmt):
            func, is_text = fmt, False
        else:
            raise TypeError(f"format for {out_col!r} must be a string or a callable")

        cols = [df[c].to_numpy(dtype=object) for c in sources]
        keep = [True] * len(df) if (secret is None or is_text) else (~secret).tolist()
        values = [func(*vals) if k else SECRET for k, *vals in zip(keep, *cols, strict=True)]
        out[out_col] = pd.Series(values, index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index)

