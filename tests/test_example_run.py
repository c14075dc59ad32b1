"""Checks on one real run of the whole workflow on the bundled example campaign.

The run (session fixture ``example_run`` in ``conftest.py``: the workflow, report included, in a
scratch copy of the repository, about 4 minutes) is shared by every test of this file; CI
distributes tests by file (``--dist loadfile``) so it happens once.

Report number-format check: the whole main report (the machine-readable values — software
versions, checksums, configuration — are in the technical annex, which is not checked).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from impact.indicators import contract
from impact.report import tables as rd
from impact.report.formatting import SECRET
from tests.workflow_support import snakemake

pytestmark = [pytest.mark.workflow,
              pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")]

CHAPTERS = ["Synthèse", "Contexte et questions d'évaluation", "Données et méthode",
            "Résultats par programme", "Insertion professionnelle", "Robustesse", "Limites",
            "Conclusions et recommandations", "Références", "Glossaire"]
#: The four documents, each in results/report/ as .html, .pdf and the executed .ipynb.
DOCUMENTS = ("impact_itip", "impact_itip_annexe_technique", "impact_itip_en",
             "impact_itip_technical_annex_en")
DECIMAL_POINT = re.compile(r"\d\.\d")
DEMO = "données synthétiques de démonstration"


def _plain(text: str) -> str:
    """Text as typed (straight apostrophes, plain spaces): the report is typeset (U+2019,
    U+00A0, U+202F) and the tests name headings as a person types them."""
    return text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")


# ======================================================================== the pipeline's outputs


def test_row_accounting_identity(example_run):
    table = pd.read_csv(example_run / "results/validation/row_accounting.csv")
    totals = table[table["reason"].isna()].pivot_table(
        index=["programme", "wave"], columns="outcome", values="rows")
    assert len(totals) == 8
    assert (totals["read"] == totals["kept"] + totals["quarantined"] + totals["excluded"]).all()


def test_data_docs_one_page_per_export(example_run):
    site = example_run / "results/validation/data_docs"
    assert (site / "index.html").is_file()
    pages = list((site / "validations").rglob("*.html"))
    assert len(pages) == 8
    # results/ holds aggregates only: no row-level table, no GX store with unexpected values
    results = example_run / "results"
    assert not list(results.rglob("*.parquet")) and not (results / "validation/gx").exists()
    assert not list(results.rglob("kept*")) and not list(results.rglob("excluded*"))


def test_panel_one_row_per_respondent_and_wave(example_run):
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        panel = pd.read_parquet(example_run / f"restricted/panel/{programme}.parquet")
        assert not panel.duplicated(["respondent_id", "wave"]).any()
        assert panel["respondent_id"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_nothing_left_to_do_after_a_run(example_run):
    dry = snakemake(example_run, "--dry-run")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr


# --- privacy: no raw code or direct identifier anywhere under results/ ---------------------


def secrets_of_exports(surveys: Path) -> set[str]:
    """Every direct identifier and raw pseudonymous code typed in the example exports."""
    from impact.ingest.readers import read_export
    from impact.survey.codebook import load_codebook
    from impact.survey.instrument import load_instrument

    instrument = load_instrument(surveys / "instrument.yaml")
    found: set[str] = set()
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        book = load_codebook(surveys / programme / "codebook.yaml", instrument)
        for wave, spec in book.waves.items():
            frame = read_export(book.export_path(wave), spec).frame
            code_columns = [c for v, c in spec.columns.items()
                            if v == "code" or v in instrument.code_parts]
            for column in spec.identifiers:
                found |= {v.strip() for v in frame[column] if len(v.strip()) >= 6
                          and v.strip().lower() not in ("anonymous",)}
            if len(code_columns) == 1:
                found |= {v.strip() for v in frame[code_columns[0]] if len(v.strip()) >= 6}
            else:
                joined = frame[code_columns].agg("".join, axis=1)
                found |= {v for v in joined if len(v) >= 6}
    # the normalised forms too
    found |= {re.sub(r"\s+", "", s).upper() for s in found if len(re.sub(r"\s+", "", s)) >= 6}
    return {s for s in found if not s.isdigit()}


def readable_text(path: Path) -> str:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        cells = frame.astype(object).to_numpy().ravel().tolist()
        return "\n".join(map(str, cells)) + " ".join(frame.columns)
    if path.suffix == ".xlsx":  # a zip of XML parts: read every part (exports, branch exports)
        import zipfile

        with zipfile.ZipFile(path) as book:
            return "\n".join(book.read(n).decode("utf-8", errors="ignore")
                             for n in book.namelist())
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    text = path.read_bytes().decode("utf-8", errors="ignore")
    return re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", "", text)


def candidates(text: str) -> set[str]:
    """Every string of the text a secret could be: runs of 1-5 words joined by a space or by
    nothing, e-mail addresses and IP addresses (set intersection beats 3 000 substring
    searches per file)."""
    words = re.findall(r"[^\W_]+", text)
    found = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    found |= set(re.findall(r"\d+\.\d+\.\d+\.\d+", text))
    for n in range(1, 6):
        grams = list(zip(*(words[i:] for i in range(n)), strict=False))
        found |= {" ".join(g) for g in grams} | {"".join(g) for g in grams}
    return found


def test_no_raw_code_or_identifier_under_results(example_run):
    secrets = secrets_of_exports(example_run / "surveys")
    assert len(secrets) > 1000  # names, e-mails, phones, typed codes
    assert {"test@cmq-ici.fr"} <= secrets
    leaks = []
    files = [p for p in sorted((example_run / "results").rglob("*")) if p.is_file()]
    assert len(files) > 50
    for path in files:
        found = candidates(readable_text(path)) & secrets
        if found:
            leaks.append((str(path.relative_to(example_run)), sorted(found)[:3]))
    assert not leaks, leaks[:10]


# --- the published results ------------------------------------------------------------------


def test_linkage_precision_and_recall_on_the_example(example_run):
    made = true_made = true_pairs = 0
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        quality = pd.read_csv(example_run / f"results/panel/{programme}_linkage_quality.csv")
        overall = quality[quality["wave_from"] == "all"].iloc[0]
        print(f"\n{programme}: precision {overall['precision']:.4f}, "
              f"recall {overall['recall']:.4f} ({overall['true_pairs_made']} of "
              f"{overall['true_pairs']} true pairs, {overall['pairs_made']} pairs made)")
        made += overall["pairs_made"]
        true_made += overall["true_pairs_made"]
        true_pairs += overall["true_pairs"]
        assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95
    print(f"campaign: precision {true_made / made:.4f}, recall {true_made / true_pairs:.4f}")


def test_planted_effects_are_recovered(example_run):
    from impact.simulate.recovery import insertion_recovery, recovery_table, truths

    table = pd.read_csv(example_run / "results/indicators/pooled.csv",
                        keep_default_na=False, na_values=[""])
    expected = truths(example_run / "surveys",
                      ["cordee", "semaines_apprenantes", "industrie_transition"])
    changes = recovery_table(table, expected)
    print("\n" + changes.round(3).to_string())
    assert len(changes) >= 20
    assert changes["covered"].all() and changes["sign_ok"].all()
    assert changes["significance_ok"].all()
    rates = insertion_recovery(table, expected)
    print(rates.round(3).to_string())
    shown = rates["estimate"].notna()  # secret statistique may hide a small programme's rates
    assert len(rates) == 8 and shown.sum() >= 4 and rates.loc[shown, "covered"].all()


def _published(example_run) -> pd.DataFrame:
    return contract.read_csv(example_run / "results/indicators/pooled.csv")


def test_every_programme_has_its_headline_rating_and_pomp_rows(example_run):
    table = _published(example_run)
    books = {p: yaml.safe_load((example_run / "surveys" / p / "codebook.yaml").read_text())
             for p in ("cordee", "semaines_apprenantes", "industrie_transition")}
    for programme, book in books.items():
        mine = table[(table["programme"] == programme) & (table["subgroup"] == "all")]
        for outcome in book["design"]["primary_outcomes"]:
            at = mine[mine["measure"] == outcome]
            for indicator in ("headline", "headline_es", "evidence_wwc", "evidence_security"):
                assert (at["indicator"] == indicator).sum() == 1, (programme, outcome,
                                                                   indicator)
            head = at[at["indicator"] == "headline"].iloc[0]
            assert "primary" in head["flag"].split(";")
            assert head[["estimate", "ci_low", "ci_high", "effect_size"]].notna().all()
            if book["design"]["type"] == "pre_post":
                assert "not_causal" in head["flag"]
            else:
                assert head["method"] in ("did_cr2_site", "ancova_cr2_site")
                eq = at[at["indicator"] == "baseline_equivalence"].iloc[0]
                assert eq["method"] == "wwc_hedges_g_analytic_sample"
                assert eq["n"] == head["n"]  # the analytic sample
        # issue 15: POMP change rows promised by the contract, one per scale
        pomp = mine[mine["indicator"] == "mean_change_pomp"]
        assert set(pomp["measure"]) == set(book["scales"]), programme


def test_no_published_effect_size_lacks_a_ci_bound(example_run):
    # every standardised effect of a change or an impact (d_z, g_av, WWC g, Cox index) comes
    # with both CI bounds; the stayers-vs-leavers balance diagnostics (std_diff) are descriptive
    table = _published(example_run)
    shown = table[~table["suppressed"] & table["effect_size"].notna()
                  & table["es_type"].isin(["d_z", "g_av", "g", "cox"])]
    assert len(shown) > 100
    bad = shown[shown[["ci_low", "ci_high"]].isna().any(axis=1)]
    assert bad.empty, bad[["programme", "measure", "indicator", "subgroup", "subgroup_value"]]


def test_insertion_bounds_bracket_every_observed_rate(example_run):
    """Worst case (every non-respondent failed) <= observed rate <= best case, in every cell."""
    table = pd.read_csv(example_run / "results/indicators/pooled.csv",
                        keep_default_na=False, na_values=[""])
    keys = ["programme", "measure", "subgroup", "subgroup_value"]
    rates = table[table["indicator"] == "rate"].dropna(subset=["estimate"]).set_index(keys)
    assert len(rates) > 20
    for kind, holds in (("rate_worst_case", lambda b, r: b <= r + 1e-12),
                        ("rate_best_case", lambda b, r: b >= r - 1e-12)):
        bound = table[table["indicator"] == kind].set_index(keys)["estimate"]
        joined = rates[["estimate"]].join(bound.rename("bound"), how="inner").dropna()
        assert len(joined) >= 20, kind  # a bound on more people may be shown or hidden alone
        assert holds(joined["bound"], joined["estimate"]).all(), kind


def test_datapackage_is_valid_frictionless(example_run):
    from frictionless import Package

    report = Package(example_run / "results/datapackage.json").validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


# ======================================================================== the real report rule


@pytest.fixture(scope="module")
def run(example_run):
    """The whole workflow, report included, on the bundled example campaign (shared run)."""
    return example_run


@pytest.fixture(scope="module")
def html(run):
    text = (run / "results/report/impact_itip.html").read_text(encoding="utf-8")
    return text, BeautifulSoup(text, "html.parser")


@pytest.fixture(scope="module")
def pdf_text(run):
    from impact.report.render import pdf_text

    return pdf_text(run / "results/report/impact_itip.pdf")


@pytest.fixture(scope="module")
def indicators(run):
    paths = sorted((run / "results/indicators").glob("*.csv"))
    return rd.load_indicators(paths)


def test_outputs_exist_and_html_is_self_contained(run, html):
    from impact.report.render import external_references

    report = run / "results/report"
    for stem in DOCUMENTS:
        for ext in ("html", "pdf", "ipynb"):
            assert (report / f"{stem}.{ext}").stat().st_size > 10_000, (stem, ext)
        assert (report / f"{stem}.pdf").read_bytes().startswith(b"%PDF-")
        lang = "en" if stem.endswith("_en") else "fr"
        page = BeautifulSoup((report / f"{stem}.html").read_text(encoding="utf-8"),
                             "html.parser")
        assert page.find("html")["lang"] == lang and page.find("script") is None, stem
    text, soup = html
    assert external_references(text) == [] and soup.find("script") is None
    assert soup.find("html")["lang"] == "fr"
    assert "import " not in text and "notes.table(" not in text  # code hidden
    executed = json.loads((report / "impact_itip.ipynb").read_text(encoding="utf-8"))
    tags = [c["metadata"].get("tags", []) for c in executed["cells"]]
    assert ["injected-parameters"] in tags  # papermill's parameters kept for audit
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    for stem in DOCUMENTS:
        log = (run / f"logs/report_pdf/{stem}.log").read_text(encoding="utf-8")
        assert "wider than the text column" not in log, stem  # no table or figure cut off
        for rule in ("report_html", "report_pdf"):
            assert (run / f"benchmarks/{rule}/{stem}.tsv").is_file(), (rule, stem)


def test_pdf_chapters_and_page_count(run):
    from impact.report.render import pdf_outline, pdf_page_count

    pdf = run / "results/report/impact_itip.pdf"
    outline = [_plain(h) for h in pdf_outline(pdf)]
    for heading in CHAPTERS + ["À retenir", "Tableau de synthèse", "Théorie du changement",
                               "Flux de l'échantillon", "Mesures et fiabilité",
                               "Vue d'ensemble", "Attrition", "Groupe de comparaison"]:
        assert heading in outline, heading
    chapters = [h for h in outline if h in CHAPTERS]
    assert chapters == CHAPTERS  # in this order
    for label in ("Cordée de la Réussite « VRAI »", "Semaines Apprenantes",
                  "L'industrie en Transition"):
        assert label in outline
    # the main report (issue 16): 20 to 28 pages; the technical material is in the annex
    assert 20 <= pdf_page_count(pdf) <= 28, pdf_page_count(pdf)
    for heading in ("Validation des données", "Versions des logiciels", "Empreintes"):
        assert not [h for h in outline if heading in h], heading
    for stem in DOCUMENTS[1:]:
        assert pdf_outline(run / f"results/report/{stem}.pdf"), stem


def _visible_text(soup: BeautifulSoup) -> str:
    soup = BeautifulSoup(str(soup), "html.parser")
    for tag in soup.find_all(["style", "script"]):
        tag.decompose()
    return soup.get_text(" ")


def test_no_decimal_point_in_the_text(html, pdf_text, run):
    _, soup = html
    text = _visible_text(soup)
    assert not [text[max(0, m.start() - 40):m.end() + 20]
                for m in DECIMAL_POINT.finditer(text)]
    alts = [img["alt"] for img in soup.find_all("img")]
    assert not [a for a in alts if DECIMAL_POINT.search(a)]
    body = pdf_text
    assert not [body[max(0, m.start() - 40):m.end() + 20]
                for m in DECIMAL_POINT.finditer(body)]
    assert re.search(r"\d,\d", body) and "< 0,001" in body.replace("\u00a0", " ")


def test_every_exhibit_is_numbered_with_its_four_notes(html):
    from impact.report.notes import exhibits_in

    text, soup = html
    exhibits = soup.find_all("figure", class_="exhibit")
    assert len(exhibits) >= 15
    for kind in ("table", "figure"):
        numbers = [int(e["number"]) for e in exhibits_in(text) if e["kind"] == kind]
        assert numbers == list(range(1, len(numbers) + 1)), kind
    for ex in exhibits:
        for cls in ("note", "lecture", "champ", "source"):
            note = ex.find("p", class_=cls)
            assert note is not None and len(note.get_text(strip=True)) > 15, (ex["id"], cls)
        if ex["data-kind"] == "figure":
            img = ex.find("img")
            assert img["src"].startswith("data:image/") and len(img["alt"]) > 40
        if ex.find(string=SECRET) is not None:
            assert ex.find("p", class_="secret") is not None, ex["id"]


def test_suppressed_cells_read_s(run, html, indicators):
    """Every suppressed subgroup estimate shown in a subgroup table of the main report reads
    « s. » (gender and audience; the schools' and sessions' rows are in the technical
    annex)."""
    _, soup = html
    labels = rd.load_labels(run / "surveys/instrument.yaml", {})
    report_cfg = yaml.safe_load((run / "config/report/report.yaml").read_text())
    for variable, codes in report_cfg.get("value_labels", {}).items():
        labels.codes.setdefault(variable, {}).update(codes)
    secret = indicators[indicators["suppressed"] & (indicators["indicator"] == "g_av")
                        & indicators["subgroup"].isin(["gender", "audience"])]
    assert len(secret) > 0  # the example campaign has suppressed cells
    checked = 0
    for programme, rows in secret.groupby("programme"):
        book = run / f"surveys/{programme}/codebook.yaml"
        plabel = yaml.safe_load(book.read_text())["label"] if book.is_file() else programme
        title = f"Évolution par sous-groupe (taille d'effet) — {plabel}"
        exhibit = next(e for e in soup.find_all("figure", class_="exhibit")
                       if _plain(e.find(class_="exhibit-name").get_text()) == title)
        table = exhibit.find("table")
        heads = [_plain(th.get_text()) for th in table.find("thead").find_all("th")]
        body = {_plain(tr.find_all("td")[0].get_text()):
                [td.get_text() for td in tr.find_all("td")]
                for tr in table.find("tbody").find_all("tr") if tr.find("td")}
        for _, r in rows.iterrows():
            cells = body[labels.value(r["subgroup"], r["subgroup_value"])]
            assert cells[heads.index(labels.measure(r["measure"]))] == SECRET
            checked += 1
        assert exhibit.find("p", class_="secret") is not None
    assert checked == len(secret)
    # and no published table carries an estimate in a suppressed row, nor the n of a row
    # suppressed for its count (a primary n is under the threshold: never published)
    numbers = indicators.loc[indicators["suppressed"], [c for c in contract.NUMERIC
                                                         if c != "n"]]
    assert numbers.isna().all().all()
    # no school or session row in the main report
    assert not [t for t in soup.find_all(class_="exhibit-name")
                if "par établissement" in t.get_text()]
    kept_n = indicators[indicators["suppressed"] & indicators["n"].notna()]
    assert (kept_n["n"] >= 10).all()  # only rates hidden for their numerator keep their n
    assert kept_n["unit"].isin(["proportion", "count"]).all()


def test_disclosure_audit_passes_on_the_example(run, indicators):
    """The audit rule attacked the published tables and found nothing; attacking them again
    here, from the files alone, gives the same verdict; every blank is explained."""
    from impact.report import disclosure_audit as audit

    found = pd.read_csv(run / "results/validation/disclosure_audit.csv")
    assert len(found) > 500 and found["protected"].all()
    published = audit.read_published(sorted((run / "results/indicators").glob("*.csv")))
    fieldwork = audit.read_fieldwork(run / "results/validation/fieldwork.csv")
    attacked = pd.concat([published, fieldwork], ignore_index=True)
    again = audit.findings_frame(attacked, audit.attack(attacked, threshold=10,
                                                         protection=8))
    assert again["protected"].all() and len(again) == len(found)
    counts = again[again["quantity"] == "n"]
    primary = counts[counts["suppression"] == "primary"]
    # a primary count: anywhere in 1 … 9 for the reader; a secondary one: ≥ 8 wide
    assert (primary["low"] <= 1 + 1e-9).all() and (primary["high"] >= 9 - 1e-9).all()
    assert (counts["width"] >= 8 - 1e-9).all()
    # the status column explains every blank estimate, and only blanks are suppressed
    status = published["suppression"]
    assert set(status) == {"shown", "primary", "secondary"}
    assert (published["suppressed"] == (status != "shown")).all()
    # the data package documents the field and its codes
    package = json.loads((run / "results/datapackage.json").read_text(encoding="utf-8"))
    field = next(f for f in package["resources"][0]["schema"]["fields"]
                 if f["name"] == "suppression")
    assert set(field["constraints"]["enum"]) == {"shown", "primary", "secondary"}
    # the summary agrees with everything attacked: the indicator tables and the fieldwork
    summary = pd.read_csv(run / "results/validation/disclosure_summary.csv")
    for column in ("shown", "primary", "secondary"):
        assert summary[column].sum() == (attacked["suppression"] == column).sum()


def test_report_quotes_the_published_suppression_counts(html, indicators):
    """The method paragraph's counts are those of the published tables."""
    text, _ = html
    plain = BeautifulSoup(text, "html.parser").get_text(" ")
    plain = re.sub(r"\s+", " ", plain.replace("\u202f", " ").replace("\u00a0", " "))
    pooled = indicators.drop_duplicates(contract.KEY)
    status = pooled["suppression"].value_counts()

    def french(k: int) -> str:
        return f"{k:,}".replace(",", " ")

    sentence = (f"Sur {french(len(pooled))} résultats, {french(status['primary'])} relèvent du "
                f"secret primaire et {french(status['secondary'])} du secret secondaire")
    assert sentence in plain


