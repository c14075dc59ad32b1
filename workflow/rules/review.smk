rule review:
    """The researcher's review workbook (restricted: row-level values) — quarantined rows,
    duplicate pairs, near-miss link candidates, fieldwork — with a decision column that
    `impact review apply` turns into corrections.yaml entries; and the published fieldwork
    table (response rate per site and wave, secret statistique applied)."""
    input:
        interim=expand(
            "restricted/interim/{programme}/{wave}.parquet", zip, **programme_waves()
        ),
        kept=expand(
            "restricted/validation/{programme}/{wave}/kept.parquet",
            zip,
            **programme_waves(),
        ),
        quarantine=expand(
            "restricted/validation/{programme}/{wave}/quarantine.csv",
            zip,
            **programme_waves(),
        ),
        excluded=expand(
            "restricted/validation/{programme}/{wave}/excluded.csv",
            zip,
            **programme_waves(),
        ),
        codes=expand(
            "restricted/codes/{programme}/{wave}.parquet", zip, **programme_waves()
        ),
        instrument=SURVEYS / "instrument.yaml",
        codebooks=expand(
            SURVEYS / "{programme}" / "codebook.yaml", programme=PROGRAMMES
        ),
        panels=expand("restricted/panel/{programme}.parquet", programme=PROGRAMMES),
        linkage=expand("restricted/panel/{programme}_linkage.csv", programme=PROGRAMMES),
        sites=[
            CODEBOOKS[p].sites_path
            for p in PROGRAMMES
            if CODEBOOKS[p].sites_path.is_file()
        ],
        corrections=[
            SURVEYS / p / "corrections.yaml"
            for p in PROGRAMMES
            if (SURVEYS / p / "corrections.yaml").is_file()
        ],
    output:
        workbook="restricted/review/review_workbook.xlsx",
        fieldwork="results/validation/fieldwork.csv",
    log:
        "logs/review/review.log",
    benchmark:
        "benchmarks/review/review.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        programmes={p: waves(p) for p in PROGRAMMES},
        surveys_dir=lambda wildcards, input: str(Path(input.instrument).parent),
        analysis=lookup(dpath="analysis", within=config),
        linkage=lookup(dpath="linkage", within=config),
    script:
        "../scripts/review.py"
