from impact.report_stage import report_pdf

report_pdf(
    html=snakemake.input.html,
    pdf=snakemake.output.pdf,
    template=snakemake.params.template,
    lang=snakemake.params.lang,
    options=snakemake.params.options,
    log_path=snakemake.log[0],
)
