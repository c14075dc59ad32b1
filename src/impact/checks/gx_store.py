"""Great Expectations stores made reproducible, and copies of them fit to render or publish.

Plain JSON and text work on the files :func:`impact.checks.gx_engine.run_suite` leaves in an
export's GX context (this module does not import Great Expectations):

* **Reproducible stores.** GX stamps every object with a random UUID (data context, data
  source, asset, batch definition, suite, each expectation, validation definition) and records
  the wall-clock time the batch was loaded. :func:`stabilise` replaces each UUID by a
  :func:`uuid.uuid5` of the export's name and the order in which the UUID first appears (the
  same old id gets the same new id in every file, so references still match), and the load
  time by the run time. The run time itself is :func:`run_time`: ``SOURCE_DATE_EPOCH`` when
  set, else the fixed :data:`FALLBACK_RUN_TIME`; it also names the result's directory
  (``validations/<suite>/<run name>/<run time>/``), so two runs write the same paths.
* **Copies for Data Docs.** GX writes the values it reports (``unexpected_list``,
  ``partial_unexpected_*``, ``unexpected_index_list``…) into its HTML pages without escaping
  them. :func:`prepare_for_docs` rewrites the copies a Data Docs build renders: every string
  that came from the data (results, expectation arguments, notes, exception messages) is
  HTML-escaped, and with ``redact=True`` every list of values is dropped and an observed value
  is kept only when it is a number or a date (:data:`KEPT_RESULT_KEYS`), so the published site
  shows counts and percentages, never a respondent's answer. GX's renderer also gives HTML
  elements random ids: :func:`stable_page_ids` makes them deterministic.
"""

from __future__ import annotations

import html
import json
import numbers
import os
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "FALLBACK_RUN_TIME",
    "KEPT_RESULT_KEYS",
    "prepare_for_docs",
    "publishable_observed",
    "redact_result",
    "run_time",
    "stabilise",
    "stable_page_ids",
]

#: Run time of every validation when ``SOURCE_DATE_EPOCH`` is not set (a placeholder, not a
#: measurement: the report stage's provenance record holds the real times of a run).
FALLBACK_RUN_TIME = datetime(1970, 1, 1, tzinfo=UTC)

#: Keys of a GX ``result`` kept in published Data Docs: counts and shares only
#: (``observed_value`` too, when :func:`publishable_observed` lets it through).
KEPT_RESULT_KEYS = ("element_count", "unexpected_count", "unexpected_percent",
                    "unexpected_percent_total", "unexpected_percent_nonmissing",
                    "missing_count", "missing_percent")

_NAMESPACE = uuid.UUID("0f6f3c8e-8d3e-5b6a-9d43-3f1d2a7c9b10")
_UUID_RE = re.compile(
    r"""((?:^|[\s"{,])[A-Za-z_]*id["']?\s*[:=]\s*["']?)"""
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    re.MULTILINE,
)
_UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_LOAD_TIME_RE = re.compile(r'("ge_load_time"\s*:\s*")[0-9T.:Z+-]+(")')
_DATE_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$")
_NOT_ESCAPED = ("row_condition",)  # our own condition objects, parsed back by GX


def run_time() -> datetime:
    """The run time given to GX: ``SOURCE_DATE_EPOCH`` (UTC) when set, else
    :data:`FALLBACK_RUN_TIME`."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else FALLBACK_RUN_TIME


def _store_files(gx_root: Path) -> list[Path]:
    return sorted(p for p in gx_root.rglob("*") if p.is_file()
                  and (p.suffix in (".json", ".yml") or p.name == ".ge_store_backend_id"))


def stabilise(gx_root: Path, name: str, when: datetime) -> None:
    """Deterministic ids and load time in every store file of one export's GX root."""
    mapping: dict[str, str] = {}

    def stable(match: re.Match[str]) -> str:
        old = match.group(2)
        if old not in mapping:
            mapping[old] = str(uuid.uuid5(_NAMESPACE, f"{name}/{len(mapping)}"))
        return match.group(1) + mapping[old]

    stamp = when.strftime("%Y%m%dT%H%M%S.%fZ")
    for path in _store_files(gx_root):
        text = path.read_text(encoding="utf-8")
        new = _UUID_RE.sub(stable, text)
        new = _LOAD_TIME_RE.sub(lambda m: m.group(1) + stamp + m.group(2), new)
        if new != text:
            path.write_text(new, encoding="utf-8")


def stable_page_ids(site_dir: Path) -> None:
    """Replace the random (version 4) UUIDs GX's renderer puts in HTML element ids by uuid5s
    of the page's path and their order in the page (the stores' ids are version 5 already)."""
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        rel = page.relative_to(site_dir).as_posix()
        mapping: dict[str, str] = {}

        def stable(match: re.Match[str], rel: str = rel, mapping: dict = mapping) -> str:
            old = match.group(0)
            if old not in mapping:
                mapping[old] = str(uuid.uuid5(_NAMESPACE, f"{rel}/{len(mapping)}"))
            return mapping[old]

        new = _UUID4_RE.sub(stable, text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def publishable_observed(value: Any) -> Any:
    """``value`` when it is a number, a boolean or a date; None otherwise (a typed string,
    a list of values…)."""
    if value is None or isinstance(value, numbers.Real | date):  # datetime, pd.Timestamp
        return value
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        return value
    return None


def redact_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """A GX ``result`` without any value from the data: counts, shares, a numeric or date
    observed value."""
    out = {key: result[key] for key in KEPT_RESULT_KEYS if key in result}
    observed = publishable_observed(result.get("observed_value"))
    if observed is not None:
        out["observed_value"] = observed
    return out


def _escaped(value: Any) -> Any:
    """Every string in ``value`` (nested lists and dicts too) HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k in _NOT_ESCAPED else _escaped(v)) for k, v in value.items()}
    return value


def _prepare_expectation(config: dict) -> None:
    for key in ("kwargs", "meta"):
        if isinstance(config.get(key), dict):
            config[key] = _escaped(config[key])


def _prepare_result(data: dict, redact: bool) -> None:
    for res in data.get("results", []):
        result = res.get("result") or {}
        res["result"] = _escaped(redact_result(result) if redact else result)
        if isinstance(res.get("exception_info"), dict):
            res["exception_info"] = _escaped(res["exception_info"])
        _prepare_expectation(res.get("expectation_config") or {})


def prepare_for_docs(gx_root: Path, *, redact: bool) -> None:
    """Rewrite the suites and validation results under ``gx_root`` (a copy made for a Data
    Docs build) so that the pages GX renders from them are safe: data strings escaped, and
    no value from the data at all when ``redact``."""
    for path in sorted((gx_root / "expectations").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for config in data.get("expectations", []):
            _prepare_expectation(config)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    for path in sorted((gx_root / "uncommitted" / "validations").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        _prepare_result(data, redact)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