def test_provenance_hashes_every_export(run):
    record = json.loads((run / "results/provenance.json").read_text(encoding="utf-8"))
    config = yaml.safe_load((run / "config/config.yaml").read_text())
    exports = {e["path"]: e for e in record["inputs"] if e["role"] == "export"}
    expected = 0
    for programme, spec in config["programmes"].items():
        book = yaml.safe_load((run / f"surveys/{programme}/codebook.yaml").read_text())
        for wave in spec["waves"]:
            path = f"surveys/{programme}/{book['waves'][wave]['file']}"
            entry = exports[path]
            digest = hashlib.sha256((run / path).read_bytes()).hexdigest()
            assert entry["sha256"] == digest == entry["ingest_sha256"]
            report = json.loads((run / f"results/interim/{programme}/{wave}.json").read_text())
            assert report["sha256"] == digest
            expected += 1
    assert len(exports) == expected == 8
    roles = {e["role"] for e in record["inputs"]}
    assert {"codebook", "instrument", "config", "simulation", "table"} <= roles
    for e in record["inputs"] + record["outputs"]:
        assert e["sha256"] == hashlib.sha256((run / e["path"]).read_bytes()).hexdigest()
    assert record["mismatches"] == []
    assert record["git"]["commit"] is None and record["git"]["note"]  # scratch copy: no git
    seed = yaml.safe_load((run / "surveys/simulation.yaml").read_text())["seed"]
    assert record["synthetic"] is True and record["simulation_seed"] == seed
    assert record["pseudonym_key"] == "demo"
    assert record["packages"]["weasyprint"] and record["python"]
    assert record["started_at"] <= record["finished_at"]
    assert {Path(e["path"]).name for e in record["outputs"]} == {
        f"{stem}.{ext}" for stem in DOCUMENTS for ext in ("html", "pdf", "ipynb")}
    assert set(record["pages"]) == set(DOCUMENTS)


