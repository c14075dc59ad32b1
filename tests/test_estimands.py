"""The estimand follows the design: headline rows, baseline equivalence on the analytic sample,
evidence rating — checked against closed forms, pingouin and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from impact.indicators.estimands import EstimandSettings, design_rows
from impact.indicators.rating import EvidenceInputs, security_score, wwc_rating
from impact.survey.codebook import Design

SETTINGS = EstimandSettings(alpha=0.05, power=0.8, icc_prior=0.05, icc_min_clusters=20)
HEAD = dict(programme="p", wave_from="pre", wave_to="post")


class Book:
    def __init__(self, design: Design):
        self.design = design


def comparison_panel(seed=5, n_sites=8, per_site=60, did=0.3, secular=0.2, shift=0.0,
                     drop_share=0.2) -> pd.DataFrame:
    """Participants and comparison pupils in every site; some leave before post."""
    rng = np.random.default_rng(seed)
    n = n_sites * per_site
    site = np.repeat([f"s{k}" for k in range(n_sites)], per_site)
    group = np.where(rng.random(n) < 0.7, "participant", "comparison")
    pre = rng.normal(2.5, 0.6, n) + shift * (group == "participant")
    post = pre + secular + did * (group == "participant") + rng.normal(0, 0.4, n)
    stays = rng.random(n) > drop_share
    ids = [f"r{i:04d}" for i in range(n)]
    link = np.where(rng.random(n) < 0.9, "exact", "tolerant")
    rows = [pd.DataFrame({"respondent_id": ids, "wave": "pre", "site": site, "group": group,
                          "link": "baseline", "image": pre})]
    rows.append(pd.DataFrame({"respondent_id": ids, "wave": "post", "site": site,
                              "group": group, "link": link, "image": post})[stays])
    return pd.concat(rows, ignore_index=True)


def pairs_of(panel: pd.DataFrame) -> pd.DataFrame:
    from impact.indicators.attitudes import paired_frame

    return paired_frame(panel, "pre", "post", ["image"])


def rows_by(rows, indicator, subgroup="all"):
    hits = [r for r in rows if r["indicator"] == indicator and r["subgroup"] == subgroup]
    assert len(hits) == 1, (indicator, subgroup, len(hits))
    return hits[0]


def test_headline_is_the_did_standardised_the_wwc_way():
    panel = comparison_panel()
    pairs = pairs_of(panel)
    rows = design_rows(panel, pairs, Book(Design("comparison_group", ("image",),
                                                 declared=True)), ["image"], SETTINGS, HEAD)
    head = rows_by(rows, "headline")
    part = pairs[pairs["group"] == "participant"]
    comp = pairs[pairs["group"] == "comparison"]
    did = ((part["image_post"] - part["image_pre"]).mean()
           - (comp["image_post"] - comp["image_pre"]).mean())  # closed form
    assert head["estimate"] == pytest.approx(did)
    assert head["method"] == "did_cr2_site" and "primary" in head["flag"]
    # WWC: g = ω·DiD / pooled baseline SD of the analytic sample, ω = 1 − 3/(4N − 9)
    n = len(pairs)
    sp = np.sqrt(((len(part) - 1) * part["image_pre"].var() + (len(comp) - 1)
                  * comp["image_pre"].var()) / (n - 2))
    g = (1 - 3 / (4 * n - 9)) * did / sp
    es = rows_by(rows, "headline_es")
    assert es["estimate"] == pytest.approx(g) and head["effect_size"] == pytest.approx(g)
    assert es["ci_low"] < g < es["ci_high"]
    assert es["ci_low"] == pytest.approx(head["ci_low"] * g / did)
    assert head["df"] < 8  # Bell–McCaffrey df below the number of sites


def test_baseline_equivalence_is_on_the_analytic_sample():
    panel = comparison_panel(shift=0.1)
    pairs = pairs_of(panel)
    rows = design_rows(panel, pairs, Book(Design("comparison_group", ("image",))), ["image"],
                       SETTINGS, HEAD)
    analytic = rows_by(rows, "baseline_equivalence")
    expected = pg.compute_effsize(pairs.loc[pairs["group"] == "participant", "image_pre"],
                                  pairs.loc[pairs["group"] == "comparison", "image_pre"],
                                  eftype="hedges")  # second library, analytic sample only
    assert analytic["estimate"] == pytest.approx(expected)
    everyone = rows_by(rows, "baseline_equivalence", "sample")
    assert everyone["n"] == (panel["wave"] == "pre").sum() > analytic["n"] == len(pairs)


def test_adjustment_required_makes_the_ancova_the_headline():
    import statsmodels.formula.api as smf

    panel = comparison_panel(shift=0.09, seed=2)
    pairs = pairs_of(panel)
    rows = design_rows(panel, pairs, Book(Design("comparison_group", ("image",))), ["image"],
                       SETTINGS, HEAD)
    assert rows_by(rows, "baseline_equivalence")["flag"] == "wwc_adjustment_required"
    head = rows_by(rows, "headline")
    assert head["method"] == "ancova_cr2_site" and "covariate_adjusted" in head["flag"]
    ols = smf.ols("image_post ~ participant + image_pre",
                  pairs.assign(participant=(pairs["group"] == "participant").astype(float))
                  ).fit()  # second library, point estimate
    assert head["estimate"] == pytest.approx(ols.params["participant"])
    assert rows_by(rows, "did")["estimate"] != head["estimate"]  # the DiD stays published


def test_pre_post_headline_is_a_before_after_change_not_an_impact():
    panel = comparison_panel()
    panel = panel[panel["group"] == "participant"]
    pairs = pairs_of(panel)
    rows = design_rows(panel, pairs, Book(Design("pre_post", ("image",))), ["image"],
                       SETTINGS, HEAD)
    head = rows_by(rows, "headline")
    assert head["estimate"] == pytest.approx((pairs["image_post"] - pairs["image_pre"]).mean())
    assert "not_causal" in head["flag"] and head["es_type"] == "g_av"
    wwc = rows_by(rows, "evidence_wwc")
    assert wwc["estimate"] == 0 and wwc["flag"].startswith("no_comparison_group")
    assert rows_by(rows, "evidence_security")["estimate"] == 0


def test_exact_link_sensitivity_rows():
    panel = comparison_panel()
    pairs = pairs_of(panel)
    rows = design_rows(panel, pairs, Book(Design("comparison_group", ("image",))), ["image"],
                       SETTINGS, HEAD)
    exact = rows_by(rows, "headline", "link")
    assert exact["n"] == (pairs["link_post"] == "exact").sum() < len(pairs)


def test_icc_and_design_effect_rows():
    panel = comparison_panel()
    rows = design_rows(panel, pairs_of(panel), Book(Design("comparison_group", ("image",))),
                       ["image"], SETTINGS, HEAD)
    icc, deff = rows_by(rows, "icc"), rows_by(rows, "design_effect")
    assert deff["estimate"] == pytest.approx(1 + (deff["statistic"] - 1) * icc["estimate"])
    assert "unreliable_few_clusters" in icc["flag"]
    assert rows_by(rows, "wwc_clustering_correction")["estimate"] in (0.10, icc["estimate"])


def _inputs(**kw) -> EvidenceInputs:
    base = dict(design="comparison_group", comparison="unmatched", overall_attrition=0.08,
                differential_attrition=0.02, attrition_class="low",
                attrition_boundary="cautious", equivalence="satisfied", adjusted=False,
                g=0.3, g_se=0.05, df=30.0, n=800, n_clusters=10, min_sites_per_group=10)
    return EvidenceInputs(**{**base, **kw})


@pytest.mark.parametrize(("kw", "code", "reason"), [
    (dict(design="randomised"), 2, None),
    (dict(design="randomised", attrition_class="high"), 1, "attrition_high_cautious"),
    (dict(design="randomised", attrition_class="high", equivalence="not_satisfied"), 0,
     "baseline_not_satisfied"),
    (dict(), 1, "quasi_experimental_design"),
    (dict(equivalence="adjustment_required", adjusted=True), 1, "baseline_adjustment_applied"),
    (dict(equivalence="adjustment_required", adjusted=False), 0,
     "baseline_adjustment_required"),
    (dict(min_sites_per_group=1), 0, "group_in_a_single_site_confounded"),
    (dict(design="pre_post"), 0, "no_comparison_group"),
])
def test_wwc_rating_rules(kw, code, reason):
    got, reasons = wwc_rating(_inputs(**kw))
    assert got == code
    assert reason is None or reason in reasons


def test_security_score_is_the_minimum_of_its_criteria_then_lowered():
    # MDES = (t_.975,30 + t_.8,30)·0.05 = 0.146 → 5; attrition 8 % → 5; randomised → 5
    assert security_score(_inputs(design="randomised"))[0] == 5
    score, reasons, parts = security_score(_inputs(design="randomised", overall_attrition=0.35,
                                                   g_se=0.12))
    # MDES = 2.88·0.12 ≈ 0.35 → 3; attrition 35 % → 2
    assert parts["mdes"] == 3 and parts["attrition"] == 2 and score == 2
    assert "attrition_35%" in reasons and "mdes_0.35" in reasons
    score, reasons, _ = security_score(_inputs(comparison="well_matched",
                                               equivalence="adjustment_required"))
    assert score == 2 and "baseline_adjustment_required" in reasons
    assert security_score(_inputs(design="pre_post"))[0] == 0


def test_codebook_design_declaration_is_checked(surveys_copy, instrument):
    from impact.errors import DataError
    from impact.survey.codebook import load_codebook

    path = surveys_copy / "cordee" / "codebook.yaml"
    book = load_codebook(path, instrument)
    assert book.design.type == "comparison_group" and book.design.declared
    assert book.design.primary_outcomes == ("knowledge", "interest")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("primary_outcomes: [knowledge, interest]",
                                 "primary_outcomes: [knowledge, motivation]"), encoding="utf-8")
    with pytest.raises(DataError, match="motivation"):
        load_codebook(path, instrument)
    path.write_text(text.replace("type: comparison_group", "type: pre_post"), encoding="utf-8")
    with pytest.raises(DataError, match="comparison_group"):
        load_codebook(path, instrument)


def test_binary_did_is_the_wwc_difference_of_cox_indices():
    from scipy import special

    from impact.indicators.estimands import binary_did_rows

    rng = np.random.default_rng(9)
    n = 600
    site = rng.integers(0, 8, n).astype(str)
    group = np.where(rng.random(n) < 0.7, "participant", "comparison")
    pre = rng.random(n) < 0.35
    post = rng.random(n) < np.where(group == "participant", 0.55, 0.40)
    pairs = pd.DataFrame({"intention_pre": np.where(pre, "oui", "non"),
                          "intention_post": np.where(post, "oui", "non"), "group": group,
                          "site": site})
    rows = {r["indicator"]: r for r in binary_did_rows(pairs, "oui", SETTINGS, HEAD)}
    t = group == "participant"
    did = (post[t].mean() - pre[t].mean()) - (post[~t].mean() - pre[~t].mean())
    assert rows["did_binary"]["estimate"] == pytest.approx(did)
    omega = 1 - 3 / (4 * n - 9)  # closed form, WWC Cox index with ω
    cox = omega * ((special.logit(post[t].mean()) - special.logit(post[~t].mean()))
                   - (special.logit(pre[t].mean()) - special.logit(pre[~t].mean()))) / 1.65
    assert rows["did_binary_es"]["estimate"] == pytest.approx(cox)
    assert rows["did_binary_es"]["ci_low"] < cox < rows["did_binary_es"]["ci_high"]
