"""A corpus of malformed exports, and the harness that runs each through the real stages.

Each :class:`Case` copies the example campaign's definitions and exports to a scratch
``surveys/`` directory, breaks one thing the way survey tools, spreadsheets and respondents do,
and runs the workflow's stage functions (:mod:`impact.stages`, the very calls the Snakemake
scripts make) in this process: ``ingest`` and ``validate`` of the wave, and ``link`` when the
case is about linkage. The harness records what the user would see — the exit status, the
message on stderr — and everything written under ``results/``, ``restricted/`` and ``logs/``,
so the tests can check the promises of the pipeline on every case.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SURVEYS = REPO / "surveys"
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))

Mutation = Callable[[Path], None]  # receives the scratch surveys/ directory


@dataclass(frozen=True)
class Case:
    """One malformed input and what the user must get from it.

    ``exit``: expected exit status of the first stage that fails (1), or 0 when every stage
    runs; ``message``: words the message must contain (exit 1); ``note``: words one of the
    ingest report's notes must contain (exit 0: what was detected and the codebook value to
    set); ``log``: words the run's logs must contain (a warning);
    ``outcome``: for exit 0, a ``(outcome, reason)`` pair of the row accounting that must be
    counted (e.g. ``("quarantined", "value_range")``); ``delta``: records added (+) or removed
    (−) from the export with respect to the example, so that the number of records is known
    independently of any parser; ``payloads``: strings planted in the input that must never
    reach ``results/`` or ``logs/``.
    """

    name: str
    programme: str
    wave: str
    mutate: Mutation
    exit: int = 0
    message: tuple[str, ...] = ()
    note: tuple[str, ...] = ()
    log: tuple[str, ...] = ()
    outcome: tuple[str, str] | None = None
    delta: int = 0
    payloads: tuple[str, ...] = ()
    stages: tuple[str, ...] = ("ingest", "validate")


@dataclass
class Run:
    """What a case produced: the exit status, the message, and the output trees."""

    status: int
    stage: str
    stderr: str
    root: Path
    accounting: dict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def first_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[0] if lines else ""


def scratch_surveys(target: Path, programme: str) -> Path:
    """Instrument, simulation spec and one programme's folder, copied (never edited in place)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("instrument.yaml", "simulation.yaml"):
        shutil.copy(SURVEYS / name, target / name)
    shutil.copytree(SURVEYS / programme, target / programme)
    return target


def records_in_example(programme: str, wave: str) -> int:
    """Records of an example export, from the simulator's ground truth (not from a parser)."""
    rows = pd.read_csv(SURVEYS / programme / "ground_truth_rows.csv")
    return int((rows["wave"] == wave).sum())


def run_case(case: Case, root: Path) -> Run:
    """Break the input as the case says, then run the stages in order until one fails."""
    surveys = scratch_surveys(root / "surveys", case.programme)
    case.mutate(surveys)
    waves = CONFIG["programmes"][case.programme]["waves"]
    needed = waves if "link" in case.stages else [case.wave]
    for wave in needed:
        for stage in ("ingest", "validate"):
            status, stderr = _call(_STAGES[stage], root, surveys, case.programme, wave, waves)
            if status:
                return Run(status, f"{stage} {wave}", stderr, root)
    if "link" in case.stages:
        status, stderr = _call(_link, root, surveys, case.programme, waves)
        if status:
            return Run(status, "link", stderr, root)
    paths = _paths(root, case.programme, case.wave)
    accounting = json.loads(Path(paths["accounting"]).read_text(encoding="utf-8"))
    notes = json.loads(Path(paths["report"]).read_text(encoding="utf-8"))["notes"]
    return Run(0, "", "", root, accounting, notes)


def _call(stage: Callable[..., None], *args) -> tuple[int, str]:
    """Run one stage as its Snakemake script would: exit status and what reached stderr.

    A stage reports a user-facing problem by printing it and exiting with status 1
    (:func:`impact.stages.stage_log`); anything else that escapes is a traceback, which the
    corpus must never produce — it is returned as status 99 with the traceback as text.
    """
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            stage(*args)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    except Exception:  # noqa: BLE001 — a traceback is exactly what the test must catch
        return 99, err.getvalue() + traceback.format_exc()
    return 0, err.getvalue()


