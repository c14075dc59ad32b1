# The French report « Impact ITIP »: papermill runs the notebook template on the indicator
# tables, nbconvert + WeasyPrint render it (HTML, PDF); provenance.json records what went in.


rule report:
    """Execute the report notebook, render it to HTML and PDF, write the provenance record."""
    input:
        notebook="workflow/notebooks/impact_itip.ipynb",
        tables=expand("results/indicators/{programme}.csv", programme=PROGRAMMES),
        pooled="results/indicators/pooled.csv",
        datapackage="results/datapackage.json",
        accounting="results/validation/row_accounting.csv",
        # the audit by attack must pass before anything is reported
        disclosure="results/validation/disclosure_summary.csv",
        data_docs="results/validation/data_docs/index.html",
        quality=expand(
            "results/panel/{programme}_linkage_quality.csv", programme=PROGRAMMES
        ),
        ingest=expand(
            "results/interim/{programme}/{wave}.json", zip, **programme_waves()
        ),
        checks=expand(
            "results/validation/{programme}/{wave}/checks.csv",
            zip,
            **programme_waves(),
        ),
        # raw exports and simulation parameters: hashed into provenance.json
        exports=[
            str(CODEBOOKS[programme].export_path(wave))
            for programme in PROGRAMMES
            for wave in waves(programme)
        ],
        codebooks=expand(
            str(SURVEYS / "{programme}" / "codebook.yaml"), programme=PROGRAMMES
        ),
        instrument=SURVEYS / "instrument.yaml",
        config=workflow.configfiles,
        simulation=[
            str(path) for path in [SURVEYS / "simulation.yaml"] if path.is_file()
        ],
    output:
        html=report(
            "results/report/impact_itip.html",
            caption="../report/report_html.rst",
            category="Rapport Impact ITIP",
            labels={"document": "rapport", "format": "HTML"},
        ),
        pdf=report(
            "results/report/impact_itip.pdf",
            caption="../report/report_pdf.rst",
            category="Rapport Impact ITIP",
            labels={"document": "rapport", "format": "PDF"},
        ),
        notebook="results/report/impact_itip.ipynb",
        provenance=report(
            "results/provenance.json",
            caption="../report/provenance.rst",
            category="Traçabilité",
            labels={"document": "provenance", "format": "JSON"},
        ),
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        programmes=PROGRAMMES,
        waves={programme: waves(programme) for programme in PROGRAMMES},
        campaign=lookup(dpath="campaign", within=config),
        analysis=lookup(dpath="analysis", within=config),
        options=lookup(dpath="report", within=config),
        run_config=lambda wildcards: config,
    script:
        "../scripts/report.py"
