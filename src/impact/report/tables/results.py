"""Tables and figure frames of the « Résultats par programme » section: pre/post change,
forest plot, key effects, Likert distributions, subgroups, funnel plot, intentions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from impact.report.formatting import (
    MISSING,
    SECRET,
    fmt_int,
    fmt_number,
    fmt_p,
)
from impact.report.i18n import N_
from impact.report.i18n import gettext as _
from impact.report.tables.common import (
    MAX_LISTED_VALUES,
    NOT_MEASURED,
    Labels,
    cell,
    change_pairs,
    ci_nb,
    magnitude_text,
    one_row,
    ordered_measures,
    select,
    subgroup_values,
)

# --------------------------------------------------------------------------- results


def change_table(table: pd.DataFrame, programme: str, labels: Labels,
                 wave_from: str, wave_to: str, *, subgroup: str = "all",
                 subgroup_value: str = "") -> pd.DataFrame:
    """Paired change per measure: pair means, mean change [CI], d_z, g_av [CI], p, adjusted p.

    One row per measure (codebook order); ``suppressed`` is true when any of the rows it
    gathers is suppressed. Columns keep the published numbers (to format with fmt_table).
    """
    crit = dict(programme=programme, subgroup=subgroup, subgroup_value=subgroup_value)
    changes = select(table, indicator="mean_change", wave_from=wave_from, wave_to=wave_to,
                     **crit)
    rows = []
    for measure in ordered_measures(changes, labels, programme):
        mc = one_row(changes, measure=measure)
        g = one_row(table, measure=measure, indicator="g_av", wave_from=wave_from,
                 wave_to=wave_to, **crit)
        pre = one_row(table, measure=measure, indicator="pair_mean", wave_from=wave_from, **crit)
        post = one_row(table, measure=measure, indicator="pair_mean", wave_from=wave_to, **crit)
        parts = [r for r in (mc, g, pre, post) if r is not None]
        rows.append({
            "measure": measure,
            "label": labels.measure(measure),
            "unit": mc["unit"],
            "n": mc["n"],
            "mean_pre": pre["estimate"] if pre is not None else np.nan,
            "mean_post": post["estimate"] if post is not None else np.nan,
            "change": mc["estimate"], "ci_low": mc["ci_low"], "ci_high": mc["ci_high"],
            "d_z": mc["effect_size"],
            "g_av": g["effect_size"] if g is not None else np.nan,
            "g_low": g["ci_low"] if g is not None else np.nan,
            "g_high": g["ci_high"] if g is not None else np.nan,
            "p_value": mc["p_value"], "p_adjusted": mc["p_adjusted"],
            "adjustment": mc["adjustment"],
            "suppressed": any(bool(r["suppressed"]) for r in parts),
        })
    return pd.DataFrame(rows, columns=[
        "measure", "label", "unit", "n", "mean_pre", "mean_post", "change", "ci_low",
        "ci_high", "d_z", "g_av", "g_low", "g_high", "p_value", "p_adjusted", "adjustment",
        "suppressed"])


def forest_frame(table: pd.DataFrame, labels: Labels, programmes: Sequence[str],
                 pooled: bool = True) -> pd.DataFrame:
    """Input of :func:`impact.report.figures.forest_plot`: g_av of every measure (participants,
    all), grouped by programme (programme labels), pooled estimates last."""
    rows = []
    for programme in list(programmes) + (["pooled"] if pooled else []):
        g = select(table, programme=programme, indicator="g_av", subgroup="all")
        for measure in ordered_measures(g, labels, programme if programme != "pooled"
                                         else None):
            r = one_row(g, measure=measure)
            rows.append({"programme": labels.programme(programme),
                         "measure": labels.measure(measure),
                         "effect_size": r["effect_size"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"], "es_type": r["es_type"] or "g_av",
                         "suppressed": bool(r["suppressed"])})
    return pd.DataFrame(rows, columns=["programme", "measure", "effect_size", "ci_low",
                                       "ci_high", "es_type", "suppressed"])


def key_effects_table(table: pd.DataFrame, labels: Labels,
                      programmes: Sequence[str]) -> pd.DataFrame:
    """Synthèse: g_av with its magnitude, one row per measure, one column per programme
    (and the pooled estimate when there is one)."""
    g = select(table, indicator="g_av", subgroup="all")
    cols = [p for p in programmes if p in set(g["programme"])]
    if "pooled" in set(g["programme"]):
        cols.append("pooled")
    measures = ordered_measures(g[g["programme"].isin(cols)], labels, None)
    rows = []
    for measure in measures:
        row = {N_("Mesure"): labels.measure(measure)}
        for p in cols:
            r = one_row(g, programme=p, measure=measure)
            row[labels.programme(p)] = (_(NOT_MEASURED) if r is None else
                                        cell(r["effect_size"],
                                             lambda v, t=r["es_type"]: magnitude_text(v, t),
                                             bool(r["suppressed"])))
        rows.append(row)
    return pd.DataFrame(rows)


def likert_frame(table: pd.DataFrame, programme: str, items: Sequence[str],
                 labels: Labels, waves: Sequence[str]) -> pd.DataFrame:
    """Input of :func:`impact.report.figures.likert_diverging` for some items of a programme, from
    the ``share_response`` rows (one per item × wave × response code)."""
    rows = select(table, programme=programme, indicator="share_response", measure=list(items),
                  subgroup="response", wave_from=list(waves))
    out = pd.DataFrame({
        "item": rows["measure"].map(lambda m: labels.item(m)),
        "code": rows["measure"],
        "wave": rows["wave_from"],
        "response": pd.to_numeric(rows["subgroup_value"], errors="coerce"),
        "share": rows["estimate"].fillna(0.0),
        "n": rows["n"],
        "suppressed": rows["suppressed"],
    })
    out = out.dropna(subset=["response"])
    out["response"] = out["response"].astype(int)
    order = {m: i for i, m in enumerate(items)}
    wave_order = {w: i for i, w in enumerate(waves)}
    return (out.assign(_i=out["code"].map(order), _w=out["wave"].map(wave_order))
            .sort_values(["_i", "_w", "response"], kind="stable")
            .drop(columns=["_i", "_w", "code"]).reset_index(drop=True))


def subgroup_table(table: pd.DataFrame, programme: str, labels: Labels,
                   variables: Sequence[str], wave_from: str, wave_to: str,
                   max_listed: int = MAX_LISTED_VALUES) -> pd.DataFrame:
    """g_av per subgroup cell (rows) and measure (columns), with the cell's number of pairs
    and, per variable, the p of the test that the change differs between its cells.

    Cells are formatted: « s. » under the disclosure threshold. The number of pairs is the
    largest over the measures (an item may be missing for a few respondents). A variable with
    more than ``max_listed`` cells is summarised by the median and quartiles of its published
    cells' g_av (:func:`_summarised_cells`) instead of one row per cell."""
    base = select(table, programme=programme, wave_from=wave_from, wave_to=wave_to)
    g_all = select(base, indicator="g_av", subgroup=list(variables))
    measures = ordered_measures(g_all, labels, programme)
    rows = []
    for variable in variables:
        g = select(g_all, subgroup=variable)
        if g.empty:
            continue
        mc = select(base, indicator="mean_change", subgroup=variable)
        values = subgroup_values(g, variable, labels)
        if len(values) > max_listed:
            rows += _summarised_cells(g, mc, labels.variable(variable), measures, labels)
            values = []
        for value in values:
            gv = select(g, subgroup_value=value)
            secret_all = bool(gv["suppressed"].all())
            ns = select(mc, subgroup_value=value)
            n = ns.loc[~ns["suppressed"], "n"].dropna()
            row = {N_("Sous-groupe"): labels.variable(variable),
                   N_("Modalité"): labels.value(variable, value),
                   N_("Paires"): SECRET if secret_all or n.empty else fmt_int(n.max())}
            for m in measures:
                r = one_row(gv, measure=m)
                row[labels.measure(m)] = (MISSING if r is None else
                                          cell(r["effect_size"], suppressed=bool(r["suppressed"])))
            rows.append(row)
        tests = select(base, indicator="interaction_test", subgroup=variable)
        if not tests.empty:
            row = {N_("Sous-groupe"): labels.variable(variable),
                   N_("Modalité"): _("p du test d'interaction"), N_("Paires"): MISSING}
            for m in measures:
                r = one_row(tests, measure=m)
                row[labels.measure(m)] = (MISSING if r is None else
                                          cell(r["p_value"], lambda p: fmt_p(p, with_p=False),
                                               bool(r["suppressed"])))
            rows.append(row)
    return pd.DataFrame(rows)


