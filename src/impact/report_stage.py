"""Stage ``report``: the documents (main report, technical annex) in each language.

Four entry points, one per rule of ``workflow/rules/report.smk`` (each script is one call):

1. :func:`report_inputs` writes ``results/report/inputs.json`` (checksums of every input, git
   state, versions, seed, start time) — the annex reads it; slow (hashes the exports) and not
   re-run when a template changes;
2. :func:`report_html`, one job per document × language: executes the notebook template with
   papermill (parameters injected: paths of the tables, campaign, flags, ``lang``…), keeps the
   executed notebook for audit without execution times, renders it to a self-contained HTML
   page (the other language's cells dropped, typography applied) — the fast editing loop;
3. :func:`report_pdf`: the PDF from that HTML (WeasyPrint), and for the French main report a
   check that the PDF has the report's chapters;
4. :func:`provenance`: the record of step 1 with the end time and every document's checksum,
   as ``results/provenance.json``.

Paths are passed to the notebook as given (relative to the working directory, which is the
kernel's working directory too), so the executed notebook names no machine-specific path.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from impact.stages import log, stage_log

#: Chapters the French main report has (h1 headings), checked in the PDF outline.
CHAPTERS = ("Synthèse", "Contexte et questions d'évaluation", "Données et méthode",
            "Résultats par programme", "Insertion professionnelle", "Robustesse", "Limites",
            "Conclusions et recommandations", "Références", "Glossaire")


def kernel_name(preferred: str = "impact-itip") -> str:
    """The project's kernel when installed (``make`` installs it in the venv), else the
    interpreter's own ``python3`` kernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if preferred in specs:
        return preferred
    log.warning("kernel %r not installed; using python3 (run `make` to install it)", preferred)
    return "python3"


def report_date() -> str:
    """Date of the report (ISO), from ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit()
            else datetime.now(UTC))
    return when.date().isoformat()


def pipeline_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("impact-itip")
    except metadata.PackageNotFoundError:
        return "inconnue"


_CAMPAIGN_FR = re.compile(r"^\s*Campagne\s+(\d{4}\s*[-–]\s*\d{4}|\d{4})\s*$", re.IGNORECASE)


def campaign_label(campaign: Mapping, lang: str) -> str:
    """The campaign's name in ``lang`` (cover, source lines): ``campaign.label`` in French;
    in English ``campaign.label_en``, else derived from a French label of the usual form
    (« Campagne 2025-2026 » → "Campaign 2025-2026"), else the French label with a warning in
    the stage's log (an English edition must not silently print French)."""
    label = str(campaign.get("label", ""))
    if lang == "fr" or not label:
        return label
    given = campaign.get(f"label_{lang}")
    if given:
        return str(given)
    match = _CAMPAIGN_FR.match(label)
    if lang == "en" and match:
        return f"Campaign {match.group(1)}"
    log.warning("no campaign.label_%s in the configuration and %r is not of the form "
                "« Campagne 2025-2026 »: the %s edition prints the French label",
                lang, label, lang)
    return label


def demo_key_used(ingest_reports: Sequence[str | Path]) -> bool:
    """True when any export was pseudonymised with the public demonstration key."""
    for path in ingest_reports:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("pseudonym_key") == "demo":
            return True
    return False


def _keep_failed(notebook: str, log_path: str | None) -> str | None:
    """Copy the executed notebook of a failed run next to the log (Snakemake deletes the
    outputs of a failed job)."""
    import shutil

    if not log_path or not Path(notebook).is_file():
        return None
    target = Path(log_path).with_name(Path(notebook).stem + "_failed.ipynb")
    shutil.copyfile(notebook, target)
    return str(target)


