from impact.stages import review

review(
    programmes=snakemake.params.programmes,
    surveys_dir=snakemake.params.surveys_dir,
    interim=list(snakemake.input.interim),
    kept=list(snakemake.input.kept),
    quarantine=list(snakemake.input.quarantine),
    excluded=list(snakemake.input.excluded),
    codes=list(snakemake.input.codes),
    panels=list(snakemake.input.panels),
    linkage_decisions=list(snakemake.input.linkage),
    analysis=snakemake.params.analysis,
    linkage=snakemake.params.linkage,
    workbook=snakemake.output.workbook,
    fieldwork=snakemake.output.fieldwork,
    log_path=snakemake.log[0],
)
