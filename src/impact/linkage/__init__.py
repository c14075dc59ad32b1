"""Linkage: the kept rows of every wave → the respondent × wave panel of one programme.

Exact then tolerant matching of the pseudonymous codes (:mod:`.matching`), a keyed-hash
respondent id, scale scores, and who is missing at each wave (:mod:`.attrition`: WWC
boundaries, inverse-probability weights). Hands on the panel to :mod:`impact.indicators`.
May import :mod:`impact.survey`, :mod:`impact.ingest` (pseudonymisation) and :mod:`impact.stats`.
"""
