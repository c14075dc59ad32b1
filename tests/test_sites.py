"""Declared sites, designated test fields and resubmissions, on planted exports.

Nothing typed in a site field is published unless it is declared in ``sites.yaml``: a formula,
a name, an unknown school go to quarantine with a reason that does not repeat them; aliases and
spelling variants are published under the declared label.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from impact.errors import DataError
from impact.ingest.harmonise import ingest_export
from impact.safety import FORMULA_STARTS
from impact.survey.codebook import load_codebook
from impact.survey.sites import load_sites, site_key
from tests.conftest import REPO, SURVEYS
from tests.test_validate import CONFIG, MARKERS, run_export

PROGRAMME, WAVE = "industrie_transition", "pre"
FORMULA = '=HYPERLINK("http://x","clic")'
NAME = "Jean Dupont"


# --- the site list itself ------------------------------------------------------------------


def write_sites(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_spelling_variants_match_the_declared_site(tmp_path):
    sites = load_sites(write_sites(tmp_path, """sites:
  - code: jules_haag
    label: "Lycée Jules-Haag (Besançon)"
    aliases: ["Lycée d’Haag"]
    expected: 120
"""))
    typed = pd.Series(["LYCEE JULES - HAAG  (besançon)", "Lycée Jules‑Haag\u00a0(Besançon)",
                       "lycée d'haag", "Lycée Jules-Haag", None, "Jules Haag"])
    assert sites.match(typed).tolist()[:3] == ["jules_haag"] * 3
    assert sites.match(typed).isna().tolist()[3:] == [True, True, True]
    assert sites.labels == {"jules_haag": "Lycée Jules-Haag (Besançon)"}
    assert sites.sites[0].expected == 120
    assert site_key("Semaine du 13/10/2025 – Belfort") == site_key("semaine du 13/10/2025-belfort")


def test_one_spelling_cannot_name_two_sites(tmp_path):
    path = write_sites(tmp_path, """sites:
  - code: a
    label: "Collège Pasteur"
  - code: b
    label: "Lycée Pasteur"
    aliases: ["College  PASTEUR"]
