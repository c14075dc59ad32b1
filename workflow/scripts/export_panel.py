from impact.stages import export_panel

export_panel(
    panel=snakemake.input.panel,
    instrument_path=snakemake.input.instrument,
    codebook_path=snakemake.input.codebook,
    dta=snakemake.output.dta,
    sav=snakemake.output.sav,
    parquet=snakemake.output.parquet,
    campaign=snakemake.params.campaign,
    log_path=snakemake.log[0],
)
