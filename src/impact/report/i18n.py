"""The report's message catalogue (placeholder: French source strings returned unchanged
until the catalogue lands)."""

from __future__ import annotations

from collections.abc import Callable


def translator(lang: str = "fr") -> Callable[[str], str]:
    """A gettext-style function: French source string → its text in ``lang``."""
    return lambda message: message


def use_language(lang: str = "fr") -> None:
    """Make :mod:`impact.report.formatting` follow ``lang`` (placeholder: French only until
    the catalogue lands)."""
    return None
