"""Stage ``report``: provenance, then the notebook (papermill), then HTML and PDF.

``workflow/scripts/report.py`` is one call to :func:`report`. Steps:

1. write ``results/provenance.json`` (checksums of every input, git state, versions, seed,
   start time) — the notebook reads it for its annex;
2. execute the notebook template with papermill, parameters injected (paths of the tables,
   campaign, flags…); the executed notebook is kept for audit, without execution times;
3. render it to a self-contained HTML page and a PDF (:func:`impact.report.render.render_report`),
   and check that the PDF has the report's chapters;
4. stamp the end time and the outputs' checksums into the provenance record.

Paths are passed to the notebook as given (relative to the working directory, which is the
kernel's working directory too), so the executed notebook names no machine-specific path.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from impact.stages import log, stage_log

#: Chapters every report has (h1 headings), checked in the PDF outline.
CHAPTERS = ("Synthèse", "Contexte et questions d'évaluation", "Données et méthode",
            "Résultats par programme", "Insertion professionnelle", "Robustesse", "Limites",
            "Annexes")


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


def report(
    *,
    template: str,
    tables: Sequence[str],
    pooled: str,
    datapackage: str,
    row_accounting: str,
    data_docs: str,
    linkage_quality: Sequence[str],
    ingest_reports: Sequence[str],
    checks: Sequence[str],
    exports: Sequence[str],
    codebooks: Sequence[str],
    instrument: str,
    config_files: Sequence[str],
    simulation: str | None,
    programmes: Sequence[str],
    waves: Mapping[str, Sequence[str]],
    campaign: Mapping,
    analysis: Mapping,
    options: Mapping,
    run_config: Mapping,
    html: str,
    pdf: str,
    notebook: str,
    provenance_path: str,
    log_path: str | None = None,
    disclosure_summary: str | None = None,
    kernel: str | None = None,
    timeout: int = 1800,
) -> None:
    """Stage ``report`` (see the module docstring)."""
    from impact.report import provenance
    from impact.report.render import execute_notebook, pdf_outline, render_report

    with stage_log(log_path, "report"):
        for noisy in ("fontTools", "weasyprint"):  # one line per font table / layout step
            logging.getLogger(noisy).setLevel(logging.WARNING)
        started = provenance.now_utc()
        t0 = time.perf_counter()
        programmes = list(programmes)
        synthetic = bool(campaign.get("synthetic", False))
        demo_key = demo_key_used(ingest_reports)
        surveys_dir = str(Path(instrument).parent)
        record = provenance.build(
            exports=exports, surveys_dir=surveys_dir, ingest_reports=ingest_reports,
            codebooks=codebooks, instrument=instrument, config_files=config_files,
            tables=[*tables, pooled, datapackage, row_accounting,
                    *([disclosure_summary] if disclosure_summary else [])],
            simulation=simulation, synthetic=synthetic, configuration=run_config,
            started_at=started)
        if record["mismatches"]:
            log.warning("exports changed since they were read: %s", record["mismatches"])
        provenance.write(record, provenance_path)
        log.info("provenance: %d inputs hashed in %.1f s", len(record["inputs"]),
                 time.perf_counter() - t0)

        title = options.get("title") or "Impact ITIP"
        parameters = {
            "title": title,
            "author": options.get("author", ""),
            "campaign_label": campaign.get("label", ""),
            "synthetic": synthetic,
            "demo_key": demo_key,
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
            "row_accounting": row_accounting,
            "disclosure_summary": disclosure_summary or "",
            "linkage_quality": dict(zip(programmes, linkage_quality, strict=True)),
            "ingest_reports": list(ingest_reports),
            "checks": list(checks),
            "codebooks": dict(zip(programmes, codebooks, strict=True)),
            "instrument": instrument,
            "provenance": provenance_path,
            "data_docs_link": os.path.relpath(data_docs, Path(html).parent),
        }
        t1 = time.perf_counter()
        try:
            executed = execute_notebook(Path(template), Path(notebook), parameters,
                                        kernel_name=kernel or kernel_name(), cwd=Path.cwd(),
                                        timeout=timeout)
        except Exception as exc:  # papermill's error names the failing cell: keep it in the log
            kept = _keep_failed(notebook, log_path)
            log.error("the report notebook failed%s: %s",
                      f" (executed notebook with the error: {kept})" if kept else "", exc)
            raise
        provenance.strip_notebook_times(executed)
        log.info("notebook executed in %.1f s", time.perf_counter() - t1)
        t2 = time.perf_counter()
        result = render_report(executed, Path(html), Path(pdf), title=title,
                               author=options.get("author") or None)
        log.info("HTML and PDF rendered in %.1f s (%d pages)", time.perf_counter() - t2,
                 result.pages)
        outline = pdf_outline(Path(pdf))
        missing = [c for c in CHAPTERS if c not in outline]
        if missing:
            raise RuntimeError(f"the report lacks chapters {missing}; outline: {outline}")
        provenance.write(provenance.finish(record, [notebook, html, pdf], pages=result.pages),
                         provenance_path)
