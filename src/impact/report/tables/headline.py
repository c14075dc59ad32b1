"""The synthèse's headline table: for each programme and primary outcome, the estimand its
design supports (impact or before/after change), its effect size with the clustered CI, and the
evidence rating with its reasons (rows ``headline``, ``headline_es``, ``evidence_wwc``,
``evidence_security`` of :mod:`impact.indicators.estimands`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from impact.report.formatting import MISSING, SECRET, fmt_int, fmt_number, fmt_p
from impact.report.tables.common import Labels, ci_nb, one_row, select

ESTIMAND_WORDS = {
    "did_cr2_site": "impact (différence de différences)",
    "ancova_cr2_site": "impact ajusté sur le score initial",
    "before_after_cr2_site": "évolution avant/après (sans groupe de comparaison)",
}
PRIMARY = r"(?:^|;)primary(?:;|$)"
WWC_WORDS = {
    "wwc_v5_meets_without_reservations": "satisfait les standards WWC sans réserve",
    "wwc_v5_meets_with_reservations": "satisfait les standards WWC avec réserves",
    "wwc_v5_does_not_meet": "ne satisfait pas les standards WWC",
}


REASON_WORDS = {
    "design_unmatched": "groupe de comparaison non apparié",
    "design_matched": "groupe de comparaison apparié",
    "design_well_matched": "groupe de comparaison bien apparié",
    "design_pre_post": "pas de groupe de comparaison",
    "baseline_adjustment_required": "écart initial à ajuster",
    "baseline_not_satisfied": "équivalence initiale non établie",
    "group_in_a_single_site_confounded": "un groupe dans un seul établissement",
}


def reason_words(flag: str) -> str:
    """French words for the reasons that lowered the security score (flag codes)."""
    words = []
    for code in filter(None, str(flag or "").split(";")):
        if code.startswith("mdes_"):
            words.append(f"effet minimal détectable {fmt_number(float(code[5:]))}")
        elif code.startswith("attrition_") and code.endswith("%"):
            words.append(f"attrition {code[10:-1]}\u00a0%")
        else:
            words.append(REASON_WORDS.get(code, code.replace("_", " ")))
    return ", ".join(words)


def headline_table(table: pd.DataFrame, labels: Labels,
                   programmes: Sequence[str]) -> pd.DataFrame:
    """One row per programme × primary outcome (rows flagged ``primary``)."""
    heads = select(table, indicator="headline", subgroup="all")
    heads = heads[heads["flag"].str.contains(PRIMARY, regex=True).astype(bool)]
    rows = []
    for programme in programmes:
        for _, h in heads[heads["programme"] == programme].iterrows():
            crit = dict(programme=programme, measure=h["measure"], subgroup="all")
            es = one_row(table, indicator="headline_es", **crit)
            wwc = one_row(table, indicator="evidence_wwc", **crit)
            sec = one_row(table, indicator="evidence_security", **crit)
            secret = bool(h["suppressed"])
            rows.append({
                "Programme": labels.programme(programme),
                "Critère principal": labels.measure(h["measure"]),
                "Estimation": ESTIMAND_WORDS.get(h["method"], h["method"]),
                "Paires": SECRET if secret else fmt_int(h["n"]),
                "Écart [IC 95 % par établissement]": SECRET if secret else
                f"{fmt_number(h['estimate'])} {ci_nb(h['ci_low'], h['ci_high'])}",
                "Taille d'effet [IC 95 %]": MISSING if es is None else SECRET if secret else
                f"{fmt_number(es['estimate'])} ({es['es_type']}) "
                f"{ci_nb(es['ci_low'], es['ci_high'])}",
                "p": SECRET if secret else fmt_p(h["p_value"], with_p=False),
                "Standards WWC": MISSING if wwc is None else
                WWC_WORDS.get(wwc["method"], wwc["method"]),
                "Sécurité (0–5)": MISSING if sec is None else
                f"{fmt_int(sec['estimate'])} ({reason_words(sec['flag'])})",
            })
    return pd.DataFrame(rows)
