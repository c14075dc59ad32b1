"""The malformed inputs of the corpus (tests/test_corpus.py): one :class:`Case` each.

Every mutation works on a scratch copy of an example export and is written the way the tool,
the spreadsheet or the respondent would have produced it. Programmes by tool: ``cordee``
(LimeSurvey CSV, ``;``, UTF-8 with BOM at pre, Windows-1252 at post), ``semaines_apprenantes``
(Google Forms CSV, ``,`` at pre), ``industrie_transition`` (Microsoft Forms workbook).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.corpus_support import Case

LIME, GOOGLE, MSFORMS = "cordee", "semaines_apprenantes", "industrie_transition"
EMAIL = "jeanne.planted@example.org"
PHONE = "06 12 34 56 78"
NAME = "Jeanne Plantée-Dupuis"
HTML = "<script>alert('planted')</script>"
FORMULA = '=HYPERLINK("http://planted.example/x","clic")'


def _spec(surveys: Path, programme: str, wave: str) -> dict:
    book = yaml.safe_load((surveys / programme / "codebook.yaml").read_text(encoding="utf-8"))
    return book["waves"][wave]


def _path(surveys: Path, programme: str, wave: str) -> Path:
    return surveys / programme / _spec(surveys, programme, wave)["file"]


def _read(surveys: Path, programme: str, wave: str) -> tuple[str, str, str]:
    spec = _spec(surveys, programme, wave)
    text = _path(surveys, programme, wave).read_bytes().decode(spec["encoding"])
    return text, spec["encoding"], spec["delimiter"]


def _write(surveys: Path, programme: str, wave: str, text: str, encoding: str) -> None:
    _path(surveys, programme, wave).write_bytes(text.encode(encoding))


def text_edit(programme: str, wave: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    """Mutation: ``edit`` the decoded text of a CSV export; written back in its encoding."""
    def mutate(surveys: Path) -> None:
        text, encoding, _ = _read(surveys, programme, wave)
        _write(surveys, programme, wave, edit(text), encoding)
    return mutate


def records_edit(programme: str, wave: str,
                 edit: Callable[[list[list[str]]], list[list[str]]]) -> Callable[[Path], None]:
    """Mutation on the parsed records (header first), re-written as the tool writes CSV."""
    def mutate(surveys: Path) -> None:
        text, encoding, delimiter = _read(surveys, programme, wave)
        bom = text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(edit(rows))
        _write(surveys, programme, wave, ("\ufeff" if bom else "") + out.getvalue(), encoding)
    return mutate


def set_cell(programme: str, wave: str, record: int, column: str, value: str):
    """Record ``record`` (1 = first data record), column by header name, set to ``value``."""
    def edit(rows):
        rows[record][rows[0].index(column)] = value
        return rows
    return records_edit(programme, wave, edit)


def line_edit(programme: str, wave: str, line: int, edit: Callable[[str], str]):
    """Physical line ``line`` (1-based, header = 1) edited as raw text."""
    def whole(text: str) -> str:
        lines = text.split("\n")
        lines[line - 1] = edit(lines[line - 1])
        return "\n".join(lines)
    return text_edit(programme, wave, whole)


def column_of(surveys: Path, programme: str, wave: str, variable: str) -> str:
    return _spec(surveys, programme, wave)["columns"][variable]


def set_variable(programme: str, wave: str, record: int, variable: str, value: str):
    """Set the cell of an instrument variable (header found through the codebook)."""
    def mutate(surveys: Path) -> None:
        column = column_of(surveys, programme, wave, variable)
        set_cell(programme, wave, record, column, value)(surveys)
    return mutate


def set_identifier(programme: str, wave: str, record: int, index: int, value: str):
    """Set a cell of the codebook's ``identifiers`` (direct identifiers, comments)."""
    def mutate(surveys: Path) -> None:
        column = _spec(surveys, programme, wave)["identifiers"][index]
        set_cell(programme, wave, record, column, value)(surveys)
    return mutate


