"""``impact check``: passes on the example campaign, fails with the workflow's French message on
a broken codebook or export (in a temp copy of surveys/), never quotes an unknown site value."""

from __future__ import annotations

import csv
import io
from importlib.metadata import version

import pytest

from impact.cli import main
from tests.conftest import REPO

CONFIG = str(REPO / "config" / "config.yaml")


def check(surveys, *programmes: str) -> None:
    return main(["check", "--config", CONFIG, "--surveys", str(surveys), *programmes])


def rows_of(path, encoding: str, delimiter: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding=encoding)),
                               delimiter=delimiter))


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"impact {version('impact-itip')}"


def test_example_campaign_passes(surveys_copy, capsys):
    assert check(surveys_copy) == 0
    out = capsys.readouterr().out
    assert "Bilan : tout s'ingérerait (8 vague(s) sur 8)" in out
    # rows read: the number of records of the file, counted here by the csv module
    pre = rows_of(surveys_copy / "cordee" / "pre.csv", "utf-8-sig", ";")
    assert f"séparateur « ; », en-tête ligne 1, {len(pre)} ligne(s) lue(s)" in out
    assert "encodage cp1252" in out  # the post-week export re-saved by Excel
    assert "✗" not in out and "ERREUR" not in out


def test_renamed_column_names_the_nearest_header(surveys_copy, capsys):
    export = surveys_copy / "semaines_apprenantes" / "pre.csv"
    export.write_text(export.read_text(encoding="utf-8").replace("Votre âge", "Votre age", 1),
                      encoding="utf-8")
    assert check(surveys_copy, "semaines_apprenantes") == 1
    out = capsys.readouterr().out
    assert "✗ age ← « Votre âge » absente ; en-tête le plus proche « Votre age »" in out
    # the workflow's own message (impact.ingest.harmonise.check_columns)
    assert "l'en-tête ne correspond pas au codebook (vague « pre »)" in out
    assert "colonne manquante « Votre âge » (variable age" in out
    assert "vague post" in out and "Bilan : 1 vague(s) sur 3 ne s'ingéreraient pas" in out


def test_unmapped_label_is_counted_and_stops(surveys_copy, capsys):
    book = surveys_copy / "cordee" / "codebook.yaml"
    text = book.read_text(encoding="utf-8")
    assert "gender: {F: F, M: M, X: X}" in text
    book.write_text(text.replace("gender: {F: F, M: M, X: X}", "gender: {F: F, M: M}"),
                    encoding="utf-8")
    assert check(surveys_copy, "cordee") == 1
    out = capsys.readouterr().out
    n_x = sum(r["G02Q01"] == "X" for r in rows_of(surveys_copy / "cordee" / "pre.csv",
                                                  "utf-8-sig", ";"))
    assert n_x > 0 and f"✗ « X » ({n_x}) : non recodé" in out
    assert "libellés absents du codebook" in out and "libellé « X » inconnu" in out


def test_wrong_encoding_garbles_the_headers_it_names(surveys_copy, capsys):
    book = surveys_copy / "semaines_apprenantes" / "codebook.yaml"
    text = book.read_text(encoding="utf-8")
    book.write_text(text.replace("encoding: cp1252", "encoding: mac_roman"), encoding="utf-8")
    assert check(surveys_copy, "semaines_apprenantes") == 1
    out = capsys.readouterr().out
    assert "encodage mac-roman" in out
    # « Votre semaine (lieu et dates) » is ASCII: found; accented headers are not
    assert "✓ site ← « Votre semaine (lieu et dates) »" in out
    assert "✗ image_1 ← « Dans quelle mesure êtes-vous d'accord" in out
    assert "colonne manquante" in out


def test_missing_export(surveys_copy, capsys):
    (surveys_copy / "industrie_transition" / "followup.xlsx").unlink()
    assert check(surveys_copy, "industrie_transition") == 1
    out = capsys.readouterr().out
    assert "Export introuvable" in out and "followup.xlsx" in out
    assert "vague pre" in out and "s’ingérerait" in out  # the other waves are still checked


def test_unknown_site_is_counted_never_quoted(surveys_copy, capsys):
    export = surveys_copy / "cordee" / "pre.csv"
    text = export.read_text(encoding="utf-8-sig")
    site = "Lycée Raoul-Follereau (Belfort)"
    n_site = sum(r["G02Q04"] == site for r in rows_of(export, "utf-8-sig", ";"))
    export.write_text(text.replace(site, "Chez Jeanne Dupontel"), encoding="utf-8-sig")
    assert check(surveys_copy, "cordee") == 0  # unknown sites go to quarantine: ingestion runs
    out = capsys.readouterr().out
    assert "Jeanne" not in out and "Dupontel" not in out
    assert f"{n_site} d'un site inconnu (1 valeur(s) distincte(s)" in out


def test_codebook_schema_error_and_unknown_programme(surveys_copy, capsys):
    book = surveys_copy / "cordee" / "codebook.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("response_scale:",
                                                             "reponse_scale:"), "utf-8")
    assert check(surveys_copy, "cordee") == 1
    out = capsys.readouterr().out
    assert "non conforme au schéma" in out and "codebook.yaml:5" in out
    assert check(surveys_copy, "nowhere") == 1
    assert "nowhere not configured" in capsys.readouterr().err


def test_configured_baseline_must_come_first(surveys_copy, tmp_path, capsys):
    """What the workflow checks at start-up beyond the exports (English config message)."""
    import yaml

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    config["programmes"]["cordee"]["waves"] = ["post", "pre"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert main(["check", "--config", str(path), "--surveys", str(surveys_copy), "cordee"]) == 1
    assert "the first wave must be the baseline wave" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["simulate"], ["check"], ["codebook"],
                                     ["codebook", "draft"]])
def test_help_is_english(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: impact")
    words = set(out.lower().split())
    assert not words & {"le", "la", "les", "des", "du", "une", "vérifiez", "fichier"}, out
