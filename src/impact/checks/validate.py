"""Validation of one ingested export with Great Expectations: suites built from the codebook.

Every check is a real GX expectation run on the interim table (plus a few derived columns that
make field-survey checks expressible as column expectations). Checks come in families, whose
severity comes from ``config.validation.severity``:

table level (a failure stops the run)
    ``required_columns``, ``row_count``, ``campaign_window``;
row level (a failing row is quarantined with a French reason)
    ``allowed_codes``, ``value_range``, ``dates_ordered``, ``duplicate_code``, ``speeder``,
    ``straightliner``, ``incomplete``, ``parse_error``, ``unknown_site`` (a site that is not in
    the programme's ``sites.yaml``); ``required_answers`` (``mostly``) warns;
documented exclusion rules (severity ``exclude``, counted, never analysed)
    no consent (or consent missing), test submission, exact duplicate (the first copy is kept),
    resubmission (``validation.resubmission: keep_last``: of two or more complete answers of
    one respondent in a wave — same code, site, gender and age — the last one sent is kept; with
    ``quarantine_both`` they all go to quarantine through ``duplicate_code``), and the
    researcher's decision (``<wave>:<line>: exclude`` in ``corrections.yaml``).

Each row ends in exactly one outcome — excluded (first exclusion rule in the order above),
quarantined (every failed check named), or kept — so that for every export
``rows read = kept + quarantined + excluded``. A researcher's corrections file
(``surveys/<programme>/corrections.yaml``: ``row id: keep``, ``row id: exclude`` or
``row id: {column: value}``) is applied before the checks and logged; ``keep`` waives the
row-level checks and the two duplicate rules (an answer the researcher knows is not a copy),
never consent or a test submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.checks.accounting import account
from impact.checks.corrections import PROVENANCE, apply_corrections, load_corrections
from impact.checks.gx_engine import ExpectationSpec, SuiteOutcome
from impact.errors import DataError
from impact.survey.codebook import Codebook
from impact.survey.instrument import Instrument

EXCLUSIONS = ("no_consent", "consent_missing", "test_submission", "exact_duplicate",
              "resubmission", "decision")
#: Exclusion rules a ``keep`` decision waives (the researcher knows the rows are not copies).
WAIVABLE = ("exact_duplicate", "resubmission")
EXCLUSION_LABELS = {
    "no_consent": "pas de consentement",
    "consent_missing": "consentement non renseigné",
    "test_submission": "réponse de test",
    "exact_duplicate": "doublon exact",
    "resubmission": "nouvel envoi du même répondant",
    "decision": "exclue par décision (corrections.yaml)",
}
#: Columns that identify one respondent within a wave (``duplicate_code``, resubmissions).
RESPONDENT_KEY = ["code_hash", "site", "gender", "age"]
#: Columns that do not take part in "exact duplicate" (they differ between two copies of a row).
BACKGROUND_REQUIRED = ["gender", "age", "audience"]


@dataclass(frozen=True)
class Settings:
    """The part of the configuration validation needs (see config/README.md)."""

    row_count: tuple[int, int]
    window: tuple[pd.Timestamp, pd.Timestamp]
    speeder_fraction: float
    straightline_min_items: int
    min_answered_share: float
    required_mostly: float
    severity: dict[str, str]
    resubmission: str = "keep_last"

    @classmethod
    def from_config(cls, config: dict, programme: str) -> Settings:
        v = config["validation"]
        rows = {**v["row_count"], **config["programmes"][programme].get("row_count", {})}
        window = config["campaign"]["window"]
        return cls(row_count=(rows["min"], rows["max"]),
                   window=(pd.Timestamp(window["start"]),
                           pd.Timestamp(window["end"]) + pd.Timedelta(days=1)),
                   speeder_fraction=v["speeder_fraction"],
                   straightline_min_items=v["straightline_min_items"],
                   min_answered_share=v["min_answered_share"],
                   required_mostly=v["required_mostly"], severity=dict(v["severity"]),
                   resubmission=v.get("resubmission", "keep_last"))

    def of(self, family: str) -> str:
        defaults = {"required_columns": "stop", "row_count": "stop", "campaign_window": "stop",
                    "required_answers": "warn"}
        return self.severity.get(family, defaults.get(family, "quarantine"))


@dataclass
class Validated:
    """``quarantine`` holds the rows' values and full reasons (restricted zone);
    ``public_quarantine`` names row, check and column only (:data:`PUBLIC_QUARANTINE`)."""

    kept: pd.DataFrame
    quarantine: pd.DataFrame
    excluded: pd.DataFrame
    checks: pd.DataFrame
    accounting: dict
    corrections: pd.DataFrame
    public_quarantine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PUBLIC_QUARANTINE))


#: Columns of the publishable quarantine: one row per quarantined row x failed check.
PUBLIC_QUARANTINE = ["row_id", "check", "column", "reason"]


# ---------------------------------------------------------------------------------------------
# derived columns


def prepare(frame: pd.DataFrame, codebook: Codebook, wave: str, instrument: Instrument,
            settings: Settings) -> pd.DataFrame:
    """Add the columns the field-survey checks are expressed on (names start with ``_``)."""
    out = frame.copy()
    items = [i for i in codebook.items(instrument) if i in out]
    consent = out["consent"] if "consent" in out else pd.Series(pd.NA, index=out.index)
    answers = [c for c in out.columns if c not in PROVENANCE and not c.startswith("_")]
    out["_repeat_of"] = _first_copy(out, answers)
    out["_excluded"] = ((consent != 1).fillna(True) | out["is_test"].astype(bool)
                        | out["_repeat_of"].notna()).astype(bool)
    if "_decision_exclude" in out:
        out["_excluded"] = out["_excluded"] | out["_decision_exclude"]
    if items:
        answered = out[items].notna().sum(axis=1)
        out["_answered_share"] = answered / len(items)
        spread = out[items].max(axis=1) - out[items].min(axis=1)
        enough = answered >= min(settings.straightline_min_items, len(items))
        out["_item_spread"] = spread.astype("Float64").where(enough)
    if "duration_s" in out:
        base = out.loc[~out["_excluded"], "duration_s"]
        median = float(base.median()) if base.notna().any() else np.nan
        out["_duration_median"] = median
    if settings.resubmission == "keep_last":
        out["_resubmission_of"] = _last_complete(out, codebook.waves[wave].pages, settings)
        out["_excluded"] = out["_excluded"] | out["_resubmission_of"].notna()
    return out


def _last_complete(frame: pd.DataFrame, pages: int | None, settings: Settings) -> pd.Series:
    """For each earlier complete answer of a respondent who sent several complete answers in
    the wave (same :data:`RESPONDENT_KEY`), the row id of the last one sent (kept)."""
    keys = [k for k in RESPONDENT_KEY if k in frame]
    complete = ~frame["_excluded"] & frame[keys].notna().all(axis=1)
    if "_answered_share" in frame:
        complete &= (frame["_answered_share"] >= settings.min_answered_share).fillna(False)
    if pages and {"submitted_at", "lastpage"} <= set(frame.columns):
        complete &= frame["submitted_at"].notna() & (frame["lastpage"] >= pages).fillna(False)
    none = pd.Series(pd.NA, index=frame.index, dtype=object)
    if not complete.any() or "code_hash" not in frame:
        return none
    pool = frame.loc[complete, keys + ["row_id"]].copy()
    pool["_when"] = frame.loc[complete, "submitted_at"] if "submitted_at" in frame else pd.NaT
    pool["_line"] = frame.loc[complete, "source_line"]
    pool = pool.sort_values(["_when", "_line"], kind="stable", na_position="first")
    last = pool.groupby(keys, sort=False, dropna=False)["row_id"].transform("last")
    earlier = last[last != pool["row_id"]]
    none.loc[earlier.index] = earlier.to_numpy()
    return none


def _first_copy(frame: pd.DataFrame, answers: list[str]) -> pd.Series:
    """For each exact duplicate (all answer columns equal), the row id of its first copy."""
    keys = pd.util.hash_pandas_object(frame[answers], index=False)
    first = frame.groupby(keys.to_numpy(), sort=False)["row_id"].transform("first")
    return first.where(keys.duplicated().to_numpy())


# ---------------------------------------------------------------------------------------------
# the suite


def build_suite(frame: pd.DataFrame, codebook: Codebook, wave: str, instrument: Instrument,
                settings: Settings) -> list[ExpectationSpec]:
    """The expectations for one export, generated from the codebook and the instrument."""
    spec = codebook.waves[wave]
    sev = settings.of
    not_excluded = {"row_condition": ("_excluded", "==", False)}
    suite: list[ExpectationSpec] = []

    def add(kind, kwargs, check, level, severity, message=""):
        suite.append(ExpectationSpec(kind, kwargs, check, level, severity, message))

    for var in list(spec.columns) + ["row_id", "is_test"]:
        if var in instrument.code_parts or var == "code":
            var = "code_hash"
        if any(s.check == f"required_columns:{var}" for s in suite):
            continue
        add("expect_column_to_exist", {"column": var}, f"required_columns:{var}", "table",
            sev("required_columns"), f"colonne « {var} » absente")
    low, high = settings.row_count
    add("expect_table_row_count_to_be_between", {"min_value": low, "max_value": high},
        "row_count", "table", sev("row_count"),
        f"nombre de lignes hors de la plage plausible [{low} ; {high}]")
    if "submitted_at" in frame:
        start, end = settings.window
        for bound in ("min", "max"):
            add(f"expect_column_{bound}_to_be_between",
                {"column": "submitted_at", "min_value": start, "max_value": end},
                f"campaign_window:{bound}", "table", sev("campaign_window"),
                "dates d'envoi hors de la fenêtre de la campagne "
                f"({start:%d/%m/%Y} – {end - pd.Timedelta(days=1):%d/%m/%Y})")
    # documented exclusion rules
    add("expect_column_values_to_be_in_set", {"column": "consent", "value_set": [1]},
        "no_consent", "row", "exclude")
    add("expect_column_values_to_not_be_null", {"column": "consent"}, "consent_missing", "row",
        "exclude")
    add("expect_column_values_to_be_in_set", {"column": "is_test", "value_set": [False]},
        "test_submission", "row", "exclude")
    add("expect_column_values_to_be_null", {"column": "_repeat_of"}, "exact_duplicate", "row",
        "exclude")
    if "_resubmission_of" in frame:
        add("expect_column_values_to_be_null", {"column": "_resubmission_of"}, "resubmission",
            "row", "exclude")
    if "_decision_exclude" in frame:
        add("expect_column_values_to_be_in_set",
            {"column": "_decision_exclude", "value_set": [False]}, "decision", "row", "exclude")
    suite += _code_checks(frame, codebook, wave, instrument, sev, not_excluded)
    suite += _quality_checks(frame, codebook, wave, instrument, settings, not_excluded)
    return suite


def _code_checks(frame, codebook, wave, instrument, sev, cond) -> list[ExpectationSpec]:
    out = []
    scale = instrument.response_scales[codebook.response_scale]
    for var in codebook.waves[wave].columns:
        if var not in frame or var in instrument.code_parts or var in ("code", "consent"):
            continue
        info = instrument.variable(var)
        if info.type == "likert":
            allowed = sorted(scale.codes)
        elif info.codes:
            allowed = sorted(info.codes)
        else:
            allowed = None
        if allowed is not None:
            out.append(ExpectationSpec("expect_column_values_to_be_in_set",
                                       {"column": var, "value_set": allowed, **cond},
                                       f"allowed_codes:{var}", "row", sev("allowed_codes")))
        if info.range is not None:
            low, high = info.range
            out.append(ExpectationSpec("expect_column_values_to_be_between",
                                       {"column": var, "min_value": low, "max_value": high,
                                        **cond},
                                       f"value_range:{var}", "row", sev("value_range")))
    if "site_unknown" in frame:
        out.append(ExpectationSpec("expect_column_values_to_be_in_set",
                                   {"column": "site_unknown", "value_set": [False], **cond},
                                   "unknown_site", "row", sev("unknown_site")))
    required = ["consent", "site", "code_hash"]
    if wave == next(iter(codebook.waves)):
        required += [v for v in BACKGROUND_REQUIRED if v in frame]
    for var in required:
        if var in frame:
            out.append(ExpectationSpec("expect_column_values_to_not_be_null",
                                       {"column": var, "mostly": None, **cond},
                                       f"required_answers:{var}", "row",
                                       sev("required_answers")))
    return out


def _quality_checks(frame, codebook, wave, instrument, settings, cond) -> list[ExpectationSpec]:
    sev = settings.of
    out = []
    pair = {"ignore_row_if": "either_value_is_missing", **cond}
    if {"submitted_at", "started_at"} <= set(frame.columns):
        out.append(ExpectationSpec("expect_column_pair_values_a_to_be_greater_than_b",
                                   {"column_A": "submitted_at", "column_B": "started_at",
                                    "or_equal": True, **pair},
                                   "dates_ordered:start_before_end", "row", sev("dates_ordered")))
    if {"situation_start", "submitted_at"} <= set(frame.columns):
        out.append(ExpectationSpec("expect_column_pair_values_a_to_be_greater_than_b",
                                   {"column_A": "submitted_at", "column_B": "situation_start",
                                    "or_equal": True, **pair},
                                   "dates_ordered:situation_before_answer", "row",
                                   sev("dates_ordered")))
    keys = [k for k in RESPONDENT_KEY if k in frame]
    out.append(ExpectationSpec("expect_compound_columns_to_be_unique",
                               {"column_list": keys, "ignore_row_if": "any_value_is_missing",
                                **cond},
                               "duplicate_code", "row", sev("duplicate_code")))
    if "_duration_median" in frame and frame["_duration_median"].notna().any():
        floor = settings.speeder_fraction * float(frame["_duration_median"].iloc[0])
        out.append(ExpectationSpec("expect_column_values_to_be_between",
                                   {"column": "duration_s", "min_value": floor, **cond},
                                   "speeder", "row", sev("speeder")))
    if "_item_spread" in frame:
        out.append(ExpectationSpec("expect_column_values_to_be_between",
                                   {"column": "_item_spread", "min_value": 1, **cond},
                                   "straightliner", "row", sev("straightliner")))
    if codebook.waves[wave].pages:
        out.append(ExpectationSpec("expect_column_values_to_not_be_null",
                                   {"column": "submitted_at", **cond},
                                   "incomplete:not_submitted", "row", sev("incomplete")))
        out.append(ExpectationSpec("expect_column_values_to_be_between",
                                   {"column": "lastpage",
                                    "min_value": codebook.waves[wave].pages, **cond},
                                   "incomplete:last_page", "row", sev("incomplete")))
    if "_answered_share" in frame:
        out.append(ExpectationSpec("expect_column_values_to_be_between",
                                   {"column": "_answered_share",
                                    "min_value": settings.min_answered_share, **cond},
                                   "incomplete:answered", "row", sev("incomplete")))
    out.append(ExpectationSpec("expect_column_values_to_be_in_set",
                               {"column": "ingest_issues", "value_set": [""], **cond},
                               "parse_error", "row", sev("parse_error")))
    return out


def with_mostly(suite: list[ExpectationSpec], mostly: float) -> list[ExpectationSpec]:
    """Fill the ``mostly`` placeholders of the required-answer checks."""
    out = []
    for spec in suite:
        if "mostly" in spec.kwargs and spec.kwargs["mostly"] is None:
            spec = ExpectationSpec(spec.type, {**spec.kwargs, "mostly": mostly}, spec.check,
                                   spec.level, spec.severity, spec.message_fr)
        out.append(spec)
    return out


# ---------------------------------------------------------------------------------------------
# outcomes


def outcomes(frame: pd.DataFrame, suite: list[ExpectationSpec], result: SuiteOutcome,
             instrument: Instrument, settings: Settings, keep: set[str]) -> pd.DataFrame:
    """One row per input row: outcome, the failed checks and their French reasons."""
    severity = {s.check: s.severity for s in suite}
    failed = result.failed_rows.copy()
    failed["severity"] = failed["check"].map(severity)
    failed = failed[failed["severity"].isin(["exclude", "quarantine", "stop"])]
    failed = failed.drop_duplicates(["row_id", "check"])
    failed["reason"] = _reasons(frame, failed, instrument, settings)
    out = pd.DataFrame({"row_id": frame["row_id"].to_numpy()})
    exclusions = failed[failed["severity"] == "exclude"]
    exclusions = exclusions[~(exclusions["row_id"].isin(keep)
                              & exclusions["check"].isin(WAIVABLE))]
    rank = exclusions["check"].map({c: i for i, c in enumerate(EXCLUSIONS)})
    first = exclusions.assign(rank=rank).sort_values("rank").drop_duplicates("row_id")
    out["exclusion"] = out["row_id"].map(first.set_index("row_id")["check"])
    out["exclusion_reason"] = out["row_id"].map(first.set_index("row_id")["reason"])
    quarantine = failed[failed["severity"].isin(["quarantine", "stop"])]
    grouped = quarantine.groupby("row_id", sort=False)
    out["checks"] = out["row_id"].map(grouped["check"].agg(" ".join)).fillna("")
    out["reasons"] = out["row_id"].map(grouped["reason"].agg("; ".join)).fillna("")
    waived = out["row_id"].isin(keep) & ((out["checks"] != "") | out["row_id"].isin(
        failed.loc[failed["check"].isin(WAIVABLE), "row_id"]))
    out["outcome"] = np.select(
        [out["exclusion"].notna(), (out["checks"] != "") & ~waived],
        ["excluded", "quarantined"], "kept")
    out["waived"] = waived & out["exclusion"].isna()
    return out


def _reasons(frame: pd.DataFrame, failed: pd.DataFrame, instrument: Instrument,
            settings: Settings) -> pd.Series:
    """French reason of each failed (row, check), built from the row's own values."""
    indexed = frame.set_index("row_id")
    reasons = pd.Series("", index=failed.index, dtype=object)
    for check, part in failed.groupby("check", sort=False):
        rows = indexed.loc[part["row_id"]]
        family, _, column = check.partition(":")
        text = _reason(family, column, rows, instrument, settings)
        reasons.loc[part.index] = np.asarray(text, dtype=object)
    return reasons


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "vide").astype(str)


