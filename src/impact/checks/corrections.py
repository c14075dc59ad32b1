"""The researcher's corrections of one export (``surveys/<programme>/corrections.yaml``):
each entry ``<wave>:<line>: keep`` or ``<wave>:<line>: {column: value}``, applied before
the checks and logged (``corrections_applied.csv``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from impact.errors import DataError

#: Provenance columns: a correction may never change them.
PROVENANCE = ["row_id", "source_file", "source_line"]
#: The declared site (sites.yaml) is fixed through an alias there, never row by row.
SITE_COLUMNS = ("site", "site_code", "site_unknown")


def load_corrections(path: str | Path, wave: str,
                     waves: Iterable[str] | None = None) -> dict[str, object]:
    """Corrections of one wave from ``corrections.yaml`` (absent file: none).

    Every entry of the file is checked, not only this wave's: a YAML syntax error, an entry
    without its wave prefix (``42: keep`` instead of ``pre:42: keep``) or with a prefix that is
    not a wave of the programme (``waves``) stops with a French message naming the line —
    such an entry would otherwise be silently ignored.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    import yaml

    from impact.survey.yamlio import load_yaml

    try:
        data, lines = load_yaml(path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}, colonne {mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "syntaxe YAML invalide"
        raise DataError(f"{where} : fichier de corrections illisible (syntaxe YAML : "
                        f"{problem}). Corrigez la ligne indiquée : chaque entrée s'écrit "
                        "« vague:ligne: keep » ou « vague:ligne: {colonne: valeur} », "
                        "par ex. « pre:42: keep ».") from None
    data = data or {}
    if not isinstance(data, dict):
        raise DataError(f"{path} : le fichier doit associer des identifiants de ligne "
                        "(ex. « pre:42 ») à « keep » ou à des corrections {colonne: valeur}.")
    known = list(waves) if waves is not None else None
    out = {}
    for row_id, value in data.items():
        prefix, sep, line = str(row_id).partition(":")
        if not sep or not prefix or not line:
            raise DataError(f"{lines.where([row_id])} : identifiant de ligne « {row_id} » sans "
                            "sa vague ; écrivez « vague:ligne », par ex. "
                            f"« {(known or [wave])[0]}:{row_id} » (sinon la correction serait "
                            "ignorée).")
        if known is not None and prefix not in known:
            raise DataError(f"{lines.where([row_id])} : vague « {prefix} » inconnue dans "
                            f"« {row_id} » ; vagues du programme : {', '.join(known)}.")
        if not (isinstance(value, dict) or value == "keep"):
            raise DataError(f"{lines.where([row_id])} : valeur « {value} » non comprise ; "
                            "indiquez « keep » ou {colonne: valeur}.")
        if prefix == wave:
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
            if column in SITE_COLUMNS and "site_unknown" in frame:
                raise DataError(f"{path} : ligne « {row_id} », colonne « {column} » : "
                                "l'établissement ou la session ne se corrige pas ici (seules "
                                "les valeurs déclarées sont publiées) ; ajoutez la valeur "
                                "saisie comme alias du bon site dans sites.yaml.")
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


