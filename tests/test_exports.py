"""Deliverables for evaluators (impact.toolkit.exports, impact.toolkit.dictionary): every file
is read back with another library (openpyxl, pandas, pyreadstat, pyarrow, frictionless) and
compared with its source — hand-made published tables and a small hand-made panel here; the
example run's files at the end of tests/test_example_run.py (section « exports »)."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
import yaml
from openpyxl import load_workbook

import impact.indicators.insertion  # noqa: F401  (registers the insertion indicator codes)
from impact.errors import ConfigError, DataError
from impact.indicators import contract
from impact.toolkit import dictionary, exports
from tests.conftest import SURVEYS

NUMBERS = ["n", "estimate", "ci_low", "ci_high", "effect_size", "statistic", "df", "p_value",
           "p_adjusted"]
#: Columns disclosure control blanks in a suppressed row (docs/disclosure.md), n aside.
SECRET_COLUMNS = ["estimate", "ci_low", "ci_high", "effect_size", "statistic", "df",
                  "p_value", "p_adjusted"]
PLANTED = 0.7777771  # a "hidden" value planted in suppressed rows of a tampered CSV
FORMULA = '=HYPERLINK("http://x.example","clic")'


def _rows() -> list[dict]:
    base = dict(programme="alpha", measure="image", wave_from="pre", wave_to="post",
                subgroup="all", subgroup_value="", method="paired_t")
    return [
        dict(base, indicator="mean_change", n=120, estimate=0.4213, ci_low=-0.1, ci_high=0.9,
             unit="points", effect_size=0.31, es_type="d_z", statistic=2.5, df=119,
             p_value=0.0123, p_adjusted=0.03, suppression="shown"),
        dict(base, measure="employment", indicator="rate", n=50, estimate=0.423, ci_low=0.3,
             ci_high=0.55, unit="proportion", method="wilson", suppression="shown"),
        dict(base, indicator="mean_change", subgroup="site", subgroup_value="Lycée A",
             unit="points", suppressed=True, suppression="primary"),           # n blanked
        dict(base, measure="employment", indicator="rate", subgroup="gender",
             subgroup_value="F", n=40, unit="proportion", suppressed=True,
             suppression="primary"),                                         # numerator
        dict(base, indicator="mean_change", subgroup="site", subgroup_value="Lycée B",
             unit="points", suppressed=True, suppression="secondary"),
        dict(base, indicator="respondents", subgroup="site", subgroup_value=FORMULA, n=1234,
             estimate=1234, unit="count", flag="-note", suppression="shown"),
    ]


def _publish(root, rows, *, tamper: bool = False):
    """A data package like publish's: two tables (``alpha``, ``pooled``) in ``root``."""
    table = contract.tidy(rows)
    paths = {"alpha": "indicators/alpha.csv", "pooled": "indicators/pooled.csv"}
    (root / "indicators").mkdir(parents=True, exist_ok=True)
    for rel in paths.values():
        contract.write_csv(table, root / rel)
        if tamper:  # a CSV that still carries numbers in its suppressed rows
            raw = pd.read_csv(root / rel, dtype=str, keep_default_na=False)
            hidden = raw["suppression"] != "shown"
            raw.loc[hidden, SECRET_COLUMNS] = str(PLANTED)
            raw.to_csv(root / rel, index=False)
    package = contract.datapackage(paths, title="Test", description="Test",
                                   code_lists=contract.code_lists(table))
    contract.write_datapackage(package, root / "datapackage.json")
    return exports.read_published(root / "datapackage.json")


def _expected_secret(raw: pd.DataFrame) -> pd.DataFrame:
    """Where « s. » must be, from the published CSV read as text (independent of the code)."""
    hidden = raw["suppression"].isin(["primary", "secondary"])
    out = pd.DataFrame(False, index=raw.index, columns=raw.columns)
    for column in SECRET_COLUMNS:
        out[column] = hidden
    out["n"] = hidden & (raw["n"] == "")
    return out


@pytest.fixture()
def published(tmp_path):
    return _publish(tmp_path / "results", _rows())


