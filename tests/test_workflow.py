"""The real workflow, end to end, on the example campaign (and a fourth programme)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.test_ingest import FOLLOWUP_ROWS, write_followup_xlsx
from tests.workflow_support import REPO, scratch_repo, snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.xdist_group("workflow")]


def test_row_accounting_identity(example_run):
    table = pd.read_csv(example_run / "results/validation/row_accounting.csv")
    totals = table[table["reason"].isna()].pivot_table(
        index=["programme", "wave"], columns="outcome", values="rows")
    assert len(totals) == 8
    assert (totals["read"] == totals["kept"] + totals["quarantined"] + totals["excluded"]).all()


def test_data_docs_one_page_per_export(example_run):
    site = example_run / "results/validation/data_docs"
    assert (site / "index.html").is_file()
    pages = list((site / "validations").rglob("*.html"))
    assert len(pages) == 8


def test_panel_one_row_per_respondent_and_wave(example_run):
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        panel = pd.read_parquet(example_run / f"results/panel/{programme}.parquet")
        assert not panel.duplicated(["respondent_id", "wave"]).any()
        assert panel["respondent_id"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_nothing_left_to_do_after_a_run(example_run):
    dry = snakemake(example_run, "--dry-run")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr


# --- privacy: no raw code or direct identifier anywhere under results/ ---------------------


def secrets_of_exports(surveys: Path) -> set[str]:
    """Every direct identifier and raw pseudonymous code typed in the example exports."""
    from impact.codebook import load_codebook
    from impact.instrument import load_instrument
    from impact.readers import read_export

    instrument = load_instrument(surveys / "instrument.yaml")
    found: set[str] = set()
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        book = load_codebook(surveys / programme / "codebook.yaml", instrument)
        for wave, spec in book.waves.items():
            frame = read_export(book.export_path(wave), spec).frame
            code_columns = [c for v, c in spec.columns.items()
                            if v == "code" or v in instrument.code_parts]
            for column in spec.identifiers:
                found |= {v.strip() for v in frame[column] if len(v.strip()) >= 6
                          and v.strip().lower() not in ("anonymous",)}
            if len(code_columns) == 1:
                found |= {v.strip() for v in frame[code_columns[0]] if len(v.strip()) >= 6}
            else:
                joined = frame[code_columns].agg("".join, axis=1)
                found |= {v for v in joined if len(v) >= 6}
    # the normalised forms too
    found |= {re.sub(r"\s+", "", s).upper() for s in found if len(re.sub(r"\s+", "", s)) >= 6}
    return {s for s in found if not s.isdigit()}


def readable_text(path: Path) -> str:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        cells = frame.astype(object).to_numpy().ravel().tolist()
        return "\n".join(map(str, cells)) + " ".join(frame.columns)
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    text = path.read_bytes().decode("utf-8", errors="ignore")
    return re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", "", text)


def candidates(text: str) -> set[str]:
    """Every string of the text a secret could be: runs of 1-5 words joined by a space or by
    nothing, e-mail addresses and IP addresses (set intersection beats 3 000 substring
    searches per file)."""
    words = re.findall(r"[^\W_]+", text)
    found = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    found |= set(re.findall(r"\d+\.\d+\.\d+\.\d+", text))
    for n in range(1, 6):
        grams = list(zip(*(words[i:] for i in range(n)), strict=False))
        found |= {" ".join(g) for g in grams} | {"".join(g) for g in grams}
    return found


def test_no_raw_code_or_identifier_under_results(example_run):
    secrets = secrets_of_exports(example_run / "surveys")
    assert len(secrets) > 1000  # names, e-mails, phones, typed codes
    assert {"test@cmq-ici.fr"} <= secrets
    leaks = []
    files = [p for p in sorted((example_run / "results").rglob("*")) if p.is_file()]
    assert len(files) > 50
    for path in files:
        found = candidates(readable_text(path)) & secrets
        if found:
            leaks.append((str(path.relative_to(example_run)), sorted(found)[:3]))
    assert not leaks, leaks[:10]


# --- adding a fourth programme touches surveys/ and config/ only ---------------------------


def test_fourth_programme_runs_without_code_change(tmp_path):
    workdir = scratch_repo(tmp_path / "repo")
    target = workdir / "surveys" / "atelier"
    shutil.copytree(REPO / "tests/data/atelier", target)
    write_followup_xlsx(target / "followup.xlsx", FOLLOWUP_ROWS)
    config_path = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["programmes"] = {"atelier": {"waves": ["pre", "post", "followup"],
                                        "row_count": {"min": 1, "max": 100}}}
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    done = snakemake(workdir)
    assert done.returncode == 0, done.stderr[-5000:]
    table = pd.read_csv(workdir / "results/validation/row_accounting.csv")
    read = table[(table["outcome"] == "read") & table["reason"].isna()]
    assert read.set_index("wave")["rows"].to_dict() == {"pre": 6, "post": 3, "followup": 3}
    panel = pd.read_parquet(workdir / "results/panel/atelier.parquet")
    assert panel["respondent_id"].nunique() < len(panel)  # waves were linked


# --- configuration errors: one clear English message naming the key -----------------------


def test_bad_config_key_is_named(tmp_path):
    workdir = scratch_repo(tmp_path / "repo")
    config_path = workdir / "config" / "config.yaml"
    text = config_path.read_text().replace("  alpha: 0.05", "  alpha: 0.7")
    config_path.write_text(text)
    done = snakemake(workdir, "--dry-run")
    assert done.returncode != 0
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "alpha: 0.7" in s)
    assert f"config/config.yaml:{line} (analysis.alpha)" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_config_key_is_named(tmp_path):
    workdir = scratch_repo(tmp_path / "repo")
    config_path = workdir / "config" / "config.yaml"
    config_path.write_text(config_path.read_text().replace("  max_age_gap: 1",
                                                           "  max_age_gap: 1\n  max_agegap: 2"))
    done = snakemake(workdir, "--dry-run")
    assert done.returncode != 0
    assert "(linkage.max_agegap)" in done.stderr and "Additional properties" in done.stderr


def test_lint_is_clean():
    done = snakemake(REPO, "--lint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Congratulations" in done.stdout + done.stderr


# --- the published results ------------------------------------------------------------------


def test_linkage_precision_and_recall_on_the_example(example_run):
    made = true_made = true_pairs = 0
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        quality = pd.read_csv(example_run / f"results/panel/{programme}_linkage_quality.csv")
        overall = quality[quality["wave_from"] == "all"].iloc[0]
        print(f"\n{programme}: precision {overall['precision']:.4f}, "
              f"recall {overall['recall']:.4f} ({overall['true_pairs_made']} of "
              f"{overall['true_pairs']} true pairs, {overall['pairs_made']} pairs made)")
        made += overall["pairs_made"]
        true_made += overall["true_pairs_made"]
        true_pairs += overall["true_pairs"]
        assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95
    print(f"campaign: precision {true_made / made:.4f}, recall {true_made / true_pairs:.4f}")


def test_planted_effects_are_recovered(example_run):
    from impact.recovery import insertion_recovery, recovery_table, truths

    table = pd.read_csv(example_run / "results/indicators/pooled.csv",
                        keep_default_na=False, na_values=[""])
    expected = truths(example_run / "surveys",
                      ["cordee", "semaines_apprenantes", "industrie_transition"])
    changes = recovery_table(table, expected)
    print("\n" + changes.round(3).to_string())
    assert len(changes) >= 20
    assert changes["covered"].all() and changes["sign_ok"].all()
    assert changes["significance_ok"].all()
    rates = insertion_recovery(table, expected)
    print(rates.round(3).to_string())
    assert len(rates) == 8 and rates["covered"].all()


def test_indicator_tables_are_deterministic(example_run):
    tables = sorted((example_run / "results/indicators").glob("*.csv")) + \
        [example_run / "results/datapackage.json"]
    before = {p: p.read_bytes() for p in tables}
    done = snakemake(example_run, "--forcerun", "indicators", "link", "--until", "publish")
    assert done.returncode == 0, done.stderr[-3000:]
    assert {p: p.read_bytes() for p in tables} == before


def test_datapackage_is_valid_frictionless(example_run):
    from frictionless import Package

    report = Package(example_run / "results/datapackage.json").validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