def workbook_edit(programme: str, wave: str, edit: Callable) -> Callable[[Path], None]:
    """Mutation on the worksheet of an .xlsx export (openpyxl), saved back."""
    def mutate(surveys: Path) -> None:
        from openpyxl import load_workbook

        path = _path(surveys, programme, wave)
        book = load_workbook(path)
        edit(book.active)
        book.save(path)
    return mutate


def xlsx_set_variable(programme: str, wave: str, record: int, variable: str, value):
    def mutate(surveys: Path) -> None:
        column = column_of(surveys, programme, wave, variable)

        def edit(sheet):
            header = [c.value for c in sheet[1]]
            cell = sheet.cell(row=record + 1, column=header.index(column) + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # typed text, even when it starts with « = »
        workbook_edit(programme, wave, edit)(surveys)
    return mutate


def codebook_edit(programme: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def mutate(surveys: Path) -> None:
        path = surveys / programme / "codebook.yaml"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return mutate


def corrections(programme: str, text: str) -> Callable[[Path], None]:
    def mutate(surveys: Path) -> None:
        (surveys / programme / "corrections.yaml").write_text(text, encoding="utf-8")
    return mutate


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(surveys: Path) -> None:
        for m in mutations:
            m(surveys)
    return mutate


def _duplicate_record(index: int):
    return lambda rows: rows[:index + 1] + [list(rows[index])] + rows[index + 1:]


def _drop_field(index: int):
    def edit(rows):
        rows[index] = rows[index][:-1]
        return rows
    return edit


def _utf16(with_bom: bool):
    def mutate(surveys: Path) -> None:
        text, _, _ = _read(surveys, LIME, "pre")
        body = text.lstrip("\ufeff")
        _path(surveys, LIME, "pre").write_bytes(body.encode("utf-16" if with_bom
                                                            else "utf-16-le"))
    return mutate


def _title_row(sheet) -> None:
    sheet.insert_rows(1)
    sheet["A1"] = "Export Microsoft Forms — Questionnaire initial"


def _duplicate_header(sheet) -> None:
    sheet.cell(row=1, column=sheet.max_column, value=sheet.cell(row=1, column=2).value)


def _formula_without_value(sheet) -> None:
    # openpyxl writes the formula and no cached value, as a workbook never opened in Excel
    sheet.cell(row=5, column=sheet.max_column, value="=1+1")


def _truncate(programme: str, wave: str, keep: float):
    def mutate(surveys: Path) -> None:
        path = _path(surveys, programme, wave)
        data = path.read_bytes()
        path.write_bytes(data[:int(len(data) * keep)])
    return mutate


def _csv_as_xlsx(surveys: Path) -> None:
    """A CSV saved under the workbook's name (« Enregistrer sous » with the wrong type)."""
    _path(surveys, MSFORMS, "pre").write_text("Horodateur;Nom\n01/01/2026;x\n",
                                              encoding="utf-8")


def _empty(programme: str, wave: str):
    return lambda surveys: _path(surveys, programme, wave).write_bytes(b"")


def _header_only(programme: str, wave: str):
    return records_edit(programme, wave, lambda rows: rows[:1])


def _nbsp_header(surveys: Path) -> None:
    column = column_of(surveys, GOOGLE, "pre", "age")
    def edit(rows):
        rows[0][rows[0].index(column)] = column.replace(" ", "\u00a0", 1) + "  "
        return rows
    records_edit(GOOGLE, "pre", edit)(surveys)


def _rename_header(surveys: Path) -> None:
    column = column_of(surveys, GOOGLE, "pre", "gender")
    def edit(rows):
        rows[0][rows[0].index(column)] = "Genre"
        return rows
    records_edit(GOOGLE, "pre", edit)(surveys)


def _declared(key: str, value: str, programme: str, wave: str):
    """The codebook declares ``key: value`` for the wave (anchors expanded on rewrite)."""
    def edit(text: str) -> str:
        book = yaml.safe_load(text)
        book["waves"][wave][key] = value
        return yaml.safe_dump(book, allow_unicode=True, sort_keys=False)
    return codebook_edit(programme, edit)


def _post_repeats_pre_dates(surveys: Path) -> None:
    """The post export's date columns replaced by the pre export's, row by row (a date column
    pasted from the wrong file): for the people linked, post is as often before pre as after."""
    text, _, delimiter = _read(surveys, LIME, "pre")
    pre = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    stamps = ("startdate", "submitdate", "datestamp")
    dates = [[r[pre[0].index(s)] for s in stamps] for r in pre[1:]]

    def edit(rows):
        at = [rows[0].index(s) for s in stamps]
        for r, found in zip(rows[1:], dates, strict=False):
            if r[at[1]] and found[1]:
                for i, value in zip(at, found, strict=True):
                    r[i] = _lime_post_date(value) if value else value
        return rows
    records_edit(LIME, "post", edit)(surveys)


def _lime_post_date(iso: str) -> str:
    """A pre date (``%Y-%m-%d %H:%M:%S``) written as the post export's ``%d/%m/%Y %H:%M``."""
    day, time = iso.split(" ")
    y, m, d = day.split("-")
    return f"{d}/{m}/{y} {time[:5]}"


def _site_renamed(surveys: Path) -> None:
    def edit(rows):
        at = rows[0].index("G02Q04")
        for r in rows[1:]:
            if r[at] == "Collège Jean-Macé (Dole)":
                r[at] = "College J. Mace Dole"
        return rows
    records_edit(LIME, "post", edit)(surveys)


def _alias(alias: str, of_label_start: str) -> Callable[[Path], None]:
    """The researcher declares ``alias`` for a site — here, by mistake, for the wrong one."""
    def mutate(surveys: Path) -> None:
        path = surveys / LIME / "sites.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        site = next(s for s in data["sites"] if s["label"].startswith(of_label_start))
        site["aliases"] = [*site.get("aliases", []), alias]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return mutate


def _resubmission(surveys: Path) -> None:
    """Record 3 answered again later, with other answers (same code, both complete)."""
    def edit(rows):
        header = rows[0]
        copy = list(rows[3])
        copy[header.index("id")] = "99999"
        copy[header.index("submitdate")] = "2025-09-30 10:00:00"
        item = header.index("G03Q01[SQ001]")
        copy[item] = "A1" if copy[item] != "A1" else "A4"
        return rows + [copy]
    records_edit(LIME, "pre", edit)(surveys)


CASES: list[Case] = [
    # --- CSV structure: every record counted independently of the parser
    Case("unbalanced_quote_in_comment", LIME, "pre",
         line_edit(LIME, "pre", 12, lambda s: s.rsplit(";", 1)[0] + ';"Super visite;' +
                   s.rsplit(";", 1)[1]), exit=1, message=("guillemet", "12")),
    Case("unbalanced_quote_google", GOOGLE, "pre",
         line_edit(GOOGLE, "pre", 8, lambda s: s.replace(",", ',"', 1)), exit=1,
         message=("guillemet", "8")),
    Case("trailing_delimiter_on_data_lines", LIME, "pre",
         text_edit(LIME, "pre", lambda t: "\n".join(
             line + (";" if i and line.strip() else "") for i, line in enumerate(t.split("\n")))),
         note=("séparateur", "en trop")),
    Case("ragged_row_short", LIME, "pre", records_edit(LIME, "pre", _drop_field(3)),
         exit=1, message=("ligne 4 : 37 champs",)),
    Case("ragged_row_long", LIME, "pre",
         line_edit(LIME, "pre", 9, lambda s: s.replace(";", ";;", 1)), exit=1,
         message=("ligne 9",)),
    Case("nul_byte", LIME, "pre", line_edit(LIME, "pre", 6, lambda s: s[:20] + "\x00" + s[20:]),
         exit=1, message=("ligne 6",)),
    Case("one_megabyte_cell", LIME, "pre", set_identifier(LIME, "pre", 4, 1, "x" * 1_100_000),
         exit=1, message=("ligne 5",)),
    Case("utf16_with_bom", LIME, "pre", _utf16(True), note=("encoding: utf-16",)),
    Case("utf16_without_bom", LIME, "pre", _utf16(False), note=("encoding: utf-16-le",)),
    Case("empty_file", LIME, "pre", _empty(LIME, "pre"), exit=1, message=("vide",)),
    Case("header_only", LIME, "pre", _header_only(LIME, "pre"), exit=1,
         message=("nombre de lignes", "[5 ; 2000000]")),
    Case("truncated_mid_record", GOOGLE, "pre", _truncate(GOOGLE, "pre", 0.5), exit=1,
         message=("inconnu", "ligne(s) 118")),
    # --- encodings and separators: detected, and the codebook value to set is said
    Case("declared_utf8_is_cp1252", LIME, "post", _declared("encoding", "utf-8", LIME, "post"),
         note=("encoding: cp1252",)),
    Case("declared_comma_is_semicolon", LIME, "pre", _declared("delimiter", ",", LIME, "pre"),
         note=('delimiter: ";"',)),
    Case("declared_semicolon_is_comma", GOOGLE, "pre",
         _declared("delimiter", ";", GOOGLE, "pre"), note=('delimiter: ","',)),
    # --- headers
    Case("header_nbsp_and_trailing_spaces", GOOGLE, "pre", _nbsp_header, note=("U+00A0",)),
    Case("header_renamed", GOOGLE, "pre", _rename_header, exit=1,
         message=("colonne manquante « Vous êtes : »", "colonne inattendue « Genre »")),
    Case("header_duplicated_csv", LIME, "pre",
         line_edit(LIME, "pre", 1, lambda s: s.replace("ipaddr", "G02Q01")), exit=1,
         message=("double",)),
    # --- workbooks
    Case("xlsx_title_row", MSFORMS, "pre", workbook_edit(MSFORMS, "pre", _title_row),
         note=("header_row: 2",)),
    Case("xlsx_duplicated_header", MSFORMS, "pre",
         workbook_edit(MSFORMS, "pre", _duplicate_header), exit=1, message=("double",)),
    Case("xlsx_formula_without_cached_value", MSFORMS, "pre",
         workbook_edit(MSFORMS, "pre", _formula_without_value), exit=1, message=("formule",)),
    Case("xlsx_that_is_a_csv", MSFORMS, "pre", _csv_as_xlsx, exit=1, message=("Excel",)),
    Case("xlsx_truncated", MSFORMS, "pre", _truncate(MSFORMS, "pre", 0.6), exit=1,
         message=("Excel",)),
    Case("xlsx_empty_file", MSFORMS, "pre", _empty(MSFORMS, "pre"), exit=1, message=("vide",)),
    # --- values: quarantined with their reason, never echoed
    Case("email_in_age_csv", LIME, "pre", set_variable(LIME, "pre", 5, "age", EMAIL),
         outcome=("quarantined", "parse_error"), payloads=(EMAIL,)),
    Case("email_in_age_xlsx", MSFORMS, "pre", xlsx_set_variable(MSFORMS, "pre", 5, "age", EMAIL),
         outcome=("quarantined", "value_range"), payloads=(EMAIL,)),
    Case("phone_in_age_google", GOOGLE, "pre", set_variable(GOOGLE, "pre", 3, "age", PHONE),
         outcome=("quarantined", "value_range"), payloads=(PHONE,)),
    Case("formula_as_site_csv", LIME, "pre", set_variable(LIME, "pre", 6, "site", FORMULA),
         outcome=("quarantined", "unknown_site"), payloads=(FORMULA, "HYPERLINK")),
    Case("formula_as_site_xlsx", MSFORMS, "pre",
         xlsx_set_variable(MSFORMS, "pre", 6, "site", FORMULA),
         outcome=("quarantined", "unknown_site"), payloads=("HYPERLINK",)),
    Case("html_as_site", GOOGLE, "pre", set_variable(GOOGLE, "pre", 4, "site", HTML),
         outcome=("quarantined", "unknown_site"), payloads=(HTML, "<script")),
    Case("name_typed_as_session", GOOGLE, "pre", set_variable(GOOGLE, "pre", 2, "site", NAME),
         outcome=("quarantined", "unknown_site"), payloads=(NAME,)),
    Case("name_typed_as_session_xlsx", MSFORMS, "pre",
         xlsx_set_variable(MSFORMS, "pre", 2, "site", NAME),
         outcome=("quarantined", "unknown_site"), payloads=(NAME,)),
    Case("email_and_phone_in_comment", LIME, "pre",
         set_identifier(LIME, "pre", 3, 1, f"Appelez-moi {PHONE} ou {EMAIL}"), exit=0,
         payloads=(PHONE, EMAIL)),
    Case("formula_in_comment", GOOGLE, "pre", set_identifier(GOOGLE, "pre", 7, 1, FORMULA),
         exit=0, payloads=("HYPERLINK",)),
    Case("unknown_likert_label", LIME, "pre",
         set_variable(LIME, "pre", 3, "image_1", "A9"), exit=1,
         message=("« A9 » inconnu", "ligne(s) 4", "labels.likert")),
    Case("impossible_date", LIME, "pre",
         set_variable(LIME, "pre", 10, "submitted_at", "2025-02-31 10:00:00"),
         outcome=("quarantined", "parse_error")),
    Case("decimal_comma_age", GOOGLE, "pre", set_variable(GOOGLE, "pre", 11, "age", "15,5"),
         outcome=("quarantined", "parse_error")),
    Case("essai_in_comment_is_a_test", LIME, "pre",
         set_identifier(LIME, "pre", 12, 1, "ESSAI - ne pas compter"),
         outcome=("excluded", "test_submission")),
    Case("duplicated_record", LIME, "pre", records_edit(LIME, "pre", _duplicate_record(14)),
         delta=1, outcome=("excluded", "exact_duplicate")),
    Case("resubmission_same_code", LIME, "pre", _resubmission, delta=1,
         outcome=("excluded", "resubmission")),
    # --- corrections file
    Case("corrections_yaml_syntax_error", LIME, "pre",
         corrections(LIME, "pre:12: {age: 15\npre:13: keep\n"), exit=1,
         message=("corrections.yaml", "ligne")),
    Case("corrections_without_wave_prefix", LIME, "pre", corrections(LIME, "12: keep\n"),
         exit=1, message=("corrections.yaml",)),
    Case("corrections_unknown_row", LIME, "pre", corrections(LIME, "pre:99999: keep\n"),
         exit=1, message=("pre:99999",)),
    Case("corrections_unknown_column", LIME, "pre",
         corrections(LIME, "pre:12: {pointure: 42}\n"), exit=1, message=("pointure",)),
    # --- codebook / export mismatch
    Case("codebook_names_a_missing_column", LIME, "pre",
         codebook_edit(LIME, lambda t: t.replace("site: G02Q04", "site: G02Q99", 1)), exit=1,
         message=("colonne manquante « G02Q99 »", "codebook.yaml:")),
    # --- across waves (link stage)
    Case("post_repeats_pre_dates", LIME, "post", _post_repeats_pre_dates, exit=1,
         message=("post.csv", "pre.csv"), stages=("ingest", "validate", "link")),
    Case("post_answer_sent_before_its_pre", LIME, "post",
         both(set_variable(LIME, "post", 1, "started_at", "01/09/2025 09:50"),
              set_variable(LIME, "post", 1, "submitted_at", "01/09/2025 10:00")),
         stages=("ingest", "validate", "link"), log=("1 link(s) cut",)),
    Case("site_renamed_at_post", LIME, "post", _site_renamed,
         outcome=("quarantined", "unknown_site"), stages=("ingest", "validate", "link")),
    Case("site_renamed_at_post_declared_as_alias", LIME, "post",
         both(_site_renamed, _alias("College J. Mace Dole", "Collège Louis-Pergaud")),
         stages=("ingest", "validate", "link"),
         log=("site « Collège Jean-Macé (Dole) », vague « post » : aucune réponse",)),
]
