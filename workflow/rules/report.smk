# The reports « Impact ITIP »: the main report and the technical annex, in each configured
# language. One job per document x language executes its notebook template with papermill and
# renders the HTML (fast: the editing loop); a separate job makes the PDF from that HTML.
# report_inputs hashes what went in (slow, not re-run when a template changes); provenance
# adds the checksums of every document.
# (The documents and their languages: REPORT_DOCUMENTS in common.smk.)


rule report_inputs:
    """Checksums of every input of the reports (exports, codebooks, configuration, tables)."""
    input:
        tables=expand("results/indicators/{programme}.csv", programme=PROGRAMMES),
        pooled="results/indicators/pooled.csv",
        datapackage="results/datapackage.json",
        accounting="results/validation/row_accounting.csv",
        # the audit by attack must pass before anything is reported
        disclosure="results/validation/disclosure_summary.csv",
        ingest=expand(
            "results/interim/{programme}/{wave}.json", zip, **programme_waves()
        ),
        # raw exports and simulation parameters: hashed into the record
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
        "results/report/inputs.json",
    log:
        "logs/report_inputs/report_inputs.log",
    benchmark:
        "benchmarks/report_inputs/report_inputs.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        campaign=lookup(dpath="campaign", within=config),
        run_config=lambda wildcards: config,
    script:
        "../scripts/report_inputs.py"


rule report_html:
    """Execute one document's notebook in one language and render it to self-contained HTML."""
    input:
        notebook=report_template,
        record="results/report/inputs.json",
        tables=expand("results/indicators/{programme}.csv", programme=PROGRAMMES),
        pooled="results/indicators/pooled.csv",
        datapackage="results/datapackage.json",
        accounting="results/validation/row_accounting.csv",
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
        codebooks=expand(
            str(SURVEYS / "{programme}" / "codebook.yaml"), programme=PROGRAMMES
        ),
        instrument=SURVEYS / "instrument.yaml",
        report_config=lookup(dpath="report/config", within=config),
        conclusions=lookup(dpath="report/conclusions", within=config),
    output:
        html=report(
            "results/report/{document}.html",
            caption="../report/report_html.rst",
            category="Rapport Impact ITIP",
            labels={"document": "{document}", "format": "HTML"},
        ),
        notebook="results/report/{document}.ipynb",
    log:
        "logs/report_html/{document}.log",
    benchmark:
        "benchmarks/report_html/{document}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        lang=lambda wildcards: REPORT_DOCUMENTS[wildcards.document][1],
        documents=REPORT_DOCUMENTS,
        programmes=PROGRAMMES,
        waves={programme: waves(programme) for programme in PROGRAMMES},
        campaign=lookup(dpath="campaign", within=config),
        analysis=lookup(dpath="analysis", within=config),
        options=lookup(dpath="report", within=config),
    script:
        "../scripts/report_html.py"


rule report_pdf:
    """The PDF of one document (WeasyPrint, from its HTML)."""
    input:
        html="results/report/{document}.html",
    output:
        pdf=report(
            "results/report/{document}.pdf",
            caption="../report/report_pdf.rst",
            category="Rapport Impact ITIP",
            labels={"document": "{document}", "format": "PDF"},
        ),
    log:
        "logs/report_pdf/{document}.log",
    benchmark:
        "benchmarks/report_pdf/{document}.tsv"
    conda:
        "../envs/impact.yaml"
    params:
        lang=lambda wildcards: REPORT_DOCUMENTS[wildcards.document][1],
        template=lambda wildcards: REPORT_DOCUMENTS[wildcards.document][0],
        options=lookup(dpath="report", within=config),
    script:
        "../scripts/report_pdf.py"


rule provenance:
    """The provenance record: the inputs' checksums, then every document's."""
    input:
        record="results/report/inputs.json",
        documents=report_documents(["html", "pdf", "ipynb"]),
    output:
        provenance=report(
            "results/provenance.json",
            caption="../report/provenance.rst",
            category="Traçabilité",
            labels={"document": "provenance", "format": "JSON"},
        ),
    log:
        "logs/provenance/provenance.log",
    conda:
        "../envs/impact.yaml"
    script:
        "../scripts/provenance.py"
