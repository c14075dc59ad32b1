from impact.stages import row_accounting

row_accounting(
    accounting=list(snakemake.input),
    output=snakemake.output[0],
    log_path=snakemake.log[0],
)
