"""Benchmarks of the Impact ITIP workflow (``make bench``); never part of ``make test``.

Prints a table and writes ``results/bench/*.csv``:

* the example campaign in a scratch copy of the repository: cold run (empty ``results/``),
  no-op re-run, after editing only the report template and after editing only the conclusions
  file: the French main report's HTML alone (its job time: the editing loop), then the rest
  (the other documents and the PDFs; the slowest HTML job, two running side by side), re-run
  after changing one programme's export — wall time, CPU time and peak memory (largest single
  process) of each run, and per rule from Snakemake's ``benchmark:`` files of the cold run;
* the compute floor: the same analysis as library calls in one Python process
  (:func:`impact.pipeline.run_campaign`), plus the report jobs' own time from their benchmark
  files (notebook kernels and the HTML/PDF rendering, which no in-process call could skip), so
  that the orchestration overhead is a ratio (workflow ÷ floor) that stays meaningful on a
  noisy machine;
* ``impact codebook draft`` on the example exports, their codebooks removed: variables mapped
  correctly, wrongly or not at all (``bench/codebook_draft.py``, which also runs alone);
* scaling: ``impact simulate --respondents N`` for each N, whole-workflow cold run time and
  peak memory, and the growth exponent log(t₂/t₁)/log(N₂/N₁) between successive sizes.

    .venv/bin/python bench/run.py [--sizes 1000 10000 100000 1000000] [--skip-scaling]

A size whose memory, extrapolated from the previous one, would not fit is skipped (said in
the table); 1 000 000 respondents take about half an hour on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["Snakefile", "workflow", "config", "surveys", "environment.yml"]
OUT = ROOT / "results" / "bench"
TARGETS = {"cold_s": 60, "noop_s": 5, "ratio": 3, "n100000_s": 300, "n100000_gib": 4,
           "exponent": 1.1, "edit_html_s": 8}


def scratch(target: Path, surveys: Path | None = None) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if name == "surveys" and surveys is not None:
            source = surveys
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True)
        else:
            shutil.copy(source, target / name)
    return target


# A fresh process per measurement: RUSAGE_CHILDREN's ru_maxrss is the largest child *ever*
# waited for, so measured in this process it would carry the peak of earlier commands.
RUSAGE_WRAPPER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": done.returncode, "stderr": done.stderr[-3000:],
           "cpu_s": usage.ru_utime + usage.ru_stime, "peak_kib": usage.ru_maxrss},
          open(sys.argv[1], "w"))
"""


def measured(command: list[str], cwd: Path, env: dict | None = None,
             check: bool = True) -> dict:
    """Run a command; wall time, CPU time and peak RSS (MiB, largest single process) of its
    process tree. ``check=False``: a failure is returned (``failed``) instead of exiting."""
    report = cwd / ".bench_rusage.json"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUSAGE_WRAPPER, str(report), *command], cwd=cwd,
                   env=env, check=True)
    wall = time.perf_counter() - start
    usage = json.loads(report.read_text())
    report.unlink()
    if usage["rc"] != 0 and check:
        sys.exit(f"command failed in {cwd}: {' '.join(command)}\n{usage['stderr']}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage["cpu_s"], 2),
            "peak_mib": round(usage["peak_kib"] / 1024, 1),
            **({"failed": usage["stderr"][-500:]} if usage["rc"] != 0 else {})}


def snakemake(cwd: Path, *targets: str) -> list[str]:
    # "--quiet all" silences every kind of message; it takes any words after it as kinds, so
    # the targets (none: the rule all) come first
    return [sys.executable, "-m", "snakemake", "--cores", "2", *targets, "--quiet", "all"]


def editing_loop(cwd: Path) -> list[str]:
    """The command that re-renders the French main report's HTML and nothing else."""
    return snakemake(cwd, "results/report/impact_itip.html")


def environment() -> dict:
    env = dict(os.environ, GX_ANALYTICS_ENABLED="false", MPLBACKEND="Agg")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def html_job_s(repo: Path, document: str = "impact_itip") -> float:
    """Wall time of the last ``report_html`` job of ``document`` (its benchmark file)."""
    path = repo / "benchmarks" / "report_html" / f"{document}.tsv"
    return float(pd.read_csv(path, sep="\t")["s"].iloc[0]) if path.is_file() else math.nan


