"""One function per workflow stage: read the stage's inputs, call the library, write outputs.

``workflow/scripts/*.py`` are one call to these functions; they hold no logic. Each stage runs
inside :func:`stage_log`, which logs to the rule's log file and turns a user-facing error
(:class:`~impact.errors.ImpactError`) into one clear message and exit status 1 — the workflow
profile shows failed logs, so the user reads that message and no traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stderr
from pathlib import Path

from impact.errors import ImpactError
from impact.safety import write_safe_csv

log = logging.getLogger("impact")


@contextmanager
def _stderr_into(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` (appending) and restore it on exit: what libraries
    and the processes they start (the notebook's kernel) write to stderr lands in the log."""
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(target, 2)
    os.close(target)
    try:
        with open(path, "a", encoding="utf-8", buffering=1) as stream, redirect_stderr(stream):
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextmanager
def stage_log(path: str | Path | None, name: str) -> Iterator[logging.Logger]:
    """Log to ``path`` (the rule's ``log:``); report :class:`ImpactError` without traceback.

    With a log file, the stage's Python warnings (``logging.captureWarnings``) and anything
    written to stderr meanwhile go to that file, not to the console: the console keeps
    Snakemake's progress and the French message of an :class:`ImpactError`."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    redirect: AbstractContextManager = nullcontext()
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text("", encoding="utf-8")
        handlers = [logging.FileHandler(path, mode="a", encoding="utf-8")]
        redirect = _stderr_into(Path(path))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.captureWarnings(False)  # re-install: a test harness may have swapped showwarning
    logging.captureWarnings(True)
    start = time.perf_counter()
    log.info("stage %s started", name)
    try:
        with redirect, warnings.catch_warnings():
            warnings.simplefilter("default")  # whatever filters the process set before
            yield log
    except ImpactError as exc:
        log.error("%s", exc)
        print(f"\n{exc}\n", file=sys.stderr)
        raise SystemExit(1) from None
    log.info("stage %s done in %.2f s", name, time.perf_counter() - start)


def write_json(data: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True,
                                     default=str) + "\n", encoding="utf-8")


def write_parquet(frame, path: str | Path) -> None:
    """Parquet without pandas' index and with a stable schema (deterministic bytes)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def ingest(*, instrument_path: str, codebook_path: str, wave: str, surveys_dir: str,
           test_markers: list[str], pseudonymisation: dict, interim: str, report: str,
           codes: str, sites_path: str | None = None, log_path: str | None = None) -> None:
    """Stage ``ingest``: one export → interim table, restricted codes, ingest report."""
    from impact.ingest.harmonise import ingest_export
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument
    from impact.survey.sites import load_sites

    with stage_log(log_path, f"ingest {codebook_path} {wave}"):
        instrument = load_instrument(instrument_path)
        codebook = load_codebook(codebook_path, instrument)
        key = _key(pseudonymisation)
        result = ingest_export(codebook, wave, instrument, key=key, test_markers=test_markers,
                               surveys_dir=surveys_dir,
                               sites=load_sites(sites_path) if sites_path else None)
        for note in result.report["notes"]:
            log.warning("%s", note)
        result.report["pseudonym_key"] = "demo" if key.is_demo else "secret"
        write_parquet(result.interim, interim)
        write_parquet(result.codes, codes)
        write_json(result.report, report)
        log.info("%s rows read from %s (%s, %s)", result.report["rows_read"],
                 result.report["file"], result.report["encoding"], result.report["tool"])


def validate(*, instrument_path: str, codebook_path: str, wave: str, config: dict,
             interim: str, corrections: str, context_dir: str,
             kept: str, quarantine: str, quarantine_detail: str, excluded: str, checks: str,
             accounting: str, corrections_log: str, log_path: str | None = None) -> None:
    """Stage ``validate``: GX suite on one export → kept rows, quarantine, exclusions.

    Published (``results/``): ``quarantine`` (row, check, column and a reason quoting no
    value), ``checks`` and ``accounting``. Restricted (``restricted/``): ``kept``,
    ``quarantine_detail`` (the rows' values, full reasons), ``excluded``, ``corrections_log``
    and the GX context in ``context_dir``. The log names rows and columns, never a value.
    """
    import pandas as pd

    from impact.checks.validate import Settings, validate_export
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument

    with stage_log(log_path, f"validate {codebook_path} {wave}"):
        instrument = load_instrument(instrument_path)
        codebook = load_codebook(codebook_path, instrument)
        settings = Settings.from_config(config, codebook.programme)
        result = validate_export(
            pd.read_parquet(interim), codebook, wave, instrument, settings,
            context_dir=Path(context_dir), corrections_path=Path(corrections))
        for _, change in result.corrections.iterrows():
            log.info("correction %s %s (values in %s)", change["row_id"], change["column"],
                     corrections_log)
        write_parquet(result.kept, kept)
        write_safe_csv(result.public_quarantine, quarantine)
        write_safe_csv(result.quarantine, quarantine_detail)
        write_safe_csv(result.excluded, excluded)
        write_safe_csv(result.checks, checks)
        write_safe_csv(result.corrections, corrections_log)
        write_json(result.accounting, accounting)
        log.info("%(read)s read = %(kept)s kept + %(quarantined)s quarantined + "
                 "%(excluded)s excluded", result.accounting)


