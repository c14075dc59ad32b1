from impact.report_stage import report_inputs

report_inputs(
    tables=list(snakemake.input.tables),
    pooled=snakemake.input.pooled,
    datapackage=snakemake.input.datapackage,
    row_accounting=snakemake.input.accounting,
    disclosure_summary=snakemake.input.disclosure,
    ingest_reports=list(snakemake.input.ingest),
    exports=list(snakemake.input.exports),
    codebooks=list(snakemake.input.codebooks),
    instrument=snakemake.input.instrument,
    config_files=list(snakemake.input.config),
    simulation=next(iter(snakemake.input.simulation), None),
    campaign=snakemake.params.campaign,
    run_config=snakemake.params.run_config,
    record_path=snakemake.output[0],
    log_path=snakemake.log[0],
)
