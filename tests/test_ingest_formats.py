"""Malformed and odd exports, built in code: each is read exactly or stops with one French message.

Every case either reads correctly (right number of records, right physical lines) or raises a
:class:`DataError` (not any other exception) naming the file and the line or cell.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from impact.errors import DataError
from impact.ingest.headers import describe_difference, header_key, match_headers
from impact.ingest.records import Records, check_same_records
from impact.ingest.sniff import decode, sniff_delimiter
from tests.conftest import SURVEYS
from tests.test_ingest import DATA, FOLLOWUP_ROWS, ingest

N = 40  # records in the generated LimeSurvey export (lines 2..41)
HEADER = ("id;submitdate;lastpage;startdate;Q00;Q01;Q02;Q03;Q04;Q05;Q06;Q07;Q10[SQ001];"
          "Q10[SQ002];Q10[SQ003];Q10[SQ004];Q10[SQ005];Q10[SQ006];Q10[SQ007];Q10[SQ008];Q11;Q12")
WIDTH = HEADER.count(";") + 1


def record(i: int, comment: str = "") -> str:
    """One LimeSurvey answer (atelier codebook, wave pre) with a free-text comment last."""
    return (f"{i};02/10/2025 10:{i % 60:02d};3;02/10/2025 10:00;Y;MA;{1 + i % 12:02d};ON;F;14;"
            f"COL;Collège Pasteur (Besançon);A3;A3;A2;A3;A2;A3;A2;A3;A1;{comment}")


def export(comments: dict[int, str] | None = None, end: str = "") -> str:
    """The text of a pre export; ``comments`` maps a physical line to its comment."""
    comments = comments or {}
    return "\n".join([HEADER] + [record(i, comments.get(i + 1, "")) + end
                                 for i in range(1, N + 1)]) + "\n"


@pytest.fixture()
def atelier(tmp_path):
    surveys = tmp_path / "surveys"
    shutil.copytree(DATA / "atelier", surveys / "atelier")
    shutil.copy(SURVEYS / "instrument.yaml", surveys / "instrument.yaml")
    return surveys


def write_pre(surveys: Path, text: str | bytes, encoding: str = "cp1252") -> Path:
    path = surveys / "atelier" / "pre.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def fails(surveys: Path, wave: str, instrument, key, *fragments: str) -> str:
    with pytest.raises(DataError) as caught:
        ingest(surveys, "atelier", wave, instrument, key)
    message = str(caught.value)
    assert f"{wave}." in message.split(" : ")[0], message  # the file is named first
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    return message


def set_codebook(surveys: Path, old: str, new: str) -> None:
    path = surveys / "atelier" / "codebook.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the record count is established independently of pandas ------------------------------


def test_well_formed_export_reads_every_record(atelier, instrument, demo_key):
    write_pre(atelier, export({5: '"Très bien ; merci\nà bientôt ; vraiment"'}))
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    lines = result.interim["source_line"].tolist()
    assert result.report["rows_read"] == N == len(lines)
    # the quoted comment on line 5 spans lines 5-6: the next records start one line later
    assert lines[:5] == [2, 3, 4, 5, 7] and lines[-1] == N + 2
    assert result.report["notes"] == []


def test_unbalanced_quote_that_pandas_swallows_silently_stops(atelier, instrument, demo_key):
    text = export({12: '"Bien', 34: 'trop court"'})
    # the bug this guards against: pandas alone loses the 22 answers of lines 13-34, no error
    assert len(pd.read_csv(io.StringIO(text), sep=";", dtype=str)) == N - 22
    write_pre(atelier, text)
    fails(atelier, "pre", instrument, demo_key, "guillemet ouvrant non refermé à la ligne 12",
          "« Q12 »", "lignes 13 à 34", '""')


def test_unbalanced_quote_up_to_the_end_of_file(atelier, instrument, demo_key):
    write_pre(atelier, export({12: '"Bien'}))
    fails(atelier, "pre", instrument, demo_key, "guillemet ouvrant non refermé à la ligne 12")


def test_unbalanced_quote_before_a_legitimate_quoted_comment(atelier, instrument, demo_key):
    write_pre(atelier, export({12: '"Bien', 30: '"Oui, très bien"'}))
    fails(atelier, "pre", instrument, demo_key, "guillemet ouvrant non refermé à la ligne 12")


def test_stray_quote_after_a_quoted_cell(atelier, instrument, demo_key):
    write_pre(atelier, export({9: '"Super "stage"'}))
    fails(atelier, "pre", instrument, demo_key, "guillemet mal placé à la ligne 9")


def test_trailing_delimiter_on_every_data_line_reads_without_shift(atelier, instrument,
                                                                  demo_key):
    write_pre(atelier, export(end=";"))
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    frame = result.interim
    assert result.report["rows_read"] == N
    assert frame["source_line"].tolist() == list(range(2, N + 2))
    assert set(frame["site"]) == {"Collège Pasteur (Besançon)"}  # not shifted by one column
    assert frame["image_1"].eq(3).all()
    assert any("en trop à la fin de chaque ligne" in n for n in result.report["notes"])


def test_ragged_rows_are_named_with_their_field_counts(atelier, instrument, demo_key):
    lines = export().splitlines()
    lines[6] = lines[6].rsplit(";", 2)[0]  # line 7: two fields short
    lines[9] = lines[9] + ";x"  # line 10: one field too many
    write_pre(atelier, "\n".join(lines) + "\n")
    fails(atelier, "pre", instrument, demo_key, f"l'en-tête ({WIDTH})",
          f"ligne 7 : {WIDTH - 2} champs", f"ligne 10 : {WIDTH + 1} champs")


def test_trailing_delimiter_on_some_lines_only_is_ragged(atelier, instrument, demo_key):
    lines = export().splitlines()
    lines[3] += ";"
    write_pre(atelier, "\n".join(lines) + "\n")
    fails(atelier, "pre", instrument, demo_key, f"ligne 4 : {WIDTH + 1} champs")


def test_nul_byte_names_its_line(atelier, instrument, demo_key):
    write_pre(atelier, export({9: "bien\x00"}))
    fails(atelier, "pre", instrument, demo_key, "caractère NUL", "ligne 9")


def test_huge_cell_is_a_clear_message(atelier, instrument, demo_key):
    write_pre(atelier, export({5: '"' + "x" * 1_000_000 + '"'}))
    fails(atelier, "pre", instrument, demo_key, "131 072 caractères", "ligne 5")


def test_blank_inner_line_is_kept_and_trailing_ones_dropped(atelier, instrument, demo_key):
    lines = export().splitlines()
    write_pre(atelier, "\n".join(lines[:5] + [""] + lines[5:]) + "\n\n\n")
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N + 1
    assert result.interim["source_line"].tolist()[3:6] == [5, 6, 7]


def test_divergence_between_the_two_readings_names_the_line(tmp_path):
    records = Records(["a"], pd.Series([2, 3, 5]).to_numpy(), ["1", "2", "3"])
    with pytest.raises(DataError, match="divergent à la ligne 5"):
        check_same_records(records, 2, ["1", "2"], tmp_path / "x.csv")
    with pytest.raises(DataError, match="divergent à la ligne 3"):
        check_same_records(records, 3, ["1", "9", "3"], tmp_path / "x.csv")
    check_same_records(records, 3, ["1", "2", "3"], tmp_path / "x.csv")


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("codec", "bom", "name"), [
    ("utf-16-le", b"\xff\xfe", "utf-16-le"), ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ("utf-16-le", b"", "utf-16-le")])
def test_utf16_is_decoded_and_noted(atelier, instrument, demo_key, codec, bom, name):
    write_pre(atelier, bom + export().encode(codec))
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N and result.report["encoding"] == name
    assert "Collège Pasteur (Besançon)" in set(result.interim["site"])
    assert any(f"`encoding: {name}`" in n for n in result.report["notes"])


def test_windows_1252_declared_utf8_gives_the_codebook_fix(atelier, instrument, demo_key):
    set_codebook(atelier, "encoding: cp1252", "encoding: utf-8")
    write_pre(atelier, export(), "cp1252")
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert result.report["notes"] == ["encodage déclaré « utf-8 », détecté « cp1252 » : mettez "
                                      "`encoding: cp1252` dans waves.pre du codebook"]


def test_ascii_file_declared_cp1252_needs_no_note():
    text, used, notes = decode(b"a;b\n1;2\n", "cp1252")
    assert text == "a;b\n1;2\n" and notes == []


# --- separators -----------------------------------------------------------------------------


def test_semicolon_despite_a_comma_rich_quoted_french_header():
    header = ('"Votre âge, en années";"Votre code (mère, mois, ville)";"Sexe, genre";'
              '"Vous êtes : collégien, lycéen, demandeur d\'emploi, autre"')
    text = header + "\n" + "\n".join(f"{14 + i % 3};MA0{i % 9}ON;F;collégien" for i in range(30))
    delimiter, notes = sniff_delimiter(text, ",", wave="pre")
    assert delimiter == ";"
    assert notes == ['séparateur déclaré « , », détecté « ; » : mettez `delimiter: ";"` dans '
                     "waves.pre du codebook"]
    assert sniff_delimiter(text, ";") == (";", [])


def test_wrong_separator_declared_is_used_as_detected(atelier, instrument, demo_key):
    set_codebook(atelier, 'delimiter: ";"', 'delimiter: ","')
    write_pre(atelier, export({3: "oui, très, bien, vraiment, super, merci"}))
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N and result.report["delimiter"] == ";"
    assert any('`delimiter: ";"`' in n for n in result.report["notes"])


def test_tab_separator_is_shown_escaped():
    text = "a\tb\tc\n1\t2\t3\n"
    assert sniff_delimiter(text, ";")[1][0].endswith('`delimiter: "\\t"` dans waves.<vague> '
                                                     "du codebook")


# --- header matching ------------------------------------------------------------------------


def test_invisible_header_differences_match_and_are_noted(atelier, instrument, demo_key):
    path = atelier / "atelier" / "post.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("Orientation vers l'industrie ?", "Orientation vers l’industrie\u00a0?")
    path.write_text(text.replace("Consentement", "Consentement  "), encoding="utf-8")
    result = ingest(atelier, "atelier", "post", instrument, demo_key)
    assert result.interim["intention"].notna().any()
    notes = " | ".join(result.report["notes"])
    assert "U+00A0 (espace insécable) au lieu d'une espace" in notes
    assert "apostrophe typographique ’ au lieu de '" in notes
    assert "espace en début ou en fin d'intitulé" in notes


def test_missing_column_shows_the_nearest_header_and_the_difference(atelier, instrument,
                                                                    demo_key):
    path = atelier / "atelier" / "post.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Votre code", "Votre\u00a0code perso"), encoding="utf-8")
    fails(atelier, "post", instrument, demo_key, "colonne manquante « Votre code »",
          "renommée en « Votre\u00a0code perso » ?", "U+00A0", "« perso » ajouté")


def test_header_key_and_differences():
    assert header_key("L’industrie\u202f?  ") == header_key("l'industrie ?")
    assert header_key("e\u0301cole") == header_key("école")
    assert describe_difference("Votre code", "Votre code perso") == "« perso » ajouté"
    # two headers that differ only invisibly are never merged into one column
    assert match_headers(["Nom"], ["Nom", "Nom\u00a0"]) == {"Nom": "Nom"}
    assert match_headers(["Nom"], ["nom", "NOM"]) == {}


# --- workbooks ------------------------------------------------------------------------------

XLSX_HEADER = ["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom",
               "Consentement", "Code 1", "Code 2", "Code 3", "Établissement",
               "Orientation vers l'industrie ?"]


def write_xlsx(surveys: Path, rows: list[list], above: list[list] | None = None):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Feuil1"
    for row in (above or []) + rows:
        sheet.append(row)
    path = surveys / "atelier" / "followup.xlsx"
    book.save(path)
    return path, book


def test_xlsx_title_rows_above_the_header(atelier, instrument, demo_key):
    write_xlsx(atelier, [XLSX_HEADER] + FOLLOWUP_ROWS,
               above=[["Résultats du questionnaire de suivi"], ["Exporté le 01/07/2026"]])
    result = ingest(atelier, "atelier", "followup", instrument, demo_key)
    assert result.interim["source_line"].tolist() == [4, 5, 6]
    assert result.report["rows_read"] == 3
    assert any("`header_row: 3`" in n for n in result.report["notes"])


def test_xlsx_duplicated_headers_are_named_with_their_cells(atelier, instrument, demo_key):
    header = XLSX_HEADER[:10] + ["Nom"]
    write_xlsx(atelier, [header] + FOLLOWUP_ROWS)
    fails(atelier, "followup", instrument, demo_key, "colonnes en double", "« Nom » en E1, K1")


def test_xlsx_formula_without_cached_value(atelier, instrument, demo_key):
    path, book = write_xlsx(atelier, [XLSX_HEADER] + FOLLOWUP_ROWS)
    book.active["H3"] = "=G3&\"1\""
    book.save(path)
    fails(atelier, "followup", instrument, demo_key, "formule sans valeur", "H3",
          "feuille « Feuil1 »", "Excel")


def test_xlsx_truncated_download(atelier, instrument, demo_key):
    path, _ = write_xlsx(atelier, [XLSX_HEADER] + FOLLOWUP_ROWS)
    path.write_bytes(path.read_bytes()[:1500])
    fails(atelier, "followup", instrument, demo_key, "fichier Excel illisible", "tronquée")


def test_xlsx_empty_sheet(atelier, instrument, demo_key):
    write_xlsx(atelier, [])
    fails(atelier, "followup", instrument, demo_key, "la feuille « Feuil1 » est vide")


def test_xlsx_header_only_gives_zero_records(atelier, instrument, demo_key):
    write_xlsx(atelier, [XLSX_HEADER])
    assert ingest(atelier, "atelier", "followup", instrument, demo_key).report["rows_read"] == 0


def test_old_xls_and_csv_renamed_xlsx(atelier, instrument, demo_key):
    path = atelier / "atelier" / "followup.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    fails(atelier, "followup", instrument, demo_key, "Excel 97-2003")
    path.write_text("ID;Nom\n1;x\n", encoding="utf-8")
    fails(atelier, "followup", instrument, demo_key, "fichier Excel illisible", "CSV renommé",
          "`format: csv`")



# --- line ends, padding, files in the wrong format ------------------------------------------


def test_old_mac_line_ends(atelier, instrument, demo_key):
    write_pre(atelier, export({4: '"deux\rlignes"'}).replace("\n", "\r"))
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert result.interim["source_line"].tolist()[2:4] == [4, 6]


def test_windows_line_ends_and_multiline_comment(atelier, instrument, demo_key):
    write_pre(atelier, export({4: '"deux\nlignes"'}).replace("\n", "\r\n"))
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert result.interim["source_line"].tolist()[2:4] == [4, 6]


def test_trailing_blank_lines_are_accounted_for_in_a_note(atelier, instrument, demo_key):
    write_pre(atelier, export() + ";" * (WIDTH - 1) + "\n\n")
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert any(n.startswith("2 ligne(s) entièrement vide(s)") for n in result.report["notes"])


def test_workbook_declared_as_csv(atelier, instrument, demo_key):
    path, _ = write_xlsx(atelier, [XLSX_HEADER] + FOLLOWUP_ROWS)
    shutil.copy(path, atelier / "atelier" / "pre.csv")
    fails(atelier, "pre", instrument, demo_key, "classeur Excel", "`format: xlsx`")


def test_bom_only_file_has_an_empty_header(atelier, instrument, demo_key):
    write_pre(atelier, b"\xef\xbb\xbf\n")
    fails(atelier, "pre", instrument, demo_key, "ligne d'en-tête (ligne 1) est vide")


def test_xlsx_error_values_and_blank_header_cells(atelier, instrument, demo_key):
    path, book = write_xlsx(atelier, [XLSX_HEADER] + FOLLOWUP_ROWS)
    book.active["J4"] = "#N/A"  # openpyxl stores it as an Excel error value
    book.save(path)
    fails(atelier, "followup", instrument, demo_key, "valeur d'erreur Excel", "J4 : #N/A")
    header = XLSX_HEADER[:3] + [None] + XLSX_HEADER[4:]
    write_xlsx(atelier, [header] + FOLLOWUP_ROWS)
    fails(atelier, "followup", instrument, demo_key, "en-tête vide(s) en D1")


def test_utf16_declared_with_bom_needs_no_note(atelier, instrument, demo_key):
    set_codebook(atelier, "encoding: cp1252", "encoding: utf-16")
    write_pre(atelier, b"\xff\xfe" + export().encode("utf-16-le"))
    assert ingest(atelier, "atelier", "pre", instrument, demo_key).report["notes"] == []


def test_csv_title_line_above_the_header(atelier, instrument, demo_key):
    write_pre(atelier, "Export LimeSurvey du 02/10/2025\n\n" + export())
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert result.interim["source_line"].tolist()[:2] == [4, 5]
    assert any("`header_row: 3`" in n for n in result.report["notes"])


@pytest.mark.parametrize("data_end", [";", ""])
def test_trailing_separator_on_the_header_too(atelier, instrument, demo_key, data_end):
    lines = export(end=data_end).splitlines()
    write_pre(atelier, "\n".join([lines[0] + ";"] + lines[1:]) + "\n")
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert set(result.interim["site"]) == {"Collège Pasteur (Besançon)"}
    assert any("en trop à la fin de l'en-tête" in n for n in result.report["notes"])


def test_one_swallowed_line_is_caught_and_prose_with_separators_is_not(atelier, instrument,
                                                                      demo_key):
    write_pre(atelier, export({12: '"Bien', 13: 'fin"'}))
    fails(atelier, "pre", instrument, demo_key, "guillemet ouvrant non refermé à la ligne 12",
          "la ligne 13, qui ressemble à une réponse")
    prose = ('"Bien ; super ; merci ; vraiment ; top ;\n'
             'encore ; oui ; non ; peut-être ; bof ; bien ; super ; top ; oui ; non ; 10/10"')
    write_pre(atelier, export({12: prose}))
    assert ingest(atelier, "atelier", "pre", instrument, demo_key).report["rows_read"] == N


def test_lone_carriage_return_in_a_unix_file(atelier, instrument, demo_key):
    write_pre(atelier, export({7: "ab\rcd"}))
    fails(atelier, "pre", instrument, demo_key, "retour chariot isolé", "ligne 7")


def test_one_longer_first_row_is_not_taken_as_an_index(atelier, instrument, demo_key):
    lines = export().splitlines()
    lines[1] += ";x"  # pandas alone would shift every column of every row by one
    write_pre(atelier, "\n".join(lines) + "\n")
    fails(atelier, "pre", instrument, demo_key, f"ligne 2 : {WIDTH + 1} champs")


def test_cut_last_line_of_an_interrupted_download_is_read_and_noted(atelier, instrument,
                                                                   demo_key):
    text = export()
    write_pre(atelier, text[:text.rindex("\n", 0, len(text) - 1) + 40])
    result = ingest(atelier, "atelier", "pre", instrument, demo_key)
    assert result.report["rows_read"] == N
    assert any(n.startswith(f"dernière ligne (ligne {N + 1}) coupée") for n in
               result.report["notes"])
    # the same short line followed by a line break, or not last, is a ragged row
    write_pre(atelier, text[:text.rindex("\n", 0, len(text) - 1) + 40] + "\n")
    fails(atelier, "pre", instrument, demo_key, f"ligne {N + 1} :")
