"""The raw export as the readers hand it to harmonisation, and helpers the readers share."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class RawExport:
    """An export read as text. ``frame`` has the raw header as columns, every cell a ``str``."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray  # 1-based physical line (CSV) or sheet row (Excel) of each record
    sha256: str
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)  # French remarks for the ingest log


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read by blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def drop_trailing_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank records at the very end are file padding, not answers (inner ones are kept)."""
    if frame.empty:
        return frame
    blank = (frame == "").all(axis=1).to_numpy()
    last = len(frame) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    return frame.iloc[:last]


def padding_note(before: int, after: int) -> list[str]:
    """The note accounting for blank records dropped at the end of an export."""
    dropped = before - after
    if not dropped:
        return []
    return [f"{dropped} ligne(s) entièrement vide(s) en fin de fichier ignorée(s) (aucune "
            "réponse n'y figure)"]
