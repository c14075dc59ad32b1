"""Layout checks on a rendered report PDF: page fill and table splits.

Read with ``pdfplumber`` (the page's characters, rules and images, positions in points from
the top of the page) and ``pypdf`` (the outline):

- **Page fill** (:func:`page_fills`): for each page, the fraction of the text block's height
  down to which something is drawn, ``(lowest content − block top) / block height``; the text
  block is the page less the margins of ``report.css`` (running header and footer excluded).
  :func:`underfilled_pages` lists the pages under a third full, except the last page of a
  part — a page followed by the start of a part (a top-level heading of the PDF outline, one
  per ``h1``) or the last page of the document.
- **Table splits** (:func:`table_splits`): the rules of ``report.css``'s exhibit tables tell
  where a table is on a page — a thick rule (≥ 0,75 pt) above and below the header row and
  under the last row, a thin one under every other row. A table segment ending on a thin rule
  continues on the next page; :func:`bad_splits` lists the splits leaving fewer than three
  body rows on a page, or without the header repeated at the top of the continuation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MM",
    "analyse",
    "PageFill",
    "Segment",
    "Split",
    "bad_splits",
    "page_fills",
    "part_starts",
    "table_segments",
    "table_splits",
    "underfilled_pages",
]

MM = 72 / 25.4  # points per millimetre
#: Page margins of report.css (@page: 24 mm top, 22 mm bottom), in points.
TOP_MARGIN, BOTTOM_MARGIN = 24 * MM, 22 * MM
THICK = 0.75  # a rule at least this wide (pt) is a table's top, header or bottom rule


@dataclass(frozen=True)
class PageFill:
    page: int  # 1-based
    fill: float  # fraction of the text block's height used
    last_of_part: bool


@dataclass(frozen=True)
class Segment:
    """The part of one table drawn on one page."""

    page: int  # 1-based
    top: float
    bottom: float
    header: bool  # starts with the header row (two thick rules)
    body_rows: int
    complete_end: bool  # ends on the thick rule under the last row


@dataclass(frozen=True)
class Split:
    """A table continued from ``before.page`` onto ``after.page``."""

    before: Segment
    after: Segment


def part_starts(pdf_path: str | Path) -> set[int]:
    """1-based pages where a part starts: the targets of the outline's top-level entries."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf_path))
    starts = set()
    for entry in reader.outline:
        if isinstance(entry, list):  # children of the previous entry
            continue
        number = reader.get_destination_page_number(entry)
        if number is not None:
            starts.add(number + 1)
    return starts


def _block(page, top_margin: float, bottom_margin: float) -> tuple[float, float]:
    return top_margin, float(page.height) - bottom_margin


def _content_bottom(page, top: float, bottom: float) -> float | None:
    """Lowest point drawn inside the text block (characters, rules, shapes, images)."""
    lows = [float(o["bottom"]) for kind in ("chars", "lines", "rects", "curves", "images")
            for o in getattr(page, kind)
            if float(o["top"]) >= top - 1 and float(o["bottom"]) <= bottom + 1]
    return max(lows) if lows else None


def page_fills(pdf_path: str | Path, *, top_margin: float = TOP_MARGIN,
               bottom_margin: float = BOTTOM_MARGIN) -> list[PageFill]:
    """The fill of every page, and whether it is the last page of a part."""
    return analyse(pdf_path, top_margin=top_margin, bottom_margin=bottom_margin)[0]


def analyse(pdf_path: str | Path, *, top_margin: float = TOP_MARGIN,
            bottom_margin: float = BOTTOM_MARGIN, max_row_gap: float = 250.0,
            min_width: float = 100.0) -> tuple[list[PageFill], list[Segment]]:
    """:func:`page_fills` and :func:`table_segments` in one reading of the PDF (parsing the
    pages, vector figures included, is nearly all the time)."""
    import pdfplumber

    starts = part_starts(pdf_path)
    fills, segments = [], []
    with pdfplumber.open(str(pdf_path)) as pdf:
        n = len(pdf.pages)
        for i, page in enumerate(pdf.pages, start=1):
            top, bottom = _block(page, top_margin, bottom_margin)
            low = _content_bottom(page, top, bottom)
            fill = 0.0 if low is None else max(0.0, (low - top) / (bottom - top))
            fills.append(PageFill(page=i, fill=round(min(fill, 1.0), 3),
                                  last_of_part=(i == n or (i + 1) in starts)))
            segments += _page_segments(page, i, max_row_gap, min_width)
            page.close()  # drop the parsed objects: the annex has 34 pages of figures
    return fills, segments


def underfilled_pages(pdf_path: str | Path, minimum: float = 1 / 3,
                      **margins: float) -> list[PageFill]:
    """Pages under ``minimum`` full that are not the last page of a part."""
    return [p for p in page_fills(pdf_path, **margins)
            if p.fill < minimum and not p.last_of_part]


