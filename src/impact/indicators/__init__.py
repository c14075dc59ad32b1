"""Indicators: the respondent × wave panel → rows of the one tidy indicator table.

Attitude change (:mod:`.attitudes`), insertion at follow-up (:mod:`.insertion`), both per
programme (:mod:`.programme`); then p-value adjustment, pooling and the published table
(:mod:`.publish`), whose columns and code lists are the contract (:mod:`.contract`). May
import :mod:`impact.survey` and :mod:`impact.stats`; hands on CSV tables to :mod:`impact.report`.
"""