def test_synthetic_data_banner(html, pdf_text):
    _, soup = html
    banner = soup.select_one(".cover .demo-banner")
    assert banner is not None and DEMO in banner.get_text().lower()
    sources = [p.get_text() for p in soup.find_all("p", class_="source")]
    assert sources and all(DEMO in s for s in sources)
    assert DEMO in pdf_text.lower()


def test_links_to_the_technical_annex(run, html):
    """The main report links to the annex of its language, relative within results/report/
    (the Data Docs link moved to the annex with the validation detail)."""
    from pypdf import PdfReader

    for main, annex in (("impact_itip", "impact_itip_annexe_technique"),
                        ("impact_itip_en", "impact_itip_technical_annex_en")):
        soup = BeautifulSoup((run / f"results/report/{main}.html").read_text(encoding="utf-8"),
                             "html.parser")
        links = [a["href"] for a in soup.find_all("a", href=True)]
        assert f"{annex}.html" in links, main
        assert (run / f"results/report/{annex}.html").is_file()
        # the PDF keeps the link relative: an absolute file:// URI would name the build
        # machine's directories and differ between two runs of the same data
        pages = PdfReader(run / f"results/report/{main}.pdf").pages
        actions = [annot.get_object().get("/A", {}) for page in pages
                   for annot in page.get("/Annots") or []]
        uris = [action["/URI"] for action in actions if "/URI" in action]
        assert f"{annex}.html" in uris, main
        assert not [u for u in uris if u.startswith("file:") or str(run) in u], uris