def _rules(page, min_width: float) -> list[tuple[float, float, float, float]]:
    """Horizontal rules as (y, x0, x1, line width), cell borders at one height merged."""
    segs = [(round(float(o["top"]) * 2) / 2, float(o["x0"]), float(o["x1"]),
             float(o.get("linewidth") or 0)) for o in page.lines
            if abs(float(o["top"]) - float(o["bottom"])) < 0.5]
    segs += [(round((float(o["top"]) + float(o["bottom"])) / 2 * 2) / 2, float(o["x0"]),
              float(o["x1"]), float(o["bottom"]) - float(o["top"])) for o in page.rects
             if float(o["bottom"]) - float(o["top"]) <= 2 and o.get("fill")]
    by_y: dict[float, list[tuple[float, float, float]]] = {}
    for y, x0, x1, w in segs:
        by_y.setdefault(y, []).append((x0, x1, w))
    rules = []
    for y, parts in sorted(by_y.items()):
        x0, x1 = min(p[0] for p in parts), max(p[1] for p in parts)
        if x1 - x0 >= min_width:
            rules.append((y, x0, x1, max(p[2] for p in parts)))
    return rules


def _ended(run: list[tuple[float, float, float, float]]) -> bool:
    """A run of rules is a finished table once a thick rule follows its header (or its
    first rule, for a continuation drawn without one)."""
    start = 2 if len(run) >= 2 and run[0][3] >= THICK and run[1][3] >= THICK else 1
    return len(run) > start and run[-1][3] >= THICK


def _text_between(chars: list, top: float, bottom: float, x0: float, x1: float) -> bool:
    return any(top < (float(c["top"]) + float(c["bottom"])) / 2 < bottom
               and x0 - 1 <= float(c["x0"]) <= x1 + 1 for c in chars)


def table_segments(pdf_path: str | Path, *, max_row_gap: float = 250.0,
                   min_width: float = 100.0) -> list[Segment]:
    """Every table segment of every page, top to bottom: runs of rules with the same left
    and right ends (± 2 pt), each within ``max_row_gap`` of the previous one (a tall row of
    wrapped cells) with text between them (a table row; the report's figures draw their
    text as paths, so their lines never make a table), a run ending at the thick rule under
    a table's last row."""
    return analyse(pdf_path, max_row_gap=max_row_gap, min_width=min_width)[1]


def _page_segments(page, number: int, max_row_gap: float, min_width: float) -> list[Segment]:
    runs: list[list[tuple[float, float, float, float]]] = []
    chars = page.chars
    for rule in _rules(page, min_width):
        last = runs[-1][-1] if runs else None
        if (last is not None and not _ended(runs[-1])
                and abs(rule[1] - last[1]) <= 2 and abs(rule[2] - last[2]) <= 2
                and rule[0] - last[0] <= max_row_gap
                and _text_between(chars, last[0], rule[0], rule[1], rule[2])):
            runs[-1].append(rule)
        else:
            runs.append([rule])
    out = []
    for run in runs:
        if len(run) < 2:
            continue
        thick = [r[3] >= THICK for r in run]
        header = thick[0] and thick[1]
        body = len(run) - (2 if header else 0)
        out.append(Segment(page=number, top=run[0][0], bottom=run[-1][0], header=header,
                           body_rows=body, complete_end=thick[-1] and body > 0))
    return out


def table_splits(segments: Iterable[Segment] | str | Path) -> list[Split]:
    """Tables continued on the next page: a segment not ending on the last row's thick rule,
    the last on its page, followed by the first segment of the next page."""
    segs = (table_segments(segments) if isinstance(segments, str | Path)
            else list(segments))
    by_page: dict[int, list[Segment]] = {}
    for s in segs:
        by_page.setdefault(s.page, []).append(s)
    splits = []
    for page, on_page in sorted(by_page.items()):
        last = on_page[-1]
        nxt = by_page.get(page + 1)
        if not last.complete_end and nxt:
            splits.append(Split(before=last, after=nxt[0]))
    return splits


def bad_splits(splits: Sequence[Split], min_rows: int = 3) -> list[tuple[Split, str]]:
    """The splits that leave fewer than ``min_rows`` body rows on either page, or whose
    continuation does not repeat the header, with the reason in words."""
    bad = []
    for s in splits:
        if s.before.body_rows < min_rows:
            bad.append((s, f"page {s.before.page}: {s.before.body_rows} row(s) before the "
                           "break"))
        if s.after.body_rows < min_rows:
            bad.append((s, f"page {s.after.page}: {s.after.body_rows} row(s) after the "
                           "break"))
        if not s.after.header:
            bad.append((s, f"page {s.after.page}: header not repeated"))
    return bad
