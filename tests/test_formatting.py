"""French number formatting: hand-written expected strings.

Spaces are written explicitly: NNBSP = U+202F (groups, before « ; »), NBSP = U+00A0 (before
« % », around « < » / « = »); the minus sign is U+2212.
"""

from __future__ import annotations

import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from babel import numbers as babel_numbers

from impact.report.formatting import (
    MINUS,
    MISSING,
    NBSP,
    NNBSP,
    SECRET,
    effect_magnitude,
    fmt_ci,
    fmt_effect,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_pct,
    fmt_table,
    plain_spaces,
    suppress,
)

M = "\u2212"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.42, 2, "0,42"),
        (0.4249, 2, "0,42"),
        (0.4251, 2, "0,43"),
        (0, 2, "0,00"),
        (0.0, 0, "0"),
        (1234, 0, f"1{NNBSP}234"),
        (1234, 2, f"1{NNBSP}234,00"),
        (1234567, 0, f"1{NNBSP}234{NNBSP}567"),
        (1234567.891, 1, f"1{NNBSP}234{NNBSP}567,9"),
        (999, 0, "999"),
        (-1.5, 2, f"{M}1,50"),
        (-1234.5, 1, f"{M}1{NNBSP}234,5"),
        (-0.42, 2, f"{M}0,42"),
        # half cases: half away from zero, on the decimal the reader sees
        (0.125, 2, "0,13"),
        (0.135, 2, "0,14"),
        (2.675, 2, "2,68"),  # the float is 2.67499999…; its shortest repr is 2.675
        (1.005, 2, "1,01"),
        (-0.125, 2, f"{M}0,13"),
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),  # Babel (half-even) would say 2
        (-2.5, 0, f"{M}3"),
        # a value rounding to zero has no sign
        (-0.001, 2, "0,00"),
        (-0.4, 0, "0"),
        (np.float64(0.1), 2, "0,10"),
        (np.int64(-3), 0, f"{M}3"),
        (Decimal("12.345"), 2, "12,35"),
    ],
)
def test_fmt_number(value, decimals, expected):
    assert fmt_number(value, decimals) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_is_en_dash(missing):
    assert MISSING == "\u2013"
    assert fmt_number(missing) == MISSING
    assert fmt_int(missing) == MISSING
    assert fmt_pct(missing) == MISSING
    assert fmt_p(missing) == MISSING
    assert fmt_ci(missing, 1.0) == MISSING
    assert fmt_ci(0.1, missing) == MISSING
    assert fmt_effect(missing, "d_z") == MISSING


def test_fmt_number_rejects_infinity_and_text():
    with pytest.raises(ValueError):
        fmt_number(float("inf"))
    with pytest.raises(TypeError):
        fmt_number("abc")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (7, "7"), (999, "999"), (1000, f"1{NNBSP}000"), (1234, f"1{NNBSP}234"),
     (1234567, f"1{NNBSP}234{NNBSP}567"), (-42, f"{M}42"), (-12345, f"{M}12{NNBSP}345"),
     (3.5, "4"), (np.int64(2048), f"2{NNBSP}048")],
)
def test_fmt_int(value, expected):
    assert fmt_int(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0.125, 1, f"12,5{NBSP}%"),
        (0.1255, 1, f"12,6{NBSP}%"),  # 0.1255 * 100 is 12.549999… in floats
        (0.125, 0, f"13{NBSP}%"),
        (1, 1, f"100,0{NBSP}%"),
        (0, 1, f"0,0{NBSP}%"),
        (0.5, 0, f"50{NBSP}%"),
        (-0.034, 1, f"{M}3,4{NBSP}%"),
        (12.345, 0, f"1{NNBSP}235{NBSP}%"),
    ],
)
def test_fmt_pct(value, decimals, expected):
    assert fmt_pct(value, decimals) == expected


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.001, f"p{NBSP}={NBSP}0,001"),
        (0.0009, f"p{NBSP}<{NBSP}0,001"),
        (0.00049, f"p{NBSP}<{NBSP}0,001"),
        (0.0, f"p{NBSP}<{NBSP}0,001"),
        (0.05, f"p{NBSP}={NBSP}0,050"),
        (0.042, f"p{NBSP}={NBSP}0,042"),
        (0.0424, f"p{NBSP}={NBSP}0,042"),
        (0.0496, f"p{NBSP}={NBSP}0,0496"),  # « 0,050 » would contradict p < 0.05
        (0.0099, f"p{NBSP}={NBSP}0,0099"),
        (0.051, f"p{NBSP}={NBSP}0,051"),
        (0.5, f"p{NBSP}={NBSP}0,500"),
        (0.9995, f"p{NBSP}>{NBSP}0,999"),
        (1.0, f"p{NBSP}>{NBSP}0,999"),
    ],
)
def test_fmt_p(p, expected):
    assert fmt_p(p) == expected


