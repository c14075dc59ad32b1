"""The report's message catalogue and the language the formatting follows.

The catalogue test extracts every marked string of ``src/impact/report/`` and of the report
notebooks' code cells with Babel's extractor and compares it with the English ``.po`` file:
a string without English text, or an English text nobody uses, fails. Expected numbers and
dates are hand-written, or Babel's own ``format_decimal`` / ``format_date`` for ``en_GB``.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from impact.report import formatting as f
from impact.report import notes
from impact.report.i18n import (
    CATALOGUE,
    current_language,
    extract_messages,
    message_sources,
    translator,
    use_language,
)
from impact.report.tables import common
from impact.report.typography import count_violations, typeset

REPO = Path(__file__).resolve().parents[1]
NB = "\u00a0"
NN = "\u202f"


def _po() -> dict[str, tuple[str, bool]]:
    with CATALOGUE.open("rb") as fh:
        cat = read_po(fh)
    return {
        (f"{m.context}\x04{m.id}" if m.context else m.id): (m.string, m.fuzzy) for m in cat if m.id
    }


def test_catalogue_matches_the_code() -> None:
    found = extract_messages(message_sources(REPO))
    po = _po()
    assert len(found) > 100  # the tables, notes and formatting strings are marked
    missing = sorted(m for m in found if m not in po or not po[m][0] or po[m][1])
    unused = sorted(set(po) - set(found))
    assert not missing, f"no English text (run tools/update_catalogue.py): {missing}"
    assert not unused, f"translations no longer used (run tools/update_catalogue.py): {unused}"


def test_translations_keep_their_placeholders() -> None:
    for msgid, (msgstr, _fuzzy) in _po().items():
        names = sorted(re.findall(r"\{(\w*)\}", msgid))
        assert sorted(re.findall(r"\{(\w*)\}", msgstr)) == names, (msgid, msgstr)


def test_extraction_reads_notebook_code_cells_only(tmp_path: Path) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ['_("dans le texte")']},
            {
                "cell_type": "code",
                "metadata": {},
                "source": ["%matplotlib inline\n", 'titre = _("Taux d\'emploi")\n'],
                "outputs": [],
                "execution_count": None,
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "modele.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    module = tmp_path / "module.py"
    module.write_text('x = N_("marqué")\ny = pgettext("attrition", "élevée")\nz = _(var)\n')
    found = extract_messages([path, module])
    assert found == {
        "Taux d'emploi": ["modele.ipynb:cell 2"],
        "marqué": [f"{module}:1"],
        "attrition\x04élevée": [f"{module}:2"],
    }


def test_translator() -> None:
    assert translator("fr")("Tableau") == "Tableau"
    assert translator("en")("Tableau") == "Table"
    with pytest.raises(ValueError, match="unknown report language 'de'"):
        translator("de")


def test_missing_translation_falls_back_to_french_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="impact.report.i18n"):
        assert translator("en")("phrase absente du catalogue") == "phrase absente du catalogue"
    assert "no en translation for 'phrase absente du catalogue'" in caplog.text


def test_use_language_is_undone_at_the_end_of_a_block() -> None:
    assert current_language() == "fr"
    with use_language("en"):
        assert current_language() == "en"
    assert current_language() == "fr"


# --------------------------------------------------------------------------- numbers and dates


# (no ties such as 0.125: Babel rounds half-even, the report half away from zero, see formatting)
@pytest.mark.parametrize("value", [0.0, 0.5, 1234.5, -0.42, 1234567.891, 0.1261])
def test_english_numbers_agree_with_babel(value: float) -> None:
    with use_language("en"):
        got = f.fmt_number(value, 2)
    expected = format_decimal(value, format="#,##0.00", locale="en_GB", decimal_quantization=True)
    assert got == expected.replace("-", "\u2212")


def test_numbers_follow_the_language() -> None:
    assert f.fmt_number(1234.5) == f"1{NN}234,50"
    assert f.fmt_pct(0.125) == f"12,5{NB}%"
    assert f.fmt_ci(0.12, 0.4) == f"[0,12{NN}; 0,40]"
    assert f.fmt_p(0.0004) == f"p{NB}<{NB}0,001"
    with use_language("en"):
        assert f.fmt_number(1234.5) == "1,234.50"
        assert f.fmt_number(-1.5, 1) == "\u22121.5"
        assert f.fmt_int(1234567) == "1,234,567"
        assert f.fmt_pct(0.125) == "12.5%"
        assert f.fmt_ci(0.12, 0.4) == "[0.12, 0.40]"
        assert f.fmt_p(0.0004) == f"p{NB}<{NB}0.001"
        assert f.fmt_p(0.0421, with_p=False) == "0.042"
        assert f.fmt_effect(0.42, "d_z") == "0.42 (small effect)"
        assert (
            f.fmt_effect(2.0, "odds_ratio", symbol=True)
            == f"odds ratio{NB}={NB}2.00 (small effect)"
        )
        shown = f.fmt_table(
            pd.DataFrame({"x": [0.5, 0.25], "suppressed": [False, True]}), {"x": "pct"}
        )
        assert shown["x"].tolist() == ["50.0%", f.SECRET]
    assert f.fmt_effect(0.42, "d_z") == "0,42 (effet faible)"


@pytest.mark.parametrize("day", [dt.date(2026, 12, 1), dt.date(2026, 5, 21), "2025-09-01"])
def test_dates(day: dt.date | str) -> None:
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    with use_language("en"):
        assert f.fmt_date(day) == format_date(d, "long", locale="en_GB")
    french = format_date(d, "long", locale="fr_FR")
    assert f.fmt_date(day) == (french.replace("1 ", "1er ", 1) if d.day == 1 else french)


def test_fmt_date_first_of_month() -> None:
    assert f.fmt_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
    with use_language("en"):
        assert f.fmt_date(dt.date(2026, 12, 1)) == "1 December 2026"


def test_english_output_has_no_typography_violations() -> None:
    with use_language("en"):
        text = " ".join([f.fmt_pct(0.5), f.fmt_p(0.01), f.fmt_ci(-1, 1), f.fmt_number(12345.678)])
    assert set(count_violations(text, "en").values()) == {0}
    assert typeset(text, "en") == text


# --------------------------------------------------------------------------- notes and tables


def test_exhibit_in_english() -> None:
    notes.reset_numbering()
    with use_language("en"):
        ex = notes.table(
            pd.DataFrame({"Paires": ["12"], "Mesure": ["x"]}),
            title="T",
            lecture="L",
            champ="C",
            source="S",
        )
        html_text = ex.to_html()
        assert ex.label == "Table 1"
    assert ex.anchor == "tableau-1"  # anchors stay the same in both editions
    assert '<span class="note-label">How to read:</span> L' in html_text
    assert '<span class="note-label">Scope:</span> C' in html_text
    assert ">Pairs</th>" in html_text and ">Measure</th>" in html_text
    notes.reset_numbering()
    fr = notes.table(
        pd.DataFrame({"Paires": ["12"]}), title="T", lecture="L", champ="C", source="S"
    ).to_html()
    assert '<span class="note-label">Lecture\u00a0:</span> L' in fr and ">Paires</th>" in fr
    notes.reset_numbering()


def test_secret_note_in_english() -> None:
    with use_language("en"):
        note = notes.secret_note(10)
    assert note.startswith("s.: suppressed (statistical confidentiality) — primary suppression")
    assert "fewer than 10 people" in note
    assert notes.secret_note(10).startswith("s. : secret statistique — secret primaire")


def test_table_words_in_english() -> None:
    flag = "wwc_cautious_high;wwc_optimistic_low"
    assert common.wwc_attrition_words(flag) == (
        "élevée (frontière prudente) ; faible (frontière optimiste)"
    )
    labels = common.Labels(programmes={"p1": "Cordée"})
    with use_language("en"):
        assert common.wwc_attrition_words(flag) == (
            "high (cautious boundary); low (optimistic boundary)"
        )
        assert common.wwc_attrition_class(flag, "optimistic") == "low"
        assert common.magnitude_text(0.3, "g_av") == "0.30 (small)"
        assert labels.wave("pre") == "before" and labels.wave("zz") == "zz"
        assert labels.programme("pooled") == "All programmes (meta-analysis)"
        assert labels.programme("p1") == "Cordée"
        assert labels.variable("age_band") == "Age band"
        assert common.ci_nb(0.1, 0.2) == "[0.10,\u00a00.20]"
        assert common.ci_text(0.1, 0.2, "proportion") == "[10.0%,\u00a020.0%]"
    assert labels.wave("pre") == "avant"
    assert common.ci_text(0.1, 0.2, "proportion") == f"[10,0{NB}%{NN};{NB}20,0{NB}%]"


def test_instrument_labels_in_english(caplog: pytest.LogCaptureFixture) -> None:
    inst = REPO / "surveys" / "instrument.yaml"
    fr = common.load_labels(inst, {})
    with use_language("en"), caplog.at_level(logging.WARNING):
        en = common.load_labels(inst, {})
    assert "no English wording" not in caplog.text  # the example instrument is complete
    assert fr.measure("interest") == "Intérêt pour les métiers industriels"
    assert en.measure("interest") == "Interest in industrial jobs"
    assert en.items["interest_2"] == "I could see myself working in industry."
    assert en.value("audience", "collegien") == "Lower-secondary pupil"
    assert fr.value("audience", "collegien") == "Collégienne ou collégien"
    assert en.response_scales["accord4"]["codes"][4] == "Strongly agree"
    assert set(en.items) == set(fr.items) and set(en.codes) == set(fr.codes)


def test_instrument_without_english_falls_back_with_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inst = tmp_path / "instrument.yaml"
    inst.write_text(
        "scales:\n  s:\n    label: Échelle\n    label_en: Scale\n    items:\n"
        "      s_1: {text: Premier}\n      s_2: {text: Second, text_en: Second one}\n"
        "background:\n  g:\n    label: Genre\n    type: categorical\n"
        "    codes: {F: Femme, M: Homme}\n    codes_en: {F: Woman}\n",
        encoding="utf-8",
    )
    with use_language("en"), caplog.at_level(logging.WARNING):
        en = common.load_labels(inst, {})
    assert en.measure("s") == "Scale" and en.items == {"s_1": "Premier", "s_2": "Second one"}
    assert en.variable("g") == "Genre" and en.codes["g"] == {"F": "Woman", "M": "Homme"}
    assert "no English wording for 3 label(s)" in caplog.text
    assert "scales.s.items.s_1.text" in caplog.text and "background.g.codes.M" in caplog.text


def test_no_point_median_in_report_sources() -> None:
    """Circulaire du 5 mai 2021: no point médian in what the report prints (the instrument's
    labels, the report package's strings, the notebooks)."""
    texts = [REPO / "surveys" / "instrument.yaml", *message_sources(REPO)]
    texts = [p for p in texts if p.name != "typography.py"]  # it quotes the forms it counts
    found = {
        str(p.relative_to(REPO)): n
        for p in texts
        if (n := count_violations(p.read_text(encoding="utf-8"), "fr")["point_median"])
    }
    assert not found


# --------------------------------------------------------------------------- extraction blind spots

_KEYWORDS = {"_", "N_", "gettext", "ngettext", "pgettext"}


def _keyword(call: ast.Call) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    return name if name in _KEYWORDS else None


def _formatted(arg: ast.expr) -> bool:
    """``"…".format(…)``: the text looked up is not the msgid."""
    return (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute)
            and arg.func.attr == "format" and isinstance(arg.func.value, ast.Constant))


