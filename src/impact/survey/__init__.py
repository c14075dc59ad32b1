"""The metadata model: the common instrument, each programme's codebook, scale scoring, and YAML
loading with line numbers for messages that point at the line to fix.

Takes in ``surveys/instrument.yaml`` and ``surveys/<programme>/codebook.yaml``; hands on
:class:`~impact.survey.instrument.Instrument` and :class:`~impact.survey.codebook.Codebook`
to every later stage. Imports only :mod:`impact.errors`.
"""