def _reason(family: str, column: str, rows: pd.DataFrame, instrument: Instrument,
            settings: Settings) -> pd.Series | str:
    """Reasons of one check for the rows that failed it (vectorised over the rows)."""
    if family == "test_submission":
        return "réponse de test (marqueur dans « " + _text(rows["test_evidence"]) + " »)"
    if family == "exact_duplicate":
        return "doublon exact de la ligne " + rows["_repeat_of"].str.split(":").str[-1]
    if family == "resubmission":
        return ("nouvel envoi du même répondant (même code, établissement ou session, genre et "
                "âge) : sa réponse complète la plus récente, ligne "
                + rows["_resubmission_of"].astype(str).str.split(":").str[-1]
                + ", est conservée (validation.resubmission: keep_last)")
    if family == "unknown_site":
        # the typed value is not quoted (it may be a name): it stays in the restricted zone
        return ("« Établissement ou session » non déclaré(e) dans sites.yaml (contrôle "
                "unknown_site) : ajoutez la valeur saisie comme alias d'un site déclaré, ou "
                "déclarez le site")
    if family in EXCLUSION_LABELS:
        return EXCLUSION_LABELS[family]
    label = instrument.variable(column).label if column in instrument.variables else column
    if family == "allowed_codes":
        return "code « " + _text(rows[column]) + f" » non prévu pour « {label} »"
    if family == "value_range":
        low, high = instrument.variable(column).range
        return f"« {label} » = " + _text(rows[column]) + f" hors de l'intervalle [{low} ; {high}]"
    if family == "dates_ordered":
        return {"start_before_end": "fin de la réponse antérieure à son début",
                "situation_before_answer": "date de début de situation postérieure à la "
                                           "réponse"}[column]
    if family == "duplicate_code":
        return ("code pseudonyme en double dans la vague (même établissement ou session, "
                "même genre et même âge)")
    if family == "speeder":
        median = float(rows["_duration_median"].iloc[0])
        return ("durée de réponse " + rows["duration_s"].round().astype(int).astype(str)
                + f" s < {settings.speeder_fraction * 100:.0f} % de la médiane ({median:.0f} s)")
    if family == "straightliner":
        return "même réponse à tous les items des échelles, items inversés compris"
    if family == "incomplete":
        if column == "answered":
            return ("seulement " + (rows["_answered_share"] * 100).round().astype(int).astype(str)
                    + f" % des items renseignés (minimum "
                    f"{settings.min_answered_share * 100:.0f} %)")
        if column == "last_page":
            return "questionnaire arrêté à la page " + _text(rows["lastpage"])
        return "réponse non envoyée (pas de date d'envoi)"
    if family == "parse_error":
        return rows["ingest_issues"].astype(str)
    return family