def test_insertion_section_follows_the_tables(indicators, html):
    _, soup = html
    titles = [_plain(t.get_text()) for t in soup.find_all(class_="exhibit-name")]
    if rd.insertion_rates(indicators, rd.Labels()).empty:
        assert "pas d'indicateur d'insertion" in soup.get_text()
    else:
        assert "Situation des demandeurs d'emploi à l'enquête de suivi" in titles


def test_without_insertion_rows_the_notebook_says_so(run, tmp_path):
    """The template runs on tables without any insertion row (papermill only, no PDF)."""
    from impact.report.render import execute_notebook
    from impact.report_stage import kernel_name

    tables = []
    for path in sorted((run / "results/indicators").glob("*.csv")):
        table = contract.read_csv(path)
        table = table[~table["measure"].isin(list(rd.insertion_definitions())
                                             + ["followup", "situation"])]
        contract.write_csv(table, tmp_path / path.name)
        tables.append(str(tmp_path / path.name))
    executed = execute_notebook(
        run / "workflow/notebooks/impact_itip.ipynb", tmp_path / "out.ipynb",
        {"indicator_tables": [t for t in tables if not t.endswith("pooled.csv")],
         "pooled_table": str(tmp_path / "pooled.csv"), "report_date": "2026-11-29"},
        kernel_name=kernel_name(), cwd=run, timeout=300)
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    outputs = json.dumps([c.get("outputs", []) for c in cells], ensure_ascii=False)
    assert "pas d'indicateur d'insertion" in outputs
    assert "Situation des demandeurs d'emploi" not in outputs


def test_editing_the_template_reruns_only_the_report(run):
    template = run / "workflow/notebooks/impact_itip.ipynb"
    original = template.read_bytes()
    try:
        nb = json.loads(original)
        nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["Ajout."]})
        template.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
        dry = snakemake(run, "--dry-run")
        assert dry.returncode == 0, dry.stderr[-3000:]
        stats = re.search(r"Job stats:\n(.*?)\n\n", dry.stdout + dry.stderr, re.S).group(1)
        jobs = {line.split()[0] for line in stats.splitlines()[2:] if line.strip()}
        # the two editions of the main report (HTML, then PDF) and the provenance record
        assert jobs == {"report_html", "report_pdf", "provenance", "all", "total"}, stats
        counts = {line.split()[0]: int(line.split()[1])
                  for line in stats.splitlines()[2:] if line.strip()}
        assert counts["report_html"] == counts["report_pdf"] == 2, stats
    finally:
        template.write_bytes(original)
        shutil.copystat(run / "Snakefile", template)  # nothing newer than before


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-").replace("−", "-").replace(",", "."))


