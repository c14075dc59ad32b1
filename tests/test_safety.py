"""Formula-safe CSV cells (OWASP CSV injection): text escaped, numbers left as numbers."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from impact.indicators import contract
from impact.safety import FORMULA_STARTS, formula_safe, formula_safe_frame, write_safe_csv

DANGEROUS = ['=HYPERLINK("http://x","clic")', "+33 6 12", "-cmd|' /C calc'!A0", "@SUM(A1)",
             "\tcachée", "\rretour", "＝1+1", "＋1", "－1", "＠x"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_are_escaped(text):
    assert formula_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["Lycée Cuvier (Montbéliard)", "", "a=b", "'=déjà", 3, -0.42,
                                   "-0.42", "+3", "-12,5", None])
def test_harmless_values_are_unchanged(value):
    assert formula_safe(value) == value


def test_every_owasp_start_is_covered():
    assert {"=", "+", "-", "@", "\t", "\r"} <= set(FORMULA_STARTS)
    assert {"\uff1d", "\uff0b", "\uff0d", "\uff20"} <= set(FORMULA_STARTS)


def test_frame_numbers_stay_numbers_and_text_is_escaped(tmp_path):
    frame = pd.DataFrame({"site": ['=HYPERLINK("http://x")', "Collège", None],
                          "estimate": [-0.42, 1.5, np.nan], "n": [12, -3, 4]})
    safe = formula_safe_frame(frame)
    assert safe["site"].tolist()[:2] == ["'=HYPERLINK(\"http://x\")", "Collège"]
    assert pd.isna(safe["site"].iloc[2])
    assert safe["estimate"].dtype == float and safe["estimate"].iloc[0] == -0.42
    assert frame["site"].iloc[0].startswith("=")  # the input is not modified
    path = tmp_path / "out.csv"
    write_safe_csv(frame, path)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "-0.42", "12"]
    assert rows[2][2] == "-3"


def test_indicator_csv_is_formula_safe(tmp_path):
    table = contract.tidy([{"programme": "p", "measure": "m", "indicator": "mean",
                            "subgroup": "site", "subgroup_value": "=1+1", "n": 30,
                            "estimate": -0.42}])
    path = tmp_path / "p.csv"
    contract.write_csv(table, path)
    back = pd.read_csv(path, keep_default_na=False)
    assert back.loc[0, "subgroup_value"] == "'=1+1"
    assert back.loc[0, "estimate"] == -0.42
    for row in csv.reader(path.open(encoding="utf-8")):
        assert not any(cell.startswith(FORMULA_STARTS) and cell not in ("-0.42",)
                       for cell in row), row


def test_report_title_cannot_close_its_style_element():
    from impact.report.render import _css_string

    literal = _css_string('Rapport</style><script>alert(1)</script>')
    assert "</style>" not in literal and "<" not in literal
