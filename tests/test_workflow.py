"""The real workflow on variants of the example: a fourth programme, bad configurations, lint.

(The checks on the example campaign's own run are in ``tests/test_example_run.py``.)"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from tests.test_ingest import FOLLOWUP_ROWS, write_followup_xlsx
from tests.workflow_support import REPO, scratch_repo, snakemake

pytestmark = pytest.mark.workflow


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
    config["report"]["languages"] = ["fr"]  # the English edition runs on the example
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    done = snakemake(workdir)
    assert done.returncode == 0, done.stderr[-5000:]
    table = pd.read_csv(workdir / "results/validation/row_accounting.csv")
    read = table[(table["outcome"] == "read") & table["reason"].isna()]
    assert read.set_index("wave")["rows"].to_dict() == {"pre": 6, "post": 3, "followup": 3}
    panel = pd.read_parquet(workdir / "restricted/panel/atelier.parquet")
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




# --- the SLURM profile ---------------------------------------------------------------------


def test_slurm_profile_gives_every_rule_all_its_resources():
    """A --default-resources on the command line replaces the profile's defaults (docs/cluster.md):
    every rule but `all` must list memory, time and CPUs itself, as expressions Snakemake can
    evaluate for each attempt."""
    import re

    profile = yaml.safe_load((REPO / "workflow/profiles/slurm/config.yaml").read_text())
    assert profile["executor"] == "slurm"
    rules = {m for path in (REPO / "workflow/rules").glob("*.smk")
             for m in re.findall(r"^rule (\w+):", path.read_text(), flags=re.M)}
    assert rules and rules == set(profile["set-resources"])
    for rule, resources in profile["set-resources"].items():
        assert set(resources) == {"mem_mb", "runtime", "cpus_per_task"}, rule
        for attempt in (1, 2, 3):
            mem = eval(str(resources["mem_mb"]), {}, {"attempt": attempt})  # noqa: S307
            assert mem >= 512 * attempt and int(resources["runtime"]) >= 10, rule
