"""The report « Impact ITIP »: table shaping, provenance, and the real report rule.

Unit tests (fast) of :mod:`impact.report.tables` and :mod:`impact.report.provenance`. The report
rule's real outputs are checked in ``tests/test_example_run.py`` (the shared workflow run):
HTML and PDF, their chapters and page count, French number format, the notes of every
exhibit, suppressed cells, provenance checksums, the synthetic-data banner, and that editing
the notebook template re-runs the report rule only.

Number format check — deliberate exclusions: annexes D (software versions), E (checksums) and
F (the run's configuration, verbatim YAML) reproduce machine-readable values (« 3.11.2 »,
« alpha: 0.05 »); they are the last sections of the report and the check stops at the heading
of annex D. The cover's pipeline version (« 0.1.0 », element ``.version``) is excluded too.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.indicators import contract
from impact.report import provenance
from impact.report import tables as rd
from impact.report.formatting import MISSING, NNBSP, SECRET

pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

CHAPTERS = ["Synthèse", "Contexte et questions d'évaluation", "Données et méthode",
            "Résultats par programme", "Insertion professionnelle", "Robustesse", "Limites",
            "Annexes"]
MACHINE_READABLE = "D. Versions des logiciels"  # first section excluded from the number check
DECIMAL_POINT = re.compile(r"\d\.\d")
DEMO = "données synthétiques de démonstration"


# ======================================================================== unit: report_data


def _rows(**common):
    def make(records):
        return contract.tidy([{**common, **r} for r in records])
    return make


@pytest.fixture(scope="module")
def labels():
    root = Path(__file__).resolve().parents[1] / "surveys"
    books = {p: root / p / "codebook.yaml"
             for p in ("cordee", "semaines_apprenantes", "industrie_transition")}
    return rd.load_labels(root / "instrument.yaml", books)


def test_labels_come_from_instrument_and_codebooks(labels):
    assert labels.programme("cordee") == "Cordée de la Réussite « VRAI »"
    assert labels.programme("pooled").startswith("Ensemble")
    assert labels.measure("image") == "Image de l'industrie"
    assert labels.item("image_3").endswith("(item inversé)")
    assert labels.value("gender", "F") == "Femme / fille"
    assert labels.response_labels("cordee")[4] == "Tout à fait d'accord"
    assert labels.has_comparison("cordee") and not labels.has_comparison("industrie_transition")
    assert labels.measure("positive_exit")  # insertion outcomes are labelled too


def _change_rows(suppressed_gender_x=True):
    make = _rows(programme="cordee", wave_from="pre", wave_to="post", unit="points")
    recs = []
    for m, change in (("image", 0.25), ("interest", 0.24)):
        recs += [
            dict(measure=m, indicator="mean_change", subgroup="all", n=697, estimate=change,
                 ci_low=change - 0.05, ci_high=change + 0.05, effect_size=0.43, es_type="d_z",
                 p_value=1e-9, p_adjusted=1e-8, adjustment="holm:programme"),
            dict(measure=m, indicator="g_av", subgroup="all", n=697, estimate=0.3,
                 effect_size=0.3, es_type="g_av", ci_low=0.2, ci_high=0.4, unit="sd"),
            dict(measure=m, indicator="pair_mean", subgroup="all", wave_to="", n=697,
                 estimate=2.2),
            dict(measure=m, indicator="pair_mean", subgroup="all", wave_from="post",
                 wave_to="", n=697, estimate=2.45),
        ]
        for value, n in (("F", 311), ("M", 368), ("X", 4)):
            secret = value == "X" and suppressed_gender_x
            recs += [dict(measure=m, indicator=ind, subgroup="gender", subgroup_value=value,
                          n=np.nan if secret else n, estimate=np.nan if secret else 0.3,
                          effect_size=np.nan if secret else 0.3, es_type=es,
                          suppressed=secret)
                     for ind, es in (("mean_change", "d_z"), ("g_av", "g_av"))]
        recs.append(dict(measure=m, indicator="interaction_test", subgroup="gender", n=683,
                         statistic=1.2, p_value=0.3))
    return make(recs)


def test_change_table_gathers_rows_in_codebook_order(labels):
    table = rd.change_table(_change_rows(), "cordee", labels, "pre", "post")
    assert list(table["measure"]) == ["image", "interest"]
    first = table.iloc[0]
    assert (first["n"], first["mean_pre"], first["mean_post"]) == (697, 2.2, 2.45)
    assert first["g_av"] == 0.3 and first["p_adjusted"] == 1e-8
    assert not table["suppressed"].any()


def test_subgroup_table_shows_s_for_suppressed_cells(labels):
    table = rd.subgroup_table(_change_rows(), "cordee", labels, ["gender"], "pre", "post")
    x = table[table["Modalité"] == labels.value("gender", "X")].iloc[0]
    assert x["Paires"] == SECRET
    assert x[labels.measure("image")] == SECRET and x[labels.measure("interest")] == SECRET
    f = table[table["Modalité"] == labels.value("gender", "F")].iloc[0]
    assert f["Paires"] == "311" and f[labels.measure("image")] == "0,30"
    test = table[table["Modalité"] == "p du test d'interaction"].iloc[0]
    assert test[labels.measure("image")] == "0,300"


def _site_rows(sites: int, secret: set[int] = frozenset()):
    """A programme whose 'image' change is published for many sites (mean change 0.1·k)."""
    make = _rows(programme="cordee", wave_from="pre", wave_to="post", measure="image")
    recs = [dict(indicator="mean_change", subgroup="all", n=400, estimate=0.3,
                 ci_low=0.3 - 0.098, ci_high=0.3 + 0.098, unit="points")]
    for k in range(sites):
        hidden = k in secret
        value = np.nan if hidden else 0.1 * k
        recs += [dict(indicator="g_av", subgroup="site", subgroup_value=f"S{k}", unit="sd",
                      n=np.nan if hidden else 20 + k, estimate=value, effect_size=value,
                      suppressed=hidden),
                 dict(indicator="mean_change", subgroup="site", subgroup_value=f"S{k}",
                      unit="points", n=np.nan if hidden else 20 + k, estimate=value,
                      suppressed=hidden)]
    return make(recs)


def test_many_sites_are_summarised_by_median_and_quartiles(labels):
    table = rd.subgroup_table(_site_rows(25, secret={3}), "cordee", labels, ["site"], "pre",
                              "post", max_listed=20)
    assert len(table) == 2  # median and quartiles, not 25 rows
    published = [0.1 * k for k in range(25) if k != 3]
    median, quartiles = table.iloc[0], table.iloc[1]
    assert "24 modalités publiées (sur 25)" in median["Modalité"]
    assert median["Paires"] == f"{sum(20 + k for k in range(25) if k != 3):,}".replace(",", NNBSP)
    image = labels.measure("image")
    assert median[image] == f"{np.median(published):.2f}".replace(".", ",")
    q1, q3 = np.percentile(published, [25, 75])
    assert quartiles[image] == f"[{q1:.2f}{NNBSP};\u00a0{q3:.2f}]".replace(".", ",")
    listed = rd.subgroup_table(_site_rows(5), "cordee", labels, ["site"], "pre", "post",
                               max_listed=20)
    assert len(listed) == 5  # few sites: one row each


def test_funnel_frame_reads_the_sd_back_from_the_published_interval(labels):
    from scipy import stats

    frame = rd.funnel_frame(_site_rows(6, secret={2}), "cordee", "site", "pre", "post", labels)
    assert list(frame["subgroup_value"]) == ["S0", "S1", "S3", "S4", "S5"]
    sd = 0.098 / stats.t.ppf(0.975, 399) * np.sqrt(400)  # half-width = t·s/√n
    assert frame["sd_overall"].iloc[0] == pytest.approx(sd)
    assert (frame["overall"] == 0.3).all() and (frame["label"] == labels.measure("image")).all()
    # a campaign analysed at alpha = 0.10 publishes 90 % intervals: read back with t₀.₉₅
    at_90 = rd.funnel_frame(_site_rows(6), "cordee", "site", "pre", "post", labels, alpha=0.10)
    assert at_90["sd_overall"].iloc[0] == pytest.approx(0.098 / stats.t.ppf(0.95, 399) * 20)


def test_group_rows_make_headings_that_notes_render(labels):
    from impact.report import notes

    frame = pd.DataFrame({"Programme": ["A", "A", "B"], "Mesure": ["x", "y", "x"],
                          "Valeur": ["1", "", "3"]})
    grouped = rd.group_rows(frame, "Programme")
    assert grouped.to_dict("list") == {"Mesure": ["A", "x", "y", "B", "x"],
                                       "Valeur": ["", "1", MISSING, "", "3"]}
    html = notes.table_html(grouped)
    assert html.count('class="group-row"') == 2 and 'colspan="2"' in html
    assert '<th scope="col" class="num">Valeur</th>' in html  # headings ignored for alignment


def test_natural_order_of_subgroup_values():
    values = ["Session 10 – Besançon", "Session 2 – Belfort", "50 ans ou plus", "25-34 ans",
              "moins de 25 ans", "Semaine du 08/12/2025 – Dijon",
              "Semaine du 13/10/2025 – Belfort"]
    ordered = sorted(values, key=rd.natural_key)
    assert ordered.index("Semaine du 13/10/2025 – Belfort") < ordered.index(
        "Semaine du 08/12/2025 – Dijon")
    assert ordered.index("moins de 25 ans") < ordered.index("25-34 ans") < ordered.index(
        "50 ans ou plus")
    assert ordered.index("Session 2 – Belfort") < ordered.index("Session 10 – Besançon")


def test_flow_frame_totals_and_reasons(labels):
    acc = pd.DataFrame([
        ("cordee", "pre", "read", "", 100), ("cordee", "pre", "kept", "", 80),
        ("cordee", "pre", "excluded", "", 5), ("cordee", "pre", "excluded", "no_consent", 5),
        ("cordee", "pre", "quarantined", "", 15), ("cordee", "pre", "quarantined", "speeder", 10),
        ("cordee", "pre", "quarantined", "incomplete", 8),
        ("cordee", "post", "read", "", 60), ("cordee", "post", "kept", "", 60),
        ("cordee", "post", "excluded", "", 0), ("cordee", "post", "quarantined", "", 0),
    ], columns=["programme", "wave", "outcome", "reason", "rows"])
    quality = {"cordee": pd.DataFrame({"wave_from": ["pre", "all"], "wave_to": ["post", "all"],
                                       "links": [55, 55]})}
    flow = rd.flow_frame(acc, _change_rows(), quality, labels, {"cordee": ["pre", "post"]})
    totals = flow[flow["reason"] == ""].set_index("stage")["n"].to_dict()
    assert totals == {"read": 160, "excluded": 5, "quarantined": 15, "kept": 140,
                      "linked": 55, "analysed": 697}
    assert set(flow.loc[flow["stage"] == "quarantined", "reason"]) == {
        "", "réponse trop rapide", "questionnaire incomplet"}
    from impact.report import figures
    fig, alt = figures.sample_flow(flow, programme_labels={"cordee": "Cordée"})
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "n = 15" in "\n".join(texts) and any("motifs cumulables" in t for t in texts)
    assert "140 conservées" in alt


def test_key_effects_and_wwc_words(labels):
    make = _rows(wave_from="pre", wave_to="post", indicator="g_av", subgroup="all",
                 es_type="g_av", unit="sd")
    table = make([dict(programme="cordee", measure="image", n=697, effect_size=0.3),
                  dict(programme="industrie_transition", measure="transition", n=211,
                       effect_size=0.59),
                  dict(programme="cordee", measure="knowledge", n=np.nan, suppressed=True)])
    key = rd.key_effects_table(table, labels, ["cordee", "industrie_transition"])
    row = key.set_index("Mesure")
    assert row.loc["Image de l'industrie", labels.programme("cordee")] == "0,30 (faible)"
    assert row.loc["Image de l'industrie", labels.programme("industrie_transition")] == \
        rd.NOT_MEASURED
    assert row.loc[labels.measure("knowledge"), labels.programme("cordee")] == SECRET
    assert rd.wwc_attrition_class("wwc_cautious_high;wwc_optimistic_low", "cautious") == "élevée"
    assert rd.wwc_attrition_class("wwc_cautious_high;wwc_optimistic_low", "optimistic") == \
        "faible"
    assert rd.wwc_equivalence_words("wwc_adjustment_required").startswith("équivalence sous")


def test_insertion_shaping(labels):
    make = _rows(programme="semaines_apprenantes", wave_from="followup")
    table = make([
        dict(measure="employment", indicator="rate", subgroup="all", n=88, estimate=0.44,
             ci_low=0.34, ci_high=0.55, unit="proportion"),
        dict(measure="employment", indicator="rate_worst_case", subgroup="all", n=129,
             estimate=0.30, unit="proportion"),
        dict(measure="employment", indicator="rate_best_case", subgroup="all", n=129,
             estimate=0.62, unit="proportion"),
        dict(measure="employment", indicator="rate", subgroup="gender", subgroup_value="X",
             suppressed=True, unit="proportion"),
        dict(measure="employment", indicator="ame", subgroup="covariate",
             subgroup_value="gender=F", wave_from="pre", wave_to="followup", n=88,
             estimate=0.75, p_value=0.9, unit="percentage_points"),
        dict(measure="qualifying_training", indicator="model_skipped", subgroup="model",
             subgroup_value="background", n=88, estimate=14, flag="quasi_separation"),
        *[dict(measure="employment", indicator="km_in_employment", subgroup="month",
               subgroup_value=str(t), wave_from="post", n=80 - 10 * t, estimate=0.1 * t,
               ci_low=0.05 * t, ci_high=0.15 * t, unit="proportion") for t in range(4)],
    ])
    rates = rd.insertion_rates(table, labels)
    assert rates.iloc[0][["n", "estimate", "cohort", "worst", "best"]].tolist() == \
        [88, 0.44, 129, 0.30, 0.62]
    sub = rd.insertion_subgroups(table, "semaines_apprenantes", labels, ["gender"])
    assert sub.iloc[0]["Répondants"] == SECRET and sub.iloc[0]["Emploi"] == SECRET
    models, skipped = rd.insertion_models(table, "semaines_apprenantes", labels, 0.05)
    assert models.iloc[0]["Covariable"] == "Genre : Femme / fille"
    assert models.iloc[0]["Emploi"] == "0,8"
    assert skipped == [f"{labels.measure('qualifying_training')} (séparation quasi complète)"]
    curve = rd.insertion_curve(table, "semaines_apprenantes")
    assert curve["time"].tolist() == [0, 1, 2, 3] and curve["at_risk"].tolist() == [80, 70, 60,
                                                                                    50]
    assert rd.insertion_rows(table.iloc[:0]).empty


def test_estimate_and_interval_texts():
    assert rd.estimate_text(0.125, "proportion") == "12,5\u00a0%"
    assert rd.estimate_text(3, "count") == "3"
    assert rd.estimate_text(-1.25, "percentage_points") == f"\u22121,3{NNBSP}pt"
    assert rd.ci_nb(0.1, 0.3) == f"[0,10{NNBSP};\u00a00,30]"  # never breaks inside
    assert rd.magnitude_text(0.52, "g_av") == "0,52 (moyen)"


# ======================================================================== unit: provenance


def test_git_state_outside_a_repository(tmp_path):
    state = provenance.git_state(tmp_path)
    assert state["commit"] is None and state["dirty"] is None
    assert state["note"] in ("not a git repository", "git is not installed")


def test_provenance_detects_a_changed_export(tmp_path):
    surveys = tmp_path / "surveys"
    (surveys / "p").mkdir(parents=True)
    export = surveys / "p" / "pre.csv"
    export.write_text("a;b\n1;2\n")
    ingest = tmp_path / "pre.json"
    ingest.write_text(json.dumps({"file": "p/pre.csv", "programme": "p", "wave": "pre",
                                  "rows_read": 1, "pseudonym_key": "demo",
                                  "sha256": provenance.sha256_file(export)}))
    for name in ("codebook.yaml", "instrument.yaml", "config.yaml", "simulation.yaml"):
        (tmp_path / name).write_text("seed: 7\n")
    kwargs = dict(exports=[export], surveys_dir=surveys, ingest_reports=[ingest],
                  codebooks=[tmp_path / "codebook.yaml"],
                  instrument=tmp_path / "instrument.yaml",
                  config_files=[tmp_path / "config.yaml"],
                  simulation=tmp_path / "simulation.yaml", synthetic=True, repo_dir=tmp_path)
    record = provenance.build(**kwargs)
    assert record["mismatches"] == [] and record["simulation_seed"] == 7
    assert record["pseudonym_key"] == "demo"
    assert {e["role"] for e in record["inputs"]} == {"export", "codebook", "instrument",
                                                     "config", "simulation"}
    assert record["packages"]["pandas"] == pd.__version__
    export.write_text("a;b\n1;3\n")
    assert provenance.build(**kwargs)["mismatches"] == [export.as_posix()]
    done = provenance.finish(record, [export])
    assert done["finished_at"] >= done["started_at"]
    assert done["outputs"][0]["sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()


def test_provenance_times_follow_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert provenance.now_utc() == "2026-01-01T00:00:00Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert provenance.now_utc() != "2026-01-01T00:00:00Z"
    assert set(provenance.VOLATILE_FIELDS["results/provenance.json"]) == {"started_at",
                                                                       "finished_at"}


def test_executed_notebook_keeps_no_execution_time(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"),
                                         nbformat.v4.new_code_cell("a = 1")])
    nb.cells[1].metadata["tags"] = ["injected-parameters"]
    times = {"start_time": "2026-12-01T10:56:42", "end_time": "2026-12-01T10:56:43",
             "duration": 1.0}
    nb.metadata["papermill"] = {**times, "parameters": {"a": 1}}
    nb.cells[0].metadata.update(papermill={**times, "status": "completed"},
                                execution={"iopub.status.busy": "2026-12-01T10:56:42Z"})
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    provenance.strip_notebook_times(path)
    text = path.read_text(encoding="utf-8")
    assert "2026-12-01" not in text and '"duration"' not in text
    assert '"status": "completed"' in text and '"parameters"' in text
    assert nbformat.read(str(path), as_version=4).cells[1]["id"] == "injected-parameters"


def test_overflow_detector_finds_a_table_wider_than_the_page():
    import weasyprint

    from impact.report.render import overflowing_boxes

    wide = ("<html><body><table style='white-space: nowrap'><tr>"
            + "<td>colonne très large</td>" * 30 + "</tr></table></body></html>")
    narrow = "<html><body><table><tr><td>ok</td></tr></table></body></html>"
    assert overflowing_boxes(weasyprint.HTML(string=wide).render())[0][:2] == (1, "table")
    assert overflowing_boxes(weasyprint.HTML(string=narrow).render()) == []


def test_headline_reasons_in_french_words():
    from impact.report.tables.headline import reason_words

    text = reason_words("design_unmatched;mdes_0.20;attrition_23%;baseline_adjustment_required")
    assert text == ("groupe de comparaison non apparié, effet minimal détectable 0,20, "
                    "attrition 23\u00a0%, écart initial à ajuster")


def test_headline_table_without_any_headline_row(labels):
    # a programme too small for a headline (the atelier test programme): an empty table
    from impact.indicators import contract
    from impact.report.tables.headline import headline_table

    table = contract.tidy([dict(programme="cordee", measure="image", indicator="mean",
                                subgroup="all", estimate=2.5)])
    assert headline_table(table, labels, ["cordee"]).empty


def test_logic_models_are_a_figure_with_the_first_programmes_lecture(labels):
    """The théorie du changement is drawn (a figure, not a table), from the report config,
    with a text alternative listing every programme's columns and the Lecture of the first."""
    import yaml

    from impact.report import sections
    from impact.report.document import Document

    config = yaml.safe_load((Path(__file__).resolve().parents[1]
                             / "config/report/report.yaml").read_text(encoding="utf-8"))
    doc = Document(params={"programmes": ["cordee", "industrie_transition"],
                           "campaign_label": "Campagne 2025-2026", "synthetic": True},
                   lang="fr", labels=labels, ind=pd.DataFrame(), accounting=pd.DataFrame(),
                   quality={}, prov={}, config=config)
    doc.figure_cache = None
    exhibit = sections.logic_models(doc)
    assert exhibit.kind == "figure" and "<img" in exhibit.body_html
    assert 'alt="Théorie du changement de chaque programme' in exhibit.body_html
    assert exhibit.lecture.startswith("Pour Cordée de la Réussite « VRAI », les activités "
                                      "(visites d'entreprises, tutorat")
    assert "connaissance des métiers, intérêt pour les métiers industriels" in exhibit.lecture
    for name in ("Cordée de la Réussite", "L’industrie en Transition", "débat",
                 "conscience de la transition écologique de l’industrie"):
        assert name in exhibit.alt
    assert "Semaines Apprenantes" not in exhibit.alt  # not in this campaign
    assert "non mesurés ne sont pas évalués" in exhibit.note
    assert sections.logic_models(Document(
        params={"programmes": ["cordee"]}, lang="fr", labels=labels, ind=pd.DataFrame(),
        accounting=pd.DataFrame(), quality={}, prov={}, config={})) is None
