"""Zones: a respondent's typed values reach ``restricted/`` only, never ``results/`` or ``logs/``.

Payloads are planted in a copy of one example export (an e-mail address and HTML in the age
field, a spreadsheet formula in the age and site fields, HTML in a site name, a correction of
a payload); the ingest, validate and data_docs stages run in-process with the workflow's
layout under ``tmp_path``. Each payload carries a distinctive token, searched for in every
file whatever its escaping (HTML, JSON, CSV quoting keep the token).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from impact import stages
from tests.conftest import REPO

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
PROGRAMME, WAVE = "cordee", "pre"
#: line of the export → {codebook variable: payload}
PLANTED = {
    2: {"site": "<b onmouseover=alert(2)>Lycée</b>"},  # not a declared site: quarantined
    3: {"age": "<img src=x onerror=alert(1)>"},  # corrected below: the log names it
    5: {"age": '=HYPERLINK("http://evil.example/age")'},
    6: {"site": '=HYPERLINK("http://evil.example/site")'},  # a kept row
    9: {"age": "fuite.age@example.org"},
}
TOKENS = ("fuite.age", "onmouseover", "onerror", "evil.example")
CORRECTED = {"pre:3": {"age": 15}}  # old value: the HTML payload


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in '";') else value


def plant(surveys: Path) -> None:
    """Write the payloads into the copied export, field by field (the rows have no quotes)."""
    book = yaml.safe_load((surveys / PROGRAMME / "codebook.yaml").read_text(encoding="utf-8"))
    columns = book["waves"][WAVE]["columns"]
    path = surveys / PROGRAMME / book["waves"][WAVE]["file"]
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    header = lines[0].split(";")
    for line, values in PLANTED.items():
        fields = lines[line - 1].split(";")
        assert len(fields) == len(header) and '"' not in lines[line - 1]
        for var, payload in values.items():
            fields[header.index(columns[var])] = _csv_field(payload)
        lines[line - 1] = ";".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    (surveys / PROGRAMME / "corrections.yaml").write_text(
        yaml.safe_dump(CORRECTED, allow_unicode=True), encoding="utf-8")


def run_stages(surveys: Path, root: Path) -> None:
    """ingest → validate → data_docs on the planted export, paths as in workflow/rules."""
    res, rst, logs = root / "results", root / "restricted", root / "logs"
    common = dict(instrument_path=str(surveys / "instrument.yaml"),
                  codebook_path=str(surveys / PROGRAMME / "codebook.yaml"), wave=WAVE)
    name = f"{PROGRAMME}/{WAVE}"
    stages.ingest(**common, surveys_dir=str(surveys),
                  test_markers=CONFIG["validation"]["test_markers"],
                  pseudonymisation=CONFIG["pseudonymisation"],
                  interim=str(rst / f"interim/{name}.parquet"),
                  report=str(res / f"interim/{name}.json"),
                  codes=str(rst / f"codes/{name}.parquet"),
                  log_path=str(logs / f"ingest/{PROGRAMME}_{WAVE}.log"))
    stages.validate(**common,
                    config={k: CONFIG[k] for k in ("validation", "campaign", "programmes")},
                    interim=str(rst / f"interim/{name}.parquet"),
                    corrections=str(surveys / PROGRAMME / "corrections.yaml"),
                    context_dir=str(rst / "validation/gx"),
                    kept=str(rst / f"validation/{name}/kept.parquet"),
                    quarantine=str(res / f"validation/{name}/quarantine.csv"),
                    quarantine_detail=str(rst / f"validation/{name}/quarantine.csv"),
                    excluded=str(rst / f"validation/{name}/excluded.csv"),
                    checks=str(res / f"validation/{name}/checks.csv"),
                    accounting=str(res / f"validation/{name}/accounting.json"),
                    corrections_log=str(rst / f"validation/{name}/corrections_applied.csv"),
                    log_path=str(logs / f"validate/{PROGRAMME}_{WAVE}.log"))
    stages.data_docs(context_dir=str(rst / "validation/gx"),
                     site_dir=str(res / "validation/data_docs"),
                     log_path=str(logs / "data_docs/data_docs.log"))


def text_of(path: Path) -> str:
    """A file's text; a Parquet table's cells (compressed bytes would hide a token)."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return "\n".join(map(str, frame.astype(object).to_numpy().ravel().tolist()))
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory) -> Path:
    import shutil

    root = tmp_path_factory.mktemp("zones")
    surveys = root / "surveys"
    shutil.copytree(REPO / "surveys", surveys)
    plant(surveys)
    run_stages(surveys, root)
    return root


def test_payloads_reach_the_restricted_zone_only(planted_run):
    published = [p for zone in ("results", "logs") for p in sorted((planted_run / zone).rglob("*"))
                 if p.is_file()]
    assert len(published) > 20  # accounting, checks, quarantine, Data Docs, logs
    assert not [p for p in published if p.suffix == ".parquet"]  # no row-level table
    leaks = {str(p.relative_to(planted_run)): [t for t in TOKENS if t in text_of(p)]
             for p in published}
    assert not {p: t for p, t in leaks.items() if t}
    restricted = "\n".join(text_of(p) for p in (planted_run / "restricted").rglob("*")
                           if p.is_file())
    assert all(token in restricted for token in TOKENS)


def test_published_quarantine_names_row_check_and_column(planted_run):
    public = pd.read_csv(planted_run / f"results/validation/{PROGRAMME}/{WAVE}/quarantine.csv",
                         keep_default_na=False)
    assert list(public.columns) == ["row_id", "check", "column", "reason"]
    parse = public[public["check"] == "parse_error"].set_index("row_id")
    assert {"pre:5", "pre:9"} <= set(parse.index) and "pre:3" not in parse.index  # corrected
    assert (parse.loc[["pre:5", "pre:9"], "column"] == "age").all()
    assert public.set_index("row_id").loc["pre:2", "check"] == "unknown_site"
    assert set(parse["reason"]) == {"valeur illisible à la lecture de l'export"}
    detail = pd.read_csv(planted_run / f"restricted/validation/{PROGRAMME}/{WAVE}/quarantine.csv",
                         keep_default_na=False).set_index("row_id")
    assert "fuite.age@example.org" in detail.loc["pre:9", "reasons"]  # full reason, restricted
    log = (planted_run / f"logs/validate/{PROGRAMME}_{WAVE}.log").read_text(encoding="utf-8")
    assert "correction pre:3 age" in log  # the row and the column, not the values


def test_gx_keeps_the_failing_ids_and_no_value(planted_run):
    store = "".join(text_of(p) for p in (planted_run / "restricted/validation/gx").rglob("*")
                    if p.is_file())
    assert '"pre:5"' in store and '"pre:9"' in store  # ids of the parse errors
    assert not [t for t in TOKENS if t in store]
    published = planted_run / "results/validation/data_docs"
    assert len(list((published / "validations").rglob("*.html"))) == 1
    index = (published / "index.html").read_text(encoding="utf-8")
    assert 'id="impact-offline-index"' in index
