"""Tests of impact.ingest.pseudonym: code normalisation, keys, keyed hashes."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError
from impact.ingest.pseudonym import (
    DEMO_KEY,
    PseudonymKey,
    keyed_hash,
    load_key,
    normalise_code,
    normalise_part,
)

PARTS = {"code_mother": "letters", "code_month": "digits", "code_town": "letters"}
KEY = PseudonymKey(b"0123456789abcdef-test-key")


def letters(*values):
    return normalise_part(pd.Series(values, dtype=object), "letters").tolist()


def digits(*values):
    return normalise_part(pd.Series(values, dtype=object), "digits").tolist()


# ---------------------------------------------------------------------------------------------
# normalise_part


def test_letters_case_accents_spaces_punctuation():
    assert letters("Ém", "em", "EM", "é m", " e-m. ", "e'm") == ["EM"] * 6
    assert letters("Émi", "ça", "ÑA", "Ïs") == ["EMI", "CA", "NA", "IS"]


def test_letters_lookalike_digits_become_letters():
    assert letters("0N", "M4", "5A", "1S", "8E", "C2", "6E", "7H", "3L", "9A") == [
        "ON", "MA", "SA", "IS", "BE", "CZ", "GE", "TH", "EL", "GA"]


def test_letters_part_made_only_of_digits_is_kept_as_typed():
    # most probably the month typed in the wrong field: kept so that a part swap is visible
    assert letters("05", "5") == ["05", "5"]


def test_letters_ligatures_and_non_latin_lookalikes():
    # Œ and ß are not decomposed by NFKD; Cyrillic/Greek capitals look like Latin ones
    assert letters("Œd", "ßa", "Øl", "\u041c\u0430", "\u039c\u0391", "Ｍａ", "|e") == [
        "OED", "SSA", "OL", "MA", "MA", "MA", "LE"]


def test_digits_zero_padding_and_numbers_from_spreadsheets():
    assert digits("5", "05", 5, 5.0, "005", " 5 ", "5.", 12, "0") == [
        "05", "05", "05", "05", "05", "05", "05", "12", "00"]


def test_digits_lookalike_letters_become_digits():
    assert digits("O5", "o5", "1O", "l2", "I1", "0S", "Z", "1b", "1g") == [
        "05", "05", "10", "12", "11", "05", "02", "16", "19"]
    # "Z" alone has no digit but reads as a month once mapped (rule 6), then is padded


def test_digits_month_names():
    assert digits("mai", "Mai", "MAI", "janv.", "Février", "fev", "août", "Déc", "sept") == [
        "05", "05", "05", "01", "02", "02", "08", "12", "09"]


def test_digits_part_made_only_of_letters_is_kept_as_typed():
    assert digits("MA", "on", "IS") == ["MA", "ON", "IS"]  # "IS" would read 15: not a month


def test_digits_part_made_only_of_lookalikes_that_reads_as_a_month():
    assert digits("Ol", "lO", "ll", "OS", "l", "O9") == ["01", "10", "11", "05", "01", "09"]


def test_missing_and_empty_stay_missing():
    out = normalise_part(pd.Series(["ma", None, np.nan, pd.NA, "", "  ", "-."], dtype=object),
                         "letters")
    assert out.iloc[0] == "MA"
    assert out.iloc[1:].isna().all()
    out = normalise_part(pd.Series([5, None], dtype="Int64"), "digits")
    assert out.iloc[0] == "05" and pd.isna(out.iloc[1])


def test_index_name_and_dtype_kept():
    values = pd.Series(["ma", "on"], index=[10, 20], name="code_town", dtype="str")
    out = normalise_part(values, "letters")
    assert list(out.index) == [10, 20]
    assert out.name == "code_town"
    assert out.dtype == "str"


def test_unknown_kind_rejected():
    with pytest.raises(ValueError, match="letters"):
        normalise_part(pd.Series(["a"]), "numbers")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# normalise_code


def test_normalise_code_adds_code_and_keeps_missing():
    raw = pd.DataFrame({
        "row_id": ["pre:2", "pre:3", "pre:4"],
        "code_mother": ["Ém", "ch", None],
        "code_month": ["5", "O3", "12"],
        "code_town": ["o n", "ré", "ne"],
    })
    out = normalise_code(raw, PARTS)
    assert out["code"].iloc[:2].tolist() == ["EM05ON", "CH03RE"]
    assert pd.isna(out["code"].iloc[2])
    assert out["code_mother"].iloc[0] == "EM"
    assert out["row_id"].tolist() == raw["row_id"].tolist()
    assert raw["code_mother"].iloc[0] == "Ém"  # input untouched


def test_normalise_code_missing_column():
    with pytest.raises(KeyError, match="code_town"):
        normalise_code(pd.DataFrame({"code_mother": ["a"], "code_month": ["1"]}), PARTS)


# ---------------------------------------------------------------------------------------------
# keyed_hash


def test_hmac_sha256_rfc4231_test_case_2():
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    out = keyed_hash(pd.Series(["what do ya want for nothing?"]), PseudonymKey(b"Jefe"))
    assert out.iloc[0] == expected[:16]


def test_hash_na_index_repeats():
    values = pd.Series(["MA05ON", None, "MA05ON", "CH11RE", np.nan], index=list("abcde"),
                       name="code")
    out = keyed_hash(values, KEY)
    assert list(out.index) == list("abcde") and out.name == "code"
    assert out["a"] == out["c"] != out["d"]
    assert out[["b", "e"]].isna().all()
    assert out.dropna().str.fullmatch(r"[0-9a-f]{16}").all()
    direct = hmac.new(KEY.secret, b"MA05ON", hashlib.sha256).hexdigest()[:16]
    assert out["a"] == direct


def test_hash_domain_separation_and_key_dependence():
    values = pd.Series(["MA05ON"])
    cordee = keyed_hash(values, KEY, context="cordee").iloc[0]
    other = keyed_hash(values, KEY, context="industrie_transition").iloc[0]
    plain = keyed_hash(values, KEY).iloc[0]
    assert len({cordee, other, plain}) == 3
    assert cordee == hmac.new(KEY.secret, b"cordee\x00MA05ON", hashlib.sha256).hexdigest()[:16]
    assert keyed_hash(values, PseudonymKey(b"another-key-0123456"), context="cordee").iloc[0] \
        != cordee
    with pytest.raises(ValueError):
        keyed_hash(values, KEY, context="a\x00b")


def test_hash_empty_series():
    assert keyed_hash(pd.Series([], dtype="str"), KEY).empty


# ---------------------------------------------------------------------------------------------
# load_key


@pytest.fixture
def no_key_env(monkeypatch):
    monkeypatch.delenv("IMPACT_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("IMPACT_PSEUDONYM_KEY_FILE", raising=False)
    return monkeypatch


def test_missing_key_is_a_config_error_saying_what_to_set(no_key_env):
    with pytest.raises(ConfigError) as info:
        load_key()
    message = str(info.value)
    assert "IMPACT_PSEUDONYM_KEY " in message and "IMPACT_PSEUDONYM_KEY_FILE" in message
    assert "demo_key" in message


def test_key_from_environment(no_key_env):
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY", "  a-long-enough-secret-value  \n")
    key = load_key()
    assert key.secret == b"a-long-enough-secret-value"
    assert not key.is_demo and key.source == "env:IMPACT_PSEUDONYM_KEY"
    assert "a-long-enough" not in repr(key)
    assert len(key.fingerprint) == 8


def test_custom_variable_names(no_key_env):
    no_key_env.setenv("MY_KEY", "another-long-enough-secret")
    assert load_key(env_var="MY_KEY", file_env_var="MY_KEY_FILE").source == "env:MY_KEY"


def test_short_key_refused(no_key_env):
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        load_key()


def test_key_from_file_outside_repository(no_key_env, tmp_path):
    path = tmp_path / "pseudonym.key"
    path.write_text("file-secret-0123456789abcdef\n")
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY_FILE", str(path))
    key = load_key()
    assert key.secret == b"file-secret-0123456789abcdef"
    assert key.source == "file:IMPACT_PSEUDONYM_KEY_FILE" and not key.is_demo


def test_key_file_inside_git_work_tree_refused(no_key_env, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "config").mkdir()
    path = repo / "config" / "pseudonym.key"
    path.write_text("file-secret-0123456789abcdef\n")
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY_FILE", str(path))
    no_key_env.chdir(repo)
    with pytest.raises(ConfigError, match="inside the git work tree") as info:
        load_key()
    assert str(repo.resolve()) in str(info.value)


def test_key_file_missing_or_empty(no_key_env, tmp_path):
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY_FILE", str(tmp_path / "nope.key"))
    with pytest.raises(ConfigError, match="not an existing file"):
        load_key()
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY_FILE", str(empty))
    with pytest.raises(ConfigError, match="empty"):
        load_key()


def test_both_sources_set_is_an_error(no_key_env, tmp_path):
    path = tmp_path / "k"
    path.write_text("file-secret-0123456789abcdef")
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY", "env-secret-0123456789abcdef")
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY_FILE", str(path))
    with pytest.raises(ConfigError, match="only one"):
        load_key()


def test_demo_key_is_fixed_and_flagged(no_key_env):
    no_key_env.setenv("IMPACT_PSEUDONYM_KEY", "ignored-in-demo-mode-0123456")
    key = load_key(demo=True)
    assert key.is_demo and key.source == "demo" and key.secret == DEMO_KEY
    assert load_key(demo=True) == key
    # fixed key => stable demo pseudonyms across runs and machines
    assert keyed_hash(pd.Series(["MA05ON"]), key, context="cordee").iloc[0] == \
        hmac.new(DEMO_KEY, b"cordee\x00MA05ON", hashlib.sha256).hexdigest()[:16]
