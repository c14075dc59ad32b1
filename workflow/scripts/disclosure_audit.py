from impact.stages import disclosure_audit

disclosure_audit(
    tables=[*snakemake.input.tables, snakemake.input.pooled],
    analysis=snakemake.params.analysis,
    findings=snakemake.output.findings,
    summary=snakemake.output.summary,
    fieldwork=snakemake.input.fieldwork,
    log_path=snakemake.log[0],
)
