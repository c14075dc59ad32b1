"""Checks: validation of one interim table with Great Expectations, the researcher's
corrections, quarantine and exclusions, and the row accounting (read = kept + quarantined +
excluded).

Takes in the interim table of :mod:`impact.ingest`; hands on the kept rows to
:mod:`impact.linkage`. May import :mod:`impact.survey`; Great Expectations is imported only by
:mod:`.gx_engine`, and only when a suite runs (its import costs seconds).
"""
