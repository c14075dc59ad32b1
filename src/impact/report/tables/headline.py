"""The synthèse's headline table: for each programme and primary outcome, the estimand its
design supports (impact or before/after change), its effect size with the clustered CI, and the
evidence rating with its reasons (rows ``headline``, ``headline_es``, ``evidence_wwc``,
``evidence_security`` of :mod:`impact.indicators.estimands`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from impact.report.formatting import MISSING, SECRET, fmt_int, fmt_number, fmt_p, fmt_pct
from impact.report.i18n import N_, word_for
from impact.report.i18n import gettext as _
from impact.report.tables.common import Labels, ci_nb, one_row, select

ESTIMAND_WORDS = {
    "did_cr2_site": N_("impact (différence de différences)"),
    "ancova_cr2_site": N_("impact ajusté sur le score initial"),
    "before_after_cr2_site": N_("évolution avant/après (sans groupe de comparaison)"),
}
PRIMARY = r"(?:^|;)primary(?:;|$)"
WWC_WORDS = {
    "wwc_v5_meets_without_reservations": N_("satisfait les standards WWC sans réserve"),
    "wwc_v5_meets_with_reservations": N_("satisfait les standards WWC avec réserves"),
    "wwc_v5_does_not_meet": N_("ne satisfait pas les standards WWC"),
}


REASON_WORDS = {
    "design_unmatched": N_("groupe de comparaison non apparié"),
    "design_matched": N_("groupe de comparaison apparié"),
    "design_well_matched": N_("groupe de comparaison bien apparié"),
    "design_pre_post": N_("pas de groupe de comparaison"),
    "baseline_adjustment_required": N_("écart initial à ajuster"),
    "baseline_not_satisfied": N_("équivalence initiale non établie"),
    "group_in_a_single_site_confounded": N_("un groupe dans un seul établissement"),
}


def reason_words(flag: str) -> str:
    """Words for the reasons that lowered the security score (flag codes), in the report's
    language."""
    words = []
    for code in filter(None, str(flag or "").split(";")):
        if code.startswith("mdes_"):
            mde = fmt_number(float(code[5:]))
            words.append(_("effet minimal détectable {mde}").format(mde=mde))
        elif code.startswith("attrition_") and code.endswith("%"):
            words.append(_("attrition {pct}").format(pct=fmt_pct(float(code[10:-1]) / 100, 0)))
        else:
            words.append(word_for(REASON_WORDS, code, code.replace("_", " ")))
    return ", ".join(words)


def headline_table(table: pd.DataFrame, labels: Labels,
                   programmes: Sequence[str]) -> pd.DataFrame:
    """One row per programme × primary outcome (rows flagged ``primary``)."""
    heads = select(table, indicator="headline", subgroup="all")
    heads = heads[heads["flag"].str.contains(PRIMARY, regex=True).astype(bool)]
    rows = []
    for programme in programmes:
        for _row, h in heads[heads["programme"] == programme].iterrows():
            crit = dict(programme=programme, measure=h["measure"], subgroup="all")
            es = one_row(table, indicator="headline_es", **crit)
            wwc = one_row(table, indicator="evidence_wwc", **crit)
            sec = one_row(table, indicator="evidence_security", **crit)
            secret = bool(h["suppressed"])
            rows.append({
                N_("Programme"): labels.programme(programme),
                N_("Critère principal"): labels.measure(h["measure"]),
                N_("Estimation"): word_for(ESTIMAND_WORDS, h["method"]),
                N_("Paires"): SECRET if secret else fmt_int(h["n"]),
                N_("Écart [IC 95 % par établissement]"): SECRET if secret else
                f"{fmt_number(h['estimate'])} {ci_nb(h['ci_low'], h['ci_high'])}",
                N_("Taille d'effet [IC 95 %]"): MISSING if es is None else SECRET if secret else
                f"{fmt_number(es['estimate'])} ({es['es_type']}) "
                f"{ci_nb(es['ci_low'], es['ci_high'])}",
                "p": SECRET if secret else fmt_p(h["p_value"], with_p=False),
                N_("Standards WWC"): MISSING if wwc is None else
                word_for(WWC_WORDS, wwc["method"]),
                N_("Sécurité (0–5)"): MISSING if sec is None else
                f"{fmt_int(sec['estimate'])} ({reason_words(sec['flag'])})",
            })
    return pd.DataFrame(rows)