def row_accounting(*, accounting: list[str], output: str, log_path: str | None = None) -> None:
    """Stage ``row_accounting``: the tidy table of every export's row flow."""
    from impact.checks.accounting import accounting_table

    with stage_log(log_path, "row_accounting"):
        entries = [json.loads(Path(p).read_text(encoding="utf-8")) for p in accounting]
        table = accounting_table(entries)
        write_safe_csv(table, output)


def data_docs(*, context_dir: str, site_dir: str, log_path: str | None = None) -> None:
    """Stage ``data_docs``: one static Great Expectations site for every export, published:
    checks, counts and shares, no value from the data (GX records none, and the site is
    built from redacted copies all the same)."""
    from impact.checks.gx_engine import build_data_docs

    with stage_log(log_path, "data_docs"):
        index = build_data_docs(Path(context_dir), Path(site_dir), redact=True)
        log.info("data docs written to %s", index)


def validation_summary(*, accounting: list[str], checks: list[str], quarantine: list[str],
                       data_docs_index: str, pages: list[str], index: str,
                       log_path: str | None = None) -> None:
    """Stage ``validation_summary``: the French summary page of every export and their index
    (:mod:`impact.checks.summary_page`), each linking its Great Expectations Data Docs page.

    ``accounting``, ``checks``, ``quarantine`` (the published one) and ``pages`` are parallel
    lists, one item per export."""
    import pandas as pd

    from impact.checks.summary_page import ExportSummary, render_export_page, render_index

    with stage_log(log_path, "validation_summary"):
        site = Path(data_docs_index).parent
        index_dir = Path(index).parent
        summaries = []
        for acc_path, checks_path, quarantine_path, page in zip(accounting, checks, quarantine,
                                                                pages, strict=True):
            entry = json.loads(Path(acc_path).read_text(encoding="utf-8"))
            docs = sorted((site / "validations" / f"{entry['programme']}_{entry['wave']}")
                          .rglob("*.html"))
            href = Path(os.path.relpath(docs[0], Path(page).parent)).as_posix() if docs else None
            summary = ExportSummary(entry, pd.read_csv(checks_path, dtype=str), href,
                                    pd.read_csv(quarantine_path, dtype=str))
            Path(page).parent.mkdir(parents=True, exist_ok=True)
            index_href = Path(os.path.relpath(index, Path(page).parent)).as_posix()
            Path(page).write_text(render_export_page(summary, index_href=index_href),
                                  encoding="utf-8")
            summaries.append(summary)
            log.info("summary page %s", page)
        hrefs = [Path(os.path.relpath(page, index_dir)).as_posix() for page in pages]
        docs_href = Path(os.path.relpath(data_docs_index, index_dir)).as_posix()
        Path(index).write_text(render_index(summaries, page_hrefs=hrefs,
                                            data_docs_href=docs_href), encoding="utf-8")