# ---------------------------------------------------------------------------------------------
# redacted reasons (published): which row, which check, which column — never a value


def public_quarantine(frame: pd.DataFrame, rows: pd.DataFrame, result: SuiteOutcome,
                      instrument: Instrument, settings: Settings) -> pd.DataFrame:
    """One row per quarantined row x failed check (:data:`PUBLIC_QUARANTINE`), with a reason
    that quotes no value of the row (the full reasons stay with the restricted quarantine)."""
    quarantined = rows.loc[rows["outcome"] == "quarantined", ["row_id", "checks"]]
    pairs = (quarantined.assign(check=quarantined["checks"].str.split(" "))
             .explode("check")[["row_id", "check"]].reset_index(drop=True))
    spec_columns = result.results.set_index("check")["column"]
    pairs["column"] = pairs["check"].map(spec_columns).fillna("").map(_named_columns)
    pairs["reason"] = ""
    for check, part in pairs.groupby("check", sort=False):
        family, _, column = check.partition(":")
        pairs.loc[part.index, "reason"] = _redacted_reason(family, column, frame, instrument,
                                                           settings)
    parse = pairs["check"] == "parse_error"
    if parse.any():
        issues = frame.set_index("row_id").loc[pairs.loc[parse, "row_id"], "ingest_issues"]
        pairs.loc[parse, "column"] = _issue_columns(issues, instrument).to_numpy()
    return pairs[PUBLIC_QUARANTINE]