def slowest_html_job_s(repo: Path, since: float) -> float:
    """The longest ``report_html`` job run after ``since`` (epoch seconds), NaN if none."""
    times = [float(pd.read_csv(path, sep="\t")["s"].iloc[0])
             for path in (repo / "benchmarks" / "report_html").glob("*.tsv")
             if path.stat().st_mtime > since]
    return max(times) if times else math.nan


def example_campaign(work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs of the example campaign, and the job benchmarks of the cold one; the runs
    after an edit of the report template or of the conclusions file also give the time of
    the French main report's HTML job (``html_s``: the editing loop, PDF apart)."""
    repo = scratch(work / "example")
    env = environment()
    runs = [dict(run="cold", **measured(snakemake(repo), repo, env))]
    cold_jobs = job_benchmarks(repo / "benchmarks")
    runs.append(dict(run="no-op", **measured(snakemake(repo), repo, env)))
    # The editing loop: after an edit, the French main report's HTML alone (what a researcher
    # re-renders while writing, README), then whatever else the edit touched (the other
    # documents, two at a time on 2 cores, and the PDFs). Snakemake compares the content of
    # small inputs, so touching is not enough: edit them.
    edits = [("report template", repo / "workflow" / "notebooks" / "impact_itip.ipynb"),
             ("conclusions", repo / "config" / "report" / "conclusions.md")]
    for what, path in edits:
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        runs.append(dict(run=f"{what} edited: French HTML",
                         **measured(editing_loop(repo), repo, env)))
        runs[-1]["html_s"] = html_job_s(repo)  # read once the job has run
        since = time.time()
        runs.append(dict(run=f"{what} edited: the rest", **measured(snakemake(repo), repo, env),
                         html_s=slowest_html_job_s(repo, since)))
    export = repo / "surveys" / "cordee" / "post.csv"
    export.write_bytes(export.read_bytes() + b"\r\n")  # a trailing blank line
    runs.append(dict(run="one export changed", **measured(snakemake(repo), repo, env)))
    return pd.DataFrame(runs), cold_jobs


def job_benchmarks(directory: Path) -> pd.DataFrame:
    """Snakemake's benchmark files of a run, one row per job."""
    rows = []
    for path in sorted(directory.rglob("*.tsv")):
        bench = pd.read_csv(path, sep="\t")
        rows.append({"rule": path.parent.name, "job": path.stem,
                     "wall_s": float(bench["s"].iloc[0]),
                     "cpu_s": float(bench["cpu_time"].iloc[0]),
                     "max_rss_mib": float(bench["max_rss"].iloc[0])})
    return pd.DataFrame(rows, columns=["rule", "job", "wall_s", "cpu_s", "max_rss_mib"])


def rule_benchmarks(jobs: pd.DataFrame) -> pd.DataFrame:
    """Job benchmarks (:func:`job_benchmarks`) aggregated per rule."""
    return jobs.groupby("rule").agg(jobs=("job", "count"), wall_s=("wall_s", "sum"),
                                    cpu_s=("cpu_s", "sum"),
                                    max_rss_mib=("max_rss_mib", "max")).round(2).reset_index()


def slurm_resources(*runs: pd.DataFrame) -> pd.DataFrame:
    """Per-rule SLURM resources from the worst job of each rule over the given runs (the rule
    written in workflow/profiles/slurm/config.yaml):

    mem_mb = 2 × peak RSS + 512 MB (the two Snakemake processes a SLURM job holds besides the
    script), rounded up to 256 MB; runtime = 3 × wall, rounded up to 5 min, at least 10 min."""
    jobs = pd.concat(runs, ignore_index=True)
    worst = jobs.groupby("rule").agg(wall_s=("wall_s", "max"), max_rss_mib=("max_rss_mib",
                                                                              "max"))
    mem = np.ceil((2 * worst["max_rss_mib"] + 512) / 256) * 256
    runtime = np.maximum(10, np.ceil(3 * worst["wall_s"] / 60 / 5) * 5)
    return worst.assign(mem_mb=mem.astype(int), runtime_min=runtime.astype(int)).reset_index()


FLOOR = """
import json, resource, time, yaml
start = time.perf_counter()
from impact.pipeline import run_campaign
run_campaign(yaml.safe_load(open("config/config.yaml")), workdir="floor_work")
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"analysis_s": round(time.perf_counter() - start, 2),
                  "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                  "peak_mib": round(usage.ru_maxrss / 1024, 1)}))
"""


def compute_floor(work: Path, per_rule: pd.DataFrame) -> dict:
    """The analysis in one process, plus the report job's own wall time."""
    repo = scratch(work / "floor")
    done = subprocess.run([sys.executable, "-c", FLOOR], cwd=repo, env=environment(),
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"compute floor failed:\n{done.stderr[-3000:]}")
    floor = json.loads(done.stdout.strip().splitlines()[-1])
    report = per_rule.loc[per_rule["rule"].isin(["report_inputs", "report_html", "report_pdf",
                                                 "provenance"]), "wall_s"]
    floor["report_s"] = float(report.sum()) if len(report) else 0.0
    floor["wall_s"] = round(floor["analysis_s"] + floor["report_s"], 2)
    return floor


def available_mib() -> float:
    """MemAvailable of /proc/meminfo (MiB); infinite where there is none."""
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        return math.inf
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return math.inf


def too_big(n: int, done: list[dict]) -> str | None:
    """Why size n is skipped: its peak memory, extrapolated linearly from the largest size
    done with 50 % margin, would not fit in the available memory."""
    if not done:
        return None
    last = done[-1]
    need = 1.5 * max(last["peak_mib"], last["simulate_peak_mib"]) * n / last["respondents"]
    have = available_mib()
    if need > have:
        return f"skipped: needs about {need / 1024:.1f} GiB, {have / 1024:.1f} GiB available"
    return None


def scaling(work: Path, sizes: list[int]) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """Cold runs of simulated campaigns: one row per size, and each size's job benchmarks.
    A size that would not fit in memory is skipped, a failed run is reported, with the
    reason in ``note``."""
    rows, jobs = [], {}
    work.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        reason = too_big(n, [r for r in rows if "note" not in r])
        if reason:
            rows.append(dict(respondents=n, note=reason))
            print(f"  {n:>9} respondents: {reason}", flush=True)
            continue
        surveys = work / f"surveys_{n}"
        simulated = measured([sys.executable, "-m", "impact.cli", "simulate", "--spec",
                              str(ROOT / "surveys" / "simulation.yaml"), "--out",
                              str(surveys), "--respondents", str(n)], work, environment())
        repo = scratch(work / f"scale_{n}", surveys=surveys)
        config = yaml.safe_load((repo / "config" / "config.yaml").read_text())
        config["validation"]["row_count"]["max"] = max(10 * n, 1000)
        (repo / "config" / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True,
                                                                    sort_keys=False))
        run = measured(snakemake(repo), repo, environment(), check=False)
        failed = run.pop("failed", None)
        row = dict(respondents=n, **run, simulate_s=simulated["wall_s"],
                   simulate_peak_mib=simulated["peak_mib"])
        if failed:
            row["note"] = "FAILED: " + (failed.strip().splitlines() or ["?"])[-1]
        else:
            jobs[n] = job_benchmarks(repo / "benchmarks")
            rules = rule_benchmarks(jobs[n]).sort_values("wall_s", ascending=False)
            row["report_pages"] = json.loads(
                (repo / "results" / "provenance.json").read_text())["pages"]
            row["slowest_rule"] = f"{rules['rule'].iloc[0]} {rules['wall_s'].iloc[0]} s"
        rows.append(row)
        print(f"  {n:>9} respondents: {run['wall_s']} s, peak {run['peak_mib']} MiB"
              f"{' — ' + row['note'] if 'note' in row else ''}", flush=True)
    frame = pd.DataFrame(rows)
    if "note" not in frame:
        frame["note"] = ""
    frame["note"] = frame["note"].fillna("")
    sizes_done = frame[frame["note"] == ""]
    log_n = np.log(sizes_done["respondents"].astype(float))
    frame["exponent"] = (np.log(sizes_done["wall_s"]).diff() / log_n.diff()).reindex(
        frame.index)
    # the same on the size-dependent part of the time (wall minus the smallest campaign's):
    # at 10⁴–10⁵ respondents the fixed cost of ~30 jobs (imports, GX, the report) dominates the
    # whole-run exponent, which then says little about how the analysis itself scales
    if len(sizes_done):
        net = sizes_done["wall_s"] - sizes_done["wall_s"].iloc[0]
        frame["exponent_net"] = (np.log(net.where(net > 0)).diff() / log_n.diff()).reindex(
            frame.index)
    return frame.round(3), jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*",
                        default=[1000, 10000, 100000, 1000000])
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "bench" / "work")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    runs, cold_jobs = example_campaign(args.work)
    per_rule = rule_benchmarks(cold_jobs)
    floor = compute_floor(args.work, per_rule)
    cold = float(runs.loc[runs["run"] == "cold", "wall_s"].iloc[0])
    ratio = cold / floor["wall_s"]
    runs.to_csv(OUT / "example_runs.csv", index=False)
    per_rule.to_csv(OUT / "example_rules.csv", index=False)
    pd.DataFrame([dict(floor, workflow_cold_s=cold, ratio=round(ratio, 2))]).to_csv(
        OUT / "floor.csv", index=False)
    print("\nExample campaign (scratch copy, --cores 2)\n" + runs.to_string(index=False))
    print("\nPer rule, cold run (Snakemake benchmark files)\n" + per_rule.to_string(index=False))
    print(f"\nCompute floor: analysis in one process {floor['analysis_s']} s wall "
          f"({floor['cpu_s']} s CPU, {floor['peak_mib']} MiB) + report job {floor['report_s']} s"
          f" = {floor['wall_s']} s; workflow ÷ floor = {ratio:.2f}")
    verdicts = [("cold run ≤ 60 s", cold <= TARGETS["cold_s"]),
                ("no-op ≤ 5 s", float(runs.loc[runs["run"] == "no-op", "wall_s"].iloc[0])
                 <= TARGETS["noop_s"]),
                ("workflow ÷ floor ≤ 3", ratio <= TARGETS["ratio"])]
    loops = runs.loc[runs["run"].str.endswith("edited: French HTML"), "html_s"].dropna()
    verdicts.append(("template or conclusions edited → French HTML ≤ 8 s",
                     bool(len(loops)) and float(loops.max()) <= TARGETS["edit_html_s"]))
    if not args.skip_scaling:
        print("\nScaling (impact simulate --respondents N, cold run)")
        scale, jobs = scaling(args.work, args.sizes)
        scale.to_csv(OUT / "scaling.csv", index=False)
        print(scale.to_string(index=False))
        resources = slurm_resources(cold_jobs, *jobs.values())
        resources.to_csv(OUT / "slurm_resources.csv", index=False)
        print("\nSLURM resources (worst job per rule over the example and every size; "
              "workflow/profiles/slurm)\n" + resources.to_string(index=False))
        big = scale[(scale["respondents"] == 100000) & (scale["note"] == "")]
        if len(big):
            verdicts.append(("100 000 respondents ≤ 5 min",
                             float(big["wall_s"].iloc[0]) <= TARGETS["n100000_s"]))
            verdicts.append(("100 000 respondents ≤ 4 GiB",
                             float(big["peak_mib"].iloc[0]) <= TARGETS["n100000_gib"] * 1024))
        pair = big["exponent"].dropna()
        if len(pair):
            verdicts.append(("growth exponent 10 000 → 100 000 ≤ 1.1",
                             float(pair.iloc[0]) <= TARGETS["exponent"]))
    draft = subprocess.run([sys.executable, str(ROOT / "bench" / "codebook_draft.py")],
                           env=environment(), capture_output=True, text=True, check=True)
    print("\n" + draft.stdout.rstrip())  # impact codebook draft vs the example codebooks
    print("\nTargets")
    for label, ok in verdicts:
        print(f"  {'met    ' if ok else 'NOT met'}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