def test_fmt_p_without_prefix_and_errors():
    assert fmt_p(0.0009, with_p=False) == f"<{NBSP}0,001"
    assert fmt_p(0.042, with_p=False) == "0,042"
    with pytest.raises(ValueError):
        fmt_p(1.2)
    with pytest.raises(ValueError):
        fmt_p(-0.01)


def test_fmt_ci():
    assert fmt_ci(0.12, 0.4) == f"[0,12{NNBSP}; 0,40]"
    assert fmt_ci(-0.25, 0.01) == f"[{M}0,25{NNBSP}; 0,01]"
    assert fmt_ci(1200, 1534.4, 0) == f"[1{NNBSP}200{NNBSP}; 1{NNBSP}534]"
    assert plain_spaces(fmt_ci(0.12, 0.4)) == "[0,12 ; 0,40]"


@pytest.mark.parametrize(
    ("es", "es_type", "expected"),
    [
        (0.42, "d_z", "0,42 (effet faible)"),
        (0.1, "g_av", "0,10 (effet négligeable)"),
        (0.2, "g_av", "0,20 (effet faible)"),  # benchmarks are lower bounds
        (0.5, "g_av", "0,50 (effet moyen)"),
        (0.79, "d_z", "0,79 (effet moyen)"),
        (0.8, "d_z", "0,80 (effet fort)"),
        (-0.9, "g_av", f"{M}0,90 (effet fort)"),
        (0.3, "rank_biserial", "0,30 (effet moyen)"),
        (0.05, "rank_biserial", "0,05 (effet négligeable)"),
        (0.25, "odds_ratio", "0,25 (effet moyen)"),  # 1/0.25 = 4 ≥ 3.47
        (1.5, "odds_ratio", "1,50 (effet négligeable)"),
        (0.42, "unknown_type", "0,42"),
    ],
)
def test_fmt_effect(es, es_type, expected):
    assert fmt_effect(es, es_type) == expected


def test_fmt_effect_symbol_and_magnitude():
    assert fmt_effect(0.42, "d_z", symbol=True) == \
        f"d de Cohen sur les paires{NBSP}={NBSP}0,42 (effet faible)"
    assert effect_magnitude(0.6, "g_av") == "moyen"
    assert effect_magnitude(0.6, "alpha") is None
    assert effect_magnitude(float("nan"), "g_av") is None


@pytest.mark.parametrize("value", [0.42, 1234.5678, -98765.4321, 1234567.0, 0.0, 3.14159])
def test_same_symbols_as_babel(value):
    """Away from half cases, we print exactly what Babel prints for fr_FR (with U+2212)."""
    ours = fmt_number(value, 2)
    theirs = babel_numbers.format_decimal(value, format="#,##0.00", locale="fr_FR")
    assert ours == theirs.replace("-", MINUS)
    assert fmt_pct(0.125) == babel_numbers.format_percent(0.125, format="#,##0.0\u00a0%",
                                                          locale="fr_FR")