def _named_columns(columns: str) -> str:
    """The check's columns without the derived ones (``_item_spread``…)."""
    return ",".join(c for c in columns.split(",") if c and not c.startswith("_"))


def _issue_columns(issues: pd.Series, instrument: Instrument) -> pd.Series:
    """Variables an ingest issue names (« … pour « <label> » : … »), matched against the
    instrument's labels only, so that nothing typed in the export can come through."""
    found = pd.Series("", index=issues.index, dtype=object)
    text = issues.astype(str)
    for name, var in instrument.variables.items():
        hit = text.str.contains(f"pour « {var.label} » :", regex=False)
        found = found.where(~hit, np.where(found == "", name, found + "," + name))
    return found


def _redacted_reason(family: str, column: str, frame: pd.DataFrame, instrument: Instrument,
                     settings: Settings) -> str:
    """The French reason of a failed check, from the check alone (no value of the row)."""
    label = instrument.variable(column).label if column in instrument.variables else column
    if family in EXCLUSION_LABELS:
        return EXCLUSION_LABELS[family]
    if family == "allowed_codes":
        return f"code non prévu pour « {label} »"
    if family == "value_range":
        low, high = instrument.variable(column).range
        return f"« {label} » hors de l'intervalle [{low} ; {high}]"
    if family == "speeder":
        median = float(frame["_duration_median"].iloc[0])
        return (f"durée de réponse inférieure à {settings.speeder_fraction * 100:.0f} % de la "
                f"médiane ({median:.0f} s)")
    if family == "incomplete" and column == "answered":
        return f"moins de {settings.min_answered_share * 100:.0f} % des items renseignés"
    fixed = {
        "dates_ordered:start_before_end": "fin de la réponse antérieure à son début",
        "dates_ordered:situation_before_answer": "date de début de situation postérieure à la "
                                                 "réponse",
        "duplicate_code": "code pseudonyme en double dans la vague (même établissement ou "
                          "session, même genre et même âge)",
        "straightliner": "même réponse à tous les items des échelles, items inversés compris",
        "incomplete:last_page": "questionnaire arrêté avant la dernière page",
        "incomplete:not_submitted": "réponse non envoyée (pas de date d'envoi)",
        "parse_error": "valeur illisible à la lecture de l'export",
    }
    check = f"{family}:{column}" if column else family
    return fixed.get(check) or fixed.get(family) or f"échec du contrôle « {check} »"


