from impact.stages import indicators

indicators(
    instrument_path=snakemake.input.instrument,
    codebook_path=snakemake.input.codebook,
    waves=snakemake.params.waves,
    panel=snakemake.input.panel,
    config=snakemake.params.config,
    output=snakemake.output[0],
    log_path=snakemake.log[0],
)
