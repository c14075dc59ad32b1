"""The one results contract: the tidy indicator table and its Frictionless description.

Every estimate of the pipeline — reliability, change, models, attrition, insertion, linkage
quality, planning — is one row of the same table (``COLUMNS``). The report reads these tables
and never recomputes a statistic; the evaluators read ``results/datapackage.json``, which
describes every column, unit and code list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from impact.safety import write_safe_csv

#: name -> (Frictionless type, description)
COLUMNS: dict[str, tuple[str, str]] = {
    "programme": ("string", "Programme id (folder name under surveys/), or `pooled`."),
    "measure": ("string", "What is measured: a scale (`image`, `interest`…), a single item "
                          "(`intention`, `jobs_named`), a Likert item (`image_1`…), an insertion "
                          "outcome (`employment`…), `sample`, `linkage` or `attrition`."),
    "indicator": ("string", "What is estimated (see the `indicator` code list)."),
    "subgroup": ("string", "`all`, or the variable defining the subgroup (`gender`, `audience`, "
                           "`site`, `group`, `age_band`, `education`, `unemployment_band`, "
                           "`response`, `month`, `wave_pair`, `covariate`, `model`)."),
    "subgroup_value": ("string", "The subgroup's code (empty for `all`)."),
    "wave_from": ("string", "Wave of the estimate, or first wave of a change."),
    "wave_to": ("string", "Second wave of a change (empty otherwise)."),
    "n": ("integer", "Respondents behind the estimate (complete pairs for paired estimates)."),
    "estimate": ("number", "Point estimate, in the unit given by `unit`."),
    "ci_low": ("number", "Lower bound of the 95 % confidence interval (level = 1 − alpha)."),
    "ci_high": ("number", "Upper bound of the 95 % confidence interval."),
    "unit": ("string", "Unit of `estimate`: `points` (scale points), `pomp` (0–100), `sd` "
                       "(standardised), `proportion`, `percentage_points`, `count`, "
                       "`odds_ratio`, `coefficient`, `ratio`."),
    "effect_size": ("number", "Standardised effect size where meaningful."),
    "es_type": ("string", "Type of `effect_size`: `d_z`, `g_av`, `rank_biserial`, `g` "
                          "(WWC Hedges' g), `cox` (Cox index), `std_diff`, `odds_ratio`."),
    "statistic": ("number", "Test statistic (t, W, chi², z, F, Wald)."),
    "df": ("number", "Degrees of freedom of the statistic."),
    "p_value": ("number", "Two-sided p-value."),
    "p_adjusted": ("number", "p-value adjusted for multiple testing within its family."),
    "adjustment": ("string", "Adjustment method (`holm`, `fdr_bh`) and family, e.g. "
                             "`holm:programme`; empty when not adjusted."),
    "method": ("string", "Method code (e.g. `paired_t`, `wilcoxon_signed_rank`, `mixedlm_reml`, "
                         "`mcnemar_exact`, `wilson`, `glm_binomial_cluster`)."),
    "flag": ("string", "Quality flags, `;`-separated (e.g. `alpha_below_0.70`, `not_converged`, "
                       "`wwc_high_attrition`, `not_causal`)."),
    "suppressed": ("boolean", "True when the estimate is blanked by disclosure control "
                              "(secret statistique); `suppression` says why."),
    "suppression": ("string", "Disclosure control of the row: `shown`, `primary` (fewer "
                              "respondents than the threshold — every number blanked, `n` "
                              "included — or a numerator or complement below the minimum — "
                              "the estimate blanked, `n` kept) or `secondary` (blanked so "
                              "that no primary cell can be recovered from the others)."),
}
NUMERIC = ["n", "estimate", "ci_low", "ci_high", "effect_size", "statistic", "df", "p_value",
           "p_adjusted"]
TEXT = [c for c, (t, _) in COLUMNS.items() if t == "string"]
KEY = ["programme", "measure", "indicator", "subgroup", "subgroup_value", "wave_from", "wave_to"]


def tidy(records: Iterable[dict] | pd.DataFrame) -> pd.DataFrame:
    """Records (dicts with any subset of the columns), or a frame of them → the table, typed
    and ordered."""
    frame = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    for column, (kind, _) in COLUMNS.items():
        if column not in frame:
            frame[column] = False if kind == "boolean" else (np.nan if column in NUMERIC else "")
    frame = frame[list(COLUMNS)]
    for column in TEXT:
        frame[column] = frame[column].fillna("").astype(str)
    for column in NUMERIC:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    frame["suppression"] = frame["suppression"].where(
        frame["suppression"] != "", np.where(frame["suppressed"], "primary", "shown"))
    return frame


def suppress(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Mark cells on fewer than ``threshold`` respondents and blank every number in them.

    The count itself is blanked too (a published « 3 » would single people out). Rows whose
    ``n`` is missing (model-level statistics) are left as they are. This is primary
    suppression only, for a table published on its own; the publication goes through
    :func:`impact.indicators.disclosure.protect` (primary and secondary suppression).
    """
    out = frame.copy()
    small = out["n"].notna() & (out["n"] < threshold)
    out["suppressed"] = out["suppressed"] | small
    out.loc[small, "suppression"] = "primary"
    out.loc[out["suppressed"], NUMERIC] = np.nan
    return out