def _summarised_cells(g: pd.DataFrame, mc: pd.DataFrame, variable_label: str,
                      measures: Sequence[str], labels: Labels) -> list[dict]:
    """Median and quartiles (Q1 ; Q3) of the published cells' g_av, per measure."""
    shown = g[~g["suppressed"].astype(bool) & g["effect_size"].notna()]
    cells = g["subgroup_value"].nunique()
    published = shown["subgroup_value"].nunique()
    pairs = mc.loc[~mc["suppressed"].astype(bool)].groupby("subgroup_value")["n"].max()
    median = {N_("Sous-groupe"): variable_label,
              N_("Modalité"): _("médiane des {k} modalités publiées (sur {n})").format(
                  k=fmt_int(published), n=fmt_int(cells)),
              N_("Paires"): fmt_int(pairs.sum()) if len(pairs) else SECRET}
    quartiles = {N_("Sous-groupe"): variable_label, N_("Modalité"): _("1er et 3e quartiles"),
                 N_("Paires"): MISSING}
    for m in measures:
        values = shown.loc[shown["measure"] == m, "effect_size"].astype(float)
        if values.empty:
            median[labels.measure(m)] = quartiles[labels.measure(m)] = SECRET
            continue
        q1, q2, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        median[labels.measure(m)] = fmt_number(q2)
        quartiles[labels.measure(m)] = ci_nb(q1, q3)
    return [median, quartiles]


