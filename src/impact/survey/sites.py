"""Declared sites: the only school, session or week names a published table may carry.

Each programme declares its sites in ``surveys/<programme>/sites.yaml`` (another file name can
be given by the codebook's ``sites`` key), checked against ``workflow/schemas/sites.schema.yaml``::

    sites:
      - code: jules_haag_besancon          # stable identifier (never changes)
        label: "Lycée Jules-Haag (Besançon)" # what published tables and the report show
        aliases: ["Lycee Jules Haag", "Jules Haag Besançon"]  # other spellings seen in exports
        expected: 120                      # expected respondents (fieldwork monitoring)

A typed value matches a site when, normalised (:func:`site_key`), it equals the site's label
or one of its aliases. Normalisation forgives what typing and survey tools change without
changing the meaning: Unicode form (NFC/NFKD), letter case, accents, repeated or no-break
spaces, typographic apostrophes and every kind of dash (with or without spaces around it).
A value that matches no site is *unknown*: ingestion blanks it (it never reaches ``results/``)
and validation quarantines the row (check ``unknown_site``); the typed value itself stays in the
restricted zone so that the researcher can add it as an alias.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impact.errors import DataError
from impact.survey.yamlio import (
    LineIndex,
    bullet_list,
    load_checked,
)

DEFAULT_FILE = "sites.yaml"
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'",
                              "\u0060": "'"})
_DASHES = re.compile(r"\s*[\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d]\s*")
_SPACES = re.compile(r"\s+")


def fold(value: Any) -> str:
    """Normal form of free text for tolerant comparison: no accents, no case, one kind of
    apostrophe and of dash, single spaces (also used for test markers)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", str(value)))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _DASHES.sub("-", text.translate(_APOSTROPHES))
    return _SPACES.sub(" ", text).strip().casefold()


def fold_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`fold` (computed once per distinct value; missing stays missing)."""
    uniques = pd.unique(values.dropna())
    return values.map({u: fold(u) for u in uniques}).astype(object)  # object even when empty


#: Normal form under which typed site names are compared with the declared list.
site_key = fold


@dataclass(frozen=True)
class Site:
    code: str
    label: str
    aliases: tuple[str, ...] = ()
    expected: int | None = None


@dataclass(frozen=True)
class SiteList:
    """A programme's declared sites, with the lookup from normalised spellings to codes."""

    path: Path
    sites: tuple[Site, ...]
    lines: LineIndex = field(repr=False)
    keys: dict[str, str] = field(repr=False, default_factory=dict)  # site_key -> code

    @property
    def labels(self) -> dict[str, str]:
        """code -> published label."""
        return {s.code: s.label for s in self.sites}

    def match(self, values: pd.Series) -> pd.Series:
        """The code of each typed value (missing when blank or not declared), vectorised."""
        uniques = pd.unique(values.dropna())
        lookup = {u: self.keys.get(site_key(u)) for u in uniques}
        return values.map(lookup).astype("str")


def sites_path(codebook_dir: str | Path, name: str | None = None) -> Path:
    """Where a programme's site list lives (the codebook's ``sites`` key, else the default)."""
    return Path(codebook_dir) / (name or DEFAULT_FILE)


def load_sites(path: str | Path) -> SiteList:
    """Read and check a site list; :class:`DataError` (French) names the file and the line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Liste des sites introuvable : {path}. Déclarez dans ce fichier chaque "
                        "établissement, session ou semaine de la variable « site » (code, "
                        "label, aliases, expected ; voir config/README.md) : seules les "
                        "valeurs déclarées sont publiées.")
    data, lines = load_checked(path, "sites", "Liste des sites")
    sites, keys, problems, seen_codes = [], {}, [], {}
    for i, entry in enumerate(data["sites"]):
        site = Site(code=entry["code"], label=entry["label"],
                    aliases=tuple(entry.get("aliases") or ()), expected=entry.get("expected"))
        if site.code in seen_codes:
            problems.append(f"{lines.where(['sites', i, 'code'])}: code « {site.code} » déjà "
                            f"utilisé ({lines.where(['sites', seen_codes[site.code], 'code'])})")
        seen_codes.setdefault(site.code, i)
        spellings = [(site.label, ["sites", i, "label"])] + [
            (alias, ["sites", i, "aliases", k]) for k, alias in enumerate(site.aliases)]
        for text, at in spellings:
            key = site_key(text)
            if not key:
                problems.append(f"{lines.where(at)}: libellé vide")
            elif keys.get(key, site.code) != site.code:
                problems.append(f"{lines.where(at)}: « {text} » désigne déjà le site "
                                f"« {keys[key]} » (après normalisation des accents, de la casse, "
                                "des espaces et des tirets) ; un libellé ou alias ne peut "
                                "désigner qu'un site")
            keys.setdefault(key, site.code)
        sites.append(site)
    if problems:
        raise DataError(f"Liste des sites {path} incohérente :\n{bullet_list(problems)}")
    return SiteList(path, tuple(sites), lines, keys)
