from impact.stages import publish

publish(
    partials=list(snakemake.input.partials),
    attrition=list(snakemake.input.attrition),
    quality=list(snakemake.input.quality),
    programmes=snakemake.params.programmes,
    analysis=snakemake.params.analysis,
    campaign=snakemake.params.campaign,
    outputs={
        **dict(zip(snakemake.params.programmes, snakemake.output.tables, strict=True)),
        "pooled": snakemake.output.pooled,
    },
    datapackage=snakemake.output.datapackage,
    log_path=snakemake.log[0],
)
