"""Insertion indicators: rates, bounds, marginal effects, Kaplan–Meier, recovery, small data.

Every expected value here is computed in the test itself (closed forms, finite differences,
hand-written Kaplan–Meier products, hand counts) or read from the simulator's ground truth —
never copied from the module's output.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from impact.errors import ConfigError
from impact.indicators import contract
from impact.indicators.insertion import (
    DEFINITION_KEYS,
    DEFINITIONS,
    OUTCOMES,
    InsertionSettings,
    average_marginal_effects,
    band_labels,
    definition_text,
    definitions_markdown,
    fit_logit,
    followup_cohort,
    insertion_indicators,
)

REPO = Path(__file__).resolve().parents[1]
Z = 1.959963984540054
DAYS_PER_MONTH = 365.25 / 12
SETTINGS = InsertionSettings()


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _wilson_by_hand(x, n, z=Z):
    """Textbook form: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)."""
    p = x / n
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


def make_panel(people: list[dict], *, post_day: str = "2026-01-02") -> pd.DataFrame:
    """A panel from one dict per person.

    Keys: ``id``, ``site``, ``audience`` (default job seeker), ``gender``, ``age``,
    ``education``, ``unemployment_months``, ``image`` (baseline score), ``image_post``,
    ``post`` (False: no post row), ``situation`` (None: no follow-up row), ``job_industry``,
    ``start`` (days after the post date), ``answered`` (days after the post date).
    """
    origin = pd.Timestamp(post_day)
    rows = []
    for i, p in enumerate(people):
        rid = p.get("id", f"r{i:03d}")
        common = dict(respondent_id=rid, site=p.get("site", "S1"),
                      gender=p.get("gender", "F" if i % 2 else "M"),
                      age=p.get("age", 20 + i % 40),
                      education=p.get("education", "bac"),
                      unemployment_months=p.get("unemployment_months", i % 30),
                      audience=p.get("audience", "demandeur_emploi"))
        rows.append(dict(common, wave="pre", image=p.get("image", 3.0),
                         submitted_at=origin - pd.Timedelta(days=4)))
        if p.get("post", True):
            rows.append(dict(common, wave="post", image=p.get("image_post", 3.5),
                             submitted_at=origin + pd.Timedelta(hours=15)))
        if p.get("situation", "absent") != "absent":
            start = p.get("start")
            rows.append(dict(common, wave="followup", situation=p.get("situation"),
                             job_industry=p.get("job_industry"),
                             situation_start=(origin + pd.Timedelta(days=start)
                                              if start is not None else pd.NaT),
                             submitted_at=origin + pd.Timedelta(days=p.get("answered", 90),
                                                                hours=10)))
    frame = pd.DataFrame(rows)
    for column in ("situation", "job_industry"):
        if column not in frame:
            frame[column] = None
    if "situation_start" not in frame:
        frame["situation_start"] = pd.NaT
    frame["situation_start"] = pd.to_datetime(frame["situation_start"])
    frame["age"] = frame["age"].astype("Int64")
    frame["unemployment_months"] = frame["unemployment_months"].astype("Int64")
    return frame


def run(panel, waves=("pre", "post", "followup"), scales=("image",), settings=SETTINGS):
    rows = insertion_indicators(panel, programme="test", waves=list(waves), settings=settings,
                                alpha=0.05, attitude_scales=list(scales))
    return contract.tidy(rows)


def pick(table, **where):
    mask = np.ones(len(table), dtype=bool)
    for key, value in where.items():
        mask &= (table[key] == value).to_numpy()
    return table[mask]


def one(table, **where):
    found = pick(table, **where)
    assert len(found) == 1, f"{where}: {len(found)} rows"
    return found.iloc[0]


def check_contract(table):
    assert not table.duplicated(contract.KEY).any()
    assert table["n"].notna().all(), "every record must carry n (disclosure)"
    contract.code_lists(table)  # every indicator and unit code is documented


# --------------------------------------------------------------------------------------------
# settings, bands, definitions


def test_settings_from_config_and_checks(instrument):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    codes = list(instrument.variable("situation").codes)
    settings = InsertionSettings.from_config(config, situation_codes=codes,
                                             audience=["demandeur_emploi"])
    assert settings.employment == tuple(config["insertion"]["employment"])
    assert settings.positive_exit == tuple(config["insertion"]["positive_exit"])
    assert settings.age_bands == tuple(config["insertion"]["age_bands"])
    assert settings.unemployment_bands == tuple(config["insertion"]["unemployment_bands"])
    assert settings.min_level_count == config["analysis"]["disclosure_threshold"]
    assert settings.min_events_per_parameter == config["analysis"]["min_events_per_parameter"]
    bad = dict(config, insertion=dict(config["insertion"], employment=["emploi_cdi"]))
    with pytest.raises(ConfigError, match="emploi_cdi"):
        InsertionSettings.from_config(bad, situation_codes=codes)
    bad = dict(config, insertion=dict(config["insertion"], age_bands=[35, 25]))
    with pytest.raises(ConfigError, match="increasing"):
        InsertionSettings.from_config(bad)


def test_band_labels_and_assignment():
    assert band_labels([25, 35, 50], "ans") == ["moins de 25 ans", "25-34 ans", "35-49 ans",
                                                "50 ans ou plus"]
    assert band_labels([6, 12, 24], "mois") == ["moins de 6 mois", "6-11 mois", "12-23 mois",
                                                "24 mois ou plus"]
    ages = [24, 25, 34, 35, 49, 50, 61]
    panel = make_panel([dict(age=a, situation="recherche") for a in ages])
    cohort = followup_cohort(panel, settings=SETTINGS, baseline="pre", followup="followup",
                             post="post")
    assert list(cohort["age_band"]) == ["moins de 25 ans", "25-34 ans", "25-34 ans",
                                        "35-49 ans", "35-49 ans", "50 ans ou plus",
                                        "50 ans ou plus"]


def test_definitions_doc_is_in_sync_and_complete():
    assert set(DEFINITIONS) == set(OUTCOMES)
    for spec in DEFINITIONS.values():
        for key in ("label", "definition", "numerator", "denominator", "convention",
                    "sources", "verification"):
            assert spec[key].strip()
    doc = (REPO / "docs" / "insertion_definitions.md").read_text(encoding="utf-8")
    assert doc == definitions_markdown(), "regenerate docs/insertion_definitions.md"


def test_every_outcome_has_its_english_wording():
    for outcome in OUTCOMES:
        spec = DEFINITIONS[outcome]
        for key in DEFINITION_KEYS:
            assert spec[f"{key}_en"].strip(), (outcome, key)
            assert definition_text(outcome, key, "en") == spec[f"{key}_en"]
        assert spec["label_en"] != spec["label"]
        assert spec["definition_en"] != spec["definition"]
    assert set(DEFINITIONS["employment"]) == {*DEFINITION_KEYS,
                                              *(f"{k}_en" for k in DEFINITION_KEYS)}
    page = definitions_markdown()  # French only: docs/insertion_definitions.md is unchanged
    assert not any(DEFINITIONS[o]["definition_en"] in page for o in OUTCOMES)


def test_the_english_edition_reads_the_english_definitions(caplog):
    from impact.report.i18n import use_language
    from impact.report.tables.common import insertion_definitions

    assert insertion_definitions()["employment"]["label"] == DEFINITIONS["employment"]["label"]
    with use_language("en"), caplog.at_level("WARNING"):
        english = insertion_definitions()
    assert set(OUTCOMES) <= set(english)
    for outcome in OUTCOMES:
        assert english[outcome]["label"] == DEFINITIONS[outcome]["label_en"]
        assert "`" not in english[outcome]["definition"]
    assert not caplog.records


def test_a_missing_english_definition_falls_back_to_french_and_says_so(monkeypatch, caplog):
    from impact.indicators.insertion import definitions
    from impact.report.i18n import use_language
    from impact.report.tables.common import insertion_definitions

    spec = {k: v for k, v in DEFINITIONS["positive_exit"].items() if k != "label_en"}
    monkeypatch.setitem(definitions.DEFINITIONS, "positive_exit", spec)
    with use_language("en"), caplog.at_level("WARNING"):
        label = insertion_definitions()["positive_exit"]["label"]
    assert label == DEFINITIONS["positive_exit"]["label"]
    assert "positive_exit has no en text for 'label'" in caplog.text


def test_the_report_reads_the_definitions_without_the_estimators():
    import subprocess
    import sys

    code = ("import sys; from impact.report.tables.common import insertion_definitions; "
            "insertion_definitions(); "
            "print(sorted(m for m in ('scipy', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# rates, response rates, bounds


def _bounds_people():
    """10 baseline job seekers: 6 answer the follow-up; a pupil and an unlinked answer too."""
    people = [
        dict(situation="emploi_durable", job_industry="oui", gender="F", start=10),
        dict(situation="emploi_court", job_industry="non", gender="F", start=20),
        dict(situation="formation_qualifiante", job_industry="oui", gender="M", start=30),
        dict(situation="recherche", gender="M"),
        dict(situation="recherche", gender="F"),
        dict(situation="inactif", gender="M"),
    ]
    people += [dict(gender=g) for g in ("F", "F", "M", "M")]  # follow-up non-respondents
    people.append(dict(audience="lyceen", situation="emploi_court", job_industry="oui"))
    return people


def test_rates_bounds_and_response_rate_by_hand():
    panel = make_panel(_bounds_people())
    stray = panel[panel["wave"] == "followup"].iloc[[0]].assign(respondent_id="unlinked")
    panel = pd.concat([panel, stray], ignore_index=True)
    table = run(panel)
    check_contract(table)
    # hand counts: 10 baseline job seekers, 6 respondents
    rr = one(table, measure="followup", indicator="response_rate", subgroup="all")
    assert (rr["n"], rr["estimate"]) == (10, pytest.approx(0.6))
    assert (rr["wave_from"], rr["wave_to"]) == ("pre", "followup")
    outside = one(table, indicator="followup_outside_cohort")
    assert outside["estimate"] == 2  # the pupil's answer and the unlinked one
    expected = {  # outcome: (successes, known, nonrespondents in the denominator population)
        "employment": (2, 6, 4),
        "durable_employment": (1, 6, 4),
        "qualifying_training": (1, 6, 4),
        "positive_exit": (2, 6, 4),
        "job_in_industry": (2, 6, 4),
        "job_in_industry_among_active": (2, 3, 4),
    }
    for outcome, (x, k, m) in expected.items():
        rate = one(table, measure=outcome, indicator="rate", subgroup="all")
        low, high = _wilson_by_hand(x, k)
        assert rate["n"] == k
        assert rate["estimate"] == pytest.approx(x / k)
        assert rate["ci_low"] == pytest.approx(low, abs=1e-12)
        assert rate["ci_high"] == pytest.approx(high, abs=1e-12)
        assert one(table, measure=outcome, indicator="successes", subgroup="all")[
            "estimate"] == x
        worst = one(table, measure=outcome, indicator="rate_worst_case", subgroup="all")
        best = one(table, measure=outcome, indicator="rate_best_case", subgroup="all")
        assert worst["estimate"] == pytest.approx(x / (k + m))
        assert best["estimate"] == pytest.approx((x + m) / (k + m))
        assert worst["n"] == best["n"] == k + m
        assert worst["estimate"] <= rate["estimate"] <= best["estimate"]
    # a subgroup cell: women = respondents 1, 2, 5 (two employed) + two non-respondents
    women = one(table, measure="employment", indicator="rate", subgroup="gender",
                subgroup_value="F")
    assert (women["n"], women["estimate"]) == (3, pytest.approx(2 / 3))
    assert women["ci_low"] == pytest.approx(_wilson_by_hand(2, 3)[0], abs=1e-12)
    assert one(table, measure="followup", indicator="response_rate", subgroup="gender",
               subgroup_value="F")["estimate"] == pytest.approx(3 / 5)
    assert one(table, measure="employment", indicator="rate_best_case", subgroup="gender",
               subgroup_value="F")["estimate"] == pytest.approx(4 / 5)
    # situation shares among the 6 respondents
    share = one(table, measure="situation", indicator="situation_share",
                subgroup_value="recherche")
    assert (share["n"], share["estimate"]) == (6, pytest.approx(2 / 6))


@pytest.mark.parametrize(("x", "n"), [(0, 7), (7, 7), (1, 29), (12, 31), (55, 120)])
def test_wilson_interval_of_records_matches_closed_form(x, n):
    people = [dict(situation="emploi_durable" if i < x else "recherche", start=5)
              for i in range(n)]
    rate = one(run(make_panel(people)), measure="durable_employment", indicator="rate",
               subgroup="all")
    low, high = _wilson_by_hand(x, n)
    assert rate["estimate"] == pytest.approx(x / n)
    assert rate["ci_low"] == pytest.approx(max(low, 0.0), abs=1e-12)
    assert rate["ci_high"] == pytest.approx(min(high, 1.0), abs=1e-12)


# --------------------------------------------------------------------------------------------
# marginal effects and the GLM


def _simulated(n, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "x": rng.normal(0, 1.5, n),
        "b": (rng.random(n) < 0.4).astype(float),
        "level": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        "site": rng.integers(0, 12, n),
    })
    eta = (-0.4 + 0.7 * frame["x"] + 0.6 * frame["b"] + 0.5 * (frame["level"] == "b")
           - 0.8 * (frame["level"] == "c"))
    frame["y"] = (rng.random(n) < _expit(eta)).astype(float)
    X = pd.DataFrame({"const": 1.0, "x": frame["x"], "b": frame["b"],
                      "level=b": (frame["level"] == "b").astype(float),
                      "level=c": (frame["level"] == "c").astype(float)})
    factors = {"b": ["b"], "level": ["level=b", "level=c"]}
    return frame, X, factors


def _ame_by_prediction(params, X):
    """AMEs from predictions only: central differences and 0→1 switches (test's own code)."""
    beta = np.asarray(params, dtype=float)

    def mean_p(matrix):
        return float(np.mean(_expit(matrix.to_numpy(dtype=float) @ beta)))

    h = 1e-5
    out = {"x": (mean_p(X.assign(x=X["x"] + h)) - mean_p(X.assign(x=X["x"] - h))) / (2 * h),
           "b": mean_p(X.assign(b=1.0)) - mean_p(X.assign(b=0.0))}
    zero = X.assign(**{"level=b": 0.0, "level=c": 0.0})
    out["level=b"] = mean_p(zero.assign(**{"level=b": 1.0})) - mean_p(zero)
    out["level=c"] = mean_p(zero.assign(**{"level=c": 1.0})) - mean_p(zero)
    return out


def test_ame_equals_finite_differences_of_the_fitted_model():
    frame, X, factors = _simulated(800, 7)
    fit = fit_logit(frame["y"], X, frame["site"])
    ame = average_marginal_effects(fit.params, fit.cov, X, factors)
    # finite differences on the fitted model's own predictions (statsmodels' predict)
    h = 1e-5
    predict = fit.result.predict
    fd_x = (predict(X.assign(x=X["x"] + h)) - predict(X.assign(x=X["x"] - h))).mean() / (2 * h)
    assert ame.loc["x", "ame"] == pytest.approx(fd_x, abs=1e-7)
    assert ame.loc["b", "ame"] == pytest.approx(
        (predict(X.assign(b=1.0)) - predict(X.assign(b=0.0))).mean(), abs=1e-12)
    zero = X.assign(**{"level=b": 0.0, "level=c": 0.0})
    for level in ("level=b", "level=c"):
        switched = (predict(zero.assign(**{level: 1.0})) - predict(zero)).mean()
        assert ame.loc[level, "ame"] == pytest.approx(switched, abs=1e-12)
    # delta-method SEs against a numerical gradient of the prediction-based AMEs
    V = fit.cov.to_numpy()
    base = np.asarray(fit.params, dtype=float)
    for term in ("x", "b", "level=b", "level=c"):
        grad = np.empty(len(base))
        for j in range(len(base)):
            step = np.zeros(len(base))
            step[j] = 1e-6
            grad[j] = (_ame_by_prediction(base + step, X)[term]
                       - _ame_by_prediction(base - step, X)[term]) / 2e-6
        assert ame.loc[term, "se"] == pytest.approx(np.sqrt(grad @ V @ grad), rel=1e-4)


def test_ame_agrees_with_statsmodels_get_margeff_where_definitions_coincide():
    frame, X, _ = _simulated(600, 11)
    X = X[["const", "x", "b"]]
    fit = fit_logit(frame["y"], X, frame["site"])
    ours = average_marginal_effects(fit.params, fit.cov, X, {"b": ["b"]})
    theirs = fit.result.get_margeff(at="overall", method="dydx", dummy=True)
    assert ours.loc[["x", "b"], "ame"].to_numpy() == pytest.approx(theirs.margeff, abs=1e-10)
    assert ours.loc[["x", "b"], "se"].to_numpy() == pytest.approx(theirs.margeff_se, rel=1e-8)


def test_glm_logit_recovers_a_known_coefficient():
    rng = np.random.default_rng(2026)
    n = 5000
    x = rng.normal(size=n)
    y = (rng.random(n) < _expit(-0.5 + 0.8 * x)).astype(float)
    X = pd.DataFrame({"const": 1.0, "x": x})
    fit = fit_logit(y, X, rng.integers(0, 40, n))
    se = np.sqrt(fit.cov.loc["x", "x"])
    assert abs(fit.params["x"] - 0.8) < 3 * se
    assert abs(fit.params["const"] + 0.5) < 3 * np.sqrt(fit.cov.loc["const", "const"])
    # population AME of x at the true parameters, by Monte Carlo on the same x
    true_ame = np.mean(0.8 * _expit(-0.5 + 0.8 * x) * (1 - _expit(-0.5 + 0.8 * x)))
    ame = average_marginal_effects(fit.params, fit.cov, X)
    assert abs(ame.loc["x", "ame"] - true_ame) < 3 * ame.loc["x", "se"]


def test_fit_logit_refuses_separated_data():
    x = np.r_[np.zeros(15), np.ones(15)]
    X = pd.DataFrame({"const": 1.0, "x": x})
    with pytest.raises(ValueError, match="separation"):
        fit_logit(x, X, np.arange(30) % 3)


def test_model_records_on_simulated_panel():
    rng = np.random.default_rng(5)
    n = 400
    age = rng.integers(18, 60, n)
    score = rng.normal(3, 0.6, n)
    change = rng.normal(0.4, 0.5, n)
    p = _expit(-0.2 - 0.04 * (age - 35) + 0.8 * (score - 3))
    employed = rng.random(n) < p
    people = [dict(site=f"S{i % 8}", age=int(age[i]), gender="F" if i % 5 else "M",
                   education=["bac", "cap_bep", "bac2"][i % 3], image=float(score[i]),
                   image_post=float(score[i] + change[i]),
                   situation="emploi_court" if employed[i] else "recherche",
                   job_industry="oui" if employed[i] else None, start=10)
              for i in range(n)]
    table = run(make_panel(people))
    check_contract(table)
    ame = pick(table, measure="employment", indicator="ame")
    assert set(ame["subgroup_value"]) == {"age", "unemployment_months", "image_pre",
                                          "gender=M", "education=bac2", "education=cap_bep"}
    assert (ame["unit"] == "percentage_points").all() and (ame["n"] == n).all()
    assert ame["flag"].str.contains("not_causal").all()
    age_row = one(ame, subgroup_value="age")
    assert age_row["ci_low"] < age_row["estimate"] < age_row["ci_high"] < 0  # planted < 0
    assert one(ame, subgroup_value="gender=M")["flag"].endswith("reference=F")
    change_rows = pick(table, measure="employment", indicator="ame_attitude_change")
    assert list(change_rows["subgroup_value"]) == ["image_change"]
    assert "exploratory" in change_rows["flag"].iloc[0].split(";")
    assert "not_causal" in change_rows["flag"].iloc[0].split(";")
    odds = one(table, measure="employment", indicator="odds_ratio", subgroup_value="image_pre")
    assert odds["ci_low"] < odds["estimate"] < odds["ci_high"] and odds["estimate"] > 1


# --------------------------------------------------------------------------------------------
# Kaplan–Meier


def test_km_curve_equals_hand_computation():
    people = [
        dict(id="e0", situation="emploi_durable", start=-10, answered=120),  # before end → 0
        dict(id="e1", situation="emploi_court", start=45, answered=120),
        dict(id="c1", situation="recherche", answered=50),
        dict(id="c2", situation="formation_qualifiante", start=5, answered=91),
        dict(id="e2", situation="emploi_durable", start=100, answered=120, post=False),
        dict(id="c3", situation="inactif", answered=130),
        dict(id="nodate", situation="emploi_court", start=None, answered=60),
    ]
    table = run(make_panel(people))
    km = pick(table, indicator="km_in_employment").assign(
        month=lambda t: t["subgroup_value"].astype(int)).sort_values("month")
    # times in months: events 0, 45/m, 100/m (e2 has no post row: its session's date is used);
    # censored 50/m, 91/m, 130/m; 'nodate' is left out
    m = DAYS_PER_MONTH
    assert list(km["month"]) == list(range(int(130 / m) + 1))
    # by hand: at 0: 6 at risk, 1 event; at 45/m: 5 at risk, 1 event; 50/m and 91/m censored;
    # at 100/m: 2 at risk, 1 event
    s0, s1, s2 = 5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 1 / 2
    hand = {0: s0, 1: s0, 2: s1, 3: s1, 4: s2}
    assert km["estimate"].to_numpy() == pytest.approx([1 - hand[k] for k in km["month"]])
    assert list(km["n"]) == [6, 5, 3, 2, 1]
    assert (km["flag"] == "missing_start_dates").all()
    # Greenwood variance and log(-log) interval, by hand, at month 2
    var = s1**2 * (1 / (6 * 5) + 1 / (5 * 4))
    theta_se = np.sqrt(var) / (s1 * abs(np.log(s1)))
    row = one(km, month=2)
    assert row["ci_low"] == pytest.approx(1 - s1 ** np.exp(-Z * theta_se))
    assert row["ci_high"] == pytest.approx(1 - s1 ** np.exp(Z * theta_se))
    assert (row["wave_from"], row["wave_to"]) == ("post", "followup")


# --------------------------------------------------------------------------------------------
# small data never crashes


SMALL_CASES = {
    "no_followup_answers": [dict(), dict(), dict()],
    "one_respondent": [dict(situation="emploi_durable", job_industry="oui", start=3)],
    "all_employed": [dict(situation="emploi_court", job_industry="non", start=i)
                     for i in range(25)],
    "nobody_employed": [dict(situation="recherche") for _ in range(25)],
    "missing_situation": [dict(situation=None) for _ in range(4)],
    "no_dates": [dict(situation="emploi_court", job_industry=None) for _ in range(5)],
    "constant_covariates": [dict(gender="F", education="bac", age=30, site="S1",
                                 unemployment_months=6,
                                 situation="emploi_durable" if i % 2 else "recherche",
                                 job_industry="oui", start=4) for i in range(30)],
    "no_post_wave": [dict(post=False, situation="emploi_durable", start=3)
                     for _ in range(4)],
    "missing_background": [dict(gender=None, age=None, education=None,
                                unemployment_months=None, situation="recherche")
                           for _ in range(5)],
}


@pytest.mark.parametrize("case", sorted(SMALL_CASES))
def test_small_or_degenerate_data_never_crashes(case):
    panel = make_panel(SMALL_CASES[case])
    table = run(panel)
    check_contract(table)
    for outcome in OUTCOMES:
        models = pick(table, measure=outcome, subgroup="model")
        if len(panel[panel["wave"] == "followup"]) < SETTINGS.min_model_respondents:
            assert (models["indicator"] != "model_events").all()


def test_model_skips_carry_their_reason():
    few = run(make_panel([dict(situation="emploi_court", start=1) for _ in range(5)]))
    assert one(few, measure="employment", indicator="model_skipped",
               subgroup_value="background")["flag"] == "too_few_respondents"
    allyes = run(make_panel(SMALL_CASES["all_employed"]))
    assert one(allyes, measure="employment", indicator="model_skipped",
               subgroup_value="background")["flag"] == "too_few_nonevents"
    # constant background: only the (non-constant) attitude score enters the model
    constant = run(make_panel([dict(SMALL_CASES["constant_covariates"][i], image=2 + i % 5 / 2)
                               for i in range(30)]))
    terms = set(pick(constant, measure="employment", indicator="ame")["subgroup_value"])
    assert terms == {"image_pre"}
    # collinear covariates: gender M exactly when education is cap_bep → one of them is dropped
    rng = np.random.default_rng(3)
    collinear = [dict(site=f"S{i % 4}", gender="M" if i % 3 == 0 else "F",
                      education="cap_bep" if i % 3 == 0 else "bac", image=float(rng.normal(3)),
                      situation="emploi_court" if rng.random() < 0.5 else "recherche",
                      start=3) for i in range(60)]
    loose = replace(SETTINGS, min_events_per_parameter=0)  # the collinearity guard alone
    table = run(make_panel(collinear), settings=loose)
    ame = pick(table, measure="employment", indicator="ame")
    assert "gender=M" in set(ame["subgroup_value"])
    assert "education=cap_bep" not in set(ame["subgroup_value"])
    assert ame["flag"].str.contains("collinear_dropped").all()


def test_models_obey_the_disclosure_rule():
    """A level under the threshold gets no effect of its own; a model with fewer than 10
    events per parameter is not published."""
    rng = np.random.default_rng(5)
    people = [dict(site=f"S{i % 4}", gender="F" if i % 2 else "M",
                   education="bac3" if i < 7 else ("bac" if i % 3 else "cap_bep"),
                   image=float(rng.normal(3)),
                   situation="emploi_court" if rng.random() < 0.5 else "recherche", start=3)
              for i in range(400)]
    table = run(make_panel(people))
    terms = set(pick(table, measure="employment", indicator="ame")["subgroup_value"])
    assert "education=bac3" not in terms and "education=cap_bep" in terms  # 7 < 10 pooled
    # 60 people, ~30 events: min(events, non-events) / parameters < 10 → not published
    few = run(make_panel(people[:60]))
    skipped = one(few, measure="employment", indicator="model_skipped",
                  subgroup_value="background")
    events = int(skipped["estimate"])
    parameters = 5  # gender, age, unemployment months, image, education=cap_bep (bac3 pooled)
    assert min(events, 60 - events) / parameters < 10
    assert skipped["flag"] == "too_few_events_per_parameter"
    assert pick(few, measure="employment", indicator="ame").empty


def test_no_followup_wave_gives_nothing():
    panel = make_panel([dict(situation="recherche") for _ in range(3)])
    assert run(panel, waves=("pre", "post")).empty
    assert insertion_indicators(panel.iloc[0:0], programme="x", waves=["pre", "followup"],
                                settings=SETTINGS, alpha=0.05, attitude_scales=[]) == []
