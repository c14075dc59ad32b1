"""Ingest: one raw export (CSV or workbook of a survey tool) → the harmonised interim table.

Reads the file as its codebook says, maps columns to the instrument's names, recodes labels to
codes, keeps each row's provenance (file, line), drops direct identifiers at the door and
pseudonymises the typed codes (:mod:`.pseudonym`; normalised codes go to ``restricted/``).
Hands on the interim table to :mod:`impact.checks`. May import :mod:`impact.survey`.
"""