def notebook_stderr(notebook: str | Path) -> list[tuple[int, str]]:
    """(cell number, line) of what the executed notebook wrote to stderr — the kernel's
    logging warnings (a label without English text, a missing translation) and Python
    warnings —, each distinct line once, in cell order. The rendered page drops these
    outputs, so :func:`report_html` copies them to the rule's log, where they are read."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    seen: set[str] = set()
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream" or output.get("name") != "stderr":
                continue
            for line in str(output.get("text", "")).splitlines():
                if line.strip() and line not in seen:
                    seen.add(line)
                    found.append((number, line.rstrip()))
    return found


def _log_notebook_stderr(notebook: str | Path) -> None:
    if not Path(notebook).is_file():
        return
    lines = notebook_stderr(notebook)
    for number, line in lines:
        log.warning("notebook cell %d: %s", number, line)
    if lines:
        log.warning("%d line(s) of notebook warnings above (%s): fix their cause, the rendered "
                    "page does not show them", len(lines), notebook)


def _quiet_renderers() -> None:
    for noisy in ("fontTools", "weasyprint"):  # one line per font table / layout step
        logging.getLogger(noisy).setLevel(logging.WARNING)


def report_inputs(
    *,
    tables: Sequence[str],
    pooled: str,
    datapackage: str,
    row_accounting: str,
    ingest_reports: Sequence[str],
    exports: Sequence[str],
    codebooks: Sequence[str],
    instrument: str,
    config_files: Sequence[str],
    simulation: str | None,
    campaign: Mapping,
    run_config: Mapping,
    record_path: str,
    log_path: str | None = None,
    disclosure_summary: str | None = None,
) -> None:
    """Step 1 (module docstring): the inputs' provenance record."""
    from impact.report import provenance

    with stage_log(log_path, "report_inputs"):
        started = provenance.now_utc()
        t0 = time.perf_counter()
        record = provenance.build(
            exports=exports, surveys_dir=str(Path(instrument).parent),
            ingest_reports=ingest_reports, codebooks=codebooks, instrument=instrument,
            config_files=config_files,
            tables=[*tables, pooled, datapackage, row_accounting,
                    *([disclosure_summary] if disclosure_summary else [])],
            simulation=simulation, synthetic=bool(campaign.get("synthetic", False)),
            configuration=run_config, started_at=started)
        if record["mismatches"]:
            log.warning("exports changed since they were read: %s", record["mismatches"])
        provenance.write(record, record_path)
        log.info("provenance: %d inputs hashed in %.1f s", len(record["inputs"]),
                 time.perf_counter() - t0)


def report_html(
    *,
    template: str,
    lang: str,
    documents: Mapping[str, Sequence[str]],
    record: str,
    tables: Sequence[str],
    pooled: str,
    datapackage: str,
    row_accounting: str,
    data_docs: str,
    linkage_quality: Sequence[str],
    ingest_reports: Sequence[str],
    checks: Sequence[str],
    codebooks: Sequence[str],
    instrument: str,
    report_config: str,
    conclusions: str,
    programmes: Sequence[str],
    waves: Mapping[str, Sequence[str]],
    campaign: Mapping,
    analysis: Mapping,
    options: Mapping,
    html: str,
    notebook: str,
    log_path: str | None = None,
    disclosure_summary: str | None = None,
    kernel: str | None = None,
    timeout: int = 1800,
) -> None:
    """Step 2 (module docstring): one document in one language, executed and rendered to
    HTML. ``documents`` maps every document stem made by the run to (template, language):
    the links between documents are computed from it (relative, same directory)."""
    from impact.report import provenance
    from impact.report.render import execute_notebook, notebook_to_html

    with stage_log(log_path, "report_html"):
        programmes = list(programmes)
        title = options.get(f"title_{lang}") or options.get("title") or "Impact ITIP"
        links = {f"{tpl}_{lg}": f"{stem}.html" for stem, (tpl, lg) in documents.items()}
        parameters = {
            "lang": lang,
            "title": title,
            "author": options.get("author", ""),
            "campaign_label": campaign_label(campaign, lang),
            "synthetic": bool(campaign.get("synthetic", False)),
            "demo_key": demo_key_used(ingest_reports),
            "programmes": programmes,
            "waves": {p: list(waves[p]) for p in programmes},
            "disclosure_threshold": int(analysis.get("disclosure_threshold", 10)),
            "alpha": float(analysis.get("alpha", 0.05)),
            "reliability_threshold": float(analysis.get("reliability_threshold", 0.70)),
            "adjustment": str(analysis.get("adjustment", "holm")),
            "family": str(analysis.get("family", "programme")),
            "subgroups": list(analysis.get("subgroups", [])),
            "pipeline_version": pipeline_version(),
            "report_date": report_date(),
            "indicator_tables": list(tables),
            "pooled_table": pooled,
            "datapackage": datapackage,
            "row_accounting": row_accounting,
            "disclosure_summary": disclosure_summary or "",
            "linkage_quality": dict(zip(programmes, linkage_quality, strict=True)),
            "ingest_reports": list(ingest_reports),
            "checks": list(checks),
            "codebooks": dict(zip(programmes, codebooks, strict=True)),
            "instrument": instrument,
            "provenance": record,
            "report_config": report_config,
            "conclusions": conclusions,
            "data_docs_link": os.path.relpath(data_docs, Path(html).parent),
            "annex_link": links.get(f"annexe_technique_{lang}", ""),
            "main_link": links.get(f"impact_itip_{lang}", ""),
        }
        t1 = time.perf_counter()
        try:
            executed = execute_notebook(Path(template), Path(notebook), parameters,
                                        kernel_name=kernel or kernel_name(), cwd=Path.cwd(),
                                        timeout=timeout)
        except Exception as exc:  # papermill's error names the failing cell: keep it in the log
            _log_notebook_stderr(notebook)
            kept = _keep_failed(notebook, log_path)
            log.error("the report notebook failed%s: %s",
                      f" (executed notebook with the error: {kept})" if kept else "", exc)
            raise
        provenance.strip_notebook_times(executed)
        log.info("notebook executed in %.1f s", time.perf_counter() - t1)
        _log_notebook_stderr(executed)
        t2 = time.perf_counter()
        page = notebook_to_html(executed, title=title, author=options.get("author") or None,
                                lang=lang, subject=options.get("subject") or None,
                                keywords=list(options.get("keywords", [])))
        _check_citations(page, report_config)
        Path(html).write_text(page, encoding="utf-8")
        log.info("HTML rendered in %.1f s", time.perf_counter() - t2)