def sort(frame: pd.DataFrame) -> pd.DataFrame:
    """Deterministic row order (so two runs give byte-identical files)."""
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV with a fixed float format: byte-identical output for identical estimates; text
    cells formula-safe (:func:`impact.safety.write_safe_csv`)."""
    out = frame.copy()
    out["n"] = out["n"].astype("Int64")
    write_safe_csv(out, path, float_format="%.10g", lineterminator="\n")


def read_csv(path: str | Path) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""],
                        dtype={c: str for c in TEXT})
    return tidy(frame)


def datapackage(resources: dict[str, str], *, title: str, description: str,
                code_lists: dict[str, dict[str, str]], extra: list[dict] | None = None) -> dict:
    """A Frictionless data package describing the indicator tables (``resources``: name→path).

    ``code_lists`` documents the values of the coded columns (``indicator``, ``method``…):
    Frictionless puts them in each field's ``constraints.enum`` and our descriptions in a
    ``codes`` property.
    """
    fields = []
    for name, (kind, text) in COLUMNS.items():
        field = {"name": name, "type": kind, "description": text}
        if name in code_lists:
            field["constraints"] = {"enum": sorted(code_lists[name])}
            field["codes"] = dict(sorted(code_lists[name].items()))
        if name in ("programme", "measure", "indicator", "subgroup"):
            field.setdefault("constraints", {})["required"] = True
        fields.append(field)
    schema = {"fields": fields, "missingValues": [""]}
    package = {
        "name": "impact-itip-indicators",
        "title": title,
        "description": description,
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
        "resources": [
            {"name": name, "path": path, "profile": "tabular-data-resource", "format": "csv",
             "mediatype": "text/csv", "encoding": "utf-8", "schema": schema}
            for name, path in resources.items()
        ] + list(extra or []),
    }
    return package


def write_datapackage(package: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")


#: What each indicator code means (the data package's code list).
INDICATORS = {
    "respondents": "Number of respondents with a kept answer at the wave.",
    "alpha": "Cronbach's alpha of the scale at the wave (Feldt CI), complete answers.",
    "omega": "McDonald's omega total of the scale at the wave (one-factor model).",
    "mean": "Mean scale score at the wave, every answer (SD in `statistic`).",
    "mean_pomp": "Mean POMP score (0-100) at the wave, every answer (SD in `statistic`).",
    "share_response": "Share of answers giving the code `subgroup_value` to the item.",
    "pair_mean": "Mean at `wave_from` among complete pairs (SD in `statistic`).",
    "mean_change": "Mean change post - pre among complete pairs (paired t test; d_z as "
                   "effect size).",
    "mean_change_pomp": "Mean change in POMP points among complete pairs.",
    "d_z": "Standardised mean change d_z = mean change / SD of change (Lakens 2013).",
    "g_av": "Standardised mean change g_av = mean change / mean SD, Hedges-corrected "
            "(Lakens 2013).",
    "wilcoxon": "Wilcoxon signed-rank test (W in `statistic`, rank-biserial as estimate).",
    "share_positive": "Share answering « oui » to the orientation intention item.",
    "mcnemar": "McNemar test of the change in the « oui » share (estimate = difference of "
               "proportions).",
    "switch_to_positive": "Share of pairs switching to « oui » between the waves.",
    "switch_from_positive": "Share of pairs switching away from « oui » between the waves.",
    "interaction_test": "F test that the change differs between the subgroup's cells.",
    "ipw_mean_change": "Mean change weighted by inverse probability of retention "
                       "(attrition sensitivity analysis).",
    "lmm_change": "Change estimated by a linear mixed model on every answer.",
    "lmm_change_site_slope": "Change from the mixed model with a random slope of the change per "
                             "site (schools differ in their change).",
    "lmm_interaction": "Wald test of the wave x audience interaction in the mixed model.",
    "ordinal_odds_ratio": "Odds ratio of a higher answer at post, participants only "
                          "(proportional-odds model).",
    "ordinal_did_odds_ratio": "Group x wave interaction of the proportional-odds model on "
                              "both groups: the ordinal difference-in-differences.",
    "did": "Difference-in-differences on complete pairs: participants' change minus the "
           "comparison group's change (CR2 by site; WWC g in `effect_size`).",
    "baseline_equivalence": "Hedges' g participants - comparison at baseline on the analytic "
                            "sample (subgroup `sample`: every baseline respondent) (WWC class in "
                            "`flag`).",
    "mde": "Minimum detectable change (SD units) for a next campaign of the same size.",
    "headline": "The estimand the design supports, in outcome units, with its clustered CI "
                "(CR2 by site, Bell-McCaffrey df): difference-in-differences or its "
                "covariate-adjusted version with a comparison group, the before/after change "
                "without one (`not_causal`); `primary` or `exploratory` in `flag`.",
    "headline_es": "The headline as a standardised effect size with its clustered CI: WWC "
                   "Hedges' g (pooled baseline SD) with a comparison group, g_av without.",
    "did_binary": "Difference-in-differences of the share answering « oui » (proportion "
                  "points, CR2 by site; WWC Cox-index DiD in `effect_size`).",
    "did_binary_es": "WWC difference of Cox indices (post - pre) of the « oui » share, CI "
                     "linearised from the CR2 CI.",
    "change_clustered": "Mean change post - pre among complete pairs with a CR2 CI by site "
                        "(Bell-McCaffrey df): the paired change respecting clustering.",
    "ancova": "Impact adjusted for the baseline score (post ~ group + pre, CR2 by site).",
    "icc": "Intraclass correlation of the change between sites (ICC(1), clipped at 0; "
           "number of sites in `statistic`).",
    "design_effect": "Kish design effect 1 + (m - 1) ICC (mean site size in `statistic`).",
    "wwc_clustering_correction": "WWC (Hedges 2007) clustering-corrected t of the two-group "
                                 "comparison of changes (ICC used in `estimate`).",
    "evidence_wwc": "WWC rating of the primary outcome: 2 meets standards without "
                    "reservations, 1 with reservations, 0 does not meet (label in `method`, "
                    "reasons in `flag`).",
    "evidence_security": "Security score 0-5 in the manner of the EEF padlocks (components "
                         "in `method`, ex-post MDES in `statistic`, reasons that lowered it "
                         "in `flag`).",
    "pooled_i2": "I2 heterogeneity of the programmes' estimates (Q p-value in `p_value`).",
    "pooled_tau2": "Between-programme variance tau2 (DerSimonian-Laird).",
    "pooled_prediction": "Prediction interval of the effect in a new programme (in the CI "
                         "columns; random effects, t on k - 2 df).",
    "pooled_range": "Smallest and largest programme estimate (in the CI columns) when "
                    "heterogeneity forbids a pooled headline.",
    "attrition_overall": "Share of the baseline sample not found at `wave_to`.",
    "attrition_group": "Attrition in one evaluation group.",
    "attrition_differential": "|attrition participants - attrition comparison| (WWC class in "
                              "`flag`).",
    "stayers_vs_leavers": "Standardised difference stayers - leavers of a baseline covariate.",
    "match_rate": "Share of the later wave's answers linked to an earlier answer.",
    "tolerant_share": "Share of the links made by tolerant (not exact) code matching.",
    "precision": "Linkage precision against the simulator's ground truth.",
    "recall": "Linkage recall against the simulator's ground truth.",
}
UNITS = {
    "points": "Scale points (the programme's response scale).",
    "pomp": "Percent of maximum possible, 0-100.",
    "sd": "Standard-deviation units.",
    "proportion": "Proportion between 0 and 1.",
    "percentage_points": "Percentage points.",
    "count": "Number.",
    "odds_ratio": "Odds ratio.",
    "coefficient": "Coefficient without unit.",
    "ratio": "Ratio.",
    "score": "Rating code or score (see the indicator).",
    "": "Not applicable (test statistic only).",
}

SUPPRESSION = {
    "shown": "Published.",
    "primary": "Primary suppression: n below analysis.disclosure_threshold (every number "
               "blanked), or numerator / complement below analysis.disclosure.min_numerator "
               "(estimate blanked, n kept).",
    "secondary": "Secondary (complementary) suppression: blanked so that no primary cell "
                 "can be recovered from the published totals and siblings.",
}


def register(indicators: dict[str, str]) -> None:
    """Add indicator codes documented by another module (e.g. insertion)."""
    INDICATORS.update(indicators)


def code_lists(table: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Code lists of the coded columns, for the values present; undocumented codes raise."""
    lists = {}
    for column, documented in (("indicator", INDICATORS), ("unit", UNITS),
                               ("suppression", SUPPRESSION)):
        present = sorted(set(table[column]))
        missing = [c for c in present if c not in documented]
        if missing:
            raise ValueError(f"undocumented {column} codes: {', '.join(missing)}")
        lists[column] = {c: documented[c] for c in present}
    return lists
