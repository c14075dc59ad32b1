from impact.stages import export_tables

export_tables(
    datapackage=snakemake.input.datapackage,
    instrument_path=snakemake.input.instrument,
    codebook_paths=list(snakemake.input.codebooks),
    campaign=snakemake.params.campaign,
    workbook=snakemake.output.workbook,
    french_csv=list(snakemake.output.french_csv),
    log_path=snakemake.log[0],
)
