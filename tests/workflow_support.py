"""Running the real Snakemake workflow in a scratch copy of the repository (for tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = ["Snakefile", "workflow", "config", "surveys", "environment.yml"]


def scratch_repo(target: Path) -> Path:
    """A copy of what the workflow reads (the ``impact`` package is the installed one)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    return target


def snakemake(workdir: Path, *args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    """Run ``snakemake`` in ``workdir`` with the venv's interpreter; never raises on failure."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "MPLBACKEND": "Agg"}
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", *args],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
