# Deliverables for evaluators (docs/exports.md): the published tables for Excel in results/,
# the row-level panel for Stata, SPSS and R in restricted/, the data dictionary in results/.


rule export_tables:
    """The published indicator tables as one workbook and as French-Excel CSV files."""
    input:
        datapackage="results/datapackage.json",
        tables=expand("results/indicators/{programme}.csv", programme=PROGRAMMES),
        pooled="results/indicators/pooled.csv",
        codebooks=expand(SURVEYS / "{programme}/codebook.yaml", programme=PROGRAMMES),
        instrument=SURVEYS / "instrument.yaml",
    output:
        workbook="results/exports/impact_itip_tableaux.xlsx",
        french_csv=expand(
            "results/exports/csv_fr/{table}.csv", table=[*PROGRAMMES, "pooled"]
        ),
    log:
        "logs/export_tables/export_tables.log",
    benchmark:
        "benchmarks/export_tables/export_tables.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        campaign=lookup(dpath="campaign", within=config),
    script:
        "../scripts/export_tables.py"


rule export_panel:
    """One programme's panel as Stata .dta, SPSS .sav and Parquet, with labels."""
    input:
        panel="restricted/panel/{programme}.parquet",
        codebook=codebook_file,
        instrument=SURVEYS / "instrument.yaml",
    output:
        dta="restricted/exports/{programme}.dta",
        sav="restricted/exports/{programme}.sav",
        parquet="restricted/exports/{programme}.parquet",
    log:
        "logs/export_panel/{programme}.log",
    benchmark:
        "benchmarks/export_panel/{programme}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        campaign=lookup(dpath="campaign", within=config),
    script:
        "../scripts/export_panel.py"


rule data_dictionary:
    """The panels' data dictionary (.xlsx) and Frictionless Table Schemas: no values."""
    input:
        panels=expand("restricted/panel/{programme}.parquet", programme=PROGRAMMES),
        codebooks=expand(SURVEYS / "{programme}/codebook.yaml", programme=PROGRAMMES),
        instrument=SURVEYS / "instrument.yaml",
    output:
        workbook="results/exports/dictionnaire_des_donnees.xlsx",
        schemas=expand(
            "results/exports/panel_{programme}.schema.json", programme=PROGRAMMES
        ),
    log:
        "logs/data_dictionary/data_dictionary.log",
    benchmark:
        "benchmarks/data_dictionary/data_dictionary.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        campaign=lookup(dpath="campaign", within=config),
    script:
        "../scripts/data_dictionary.py"