def link(*, instrument_path: str, codebook_path: str, waves: list[str], kept: list[str],
         codes: list[str], truth: str | None, pseudonymisation: dict, linkage: dict,
         min_item_share: float, panel: str, decisions: str,
         quality: str, attrition: str, corrections: str | None = None,
         log_path: str | None = None) -> None:
    """Stage ``link``: kept rows of every wave → respondent × wave panel, linkage report.

    ``corrections``: the programme's ``corrections.yaml``, whose ``links:`` section holds the
    researcher's linkage decisions (logged by row id, never a code)."""
    import pandas as pd

    from impact.checks.corrections import load_link_decisions
    from impact.indicators import contract
    from impact.linkage.panel import build_panel, truth_mapping
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument

    with stage_log(log_path, f"link {codebook_path}"):
        instrument = load_instrument(instrument_path)
        codebook = load_codebook(codebook_path, instrument)
        manual = load_link_decisions(corrections, waves) if corrections else {}
        result = build_panel(
            {w: pd.read_parquet(p) for w, p in zip(waves, kept, strict=True)},
            {w: pd.read_parquet(p) for w, p in zip(waves, codes, strict=True)},
            codebook=codebook, instrument=instrument, key=_key(pseudonymisation),
            linkage=linkage, min_item_share=min_item_share,
            truth=truth_mapping(truth) if truth else None, manual_links=manual,
            manual_source=str(corrections))
        for _, entry in result.manual.iterrows():
            log.info("manual link decision %s: %s (automatic: %s)", entry["row_id"],
                     f"linked to {entry['linked_row_id']}" if entry["applied"] == "link"
                     else "no link", entry["before"])
        for warning in result.warnings:
            log.warning("%s", warning)
        if len(result.cut_links):
            log.warning("%d link(s) cut: the later answer was not sent after the earlier one",
                        len(result.cut_links))
        write_parquet(result.panel, panel)
        # true values, read only by publish (disclosure control decides what is shown)
        contract.write_csv(contract.sort(contract.tidy(result.attrition)), attrition)
        write_safe_csv(result.decisions, decisions)
        write_safe_csv(result.quality, quality)
        for _, row in result.quality.iterrows():
            log.info("%s→%s: %s links (%s tolerant), match rate %.3f%s", row["wave_from"],
                     row["wave_to"], row["links"], row["tolerant"], row["match_rate"],
                     f", precision {row['precision']:.4f}, recall {row['recall']:.4f}"
                     if "precision" in row else "")


def _key(pseudonymisation: dict):
    from impact.ingest.pseudonym import load_key

    return load_key(env_var=pseudonymisation.get("key_env", "IMPACT_PSEUDONYM_KEY"),
                    file_env_var=pseudonymisation.get("key_file_env",
                                                      "IMPACT_PSEUDONYM_KEY_FILE"),
                    demo=pseudonymisation["demo_key"])


def indicators(*, instrument_path: str, codebook_path: str, waves: list[str], panel: str,
               config: dict, output: str, log_path: str | None = None) -> None:
    """Stage ``indicators``: every estimate of one programme (true values, a temporary file
    read only by ``publish``, where disclosure control decides what is shown)."""
    import pandas as pd

    from impact.indicators import contract
    from impact.indicators.programme import programme_indicators
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument

    with stage_log(log_path, f"indicators {codebook_path}"):
        instrument = load_instrument(instrument_path)
        codebook = load_codebook(codebook_path, instrument)
        records = programme_indicators(pd.read_parquet(panel), codebook, instrument, config,
                                       waves)
        table = contract.tidy(records)
        contract.write_csv(contract.sort(table), output)
        log.info("%d estimates", len(table))


def publish(*, partials: list[str], attrition: list[str], quality: list[str],
            programmes: list[str], analysis: dict, campaign: dict, outputs: dict[str, str],
            datapackage: str, log_path: str | None = None) -> None:
    """Stage ``publish``: adjust p-values, pool, write the tables and the data package."""
    import pandas as pd

    import impact.indicators.insertion  # noqa: F401  (registers the insertion indicator codes)
    from impact.indicators import contract
    from impact.indicators.publish import publish_table

    with stage_log(log_path, "publish"):
        table = publish_table(
            [contract.read_csv(p) for p in partials + attrition],
            {prog: pd.read_csv(path) for prog, path in zip(programmes, quality, strict=True)},
            analysis)
        status = table["suppression"].value_counts()
        log.info("disclosure control: %d shown, %d primary, %d secondary",
                 status.get("shown", 0), status.get("primary", 0), status.get("secondary", 0))
        for programme in programmes:
            contract.write_csv(table[table["programme"] == programme], outputs[programme])
        contract.write_csv(table, outputs["pooled"])
        root = Path(datapackage).parent
        resources = {name: str(Path(path).relative_to(root)) for name, path in outputs.items()}
        package = contract.datapackage(
            resources, title=f"Impact ITIP — indicateurs, {campaign['label']}",
            description=("Estimates of the Impact ITIP pipeline, one row per estimate. "
                         + ("Synthetic demonstration data. " if campaign["synthetic"] else "")
                         + "Disclosure control (secret statistique): cells under the "
                         "threshold are blanked (suppression = primary), and so are the cells "
                         "that would let a reader recover them (suppression = secondary); "
                         "a blank in a shown row is a value that does not exist."),
            code_lists=contract.code_lists(table))
        contract.write_datapackage(package, datapackage)
        log.info("%d estimates published for %s", len(table), ", ".join(programmes))


