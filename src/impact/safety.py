"""Cells that are safe to open: CSV/spreadsheet formula injection neutralised.

Every table written under ``results/`` may be opened in a spreadsheet. A text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — or their full-width forms
``＝ ＋ － ＠``, which some spreadsheets also read as formula starts — is a formula to Excel or
LibreOffice (``=HYPERLINK(...)`` typed as a school name becomes a live link). Following the
OWASP "CSV injection" rule, such a cell is written with a leading single quote ``'``, which
spreadsheets show as text. Numbers stay numbers: only text cells are escaped, and a text cell
that is a plain number (``-0.42``, ``+3``) is left alone (no spreadsheet evaluates it).

Every subpackage may import this module (like :mod:`impact.errors`; ``tests/test_layout.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported on use: the report's stages need formula_safe only
    import pandas as pd

#: First characters that make a spreadsheet cell a formula (OWASP), and their full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def formula_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text starting like a formula; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are :func:`formula_safe` (numeric columns as is)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            uniques = pd.unique(values.dropna())
            risky = {u: formula_safe(u) for u in uniques if isinstance(u, str)
                     and u.startswith(FORMULA_STARTS)}
            if risky:
                hit = values.isin(list(risky))
                out[column] = values.where(~hit, values.map(risky))
    safe_names = [formula_safe(str(c)) for c in out.columns]
    if safe_names != [str(c) for c in out.columns]:
        out.columns = safe_names
    return out


def write_safe_csv(frame: pd.DataFrame, path: str | Path, **options: Any) -> None:
    """``frame.to_csv(path, index=False, **options)`` with formula-safe text cells."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    formula_safe_frame(frame).to_csv(path, index=False, **options)
