"""Exhibits (notes.py) and the real report chain: papermill → nbconvert HTML → WeasyPrint PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from impact.report import notes
from impact.report.formatting import SECRET
from impact.report.render import (
    execute_notebook,
    external_references,
    html_to_pdf,
    notebook_to_html,
    pdf_alt_texts,
    pdf_outline,
    pdf_page_count,
    pdf_text,
    render_report,
)

# WeasyPrint falls back on fontTools when the system lacks libharfbuzz-subset, and says so.
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

DATA = Path(__file__).parent / "data"
NOTES = dict(lecture="Lire ainsi.", champ="Tous les répondants.", source="Enquête test.")


# ------------------------------------------------------------------ exhibits


@pytest.fixture(autouse=True)
def _fresh_numbering():
    notes.reset_numbering()
    notes.configure(secret_threshold=None)
    yield
    notes.reset_numbering()


def test_table_exhibit_structure_and_numbering():
    df = pd.DataFrame({"Programme": ["A", "B"], "Effectif": ["412", SECRET],
                       "Note": ["<b>x</b>", "y"]})
    notes.configure(secret_threshold=10)
    t1 = notes.table(df, title="Premier", **NOTES)
    t2 = notes.table(df.iloc[:1], title="Second", **NOTES)
    soup = BeautifulSoup(t2._repr_html_(), "html.parser")
    fig = soup.find("figure", class_="exhibit")
    assert fig["data-kind"] == "table" and fig["data-number"] == "2" and fig["id"] == "tableau-2"
    assert t1.label == "Tableau 1" and t2.label == "Tableau 2"
    assert soup.find("span", class_="exhibit-label").text == "Tableau 2"
    for cls in ("lecture", "champ", "source"):
        assert soup.find("p", class_=cls) is not None
    assert soup.find("p", class_="lecture").text == "Lecture\u00a0: Lire ainsi."
    assert soup.find("p", class_="secret") is None  # no « s. » in the second table
    soup1 = BeautifulSoup(t1.to_html(), "html.parser")
    secret = soup1.find("p", class_="secret").text
    assert secret.startswith("s. : secret statistique — secret primaire (effectif inférieur "
                             "à 10, ou proportion")
    assert "ou secondaire" in secret  # both kinds read « s. », one footnote says so
    assert "<b>x</b>" not in t1.to_html()  # cells are escaped
    assert [td.get("class") for td in soup1.find_all("td")][:3] == [None, ["num"], None]
    assert soup1.find_all("th")[1].get("class") == ["num"]


def test_exhibit_labels_reuse_their_number():
    df = pd.DataFrame({"a": ["1"]})
    a = notes.table(df, title="A", label="flux", **NOTES)
    notes.table(df, title="B", **NOTES)
    again = notes.table(df, title="A", label="flux", **NOTES)
    assert a.number == again.number == 1
    assert notes.table(df, title="C", **NOTES).number == 3


def test_notes_and_alt_are_required():
    df = pd.DataFrame({"a": ["1"]})
    with pytest.raises(ValueError, match="lecture"):
        notes.table(df, title="T", lecture=" ", champ="c", source="s")
    with pytest.raises(TypeError):
        notes.figure(b"\x89PNG\r\n\x1a\n", title="T", **NOTES)  # alt missing
    with pytest.raises(ValueError, match="alt"):
        notes.figure(b"\x89PNG\r\n\x1a\n", "", title="T", **NOTES)


def test_figure_exhibit_embeds_image_with_alt():
    from impact.report import figures

    frame = pd.DataFrame({"programme": ["p", "p"], "measure": ["m1", "m2"],
                          "effect_size": [0.3, 0.5], "ci_low": [0.1, 0.2],
                          "ci_high": [0.5, 0.8], "suppressed": [False, True]})
    ex = notes.figure(*figures.forest_plot(frame), title="Effets", **NOTES)
    soup = BeautifulSoup(ex.to_html(), "html.parser")
    img = soup.find("img")
    assert img["src"].startswith("data:image/svg+xml;base64,")  # vector by default
    # the image keeps the figure's physical width (a 200-dpi PNG too, not twice it)
    fig = figures.forest_plot(frame)[0]
    assert img["style"] == f"width: {fig.get_figwidth():.2f}in"
    assert img["alt"].startswith("Graphique en forêt")
    assert soup.find("figure")["data-kind"] == "figure" and ex.label == "Figure 1"
    assert soup.find("p", class_="secret") is not None  # the figure has a « s. »
    png = notes.figure(fig, "Un graphique.", fmt="png", title="Effets", secret=False, **NOTES)
    assert 'src="data:image/png;base64,' in png.to_html()
    assert f'style="width: {fig.get_figwidth():.2f}in"' in png.to_html()
    assert 'alt="Un graphique."' in png.to_html()


# ------------------------------------------------------------------ real report chain


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    return "impact-itip" if "impact-itip" in KernelSpecManager().find_kernel_specs() \
        else "python3"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    executed = execute_notebook(DATA / "mini_report.ipynb", out / "mini_report.ipynb",
                                {"disclosure_threshold": 10}, kernel_name=_kernel_name(),
                                cwd=out, timeout=120)
    result = render_report(executed, out / "impact_itip.html", out / "impact_itip.pdf",
                           title="Impact ITIP — test")
    html = result.html.read_text(encoding="utf-8")
    return result, html, BeautifulSoup(html, "html.parser")


def test_html_is_self_contained(report):
    _, html, soup = report
    assert not re.search(r'<script[^>]*src="http', html, re.I)
    assert not re.search(r'<link[^>]*href="http', html, re.I)
    assert soup.find("script") is None and soup.find("link") is None
    assert external_references(html) == []
    assert soup.find("html")["lang"] == "fr"
    assert soup.find("style") is not None  # report.css inlined


def test_code_is_hidden(report):
    _, html, soup = report
    for code in ("import", "fmt_table(", "notes.table(", "disclosure_threshold =",
                 "warnings.warn"):
        assert code not in html
    assert "In&nbsp;[" not in html and "Out[" not in html
    assert "must not reach the report" not in html  # stderr dropped
    assert soup.find("h1").get_text(strip=True) == "Synthèse"


def test_every_exhibit_has_its_notes_and_figures_have_alt(report):
    _, _, soup = report
    exhibits = soup.find_all("figure", class_="exhibit")
    assert [(e["data-kind"], e["data-number"]) for e in exhibits] == [
        ("table", "1"), ("figure", "1")]
    for ex in exhibits:
        for cls in ("lecture", "champ", "source"):
            p = ex.find("p", class_=cls)
            assert p is not None and len(p.get_text(strip=True)) > 10
        assert ex.find("p", class_="secret") is not None  # both have « s. » cells
    imgs = soup.find_all("img")
    assert imgs and all(img.get("alt", "").strip() for img in imgs)
    assert all(img["src"].startswith("data:") for img in imgs)
    table = exhibits[0].find("table")
    last_row = [td.get_text() for td in table.find_all("tr")[-1].find_all("td")]
    assert last_row[0] == "Semaines Apprenantes" and set(last_row[2:]) == {SECRET}


def test_pdf_is_written(report):
    result, _, _ = report
    assert result.pdf.exists() and result.pdf.read_bytes().startswith(b"%PDF-")
    assert result.pages >= 1 and pdf_page_count(result.pdf) == result.pages
    assert "Synthèse" in pdf_outline(result.pdf) == result.outline
    alts = pdf_alt_texts(result.pdf)  # tagged PDF: the figure's alt text is in the PDF too
    assert any(a.startswith("Graphique en forêt") for a in alts)


def test_pdf_text(report):
    result, _, _ = report
    try:
        text = pdf_text(result.pdf)
    except RuntimeError as exc:  # neither pypdf nor pdftotext on this machine
        pytest.skip(str(exc))
    assert "Synthèse" in text
    assert "Tableau 1" in text and "Figure 1" in text
    assert "secret statistique" in text


def test_pdf_is_reproducible(report, tmp_path):
    result, html, _ = report
    html_to_pdf(html, tmp_path / "again.pdf", base_url=tmp_path)
    assert (tmp_path / "again.pdf").read_bytes() == result.pdf.read_bytes()


# ------------------------------------------------------------------ offline guarantees


def test_external_references_detected():
    page = ('<img src="https://cdn.example.org/a.png"><link rel="stylesheet" '
            'href="http://x.org/s.css"><style>@import "https://f.org/x.css"; '
            'p { background: url(//x.org/i.png) }</style><a href="https://ok.org">ok</a>'
            '<img src="data:image/png;base64,AAAA">')
    assert external_references(page) == [
        "https://cdn.example.org/a.png", "http://x.org/s.css", "https://f.org/x.css",
        "//x.org/i.png"]


def test_weasyprint_never_fetches_the_network(tmp_path):
    page = '<html><body><h1>T</h1><img alt="x" src="http://192.0.2.1/never.png"></body></html>'
    with pytest.raises(ValueError, match="external resources"):
        html_to_pdf(page, tmp_path / "x.pdf")


def test_notebook_to_html_rejects_external_resources(tmp_path):
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell('# T\n\n<img alt="x" src="https://e.org/a.png">')])
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="external resources"):
        notebook_to_html(path)


def test_pdf_reader_on_nested_headings(tmp_path):
    page = ("<html lang='fr'><body><h1>Synthèse</h1><p>a</p><h2>Détail « 1 »</h2>"
            "<h1 style='break-before: page'>Résultats</h1><p>b</p></body></html>")
    pages, outline = html_to_pdf(page, tmp_path / "n.pdf")
    assert outline == ["Synthèse", "Détail « 1 »", "Résultats"]
    assert pdf_outline(tmp_path / "n.pdf") == outline
    assert pdf_page_count(tmp_path / "n.pdf") == pages == 2