def _paths(root: Path, programme: str, wave: str) -> dict[str, str]:
    """The workflow's paths (workflow/rules/*.smk) under ``root``, by zone."""
    results, restricted, logs = root / "results", root / "restricted", root / "logs"
    public = results / "validation" / programme / wave
    private = restricted / "validation" / programme / wave
    return {
        "interim": str(restricted / "interim" / programme / f"{wave}.parquet"),
        "report": str(results / "interim" / programme / f"{wave}.json"),
        "codes": str(restricted / "codes" / programme / f"{wave}.parquet"),
        "kept": str(private / "kept.parquet"),
        "quarantine": str(public / "quarantine.csv"),
        "quarantine_detail": str(private / "quarantine.csv"),
        "excluded": str(private / "excluded.csv"),
        "checks": str(public / "checks.csv"),
        "accounting": str(public / "accounting.json"),
        "corrections_log": str(private / "corrections_applied.csv"),
        "context_dir": str(restricted / "validation" / "gx"),
        "ingest_log": str(logs / "ingest" / f"{programme}_{wave}.log"),
        "validate_log": str(logs / "validate" / f"{programme}_{wave}.log"),
    }


def _ingest(root: Path, surveys: Path, programme: str, wave: str, waves: list[str]) -> None:
    from impact.stages import ingest

    p = _paths(root, programme, wave)
    ingest(instrument_path=str(surveys / "instrument.yaml"),
           codebook_path=str(surveys / programme / "codebook.yaml"), wave=wave,
           surveys_dir=str(surveys), test_markers=CONFIG["validation"]["test_markers"],
           pseudonymisation=CONFIG["pseudonymisation"], interim=p["interim"],
           report=p["report"], codes=p["codes"],
           sites_path=str(surveys / programme / "sites.yaml"), log_path=p["ingest_log"])


def _validate(root: Path, surveys: Path, programme: str, wave: str, waves: list[str]) -> None:
    from impact.stages import validate

    p = _paths(root, programme, wave)
    validate(instrument_path=str(surveys / "instrument.yaml"),
             codebook_path=str(surveys / programme / "codebook.yaml"), wave=wave,
             config={k: CONFIG[k] for k in ("validation", "campaign", "programmes")},
             interim=p["interim"],
             corrections=str(surveys / programme / "corrections.yaml"),
             context_dir=p["context_dir"], kept=p["kept"], quarantine=p["quarantine"],
             quarantine_detail=p["quarantine_detail"], excluded=p["excluded"],
             checks=p["checks"], accounting=p["accounting"],
             corrections_log=p["corrections_log"], log_path=p["validate_log"])


def _link(root: Path, surveys: Path, programme: str, waves: list[str]) -> None:
    from impact.stages import link

    panel, private = root / "results" / "panel", root / "restricted" / "panel"
    link(instrument_path=str(surveys / "instrument.yaml"),
         codebook_path=str(surveys / programme / "codebook.yaml"), waves=waves,
         kept=[_paths(root, programme, w)["kept"] for w in waves],
         codes=[_paths(root, programme, w)["codes"] for w in waves], truth=None,
         pseudonymisation=CONFIG["pseudonymisation"], linkage=CONFIG["linkage"],
         min_item_share=CONFIG["analysis"]["min_item_share"],
         panel=str(private / f"{programme}.parquet"),
         decisions=str(private / f"{programme}_linkage.csv"),
         quality=str(panel / f"{programme}_linkage_quality.csv"),
         attrition=str(private / f"{programme}_attrition.csv"),
         log_path=str(root / "logs" / "link" / f"{programme}.log"))


_STAGES = {"ingest": _ingest, "validate": _validate}


# ---------------------------------------------------------------------------------------------
# what the tests look at


FORMULA_START = tuple("=+-@\t\r") + ("＝", "＋", "－", "＠")


def logs_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "logs").rglob("*.log")))


def published_files(root: Path) -> list[Path]:
    return [p for d in ("results", "logs") if (root / d).is_dir()
            for p in sorted((root / d).rglob("*")) if p.is_file()]


def text_cells(path: Path) -> list[str]:
    """Every text cell of a published CSV (numbers are read as numbers)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return []
    cells = [str(c) for c in frame.columns]
    for column in frame.columns:
        values = frame[column]
        numeric = pd.to_numeric(values.replace("", pd.NA), errors="coerce")
        cells += values[numeric.isna() & (values != "")].tolist()
    return cells


def formula_cells(root: Path) -> list[str]:
    """Cells of the CSVs under results/ that a spreadsheet would run as a formula."""
    return [f"{p.relative_to(root)}: {c[:40]!r}" for p in published_files(root)
            if p.suffix == ".csv" for c in text_cells(p) if c.startswith(FORMULA_START)]


def leaked(root: Path, payloads: tuple[str, ...]) -> list[str]:
    """Published files (results/, logs/) holding a planted payload, in text or in Parquet."""
    hits = []
    for path in published_files(root):
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            text = "\n".join(frame[c].astype(str).str.cat(sep="\n")
                             for c in frame.columns if frame[c].dtype.kind in "OUST")
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
        hits += [f"{path.relative_to(root)}: {p!r}" for p in payloads if p and p in text]
    return hits
