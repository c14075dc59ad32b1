"""Tables of the « Insertion professionnelle » section: definitions, rates with their
response rates, subgroups, models and the time-to-employment curve.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from impact.report.formatting import (
    MISSING,
    SECRET,
    fmt_int,
    fmt_number,
    fmt_pct,
    is_missing,
)
from impact.report.i18n import N_, current_language, word_for
from impact.report.i18n import gettext as _
from impact.report.tables.common import (
    Labels,
    cell,
    insertion_definitions,
    one_row,
    select,
    subgroup_values,
)

# --------------------------------------------------------------------------- insertion


#: Short outcome names for column headings.
INSERTION_SHORT = {
    "employment": N_("Emploi"),
    "durable_employment": N_("Emploi durable"),
    "qualifying_training": N_("Formation qualifiante"),
    "positive_exit": N_("Sortie positive"),
    "job_in_industry": N_("Industrie"),
    "job_in_industry_among_active": N_("Industrie (actifs)"),
}


def insertion_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Every published row about insertion: the outcomes, and the follow-up response rate."""
    measures = set(insertion_definitions()) | {"followup", "situation"}
    return table[table["measure"].isin(measures) & (table["programme"] != "pooled")]


def _outcome_order(measures: Iterable[str]) -> list[str]:
    order = list(insertion_definitions())
    present = list(dict.fromkeys(measures))
    return [m for m in order if m in present] + [m for m in present if m not in order]


def insertion_rates(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Per programme and outcome: rate among follow-up respondents (Wilson CI) and its Manski
    bounds over the whole follow-up cohort (every non-respondent failed / succeeded)."""
    rows = insertion_rows(table)
    rates = select(rows, indicator="rate", subgroup="all")
    out = []
    for programme in pd.unique(rates["programme"]):
        sub = select(rows, programme=programme, subgroup="all")
        for measure in _outcome_order(select(rates, programme=programme)["measure"]):
            r = one_row(sub, measure=measure, indicator="rate")
            lo = one_row(sub, measure=measure, indicator="rate_worst_case")
            hi = one_row(sub, measure=measure, indicator="rate_best_case")
            out.append({
                "programme": labels.programme(programme), "code": programme,
                "outcome": measure, "measure": labels.measure(measure),
                "wave": labels.wave(r["wave_from"]),
                "n": r["n"], "estimate": r["estimate"], "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "cohort": lo["n"] if lo is not None else np.nan,
                "worst": lo["estimate"] if lo is not None else np.nan,
                "best": hi["estimate"] if hi is not None else np.nan,
                "suppressed": any(bool(x["suppressed"]) for x in (r, lo, hi) if x is not None),
            })
    return pd.DataFrame(out, columns=["programme", "code", "outcome", "measure", "wave", "n",
                                      "estimate",
                                      "ci_low", "ci_high", "cohort", "worst", "best",
                                      "suppressed"])


def response_rates(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Follow-up response rate of each programme's cohort (whole cohort)."""
    r = select(insertion_rows(table), measure="followup", indicator="response_rate",
               subgroup="all")
    return pd.DataFrame({"programme": r["programme"].map(labels.programme), "n": r["n"],
                         "estimate": r["estimate"], "suppressed": r["suppressed"]})


def insertion_subgroups(table: pd.DataFrame, programme: str, labels: Labels,
                        variables: Sequence[str]) -> pd.DataFrame:
    """Rates per subgroup cell (rows) and outcome (columns), formatted (« s. » when secret)."""
    rates = select(insertion_rows(table), programme=programme, indicator="rate",
                   subgroup=list(variables))
    measures = _outcome_order(rates["measure"])
    out = []
    for variable in variables:
        sub = select(rates, subgroup=variable)
        for value in subgroup_values(sub, variable, labels):
            cells = select(sub, subgroup_value=value)
            n = cells.loc[~cells["suppressed"], "n"].dropna()
            row = {N_("Sous-groupe"): labels.variable(variable),
                   N_("Modalité"): labels.value(variable, value),
                   N_("Répondants"): SECRET if n.empty else fmt_int(n.max())}
            for m in measures:
                r = one_row(cells, measure=m)
                row[INSERTION_SHORT.get(m, labels.measure(m))] = MISSING if r is None else cell(
                    r["estimate"], lambda v: fmt_pct(v, 0), bool(r["suppressed"]))
            out.append(row)
    return pd.DataFrame(out)


def _covariate_label(term: str, labels: Labels) -> str:
    var, _sep, value = term.partition("=")
    if value:
        colon = " : " if current_language() == "fr" else ": "
        return f"{labels.variable(var)}{colon}{labels.value(var, value)}"
    if var.endswith("_pre") and var[:-4] in labels.measures:
        return _("{mesure} (score initial)").format(mesure=labels.measure(var[:-4]))
    if var.endswith("_change") and var[:-7] in labels.measures:
        return _("{mesure} (évolution)").format(mesure=labels.measure(var[:-7]))
    return labels.variable(var)


MODEL_SKIPPED = {
    "quasi_separation": N_("séparation quasi complète"),
    "separation": N_("séparation complète"),
    "too_few_respondents": N_("trop peu de répondants"),
    "too_few_events": N_("trop peu d'événements"),
    "too_few_nonevents": N_("trop peu de non-événements"),
    "too_few_events_per_parameter": N_("trop peu d'événements par paramètre estimé"),
    "no_covariates": N_("aucune covariable utilisable"),
    "fit_failed": N_("échec de l'estimation"),
}


def insertion_models(table: pd.DataFrame, programme: str, labels: Labels,
                     alpha: float) -> tuple[pd.DataFrame, list[str]]:
    """Average marginal effects (percentage points) of the background model, one row per
    covariate and one column per outcome (« * » when p < alpha), and the list of outcomes
    whose model was not fitted, with the reason."""
    rows = insertion_rows(table)
    ame = select(rows, programme=programme, indicator="ame", subgroup="covariate")
    measures = _outcome_order(ame["measure"])
    out = []
    for term in pd.unique(ame["subgroup_value"]):
        row = {N_("Covariable"): _covariate_label(term, labels)}
        for m in measures:
            r = one_row(ame, measure=m, subgroup_value=term)
            row[INSERTION_SHORT.get(m, labels.measure(m))] = MISSING if r is None else cell(
                r["estimate"],
                lambda v, p=r["p_value"]: fmt_number(v, 1) + (
                    " *" if not is_missing(p) and p < alpha else ""),
                bool(r["suppressed"]))
        out.append(row)
    skipped = select(rows, programme=programme, indicator="model_skipped", subgroup="model",
                     subgroup_value="background")
    notes = [f"{labels.measure(r['measure'])} ({word_for(MODEL_SKIPPED, r['flag'])})"
             for _row, r in skipped.iterrows()]
    return pd.DataFrame(out), notes


def insertion_curve(table: pd.DataFrame, programme: str) -> pd.DataFrame:
    """Input of :func:`impact.report.figures.survival_curve` from the rows with ``subgroup ==
    "month"`` (time in months in ``subgroup_value``; numbers at risk in ``n``)."""
    r = select(insertion_rows(table), programme=programme, subgroup="month")
    out = pd.DataFrame({
        "measure": r["measure"],
        "time": pd.to_numeric(r["subgroup_value"], errors="coerce"),
        "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
        "at_risk": r["n"], "suppressed": r["suppressed"],
    }).dropna(subset=["time"])
    return out.sort_values(["measure", "time"], kind="stable").reset_index(drop=True)