def test_suppress_helper():
    assert SECRET == "s."
    assert suppress("0,42", True) == "s."
    assert suppress("0,42", False) == "0,42"
    assert suppress(12, np.bool_(False)) == 12


def _indicators() -> pd.DataFrame:
    return pd.DataFrame({
        "programme": ["cordee", "cordee", "semaines_apprenantes"],
        "measure": ["image", "knowledge", "image"],
        "n": [412, 1234, 6],
        "estimate": [0.42, -0.125, 0.9137],
        "ci_low": [0.30, -0.25, 0.1],
        "ci_high": [0.54, 0.0, 1.7],
        "effect_size": [0.42, -0.6, 0.9],
        "es_type": ["g_av", "g_av", "g_av"],
        "p_value": [0.0004, 0.042, 0.3],
        "suppressed": [False, False, True],
    })


SPEC = {
    "Programme": ("programme", "text"),
    "Mesure": ("measure", "text"),
    "n": "int",
    "Moyenne": ("estimate", "number:2"),
    "IC à 95 %": (("ci_low", "ci_high"), "ci:2"),
    "Taille d'effet": (("effect_size", "es_type"), "effect"),
    "p": ("p_value", "p"),
    "Part": ("estimate", "pct:0"),
}


def test_fmt_table_formats_and_suppresses():
    out = fmt_table(_indicators(), SPEC)
    assert list(out.columns) == list(SPEC)
    assert out.iloc[0].tolist() == [
        "cordee", "image", "412", "0,42", f"[0,30{NNBSP}; 0,54]", "0,42 (effet faible)",
        f"<{NBSP}0,001", f"42{NBSP}%"]
    assert out.iloc[1].tolist() == [
        "cordee", "knowledge", f"1{NNBSP}234", f"{M}0,13", f"[{M}0,25{NNBSP}; 0,00]",
        f"{M}0,60 (effet moyen)", "0,042", f"{M}13{NBSP}%"]
    # suppressed row: labels kept, every value cell « s. »
    assert out.iloc[2].tolist() == ["semaines_apprenantes", "image"] + [SECRET] * 6
    assert all(isinstance(v, str) for v in out.to_numpy().ravel())


def test_fmt_table_never_formats_secret_values():
    seen = []

    def spy(x):
        seen.append(x)
        return str(x)

    fmt_table(_indicators(), {"n": spy, "Mesure": ("measure", "text")})
    assert seen == [412, 1234]  # the 6 of the suppressed row never reached the formatter


def test_fmt_table_suppression_column_rules():
    df = _indicators()
    with pytest.raises(KeyError):
        fmt_table(df.drop(columns="suppressed"), {"n": "int"})
    assert fmt_table(df, {"n": "int"}, suppressed=None)["n"].tolist() == [
        "412", f"1{NNBSP}234", "6"]
    # missing flag → suppressed, by caution
    df["suppressed"] = pd.array([False, None, True], dtype="boolean")
    assert fmt_table(df, {"n": "int"})["n"].tolist() == ["412", SECRET, SECRET]
    with pytest.raises(KeyError):
        fmt_table(df, {"x": "int"})
    with pytest.raises(ValueError):
        fmt_table(df, {"n": "weird"})


def test_fmt_table_keeps_index_and_handles_nan():
    df = _indicators().set_index(pd.Index([10, 20, 30]))
    df.loc[10, "p_value"] = np.nan
    out = fmt_table(df, {"p": ("p_value", "p")})
    assert list(out.index) == [10, 20, 30]
    assert out.loc[10, "p"] == MISSING


def test_fmt_table_is_fast_enough():
    big = pd.concat([_indicators()] * 2000, ignore_index=True)  # 6 000 rows
    t0 = time.perf_counter()
    out = fmt_table(big, SPEC)
    assert len(out) == 6000
    assert time.perf_counter() - t0 < 2.0
