"""Thin wrapper around Great Expectations 1.x: run expectation specs on a DataFrame; Data Docs.

The validation stage turns a codebook into a list of :class:`ExpectationSpec` and calls
:func:`run_suite` once per programme x wave; a final step calls :func:`build_data_docs` to gather
every export's result into one static site. Everything GX-specific lives here.

Design notes (facts checked against great_expectations 1.24.1, pandas 3.1):

* **Import cost.** ``import great_expectations`` takes 3-8 s, so it is only imported inside
  the functions that need it (:func:`_gx`); importing this module does not import GX.
* **Telemetry.** ``GX_ANALYTICS_ENABLED=false`` is put in the environment before GX is
  imported and every context we create gets ``analytics_enabled: false`` (GX 1.0-1.x shipped a
  PostHog client honouring these two switches; 1.24.1 no longer has the client but keeps the
  switches). Data Docs pages also load their logo from an S3 URL carrying the data-context id
  (a web beacon): :func:`build_data_docs` rewrites it to the local copy of the logo.
* **One file context per export.** ``run_suite`` works in ``context_dir/<name>/`` (a GX *file*
  context, ``gx/`` below it), wiped at the start of each call, so parallel jobs with distinct
  names never share a ``great_expectations.yml`` or a store, and a re-run leaves exactly one
  validation result per export. Calls with the same name are serialised by a lock file.
* **Results.** The run uses ``result_format=COMPLETE`` with
  ``unexpected_index_column_names=[id_column]`` and ``exclude_unexpected_values=True``: GX
  keeps the ids of the failing rows and none of their values (``unexpected_index_list`` is
  ``[{id_column: [id, id, ...]}]``; no ``unexpected_list``, ``partial_unexpected_list`` or
  ``partial_unexpected_counts``). For pandas, COMPLETE is never truncated: every failing id
  is listed. The ``unexpected_index_query`` string (``df.filter(items=[...])``) is switched
  off. The stored results name rows of the export: the context directory lives in the
  restricted zone (``restricted/validation/gx``); what is published is ``checks.csv``
  (counts, numeric or date observed values) and the Data Docs site (:func:`build_data_docs`,
  redacted again, in case a later GX version put values back).
* **Reproducible stores.** The run time is ``SOURCE_DATE_EPOCH`` or a fixed placeholder, and
  the random UUIDs GX writes are replaced by deterministic ones
  (:mod:`impact.checks.gx_store`): two runs on the same data write byte-identical stores and
  Data Docs, under the same paths.
* **Nulls.** Column map expectations ignore nulls (``NaN``/``None``/``pd.NA``/``NaT``, in
  ``str``, ``string``, ``Int64``, ``Int8``, ``boolean`` and ``datetime64`` columns alike; they
  are counted in ``missing_count``), except ``expect_column_values_to_not_be_null``.
  Column *pair* expectations default to ``ignore_row_if="both_values_are_missing"``, so a row
  with one missing side is *unexpected*; pass ``ignore_row_if="either_value_is_missing"`` to skip
  it.
* **Datetime bounds.** GX compares datetime columns with the bounds as given and fails
  (exception "Cannot compare Timestamp with datetime.date") when a bound is a string or a
  ``datetime.date`` (what YAML gives for ``2025-09-01``). :func:`run_suite` converts
  ``min_value``/``max_value`` to ``pd.Timestamp`` (with the column's time zone) when the target
  column is a datetime column.
* **Data Docs** pages are static HTML, but they load Bootstrap, jQuery, bootstrap-table,
  Font Awesome and Vega from public CDNs (no copy of these ships with GX); only fonts, images
  and GX's own CSS are copied into ``static/``. Validation pages are rendered server-side and
  stay readable offline (unstyled); the GX index lists results through bootstrap-table (JS),
  so :func:`build_data_docs` adds a plain-HTML list of the validation pages that shows when
  those scripts could not load.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from impact.checks.gx_store import (
    prepare_for_docs,
    publishable_observed,
    run_time,
    stabilise,
    stable_page_ids,
)
from impact.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.data_context import FileDataContext

__all__ = [
    "FAILED_ROW_COLUMNS",
    "LEVELS",
    "RESULT_COLUMNS",
    "SEVERITIES",
    "ExpectationSpec",
    "SuiteOutcome",
    "build_data_docs",
    "expectation_class",
    "run_suite",
]

LEVELS = ("table", "row")
SEVERITIES = ("stop", "exclude", "quarantine", "warn")

#: our severity -> GX ``FailureSeverity`` (informative only: GX success ignores it)
_GX_SEVERITY = {"stop": "critical", "exclude": "warning", "quarantine": "warning",
                "warn": "info"}

RESULT_COLUMNS = [
    "check",
    "type",
    "column",
    "level",
    "severity",
    "success",
    "unexpected_count",
    "element_count",
    "observed_value",
    "exception",
]
FAILED_ROW_COLUMNS = ["row_id", "check"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_DATASOURCE = "impact"
_SITE_NAME = "impact"
_LOGO_RE = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([A-Za-z0-9_.-]+)"
    r"(?:\?[^\"'\s>]*)?"
)
_OFFLINE_ID = "impact-offline-index"


# --------------------------------------------------------------------------------------------
# Public data types


@dataclass(frozen=True)
class ExpectationSpec:
    """One check, as the validation stage derives it from the codebook.

    ``type`` is the GX expectation name in snake_case (``expect_column_values_to_be_in_set``),
    ``kwargs`` its arguments (``column``, ``value_set``, ``mostly``...), ``check`` our stable short
    id (unique within a suite, e.g. ``allowed_codes:gender``), ``level`` ``"table"`` or ``"row"``
    (row-level checks report their failing rows), ``severity`` ``"stop"``, ``"quarantine"`` or
    ``"warn"``, ``message_fr`` the French template describing a failure (kept in the GX meta).
    """

    type: str
    kwargs: Mapping[str, Any]
    check: str
    level: Literal["table", "row"] = "table"
    severity: Literal["stop", "exclude", "quarantine", "warn"] = "stop"
    message_fr: str = ""

    def __post_init__(self) -> None:
        if not self.check:
            raise ConfigError(f"expectation {self.type!r}: empty check id")
        if self.level not in LEVELS:
            raise ConfigError(f"check {self.check!r}: level must be one of {LEVELS}")
        if self.severity not in SEVERITIES:
            raise ConfigError(f"check {self.check!r}: severity must be one of {SEVERITIES}")
        if not isinstance(self.type, str) or not self.type.startswith("expect_"):
            raise ConfigError(f"check {self.check!r}: {self.type!r} is not an expectation name")


@dataclass(frozen=True)
class SuiteOutcome:
    """What :func:`run_suite` returns.

    ``results``: one row per spec (in spec order), columns :data:`RESULT_COLUMNS`.
    ``failed_rows``: one row per failing row x row-level check, columns ``row_id`` (the value of
    the ``id_column``) and ``check``; every row GX reports as unexpected is listed, whether or not
    ``mostly`` let the check as a whole pass. Table-level checks add no rows.
    ``success``: GX's verdict for the whole suite (every check passed).
    ``result_path``: the validation result JSON in the context's store.
    ``context_root``: the export's GX context directory (``context_dir/<name>``).
    """

    results: pd.DataFrame
    failed_rows: pd.DataFrame
    success: bool
    result_path: Path
    context_root: Path = field(default=Path())


# --------------------------------------------------------------------------------------------
# GX import and context helpers


def _gx():
    """Import great_expectations with analytics off (the import is slow: call lazily)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def _file_context(project_root: Path) -> FileDataContext:
    """A GX file context in ``project_root/gx``, analytics and progress bars off."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    project_root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(project_root))
    ctx.variables.analytics_enabled = False
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    ctx.variables.save()
    return ctx


def _gx_root(project_root: Path) -> Path:
    return project_root / "gx"


def expectation_class(type_name: str) -> type:
    """The GX expectation class for a snake_case name (``expect_column_to_exist`` ->
    ``gx.expectations.ExpectColumnToExist``); falls back on GX's registry for expectations that
    are registered but not exported."""
    gx = _gx()
    camel = "".join(part[:1].upper() + part[1:] for part in type_name.split("_"))
    cls = getattr(gx.expectations, camel, None)
    if cls is None:
        from great_expectations.expectations.registry import get_expectation_impl

        try:
            cls = get_expectation_impl(type_name)
        except Exception as exc:  # ExpectationNotFoundError and friends
            raise ConfigError(f"unknown Great Expectations expectation {type_name!r}") from exc
    return cls


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Exclusive advisory lock (POSIX); a no-op where ``fcntl`` is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------------------------
# Building expectations


def _columns_of(kwargs: Mapping[str, Any]) -> list[str]:
    if "column" in kwargs:
        return [str(kwargs["column"])]
    if "column_list" in kwargs:
        return [str(c) for c in kwargs["column_list"]]
    if "column_A" in kwargs or "column_B" in kwargs:
        return [str(kwargs.get("column_A", "")), str(kwargs.get("column_B", ""))]
    return []


def _as_timestamp(value: Any, tz: Any) -> Any:
    if value is None or isinstance(value, (int, float, dict)):
        return value  # numbers and {"$PARAMETER": ...} are left to GX
    if isinstance(value, (str, _dt.date, _dt.datetime)) or hasattr(value, "dtype"):
        ts = pd.Timestamp(value)
        if tz is not None and ts.tzinfo is None:
            ts = ts.tz_localize(tz)
        elif tz is None and ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts
    return value


def _row_condition(condition: tuple[str, str, Any]):
    """``(column, operator, value)`` → a GX ``Condition`` (string conditions are deprecated
    since GX 1.9); keeps callers free of GX imports."""
    import operator

    from great_expectations.expectations.row_conditions import Column

    column, op, value = condition
    ops = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
           ">": operator.gt, ">=": operator.ge}
    return ops[op](Column(column), value)


def _normalise_kwargs(spec: ExpectationSpec, df: pd.DataFrame) -> dict[str, Any]:
    """Copy the kwargs; turn datetime bounds into Timestamps for datetime columns, and
    ``row_condition`` tuples into GX conditions."""
    kwargs = dict(spec.kwargs)
    if isinstance(kwargs.get("row_condition"), tuple):
        kwargs["row_condition"] = _row_condition(kwargs["row_condition"])
    column = kwargs.get("column")
    if (
        isinstance(column, str)
        and column in df.columns
        and pd.api.types.is_datetime64_any_dtype(df[column].dtype)
    ):
        tz = getattr(df[column].dtype, "tz", None)
        for key in ("min_value", "max_value"):
            if key in kwargs:
                kwargs[key] = _as_timestamp(kwargs[key], tz)
    return kwargs


def _build_expectation(spec: ExpectationSpec, df: pd.DataFrame):
    cls = expectation_class(spec.type)
    meta = {
        "check": spec.check,
        "level": spec.level,
        "severity": spec.severity,
        "message_fr": spec.message_fr,
    }
    extra: dict[str, Any] = {"meta": meta}
    if "severity" in getattr(cls, "__fields__", {}):  # GX >= 1.?; absent in early 1.x
        extra["severity"] = _GX_SEVERITY[spec.severity]
    try:
        return cls(**_normalise_kwargs(spec, df), **extra)
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError, TypeError...
        raise ConfigError(f"check {spec.check!r} ({spec.type}): invalid arguments: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Reading GX results


def _exception_text(exception_info: Any) -> str:
    """GX 1.x ``exception_info`` is either flat (``{"raised_exception": ..., "exception_message":
    ...}``) or, when a metric failed, keyed by metric id (``{"MetricConfigurationID(...)":
    {...}}``)."""
    if not exception_info:
        return ""
    infos = [exception_info] if "raised_exception" in exception_info else exception_info.values()
    messages: list[str] = []
    for info in infos:
        if isinstance(info, Mapping) and info.get("raised_exception"):
            msg = str(info.get("exception_message") or "exception sans message")
            if msg not in messages:
                messages.append(msg)
    return "; ".join(messages)


def _observed(result: Mapping[str, Any]) -> str:
    """The observed value for ``checks.csv`` (published): numbers and dates only."""
    value = publishable_observed(result.get("observed_value"))
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return str(value)


def _tidy(
    suite_result: Any, specs: list[ExpectationSpec], id_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    by_check: dict[str, Any] = {}
    for res in suite_result.results:
        check = (res.expectation_config.meta or {}).get("check")
        by_check[check] = res

    rows: list[dict[str, Any]] = []
    failed: list[pd.DataFrame] = []
    for spec in specs:
        res = by_check.get(spec.check)
        columns = ",".join(_columns_of(spec.kwargs))
        if res is None:  # should not happen: GX returns one result per expectation
            rows.append(
                dict(
                    check=spec.check,
                    type=spec.type,
                    column=columns,
                    level=spec.level,
                    severity=spec.severity,
                    success=False,
                    unexpected_count=None,
                    element_count=None,
                    observed_value="",
                    exception="résultat absent du retour de Great Expectations",
                )
            )
            continue
        result = res.result or {}
        rows.append(
            dict(
                check=spec.check,
                type=spec.type,
                column=columns,
                level=spec.level,
                severity=spec.severity,
                success=bool(res.success),
                unexpected_count=result.get("unexpected_count"),
                element_count=result.get("element_count"),
                observed_value=_observed(result),
                exception=_exception_text(res.exception_info),
            )
        )
        index_list = result.get("unexpected_index_list")
        if spec.level == "row" and index_list:
            if isinstance(index_list[0], Mapping):  # values excluded: {id: [ids...]}
                ids = pd.DataFrame.from_records(index_list, columns=[id_column])[id_column]
                ids = ids.explode().dropna()
            else:  # plain positional indices (no id column requested)
                ids = pd.Series(index_list)
            failed.append(pd.DataFrame({"row_id": ids.astype(str), "check": spec.check}))

    results = pd.DataFrame(rows, columns=RESULT_COLUMNS).astype(
        {
            "check": "str",
            "type": "str",
            "column": "str",
            "level": "str",
            "severity": "str",
            "success": "bool",
            "unexpected_count": "Int64",
            "element_count": "Int64",
            "observed_value": "str",
            "exception": "str",
        }
    )
    if failed:
        failed_rows = pd.concat(failed, ignore_index=True).drop_duplicates(ignore_index=True)
    else:
        failed_rows = pd.DataFrame({"row_id": [], "check": []})
    failed_rows = failed_rows.astype({"row_id": "str", "check": "str"})
    return results, failed_rows


# --------------------------------------------------------------------------------------------
# run_suite


def run_suite(
    df: pd.DataFrame,
    expectations: list[ExpectationSpec],
    *,
    context_dir: Path,
    name: str,
    id_column: str = "row_id",
) -> SuiteOutcome:
    """Validate ``df`` with GX, for real, and store the result under ``context_dir/<name>/``.

    ``name`` identifies the export (``<programme>_<wave>``): it names the GX suite, the run and the
    per-export context directory, which is wiped first (one result per export; parallel calls
    with different names never touch the same files). An expectation that raises inside GX (a
    missing column...) comes back as a failed check whose ``exception`` holds GX's message.
    Invalid specs (unknown expectation, bad arguments, duplicate check ids) raise
    :class:`~impact.errors.ConfigError` before anything runs.
    """
    if not _NAME_RE.match(name):
        raise ConfigError(f"invalid suite name {name!r} (letters, digits, '_', '.', '-')")
    if id_column not in df.columns:
        raise ConfigError(f"id column {id_column!r} is not a column of the data to validate")
    checks = [spec.check for spec in expectations]
    duplicated = sorted({c for c in checks if checks.count(c) > 1})
    if duplicated:
        raise ConfigError(f"duplicate check ids in suite {name!r}: {', '.join(duplicated)}")

    gx = _gx()
    from great_expectations.core.run_identifier import RunIdentifier

    built = [_build_expectation(spec, df) for spec in expectations]

    context_dir = Path(context_dir)
    project_root = context_dir / name
    with _locked(context_dir / f".{name}.lock"):
        if project_root.exists():
            shutil.rmtree(project_root)
        ctx = _file_context(project_root)
        suite = ctx.suites.add(gx.ExpectationSuite(name=name, expectations=built))
        asset = ctx.data_sources.add_pandas(_DATASOURCE).add_dataframe_asset(name)
        batch_definition = asset.add_batch_definition_whole_dataframe(name)
        validation = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        when = run_time()
        run_id = RunIdentifier(run_name=name, run_time=when)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            suite_result = validation.run(
                batch_parameters={"dataframe": df},
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": [id_column],
                    "exclude_unexpected_values": True,
                    "return_unexpected_index_query": False,
                },
                run_id=run_id,
            )
        stored = sorted((_gx_root(project_root) / "uncommitted" / "validations").rglob("*.json"))
        if len(stored) != 1:  # pragma: no cover - GX store layout changed
            raise RuntimeError(f"expected one stored validation result, found {len(stored)}")
        stabilise(_gx_root(project_root), name, when)

    results, failed_rows = _tidy(suite_result, list(expectations), id_column)
    return SuiteOutcome(
        results=results,
        failed_rows=failed_rows,
        success=bool(suite_result.success),
        result_path=stored[0],
        context_root=project_root,
    )


# --------------------------------------------------------------------------------------------
# Data Docs


def _export_roots(context_dirs: Iterable[Path] | Path) -> list[Path]:
    """GX roots (``.../gx``) of the export contexts. Each path is either an export context
    (``context_dir/<name>``) or a ``context_dir`` holding several of them."""
    paths = [context_dirs] if isinstance(context_dirs, (str, Path)) else list(context_dirs)
    roots: list[Path] = []
    for path in map(Path, paths):
        if (_gx_root(path) / "great_expectations.yml").is_file():
            roots.append(_gx_root(path))
        elif path.is_dir():
            roots.extend(
                _gx_root(child)
                for child in sorted(path.iterdir())
                if (_gx_root(child) / "great_expectations.yml").is_file()
            )
        else:
            raise ConfigError(f"no Great Expectations context found at {path}")
    unique: list[Path] = []
    for root in roots:
        if root.resolve() not in [u.resolve() for u in unique]:
            unique.append(root)
    return unique


def _copy_stores(roots: list[Path], target: Path) -> list[Path]:
    """Copy suites and validation results of every export into the ``target`` GX root.
    Returns the result paths relative to the validations store."""
    seen: dict[str, Path] = {}
    copied: list[Path] = []
    for root in roots:
        for suite_file in sorted((root / "expectations").glob("*.json")):
            suite_name = suite_file.stem
            if suite_name in seen:
                raise ConfigError(
                    f"suite {suite_name!r} found in both {seen[suite_name]} and {root}"
                )
            seen[suite_name] = root
            shutil.copy2(suite_file, target / "expectations" / suite_file.name)
        validations = root / "uncommitted" / "validations"
        for result in sorted(validations.rglob("*.json")):
            rel = result.relative_to(validations)
            dest = target / "uncommitted" / "validations" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(result, dest)
            copied.append(rel)
    return copied


def _localise_logo(site_dir: Path) -> None:
    """Point GX's S3-hosted images (the navbar logo URL carries the data-context id and a
    timestamp: a web beacon) at the local copies in ``static/images``."""
    images = site_dir / "static" / "images"

    def local(match: re.Match[str], up: str) -> str:
        name = match.group(1) if (images / match.group(1)).is_file() else "logo-long.png"
        return f"{up}static/images/{name}"

    for page in [*site_dir.rglob("*.html"), *site_dir.rglob("*.css")]:
        text = page.read_text(encoding="utf-8")
        if "great-expectations-web-assets" not in text:
            continue
        up = "../" * (len(page.relative_to(site_dir).parts) - 1)
        text = _LOGO_RE.sub(lambda m, up=up: local(m, up), text)
        page.write_text(text, encoding="utf-8")


def _offline_index(site_dir: Path, success_by_page: Mapping[str, bool]) -> None:
    """Add a plain-HTML list of the validation pages to index.html (GX renders its own list
    with bootstrap-table loaded from a CDN, which shows nothing offline)."""
    index = site_dir / "index.html"
    pages = sorted((site_dir / "validations").rglob("*.html"))
    rows = []
    for page in pages:
        rel = page.relative_to(site_dir).as_posix()
        parts = page.relative_to(site_dir / "validations").parts  # suite/run/time/batch.html
        status = {True: "réussie", False: "échec"}.get(success_by_page.get(rel), "?")
        run_time = parts[2] if len(parts) > 2 else ""
        rows.append(
            f'<tr><td><a href="{html.escape(rel)}">{html.escape(parts[0])}</a></td>'
            f"<td>{html.escape(run_time)}</td><td>{status}</td></tr>"
        )
    block = (
        f'<div id="{_OFFLINE_ID}" style="margin:1em 3em;font-family:sans-serif">'
        "<h2>Résultats de validation</h2>"
        "<p>Liste statique (la table interactive de Great Expectations a besoin de scripts "
        "chargés depuis Internet).</p>"
        '<table border="1" cellpadding="4" style="border-collapse:collapse">'
        "<thead><tr><th>Export</th><th>Exécution (UTC)</th><th>Validation</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        "<script>if (window.jQuery && window.jQuery.fn && window.jQuery.fn.bootstrapTable) {"
        f"document.getElementById('{_OFFLINE_ID}').style.display = 'none';}}</script>"
    )
    text = index.read_text(encoding="utf-8")
    text = re.sub(r"</body>", lambda _: block + "\n</body>", text, count=1)
    index.write_text(text, encoding="utf-8")


def build_data_docs(context_dirs: list[Path] | Path, site_dir: Path, *,
                    redact: bool = True) -> Path:
    """Build one static Data Docs site in ``site_dir`` from the export contexts written by
    :func:`run_suite` (each a ``context_dir/<name>`` or a ``context_dir`` holding them).

    Suites and validation results are copied into a temporary GX context whose only Data Docs
    site is ``site_dir`` (replaced if it exists): one validation page per export
    (``validations/<name>/<name>/<run time>/impact-<name>.html``), one page per suite
    (``expectations/<name>.html``), ``static/`` assets and ``index.html``, which is returned.
    The copies are made safe first (:func:`impact.checks.gx_store.prepare_for_docs`): strings
    from the data HTML-escaped and, with ``redact`` (the default: a site fit to publish), no
    value from the data at all — counts and shares only. ``redact=False`` shows the failing
    values and row ids, for a site kept in the restricted zone.
    """
    site_dir = Path(site_dir).resolve()
    roots = _export_roots(context_dirs)
    for root in roots:
        if root.resolve().is_relative_to(site_dir):
            raise ConfigError(f"site_dir {site_dir} contains the GX context {root}")
    if site_dir.exists():
        shutil.rmtree(site_dir)
    site_dir.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="impact-gx-docs-") as tmp:
        ctx = _file_context(Path(tmp))
        target = _gx_root(Path(tmp))
        copied = _copy_stores(roots, target)
        prepare_for_docs(target, redact=redact)
        ctx.variables.data_docs_sites = {
            _SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
        ctx.variables.save()
        success_by_page: dict[str, bool] = {}
        for rel in copied:
            data = json.loads((target / "uncommitted" / "validations" / rel).read_text("utf-8"))
            page = Path("validations", rel).with_suffix(".html").as_posix()
            success_by_page[page] = bool(data.get("success"))
        ctx.build_data_docs(site_names=[_SITE_NAME])

    index = site_dir / "index.html"
    if not index.is_file():  # pragma: no cover - GX layout changed
        raise RuntimeError(f"Great Expectations did not write {index}")
    _localise_logo(site_dir)
    stable_page_ids(site_dir)
    _offline_index(site_dir, success_by_page)
    return index
