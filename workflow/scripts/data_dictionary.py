from impact.stages import data_dictionary

data_dictionary(
    panels=list(snakemake.input.panels),
    instrument_path=snakemake.input.instrument,
    codebook_paths=list(snakemake.input.codebooks),
    campaign=snakemake.params.campaign,
    workbook=snakemake.output.workbook,
    schemas=list(snakemake.output.schemas),
    log_path=snakemake.log[0],
)
