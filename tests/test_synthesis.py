"""The interpretation rules of impact.report.synthesis, and the front/back-matter helpers of
impact.report.document, on hand-made rows (no workflow run)."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.report.document import check_citations, cited_works, source_line
from impact.report.synthesis import (
    CAUSAL_WORDS,
    Finding,
    interpret,
    key_messages,
    logic_models,
    programme_paragraph,
    summary_table,
)
from impact.report.tables.common import Labels


def _no_causal_words(text: str) -> bool:
    low = text.lower()
    return not any(word in low for word in CAUSAL_WORDS)


def test_positive_change_without_comparison_group_is_not_causal():
    text = interpret(Finding("Image de l'industrie", 0.45, 0.30, 0.60, n=120))
    assert "a augmenté" in text and "chez les participants" in text
    assert "ne peut pas être attribuée" in text
    assert _no_causal_words(text)
    assert "évolution faible" in text  # 0,45: Cohen's « faible » (0,2 ≤ |g| < 0,5)
    assert "0,45" in text and "n\u00a0=\u00a0120" in text


def test_negative_change_is_a_decrease_and_its_size_is_that_of_abs_g():
    text = interpret(Finding("Intérêt", -0.9, -1.1, -0.7))
    assert "a diminué" in text and "évolution forte" in text and _no_causal_words(text)


def test_ci_containing_zero_gives_no_established_change_whatever_the_sign():
    for estimate in (0.15, -0.15):
        text = interpret(Finding("Intérêt", estimate, -0.05, 0.35))
        assert "pas d’évolution établie" in text
        assert "augmenté" not in text and "diminué" not in text
    # a bound exactly at zero is not an exclusion of zero
    assert "pas d’évolution établie" in interpret(Finding("Intérêt", 0.2, 0.0, 0.4))


def test_comparison_group_allows_causal_wording():
    text = interpret(Finding("Image", 0.3, 0.1, 0.5, causal=True))
    assert "l’action a fait progresser" in text and "groupe de comparaison" in text
    assert "ne peut pas être attribuée" not in text
    null = interpret(Finding("Image", 0.3, -0.1, 0.7, causal=True))
    assert "pas d’effet établi" in null and "a fait progresser" not in null


def test_weak_evidence_withholds_the_causal_verb():
    text = interpret(Finding("Image", 0.3, 0.1, 0.5, causal=True, weak_evidence=True))
    assert "davantage progressé que le groupe de comparaison" in text
    assert "trop faible pour y voir un effet démontré" in text and _no_causal_words(text)


def test_lower_is_better_says_whether_the_change_goes_the_desired_way():
    down = interpret(Finding("Stéréotypes", -0.3, -0.5, -0.1, lower_is_better=True))
    assert "a diminué" in down and "dans le sens souhaité" in down
    up = interpret(Finding("Stéréotypes", 0.3, 0.1, 0.5, lower_is_better=True))
    assert "à l’inverse du sens souhaité" in up


def test_suppressed_result_reveals_nothing():
    text = interpret(Finding("Image", 0.45, 0.3, 0.6, n=7, suppressed=True))
    assert "secret statistique" in text
    assert "0,45" not in text and "7" not in text and "augment" not in text


def test_programme_paragraph_counts_from_the_findings():
    findings = [Finding("A", 0.5, 0.3, 0.7), Finding("B", -0.25, -0.4, -0.1),
                Finding("C", 0.1, -0.1, 0.3), Finding("D", None, None, None, suppressed=True)]
    text = programme_paragraph(findings, "Programme X", ["Attention à l'attrition."])
    assert "sur 3 mesures publiées, 1 augmentent, 1 diminuent et 1 ne montrent" in text
    assert "« A »" in text.split("La plus forte")[1]  # largest |g| among established ones
    assert "1 résultat(s) relèvent du secret statistique" in text
    assert text.endswith("Attention à l'attrition.")
    assert _no_causal_words(text)


# --------------------------------------------------------------------------- from rows

COLUMNS = ["programme", "measure", "indicator", "subgroup", "subgroup_value", "wave_from",
           "wave_to", "n", "estimate", "ci_low", "ci_high", "effect_size", "es_type",
           "p_value", "p_adjusted", "method", "flag", "suppressed"]


def _row(**kw) -> dict:
    base = dict.fromkeys(COLUMNS)
    base.update(subgroup="all", subgroup_value="", wave_from="pre", wave_to="post",
                suppressed=False, flag="", method="")
    base.update(kw)
    return base


@pytest.fixture()
def rows():
    def headline(p, method, est, lo, hi, n, security, wwc):
        return [
            _row(programme=p, measure="image", indicator="headline", method=method, n=n,
                 estimate=est * 0.5, ci_low=lo * 0.5, ci_high=hi * 0.5, flag="primary"),
            _row(programme=p, measure="image", indicator="headline_es", estimate=est,
                 ci_low=lo, ci_high=hi, es_type="g"),
            _row(programme=p, measure="image", indicator="evidence_security",
                 estimate=security),
            _row(programme=p, measure="image", indicator="evidence_wwc", method=wwc),
        ]
    table = (headline("a", "did_cr2_site", 0.2, -0.1, 0.5, 400, 2,
                      "wwc_v5_does_not_meet")
             + headline("b", "before_after_cr2_site", 0.6, 0.4, 0.8, 150, 1, "")
             + [_row(programme="a", measure="attrition", indicator="attrition_overall",
                     estimate=0.32, n=500),
                _row(programme="a", measure="attrition", indicator="attrition_differential",
                     estimate=0.12, flag="wwc_cautious_high;wwc_optimistic_high"),
                _row(programme="b", measure="attrition", indicator="attrition_overall",
                     estimate=0.08, n=160),
                _row(programme="b", measure="employment", indicator="rate",
                     wave_from="followup", wave_to="", n=60, estimate=0.55, ci_low=0.42,
                     ci_high=0.67),
                _row(programme="b", measure="followup", indicator="response_rate",
                     wave_from="followup", wave_to="", n=100, estimate=0.6)])
    return pd.DataFrame(table, columns=COLUMNS)


@pytest.fixture()
def labels():
    return Labels(programmes={"a": "Programme A", "b": "Programme B"},
                  measures={"image": "Image de l'industrie"},
                  codebooks={"a": {"comparison_group": True, "scales": ["image"]},
                             "b": {"scales": ["image"]}})


def test_key_messages_one_per_question_with_headline_rating_and_n(rows, labels):
    msgs = key_messages(rows, labels, ["a", "b"])
    assert len(msgs) == 6 and all(m["question"] and m["message"] for m in msgs)
    q1 = msgs[0]["message"]
    # A: DiD whose CI contains 0 → no established effect, causal vocabulary allowed;
    # B: before/after change, established, not causal
    assert "Programme A" in q1 and "pas d’effet établi" in q1 and "n\u00a0=\u00a0400" in q1
    assert "niveau de preuve 2 sur 5" in q1 and "niveau de preuve 1 sur 5" in q1
    assert "a augmenté chez les participants" in q1
    # Q4: the comparison-group result, and that it does not meet the WWC standards
    assert "Programme A" in msgs[3]["message"] and "ne satisfait pas" in msgs[3]["message"]
    assert "Programme B" not in msgs[3]["message"]
    # Q5: the employment rate with the response rate behind it
    assert "55\u00a0%" in msgs[4]["message"] and "60\u00a0%" in msgs[4]["message"]
    # Q6: WWC « élevée » said plainly for A; B's overall attrition has no WWC class
    assert "« élevée »" in msgs[5]["message"] and "32\u00a0%" in msgs[5]["message"]
    assert "8\u00a0%" in msgs[5]["message"]


def test_summary_table_one_row_per_programme_and_primary_outcome(rows, labels):
    table = summary_table(rows, labels, ["a", "b"])
    assert list(table["Programme"]) == ["Programme A", "Programme B"]
    assert list(table["Effet"]) == ["pas d’effet établi", "hausse moyenne"]
    assert list(table["n"]) == ["400", "150"]
    assert list(table["Niveau de preuve (0–5)"]) == ["2", "1"]


def test_summary_table_keeps_a_suppressed_headline_secret(rows, labels):
    rows.loc[(rows["programme"] == "b") & (rows["indicator"] == "headline"), "suppressed"] = True
    table = summary_table(rows, labels, ["a", "b"])
    secret = table[table["Programme"] == "Programme B"].iloc[0]
    assert secret["Taille d’effet [IC 95 %]"] == "s." and secret["n"] == "s."
    assert "0,6" not in " ".join(secret.astype(str))


# --------------------------------------------------------------------------- document


def test_source_line_cites_the_survey_and_the_table_numbers():
    assert source_line("Campagne 2025-2026", [3, 1, 3], synthetic=False) == (
        "Enquêtes Impact ITIP, campagne 2025-2026 ; tableaux 1 et 3 du paquet de données.")
    assert source_line("Campagne 2025-2026", [2], synthetic=True) == (
        "Enquêtes Impact ITIP, campagne 2025-2026 — données synthétiques de démonstration ; "
        "tableau 2 du paquet de données.")


def test_citations_are_found_and_checked_against_the_list():
    text = ("Deux tailles d'effet (Lakens, 2013 ; Hedges, 1981), erreurs-types de Bell et\n"
            "McCaffrey (2002), standards (What Works Clearinghouse, 2022), campagne 2025, "
            "Campagne 2025-2026, loi du 7 juin 1951, Équipe du CMQ-E ICI (2026). In English: "
            "Bell and McCaffrey (2002).")
    assert cited_works(text) == {"Lakens 2013", "Hedges 1981", "Bell et McCaffrey 2002",
                                 "What Works Clearinghouse 2022"}
    assert check_citations(text, {"Lakens 2013": "…", "Hedges 1981": "…",
                                  "What Works Clearinghouse 2022": "…"}) == [
        "Bell et McCaffrey 2002"]


# --------------------------------------------------------------------------- rendering


def test_renderer_keeps_the_language_cells_and_fills_the_sommaire(tmp_path):
    import nbformat
    from bs4 import BeautifulSoup
    from nbformat.v4 import new_markdown_cell, new_notebook

    from impact.report.render import notebook_to_html

    def cell(text, *tags):
        c = new_markdown_cell(text)
        if tags:
            c.metadata["tags"] = list(tags)
        return c

    nb = new_notebook(cells=[
        cell('<nav class="toc" data-toc="h1,h2"><h1 class="toc-title">Sommaire</h1></nav>'),
        cell("# Synthèse\n\nTexte français.", "fr"), cell("# Summary\n\nEnglish text.", "en"),
        cell("## Commun\n\nSans marque."), cell("# Limites", "fr"), cell("# Limitations", "en")])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    for lang, kept, dropped in (("fr", "Texte français.", "English text."),
                                ("en", "English text.", "Texte français.")):
        page = notebook_to_html(path, lang=lang, subject="Sujet", keywords=["a", "b"])
        soup = BeautifulSoup(page, "html.parser")
        assert soup.find("html")["lang"] == lang
        assert kept in page and dropped not in page and "Sans marque." in page
        assert soup.find("meta", attrs={"name": "description"})["content"] == "Sujet"
        assert soup.find("meta", attrs={"name": "keywords"})["content"] == "a, b"
        links = [(a.get_text(), a["href"]) for a in soup.select("nav.toc a")]
        titles = [t for t, _ in links]
        assert titles == (["Synthèse", "Commun", "Limites"] if lang == "fr"
                          else ["Summary", "Commun", "Limitations"])
        for _, href in links:  # every entry points at a heading of the page
            assert soup.find(id=href[1:]).name in ("h1", "h2")


def test_interactions_in_opposite_directions_are_said(rows, labels):
    extra = []
    for programme, top in (("a", "F"), ("b", "M")):
        extra.append(_row(programme=programme, measure="image", indicator="interaction_test",
                          subgroup="gender", p_value=0.01))
        for value in ("F", "M"):
            extra.append(_row(programme=programme, measure="image", indicator="g_av",
                              subgroup="gender", subgroup_value=value,
                              effect_size=0.6 if value == top else 0.1))
    table = pd.concat([rows, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True)
    labels.codes["gender"] = {"F": "Femme / fille", "M": "Homme / garçon"}
    labels.variables["gender"] = "Genre"
    q3 = key_messages(table, labels, ["a", "b"])[2]["message"]
    assert "Sur 2 tests d’interaction publiés, 2 signalent" in q3
    assert "Programme A, « Image de l'industrie » : évolution la plus forte pour « Femme / " \
           "fille »" in q3
    assert "pour « Homme / garçon »" in q3 and "sens opposé" in q3


# ------------------------------------------------------------------ théorie du changement


LOGIC_CONFIG = {
    "logic_models": {
        "b": {"activities": ["une semaine d'immersion"], "intermediate": ["confiance en soi"],
              "measured": ["image", "self_efficacy"]},
        "a": {"activities": ["visites d'entreprises", "tutorat"],
              "intermediate": ["meilleure connaissance des métiers"], "measured": ["image"]},
    },
    "logic_models_en": {"a": {"activities": ["company visits", "mentoring"]}},
}


def test_logic_models_in_programme_order_with_the_measures_reader_labels(labels):
    models = logic_models(LOGIC_CONFIG, ["a", "b", "c"], labels)  # c has none: left out
    assert [m["programme"] for m in models] == ["Programme A", "Programme B"]
    assert models[0] == {"programme": "Programme A",
                         "activities": ["visites d'entreprises", "tutorat"],
                         "intermediate": ["meilleure connaissance des métiers"],
                         "measured": ["Image de l'industrie"]}
    assert models[1]["measured"] == ["Image de l'industrie", "self_efficacy"]  # no label: code


def test_logic_models_of_another_edition_replace_the_wording_key_by_key(labels):
    (a,) = logic_models(LOGIC_CONFIG, ["a"], labels, lang="en")
    assert a["activities"] == ["company visits", "mentoring"]
    assert a["intermediate"] == ["meilleure connaissance des métiers"]  # not translated: kept
    assert a["measured"] == ["Image de l'industrie"]
    assert logic_models({}, ["a"], labels) == []
