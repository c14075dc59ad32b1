from impact.stages import link

link(
    instrument_path=snakemake.input.instrument,
    codebook_path=snakemake.input.codebook,
    waves=snakemake.params.waves,
    kept=list(snakemake.input.kept),
    codes=list(snakemake.input.codes),
    truth=snakemake.input.truth or None,
    pseudonymisation=snakemake.params.pseudonymisation,
    linkage=snakemake.params.linkage,
    min_item_share=snakemake.params.min_item_share,
    panel=snakemake.output.panel,
    decisions=snakemake.output.decisions,
    quality=snakemake.output.quality,
    attrition=snakemake.output.attrition,
    corrections=snakemake.params.corrections,
    log_path=snakemake.log[0],
)