def disclosure_audit(*, tables: list[str], analysis: dict, findings: str, summary: str,
                     fieldwork: str | None = None, log_path: str | None = None) -> None:
    """Stage ``disclosure_audit``: attack the published tables; stop if a cell is recovered.

    Reads only the published CSVs (:mod:`impact.report.disclosure_audit`); writes every
    attacked quantity with its recovery interval, and the per-table summary the report quotes.
    """
    from impact.errors import ImpactError as Failure
    from impact.report import disclosure_audit as audit

    with stage_log(log_path, "disclosure_audit"):
        extra = analysis.get("disclosure") or {}
        threshold = int(analysis["disclosure_threshold"])
        table = audit.read_published(tables)
        if fieldwork:  # the response counts per site are published too (review stage)
            import pandas as pd

            table = pd.concat([table, audit.read_fieldwork(fieldwork)], ignore_index=True)
        found = audit.findings_frame(table, audit.attack(
            table, threshold=threshold,
            protection=float(extra.get("protection_interval", max(threshold - 2, 1))),
            min_numerator=int(extra.get("min_numerator", 3))))
        # an unbounded side is a blank cell: « -inf » would open as a formula in Excel
        bounded = found.replace({c: {float("inf"): None, float("-inf"): None}
                                 for c in ("low", "high", "width")})
        write_safe_csv(bounded, findings, float_format="%.10g", lineterminator="\n")
        write_safe_csv(audit.summary(table, found), summary, float_format="%.10g",
                       lineterminator="\n")
        failed = found[~found["protected"]]
        log.info("%d suppressed quantities attacked, %d recovered beyond the protection "
                 "interval", len(found), len(failed))
        if len(failed):
            first = failed.iloc[0]
            raise Failure(
                f"secret statistique: {len(failed)} suppressed value(s) can be recovered from "
                f"the published tables, e.g. {first['quantity']} of {first['programme']} / "
                f"{first['measure']} / {first['indicator']} / {first['subgroup']}="
                f"{first['subgroup_value']} within [{first['low']:g}, {first['high']:g}]; "
                f"see {findings}")


# ------------------------------------------------------------------ exports (issue 17, item 4)

def export_tables(*, datapackage: str, instrument_path: str, codebook_paths: list[str],
                  campaign: dict, workbook: str, french_csv: list[str],
                  log_path: str | None = None) -> None:
    """Stage ``export_tables``: the published tables as one ``.xlsx`` workbook and as
    French-Excel CSV files (``impact.toolkit.exports``)."""
    from impact import __version__
    from impact.errors import ConfigError
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument
    from impact.toolkit import exports

    with stage_log(log_path, "export_tables"):
        instrument = load_instrument(instrument_path)
        labels = {book.programme: book.label for book in
                  (load_codebook(p, instrument) for p in codebook_paths)}
        tables = exports.read_published(datapackage)
        targets = {Path(p).stem: p for p in french_csv}
        if set(targets) != {t.name for t in tables}:
            raise ConfigError(f"{datapackage} describes the tables "
                              f"{sorted(t.name for t in tables)}, the rule writes "
                              f"{sorted(targets)}: they must be the same.")
        measures = {name: scale.label for name, scale in instrument.scales.items()}
        notes = {t.name: exports.notes(t, campaign=campaign["label"],
                                       synthetic=bool(campaign["synthetic"]),
                                       programmes=labels, version=__version__,
                                       measures=measures)
                 for t in tables}
        exports.write_workbook(tables, workbook, title=f"Impact ITIP — indicateurs, "
                               f"{campaign['label']}", table_notes=notes)
        for table in tables:
            exports.write_french_csv(table, targets[table.name])
            hidden = exports.secret_mask(table.frame).to_numpy().sum()
            log.info("%s: %d rows, %d cells « s. »", table.name, len(table.frame), hidden)


def export_panel(*, panel: str, instrument_path: str, codebook_path: str, dta: str, sav: str,
                 parquet: str, campaign: dict, log_path: str | None = None) -> None:
    """Stage ``export_panel``: one programme's panel as Stata, SPSS and Parquet files with
    variable and value labels, after checking it holds no identifier (restricted zone)."""
    import pandas as pd

    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument
    from impact.toolkit import exports
    from impact.toolkit.dictionary import panel_labels

    with stage_log(log_path, f"export_panel {panel}"):
        instrument = load_instrument(instrument_path)
        codebook = load_codebook(codebook_path, instrument)
        frame = pd.read_parquet(panel)
        free_text = [v.name for v in instrument.variables.values()
                     if v.type in ("text", "code") and v.name != "site"]
        exports.assert_pseudonymised(
            frame, source=panel, free_text=free_text,
            identifiers=tuple(i for w in codebook.waves.values() for i in w.identifiers))
        labels = panel_labels(list(frame.columns), instrument, codebook)
        exports.write_panel(frame, labels, dta=dta, sav=sav, parquet=parquet,
                            file_label=f"Impact ITIP, {codebook.label}, {campaign['label']}")
        log.info("%d rows x %d variables written (Stata, SPSS, Parquet)", *frame.shape)


