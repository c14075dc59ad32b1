from impact.stages import validate

validate(
    instrument_path=snakemake.input.instrument,
    codebook_path=snakemake.input.codebook,
    wave=snakemake.wildcards.wave,
    config=snakemake.params.config,
    interim=snakemake.input.interim,
    corrections=snakemake.params.corrections,
    context_dir=snakemake.output.gx.rsplit("/", 1)[0],
    kept=snakemake.output.kept,
    quarantine=snakemake.output.quarantine,
    quarantine_detail=snakemake.output.quarantine_detail,
    excluded=snakemake.output.excluded,
    checks=snakemake.output.checks,
    accounting=snakemake.output.accounting,
    corrections_log=snakemake.output.corrections_log,
    log_path=snakemake.log[0],
)
