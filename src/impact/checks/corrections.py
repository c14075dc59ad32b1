"""The researcher's corrections of one export (``surveys/<programme>/corrections.yaml``):
each entry ``<wave>:<line>: keep`` or ``<wave>:<line>: {column: value}``, applied before
the checks and logged (``corrections_applied.csv``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from impact.errors import DataError

#: Provenance columns: a correction may never change them.
PROVENANCE = ["row_id", "source_file", "source_line"]


def load_corrections(path: str | Path, wave: str) -> dict[str, object]:
    """Corrections of one wave from ``corrections.yaml`` (absent file: none)."""
    path = Path(path)
    if not path.is_file():
        return {}
    from impact.survey.yamlio import load_yaml

    data, lines = load_yaml(path)
    data = data or {}
    if not isinstance(data, dict):
        raise DataError(f"{path} : le fichier doit associer des identifiants de ligne "
                        "(ex. « pre:42 ») à « keep » ou à des corrections {colonne: valeur}.")
    out = {}
    for row_id, value in data.items():
        if not (isinstance(value, dict) or value == "keep"):
            raise DataError(f"{lines.where([row_id])} : valeur « {value} » non comprise ; "
                            "indiquez « keep » ou {colonne: valeur}.")
        if str(row_id).split(":")[0] == wave:
            out[str(row_id)] = value
    return out


def apply_corrections(frame: pd.DataFrame, corrections: dict[str, object],
                      path: str | Path) -> tuple[pd.DataFrame, set[str], pd.DataFrame]:
    """Apply value corrections; return the frame, the ids to keep, and the log of changes."""
    frame = frame.copy()
    known = set(frame["row_id"])
    log, keep = [], set()
    for row_id, value in corrections.items():
        if row_id not in known:
            raise DataError(f"{path} : la ligne « {row_id} » n'existe pas dans l'export "
                            "(identifiant = vague:numéro de ligne du fichier).")
        if value == "keep":
            keep.add(row_id)
            log.append({"row_id": row_id, "column": "", "old": "", "new": "keep"})
            continue
        for column, new in value.items():
            if column not in frame.columns or column.startswith("_") or column in PROVENANCE:
                raise DataError(f"{path} : ligne « {row_id} », colonne « {column} » inconnue "
                                "ou non modifiable.")
            mask = frame["row_id"] == row_id
            old = frame.loc[mask, column].iloc[0]
            try:
                frame.loc[mask, column] = pd.Series([new], dtype=frame[column].dtype).iloc[0]
            except (TypeError, ValueError):
                raise DataError(f"{path} : ligne « {row_id} », valeur « {new} » impossible "
                                f"pour la colonne « {column} ».") from None
            if column != "ingest_issues" and "ingest_issues" in frame:
                frame.loc[mask, "ingest_issues"] = ""
            log.append({"row_id": row_id, "column": column, "old": str(old), "new": str(new)})
    return frame, keep, pd.DataFrame(log, columns=["row_id", "column", "old", "new"])


