"""Provenance of a run: what went in (checksums), with what code (git, versions), when.

Written by the report stage to ``results/provenance.json`` and shown in the report's annex, so
that an evaluator can check that the numbers they read come from the exports they hold:

- SHA-256 of every input file: the raw exports, codebooks, instrument, configuration files,
  the simulation parameters (synthetic campaigns) and the result tables the report reads;
  each export's checksum is compared with the one its ingest report recorded (a mismatch
  means the export changed after it was read, and is listed under ``mismatches``);
- the git commit of the working tree and whether it had uncommitted changes (read-only git
  commands; « not a git repository » or « git not installed » are recorded, not errors);
- the versions of the key packages (``importlib.metadata``), Python and the platform;
- the simulation seed when the campaign is synthetic;
- start and end timestamps (UTC, ISO 8601) of the report stage, and the checksums of what it
  wrote.

Reproducibility: two runs on the same inputs, code and environment write byte-identical files
under ``results/``, except the fields of :data:`VOLATILE_FIELDS` — the one list of them,
explained in ``docs/reproducibility.md``. With ``SOURCE_DATE_EPOCH`` set they are identical
too (:func:`now_utc` returns that time). The executed notebook keeps no execution time
(:func:`strip_notebook_times`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

__all__ = [
    "KEY_PACKAGES",
    "NOTEBOOK_TIMES",
    "VOLATILE_ACROSS_DAYS",
    "VOLATILE_FIELDS",
    "build",
    "file_entry",
    "finish",
    "git_state",
    "now_utc",
    "package_versions",
    "sha256_file",
    "simulation_seed",
    "strip_notebook_times",
    "write",
]

#: Packages whose version is recorded (those that shape the numbers or the report).
KEY_PACKAGES = (
    "impact-itip", "snakemake", "pandas", "numpy", "scipy", "statsmodels", "pingouin",
    "scikit-learn", "great_expectations", "pyarrow", "openpyxl", "matplotlib", "babel",
    "papermill", "nbconvert", "weasyprint", "frictionless", "rapidfuzz", "pyyaml",
)


#: The only outputs under ``results/`` that may differ between two runs of the same inputs,
#: code and environment: file → what differs. ``SOURCE_DATE_EPOCH`` fixes all of them.
VOLATILE_FIELDS: dict[str, tuple[str, ...]] = {
    # the report stage's start and end times (JSON keys of the provenance record)
    "results/provenance.json": ("started_at", "finished_at"),
    # the inputs' record the documents are made from (its start time)
    "results/report/inputs.json": ("started_at",),
}
#: Not a field, a date: the report's date is today's (UTC) unless ``SOURCE_DATE_EPOCH`` is set,
#: so the report (HTML, PDF, notebook) and the checksums of it in provenance.json differ
#: between two runs on different days only.
VOLATILE_ACROSS_DAYS = tuple(
    f"results/report/{stem}.{ext}"
    for stem in ("impact_itip", "impact_itip_annexe_technique", "impact_itip_en",
                 "impact_itip_technical_annex_en")
    for ext in ("html", "pdf", "ipynb")) + ("results/report/inputs.json",
                                            "results/provenance.json")
#: Execution times papermill writes into the executed notebook (top level and every cell).
NOTEBOOK_TIMES = ("start_time", "end_time", "duration")


def now_utc() -> str:
    """Current time, UTC, ISO 8601 to the second (« 2026-11-29T03:40:50Z »); the time of
    ``SOURCE_DATE_EPOCH`` when it is set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def strip_notebook_times(path: str | Path) -> None:
    """Remove papermill's execution times (:data:`NOTEBOOK_TIMES`, and Jupyter's per-cell
    ``execution`` timestamps) from an executed notebook, in place, and give the cell papermill
    injects (random id) the fixed id ``injected-parameters``: the run's times are in the
    provenance record, the notebook stays byte-identical between runs."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for meta in [nb.metadata, *(cell.metadata for cell in nb.cells)]:
        meta.pop("execution", None)
        for key in NOTEBOOK_TIMES:
            meta.get("papermill", {}).pop(key, None)
        for key in ("input_path", "output_path"):  # where this run's copies lived
            if meta.get("papermill", {}).get(key):
                meta["papermill"][key] = Path(meta["papermill"][key]).name
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []) and "id" in cell:
            cell["id"] = "injected-parameters"
    nbformat.write(nb, str(path))


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: str | Path, role: str) -> dict:
    """``{"path", "role", "bytes", "sha256"}`` of one file (path as given, POSIX form)."""
    p = Path(path)
    return {"path": p.as_posix(), "role": role, "bytes": p.stat().st_size,
            "sha256": sha256_file(p)}


def git_state(directory: str | Path = ".") -> dict:
    """Commit and dirtiness of the git working tree containing ``directory``.

    Read-only: ``git rev-parse`` and ``git --no-optional-locks status`` (which does not even
    refresh the index). Outside a repository, or without git, ``commit`` and ``dirty`` are
    None and ``note`` says why.
    """
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=directory,
                              capture_output=True, text=True, timeout=30, check=False)

    try:
        head = run("rev-parse", "HEAD")
    except FileNotFoundError:
        return {"commit": None, "dirty": None, "note": "git is not installed"}
    except (OSError, subprocess.SubprocessError) as exc:
        return {"commit": None, "dirty": None, "note": f"git failed: {exc}"}
    if head.returncode != 0:
        message = (head.stderr.strip().splitlines() or ["git rev-parse failed"])[0]
        note = ("not a git repository" if "not a git repository" in message.lower()
                else message)
        return {"commit": None, "dirty": None, "note": note}
    status = run("status", "--porcelain", "--untracked-files=no")
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return {"commit": head.stdout.strip(), "dirty": dirty, "note": ""}


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (None when it is not installed)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def simulation_seed(path: str | Path | None) -> int | None:
    """The ``seed`` of ``surveys/simulation.yaml`` (None when there is no such file)."""
    if not path or not Path(path).is_file():
        return None
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    seed = data.get("seed")
    return int(seed) if seed is not None else None


def _ingest_checksums(ingest_reports: Iterable[str | Path]) -> dict[str, dict]:
    """file (relative to the surveys dir) → what its ingest report recorded."""
    out = {}
    for path in ingest_reports:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        out[data["file"]] = {"sha256": data.get("sha256"), "programme": data.get("programme"),
                             "wave": data.get("wave"), "rows_read": data.get("rows_read"),
                             "pseudonym_key": data.get("pseudonym_key"),
                             "ingest_report": Path(path).as_posix()}
    return out


def build(
    *,
    exports: Iterable[str | Path],
    surveys_dir: str | Path,
    ingest_reports: Iterable[str | Path],
    codebooks: Iterable[str | Path],
    instrument: str | Path,
    config_files: Iterable[str | Path],
    tables: Iterable[str | Path] = (),
    simulation: str | Path | None = None,
    synthetic: bool = False,
    configuration: Mapping | None = None,
    repo_dir: str | Path = ".",
    started_at: str | None = None,
) -> dict:
    """The provenance record of a run (see the module docstring)."""
    recorded = _ingest_checksums(ingest_reports)
    surveys_dir = Path(surveys_dir)
    inputs, mismatches = [], []
    for path in exports:
        entry = file_entry(path, "export")
        try:
            key = Path(path).relative_to(surveys_dir).as_posix()
        except ValueError:
            key = Path(path).as_posix()
        seen = recorded.get(key)
        if seen is not None:
            entry.update(programme=seen["programme"], wave=seen["wave"],
                         rows_read=seen["rows_read"], ingest_sha256=seen["sha256"])
            if seen["sha256"] != entry["sha256"]:
                mismatches.append(entry["path"])
        inputs.append(entry)
    inputs += [file_entry(p, "codebook") for p in codebooks]
    inputs.append(file_entry(instrument, "instrument"))
    inputs += [file_entry(p, "config") for p in config_files]
    if simulation and Path(simulation).is_file():
        inputs.append(file_entry(simulation, "simulation"))
    inputs += [file_entry(p, "table") for p in tables]
    keys = {v.get("pseudonym_key") for v in recorded.values()}
    return {
        "started_at": started_at or now_utc(),
        "finished_at": None,
        "synthetic": bool(synthetic),
        "simulation_seed": simulation_seed(simulation) if synthetic else None,
        "pseudonym_key": ("demo" if "demo" in keys else "secret" if keys else None),
        "git": git_state(repo_dir),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "inputs": inputs,
        "mismatches": mismatches,
        "configuration": dict(configuration or {}),
        "outputs": [],
    }


def finish(record: dict, outputs: Iterable[str | Path], **extra) -> dict:
    """Stamp the end time and the checksums of the outputs (``extra`` keys are added)."""
    out = dict(record)
    out["outputs"] = [file_entry(p, "output") for p in outputs]
    out["finished_at"] = now_utc()
    out.update(extra)
    return out


def write(record: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n",
                          encoding="utf-8")
