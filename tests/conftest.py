"""Shared fixtures: the repository's instrument and codebooks, and small hand-made campaigns."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
SURVEYS = REPO / "surveys"
PROGRAMMES = ["cordee", "semaines_apprenantes", "industrie_transition"]


@pytest.fixture(scope="session")
def instrument():
    from impact.survey.instrument import load_instrument

    return load_instrument(SURVEYS / "instrument.yaml")


@pytest.fixture(scope="session")
def codebooks(instrument):
    from impact.survey.codebook import load_codebooks

    return load_codebooks(SURVEYS, PROGRAMMES, instrument)


@pytest.fixture(scope="session")
def demo_key():
    from impact.ingest.pseudonym import load_key

    return load_key(demo=True)


@pytest.fixture()
def surveys_copy(tmp_path):
    """A writable copy of surveys/ (instrument, codebooks, example exports)."""
    target = tmp_path / "surveys"
    shutil.copytree(SURVEYS, target)
    return target


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """One real run of the whole workflow, report included, on the bundled example campaign,
    in a scratch copy (tests that use it are in the xdist group "workflow": one run)."""
    from tests.workflow_support import scratch_repo, snakemake

    workdir = scratch_repo(tmp_path_factory.mktemp("run") / "repo")
    done = snakemake(workdir)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    return workdir
