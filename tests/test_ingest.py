"""Ingestion: committed example exports, hand-written exports of each tool, and bad inputs."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from impact.errors import DataError
from impact.ingest.harmonise import ingest_export
from impact.survey.codebook import load_codebook
from tests.conftest import PROGRAMMES, SURVEYS

DATA = Path(__file__).parent / "data"
MARKERS = ["test", "essai"]
IDENTIFYING = {"Adresse e-mail", "Adresse de messagerie", "Nom", "ipaddr", "G05Q01", "Q12"}


def write_followup_xlsx(path: Path, rows: list[list], sheet: str = "Feuil1") -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom",
               "Consentement", "Code 1", "Code 2", "Code 3", "Établissement",
               "Orientation vers l'industrie ?"])
    for row in rows:
        ws.append(row)
    book.save(path)


FOLLOWUP_ROWS = [
    [1, datetime(2026, 6, 20, 10, 0, 5), datetime(2026, 6, 20, 10, 3, 40), "anonymous", None,
     "Oui", "MA", "05", "ON", "Collège Pasteur (Besançon)", "Oui"],
    [2, datetime(2026, 6, 21, 18, 30, 0), datetime(2026, 6, 21, 18, 31, 10), "j.d@exemple.fr",
     "Jean Dupont", "Oui", "Ju", 11, "rt", "Collège Pasteur (Besançon)", "Non"],
    [3, datetime(2026, 6, 22, 9, 0, 0), datetime(2026, 6, 22, 9, 4, 0), "anonymous", None,
     "Oui", "NA", "07", "IS", "Lycée Cuvier (Montbéliard)", "Oui"],
]


@pytest.fixture()
def atelier(tmp_path, instrument):
    """The small fourth programme (tests/data/atelier) in a fresh surveys directory."""
    surveys = tmp_path / "surveys"
    shutil.copytree(DATA / "atelier", surveys / "atelier")
    shutil.copy(SURVEYS / "instrument.yaml", surveys / "instrument.yaml")
    write_followup_xlsx(surveys / "atelier" / "followup.xlsx", FOLLOWUP_ROWS)
    return surveys


def ingest(surveys: Path, programme: str, wave: str, instrument, key):
    book = load_codebook(surveys / programme / "codebook.yaml", instrument)
    return ingest_export(book, wave, instrument, key=key, test_markers=MARKERS,
                         surveys_dir=surveys)


# --- committed example campaign ------------------------------------------------------------


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_example_exports_ingest_completely(programme, codebooks, instrument, demo_key):
    truth = pd.read_csv(SURVEYS / programme / "ground_truth_rows.csv")
    for wave in codebooks[programme].waves:
        result = ingest_export(codebooks[programme], wave, instrument, key=demo_key,
                               test_markers=MARKERS, surveys_dir=SURVEYS)
        frame = result.interim
        expected = truth[truth["wave"] == wave]
        # every record of the export is there, with the physical line it starts on
        assert frame["source_line"].tolist() == expected["source_line"].tolist()
        assert frame["row_id"].is_unique
        assert not IDENTIFYING & set(frame.columns)
        for item in codebooks[programme].items(instrument):
            if item in frame:
                assert frame[item].dropna().between(1, 5).all()
        # test submissions are recognised whatever column holds the marker
        planted_tests = (expected["mess"] == "test").to_numpy()
        assert frame["is_test"].to_numpy()[planted_tests].all()
        assert result.report["rows_read"] == len(expected)


def test_example_encodings_are_sniffed(codebooks, instrument, demo_key):
    result = ingest_export(codebooks["cordee"], "post", instrument, key=demo_key,
                           test_markers=MARKERS, surveys_dir=SURVEYS)
    assert result.report["encoding"] == "cp1252"
    assert result.interim["site"].str.contains("é").any()  # accents survived


# --- hand-written exports of each tool -----------------------------------------------------


def test_limesurvey_csv_windows1252(atelier, instrument, demo_key):
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    frame = result.interim.set_index("row_id")
    # a quoted comment spans physical lines 6-7, so the last record starts on line 8
    assert frame["source_line"].tolist() == [2, 3, 4, 5, 6, 8]
    assert frame.loc["pre:2", "image_1"] == 3 and frame.loc["pre:2", "intention"] == "oui"
    assert frame.loc["pre:2", "submitted_at"] == pd.Timestamp("2025-10-02 10:12")
    assert frame.loc["pre:2", "duration_s"] == 600
    assert frame.loc["pre:5", "consent"] == 0
    assert pd.isna(frame.loc["pre:4", "submitted_at"]) and frame.loc["pre:4", "lastpage"] == 1
    assert frame.loc["pre:6", "is_test"] and frame.loc["pre:6", "test_evidence"] == "Q01"
    assert "quinze" in frame.loc["pre:6", "ingest_issues"]
    assert pd.isna(frame.loc["pre:6", "age"])
    assert frame.loc["pre:8", "ingest_issues"] == ""
    assert "Q12" not in result.interim.columns
    assert "Collège Pasteur (Besançon)" in set(frame["site"])


def test_google_forms_combined_code_and_typographic_apostrophe(atelier, instrument, demo_key):
    result = ingest(atelier, "atelier", "post", instrument, demo_key)
    codes = result.codes.set_index("row_id")
    assert codes.loc["post:2", "code"] == "MA05ON"  # "ma 5 on"
    assert codes.loc["post:4", "code"] == "NA07IS"  # letter O typed in the month
    frame = result.interim.set_index("row_id")
    assert frame.loc["post:4", "image_1"] == 3  # « Plutôt d’accord » with a curly apostrophe
    assert "Adresse e-mail" not in result.interim.columns


def test_ms_forms_workbook(atelier, instrument, demo_key):
    result = ingest(atelier, "atelier", "followup", instrument, demo_key)
    frame = result.interim
    assert frame["source_line"].tolist() == [2, 3, 4]
    assert frame["duration_s"].tolist() == [215.0, 70.0, 240.0]
    # « NA » (NAdia, NAthalie…) is a code part, not a missing value
    assert result.codes["code"].tolist() == ["MA05ON", "JU11RT", "NA07IS"]
    assert not {"Nom", "Adresse de messagerie"} & set(frame.columns)


def test_same_code_gives_same_hash_across_waves(atelier, instrument, demo_key):
    pre = ingest(atelier, "atelier", "pre", instrument, demo_key).interim.set_index("row_id")
    post = ingest(atelier, "atelier", "post", instrument, demo_key).interim.set_index("row_id")
    assert pre.loc["pre:2", "code_hash"] == post.loc["post:2", "code_hash"]
    assert pre.loc["pre:2", "code_hash"] != pre.loc["pre:3", "code_hash"]
    assert len(pre.loc["pre:2", "code_hash"]) == 16


# --- bad inputs: one clear French message, never a traceback ------------------------------


def rewrite(path: Path, old: str, new: str, encoding: str = "utf-8") -> None:
    path.write_text(path.read_text(encoding=encoding).replace(old, new), encoding=encoding)


def expect_error(surveys, wave, instrument, key, *fragments):
    with pytest.raises(DataError) as caught:
        ingest(surveys, "atelier", wave, instrument, key)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_unknown_label_names_file_column_line_and_fix(atelier, instrument, demo_key):
    rewrite(atelier / "atelier" / "post.csv", "Je ne sais pas", "Peut-être")
    expect_error(atelier, "post", instrument, demo_key, "post.csv",
                 "« Orientation vers l'industrie ? »", "« Peut-être »", "ligne(s) 3",
                 "labels.intention", "codebook.yaml")


def test_missing_column_suggests_the_rename(atelier, instrument, demo_key):
    rewrite(atelier / "atelier" / "post.csv", "Votre code", "Votre code perso")
    expect_error(atelier, "post", instrument, demo_key, "colonne manquante « Votre code »",
                 "renommée en « Votre code perso » ?", "codebook.yaml:")


def test_unexpected_column(atelier, instrument, demo_key):
    rewrite(atelier / "atelier" / "post.csv", "Horodateur,", "Horodateur,Vague 3,")
    path = atelier / "atelier" / "post.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [line.replace(",", ",x,", 1) for line in lines[1:]]))
    expect_error(atelier, "post", instrument, demo_key, "colonne inattendue « Vague 3 »",
                 "ignore")


def test_missing_file(atelier, instrument, demo_key):
    (atelier / "atelier" / "post.csv").unlink()
    expect_error(atelier, "post", instrument, demo_key, "Export introuvable", "post.csv")


def test_empty_file(atelier, instrument, demo_key):
    (atelier / "atelier" / "post.csv").write_bytes(b"")
    expect_error(atelier, "post", instrument, demo_key, "Export vide")


def test_header_only_gives_zero_rows(atelier, instrument, demo_key):
    path = atelier / "atelier" / "post.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert len(ingest(atelier, "atelier", "post", instrument, demo_key).interim) == 0


def test_dates_in_another_format_stop(atelier, instrument, demo_key):
    path = atelier / "atelier" / "post.csv"
    text = path.read_text()
    for day in ("05/06/2026", "06/06/2026"):
        d, m, y = day.split("/")
        text = text.replace(day, f"{y}-{m}-{d}T")
    path.write_text(text)
    expect_error(atelier, "post", instrument, demo_key, "colonne « Horodateur »",
                 "datetime_format")


def test_wrong_encoding_declared_is_sniffed_and_reported(atelier, instrument, demo_key):
    rewrite(atelier / "atelier" / "codebook.yaml", "encoding: cp1252", "encoding: utf-8")
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["encoding"] == "cp1252"
    assert any("cp1252" in note for note in result.report["notes"])
    assert "Collège Pasteur (Besançon)" in set(result.interim["site"])


def test_wrong_delimiter_declared_is_sniffed_and_reported(atelier, instrument, demo_key):
    rewrite(atelier / "atelier" / "codebook.yaml", 'delimiter: ";"', 'delimiter: ","')
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert len(result.interim) == 6
    assert any("séparateur" in note for note in result.report["notes"])


def test_csv_renamed_as_xlsx(atelier, instrument, demo_key):
    shutil.copy(atelier / "atelier" / "post.csv", atelier / "atelier" / "followup.xlsx")
    expect_error(atelier, "followup", instrument, demo_key, "fichier Excel illisible")


def test_missing_sheet(atelier, instrument, demo_key):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Réponses"
    book.create_sheet("Autre")
    book.save(atelier / "atelier" / "followup.xlsx")
    expect_error(atelier, "followup", instrument, demo_key, "feuille « Feuil1 » absente",
                 "Réponses")


def test_ragged_csv(atelier, instrument, demo_key):
    path = atelier / "atelier" / "post.csv"
    path.write_text(path.read_text() + "07/06/2026 10:00:00,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\n")
    expect_error(atelier, "post", instrument, demo_key, "structure CSV invalide")


def test_duplicated_header(atelier, instrument, demo_key):
    rewrite(atelier / "atelier" / "post.csv", "Adresse e-mail", "Horodateur")
    expect_error(atelier, "post", instrument, demo_key, "colonnes en double")


# --- codebook problems name the codebook line ---------------------------------------------


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def codebook_error(atelier, instrument, old: str, new: str) -> tuple[str, Path]:
    path = atelier / "atelier" / "codebook.yaml"
    rewrite(path, old, new)
    with pytest.raises(DataError) as caught:
        load_codebook(path, instrument)
    return str(caught.value), path


def test_codebook_unknown_variable_names_line(atelier, instrument):
    message, path = codebook_error(atelier, instrument, "      intention: Q11",
                                   "      intentoin: Q11")
    assert f"codebook.yaml:{line_of(path, 'intentoin: Q11')}" in message
    assert "« intentoin » inconnue" in message


def test_codebook_label_mapped_to_invalid_code(atelier, instrument):
    message, path = codebook_error(atelier, instrument, "intention: {A1: oui,",
                                   "intention: {A1: ja,")
    assert f"codebook.yaml:{line_of(path, 'intention: {A1: ja')}" in message
    assert "« ja »" in message and "codes permis" in message


def test_codebook_schema_violation_names_line(atelier, instrument):
    message, path = codebook_error(atelier, instrument, "    format: xlsx", "    format: ods")
    assert f"codebook.yaml:{line_of(path, 'format: ods')}" in message
    assert "waves.followup.format" in message
