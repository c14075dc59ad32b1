"""Stage ``report_html`` around the notebook: the campaign's name in each language and the
notebook's warnings, which the rendered page drops, copied to the rule's log."""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from impact import report_stage
from impact.report import render
from impact.report_stage import campaign_label, notebook_stderr

CAMPAIGN = {"label": "Campagne 2025-2026", "synthetic": True}


# --------------------------------------------------------------------------- campaign label


def test_the_french_edition_prints_the_french_label():
    assert campaign_label({**CAMPAIGN, "label_en": "Survey year 2025/26"}, "fr") == \
        "Campagne 2025-2026"


def test_the_english_label_is_the_configured_one():
    assert campaign_label({**CAMPAIGN, "label_en": "Survey year 2025/26"}, "en") == \
        "Survey year 2025/26"


@pytest.mark.parametrize(("french", "english"), [
    ("Campagne 2025-2026", "Campaign 2025-2026"),
    ("campagne 2024–2025", "Campaign 2024–2025"),
    ("Campagne 2026", "Campaign 2026"),
])
def test_a_usual_french_label_is_put_into_english(french, english, caplog):
    with caplog.at_level(logging.WARNING, logger="impact"):
        assert campaign_label({"label": french}, "en") == english
    assert not caplog.records


def test_another_label_stays_french_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="impact"):
        assert campaign_label({"label": "Rentrée 2025"}, "en") == "Rentrée 2025"
    assert "no campaign.label_en" in caplog.text and "'Rentrée 2025'" in caplog.text


def test_the_schema_accepts_label_en():
    import yaml
    from jsonschema import Draft202012Validator

    repo = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text("utf-8"))
    campaign = schema["properties"]["campaign"]
    validator = Draft202012Validator(campaign)
    window = {"start": "2025-09-01", "end": "2026-08-31"}
    assert validator.is_valid({**CAMPAIGN, "window": window, "label_en": "Campaign 2025"})
    assert not validator.is_valid({**CAMPAIGN, "window": window, "label_en": ""})
    assert "label_en" not in campaign["required"]


# --------------------------------------------------------------------------- notebook warnings


def _executed(path: Path) -> Path:
    """A notebook as papermill leaves it: stdout, and stderr from two cells (one repeated)."""
    nb = new_notebook(cells=[
        new_code_cell("print('hello')", outputs=[
            new_output("stream", name="stdout", text="hello\n")]),
        new_code_cell("labels", outputs=[new_output(
            "stream", name="stderr",
            text="surveys/instrument.yaml: no English wording for 1 label(s), the French is "
                 "used: scales.image.label\n\n")]),
        new_code_cell("figure", outputs=[
            new_output("stream", name="stderr",
                       text="no en translation for 'Sommaire'\n"
                            "surveys/instrument.yaml: no English wording for 1 label(s), the "
                            "French is used: scales.image.label\n"),
            new_output("display_data", data={"text/plain": "a figure"})]),
    ])
    nbformat.write(nb, str(path))
    return path


def test_notebook_stderr_lists_each_line_once_with_its_cell(tmp_path):
    assert notebook_stderr(_executed(tmp_path / "run.ipynb")) == [
        (2, "surveys/instrument.yaml: no English wording for 1 label(s), the French is used: "
            "scales.image.label"),
        (3, "no en translation for 'Sommaire'"),
    ]


def test_report_html_copies_the_notebook_warnings_to_its_log(tmp_path, monkeypatch):
    seen: dict = {}

    def fake_execute(template, output, parameters, **_kwargs):
        seen.update(parameters)
        return _executed(Path(output))

    monkeypatch.setattr(render, "execute_notebook", fake_execute)
    monkeypatch.setattr(render, "notebook_to_html",
                        lambda *_a, **_k: "<html><body><p>Report</p></body></html>")
    config = tmp_path / "report.yaml"
    config.write_text("references: {}\n", encoding="utf-8")
    log = tmp_path / "logs" / "report_html" / "impact_itip_en.log"
    report_stage.report_html(
        template="impact_itip.ipynb", lang="en", documents={}, record="inputs.json",
        tables=[], pooled="pooled.csv", datapackage="datapackage.json",
        row_accounting="row_accounting.csv", data_docs=str(tmp_path / "docs/index.html"),
        linkage_quality=[], ingest_reports=[], checks=[], codebooks=[],
        instrument="instrument.yaml", report_config=str(config), conclusions="c.md",
        programmes=[], waves={}, campaign=CAMPAIGN, analysis={}, options={},
        html=str(tmp_path / "impact_itip_en.html"), notebook=str(tmp_path / "en.ipynb"),
        log_path=str(log), kernel="python3")
    text = log.read_text(encoding="utf-8")
    assert "WARNING notebook cell 3: no en translation for 'Sommaire'" in text
    assert text.count("no English wording for 1 label(s)") == 1
    assert "2 line(s) of notebook warnings" in text
    assert "hello" not in text  # stdout is the page's, not a warning
    assert seen["campaign_label"] == "Campaign 2025-2026"