""")
    with pytest.raises(DataError, match=r"sites\.yaml:6 \(sites\.1\.aliases\.0\).*désigne déjà "
                                        r"le site « a »"):
        load_sites(path)


@pytest.mark.parametrize("entry, fragment", [
    ('  - code: a\n    aliases: ["x"]\n', "'label' is a required property"),
    ('  - code: a\n    label: "=HYPERLINK(1)"\n', "(sites.0.label)"),
    ('  - code: A b\n    label: "x"\n', "(sites.0.code)"),
    ('  - code: a\n    label: "x"\n    expected: -3\n', "(sites.0.expected)"),
])
def test_schema_problems_are_located(tmp_path, entry, fragment):
    with pytest.raises(DataError, match="non conforme au schéma") as error:
        load_sites(write_sites(tmp_path, "sites:\n" + entry))
    assert fragment in str(error.value)
    assert "sites.yaml:" in str(error.value)


def test_missing_list_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="Liste des sites introuvable.*code, label, aliases"):
        load_sites(tmp_path / "sites.yaml")


@pytest.mark.parametrize("programme", ["cordee", "semaines_apprenantes", "industrie_transition"])
def test_example_lists_label_every_site_of_the_simulation(programme):
    spec = yaml.safe_load((SURVEYS / "simulation.yaml").read_text(encoding="utf-8"))
    sites = load_sites(SURVEYS / programme / "sites.yaml")
    assert [s.label for s in sites.sites] == spec["programmes"][programme]["sites"]
    assert all(s.expected for s in sites.sites)


# --- planted exports ------------------------------------------------------------------------


def clean_lines(programme: str, wave: str, k: int) -> list[int]:
    """Lines of ``k`` rows the simulator left clean (no planted mess)."""
    truth = pd.read_csv(SURVEYS / programme / "ground_truth_rows.csv")
    rows = truth[(truth["wave"] == wave) & (truth["mess"] == "none")]
    return rows["source_line"].iloc[:k].tolist()


def set_cells(path: Path, column: str, values: dict[int, str]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book.active
    index = [c.value for c in sheet[1]].index(column) + 1
    for line, value in values.items():
        cell = sheet.cell(row=line, column=index, value=value)
        cell.data_type = "s"  # typed text, as a form tool exports it (not a formula cell)
    book.save(path)


@pytest.fixture()
def planted(surveys_copy):
    """industrie_transition pre with a formula, a name, an alias and a variant as sessions."""
    lines = clean_lines(PROGRAMME, WAVE, 4)
    set_cells(surveys_copy / PROGRAMME / "pre.xlsx", "Session", {
        lines[0]: FORMULA, lines[1]: NAME, lines[2]: "session 1 besancon",
        lines[3]: "SESSION 2 - BELFORT (OCT. 2025)"})
    return surveys_copy, [f"{WAVE}:{line}" for line in lines]


def test_unknown_sites_are_quarantined_without_repeating_them(planted, instrument, demo_key,
                                                               tmp_path):
    surveys, (formula, name, alias, variant) = planted
    interim, result = run_export(surveys, PROGRAMME, WAVE, instrument, demo_key, tmp_path)
    quarantine = result.quarantine.set_index("row_id")
    for row in (formula, name):
        assert quarantine.loc[row, "checks"] == "unknown_site"
        reason = quarantine.loc[row, "reasons"]
        assert "non déclaré(e) dans sites.yaml" in reason and "alias" in reason
        assert "HYPERLINK" not in reason and "Dupont" not in reason
    assert result.accounting["quarantine_checks"]["unknown_site"] == 2
    kept = result.kept.set_index("row_id")
    assert kept.loc[alias, "site"] == "Session 1 – Besançon (sept. 2025)"
    assert kept.loc[variant, "site"] == "Session 2 – Belfort (oct. 2025)"
    assert kept.loc[alias, "site_code"] == "session_1_besancon_sept_2025"
    # the interim table (results/) never holds the typed values; the restricted codes do
    for frame in (interim, result.quarantine, result.kept):
        assert not any("HYPERLINK" in v or "Dupont" in v for v in _cells(frame))
    declared = set(load_sites(surveys / PROGRAMME / "sites.yaml").labels.values())
    assert set(result.kept["site"].dropna()) <= declared


def test_typed_value_stays_in_the_restricted_codes(planted, instrument, demo_key):
    surveys, (formula, name, alias, _) = planted
    book = load_codebook(surveys / PROGRAMME / "codebook.yaml", instrument)
    codes = ingest_export(book, WAVE, instrument, key=demo_key, test_markers=MARKERS,
                          surveys_dir=surveys).codes.set_index("row_id")
    assert codes.loc[formula, "site_typed"] == FORMULA
    assert codes.loc[name, "site_typed"] == NAME
    assert pd.isna(codes.loc[alias, "site_typed"])


def test_stage_outputs_hold_no_formula_and_no_typed_name(planted, tmp_path):
    """The ingest and validate stages, as the workflow runs them, on the planted export."""
    from impact import stages

    surveys, _ = planted
    out = tmp_path / "results"
    book = str(surveys / PROGRAMME / "codebook.yaml")
    instrument = str(surveys / "instrument.yaml")
    stages.ingest(instrument_path=instrument, codebook_path=book, wave=WAVE,
                  surveys_dir=str(surveys), test_markers=MARKERS,
                  pseudonymisation={"demo_key": True}, interim=str(out / "interim.parquet"),
                  report=str(out / "ingest.json"), codes=str(tmp_path / "restricted.parquet"),
                  sites_path=str(surveys / PROGRAMME / "sites.yaml"))
    names = ["kept.parquet", "quarantine.csv", "excluded.csv", "checks.csv",
             "accounting.json", "corrections.csv"]
    paths = {n.split(".")[0]: str(out / n) for n in names}
    stages.validate(instrument_path=instrument, codebook_path=book, wave=WAVE,
                    config={k: CONFIG[k] for k in ("validation", "campaign", "programmes")},
                    interim=str(out / "interim.parquet"),
                    corrections=str(surveys / PROGRAMME / "corrections.yaml"),
                    context_dir=str(tmp_path / "gx"), kept=paths["kept"],
                    quarantine=paths["quarantine"], excluded=paths["excluded"],
                    quarantine_detail=str(tmp_path / "restricted_quarantine.csv"),
                    checks=paths["checks"], accounting=paths["accounting"],
                    corrections_log=paths["corrections"])
    assert json.loads((out / "accounting.json").read_text())["quarantine_checks"][
        "unknown_site"] == 2
    for path in out.glob("*.csv"):
        for row in csv.reader(path.open(encoding="utf-8")):
            assert not any(cell.startswith(FORMULA_STARTS) and not _number(cell)
                           for cell in row), (path.name, row)
            assert not any("HYPERLINK" in cell or "Dupont" in cell for cell in row), path.name
    for path in out.glob("*.parquet"):
        assert not any("HYPERLINK" in v or "Dupont" in v
                       for v in _cells(pd.read_parquet(path))), path.name


def _cells(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.to_numpy(dtype=object).ravel()]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_workflow_takes_the_site_list_as_an_input():
    rule = (REPO / "workflow" / "rules" / "ingest.smk").read_text(encoding="utf-8")
    assert "sites=sites_file" in rule


# --- test markers: only in the designated fields --------------------------------------------


def test_markers_only_in_designated_fields_whole_words_any_accent(surveys_copy, instrument,
                                                                  demo_key):
    book_path = surveys_copy / PROGRAMME / "codebook.yaml"
    text = book_path.read_text(encoding="utf-8")
    book_path.write_text(text.replace("\nwaves:\n", "\ntest_fields: [Nom]\n\nwaves:\n", 1),
                         encoding="utf-8")
    a, b, c, d = clean_lines(PROGRAMME, WAVE, 4)
    path = surveys_copy / PROGRAMME / "pre.xlsx"
    set_cells(path, "Nom", {a: "ESSAI !", b: "Mme Essaie", c: "éssai"})
    set_cells(path, "Adresse de messagerie", {d: "j'ai fait un essai de soudure"})
    book = load_codebook(book_path, instrument)
    frame = ingest_export(book, WAVE, instrument, key=demo_key, test_markers=MARKERS,
                          surveys_dir=surveys_copy).interim.set_index("source_line")
    assert frame.loc[a, "is_test"] and frame.loc[a, "test_evidence"] == "Nom"
    assert frame.loc[c, "is_test"]  # accents do not hide a marker
    assert not frame.loc[b, "is_test"]  # « essaie » is another word
    assert not frame.loc[d, "is_test"]  # not a designated field
    assert book.waves[WAVE].test_fields == ("Nom",)


def test_default_test_fields_are_identifiers_and_code_fields(codebooks):
    spec = codebooks["industrie_transition"].waves["pre"]
    assert spec.test_fields[:2] == ("Adresse de messagerie", "Nom")
    assert spec.columns["code_mother"] in spec.test_fields
    assert spec.columns["site"] not in spec.test_fields


def test_unknown_test_field_is_a_located_error(surveys_copy, instrument):
    book_path = surveys_copy / PROGRAMME / "codebook.yaml"
    text = book_path.read_text(encoding="utf-8")
    book_path.write_text(text.replace("\nwaves:\n", "\ntest_fields: [Commentaire]\n\nwaves:\n",
                                      1), encoding="utf-8")
    with pytest.raises(DataError, match=r"codebook\.yaml:\d+ \(test_fields\.0\).*"
                                        r"« Commentaire » n'est ni une variable"):
        load_codebook(book_path, instrument)


# --- resubmissions ---------------------------------------------------------------------------


def test_resubmission_rule_is_configurable(instrument, demo_key, tmp_path):
    truth = pd.read_csv(SURVEYS / "cordee" / "ground_truth_rows.csv")
    pairs = truth[(truth["wave"] == "post") & (truth["mess"] == "resubmission")]
    ids = ("post:" + pairs["source_line"].astype(str)).tolist()
    assert len(ids) == 4  # two respondents, each sent two complete answers
    _, last = run_export(SURVEYS, "cordee", "post", instrument, demo_key, tmp_path / "a")
    excluded = last.excluded.set_index("row_id")
    first_copies = [i for i in ids if i in excluded.index]
    assert len(first_copies) == 2 and len(set(ids) & set(last.kept["row_id"])) == 2
    assert set(excluded.loc[first_copies, "exclusion"]) == {"resubmission"}
    reason = excluded.loc[first_copies[0], "exclusion_reason"]
    assert reason.startswith("nouvel envoi du même répondant") and "est conservée" in reason
    acc = last.accounting
    assert acc["read"] == acc["kept"] + acc["quarantined"] + acc["excluded"]
    assert acc["excluded_by_reason"]["resubmission"] == 2

    config = json.loads(json.dumps(CONFIG))
    config["validation"]["resubmission"] = "quarantine_both"
    _, both = run_export(SURVEYS, "cordee", "post", instrument, demo_key, tmp_path / "b",
                         config)
    quarantine = both.quarantine.set_index("row_id")
    assert set(quarantine.loc[ids, "checks"]) == {"duplicate_code"}
    assert "resubmission" not in both.accounting["excluded_by_reason"]
    assert both.accounting["kept"] == acc["kept"] - 2
