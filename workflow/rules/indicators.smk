rule indicators:
    """Scales, reliability, change, models, subgroups, planning, insertion: one programme."""
    input:
        panel="restricted/panel/{programme}.parquet",
        codebook=codebook_file,
        instrument=SURVEYS / "instrument.yaml",
    output:
        temp("restricted/indicators/{programme}.csv"),
    log:
        "logs/indicators/{programme}.log",
    benchmark:
        "benchmarks/indicators/{programme}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        waves=lambda w: waves(w.programme),
        config=lambda wildcards: {key: config[key] for key in ("analysis", "insertion")},
    script:
        "../scripts/indicators.py"


rule publish:
    """Multiple-testing adjustment, pooled estimates, indicator tables and data package."""
    input:
        partials=expand("restricted/indicators/{programme}.csv", programme=PROGRAMMES),
        attrition=expand(
            "restricted/panel/{programme}_attrition.csv", programme=PROGRAMMES
        ),
        quality=expand(
            "results/panel/{programme}_linkage_quality.csv", programme=PROGRAMMES
        ),
    output:
        tables=expand("results/indicators/{programme}.csv", programme=PROGRAMMES),
        pooled="results/indicators/pooled.csv",
        datapackage="results/datapackage.json",
    log:
        "logs/publish/publish.log",
    benchmark:
        "benchmarks/publish/publish.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        programmes=PROGRAMMES,
        analysis=lookup(dpath="analysis", within=config),
        campaign=lookup(dpath="campaign", within=config),
    script:
        "../scripts/publish.py"


rule disclosure_audit:
    """Attack the published tables (LP bounds on every suppressed cell); stop if one leaks."""
    input:
        tables=expand("results/indicators/{programme}.csv", programme=PROGRAMMES),
        pooled="results/indicators/pooled.csv",
        fieldwork="results/validation/fieldwork.csv",
    output:
        findings="results/validation/disclosure_audit.csv",
        summary="results/validation/disclosure_summary.csv",
    log:
        "logs/disclosure_audit/disclosure_audit.log",
    benchmark:
        "benchmarks/disclosure_audit/disclosure_audit.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        analysis=lookup(dpath="analysis", within=config),
    script:
        "../scripts/disclosure_audit.py"