def test_every_estimate_the_text_quotes_is_a_shown_cell_of_the_published_tables(html,
                                                                                indicators):
    """Secret statistique in the prose: every « taille d'effet X [L ; H], n = N » and every
    « X points [L ; H] (n = N) » the main report's text quotes is a published row that is
    shown — same estimate, interval and n to the printed precision. A hidden cell could only
    be quoted by deriving it (the tables hold blanks), and a derived number matches no row."""
    _, soup = html
    text = " ".join(_visible_text(soup).split()).replace("\u202f", " ").replace("\xa0", " ")
    number = r"[−-]?\d+(?:,\d+)?"
    quoted = re.findall(rf"taille d.effet ({number}) \[({number}) ; ({number})\], n = (\d[\d ]*)",
                        text)
    quoted += [(x, lo, hi, n) for x, lo, hi, n in re.findall(
        rf"soit ({number}) points? \[({number}) ; ({number})\] \(n = (\d[\d ]*)\)", text)]
    assert len(quoted) >= 8, quoted  # the À retenir messages and results paragraphs
    shown = indicators[~indicators["suppressed"] & indicators["n"].notna()]
    raw = [(int(r.n), v, lo, hi) for r in shown.itertuples()
           for v, lo, hi in ((r.estimate, r.ci_low, r.ci_high),  # effect sizes
                             (r.estimate * 100, r.ci_low * 100, r.ci_high * 100))  # points
           if pd.notna(v) and pd.notna(lo) and pd.notna(hi)]
    cells, cells_1 = ({(n, round(v, d), round(lo, d), round(hi, d)) for n, v, lo, hi in raw}
                      for d in (2, 1))
    for x, lo, hi, n in quoted:
        key = (int(n.replace(" ", "")), _number(x), _number(lo), _number(hi))
        assert key in cells or key in cells_1, (x, lo, hi, n)


# ======================================================================== cli-check


def test_impact_check_reads_what_the_workflow_ingested(example_run):
    """`impact check` on the run's surveys/: every wave would ingest, with the rows, encoding
    and separator the workflow's ingest reports (results/interim/<programme>/<wave>.json)."""
    from impact.toolkit.check import check_campaign

    config = yaml.safe_load((example_run / "config" / "config.yaml").read_text("utf-8"))
    waves = {p: spec["waves"] for p, spec in config["programmes"].items()}
    result = check_campaign(example_run / "surveys", waves,
                            config["validation"]["test_markers"])
    assert result.ok, result.summary()
    checked = {(p.programme, w.wave): w for p in result.programmes for w in p.waves}
    assert len(checked) == sum(len(w) for w in waves.values())
    for (programme, wave), found in checked.items():
        report = json.loads((example_run / "results" / "interim" / programme /
                             f"{wave}.json").read_text(encoding="utf-8"))
        assert (found.rows, found.encoding, found.delimiter, found.tool) == (
            report["rows_read"], report["encoding"], report["delimiter"], report["tool"])
        assert sorted(c.variable for c in found.columns) == report["columns_mapped"]
# --- deploy: French validation summary pages, one version everywhere -------------------------


def test_validation_summary_pages(example_run):
    """Every export has its French page; verdicts follow the row accounting (the example's
    exports all have quarantined rows and balance); counts read back; links resolve; every
    check of the real suites is described in French; no script, no external resource."""
    from impact.checks.summary_page import CHECK_FAMILIES, SUCCESS_SET_ASIDE, family

    index = example_run / "results/validation/synthese.html"
    soup = BeautifulSoup(index.read_text(encoding="utf-8"), "html.parser")
    rows = soup.find("table").tbody.find_all("tr")
    accountings = sorted((example_run / "results/validation").glob("*/*/accounting.json"))
    assert len(rows) == len(accountings) == 8
    for tr in rows:
        cells = [td.get_text() for td in tr.find_all("td")]
        page = (index.parent / tr.a["href"]).resolve()
        entry = json.loads((page.parent / "accounting.json").read_text(encoding="utf-8"))
        assert entry["read"] == entry["kept"] + entry["quarantined"] + entry["excluded"]
        assert entry["quarantined"] > 0 and cells[1] == SUCCESS_SET_ASIDE
        numbers = [int(c.replace("\u202f", "")) for c in cells[2:]]
        assert numbers == [entry[k] for k in ("read", "kept", "quarantined", "excluded")]
        text = page.read_text(encoding="utf-8")
        links = [a["href"] for a in BeautifulSoup(text, "html.parser").find_all("a")]
        assert len(links) == 2 and all((page.parent / h).is_file() for h in links)
        assert any("data_docs/validations/" in h for h in links)
        assert "<script" not in text and "http" not in text and "<link" not in text
        checks = pd.read_csv(page.parent / "checks.csv", dtype=str)
        assert set(checks["check"].map(family)) <= set(CHECK_FAMILIES)


