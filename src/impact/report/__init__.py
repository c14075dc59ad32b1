"""Report: everything the « Impact ITIP » notebook uses, and its rendering.

Table shaping of the published rows (:mod:`.tables`, one module per report section), figures
(:mod:`.figures`, :mod:`.figure_style`), French number formatting (:mod:`.formatting`),
exhibits with their Lecture / Champ / Source notes (:mod:`.notes`), notebook execution and
HTML/PDF rendering (:mod:`.render`, ``report.css``) and the provenance record
(:mod:`.provenance`). Reads the indicator tables; never recomputes a statistic. May import
:mod:`impact.indicators` (the contract and definitions) and :mod:`impact.survey`.
"""
