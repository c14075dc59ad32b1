rule link:
    """Pseudonymous codes -> respondent ids across waves; respondent x wave panel."""
    input:
        kept=lambda w: expand(
            "restricted/validation/{programme}/{wave}/kept.parquet",
            programme=w.programme,
            wave=waves(w.programme),
        ),
        codes=lambda w: expand(
            "restricted/codes/{programme}/{wave}.parquet",
            programme=w.programme,
            wave=waves(w.programme),
        ),
        codebook=codebook_file,
        instrument=SURVEYS / "instrument.yaml",
        truth=truth_file,
        corrections=corrections_file,
    output:
        panel="restricted/panel/{programme}.parquet",
        decisions="restricted/panel/{programme}_linkage.csv",
        quality="results/panel/{programme}_linkage_quality.csv",
        attrition=temp("restricted/panel/{programme}_attrition.csv"),
    log:
        "logs/link/{programme}.log",
    benchmark:
        "benchmarks/link/{programme}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        waves=lambda w: waves(w.programme),
        pseudonymisation=lookup(dpath="pseudonymisation", within=config),
        linkage=lookup(dpath="linkage", within=config),
        min_item_share=lookup(dpath="analysis/min_item_share", within=config),
        corrections=lambda wildcards: str(
            SURVEYS / wildcards.programme / "corrections.yaml"
        ),
    script:
        "../scripts/link.py"
