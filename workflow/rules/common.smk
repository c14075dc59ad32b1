# Helpers shared by every rule: config check, paths, and the list of final outputs.
import sys
from pathlib import Path

from snakemake.utils import validate

from impact.config import check_config, check_programmes
from impact.errors import ImpactError

try:
    check_config(config)
    CODEBOOKS = check_programmes(config)
except ImpactError as error:
    sys.exit(f"\n{error}\n")

validate(config, schema="../schemas/config.schema.yaml")

SURVEYS = Path(config["surveys_dir"])
PROGRAMMES = list(config["programmes"])


wildcard_constraints:
    programme="|".join(PROGRAMMES),
    wave="[a-z][a-z0-9_]*",


def waves(programme):
    return config["programmes"][programme]["waves"]


def programme_waves():
    """Every configured (programme, wave) pair, as two parallel lists for expand(zip)."""
    pairs = [(p, w) for p in PROGRAMMES for w in waves(p)]
    return {"programme": [p for p, _ in pairs], "wave": [w for _, w in pairs]}


def export_file(wildcards):
    return str(CODEBOOKS[wildcards.programme].export_path(wildcards.wave))


def codebook_file(wildcards):
    return str(SURVEYS / wildcards.programme / "codebook.yaml")


def sites_file(wildcards):
    """The programme's declared sites (sites.yaml beside its codebook, or the codebook's `sites`)."""
    book = CODEBOOKS[wildcards.programme]
    if book.sites_path.is_file() or any("site" in w.columns for w in book.waves.values()):
        return str(book.sites_path)
    return []


def corrections_file(wildcards):
    path = SURVEYS / wildcards.programme / "corrections.yaml"
    return str(path) if path.is_file() else []


def truth_file(wildcards):
    """The simulator's ground truth, present for the synthetic example campaign only."""
    path = SURVEYS / wildcards.programme / "ground_truth_rows.csv"
    return str(path) if path.is_file() else []


def final_outputs():
    """Published outputs (``results/``); the rules that make them write the row-level
    intermediates and the Data Docs with raw values to ``restricted/`` on the way."""
    return [
        "results/datapackage.json",
        "results/validation/row_accounting.csv",
        "results/validation/data_docs/index.html",
        "results/report/impact_itip.html",
        "results/report/impact_itip.pdf",
        "results/provenance.json",
    ]


def review_outputs():
    """The review workbook (restricted) and the published fieldwork table."""
    return [
        "restricted/review/review_workbook.xlsx",
        "results/validation/fieldwork.csv",
    ]
