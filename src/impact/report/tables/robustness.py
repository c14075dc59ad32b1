"""Tables of the « Robustesse » section: attrition and imbalance, alternative estimates,
multiplicity, the comparison group, ordinal models and minimum detectable effects.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from impact.report.formatting import (
    MISSING,
    SECRET,
    fmt_int,
    fmt_number,
    fmt_p,
    fmt_pct,
)
from impact.report.i18n import N_, current_language, word_for
from impact.report.i18n import gettext as _
from impact.report.tables.common import (
    Labels,
    cell,
    change_pairs,
    ci_nb,
    one_row,
    ordered_measures,
    select,
    wwc_attrition_class,
    wwc_equivalence_words,
)

#: Short French names of indicator codes for generic tables (translate with ``word_for``).
INDICATOR_WORDS = {
    "headline": N_("critères principaux (estimation du plan)"),
    "rate": N_("taux"),
    "ame": N_("effet marginal moyen"),
    "odds_ratio": N_("rapport de cotes"),
    "mean_change": N_("évolution moyenne"),
    "g_av": N_("taille d'effet g_av"),
    "d_z": N_("taille d'effet d_z"),
    "share_positive": N_("part de « oui »"),
    "ipw_mean_change": N_("évolution pondérée (IPW)"),
    "lmm_change": N_("évolution (modèle mixte)"),
    "did": N_("différence de différences"),
    "baseline_equivalence": N_("écart initial (g de Hedges)"),
    "mde": N_("effet minimal détectable"),
    "interaction_test": N_("test d'interaction"),
}


# --------------------------------------------------------------------------- robustness


def attrition_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Attrition per programme and wave pair: overall, by group, differential and its WWC
    class, and how many baseline covariates differ between stayers and leavers."""
    att = select(table, measure="attrition")
    rows = []
    for programme in pd.unique(att["programme"]):
        if programme == "pooled":
            continue
        sub = att[att["programme"] == programme]
        overall = select(sub, indicator="attrition_overall", subgroup="all")
        for _row, o in overall.iterrows():
            pair = dict(wave_from=o["wave_from"], wave_to=o["wave_to"])
            part = one_row(sub, indicator="attrition_group", subgroup_value="participant", **pair)
            comp = one_row(sub, indicator="attrition_group", subgroup_value="comparison", **pair)
            diff = one_row(sub, indicator="attrition_differential", **pair)
            svl = select(sub, indicator="stayers_vs_leavers", **pair)
            rows.append({
                N_("Programme"): labels.programme(programme),
                N_("Vagues"): f"{labels.wave(o['wave_from'])} → {labels.wave(o['wave_to'])}",
                N_("Effectif initial"): cell(o["n"], fmt_int, bool(o["suppressed"])),
                N_("Attrition"): cell(o["estimate"], fmt_pct, bool(o["suppressed"])),
                N_("Participants / comparaison"): MISSING if part is None or comp is None else
                f"{cell(part['estimate'], fmt_pct, bool(part['suppressed']))} / "
                f"{cell(comp['estimate'], fmt_pct, bool(comp['suppressed']))}",
                N_("Différentielle"): MISSING if diff is None else
                cell(diff["estimate"], fmt_pct, bool(diff["suppressed"])),
                N_("Classe WWC (prudente / optimiste)"): MISSING if diff is None else
                f"{wwc_attrition_class(diff['flag'], 'cautious')} / "
                f"{wwc_attrition_class(diff['flag'], 'optimistic')}",
                N_("Covariables déséquilibrées"): (
                    _("{k} sur {n}").format(
                        k=fmt_int(int(svl["flag"].str.contains("imbalance").sum())),
                        n=fmt_int(int(svl["estimate"].notna().sum())))
                    if len(svl) else MISSING),
            })
    return pd.DataFrame(rows)


