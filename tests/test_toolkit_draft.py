"""``impact codebook draft``: the figure of bench/codebook_draft.py has a floor, a draft is
accepted by ``impact check`` once its « À DÉCIDER » points are settled, identifiers are never
mapped to an item, and the format of an unseen export is detected."""

from __future__ import annotations

import importlib.util
import re

import yaml

from impact.cli import main
from tests.conftest import REPO, SURVEYS

CONFIG = str(REPO / "config" / "config.yaml")


def _bench():
    spec = importlib.util.spec_from_file_location("codebook_draft",
                                                  REPO / "bench" / "codebook_draft.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_draft_recovers_the_example_codebooks():
    """The figure: each example codebook removed, drafted from its exports, compared with the
    real one (bench/codebook_draft.py reads the YAML back)."""
    results = _bench().measure(SURVEYS)
    assert set(results) == {"cordee", "semaines_apprenantes", "industrie_transition"}
    for name in ("semaines_apprenantes", "industrie_transition"):  # exports with wording
        r = results[name]
        assert r["correct"] >= 0.95 * r["variables"], (name, r)
    cordee = results["cordee"]  # LimeSurvey question codes: only system columns, gender
    assert cordee["correct"] >= 10 and cordee["wrong"] == 0, cordee
    total = {k: sum(r[k] for r in results.values()) for k in cordee}
    assert total["wrong"] <= 2, total
    assert total["identifiers_as_items"] == 0, total


def test_draft_passes_check_once_its_decisions_are_made(surveys_copy, capsys):
    for programme in ("semaines_apprenantes", "industrie_transition"):
        folder = surveys_copy / programme
        real = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
        (folder / "codebook.yaml").unlink()
        exports = [str(folder / spec["file"]) for spec in real["waves"].values()]
        assert main(["codebook", "draft", *exports, "--out", str(folder / "codebook.yaml")]) == 0
        # a draft never overwrites a codebook
        assert main(["codebook", "draft", *exports, "--out", str(folder / "codebook.yaml")]) == 1
    capsys.readouterr()
    assert main(["check", "--config", CONFIG, "--surveys", str(surveys_copy),
                 "semaines_apprenantes"]) == 0
    # one label is left to decide in L'industrie en Transition: check names it, the researcher
    # writes the code the real codebook gives it, and the check passes
    assert main(["check", "--config", CONFIG, "--surveys", str(surveys_copy),
                 "industrie_transition"]) == 1
    assert "✗ « Autre (inactivité, congé…) » (3) : non recodé" in capsys.readouterr().out
    book = surveys_copy / "industrie_transition" / "codebook.yaml"
    text = book.read_text(encoding="utf-8")
    undecided = re.compile(r'# ("Autre \(inactivité, congé…\)"): \?  # À DÉCIDER[^\n]*')
    assert len(undecided.findall(text)) == 1
    book.write_text(undecided.sub(r"\1: inactif", text), encoding="utf-8")
    assert main(["check", "--config", CONFIG, "--surveys", str(surveys_copy),
                 "industrie_transition"]) == 0
    # the anchor pattern: the columns pre and post share are written once and merged
    assert text.count("shared_columns: &shared") == 1 and text.count("<<: *shared") == 2


def test_unseen_export_format_and_identifiers(tmp_path):
    """A French-Excel CSV (cp1252, ';', a title line above the header) with identifiers under
    neutral headers: detected, and none of them mapped to a variable."""
    from impact.toolkit.draft import draft_codebook

    instrument = yaml.safe_load((SURVEYS / "instrument.yaml").read_text(encoding="utf-8"))
    items = instrument["scales"]["image"]["items"]
    header = ["Horodateur", "Contact", "Joignable au", "Vos impressions",
              *[spec["text"] for spec in items.values()], "Votre âge"]
    labels = ["Pas du tout d'accord", "Plutôt pas d'accord", "Plutôt d'accord",
              "Tout à fait d'accord"]
    rows = []
    for i in range(40):
        rows.append([f"{1 + i % 28:02d}/10/2025 09:{i:02d}", f"prenom.nom{i}@exemple.fr",
                     f"06 12 34 {i:02d} {i + 10:02d}",
                     f"Très bien, j'ai découvert le métier n° {i} avec mon tuteur {i * 7}",
                     *[labels[(i + k) % 4] for k in range(len(items))], str(14 + i % 5)])
    text = "Export du 31/10/2025\n" + "\n".join(";".join(r) for r in [header, *rows]) + "\n"
    export = tmp_path / "prog" / "pre.csv"
    export.parent.mkdir()
    export.write_bytes(text.encode("cp1252"))
    draft = draft_codebook([export], "prog", SURVEYS / "instrument.yaml")
    wave = draft.waves[0]
    assert (wave.encoding, wave.delimiter, wave.header_row) == ("cp1252", ";", 2)
    assert wave.datetime_format == "%d/%m/%Y %H:%M" and wave.rows == 40
    assert {c for c, _ in wave.identifiers} == {"Contact", "Joignable au", "Vos impressions"}
    assert wave.columns == {"submitted_at": "Horodateur", "age": "Votre âge",
                            **{name: spec["text"] for name, spec in items.items()}}
    assert draft.response_scale == "accord4"
    parsed = yaml.safe_load(draft.text)
    assert parsed["waves"]["pre"]["header_row"] == 2
    assert parsed["labels"]["likert"] == {label: k for k, label in enumerate(labels, 1)}
    assert "prenom.nom" not in draft.text and "tuteur" not in draft.text