def data_dictionary(*, panels: list[str], instrument_path: str, codebook_paths: list[str],
                    campaign: dict, workbook: str, schemas: list[str],
                    log_path: str | None = None) -> None:
    """Stage ``data_dictionary``: the panels' dictionary (``.xlsx``) and one Frictionless
    Table Schema per programme, from the panels' columns and types only."""
    import pyarrow.parquet as pq

    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument
    from impact.toolkit import dictionary, exports

    with stage_log(log_path, "data_dictionary"):
        instrument = load_instrument(instrument_path)
        books = [load_codebook(p, instrument) for p in codebook_paths]
        empty = {book.programme: pq.read_schema(path).empty_table().to_pandas()
                 for book, path in zip(books, panels, strict=True)}
        frames = dictionary.dictionary_frames(empty, instrument,
                                              {b.programme: b for b in books})
        exports.write_dictionary(frames, workbook, title=f"Impact ITIP — dictionnaire des "
                                 f"données, {campaign['label']}")
        for book, path in zip(books, schemas, strict=True):
            dictionary.write_schema(dictionary.table_schema(frames, book.programme), path)
        log.info("%d variables described", len(frames["variables"]))


def review(*, programmes: dict[str, list[str]], surveys_dir: str, interim: list[str],
           kept: list[str], quarantine: list[str], excluded: list[str], codes: list[str],
           panels: list[str], linkage_decisions: list[str], analysis: dict, linkage: dict,
           workbook: str, fieldwork: str, log_path: str | None = None) -> None:
    """Stage ``review``: the researcher's review workbook (restricted) and the published
    fieldwork table (``results/validation/fieldwork.csv``, secret statistique applied).

    ``programmes``: programme → waves; the per-wave lists follow that order (programme by
    programme, wave by wave), ``panels`` and ``linkage_decisions`` one per programme. The log
    names counts only."""
    import pandas as pd

    from impact.toolkit.fieldwork import published_fieldwork, response_rates
    from impact.toolkit.review import Programme, existing_decisions, review_tables, write_workbook

    with stage_log(log_path, "review"):
        surveys = Path(surveys_dir)
        files = iter(zip(interim, kept, quarantine, excluded, codes, strict=True))
        entries, rates = [], []
        for (name, waves), panel, decisions in zip(programmes.items(), panels,
                                                   linkage_decisions, strict=True):
            per_wave = {w: next(files) for w in waves}
            entry = Programme(
                name=name, waves=list(waves),
                interim={w: pd.read_parquet(f[0]) for w, f in per_wave.items()},
                kept={w: pd.read_parquet(f[1]) for w, f in per_wave.items()},
                quarantine={w: pd.read_csv(f[2], dtype={"row_id": str}, keep_default_na=False,
                                           na_values=[""]) for w, f in per_wave.items()},
                excluded={w: pd.read_csv(f[3], dtype=str) for w, f in per_wave.items()},
                codes={w: pd.read_parquet(f[4]) for w, f in per_wave.items()},
                panel=pd.read_parquet(panel, columns=["row_id", "wave", "respondent_id"]),
                linkage=pd.read_csv(decisions, dtype=str),
                corrections=existing_decisions(surveys / name / "corrections.yaml"),
                max_distance=int(linkage["max_distance"]),
                max_age_gap=int(linkage["max_age_gap"]))
            entries.append(entry)
            rates.append(response_rates(entry.kept, _sites(surveys, name), name))
        detail = pd.concat(rates, ignore_index=True)
        tables = review_tables(entries, detail)
        write_workbook(tables, workbook)
        write_safe_csv(published_fieldwork(detail, analysis), fieldwork)
        for sheet, table in tables.items():
            log.info("review workbook, sheet %s: %d rows", sheet, len(table))


def _sites(surveys: Path, programme: str):
    """The programme's declared sites (None when it declares none)."""
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument
    from impact.survey.sites import load_sites

    book = load_codebook(surveys / programme / "codebook.yaml",
                         load_instrument(surveys / "instrument.yaml"))
    return load_sites(book.sites_path) if book.sites_path.is_file() else None
