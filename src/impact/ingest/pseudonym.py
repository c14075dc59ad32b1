"""Self-generated pseudonymous codes: normalisation and keyed hashing.

At each wave respondents type a code made of three parts: the first two letters of their
mother's first name (``code_mother``), their birth month (``code_month``, two digits) and the
last two letters of their town of birth (``code_town``). This module turns what they typed into a
canonical form (:func:`normalise_part`, :func:`normalise_code`) and turns the canonical code into
a keyed pseudonym (:func:`keyed_hash`) with a secret key (:func:`load_key`).

The normalised parts are personal data: they are only written to the restricted zone
(``restricted/codes/...``) and read by the linkage step. Everything under ``results/`` carries
keyed hashes only.

Normalisation rules (applied in this order by :func:`normalise_part`)
---------------------------------------------------------------------
1. **Text.** Values are read as text. Numbers read by a spreadsheet are written without a
   spurious decimal part (``5.0`` -> ``5``). Missing values stay missing.
2. **Accents.** Unicode NFKD decomposition, then every combining mark is dropped
   (``É`` -> ``E``, ``ç`` -> ``c``). NFKD also folds compatibility forms (full-width ``Ｍ`` ->
   ``M``, superscript ``²`` -> ``2``).
3. **Letters NFKD does not decompose** and **non-Latin look-alikes**: ``œ`` -> ``oe``,
   ``æ`` -> ``ae``, ``ß`` -> ``ss``, ``ø`` -> ``o``, ``ł`` -> ``l``, ``đ``/``ð`` -> ``d``,
   dotless ``ı`` -> ``i``; Cyrillic and Greek capitals that look like Latin ones (``А В Е К М Н
   О Р С Т У Х І Ј Ѕ``, ``Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ``) and their unambiguous small forms ->
   the Latin letter; the vertical bar ``|`` -> ``l``. See :data:`_HOMOGLYPHS`.
4. **Separators.** Everything that is not an ASCII letter or digit is removed (spaces, dashes,
   dots, apostrophes, slashes, emoji, other scripts).
5. **Month names** (``digits`` parts only): a part that is exactly a French month name or its
   usual abbreviation (``mai``, ``janv``, ``Février``, ``sept``, ``déc`` ...) becomes its
   two-digit number (see :data:`_MONTH_NAMES`).
6. **Look-alike characters, by kind of part**, only when the part contains at least one
   character of its own kind (a ``digits`` part with at least one digit, a ``letters`` part with
   at least one letter), or, for a ``digits`` part, when all its characters are look-alikes and
   the mapped part is a month (``Ol`` -> ``01``, ``lO`` -> ``10``, ``ll`` -> ``11``). Any other
   part made only of characters of the other kind (``ON`` in the month field, ``05`` in a
   letters field) was most probably typed in the wrong field: it is kept as typed so that the
   linkage step can recognise the swap of two parts.

   * ``letters`` parts (digits become letters, :data:`_DIGIT_TO_LETTER`):
     ``0->O 1->I 2->Z 3->E 4->A 5->S 6->G 7->T 8->B 9->G``.
   * ``digits`` parts (letters become digits, case-sensitive, :data:`_LETTER_TO_DIGIT`):
     ``O o Q D -> 0``, ``I i l L -> 1``, ``Z z -> 2``, ``E -> 3``, ``A -> 4``, ``S s -> 5``,
     ``G b -> 6``, ``T -> 7``, ``B -> 8``, ``g q -> 9``. Other letters are kept (they make the
     part invalid, which the linkage step tolerates as a typo).
7. **Case.** Upper case.
8. **Zero padding** (``digits`` parts only): one digit is padded (``5`` -> ``05``); extra leading
   zeros are dropped (``005`` -> ``05``).
9. **Empty** results (nothing but spaces or punctuation was typed) become missing.

Parts are not truncated: a respondent who typed a whole name keeps a long part, which the
linkage step treats as a (large) typo rather than guessing which letters were meant.

Keys and hashes
---------------
:func:`keyed_hash` is HMAC-SHA256 (RFC 2104 / FIPS 198-1, Python's :mod:`hmac`) of the UTF-8
code, hex-encoded and truncated to 16 characters (64 bits). A non-empty ``context`` (e.g. the
programme) is prepended to the message, followed by a NUL byte, so that the same code in two
programmes yields unrelated pseudonyms (domain separation); with an empty context the message is
the code itself, so standard test vectors apply. Without the key, a pseudonym cannot be reversed
by trying the (few million) possible codes; with the key, it can: the key is as sensitive as the
codes themselves and must be kept outside the repository and the results.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from impact.errors import ConfigError

__all__ = [
    "DEMO_KEY",
    "MIN_KEY_LENGTH",
    "PseudonymKey",
    "keyed_hash",
    "load_key",
    "normalise_code",
    "normalise_part",
]

#: The fixed key used when ``demo=True`` (synthetic example campaign only). It is public: any
#: pseudonym made with it can be reversed by trying every possible code. Reports flag its use.
DEMO_KEY = b"impact-itip/demo-key/public/synthetic-data-only/v1"

#: Minimum length (bytes) of a real key. Codes are low-entropy, so the key is the only secret.
MIN_KEY_LENGTH = 16

HASH_LENGTH = 16  # hex characters kept from the HMAC-SHA256 digest (64 bits)

# Unicode combining marks left over by NFKD (diacritics and their extensions).
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"

#: Characters NFKD leaves alone but which stand for Latin letters (rule 3).
_HOMOGLYPHS: dict[int, str] = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ı": "i", "|": "l",
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o",
})

#: Rule 6, ``letters`` parts: digits typed for the letters they resemble.
_DIGIT_TO_LETTER: dict[int, str] = str.maketrans({
    "0": "O", "1": "I", "2": "Z", "3": "E", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B",
    "9": "G",
})

#: Rule 6, ``digits`` parts: letters typed for the digits they resemble (case matters:
#: ``b`` looks like 6 and ``B`` like 8, ``g``/``q`` like 9 and ``G`` like 6).
_LETTER_TO_DIGIT: dict[int, str] = str.maketrans({
    "O": "0", "o": "0", "Q": "0", "D": "0",
    "I": "1", "i": "1", "l": "1", "L": "1",
    "Z": "2", "z": "2", "E": "3", "A": "4", "S": "5", "s": "5",
    "G": "6", "b": "6", "T": "7", "B": "8", "g": "9", "q": "9",
})

#: Rule 5: French month names and usual abbreviations (accents already removed, upper case).
_MONTH_NAMES: dict[str, str] = {
    name: f"{number:02d}"
    for number, names in enumerate([
        ("JANVIER", "JANV", "JAN"), ("FEVRIER", "FEVR", "FEV"), ("MARS", "MAR"),
        ("AVRIL", "AVR"), ("MAI",), ("JUIN",), ("JUILLET", "JUIL"), ("AOUT",),
        ("SEPTEMBRE", "SEPT", "SEP"), ("OCTOBRE", "OCT"), ("NOVEMBRE", "NOV"),
        ("DECEMBRE", "DEC"),
    ], start=1)
    for name in names
}

_OWN_KIND = {"letters": r"[A-Za-z]", "digits": r"[0-9]"}


def _as_text(values: pd.Series) -> pd.Series:
    """Rule 1: text dtype ``str``, missing kept, ``5.0`` written ``5``."""
    text = values.astype("str")
    return text.str.replace(r"^\s*(\d+)\.0*\s*$", r"\1", regex=True)


def normalise_part(values: pd.Series, kind: Literal["letters", "digits"]) -> pd.Series:
    """Canonical form of one code part; see the module docstring for the rules, in order.

    ``kind`` is ``"letters"`` (mother, town) or ``"digits"`` (birth month). The result has the
    ``str`` dtype and the index and name of ``values``; missing or empty input gives missing.
    Vectorised: each distinct typed value is normalised once with pandas string methods and
    the results are broadcast back to the rows (no Python loop over rows).
    """
    if kind not in _OWN_KIND:
        raise ValueError(f"unknown code part kind {kind!r}: expected 'letters' or 'digits'")
    # Typed parts repeat a lot: normalise each distinct value once, then broadcast back.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = _normalise_distinct(pd.Series(uniques, dtype=object), kind).to_numpy(
        dtype=object, na_value=None)
    out = np.append(distinct, None)[codes]  # code -1 (missing) -> None
    return pd.Series(out, index=values.index, name=values.name, dtype="str")


def _normalise_distinct(values: pd.Series, kind: str) -> pd.Series:
    """Rules 1-9 on a Series of distinct values (see the module docstring)."""
    s = _as_text(values)
    s = s.str.normalize("NFKD").str.replace(_COMBINING, "", regex=True)
    s = s.str.translate(_HOMOGLYPHS)
    s = s.str.replace(r"[^0-9A-Za-z]", "", regex=True)
    upper = s.str.upper()
    own = s.str.contains(_OWN_KIND[kind], regex=True, na=False)
    if kind == "letters":
        out = upper.where(~own, upper.str.translate(_DIGIT_TO_LETTER))
    else:
        mapped = s.str.translate(_LETTER_TO_DIGIT).str.upper()
        # a part with no digit at all is mapped only if it reads as a month once mapped
        # ("Ol" -> 01, "lO" -> 10), so that e.g. a town part typed here ("ON") stays visible
        month_like = mapped.str.fullmatch(r"0?[1-9]|1[0-2]", na=False)
        out = upper.where(~(own | month_like), mapped)
        month = upper.map(_MONTH_NAMES)
        out = out.where(month.isna(), month)
        out = out.str.replace(r"^0+(?=\d{2}$)", "", regex=True)
        out = out.str.replace(r"^(\d)$", r"0\1", regex=True)
    return out.where(out.str.len() > 0)


def normalise_code(df: pd.DataFrame, parts: dict[str, str]) -> pd.DataFrame:
    """Normalise the part columns of ``df`` and add the full ``code`` column.

    ``parts`` maps each part column to its kind (``"letters"`` or ``"digits"``), in the order in
    which the parts make the code (e.g. ``{"code_mother": "letters", "code_month": "digits",
    "code_town": "letters"}``). Returns a copy of ``df`` whose part columns are normalised, plus
    ``code``: the concatenation of the normalised parts, missing when any part is missing.
    """
    if not parts:
        raise ValueError("normalise_code needs at least one code part")
    missing = [c for c in parts if c not in df.columns]
    if missing:
        raise KeyError(f"code part columns not found: {', '.join(missing)}")
    out = df.copy()
    for column, kind in parts.items():
        out[column] = normalise_part(df[column], kind)  # type: ignore[arg-type]
    columns = list(parts)
    code = out[columns[0]]
    if len(columns) > 1:
        code = code.str.cat([out[c] for c in columns[1:]], sep="", na_rep=None)
    out["code"] = code.astype("str")
    return out


# --------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class PseudonymKey:
    """The secret of :func:`keyed_hash`. ``repr`` never shows it.

    ``source`` says where it came from (``env:NAME``, ``file:NAME`` or ``demo``) and
    ``is_demo`` is True for the public demo key: the report must then state that the
    pseudonyms are not protected (acceptable for synthetic data only).
    """

    secret: bytes = field(repr=False)
    source: str = "explicit"
    is_demo: bool = False

    @property
    def fingerprint(self) -> str:
        """A short public identifier of the key (8 hex chars), to tell runs' keys apart."""
        return hmac.new(self.secret, b"impact-itip key fingerprint", hashlib.sha256).hexdigest()[:8]