def _check_citations(page: str, report_config: str) -> None:
    """Every work cited in the page « (Auteur, année) » must be in the config's references."""
    from bs4 import BeautifulSoup

    from impact.errors import ConfigError
    from impact.report.citations import check_citations
    from impact.survey.yamlio import read_yaml

    config = read_yaml(report_config) or {}
    text = BeautifulSoup(page, "html.parser").get_text(" ")
    missing = check_citations(text, config.get("references", {}))
    if missing:
        raise ConfigError(f"the report cites {', '.join(missing)} but {report_config} "
                         "(references) does not list them: add an entry per work, keyed "
                         "« Author year »")


def report_pdf(*, html: str, pdf: str, template: str, lang: str, options: Mapping,
               log_path: str | None = None) -> None:
    """Step 3 (module docstring): the PDF of one document, from its HTML."""
    from impact.report.render import html_to_pdf, pdf_metadata

    with stage_log(log_path, "report_pdf"):
        _quiet_renderers()
        t0 = time.perf_counter()
        page = Path(html).read_text(encoding="utf-8")
        pages, outline = html_to_pdf(page, Path(pdf))
        log.info("PDF rendered in %.1f s (%d pages)", time.perf_counter() - t0, pages)
        if template == "impact_itip" and lang == "fr":
            from impact.report.typography import typeset

            # the outline is read from the typeset document (curly apostrophes, no-break spaces)
            missing = [c for c in CHAPTERS if typeset(c, lang) not in outline]
            if missing:
                raise RuntimeError(f"the report lacks chapters {missing}; outline: {outline}")
        log.info("PDF metadata: %s", pdf_metadata(Path(pdf)))


def provenance(*, record: str, documents: Sequence[str], provenance_path: str,
               log_path: str | None = None) -> None:
    """Step 4 (module docstring): the record with every document's checksum."""
    from impact.report import provenance as prov
    from impact.report.render import pdf_page_count

    with stage_log(log_path, "provenance"):
        data = json.loads(Path(record).read_text(encoding="utf-8"))
        pages = {Path(d).stem: pdf_page_count(Path(d)) for d in documents
                 if d.endswith(".pdf")}
        prov.write(prov.finish(data, documents, pages=pages), provenance_path)
