from impact.stages import data_docs

data_docs(
    context_dir=snakemake.params.context_dir,
    site_dir=snakemake.params.site_dir,
    log_path=snakemake.log[0],
)