def _write(tables, path):
    notes = {t.name: exports.notes(t, campaign="Campagne test", synthetic=True,
                                   programmes={"alpha": "Programme Alpha"}, version="9.9",
                                   measures={"image": "Image de l'industrie"})
             for t in tables}
    exports.write_workbook(tables, path, title="Impact ITIP — test", table_notes=notes)


def test_workbook_sheet_per_table_secret_cells_formats_and_headers(published, tmp_path):
    path = tmp_path / "t.xlsx"
    _write(published, path)
    book = load_workbook(path)
    assert book.sheetnames == ["Lisez-moi", "alpha", "pooled"]
    for table in published:
        sheet = book[table.name]
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        assert header[:4] == ["Programme", "Mesure", "Indicateur", "Sous-groupe"]
        assert "Estimation" in header and "IC 95 % bas" in header
        raw = pd.read_csv(table.path, dtype=str, keep_default_na=False)
        secret = _expected_secret(raw)
        cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        assert len(cells) == len(raw)
        for i, row in raw.iterrows():
            for j, column in enumerate(raw.columns):
                value = cells[i][j]
                if secret.loc[i, column]:
                    assert value == "s.", (i, column)
                elif column in NUMBERS:
                    assert value == (None if row[column] == "" else
                                     pytest.approx(float(row[column]))), (i, column)
                else:
                    assert "s." != value
        formats = {column: [sheet.cell(i + 2, j + 1).number_format for i in range(len(raw))]
                   for j, column in enumerate(raw.columns)}
        # locale-independent codes: "." is the reader's decimal separator, never ","
        assert formats["estimate"][0] == "0.00" and formats["p_value"][0] == "0.000"
        assert formats["estimate"][1] == formats["ci_low"][1] == "0.0\\ %"
        assert formats["n"][5] == "#,##0" and formats["estimate"][5] == "#,##0"
        assert not any("," in f and "#,##0" not in f for col in formats.values() for f in col)


def test_workbook_formula_safe_and_notes(published, tmp_path):
    path = tmp_path / "t.xlsx"
    _write(published, path)
    book = load_workbook(path)
    values = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert "'" + FORMULA in values and FORMULA not in values
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)
    readme = [[c.value for c in row] for row in book["Lisez-moi"].iter_rows()]
    for name in ("alpha", "pooled"):
        at = next(i for i, r in enumerate(readme) if r[0] == f"Feuille « {name} »")
        assert [r[0] for r in readme[at + 1:at + 4]] == ["Lecture", "Champ", "Source"]
        lecture, champ = readme[at + 1][1], readme[at + 2][1]
        assert "+0,42 (unité : points)" in lecture and "n = 120" in lecture  # first change
        assert "« Image de l'industrie »" in lecture
        assert "Programme Alpha" in champ and "synthétiques" in champ
    columns = [r[0] for r in readme if r[0] in contract.COLUMNS]
    assert columns == list(contract.COLUMNS)


def test_no_suppressed_value_anywhere_in_the_workbook_or_french_csv(tmp_path):
    """Even from a CSV that still holds numbers in its suppressed rows, nothing leaks."""
    tables = _publish(tmp_path / "results", _rows(), tamper=True)
    path = tmp_path / "t.xlsx"
    _write(tables, path)
    book = load_workbook(path)
    numbers = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [v for v in numbers if isinstance(v, float) and abs(v - PLANTED) < 1e-6]
    assert not [v for v in numbers if isinstance(v, str) and "7777" in v]
    assert numbers.count("s.") == 2 * (3 * len(SECRET_COLUMNS) + 2)
    exports.write_french_csv(tables[0], tmp_path / "fr.csv")
    text = (tmp_path / "fr.csv").read_text(encoding="utf-8-sig")
    assert "7777" not in text


def test_french_csv_reads_back_in_the_french_excel_dialect(published, tmp_path):
    table = published[0]
    path = tmp_path / "fr.csv"
    exports.write_french_csv(table, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "\n" not in path.read_bytes().replace(b"\r\n", b"").decode("utf-8-sig")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)
    raw = pd.read_csv(table.path, dtype=str, keep_default_na=False)
    assert list(back.columns) == list(raw.columns)
    secret = _expected_secret(raw)
    assert ((back == "s.") == secret).all().all()
    numeric = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig",
                          na_values=["s.", ""], keep_default_na=False)
    source = pd.read_csv(table.path)
    for column in NUMBERS:
        np.testing.assert_allclose(numeric[column][~secret[column]],
                                   source[column][~secret[column]])
    assert "0,4213" in path.read_text(encoding="utf-8-sig")
    assert (back["subgroup_value"] == "'" + FORMULA).sum() == 1
    assert (back["flag"] == "'-note").sum() == 1


