from impact.report_stage import provenance

provenance(
    record=snakemake.input.record,
    documents=list(snakemake.input.documents),
    provenance_path=snakemake.output.provenance,
    log_path=snakemake.log[0],
)
