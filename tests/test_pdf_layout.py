"""impact.report.pdf_layout on tiny PDFs made with WeasyPrint and the report's stylesheet:
the checks find the faults they are meant to find, and report.css avoids them."""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint

from impact.report import pdf_layout as L
from impact.report.render import DEFAULT_CSS

CSS = DEFAULT_CSS.read_text(encoding="utf-8")
#: report.css without its page-layout section (the rules these checks are about)
OLD_CSS = CSS.split("/* " + "-" * 66 + " page layout")[0]


def _pdf(tmp_path: Path, body: str, css: str = CSS, name: str = "t.pdf") -> Path:
    out = tmp_path / name
    weasyprint.HTML(string=f"<html><head><style>{css}</style></head><body>{body}</body></html>"
                    ).write_pdf(str(out))
    return out


def _table(n_rows: int) -> str:
    rows = "".join(f"<tr><td>ligne {i}</td><td class='num'>{i}</td></tr>" for i in range(n_rows))
    return ('<figure class="exhibit" data-kind="table"><figcaption class="exhibit-title">'
            'Tableau 1</figcaption><div class="exhibit-body"><table class="exhibit-table">'
            '<thead><tr><th>Nom</th><th class="num">Valeur</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div></figure>")


def _spacer(mm: float) -> str:
    return f'<div style="height: {mm}mm"></div>'


def test_segments_count_the_header_and_body_rows_of_a_long_table(tmp_path):
    pdf = _pdf(tmp_path, "<h1>Partie</h1>" + _table(80))
    segs = L.table_segments(pdf)
    assert [s.page for s in segs] == [1, 2, 3][:len(segs)]
    assert len(segs) >= 2
    assert all(s.header for s in segs)  # thead repeated on every page
    assert sum(s.body_rows for s in segs) == 80
    assert not segs[0].complete_end and segs[-1].complete_end
    splits = L.table_splits(segs)
    assert len(splits) == len(segs) - 1
    assert L.bad_splits(splits) == []


def test_a_table_that_fits_is_one_complete_segment(tmp_path):
    segs = L.table_segments(_pdf(tmp_path, "<h1>Partie</h1>" + _table(5)))
    assert len(segs) == 1 and segs[0].header and segs[0].complete_end
    assert segs[0].body_rows == 5
    assert L.table_splits(segs) == []


@pytest.mark.parametrize("n_rows,pad", [(4, 204), (8, 180), (8, 186)])
def test_without_the_layout_rules_a_table_leaves_an_orphan_row_and_the_check_says_so(
        tmp_path, n_rows, pad):
    old = L.bad_splits(L.table_splits(
        _pdf(tmp_path, "<h1>Partie</h1>" + _spacer(pad) + _table(n_rows), OLD_CSS, "old.pdf")))
    assert old, "the unstyled table should break with fewer than three rows on a page"
    assert any("row(s)" in why for _, why in old)
    new = L.bad_splits(L.table_splits(
        _pdf(tmp_path, "<h1>Partie</h1>" + _spacer(pad) + _table(n_rows), CSS, "new.pdf")))
    assert new == []


def test_a_missing_header_on_the_continuation_is_reported():
    before = L.Segment(page=1, top=100, bottom=760, header=True, body_rows=30,
                       complete_end=False)
    after = L.Segment(page=2, top=70, bottom=200, header=False, body_rows=5,
                      complete_end=True)
    reasons = [why for _, why in L.bad_splits(L.table_splits([before, after]))]
    assert reasons == ["page 2: header not repeated"]


def test_page_fill_flags_a_short_page_inside_a_part_but_not_the_last_page_of_a_part(tmp_path):
    body = ("<h1>Partie A</h1><p>Une ligne.</p>"
            '<div style="break-before: page"></div>' + _spacer(150) + "<p>Suite.</p>"
            "<h1>Partie B</h1><p>Court.</p>")
    pdf = _pdf(tmp_path, body)
    assert L.part_starts(pdf) == {1, 3}
    fills = L.page_fills(pdf)
    assert [f.page for f in fills] == [1, 2, 3]
    # page 1: one heading and one line at the top of a 247 mm text block
    assert fills[0].fill < 0.15 and not fills[0].last_of_part
    # page 2: content down to ~150 mm + a line
    assert 0.55 < fills[1].fill < 0.75 and fills[1].last_of_part
    assert fills[2].last_of_part  # last page of the document
    assert [p.page for p in L.underfilled_pages(pdf)] == [1]


def test_the_horizontal_lines_of_a_figure_are_not_a_table(tmp_path):
    """A chart's gridlines look like table rules, but no text lies between them (figures
    draw their text as paths); a table beside it is still found."""
    import base64

    lines = "".join(f'<line x1="0" x2="400" y1="{y}" y2="{y}" stroke="black" '
                    f'stroke-width="{1.2 if y in (10, 30) else 0.5}"/>'
                    for y in range(10, 200, 20))
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="210">{lines}</svg>'
    img = ('<img style="width: 150mm" src="data:image/svg+xml;base64,'
           f'{base64.b64encode(svg.encode()).decode()}">')
    segs = L.table_segments(_pdf(tmp_path, "<h1>Partie</h1>" + img + _table(4)))
    assert [(s.header, s.body_rows, s.complete_end) for s in segs] == [(True, 4, True)]