def test_workbook_bytes_do_not_depend_on_the_time_of_writing(published, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795951218")
    _write(published, tmp_path / "a.xlsx")
    time.sleep(2.1)  # zip timestamps have a 2 s resolution
    _write(published, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_sheet_names_are_valid_and_unique():
    names = exports.sheet_names(["a" * 40, "a" * 40, "x/y:z", "Pooled", "pooled"])
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == 5
    assert names[2] == "x_y_z"


def test_missing_table_of_the_data_package_is_a_clear_error(published, tmp_path):
    published[0].path.unlink()
    with pytest.raises(ConfigError, match="does not exist; re-run the publish rule"):
        exports.read_published(tmp_path / "results" / "datapackage.json")


# ------------------------------------------------------------------------ the panel


@pytest.fixture()
def panel(instrument):
    """Three cordée pupils × two waves with the panel's column types (docs/contracts.md)."""
    ids = ["0123456789abcdef"] * 2 + ["fedcba9876543210"] * 2 + ["00ff00ff00ff00ff"] * 2
    frame = pd.DataFrame({
        "respondent_id": ids,
        "wave": pd.Categorical(["pre", "post"] * 3, categories=["pre", "post"], ordered=True),
        "link": ["baseline", "exact", "baseline", "tolerant", "baseline", "unmatched"],
        "row_id": ["pre:2", "post:5", "pre:3", "post:2", "pre:4", "post:9"],
        "source_file": ["cordee/pre.csv", "cordee/post.csv"] * 3,
        "source_line": pd.array([2, 5, 3, 2, 4, 9], dtype="Int64"),
        "submitted_at": pd.to_datetime(["2025-09-15 10:00", "2026-06-01 11:30"] * 3),
        "consent": pd.array([1] * 6, dtype="Int8"),
        "gender": pd.array(["F", "F", "M", "M", None, None], dtype="str"),
        "audience": ["collegien", "collegien", "lyceen", "lyceen", "lyceen", "lyceen"],
        "age": pd.array([13, 13, 16, 16, None, 17], dtype="Int64"),
        "site": ["Collège Zzyzx"] * 6,
        "site_unknown": [False] * 6,
        "image_1": pd.array([1, 4, 2, None, 3, 3], dtype="Int8"),
        "image_3": pd.array([4, 1, 3, 2, None, 4], dtype="Int8"),
        "intention": ["oui", "non", "nsp", "oui", None, "non"],
        "image": [1.5, 3.25, 2.0, np.nan, 3.0, 2.5],
        "image_pomp": [16.7, 75.0, 33.3, np.nan, 66.7, 50.0],
        "ipw_post": [1.1, 1.1, 0.9, 0.9, np.nan, np.nan],
    })
    return frame


def _write_panel(panel, instrument, codebooks, tmp_path):
    labels = dictionary.panel_labels(list(panel.columns), instrument, codebooks["cordee"])
    paths = {ext: tmp_path / f"cordee.{ext}" for ext in ("dta", "sav", "parquet")}
    exports.write_panel(panel, labels, file_label="Impact ITIP test", **paths)
    return paths


def _instrument_yaml() -> dict:
    return yaml.safe_load((SURVEYS / "instrument.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("ext", ["dta", "sav"])
def test_stata_and_spss_files_read_back_with_labels(panel, instrument, codebooks, tmp_path,
                                                    ext):
    paths = _write_panel(panel, instrument, codebooks, tmp_path)
    read = pyreadstat.read_dta if ext == "dta" else pyreadstat.read_sav
    data, meta = read(str(paths[ext]))
    spec = _instrument_yaml()
    labels = meta.column_names_to_labels
    assert labels["gender"] == spec["background"]["gender"]["label"]
    question = spec["scales"]["image"]["items"]["image_1"]["text"]
    assert labels["image_1"] == question  # < 80 characters: whole in Stata too
    assert labels["respondent_id"].startswith("Identifiant du répondant")
    assert all(len(v) <= 80 for v in labels.values()) or ext == "sav"
    accord4 = {float(k): v for k, v in spec["response_scales"]["accord4"]["codes"].items()}
    values = meta.variable_value_labels
    assert {float(k): v for k, v in values["image_1"].items()} == accord4
    # values: Likert codes as they are, coded text through the value labels
    np.testing.assert_array_equal(data["image_1"].to_numpy(dtype=float),
                                  panel["image_1"].astype("float64").to_numpy())
    gender = spec["background"]["gender"]["codes"]
    shown = data["gender"].map(values["gender"]).fillna("")
    assert shown.tolist() == [gender.get(g, "") if isinstance(g, str) else ""
                              for g in panel["gender"].astype(object)]
    intention = spec["single_items"]["intention"]["codes"]
    assert data["intention"].map(values["intention"]).tolist()[:4] == \
        [intention[c] for c in ["oui", "non", "nsp", "oui"]]
    assert data["respondent_id"].tolist() == panel["respondent_id"].tolist()
    assert data["site"].tolist() == panel["site"].tolist()
    assert pd.to_datetime(data["submitted_at"]).tolist() == panel["submitted_at"].tolist()
    np.testing.assert_allclose(data["image_pomp"], panel["image_pomp"])
    assert [values["wave"][w] for w in data["wave"]] == list(panel["wave"].astype(str))
    if ext == "sav":  # SPSS measurement levels
        measure = meta.variable_measure
        assert (measure["image_1"], measure["gender"], measure["age"], measure["site"]) == \
            ("ordinal", "nominal", "scale", "nominal")


def test_parquet_keeps_codes_and_carries_labels(panel, instrument, codebooks, tmp_path):
    paths = _write_panel(panel, instrument, codebooks, tmp_path)
    pd.testing.assert_frame_equal(pd.read_parquet(paths["parquet"]), panel)
    meta = json.loads(pq.read_schema(paths["parquet"]).metadata[b"impact.labels"])
    spec = _instrument_yaml()
    assert meta["gender"]["codes"] == spec["background"]["gender"]["codes"]
    assert meta["image_3"]["label"] == spec["scales"]["image"]["items"]["image_3"]["text"]
    assert set(meta) == set(panel.columns)


def test_panel_bytes_do_not_depend_on_the_time_of_writing(panel, instrument, codebooks,
                                                          tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795951218")
    first = {k: p.read_bytes() for k, p in
             _write_panel(panel, instrument, codebooks, tmp_path / "a").items()}
    time.sleep(1.1)
    second = {k: p.read_bytes() for k, p in
              _write_panel(panel, instrument, codebooks, tmp_path / "b").items()}
    assert first == second
    assert b"29 Nov 2026 11:20" in first["dta"]  # SOURCE_DATE_EPOCH, UTC


@pytest.mark.parametrize("column", ["code_hash", "code_mother", "email", "test_flag"])
def test_a_panel_with_an_identifier_or_a_code_is_refused(panel, column):
    bad = panel.assign(**{column: "x"})
    with pytest.raises(DataError, match=f"colonnes interdites.*{column}"):
        exports.assert_pseudonymised(bad, source="p.parquet", free_text=["test_flag"])


def test_a_column_the_codebook_declares_an_identifier_is_refused(panel, codebooks):
    declared = codebooks["cordee"].waves["pre"].identifiers
    assert "G05Q01" in declared  # declared a direct identifier by the example codebook
    with pytest.raises(DataError, match="colonnes interdites.*G05Q01"):
        exports.assert_pseudonymised(panel.assign(G05Q01="x"), source="p", free_text=[],
                                     identifiers=declared)
    exports.assert_pseudonymised(panel, source="p", free_text=[], identifiers=declared)


def test_a_panel_without_the_keyed_hash_is_refused(panel):
    with pytest.raises(DataError, match="respondent_id"):
        exports.assert_pseudonymised(panel.assign(respondent_id="AB12"), source="p",
                                     free_text=[])


def test_an_unlabelled_column_or_code_is_a_clear_error(panel, instrument, codebooks):
    with pytest.raises(ConfigError, match="'mystery' has no label"):
        dictionary.panel_labels([*panel.columns, "mystery"], instrument, codebooks["cordee"])
    labels = dictionary.panel_labels(list(panel.columns), instrument, codebooks["cordee"])
    with pytest.raises(DataError, match="colonne gender : codes sans libellé.*Q"):
        exports.stata_frame(panel.assign(gender="Q"), labels)


# ------------------------------------------------------------------------ the dictionary


def test_dictionary_describes_variables_codes_and_sources_without_values(
        panel, instrument, codebooks, tmp_path):
    frames = dictionary.dictionary_frames({"cordee": panel.iloc[:0]}, instrument, codebooks)
    path = tmp_path / "dico.xlsx"
    exports.write_dictionary(frames, path, title="Dictionnaire test")
    book = load_workbook(path)
    assert book.sheetnames == ["Lisez-moi", "Variables", "Codes", "Sources"]
    sheets = {name: pd.DataFrame(list(book[name].values)[1:],
                                 columns=list(book[name].values)[0])
              for name in ("Variables", "Codes", "Sources")}
    variables = sheets["Variables"].set_index("Variable")
    assert list(variables.index) == list(panel.columns)
    spec = _instrument_yaml()
    assert variables.loc["image_3", "Item inversé"]  # reverse: true in the instrument
    assert not variables.loc["image_1", "Item inversé"]
    assert variables.loc["image_3", "Texte de la question"] == \
        spec["scales"]["image"]["items"]["image_3"]["text"]
    assert variables.loc["image_pomp", "Échelle"] == "image"
    codes = sheets["Codes"]
    gender = codes[codes["Variable"] == "gender"]
    assert dict(zip(gender["Code"], gender["Libellé"], strict=True)) == \
        spec["background"]["gender"]["codes"]
    assert sorted(gender["Code Stata / SPSS"]) == [1, 2, 3]
    book_yaml = yaml.safe_load((SURVEYS / "cordee" / "codebook.yaml").read_text("utf-8"))
    sources = sheets["Sources"]
    for wave, wave_spec in book_yaml["waves"].items():
        got = sources[(sources["Variable"] == "image_1") & (sources["Vague"] == wave)]
        assert got["Colonne de l'export"].tolist() == [wave_spec["columns"]["image_1"]]
    # no respondent value, even from a panel that has rows
    frames = dictionary.dictionary_frames({"cordee": panel}, instrument, codebooks)
    exports.write_dictionary(frames, path, title="Dictionnaire test")
    text = [str(c.value) for sheet in load_workbook(path) for r in sheet.iter_rows()
            for c in r]
    assert not [t for t in text if "Zzyzx" in t or re.search("0123456789abcdef", t)]


def test_table_schema_is_valid_and_validates_the_panel(panel, instrument, codebooks,
                                                       tmp_path):
    from frictionless import Resource, Schema

    frames = dictionary.dictionary_frames({"cordee": panel.iloc[:0]}, instrument, codebooks)
    path = tmp_path / "panel.schema.json"
    dictionary.write_schema(dictionary.table_schema(frames, "cordee"), path)
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert Schema.validate_descriptor(schema).valid
    fields = {f["name"]: f for f in schema["fields"]}
    assert [f["name"] for f in schema["fields"]] == list(panel.columns)
    assert fields["image_3"]["x-impact"]["reverse"] is True
    assert fields["gender"]["categories"][0] == {"value": "F", "label": "Femme / fille"}
    assert fields["image_1"]["x-impact"]["sources"]["pre"] == "G03Q01[SQ001]"

    def rows(frame):
        text = frame.astype(object).where(frame.notna(), "").astype(str)
        return [list(frame.columns), *text.to_numpy().tolist()]

    def valid(frame):
        return Resource(data=rows(frame), schema=Schema.from_descriptor(schema)) \
            .validate().valid

    as_text = panel.assign(submitted_at=panel["submitted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    assert valid(as_text)
    assert not valid(as_text.assign(gender="Q"))  # a code the instrument does not have
    assert not valid(as_text.assign(image_1=7))