# ---------------------------------------------------------------------------------------------
# the whole stage for one export


def validate_export(interim: pd.DataFrame, codebook: Codebook, wave: str,
                    instrument: Instrument, settings: Settings, *, context_dir: Path,
                    corrections_path: Path) -> Validated:
    """Correct, check with GX, stop on table-level failures, and split the rows."""
    from impact.checks.gx_engine import run_suite

    corrections = load_corrections(corrections_path, wave, list(codebook.waves))
    corrected, keep, log = apply_corrections(interim, corrections, corrections_path)
    excluded_ids = [row_id for row_id, value in corrections.items() if value == "exclude"]
    if excluded_ids:
        corrected["_decision_exclude"] = corrected["row_id"].isin(excluded_ids)
    frame = prepare(corrected, codebook, wave, instrument, settings)
    suite = with_mostly(build_suite(frame, codebook, wave, instrument, settings),
                        settings.required_mostly)
    name = f"{codebook.programme}_{wave}"
    result = run_suite(frame, suite, context_dir=context_dir, name=name)
    source = interim["source_file"].iloc[0] if len(interim) else codebook.waves[wave].file
    _stop_on_failures(result, suite, source)
    rows = outcomes(frame, suite, result, instrument, settings, keep)
    merged = frame.merge(rows, on="row_id", how="left", validate="one_to_one")
    public = [c for c in interim.columns if c != "code_hash"]
    kept = merged.loc[merged["outcome"] == "kept", list(interim.columns)]
    quarantine = merged.loc[merged["outcome"] == "quarantined",
                            ["row_id", "source_file", "source_line", "checks", "reasons"]
                            + [c for c in public if c not in PROVENANCE]]
    copy_of = merged["_repeat_of"]
    if "_resubmission_of" in merged:
        copy_of = copy_of.fillna(merged["_resubmission_of"])
    merged["duplicate_of"] = copy_of.where(merged["exclusion"].isin(WAIVABLE))
    excluded = merged.loc[merged["outcome"] == "excluded",
                          ["row_id", "source_file", "source_line", "exclusion",
                           "exclusion_reason", "duplicate_of"]]
    accounting = account(merged, source, codebook.programme, wave)
    return Validated(kept.reset_index(drop=True), quarantine.reset_index(drop=True),
                     excluded.reset_index(drop=True), result.results, accounting, log,
                     public_quarantine(frame, rows, result, instrument, settings))


def _stop_on_failures(result: SuiteOutcome, suite: list[ExpectationSpec], source: str) -> None:
    messages = {s.check: s.message_fr for s in suite}
    stops = result.results[(~result.results["success"]) & (result.results["severity"] == "stop")]
    if stops.empty:
        return
    lines = []
    for _, check in stops.iterrows():
        what = messages.get(check["check"]) or check["check"]
        detail = check["exception"] or f"observé : {check['observed_value']}"
        lines.append(f"{what} ({check['type']} — {detail})")
    raise DataError(f"Export {source} : contrôle(s) bloquant(s) en échec, la chaîne s'arrête.\n"
                    + "\n".join(f"  - {line}" for line in lines)
                    + "\nVérifiez qu'il s'agit du bon fichier et de la bonne vague, ou ajustez "
                    "validation.severity / validation.row_count dans config/config.yaml.")
