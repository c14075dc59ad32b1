"""The researcher's and evaluators' tools around the workflow: check codebooks and exports
before a run, draft a codebook from an export, the review workbook and its decisions, and the
deliverables for evaluators (Excel, French CSV, Stata, SPSS, Parquet, data dictionary).

Takes the instrument, codebooks and exports (``survey``, ``ingest``, ``checks``), the panel and
link decisions (``linkage``) and the published tables (``indicators``); nothing in a stage
imports it: the command line (``impact.cli``) and the thin workflow scripts call it.
"""