def funnel_frame(table: pd.DataFrame, programme: str, variable: str, wave_from: str,
                 wave_to: str, labels: Labels, alpha: float = 0.05) -> pd.DataFrame:
    """Per published cell of ``variable`` and scale: the mean change (with its CI) and its number of
    pairs, beside the whole programme's mean change (``overall``) and the SD of the individual
    changes behind it (``sd_overall``), from which a funnel plot draws its control limits.

    The SD is read back from the published interval (level 1 − ``alpha``, the analysis'
    setting), s = (ci_high − ci_low) / (2 t_{1−α/2, n−1}) · √n; the report recomputes no
    statistic (the module docstring)."""
    from scipy.special import stdtrit  # the t quantile, without scipy.stats' 1 s import

    base = select(table, programme=programme, wave_from=wave_from, wave_to=wave_to,
                  indicator="mean_change", unit="points")
    overall = select(base, subgroup="all")
    overall = overall[~overall["suppressed"].astype(bool) & overall["n"].gt(1)]
    cells = select(base, subgroup=variable)
    cells = cells[~cells["suppressed"].astype(bool) & cells["estimate"].notna()]
    if overall.empty or cells.empty:
        return pd.DataFrame(columns=["measure", "label", "subgroup_value", "n", "estimate",
                                     "ci_low", "ci_high",
                                     "overall", "sd_overall"])
    n = overall["n"].astype(float)
    half_width = (overall["ci_high"] - overall["ci_low"]) / 2
    sd = half_width / stdtrit(n - 1, 1 - alpha / 2) * np.sqrt(n)
    ref = pd.DataFrame({"measure": overall["measure"], "overall": overall["estimate"],
                        "sd_overall": sd})
    frame = cells[["measure", "subgroup_value", "n", "estimate", "ci_low",
                   "ci_high"]].merge(ref, on="measure")
    frame = frame[frame["measure"].isin(labels.scales(programme))]
    order = {m: i for i, m in enumerate(ordered_measures(frame, labels, programme))}
    frame = frame.assign(label=frame["measure"].map(labels.measure),
                         _order=frame["measure"].map(order))
    return frame.sort_values(["_order", "subgroup_value"], kind="stable").drop(
        columns="_order").reset_index(drop=True)


def intention_table(table: pd.DataFrame, labels: Labels,
                    programmes: Sequence[str]) -> pd.DataFrame:
    """Share answering « oui » before and after, McNemar test, switches (published rows)."""
    rows = []
    for programme in programmes:
        for wave_from, wave_to in change_pairs(table, programme):
            base = select(table, programme=programme, subgroup="all")
            mc = one_row(base, indicator="mcnemar", wave_from=wave_from, wave_to=wave_to)
            if mc is None:
                continue
            pre = one_row(base, indicator="share_positive", wave_from=wave_from, wave_to="")
            post = one_row(base, indicator="share_positive", wave_from=wave_to, wave_to="")
            up = one_row(base, indicator="switch_to_positive", wave_from=wave_from,
                      wave_to=wave_to)
            down = one_row(base, indicator="switch_from_positive", wave_from=wave_from,
                        wave_to=wave_to)
            parts = [r for r in (mc, pre, post, up, down) if r is not None]
            rows.append({
                "programme": labels.programme(programme), "measure": mc["measure"],
                "n": mc["n"],
                "share_pre": pre["estimate"] if pre is not None else np.nan,
                "share_post": post["estimate"] if post is not None else np.nan,
                "diff": mc["estimate"], "ci_low": mc["ci_low"], "ci_high": mc["ci_high"],
                "p_value": mc["p_value"], "p_adjusted": mc["p_adjusted"],
                "to_positive": up["estimate"] if up is not None else np.nan,
                "from_positive": down["estimate"] if down is not None else np.nan,
                "suppressed": any(bool(r["suppressed"]) for r in parts),
            })
    return pd.DataFrame(rows, columns=["programme", "measure", "n", "share_pre", "share_post",
                                       "diff", "ci_low", "ci_high", "p_value", "p_adjusted",
                                       "to_positive", "from_positive", "suppressed"])


