"""The researcher's corrections file: every mistake in it is a located French message."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.checks.corrections import apply_corrections, load_corrections
from impact.errors import DataError

WAVES = ["pre", "post", "followup"]


def write(tmp_path, text: str):
    path = tmp_path / "corrections.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_of_the_wave_are_read(tmp_path):
    path = write(tmp_path, "pre:42: keep\npost:7: {age: 15}\n")
    assert load_corrections(path, "pre", WAVES) == {"pre:42": "keep"}
    assert load_corrections(path, "post", WAVES) == {"post:7": {"age": 15}}
    assert load_corrections(tmp_path / "absent.yaml", "pre", WAVES) == {}


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "pre:42: keep\npost:7: {age: 15\npost:8: keep\n")
    with pytest.raises(DataError) as error:
        load_corrections(path, "pre", WAVES)
    message = str(error.value)
    assert f"{path}:3, colonne" in message or f"{path}:2, colonne" in message
    assert "syntaxe YAML" in message and "pre:42: keep" in message
    assert "Traceback" not in message


def test_entry_without_its_wave_is_an_error_not_ignored(tmp_path):
    path = write(tmp_path, "pre:42: keep\n\n42: keep\n")
    with pytest.raises(DataError, match=r"corrections\.yaml:3 \(42\).*sans sa vague.*pre:42"):
        load_corrections(path, "pre", WAVES)
    # also when the file is read for another wave: the mistake is never silent
    with pytest.raises(DataError, match="sans sa vague"):
        load_corrections(path, "post", WAVES)


def test_unknown_wave_lists_the_waves(tmp_path):
    path = write(tmp_path, "pre:42: keep\npst:7: keep\n")
    with pytest.raises(DataError, match=r":2 \(pst:7\).*vague « pst » inconnue.*"
                                        r"pre, post, followup"):
        load_corrections(path, "pre", WAVES)


def test_bad_value_names_the_line(tmp_path):
    path = write(tmp_path, "pre:42: garder\n")
    with pytest.raises(DataError, match=r":1 \(pre:42\).*« garder » non comprise"):
        load_corrections(path, "pre", WAVES)


def test_unknown_row_is_an_error(tmp_path):
    frame = pd.DataFrame({"row_id": ["pre:2"], "age": pd.array([14], dtype="Int64")})
    with pytest.raises(DataError, match="« pre:9 » n'existe pas"):
        apply_corrections(frame, {"pre:9": "keep"}, tmp_path / "corrections.yaml")


def test_site_is_corrected_through_sites_yaml_not_row_by_row(tmp_path):
    frame = pd.DataFrame({"row_id": ["pre:2"], "site": pd.Series([None], dtype="str"),
                          "site_unknown": [True]})
    with pytest.raises(DataError, match="« site ».*alias du bon site dans sites.yaml"):
        apply_corrections(frame, {"pre:2": {"site": "Lycée X"}}, tmp_path / "c.yaml")
