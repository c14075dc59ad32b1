"""Errors shown to users: one clear message, no traceback.

``DataError`` messages are in French (they speak about the researcher's data: the export, the
row, the column and what to do); ``ConfigError`` messages are in English (they speak about the
pipeline's configuration). ``impact.cli`` and the workflow scripts print the message and exit
with status 1 instead of showing a traceback.
"""

from __future__ import annotations


class ImpactError(Exception):
    """Base class of the errors the pipeline reports to its user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ImpactError):
    """Configuration problem (config.yaml, codebook structure, keys): English message."""


class DataError(ImpactError):
    """Problem in the survey data (export, labels, rows): French message."""
