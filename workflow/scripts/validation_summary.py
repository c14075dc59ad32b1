from impact.stages import validation_summary

validation_summary(
    accounting=list(snakemake.input.accounting),
    checks=list(snakemake.input.checks),
    quarantine=list(snakemake.input.quarantine),
    data_docs_index=snakemake.input.data_docs,
    pages=list(snakemake.output.pages),
    index=snakemake.output.index,
    log_path=snakemake.log[0],
)
