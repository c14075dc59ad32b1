"""Evidence rating of a primary outcome: the WWC rating and an EEF-style 0–5 security score,
each with the reasons that lowered it.

WWC (Standards Handbook v5.0, group designs), in its vocabulary:

* ``pre_post`` — no comparison group: the WWC group-design standards cannot be met
  (« does not meet », reason ``no_comparison_group``);
* ``randomised`` — low attrition (cautious or optimistic boundary as declared): « meets WWC
  standards without reservations »; high attrition: the analytic sample must show baseline
  equivalence, « meets with reservations » if it does (|g| ≤ 0.05, or ≤ 0.25 with the
  covariate adjustment applied), « does not meet » otherwise;
* ``comparison_group`` (quasi-experiment) — at best « meets with reservations », when baseline
  equivalence holds on the analytic sample (as above); the attrition boundaries are defined
  for randomised designs and do not change a quasi-experiment's rating (they are reported as
  information, reason ``attrition_boundary_not_applicable_qed``);
* either group design — a group found in a single site is confounded with that site (the WWC
  « n = 1 » confound): « does not meet ».

``estimate`` codes the rating: 2 without reservations, 1 with reservations, 0 does not meet.

Security score (« cadenas », in the manner of the EEF padlocks, Education Endowment Foundation
2019, *Classifying the security of EEF evaluation findings*): the minimum of three criteria,
then lowered by threats found —

* design: randomised 5, comparison group well matched 3, matched 2, unmatched 1, no
  comparison 0;
* minimum detectable effect of this analysis, ``MDES = (t_{1−α/2,ν} + t_{power,ν})·SE(g)``
  with the clustered SE and Bell–McCaffrey ν of the headline: ≤ 0.2 → 5, ≤ 0.3 → 4,
  ≤ 0.4 → 3, ≤ 0.5 → 2, ≤ 0.6 → 1, beyond 0;
* attrition (overall, this outcome): ≤ 10 % → 5, ≤ 20 % → 4, ≤ 30 % → 3, ≤ 40 % → 2,
  ≤ 50 % → 1, beyond 0;
* then −1 when the baseline difference required adjustment, −2 when baseline equivalence
  fails, 0 when a group sits in a single site; never below 0 (attrition counts once, through
  its criterion).

The EEF's own procedure also weighs threats we cannot see in the data (contamination,
fidelity); the thresholds above are those of its 2019 guidance as we read it, and the score is
labelled « in the manner of » the EEF, not an EEF rating.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

DESIGN_SCORE = {"randomised": 5, "well_matched": 3, "matched": 2, "unmatched": 1,
                "pre_post": 0}
MDES_STEPS = (0.2, 0.3, 0.4, 0.5, 0.6)
ATTRITION_STEPS = (0.10, 0.20, 0.30, 0.40, 0.50)
WWC_LABELS = {2: "meets_without_reservations", 1: "meets_with_reservations",
              0: "does_not_meet"}


@dataclass(frozen=True)
class EvidenceInputs:
    """What the rating of one primary outcome rests on."""

    design: str
    comparison: str
    overall_attrition: float
    differential_attrition: float
    attrition_class: str
    attrition_boundary: str
    equivalence: str
    adjusted: bool
    g: float
    g_se: float
    df: float
    n: int
    n_clusters: int
    min_sites_per_group: int
    alpha: float = 0.05
    power: float = 0.8


def wwc_rating(x: EvidenceInputs) -> tuple[int, list[str]]:
    """WWC rating code (2/1/0) and its reasons (module docstring)."""
    if x.design == "pre_post":
        return 0, ["no_comparison_group"]
    reasons = []
    if x.min_sites_per_group < 2:
        return 0, ["group_in_a_single_site_confounded"]
    equivalent = x.equivalence == "satisfied" or (x.equivalence == "adjustment_required"
                                                  and x.adjusted)
    if x.design == "randomised" and x.attrition_class == "low":
        return 2, []
    if x.design == "randomised":
        reasons.append(f"attrition_high_{x.attrition_boundary}")
    else:
        reasons.append("quasi_experimental_design")
        if x.attrition_class == "high":
            reasons.append("attrition_boundary_not_applicable_qed")
    if not equivalent:
        return 0, reasons + [f"baseline_{x.equivalence}"]
    if x.equivalence == "adjustment_required":
        reasons.append("baseline_adjustment_applied")
    return 1, reasons


def _step_score(value: float, steps: tuple[float, ...]) -> int:
    if not np.isfinite(value):
        return 0
    return 5 - int(np.searchsorted(np.asarray(steps) + 1e-12, value, side="left"))


def minimum_detectable_g(se: float, df: float, alpha: float, power: float) -> float:
    """Ex-post MDES in g units: ``(t_{1−α/2,ν} + t_{power,ν})·SE`` (Bloom 1995)."""
    if not (np.isfinite(se) and np.isfinite(df) and df > 0):
        return float("nan")
    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * se)


def security_score(x: EvidenceInputs) -> tuple[int, list[str], dict[str, float]]:
    """0–5 security score, the reasons that lowered it, and its components."""
    key = "pre_post" if x.design == "pre_post" else \
        ("randomised" if x.design == "randomised" else x.comparison)
    design = DESIGN_SCORE[key]
    mdes = minimum_detectable_g(x.g_se, x.df, x.alpha, x.power)
    parts = {"design": design, "mdes": _step_score(mdes, MDES_STEPS),
             "attrition": _step_score(x.overall_attrition, ATTRITION_STEPS)}
    score = min(parts.values())
    reasons = []
    if parts["design"] < 5:
        reasons.append(f"design_{key}")
    if parts["mdes"] < 5:
        reasons.append(f"mdes_{mdes:.2f}")
    if parts["attrition"] < 5:
        reasons.append(f"attrition_{x.overall_attrition:.0%}")
    if x.design != "pre_post":
        if x.equivalence == "adjustment_required":
            score -= 1
            reasons.append("baseline_adjustment_required")
        elif x.equivalence not in ("satisfied", ""):
            score -= 2
            reasons.append(f"baseline_{x.equivalence}")
        if x.min_sites_per_group < 2:
            score = 0
            reasons.append("group_in_a_single_site_confounded")
    return max(score, 0), reasons, {**parts, "mdes_value": mdes}


def evidence_rows(x: EvidenceInputs, head: dict, measure: str) -> list[dict]:
    """The two rating rows of one primary outcome (codes documented in the contract)."""
    code, reasons = wwc_rating(x)
    score, lowered, parts = security_score(x)
    row = dict(head, measure=measure, subgroup="all", n=x.n)
    context = (f"attrition_overall={x.overall_attrition:.3f};"
               f"attrition_differential={x.differential_attrition:.3f};"
               f"wwc_attrition_{x.attrition_boundary}_{x.attrition_class};"
               f"clusters={x.n_clusters}")
    return [
        dict(row, indicator="evidence_wwc", estimate=float(code), unit="score",
             method=f"wwc_v5_{WWC_LABELS[code]}", flag=";".join(reasons + [context])),
        dict(row, indicator="evidence_security", estimate=float(score), unit="score",
             statistic=parts["mdes_value"],
             method=(f"eef_style_padlocks:design={parts['design']},mdes={parts['mdes']},"
                     f"attrition={parts['attrition']}"),
             flag=";".join(lowered)),
    ]
