from impact.stages import ingest

ingest(
    instrument_path=snakemake.input.instrument,
    codebook_path=snakemake.input.codebook,
    sites_path=snakemake.input.get("sites") or None,
    wave=snakemake.wildcards.wave,
    surveys_dir=snakemake.params.surveys_dir,
    test_markers=snakemake.params.test_markers,
    pseudonymisation=snakemake.params.pseudonymisation,
    interim=snakemake.output.interim,
    report=snakemake.output.report,
    codes=snakemake.output.codes,
    log_path=snakemake.log[0],
)
