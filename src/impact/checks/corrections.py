"""The researcher's corrections of one export (``surveys/<programme>/corrections.yaml``):
each entry ``<wave>:<line>: keep``, ``<wave>:<line>: exclude`` or
``<wave>:<line>: {column: value}``, applied before the checks and logged
(``corrections_applied.csv``); and the manual linkage decisions of the ``links:`` section
(``post:17: pre:42`` links a later row to an earlier one, ``post:17: none`` leaves it unlinked),
applied by the link stage (:func:`load_link_decisions`). ``impact review apply`` writes both
from the review workbook.
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
#: Row decisions spelled as one word (``keep`` waives the checks and the duplicate rules;
#: ``exclude`` excludes the row under the rule ``decision``).
WORDS = ("keep", "exclude")
#: Key of the section holding the manual linkage decisions; value meaning "no link".
LINKS, NO_LINK = "links", "none"


def _read(path: Path):
    """The file's mapping and line index (absent file: empty); YAML errors located."""
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
    return data, lines


def _check_row_id(row_id: object, where: str, known: list[str] | None, example: str) -> str:
    prefix, sep, line = str(row_id).partition(":")
    if not sep or not prefix or not line:
        raise DataError(f"{where} : identifiant de ligne « {row_id} » sans sa vague ; écrivez "
                        f"« vague:ligne », par ex. « {example}:{row_id} » (sinon la correction "
                        "serait ignorée).")
    if known is not None and prefix not in known:
        raise DataError(f"{where} : vague « {prefix} » inconnue dans « {row_id} » ; vagues du "
                        f"programme : {', '.join(known)}.")
    return prefix


def load_corrections(path: str | Path, wave: str,
                     waves: Iterable[str] | None = None) -> dict[str, object]:
    """Corrections of one wave from ``corrections.yaml`` (absent file: none).

    Every entry of the file is checked, not only this wave's: a YAML syntax error, an entry
    without its wave prefix (``42: keep`` instead of ``pre:42: keep``) or with a prefix that is
    not a wave of the programme (``waves``) stops with a French message naming the line —
    such an entry would otherwise be silently ignored. The ``links:`` section is checked too
    (:func:`load_link_decisions`).
    """
    path = Path(path)
    if not path.is_file():
        return {}
    data, lines = _read(path)
    known = list(waves) if waves is not None else None
    out = {}
    for row_id, value in data.items():
        if row_id == LINKS:
            load_link_decisions(path, known)
            continue
        prefix = _check_row_id(row_id, lines.where([row_id]), known, (known or [wave])[0])
        if not (isinstance(value, dict) or value in WORDS):
            raise DataError(f"{lines.where([row_id])} : valeur « {value} » non comprise ; "
                            "indiquez « keep », « exclude » ou {colonne: valeur}.")
        if prefix == wave:
            out[str(row_id)] = value
    return out


def load_link_decisions(path: str | Path, waves: Iterable[str] | None = None
                        ) -> dict[str, str | None]:
    """Manual linkage decisions of the ``links:`` section: later row id → the earlier row id it
    must be linked to, or ``None`` (``none``: linked to no earlier row). Absent file or section:
    none. A row id without its wave, an unknown wave or a link that does not point to an
    earlier wave stops with a French message naming the line.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    data, lines = _read(path)
    section = data.get(LINKS) or {}
    if not isinstance(section, dict):
        raise DataError(f"{lines.where([LINKS])} : la section « links » associe une ligne d'une "
                        "vague ultérieure (ex. « post:17 ») à la ligne à laquelle la relier "
                        "(« pre:42 ») ou à « none ».")
    known = list(waves) if waves is not None else None
    out: dict[str, str | None] = {}
    for row_id, target in section.items():
        where = lines.where([LINKS, row_id])
        wave = _check_row_id(row_id, where, known, (known or ["post"])[-1])
        if known is not None and known.index(wave) == 0:
            raise DataError(f"{where} : « {row_id} » est une ligne de la première vague ; "
                            "un lien se décide sur la ligne de la vague ultérieure "
                            "(ex. « post:17: pre:42 »).")
        if target == NO_LINK:
            out[str(row_id)] = None
            continue
        if not isinstance(target, str):
            raise DataError(f"{where} : valeur « {target} » non comprise ; indiquez la ligne "
                            "à relier (ex. « pre:42 ») ou « none ».")
        earlier = _check_row_id(target, where, known, (known or ["pre"])[0])
        if known is not None and known.index(earlier) >= known.index(wave):
            raise DataError(f"{where} : « {row_id} » ne peut être reliée qu'à une ligne d'une "
                            f"vague antérieure, pas à « {target} ».")
        out[str(row_id)] = target
    return out


def apply_corrections(frame: pd.DataFrame, corrections: dict[str, object],
                      path: str | Path) -> tuple[pd.DataFrame, set[str], pd.DataFrame]:
    """Apply value corrections; return the frame, the ids to keep, and the log of changes.

    ``exclude`` entries change no value; they are logged here and excluded by validation
    (rule ``decision``)."""
    frame = frame.copy()
    known = set(frame["row_id"])
    log, keep = [], set()
    for row_id, value in corrections.items():
        if row_id not in known:
            raise DataError(f"{path} : la ligne « {row_id} » n'existe pas dans l'export "
                            "(identifiant = vague:numéro de ligne du fichier).")
        if value in WORDS:
            if value == "keep":
                keep.add(row_id)
            log.append({"row_id": row_id, "column": "", "old": "", "new": value})
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