def _hidden_messages(source: str) -> list[int]:
    """Lines where a message cannot reach the catalogue: ``_(f"…")``, ``_("…" + x)``,
    ``_("…" % x)`` or ``_("…".format(…))`` (the text looked up is not a literal msgid), or
    ``_("…")`` inside an f-string's braces (Babel's tokenizer does not look there)."""
    tree = ast.parse(source)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _keyword(node) and any(
                isinstance(a, ast.JoinedStr | ast.BinOp) or _formatted(a) for a in node.args):
            bad.append(node.lineno)
        if isinstance(node, ast.JoinedStr):  # _(variable) there is fine: marked elsewhere
            bad += [inner.lineno for inner in ast.walk(node)
                    if isinstance(inner, ast.Call) and _keyword(inner) and any(
                        isinstance(a, ast.Constant) and isinstance(a.value, str)
                        for a in inner.args)]
    return sorted(set(bad))


def test_no_message_is_hidden_from_the_extractor() -> None:
    from impact.report.i18n import _notebook_code

    hidden = {}
    for path in message_sources(REPO):
        if path.suffix == ".ipynb":
            for cell, code in _notebook_code(path):
                if lines := _hidden_messages(code):
                    hidden[f"{path.name}:cell {cell}"] = lines
        elif lines := _hidden_messages(path.read_text(encoding="utf-8")):
            hidden[str(path.relative_to(REPO))] = lines
    assert not hidden, f"_() inside an f-string, or of an f-string: {hidden}"


def test_the_blind_spot_check_sees_both_forms() -> None:
    code = ('x = f"{_(\'Sommaire\')}"\ny = _(f"{n} vagues")\nz = _("ok")\nw = f"{_(word)}"\n'
            'v = _("{n} vagues".format(n=2))\nu = _("a" + b)\nt = _("a" "b")')
    assert _hidden_messages(code) == [1, 2, 5, 6]


def test_plural_forms_follow_each_language() -> None:
    from impact.report.i18n import ngettext

    one, many = "{n} programme", "{n} programmes"
    assert [ngettext(one, many, n) for n in (0, 1, 2)] == [one, one, many]
    with use_language("en"):
        assert [ngettext(one, many, n) for n in (0, 1, 2)] == [
            "{n} programmes", "{n} programme", "{n} programmes"]
    found = extract_messages([REPO / "src" / "impact" / "report" / "figures.py"])
    assert one in found and many in found  # both forms reach the catalogue