def _git_work_tree(start: Path) -> Path | None:
    """The closest ancestor of ``start`` (itself included) that holds a ``.git`` entry."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def load_key(env_var: str = "IMPACT_PSEUDONYM_KEY",
             file_env_var: str = "IMPACT_PSEUDONYM_KEY_FILE",
             demo: bool = False) -> PseudonymKey:
    """The pseudonymisation key of this run.

    * ``demo=True``: the fixed public :data:`DEMO_KEY` (``is_demo=True``); the environment is
      not read. Only for the synthetic example campaign.
    * otherwise, exactly one of: the environment variable ``env_var`` holding the secret, or
      ``file_env_var`` holding the path of a file whose content (surrounding whitespace
      stripped) is the secret. The file must exist and lie outside any git work tree (neither
      the one of the current directory nor one around the file itself), so that the key cannot
      be committed by accident. The secret must be at least :data:`MIN_KEY_LENGTH` bytes.

    Raises :class:`~impact.errors.ConfigError` with a message saying what to set otherwise.
    """
    if demo:
        return PseudonymKey(DEMO_KEY, source="demo", is_demo=True)
    how = (f"Set the environment variable {env_var} to a long random secret (e.g. the output of "
           f"`python -c \"import secrets; print(secrets.token_hex(32))\"`), or set "
           f"{file_env_var} to the path of a file outside the repository that contains it. "
           f"Keep the same key for every run of a campaign. For the synthetic example campaign "
           f"only, set pseudonymisation.demo_key: true in config/config.yaml instead.")
    direct = os.environ.get(env_var, "").strip()
    path_text = os.environ.get(file_env_var, "").strip()
    if direct and path_text:
        raise ConfigError(f"Both {env_var} and {file_env_var} are set: set only one of them, so "
                          f"that it is clear which pseudonymisation key is used.")
    if direct:
        secret, source = direct.encode("utf-8"), f"env:{env_var}"
    elif path_text:
        secret, source = _read_key_file(path_text, file_env_var), f"file:{file_env_var}"
    else:
        raise ConfigError(f"No pseudonymisation key: neither {env_var} nor {file_env_var} is "
                          f"set. {how}")
    if len(secret) < MIN_KEY_LENGTH:
        raise ConfigError(f"The pseudonymisation key from {source.split(':', 1)[1]} is too short "
                          f"({len(secret)} bytes; at least {MIN_KEY_LENGTH} are required). {how}")
    return PseudonymKey(secret, source=source, is_demo=False)


def _read_key_file(path_text: str, file_env_var: str) -> bytes:
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise ConfigError(f"{file_env_var} points to {path}, which is not an existing file. "
                          f"Create it (outside the repository) with the key as its only content, "
                          f"or fix {file_env_var}.")
    resolved = path.resolve()
    for tree in dict.fromkeys(t for t in (_git_work_tree(Path.cwd().resolve()),
                                          _git_work_tree(resolved.parent)) if t is not None):
        if resolved.is_relative_to(tree):
            raise ConfigError(f"The key file {resolved} ({file_env_var}) is inside the git work "
                              f"tree {tree}: move it outside the repository (e.g. to "
                              f"~/.config/impact/pseudonym.key, readable only by you) and point "
                              f"{file_env_var} to the new path.")
    try:
        secret = resolved.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"Cannot read the key file {resolved} ({file_env_var}): "
                          f"{exc.strerror}.") from None
    if not secret:
        raise ConfigError(f"The key file {resolved} ({file_env_var}) is empty: write the key "
                          f"in it.")
    return secret


def keyed_hash(values: pd.Series, key: PseudonymKey, *, context: str = "") -> pd.Series:
    """HMAC-SHA256 pseudonyms of ``values``: 16 lowercase hex characters, missing stays missing.

    The message is the UTF-8 value, preceded by ``context`` and a NUL byte when ``context`` is
    not empty (domain separation: the same code in two programmes gives unrelated pseudonyms).
    Each distinct value is hashed once. Index and name of ``values`` are kept.
    """
    if "\x00" in context:
        raise ValueError("the hash context must not contain a NUL character")
    prefix = context.encode("utf-8") + b"\x00" if context else b""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    digests = np.empty(len(uniques) + 1, dtype=object)
    digests[:-1] = [
        hmac.digest(key.secret, prefix + str(v).encode("utf-8"), "sha256").hex()[:HASH_LENGTH]
        for v in uniques
    ]
    digests[-1] = None  # index -1: missing values
    return pd.Series(digests[codes], index=values.index, name=values.name, dtype="str")

