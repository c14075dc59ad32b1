"""`impact simulate`: reproducible byte for byte, realistic mess, planted truth on record."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from impact.cli import main
from tests.conftest import PROGRAMMES, SURVEYS

GENERATED = ["ground_truth.json", "ground_truth_rows.csv"]
DEFINITIONS = ["codebook.yaml", "sites.yaml"]


def exports(programme: str) -> list[str]:
    import yaml

    book = yaml.safe_load((SURVEYS / programme / "codebook.yaml").read_text())
    return [w["file"] for w in book["waves"].values()]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("campaign")
    seed = __import__("yaml").safe_load((SURVEYS / "simulation.yaml").read_text())["seed"]
    assert main(["simulate", "--spec", str(SURVEYS / "simulation.yaml"), "--out", str(out),
                 "--seed", str(seed)]) == 0
    return out


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_committed_example_is_reproduced_byte_for_byte(regenerated, programme):
    for name in exports(programme) + GENERATED + DEFINITIONS:
        committed = (SURVEYS / programme / name).read_bytes()
        assert (regenerated / programme / name).read_bytes() == committed, name


def test_other_seed_gives_other_data(tmp_path, regenerated):
    main(["simulate", "--spec", str(SURVEYS / "simulation.yaml"), "--out", str(tmp_path),
          "--seed", "7"])
    assert (tmp_path / "cordee" / "pre.csv").read_bytes() != \
        (regenerated / "cordee" / "pre.csv").read_bytes()


def test_formats_are_those_of_real_tools():
    lime = (SURVEYS / "cordee" / "pre.csv").read_bytes()
    assert lime.startswith(b"\xef\xbb\xbfid;submitdate;lastpage;startlanguage;seed;")
    post = (SURVEYS / "cordee" / "post.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        post.decode("utf-8")  # re-saved by Excel: Windows-1252
    google = (SURVEYS / "semaines_apprenantes" / "pre.csv").read_text(encoding="utf-8")
    assert google.startswith("Horodateur,Adresse e-mail,")
    header = pd.read_excel(SURVEYS / "industrie_transition" / "pre.xlsx", nrows=0).columns
    assert list(header[:5]) == ["ID", "Heure de début", "Heure de fin",
                                "Adresse de messagerie", "Nom"]


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_truth_rows_agree_with_mess_counts(programme):
    truth = json.loads((SURVEYS / programme / "ground_truth.json").read_text())
    rows = pd.read_csv(SURVEYS / programme / "ground_truth_rows.csv")
    singular = {"duplicates": "duplicate", "tests": "test", "no_consent": "no_consent",
                "incomplete": "incomplete", "speeders": "speeder",
                "straightliners": "straightliner", "bad_values": "bad_value"}
    for wave, counts in truth["mess"].items():
        planted = rows[rows["wave"] == wave]["mess"].value_counts()
        for kind, label in singular.items():
            assert planted.get(label, 0) == counts[kind], (wave, kind)
        # a resubmission is two rows of the same person
        assert planted.get("resubmission", 0) == 2 * counts["resubmissions"]


def test_planted_effects_are_on_record():
    truth = json.loads((SURVEYS / "cordee" / "ground_truth.json").read_text())
    # the planted DiD (effects) is distinct from the secular change of the comparison group
    assert truth["planted"]["effects"]["knowledge"] == 0.25
    assert truth["planted"]["secular_change"]["knowledge"] == 0.30
    assert truth["planted"]["site_effect_sd"] > 0 and truth["planted"]["site_change_sd"] > 0
    expected = truth["expected"]["scales"]["knowledge"]
    assert expected["participant"]["change"] > expected["comparison"]["change"] > 0
    assert expected["did"] == pytest.approx(expected["participant"]["change"]
                                            - expected["comparison"]["change"], abs=1e-3)
    assert truth["expected"]["scales"]["stereotypes"]["participant"]["change"] < 0


def test_respondents_rescales_the_campaign(tmp_path):
    assert main(["simulate", "--spec", str(SURVEYS / "simulation.yaml"), "--out",
                 str(tmp_path), "--respondents", "3440"]) == 0
    truth = json.loads((tmp_path / "cordee" / "ground_truth.json").read_text())
    assert truth["persons"] == 2400
    for name in ["instrument.yaml", "cordee/codebook.yaml"]:
        assert (tmp_path / name).read_bytes() == (SURVEYS / name).read_bytes()
    pre = pd.read_csv(tmp_path / "cordee" / "pre.csv", sep=";", encoding="utf-8-sig")
    assert pre["G02Q04"].nunique() == 20  # sites grow with the campaign
    # ... and every one of them is declared in the written campaign's site list
    from impact.survey.sites import load_sites

    declared = load_sites(tmp_path / "cordee" / "sites.yaml")
    assert len(declared.sites) == 20
    assert declared.match(pre["G02Q04"]).notna().all()
    assert "college_lucie_aubrac_besancon_groupe_2" in declared.labels


def test_simulate_reports_errors_without_traceback(tmp_path, capsys):
    spec = tmp_path / "simulation.yaml"
    shutil.copy(SURVEYS / "simulation.yaml", spec)
    assert main(["simulate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 1
    assert "Instrument introuvable" in capsys.readouterr().err
