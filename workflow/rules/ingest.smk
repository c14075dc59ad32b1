rule ingest:
    """Read one export as its codebook says, recode it, drop identifiers, keep provenance."""
    input:
        export=export_file,
        codebook=codebook_file,
        sites=sites_file,
        instrument=SURVEYS / "instrument.yaml",
    output:
        interim="restricted/interim/{programme}/{wave}.parquet",
        report="results/interim/{programme}/{wave}.json",
        codes="restricted/codes/{programme}/{wave}.parquet",
    log:
        "logs/ingest/{programme}_{wave}.log",
    benchmark:
        "benchmarks/ingest/{programme}_{wave}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        surveys_dir=lambda wildcards, input: str(Path(input.instrument).parent),
        test_markers=lookup(dpath="validation/test_markers", within=config),
        pseudonymisation=lookup(dpath="pseudonymisation", within=config),
    script:
        "../scripts/ingest.py"