def test_one_version_in_citation_package_and_report(example_run):
    import tomllib

    from tests.workflow_support import REPO

    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["version"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    provenance = json.loads((example_run / "results/provenance.json").read_text("utf-8"))
    notebook = (example_run / "results/report/impact_itip.ipynb").read_text(encoding="utf-8")
    assert str(citation["version"]) == version == provenance["packages"]["impact-itip"]
    assert f'pipeline_version = \\"{version}\\"' in notebook
# ======================================================================== exports


def test_exports_are_written_and_read_back(example_run):
    """The export rules' files, read back and compared with the published tables and the
    panels they come from (details in tests/test_exports.py)."""
    import pyreadstat
    from openpyxl import load_workbook

    from impact.toolkit.exports import secret_mask

    run = example_run
    package = json.loads((run / "results/datapackage.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in package["resources"] if r.get("format") == "csv"]
    book = load_workbook(run / "results/exports/impact_itip_tableaux.xlsx", read_only=True)
    assert book.sheetnames == ["Lisez-moi", *names]
    for resource in (r for r in package["resources"] if r["name"] in names):
        raw = pd.read_csv(run / "results" / resource["path"], dtype=str,
                          keep_default_na=False)
        hidden = raw["suppression"].isin(["primary", "secondary"])
        rows = list(book[resource["name"]].iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(raw)
        cells = pd.DataFrame(rows, columns=raw.columns)
        secret = cells == "s."
        # « s. » in suppressed rows only: every blanked number there, n when it is blank
        assert not secret[~hidden].any().any()
        assert secret.loc[hidden, "estimate"].all()
        assert (secret["n"] == (hidden & (raw["n"] == ""))).all()
        assert secret.to_numpy().sum() == secret_mask(contract.read_csv(
            run / "results" / resource["path"])).to_numpy().sum()
        shown = ~hidden & (raw["estimate"] != "")
        assert (cells.loc[shown, "estimate"].astype(float)
                == raw.loc[shown, "estimate"].astype(float)).all()
        french = pd.read_csv(run / f"results/exports/csv_fr/{resource['name']}.csv", sep=";",
                             decimal=",", encoding="utf-8-sig", dtype=str,
                             keep_default_na=False)
        assert ((french == "s.") == secret).all().all()
        assert (french.loc[shown, "estimate"].str.replace(",", ".")
                == raw.loc[shown, "estimate"]).all()
        print(f"\n{resource['name']}: {len(raw)} rows, {int(secret.to_numpy().sum())} « s. »")
    dictionary = load_workbook(run / "results/exports/dictionnaire_des_donnees.xlsx",
                               read_only=True)
    described = pd.DataFrame(list(dictionary["Variables"].iter_rows(min_row=2,
                                                                    values_only=True)))
    for programme in ("cordee", "semaines_apprenantes", "industrie_transition"):
        panel = pd.read_parquet(run / f"restricted/panel/{programme}.parquet")
        assert not {"code", "code_hash", "code_mother", "code_month", "code_town"} & \
            set(panel.columns)
        assert described[described[0] == programme][2].tolist() == list(panel.columns)
        schema = json.loads((run / f"results/exports/panel_{programme}.schema.json")
                            .read_text(encoding="utf-8"))
        assert [f["name"] for f in schema["fields"]] == list(panel.columns)
        exported = pd.read_parquet(run / f"restricted/exports/{programme}.parquet")
        pd.testing.assert_frame_equal(exported, panel)
        for ext, reader in (("dta", pyreadstat.read_dta), ("sav", pyreadstat.read_sav)):
            data, meta = reader(str(run / f"restricted/exports/{programme}.{ext}"))
            assert list(data.columns) == list(panel.columns) and len(data) == len(panel)
            assert data["respondent_id"].tolist() == panel["respondent_id"].tolist()
            item = next(c for c in panel.columns if c.endswith("_1"))
            assert (data[item].fillna(-1) == panel[item].astype(float).fillna(-1)).all()
            assert all(meta.column_names_to_labels.values())
            assert set(meta.variable_value_labels[item]) >= set(panel[item].dropna().unique())
    assert (run / "logs/export_tables/export_tables.log").is_file()
# --------------------------------------------------------------------------- typo-i18n
# French typography of the real report, and its tables in English.

_BLOCKS = ["p", "li", "td", "th", "h1", "h2", "h3", "h4", "figcaption", "caption", "dt", "dd",
           "title"]


def test_typeset_report_has_no_typography_violation(html, run):
    """typeset_html on the real French report: idempotent, tags and attributes byte for byte
    the same, and no violation left in the text of any block (BeautifulSoup's reading,
    verbatim elements left out; a cell holding a lone punctuation mark — a CSV delimiter — is
    data, not prose)."""
    from impact.report.typography import count_violations, typeset_html

    text, _ = html
    out = typeset_html(text, "fr")
    assert typeset_html(out, "fr") == out
    tag = re.compile(r"<[^>]*>")
    assert tag.findall(out) == tag.findall(text)
    soup = BeautifulSoup(out, "html.parser")
    for el in soup.find_all(["pre", "code", "script", "style"]):
        el.decompose()
    left: dict[str, list[str]] = {}
    blocks = [el.get_text("") for el in soup.find_all(_BLOCKS)]
    assert len(blocks) > 500
    for block in blocks:
        if re.fullmatch(r"\W", block.strip()):
            continue
        for kind, n in count_violations(block, "fr").items():
            if n:
                left.setdefault(kind, []).append(block[:80])
    assert not left, left
    assert out == text  # the workflow wrote it typeset already
    # the counter sees what typesetting fixed: the template's prose as the researcher typed it
    notebook = json.loads((run / "results/report/impact_itip.ipynb").read_text("utf-8"))
    typed = " ".join("".join(c["source"]) for c in notebook["cells"]
                     if c["cell_type"] == "markdown")
    before = count_violations(typed, "fr")
    assert before["straight_apostrophe"] > 100 and before["space_before_colon"] > 20


def test_every_document_renders_without_notebook_warnings(run):
    """Warnings printed inside the kernels (a message missing from the catalogue, a French
    label without English wording) reach the rules' logs: on the example there is none."""
    logs = sorted((run / "logs" / "report_html").glob("*.log"))
    assert len(logs) == 4
    said = {log.name: [line for line in log.read_text(encoding="utf-8").splitlines()
                       if "notebook cell" in line or "no en translation" in line
                       or "no English wording" in line] for log in logs}
    assert not {name: lines for name, lines in said.items() if lines}


def test_report_tables_in_english(run, indicators):
    """The table helpers and notes on the real indicator tables, in English: English labels
    from the instrument, headers from the catalogue, English numbers."""
    from impact.report import notes
    from impact.report.i18n import use_language
    from impact.report.typography import count_violations, typeset

    books = {p.parent.name: p for p in sorted((run / "surveys").glob("*/codebook.yaml"))}
    programmes = list(books)
    with use_language("en"):
        labels = rd.load_labels(run / "surveys/instrument.yaml", books)
        head = rd.headline_table(indicators, labels, programmes)
        rel = rd.reliability_table(indicators, labels, 0.7)
        notes.reset_numbering()
        ex = notes.table(head, title="Headline", lecture="L", champ="C", source="S")
        page = ex.to_html()
    notes.reset_numbering()
    assert len(head) > 0 and len(rel) > 0
    assert "Image of industry" in set(rel["Échelle"])  # French column names, English cells
    soup = BeautifulSoup(page, "html.parser")
    headers = [th.get_text() for th in soup.find_all("th", scope="col")]
    assert headers[:3] == ["Programme", "Primary outcome", "Estimate"]
    assert soup.find("span", class_="exhibit-label").get_text() == "Table 1"
    cells = [td.get_text() for td in soup.find_all("td")]
    assert not [c for c in cells if re.search(r"\d,\d{1,2}(?!\d)", c)]  # no decimal comma
    assert any(re.search(r"\d\.\d\d", c) for c in cells)
    raw = count_violations(" ".join(cells), "en")
    assert raw["space_before_percent"] == 0 and raw["space_before_punctuation"] == 0
    # quotes (« VRAI » in a programme's name, "industry's") are typeset_html's job
    assert set(count_violations(typeset(" ".join(cells), "en"), "en").values()) == {0}
@pytest.mark.parametrize("stem", ["impact_itip", "impact_itip_annexe_technique"])
def test_pdf_text_has_no_typography_violation(run, stem):
    """The French PDFs as a reader gets them (text extracted with pypdf, which keeps the
    no-break spaces): no violation of any kind — running titles and data cells included."""
    from impact.report.render import pdf_text
    from impact.report.typography import count_violations

    text = pdf_text(run / f"results/report/{stem}.pdf")
    assert len(text) > 20_000
    left = {kind: n for kind, n in count_violations(text, "fr").items() if n}
    assert not left, left


# ------------------------------------------------------------------ report-annex
# The layout of the rendered PDFs (impact.report.pdf_layout) and the technical annex.

REPORT_PDFS = ["results/report/impact_itip.pdf",
               "results/report/impact_itip_annexe_technique.pdf"]


@pytest.mark.parametrize("pdf", REPORT_PDFS)
def test_pdf_pages_are_filled_and_tables_split_cleanly(example_run, pdf):
    """No page under a third full but the last page of a part (a part starts at a top-level
    bookmark, one per h1); every table continued on the next page repeats its header and
    leaves at least three body rows on each page."""
    from impact.report import pdf_layout

    path = example_run / pdf
    fills, segments = pdf_layout.analyse(path)
    assert len(fills) >= 3 and len(pdf_layout.part_starts(path)) >= 2
    assert [(p.page, p.fill) for p in fills if p.fill < 1 / 3 and not p.last_of_part] == []
    assert segments, "no exhibit table found in the PDF"
    assert [why for _, why in pdf_layout.bad_splits(pdf_layout.table_splits(segments))] == []


def test_technical_annex_holds_its_sections_and_every_exhibit_its_notes(example_run):
    """The annex (French) has the sections the main report points to, its figures are SVG,
    its checksums are whole 64-digit words, and it names the main report by a relative link."""
    page = (example_run / "results/report/impact_itip_annexe_technique.html").read_text(
        encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    headings = [_plain(h.get_text(" ", strip=True)) for h in soup.find_all(["h1", "h2"])]
    for section in ["Données : fichiers, contrôles, appariement", "Fichiers lus",
                    "Comptage des réponses", "Contrôles de validation",
                    "Appariement des vagues", "Suivi du terrain", "Résultats détaillés",
                    "Réponses aux items", "Établissements et sessions",
                    "Correction pour tests multiples", "Traçabilité",
                    "Versions des logiciels", "Empreintes des fichiers d'entrée",
                    "Configuration de l'exécution"]:
        assert any(h.startswith(section) for h in headings), (section, headings)
    assert not any(h.startswith(("Data: files", "Traceability")) for h in headings)  # en cells
    exhibits = soup.select("figure.exhibit")
    assert len(exhibits) >= 12
    for ex in exhibits:
        for note in ("lecture", "champ", "source"):
            assert ex.select_one(f".exhibit-notes p.{note}"), (ex.get("id"), note)
    imgs = soup.select("img.exhibit-img")
    assert imgs and all(i["src"].startswith("data:image/svg+xml") for i in imgs)
    hashes = [td.get_text() for td in soup.select("td.hash")]
    provenance = json.loads((example_run / "results/provenance.json").read_text("utf-8"))
    assert hashes == [e["sha256"] for e in provenance["inputs"]]
    assert soup.find("a", href="impact_itip.html")
    assert provenance["platform"] not in page  # the kernel string is summarised
# ======================================================================== report-main
# The main report (issue 16): vocabulary, « À retenir », references, sommaire, metadata, the
# English edition.

IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def _identifiers(node: object, out: set[str]) -> set[str]:
    """Every snake_case name in a YAML document (keys and string values): the instrument's
    and codebooks' variable names, codes and outcome codes."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and IDENTIFIER.match(k):
                out.add(k)
            _identifiers(v, out)
    elif isinstance(node, list):
        for v in node:
            _identifiers(v, out)
    elif isinstance(node, str) and IDENTIFIER.match(node):
        out.add(node)
    return out


def _main_text(run: Path, stem: str = "impact_itip") -> str:
    soup = BeautifulSoup((run / f"results/report/{stem}.html").read_text(encoding="utf-8"),
                         "html.parser")
    return _visible_text(soup)


def test_main_report_speaks_the_readers_vocabulary(run, pdf_text):
    names = _identifiers(yaml.safe_load((run / "surveys/instrument.yaml").read_text()), set())
    for book in sorted(run.glob("surveys/*/codebook.yaml")):
        _identifiers(yaml.safe_load(book.read_text(encoding="utf-8")), names)
    assert {"image_3", "interest_2", "emploi_durable", "self_efficacy"} <= names  # the probe
    code_words = ["g_av", "d_z", "Great Expectations", "papermill", "pandas", "statsmodels",
                  "Snakemake", "impact.report", "quarantaine", "datapackage"]
    path = re.compile(r"[\w<>-]+/[\w<>./-]+\.(?:csv|ya?ml|json|parquet|ipynb|md)\b"
                      r"|\b(?:surveys|results|restricted|config)/")
    for stem in ("impact_itip", "impact_itip_en"):
        text = _main_text(run, stem)
        words = set(re.findall(r"[A-Za-z0-9_]+", text))
        assert not sorted(names & words), stem
        assert not [w for w in code_words if w.lower() in text.lower()], stem
        assert not path.findall(text), (stem, path.findall(text)[:5])
        assert "·" not in text  # inclusive writing without point médian
    assert not sorted(names & set(re.findall(r"[A-Za-z0-9_]+", pdf_text)))
    assert "taille d'effet (g de Hedges)" in _main_text(run).replace("’", "'")
    assert "collégiennes et collégiens" in _main_text(run)


def test_a_retenir_answers_each_evaluation_question(html):
    _, soup = html
    context = next(h for h in soup.find_all("h1")
                   if h.get_text(strip=True).startswith("Contexte"))
    questions = next(el for el in context.find_all_next("ol"))
    n_questions = len(questions.find_all("li", recursive=False))
    assert n_questions == 6
    messages = soup.select(".key-messages ol > li")
    assert len(messages) == n_questions
    texts = [m.get_text(" ", strip=True) for m in messages]
    assert all(len(t) > 60 for t in texts)
    # the design's headline estimate with its evidence rating and n; what does not hold up
    assert "niveau de preuve" in texts[0] and re.search(r"n\s?=\s?\d", texts[0])
    assert "groupe de comparaison" in texts[3]
    assert "ont répondu" in texts[4]  # employment rates with the response rate behind them
    assert "What Works Clearinghouse" in texts[5]
    # summary table: one row per programme × primary outcome (the published headline rows)
    summary = next(e for e in soup.find_all("figure", class_="exhibit")
                   if e.find(class_="exhibit-name").get_text().startswith("Résumé"))
    rows = [tr for tr in summary.find("tbody").find_all("tr") if tr.find("td")]
    assert len(rows) >= 3


def test_every_reference_cited_is_listed(run):
    from impact.report.document import cited_works

    config = yaml.safe_load((run / "config/report/report.yaml").read_text(encoding="utf-8"))
    for stem in ("impact_itip", "impact_itip_en"):
        text = _main_text(run, stem)
        heading = "Références" if stem == "impact_itip" else "References"
        body, _, listed = text.rpartition(f" {heading} ")
        cited = cited_works(body)
        assert {"Lakens 2013", "Hedges 1981", "Cohen 1988"} <= cited, cited
        for work in cited:
            author, year = work.rsplit(" ", 1)
            first = author.split()[0]
            assert re.search(rf"{re.escape(first)}[^\n]{{0,80}}\({year}\)", listed), work
            assert work in config["references"], work


def test_sommaire_links_every_chapter_with_its_page(run, html, pdf_text):
    _, soup = html
    toc = soup.select_one("nav.toc")
    links = {_plain(a.get_text(strip=True)): a["href"] for a in toc.find_all("a")}
    for chapter in CHAPTERS:
        assert chapter in links, chapter
        assert soup.find(id=links[chapter][1:]) is not None
    # in the PDF, each chapter of the sommaire is followed by its page number
    first = pdf_text[:pdf_text.find("Synthèse", pdf_text.find("Sommaire") + 8) + 400]
    assert re.search(r"Synthèse[ .\u2026]*\d", first.replace("\n", " ")), first[:600]


def test_pdf_metadata_and_cover(run, html):
    from impact.report.render import pdf_metadata

    config = yaml.safe_load((run / "config/config.yaml").read_text(encoding="utf-8"))
    meta = pdf_metadata(run / "results/report/impact_itip.pdf")
    assert meta["Subject"] == config["report"]["subject"]
    assert all(k in meta["Keywords"] for k in config["report"]["keywords"])
    _, soup = html
    cover = soup.select_one(".cover")
    report_cfg = yaml.safe_load((run / "config/report/report.yaml").read_text())
    assert report_cfg["authors"][0] in cover.get_text()
    assert "Pour citer ce document" in cover.get_text()


def test_english_edition_has_the_same_exhibits(run, html):
    _, soup = html
    en = BeautifulSoup((run / "results/report/impact_itip_en.html").read_text(encoding="utf-8"),
                       "html.parser")
    heads = [h.get_text(strip=True) for h in en.find_all("h1")]
    assert "Summary" in heads and "Synthèse" not in heads
    assert "Key messages" in [h.get_text(strip=True) for h in en.find_all("h2")]
    assert len(en.find_all("figure", class_="exhibit")) == len(
        soup.find_all("figure", class_="exhibit"))
    assert len(en.select(".key-messages ol > li")) == 6
# ================================================================== review (branch review)


def test_review_workbook_and_published_fieldwork(example_run):
    """The review workbook is written to restricted/ with its decision sheets; the published
    fieldwork table counts kept rows per declared site and wave, shows no count under the
    threshold, and its totals equal the row accounting's kept rows."""
    from openpyxl import load_workbook

    from impact.toolkit import review as rv

    book = load_workbook(example_run / "restricted/review/review_workbook.xlsx", read_only=True)
    assert {rv.QUARANTINE, rv.DUPLICATES, rv.LINK_SHEET, rv.FIELDWORK} <= set(book.sheetnames)
    quarantined = sum(len(pd.read_csv(p)) for p in
                      (example_run / "restricted/validation").glob("*/*/quarantine.csv"))
    assert book[rv.QUARANTINE].max_row - 1 == quarantined
    assert not (example_run / "results/review").exists()
    table = pd.read_csv(example_run / "results/validation/fieldwork.csv")
    accounting = pd.read_csv(example_run / "results/validation/row_accounting.csv")
    kept = accounting[(accounting["outcome"] == "kept") & accounting["reason"].isna()]
    totals = table[table["site_code"] == "all"].merge(kept, on=["programme", "wave"])
    assert len(totals) == len(kept) and (totals["respondents"] == totals["rows"]).all()
    threshold = yaml.safe_load((example_run / "config/config.yaml").read_text(
        encoding="utf-8"))["analysis"]["disclosure_threshold"]
    shown = table[table["suppression"] == "shown"]
    assert ((shown["respondents"] == 0) | (shown["respondents"] >= threshold)).all()
    assert table.loc[table["suppression"] != "shown", "respondents"].isna().all()
    for programme in table["programme"].unique():
        sites = yaml.safe_load((example_run / "surveys" / programme / "sites.yaml").read_text(
            encoding="utf-8"))["sites"]
        mine = table[(table["programme"] == programme) & (table["site_code"] != "all")]
        assert set(mine["site_code"]) == {s["code"] for s in sites}


# ======================================================================== last: re-runs some rules


def _digests(root: Path) -> dict[str, str]:
    """sha256 of every file under results/ and restricted/, by path relative to ``root``."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for zone in ("results", "restricted") for p in sorted((root / zone).rglob("*"))
            if p.is_file()}


#: Rules the clean re-run leaves out, for time: the report's jobs (re-executed in place below)
#: and the exports (read back against their sources in their own tests).
LATE_RULES = ["report_inputs", "report_html", "export_tables", "export_panel",
              "data_dictionary"]


def test_rerun_is_byte_identical(example_run, tmp_path_factory):
    """A second clean run, in another directory, writes the same bytes in every file under
    results/ and restricted/ (GX stores and Data Docs, validation pages, panel, indicator
    tables, the audit, the review workbook); the French main report's job, re-executed in
    place, writes the same notebook and HTML (docs/reproducibility.md)."""
    from tests.workflow_support import scratch_repo

    again = scratch_repo(tmp_path_factory.mktemp("rerun") / "repo")
    done = snakemake(again, "--omit-from", *LATE_RULES)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    first, second = _digests(example_run), _digests(again)
    assert set(second) < set(first)
    assert len(second) > 150 and any(p.startswith("restricted/validation/gx/") for p in second)
    assert "restricted/review/review_workbook.xlsx" in second
    if not os.environ.get("SOURCE_DATE_EPOCH"):  # no run time in any file or directory name
        assert not [p for p in first if re.search(r"20\d\d[01]\d[0-3]\dT\d{6}", p)]
    differ = sorted(p for p in second if first[p] != second[p])
    assert not differ, differ
    report = ["results/report/impact_itip.html", "results/report/impact_itip.ipynb"]
    before = {p: (example_run / p).read_bytes() for p in report}
    done = snakemake(example_run, "--forcerun", "report_html", "--", report[0])
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert {p: (example_run / p).read_bytes() for p in report} == before
    print(f"\n{len(second)} files compared, byte-identical; the report's HTML too")
