# Helpers shared by every rule: config check, paths, and the list of final outputs.
import sys
from pathlib import Path

from snakemake.utils import validate

# The workflow reads the codebooks at start-up: the package must be importable here.
try:
    from impact.config import check_config, check_programmes
    from impact.errors import ImpactError
except ImportError as error:
    sys.exit(
        f"\nThe Python package impact-itip is not installed in the environment that runs "
        f"Snakemake ({sys.executable}): {error}.\nInstall it there, with its pinned "
        f"dependencies, from the workflow's repository: `make .venv/.installed` then "
        f"`. .venv/bin/activate` (or `pip install -r requirements.lock` and "
        f"`pip install --no-deps -e .`), and run snakemake again.\n"
    )

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
    if book.sites_path.is_file() or any(
        "site" in w.columns for w in book.waves.values()
    ):
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
        "results/validation/synthese.html",
        *report_documents(["html", "pdf"]),  # report.smk: documents x languages
        "results/provenance.json",
    ]


def export_outputs():
    """The exports' final outputs (the panel files are personal data: restricted/)."""
    return [
        "results/exports/impact_itip_tableaux.xlsx",
        *expand("results/exports/csv_fr/{table}.csv", table=[*PROGRAMMES, "pooled"]),
        "results/exports/dictionnaire_des_donnees.xlsx",
        *expand("results/exports/panel_{programme}.schema.json", programme=PROGRAMMES),
        *expand(
            "restricted/exports/{programme}.{ext}",
            programme=PROGRAMMES,
            ext=["dta", "sav", "parquet"],
        ),
    ]


# The report documents (report.smk): document stem -> (template, language), for the
# configured languages only.
REPORT_DOCUMENTS = {
    stem: spec
    for stem, spec in {
        "impact_itip": ("impact_itip", "fr"),
        "impact_itip_annexe_technique": ("annexe_technique", "fr"),
        "impact_itip_en": ("impact_itip", "en"),
        "impact_itip_technical_annex_en": ("annexe_technique", "en"),
    }.items()
    if spec[1] in config["report"].get("languages", ["fr"])
}


wildcard_constraints:
    document="|".join(REPORT_DOCUMENTS),


# templates next to the rules, so that a deployed module (snakedeploy) finds them too
REPORT_TEMPLATES = {
    name: workflow.source_path(f"../notebooks/{name}.ipynb")
    for name in ("impact_itip", "annexe_technique")
}


def report_template(wildcards):
    return REPORT_TEMPLATES[REPORT_DOCUMENTS[wildcards.document][0]]


def report_documents(ext):
    return expand("results/report/{document}.{ext}", document=REPORT_DOCUMENTS, ext=ext)


def review_outputs():
    """The review workbook (restricted) and the published fieldwork table."""
    return [
        "restricted/review/review_workbook.xlsx",
        "results/validation/fieldwork.csv",
    ]
