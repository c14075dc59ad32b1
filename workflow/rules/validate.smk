rule validate:
    """Great Expectations suite from the codebook: quarantine, exclusions, row accounting.

    Row-level outputs (kept and excluded rows, the quarantine with its values, corrections,
    the GX context with the failing rows' ids) go to restricted/; results/ gets the redacted
    quarantine (row, check, column), the check summary and the row accounting."""
    input:
        interim="restricted/interim/{programme}/{wave}.parquet",
        codebook=codebook_file,
        instrument=SURVEYS / "instrument.yaml",
        corrections=corrections_file,
    output:
        kept="restricted/validation/{programme}/{wave}/kept.parquet",
        quarantine="results/validation/{programme}/{wave}/quarantine.csv",
        quarantine_detail="restricted/validation/{programme}/{wave}/quarantine.csv",
        excluded="restricted/validation/{programme}/{wave}/excluded.csv",
        checks="results/validation/{programme}/{wave}/checks.csv",
        accounting="results/validation/{programme}/{wave}/accounting.json",
        corrections_log="restricted/validation/{programme}/{wave}/corrections_applied.csv",
        gx=directory("restricted/validation/gx/{programme}_{wave}"),
    log:
        "logs/validate/{programme}_{wave}.log",
    benchmark:
        "benchmarks/validate/{programme}_{wave}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        config=lambda wildcards: {
            key: config[key] for key in ("validation", "campaign", "programmes")
        },
        corrections=lambda wildcards: str(
            SURVEYS / wildcards.programme / "corrections.yaml"
        ),
    script:
        "../scripts/validate.py"


rule row_accounting:
    """Rows read = kept + quarantined + excluded, by reason, for every export."""
    input:
        expand(
            "results/validation/{programme}/{wave}/accounting.json",
            zip,
            **programme_waves(),
        ),
    output:
        "results/validation/row_accounting.csv",
    log:
        "logs/row_accounting/row_accounting.log",
    benchmark:
        "benchmarks/row_accounting/row_accounting.tsv"
    conda:
        "../envs/impact.yaml"
    script:
        "../scripts/row_accounting.py"


rule data_docs:
    """Static Great Expectations Data Docs, one page per export (opens offline): checks,
    counts and shares, no value from the data (the GX contexts hold row ids, no value).
    """
    input:
        expand("restricted/validation/gx/{programme}_{wave}", zip, **programme_waves()),
    output:
        index="results/validation/data_docs/index.html",
    log:
        "logs/data_docs/data_docs.log",
    benchmark:
        "benchmarks/data_docs/data_docs.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        context_dir=lambda wildcards, input: str(Path(input[0]).parent),
        site_dir=lambda wildcards, output: str(Path(output.index).parent),
    script:
        "../scripts/data_docs.py"


rule validation_summary:
    """French summary page of every export (checks, row counts, reasons counted, verdict)
    and their index, readable offline; each links its Data Docs page as the technical detail.
    """
    input:
        accounting=expand(
            "results/validation/{programme}/{wave}/accounting.json",
            zip,
            **programme_waves(),
        ),
        checks=expand(
            "results/validation/{programme}/{wave}/checks.csv",
            zip,
            **programme_waves(),
        ),
        quarantine=expand(
            "results/validation/{programme}/{wave}/quarantine.csv",
            zip,
            **programme_waves(),
        ),
        data_docs="results/validation/data_docs/index.html",
    output:
        index="results/validation/synthese.html",
        pages=expand(
            "results/validation/{programme}/{wave}/synthese.html",
            zip,
            **programme_waves(),
        ),
    log:
        "logs/validation_summary/validation_summary.log",
    benchmark:
        "benchmarks/validation_summary/validation_summary.tsv"
    conda:
        "../envs/impact.yaml"
    script:
        "../scripts/validation_summary.py"
