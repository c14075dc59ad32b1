"""Open-science basics: one version everywhere, a citation file, a licence, typed package."""

import tomllib
from importlib import metadata
from pathlib import Path

import yaml

import impact
from impact.report_stage import pipeline_version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_one_version_in_pyproject_citation_package_and_report():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    # the report's « version du pipeline » is the installed distribution's version
    assert str(citation["version"]) == PROJECT["version"] == impact.__version__
    assert pipeline_version() == metadata.version("impact-itip") == PROJECT["version"]


def test_citation_file_is_cff_1_2_with_the_licence_of_the_package():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "software"
    assert citation["message"].strip() and citation["title"].strip()
    assert citation["authors"] and all("name" in a or "family-names" in a
                                       for a in citation["authors"])
    assert citation["license"] == PROJECT["license"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8").splitlines()[0]


def test_changelog_lists_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    assert f"## [{PROJECT['version']}] - " in text and "## [Unreleased]" in text


def test_package_is_typed_and_its_metadata_complete():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert (ROOT / "src/impact/py.typed").is_file()
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["impact"]
    assert PROJECT["license-files"] == ["LICENSE"]
    assert PROJECT["authors"] and PROJECT["keywords"]
    assert "Typing :: Typed" in PROJECT["classifiers"]