def imbalance_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Baseline covariates flagged ``imbalance`` (|standardised difference| > 0,25)."""
    svl = select(table, measure="attrition", indicator="stayers_vs_leavers")
    svl = svl[svl["flag"].str.contains("imbalance") & (svl["programme"] != "pooled")]
    rows = []
    for _row, r in svl.iterrows():
        var, _sep, value = str(r["subgroup_value"]).partition("=")
        colon = " : " if current_language() == "fr" else ": "
        name = (f"{labels.variable(var)}{colon}{labels.value(var, value)}" if value
                else labels.measure(var))
        rows.append({N_("Programme"): labels.programme(r["programme"]),
                     N_("Vagues"): f"{labels.wave(r['wave_from'])} → {labels.wave(r['wave_to'])}",
                     N_("Covariable"): name,
                     N_("Différence standardisée"): cell(r["estimate"],
                                                     suppressed=bool(r["suppressed"]))})
    return pd.DataFrame(rows, columns=["Programme", "Vagues", "Covariable",
                                       "Différence standardisée"])


def robustness_table(table: pd.DataFrame, labels: Labels,
                     programmes: Sequence[str]) -> pd.DataFrame:
    """Paired change beside the IPW-weighted and mixed-model estimates, per measure."""
    rows = []
    for programme in programmes:
        for wave_from, wave_to in change_pairs(table, programme):
            base = select(table, programme=programme, subgroup="all", wave_from=wave_from,
                          wave_to=wave_to)
            alt = select(base, indicator=["ipw_mean_change", "lmm_change"])
            for measure in ordered_measures(alt, labels, programme):
                row = {N_("Programme"): labels.programme(programme),
                       N_("Mesure"): labels.measure(measure)}
                for indicator, name, n_name in (
                        ("mean_change", N_("Paires complètes"), N_("Paires")),
                        ("ipw_mean_change", N_("Pondération IPW"), None),
                        ("lmm_change", N_("Modèle mixte"), N_("Répondants"))):
                    r = one_row(base, measure=measure, indicator=indicator)
                    if r is None:
                        row[name] = MISSING
                        continue
                    secret = bool(r["suppressed"])
                    row[name] = SECRET if secret else (
                        f"{fmt_number(r['estimate'])} {ci_nb(r['ci_low'], r['ci_high'])}")
                    if "not_converged" in str(r["flag"]):
                        row[name] += _(" (non convergé)")
                    if n_name:  # IPW weighs the same pairs
                        row[n_name] = cell(r["n"], fmt_int, secret)
                rows.append(row)
    cols = ["Programme", "Mesure", "Paires complètes", "Paires", "Pondération IPW",
            "Modèle mixte", "Répondants"]
    frame = pd.DataFrame(rows)
    return frame[[c for c in cols if c in frame.columns]] if len(frame) else frame


def multiplicity_table(table: pd.DataFrame, labels: Labels, alpha: float) -> pd.DataFrame:
    """Per adjusted family: tests, p < alpha before and after adjustment."""
    adj = table[(table["adjustment"] != "") & table["p_value"].notna()]
    rows = []
    for (programme, indicator), fam in adj.groupby(["programme", "indicator"], sort=False):
        method = str(fam["adjustment"].iloc[0]).split(":")[0]
        rows.append({
            N_("Programme"): labels.programme(programme),
            N_("Famille de tests"): word_for(INDICATOR_WORDS, indicator, word_for(
                {"mcnemar": N_("test de McNemar"), "wilcoxon": N_("test de Wilcoxon")},
                indicator)),
            N_("Méthode"): {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}.get(method, method),
            N_("Tests"): fmt_int(len(fam)),
            _("p < {alpha} (brut)").format(alpha=fmt_number(alpha, 2)): fmt_int(
                int((fam["p_value"] < alpha).sum())),
            _("p < {alpha} (ajusté)").format(alpha=fmt_number(alpha, 2)): fmt_int(
                int((fam["p_adjusted"] < alpha).sum())),
        })
    return pd.DataFrame(rows)


def comparison_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Comparison group: change of participants and comparison pupils, difference-in-
    differences [CI] and p, baseline difference (Hedges' g) and its WWC class."""
    did = select(table, indicator="did", subgroup="all")
    rows = []
    for _row, d in did.iterrows():
        if d["programme"] == "pooled":
            continue
        crit = dict(programme=d["programme"], measure=d["measure"],
                    wave_from=d["wave_from"], wave_to=d["wave_to"])
        part = one_row(table, indicator="mean_change", subgroup="all", **crit)
        comp = one_row(table, indicator="mean_change", subgroup="group",
                    subgroup_value="comparison", **crit)
        base = one_row(table, indicator="baseline_equivalence", programme=d["programme"],
                    measure=d["measure"], subgroup="all")
        secret = bool(d["suppressed"])
        rows.append({
            N_("Programme"): labels.programme(d["programme"]),
            N_("Mesure"): labels.measure(d["measure"]),
            N_("Évolution participants"): MISSING if part is None else
            cell(part["estimate"], suppressed=bool(part["suppressed"])),
            N_("Évolution comparaison"): MISSING if comp is None else
            cell(comp["estimate"], suppressed=bool(comp["suppressed"])),
            N_("Différence de différences [IC 95 %]"): SECRET if secret else
            f"{fmt_number(d['estimate'])} {ci_nb(d['ci_low'], d['ci_high'])}",
            "p": cell(d["p_value"], lambda p: fmt_p(p, with_p=False), secret),
            N_("Écart initial (g)"): MISSING if base is None else
            cell(base["effect_size"], suppressed=bool(base["suppressed"])),
            N_("Équivalence initiale (WWC)"): MISSING if base is None else
            wwc_equivalence_words(base["flag"]),
        })
    return pd.DataFrame(rows)


def ordinal_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Proportional-odds models of single Likert items: odds ratio of a higher answer."""
    o = select(table, indicator="ordinal_odds_ratio", subgroup="all")
    o = o[o["programme"] != "pooled"]
    return pd.DataFrame({
        "programme": o["programme"].map(labels.programme),
        "item": o["measure"].map(lambda m: labels.item(m, with_code=True)),
        "n": o["n"], "estimate": o["estimate"], "ci_low": o["ci_low"],
        "ci_high": o["ci_high"], "p_value": o["p_value"], "suppressed": o["suppressed"],
    }).reset_index(drop=True)


def mde_table(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """Minimum detectable change (SD units) for a next campaign of the same size, with the
    intraclass correlation it assumed (``statistic`` of the ``mde`` rows)."""
    m = select(table, indicator="mde", subgroup="all")
    m = m[m["programme"] != "pooled"]
    return pd.DataFrame({
        "programme": m["programme"].map(labels.programme),
        "measure": m["measure"].map(labels.measure),
        "n": m["n"], "estimate": m["estimate"], "icc": m["statistic"],
        "suppressed": m["suppressed"],
    }).reset_index(drop=True)


