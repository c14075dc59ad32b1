"""Validation: planted mess caught exactly, corrupted exports handled, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from impact.checks.accounting import accounting_table
from impact.checks.validate import PUBLIC_QUARANTINE, Settings, validate_export
from impact.errors import DataError
from impact.ingest.harmonise import ingest_export
from impact.survey.codebook import load_codebook
from tests.conftest import PROGRAMMES, REPO, SURVEYS

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
MESS_OF_OUTCOME = {  # validation.resubmission: keep_last (the default)
    "excluded": {"no_consent", "test", "duplicate", "resubmission"},
    "quarantined": {"incomplete", "speeder", "straightliner", "bad_value"},
    "kept": {"none", "resubmission"},
}


def run_export(surveys: Path, programme: str, wave: str, instrument, key, tmp_path: Path,
               config: dict = CONFIG):
    """Ingest then validate one export, as the workflow does."""
    book = load_codebook(surveys / programme / "codebook.yaml", instrument)
    interim = ingest_export(book, wave, instrument, key=key, test_markers=MARKERS,
                            surveys_dir=surveys).interim
    result = validate_export(interim, book, wave, instrument,
                             Settings.from_config(config, programme),
                             context_dir=tmp_path / "gx",
                             corrections_path=surveys / programme / "corrections.yaml")
    return interim, result


MARKERS = CONFIG["validation"]["test_markers"]


def assert_nothing_lost(interim, result):
    ids = pd.concat([result.kept["row_id"], result.quarantine["row_id"],
                     result.excluded["row_id"]])
    assert ids.is_unique
    assert set(ids) == set(interim["row_id"])
    acc = result.accounting
    assert acc["read"] == acc["kept"] + acc["quarantined"] + acc["excluded"] == len(interim)


# --- the example campaign: every planted mess caught, counts match the simulator ----------


@pytest.fixture(scope="module")
def example_results(instrument, demo_key, tmp_path_factory):
    out = {}
    tmp = tmp_path_factory.mktemp("gx")
    for programme in PROGRAMMES:
        book = load_codebook(SURVEYS / programme / "codebook.yaml", instrument)
        for wave in book.waves:
            out[programme, wave] = run_export(SURVEYS, programme, wave, instrument, demo_key,
                                              tmp)
    return out


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_planted_mess_is_caught_exactly(example_results, programme):
    truth_rows = pd.read_csv(SURVEYS / programme / "ground_truth_rows.csv")
    truth = json.loads((SURVEYS / programme / "ground_truth.json").read_text())
    for (prog, wave), (interim, result) in example_results.items():
        if prog != programme:
            continue
        assert_nothing_lost(interim, result)
        planted = truth_rows[truth_rows["wave"] == wave]
        planted = planted.set_index(wave + ":" + planted["source_line"].astype(str))
        for outcome, frame in (("excluded", result.excluded),
                               ("quarantined", result.quarantine), ("kept", result.kept)):
            mess = set(planted.loc[frame["row_id"], "mess"])
            assert mess <= MESS_OF_OUTCOME[outcome], (wave, outcome, mess)
        counts = truth["mess"][wave]
        acc = result.accounting
        assert acc["excluded_by_reason"].get("no_consent", 0) == counts["no_consent"]
        assert acc["excluded_by_reason"].get("test_submission", 0) == counts["tests"]
        assert acc["excluded_by_reason"].get("exact_duplicate", 0) == counts["duplicates"]
        # of a resubmitted pair, the first answer is excluded and the second one kept
        assert acc["excluded_by_reason"].get("resubmission", 0) == counts["resubmissions"]
        resubmitted = planted[planted["mess"] == "resubmission"]
        kept_twice = resubmitted.index.isin(result.kept["row_id"])
        assert kept_twice.sum() == counts["resubmissions"]
        assert acc["quarantined"] == (counts["incomplete"] + counts["speeders"]
                                      + counts["straightliners"] + counts["bad_values"])
        checks = acc["quarantine_checks"]
        assert checks.get("speeder", 0) == counts["speeders"]
        assert checks.get("straightliner", 0) == counts["straightliners"]
        assert checks.get("duplicate_code", 0) == 0


def test_reasons_are_french_and_specific(example_results):
    _, result = example_results["cordee", "pre"]
    reasons = " | ".join(result.quarantine["reasons"])
    assert "durée de réponse" in reasons and "% de la médiane (" in reasons
    assert "même réponse à tous les items" in reasons
    assert "questionnaire arrêté à la page 2" in reasons
    assert "réponse non envoyée" in reasons
    excluded = set(result.excluded["exclusion_reason"])
    assert "pas de consentement" in excluded
    assert any(r.startswith("doublon exact de la ligne ") for r in excluded)
    assert any(r.startswith("réponse de test (marqueur dans « ") for r in excluded)


def test_accounting_table_and_identity(example_results):
    table = accounting_table([r.accounting for _, r in example_results.values()])
    totals = table[table["reason"] == ""].pivot_table(index=["programme", "wave"],
                                                      columns="outcome", values="rows")
    assert (totals["read"] == totals["kept"] + totals["quarantined"]
            + totals["excluded"]).all()
    broken = dict(next(iter(example_results.values()))[1].accounting, kept=0)
    with pytest.raises(DataError, match="Comptage des lignes incohérent"):
        accounting_table([broken])


def test_published_quarantine_quotes_no_value(example_results):
    for _, result in example_results.values():
        public = result.public_quarantine
        assert list(public.columns) == PUBLIC_QUARANTINE
        assert set(public["row_id"]) == set(result.quarantine["row_id"])
        pairs = {(r, c) for r, checks in zip(result.quarantine["row_id"],
                                             result.quarantine["checks"], strict=True)
                 for c in checks.split(" ")}
        assert set(zip(public["row_id"], public["check"], strict=True)) == pairs
        # one reason per check, whatever the row: nothing of the row's values in it
        assert (public.groupby("check")["reason"].nunique() == 1).all()
    _, result = example_results["cordee", "pre"]
    reasons = set(result.public_quarantine["reason"])
    assert any(r.startswith("durée de réponse inférieure à 25 % de la médiane (") for r in reasons)
    assert "questionnaire arrêté avant la dernière page" in reasons


def test_quarantine_never_holds_codes_or_identifiers(example_results):
    for _, result in example_results.values():
        assert not {"code_hash", "code", "code_mother", "Nom", "Adresse e-mail"} & \
            set(result.quarantine.columns)


# --- corrupted variants of real-looking exports --------------------------------------------


def edit_text(path: Path, encoding: str, change) -> None:
    raw = path.read_bytes()
    text = raw.decode(encoding)
    path.write_bytes(change(text).encode(encoding))


def lines_edit(path: Path, encoding: str, change) -> None:
    edit_text(path, encoding, lambda t: "\n".join(change(t.split("\n"))))


def cordee(surveys):
    return surveys / "cordee" / "pre.csv"


def cordee_post(surveys):
    return surveys / "cordee" / "post.csv"


def semaines(surveys):
    return surveys / "semaines_apprenantes" / "pre.csv"


def set_field(line: str, index: int, value: str, sep: str = ";") -> str:
    fields = line.split(sep)
    fields[index] = value
    return sep.join(fields)


def header_index(path: Path, encoding: str, name: str, sep: str = ";") -> int:
    return path.read_bytes().decode(encoding).lstrip("\ufeff").split("\n")[0].split(sep) \
        .index(name)


CORRUPTIONS = {}


def corruption(name, programme, wave, expect, *fragments):
    def register(function):
        CORRUPTIONS[name] = (function, programme, wave, expect, fragments)
        return function
    return register


@corruption("utf8_declared_cp1252", "cordee", "post", "ok", )
def _(s):
    path = cordee_post(s)
    path.write_bytes(path.read_bytes().decode("cp1252").encode("utf-8"))


@corruption("column_renamed", "cordee", "pre", "stop", "colonne manquante « G02Q01 »",
            "renommée en « G02Q01_genre » ?")
def _(s):
    edit_text(cordee(s), "utf-8-sig", lambda t: t.replace(";G02Q01;", ";G02Q01_genre;", 1))


@corruption("label_outside_codebook", "cordee", "pre", "stop", "libellé « A5 » inconnu",
            "labels.likert")
def _(s):
    lines_edit(cordee(s), "utf-8-sig", lambda ls: [ls[0], ls[1].replace(";A1;", ";A5;", 1)]
               + ls[2:])


@corruption("blank_file", "cordee", "pre", "stop", "Export vide")
def _(s):
    cordee(s).write_bytes(b"")


@corruption("header_only", "cordee", "pre", "stop", "nombre de lignes hors de la plage")
def _(s):
    lines_edit(cordee(s), "utf-8-sig", lambda ls: ls[:1])


@corruption("dates_in_another_format", "semaines_apprenantes", "pre", "stop",
            "colonne « Horodateur »", "datetime_format")
def _(s):
    import re
    # American month/day order, as a spreadsheet with US settings would re-save it
    edit_text(semaines(s), "utf-8", lambda t: re.sub(r"^(\d\d)/(\d\d)/(\d{4}) ",
                                                     r"\2/\1/\3 ", t, flags=re.M))


@corruption("extra_wave_column", "cordee", "pre", "stop", "colonne inattendue « G06Q01 »")
def _(s):
    lines_edit(cordee(s), "utf-8-sig", lambda ls: [ls[0] + ";G06Q01"] +
               [line + ";" if line else line for line in ls[1:]])


@corruption("post_file_given_as_pre", "cordee", "pre", "stop",
            "colonne manquante « G02Q03 »")
def _(s):
    cordee(s).write_bytes(cordee_post(s).read_bytes())
    book = s / "cordee" / "codebook.yaml"
    book.write_text(book.read_text().replace("encoding: utf-8-sig", "encoding: cp1252", 1))


@corruption("other_programme_export", "cordee", "pre", "stop", "l'en-tête ne correspond pas")
def _(s):
    cordee(s).write_bytes(semaines(s).read_bytes())


@corruption("wrong_year", "cordee", "pre", "stop", "hors de la fenêtre de la campagne")
def _(s):
    edit_text(cordee(s), "utf-8-sig", lambda t: t.replace(";2025-", ";2024-"))


@corruption("age_out_of_range", "cordee", "pre", "quarantine", "hors de l'intervalle [10 ; 70]")
def _(s):
    i = header_index(cordee(s), "utf-8-sig", "G02Q02")
    lines_edit(cordee(s), "utf-8-sig", lambda ls: [ls[0], set_field(ls[1], i, "150")] + ls[2:])


@corruption("age_in_words", "cordee", "pre", "quarantine",
            "valeur illisible pour « Âge (années) » : « quatorze »")
def _(s):
    i = header_index(cordee(s), "utf-8-sig", "G02Q02")
    lines_edit(cordee(s), "utf-8-sig", lambda ls: [ls[0], set_field(ls[1], i, "quatorze")]
               + ls[2:])


@corruption("row_exported_twice", "cordee", "pre", "excluded", "doublon exact de la ligne 2")
def _(s):
    lines_edit(cordee(s), "utf-8-sig", lambda ls: ls[:2] + [ls[1]] + ls[2:])


@corruption("consent_blank", "cordee", "pre", "excluded", "consentement non renseigné")
def _(s):
    i = header_index(cordee(s), "utf-8-sig", "G00Q01")
    lines_edit(cordee(s), "utf-8-sig", lambda ls: [ls[0], set_field(ls[1], i, "")] + ls[2:])


@corruption("truncated_last_line", "cordee", "pre", "quarantine", "réponse non envoyée")
def _(s):
    lines_edit(cordee(s), "utf-8-sig", lambda ls: ls[:-2] + [ls[-2][:40]])


@corruption("comma_file_declared_semicolon", "semaines_apprenantes", "pre", "ok")
def _(s):
    book = s / "semaines_apprenantes" / "codebook.yaml"
    book.write_text(book.read_text().replace('delimiter: ","', 'delimiter: ";"', 1))


@corruption("test_marker_in_name", "industrie_transition", "pre", "excluded",
            "réponse de test (marqueur dans « Nom »)")
def _(s):
    from openpyxl import load_workbook

    path = s / "industrie_transition" / "pre.xlsx"
    book = load_workbook(path)
    sheet = book.active
    column = [c.value for c in sheet[1]].index("Nom") + 1
    sheet.cell(row=2, column=column, value="Essai Formulaire")
    book.save(path)


@corruption("excel_sheet_renamed", "industrie_transition", "pre", "ok")
def _(s):
    from openpyxl import load_workbook

    path = s / "industrie_transition" / "pre.xlsx"
    book = load_workbook(path)
    book.active.title = "Feuil1"
    book.save(path)


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupted_export(name, surveys_copy, instrument, demo_key, tmp_path):
    change, programme, wave, expect, fragments = CORRUPTIONS[name]
    change(surveys_copy)
    if expect == "stop":
        with pytest.raises(DataError) as caught:
            run_export(surveys_copy, programme, wave, instrument, demo_key, tmp_path)
        message = str(caught.value)
        for fragment in fragments:
            assert fragment in message, message
        assert "Traceback" not in message
        return
    interim, result = run_export(surveys_copy, programme, wave, instrument, demo_key, tmp_path)
    assert_nothing_lost(interim, result)
    if expect == "quarantine":
        assert any(all(f in r for f in fragments) for r in result.quarantine["reasons"]), \
            list(result.quarantine["reasons"])[:5]
    elif expect == "excluded":
        assert any(all(f in r for f in fragments) for r in result.excluded["exclusion_reason"])


def test_at_least_fifteen_corruptions():
    assert len(CORRUPTIONS) >= 15


# --- corrections by the researcher ---------------------------------------------------------


def test_corrections_fix_values_and_keep_rows(surveys_copy, instrument, demo_key, tmp_path):
    _, before = run_export(surveys_copy, "cordee", "pre", instrument, demo_key, tmp_path)
    # an age out of range (150) or unreadable (« quinze »): both are fixed by a value
    bad_age = before.quarantine[before.quarantine["checks"].isin(["value_range:age",
                                                                   "parse_error"])]
    speeder = before.quarantine[before.quarantine["checks"] == "speeder"]
    fix_id, keep_id = bad_age["row_id"].iloc[0], speeder["row_id"].iloc[0]
    (surveys_copy / "cordee" / "corrections.yaml").write_text(
        f"{fix_id}: {{age: 14}}\n{keep_id}: keep\n")
    interim, after = run_export(surveys_copy, "cordee", "pre", instrument, demo_key, tmp_path)
    assert_nothing_lost(interim, after)
    kept = after.kept.set_index("row_id")
    assert kept.loc[fix_id, "age"] == 14
    assert keep_id in kept.index
    assert after.accounting["kept"] == before.accounting["kept"] + 2
    assert after.accounting["kept_by_decision"] == 1
    assert set(after.corrections["row_id"]) == {fix_id, keep_id}


def test_corrections_unknown_row_is_a_clear_error(surveys_copy, instrument, demo_key,
                                                  tmp_path):
    (surveys_copy / "cordee" / "corrections.yaml").write_text("pre:99999: keep\n")
    with pytest.raises(DataError, match="la ligne « pre:99999 » n'existe pas"):
        run_export(surveys_copy, "cordee", "pre", instrument, demo_key, tmp_path)


def test_severity_from_config_can_stop_on_speeders(instrument, demo_key, tmp_path):
    config = json.loads(json.dumps(CONFIG))
    config["validation"]["severity"]["speeder"] = "stop"
    with pytest.raises(DataError, match="contrôle"):
        run_export(SURVEYS, "cordee", "pre", instrument, demo_key, tmp_path, config)
