"""Table-shaping helpers of the report notebook: select, reshape and label published rows.

The report never recomputes a statistic (DESIGN, « one contract between analysis and
report »). Everything here only

- **selects** rows of the indicator tables (``results/indicators/*.csv``), the row accounting,
  the linkage reports, the validation checks and the ingest reports;
- **reshapes** them (one column per wave, one column per programme…);
- **labels** codes in French (programmes, measures, items, subgroups, reasons, flags);
- **adds up row counts** across the waves of a programme (sample flow: answers read in the
  pre and post exports), which is bookkeeping, not estimation.

Functions return plain DataFrames with the published numbers (and ``suppressed``), to be
formatted with :func:`impact.report.formatting.fmt_table`; the few pivots whose cells mix several
rows are formatted here (cells under the disclosure threshold read « s. »). Nothing here names
a programme: labels come from the instrument and the codebooks.

The functions live in one module per report section (:mod:`.common`, :mod:`.method`,
:mod:`.results`, :mod:`.insertion`, :mod:`.robustness`); the notebook imports this package
as ``rd``.
"""

from __future__ import annotations

from impact.report.tables.common import (
    INSERTION_MEASURES,
    MAX_LISTED_VALUES,
    NOT_MEASURED,
    Labels,
    cell,
    change_pairs,
    ci_nb,
    ci_text,
    estimate_text,
    group_rows,
    insertion_definitions,
    load_indicators,
    load_labels,
    magnitude_text,
    natural_key,
    select,
    wwc_attrition_class,
    wwc_attrition_words,
    wwc_equivalence_words,
)
from impact.report.tables.headline import headline_table
from impact.report.tables.insertion import (
    INSERTION_SHORT,
    insertion_curve,
    insertion_models,
    insertion_rates,
    insertion_rows,
    insertion_subgroups,
    response_rates,
)
from impact.report.tables.method import (
    accounting_table,
    flow_frame,
    ingest_table,
    item_table,
    linkage_table,
    reliability_table,
    validation_failures,
    validation_summary,
)
from impact.report.tables.results import (
    change_table,
    forest_frame,
    funnel_frame,
    intention_table,
    key_effects_table,
    likert_frame,
    subgroup_table,
)
from impact.report.tables.robustness import (
    attrition_table,
    comparison_table,
    imbalance_table,
    mde_table,
    multiplicity_table,
    ordinal_table,
    robustness_table,
)

__all__ = [
    "INSERTION_MEASURES",
    "INSERTION_SHORT",
    "MAX_LISTED_VALUES",
    "NOT_MEASURED",
    "Labels",
    "accounting_table",
    "attrition_table",
    "cell",
    "change_pairs",
    "change_table",
    "ci_nb",
    "ci_text",
    "comparison_table",
    "estimate_text",
    "flow_frame",
    "forest_frame",
    "headline_table",
    "funnel_frame",
    "group_rows",
    "imbalance_table",
    "ingest_table",
    "insertion_curve",
    "insertion_definitions",
    "insertion_models",
    "insertion_rates",
    "insertion_rows",
    "insertion_subgroups",
    "intention_table",
    "item_table",
    "key_effects_table",
    "likert_frame",
    "linkage_table",
    "load_indicators",
    "load_labels",
    "magnitude_text",
    "mde_table",
    "multiplicity_table",
    "natural_key",
    "ordinal_table",
    "reliability_table",
    "response_rates",
    "robustness_table",
    "select",
    "subgroup_table",
    "validation_failures",
    "validation_summary",
    "wwc_attrition_class",
    "wwc_attrition_words",
    "wwc_equivalence_words",
]
