"""The théorie du changement (logic model) of each programme, drawn: three columns of boxes —
activities → expected effects → what the questionnaire measures — with arrows between them.

One panel per programme, stacked, in one figure of the text's width: the reader compares the
programmes at a glance, and the figure stays under half an A4 page for three programmes. The
arrows join columns, not boxes: the configuration (``logic_models`` in
``config/report/report.yaml``) says which activities, expected effects and measures a
programme has, not which activity leads to which effect, so drawing box-to-box links would
claim more than it says.

Every text is wrapped to its box by measuring it in the figure's font (:func:`_fit`), so no
label is ever clipped whatever its length, and typeset in the edition's language
(:func:`impact.report.typography.typeset`: curly apostrophes, French spaces). Like every
builder of :mod:`impact.report.figures`, which re-exports it, :func:`logic_model` returns
``(fig, alt)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.patches import FancyBboxPatch

from impact.report.figure_style import FIG_WIDTH, OKABE_ITO, STYLE, blend, new_figure, wrap
from impact.report.formatting import lower_first
from impact.report.i18n import N_, current_language
from impact.report.i18n import gettext as _
from impact.report.typography import typeset

__all__ = ["COLUMNS", "logic_model"]

#: (key of a model, column heading, Okabe–Ito hue) from left to right.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("activities", N_("Activités"), "blue"),
    ("intermediate", N_("Effets attendus"), "orange"),
    ("measured", N_("Mesuré par"), "bluish_green"),
)

FONT = "DejaVu Sans"
BOX_PT = 7.5  # box text: the smallest size readable in print
HEAD_PT = 8.5  # column headings and programme names
SPACING = 1.15  # line spacing of box text, in font sizes
LINE = BOX_PT * SPACING / 72  # inches per line of box text
ARROW_GAP = 0.3  # inches between two columns, where the arrow is
PAD_X, PAD_Y = 0.07, 0.026  # inches of a box's inner margin
BOX_GAP = 0.028  # inches between two boxes of a column
HEADINGS_H = 0.19  # the row of column headings
NAME_H = 0.18  # a programme's name above its boxes
BAND_GAP = 0.07  # below a programme's boxes
MIN_COLUMN, MAX_COLUMN, WIDTH_STEP = 1.4, 2.4, 0.05  # inches: column widths tried (_widths)


@cache
def _font(weight: str) -> FT2Font:
    font = FT2Font(findfont(FontProperties(family=FONT, weight=weight)))
    font.set_size(100, 72)
    return font


@cache
def _advance(char: str, weight: str) -> float:
    """Advance width of ``char`` in :data:`FONT`, in points per point of font size."""
    return _font(weight).load_char(ord(char)).linearHoriAdvance / 65536 / 100


def _width_in(text: str, size: float, weight: str = "normal") -> float:
    """Width of one line of ``text`` in inches: the sum of its glyphs' advances (kerning,
    which only tightens DejaVu Sans, is left out: the estimate errs on the wide side)."""
    return size * sum(_advance(c, weight) for c in text) / 72


@cache
def _fit(text: str, width: float, size: float = BOX_PT, weight: str = "normal") -> str:
    """``text`` broken at its spaces into lines no wider than ``width`` inches, each line as long
    as fits (measured, not a guessed number of characters); a word wider than the box on its
    own is cut by :func:`~impact.report.figure_style.wrap`."""
    lines: list[str] = []
    for word in text.split(" "):  # never at a no-break space (« n = 12 », « VRAI »)
        if not word:
            continue
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and _width_in(joined, size, weight) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    out = []
    for line in lines:
        if _width_in(line, size, weight) <= width:
            out.append(line)
            continue
        chars = len(line)
        while chars > 1 and any(_width_in(x, size, weight) > width
                                for x in wrap(line, chars).split("\n")):
            chars -= 1
        out.append(wrap(line, chars))
    return "\n".join(out)


def _widths(bands: Sequence[Sequence[Sequence[str]]], room: float) -> tuple[float, ...]:
    """Widths of the three columns, summing to ``room``, that make the figure shortest (ties:
    the most even), each between :data:`MIN_COLUMN` and :data:`MAX_COLUMN`: a column of long
    labels gets the room that saves it a line of text."""
    grid = [MIN_COLUMN + WIDTH_STEP * k
            for k in range(int((room - 3 * MIN_COLUMN) / WIDTH_STEP + 1e-9) + 1)]

    @cache
    def heights(col: int, w: float) -> tuple[float, ...]:
        return tuple(_column_height([_fit(t, round(w - 2 * PAD_X, 4)) for t in band[col]])
                     for band in bands)

    best: tuple[float, float, tuple[float, ...]] | None = None
    for w0 in grid:
        for w1 in grid:
            w2 = round(room - w0 - w1, 4)
            if w2 < MIN_COLUMN - 1e-9:
                break
            if max(w0, w1, w2) > MAX_COLUMN + 1e-9:  # no column dwarfs the others
                continue
            ws = (round(w0, 4), round(w1, 4), w2)
            columns = [heights(c, w) for c, w in enumerate(ws)]
            total = sum(max(h) for h in zip(*columns, strict=True))
            key = (round(total, 6), round(max(ws) - min(ws), 6), ws)
            if best is None or key < best:
                best = key
    if best is None:  # too narrow a figure for the minimum: three equal columns
        return (room / 3,) * 3
    return best[2]


def _display(text: str, lang: str) -> str:
    """A box's text: capitalised (the config writes items in lower case), typeset."""
    text = str(text).strip()
    return typeset(text[:1].upper() + text[1:], lang)


def _column_height(texts: Sequence[str]) -> float:
    return sum(_box_height(t) for t in texts) + BOX_GAP * max(len(texts) - 1, 0)


def _box_height(text: str) -> float:
    return 2 * PAD_Y + LINE * (text.count("\n") + 1)


def _box(ax, x: float, y_top: float, w: float, text: str, hue: str) -> float:
    """A rounded box of width ``w`` whose top edge is at ``y_top`` (inches), its text centred;
    returns its height."""
    h = _box_height(text)
    colour = OKABE_ITO[hue]
    ax.add_patch(FancyBboxPatch((x, y_top - h), w, h,
                                boxstyle="round,pad=0,rounding_size=0.04",
                                fc=blend(colour, 0.82), ec=colour, lw=0.9))
    ax.text(x + w / 2, y_top - h / 2, text, ha="center", va="center", ma="center",
            fontsize=BOX_PT, linespacing=SPACING, color="black")
    return h


def _arrow(ax, x0: float, x1: float, y: float) -> None:
    ax.annotate("", xy=(x1, y), xytext=(x0, y),
                arrowprops={"arrowstyle": "-|>", "lw": 1.1, "color": "#333333",
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 10})


def _alt(models: Sequence[Mapping], lang: str) -> str:
    parts = [_("Théorie du changement de chaque programme, en trois colonnes reliées par des "
               "flèches : activités, effets attendus, et mesures du questionnaire.")]
    for m in models:
        lists = {key: ", ".join(lower_first(str(x).strip()) for x in m.get(key, []))
                 for key, _head, _hue in COLUMNS}
        parts.append(_("{programme} — activités : {activities} ; effets attendus : "
                       "{intermediate} ; mesuré par : {measured}.").format(
            programme=m["programme"], **{k: v or "–" for k, v in lists.items()}))
    return typeset(" ".join(parts), lang)


def logic_model(models: Sequence[Mapping[str, object]], *,
                width: float = FIG_WIDTH) -> tuple[Figure, str]:
    """The logic models of the programmes, one stacked panel each, and the text alternative
    that lists, for every programme, its three columns.

    ``models``: one mapping per programme, in the order drawn, with ``programme`` (its
    reader's name) and the lists ``activities``, ``intermediate`` (expected effects) and
    ``measured`` (the reader's labels of the measures), in the edition's language — see
    :func:`impact.report.synthesis.logic_models`. An empty column is left blank (its arrows
    are not drawn).
    """
    if not models:
        raise ValueError("logic_model: no programme to draw")
    lang = current_language()
    texts = [[[_display(t, lang) for t in m.get(key, [])] for key, _head, _hue in COLUMNS]
             for m in models]
    widths = _widths(texts, width - ARROW_GAP * (len(COLUMNS) - 1))
    xs = [sum(widths[:i]) + ARROW_GAP * i for i in range(len(COLUMNS))]
    bands = []
    for m, band in zip(models, texts, strict=True):
        cols = [[_fit(t, round(w - 2 * PAD_X, 4)) for t in col]
                for col, w in zip(band, widths, strict=True)]
        name = _fit(typeset(str(m["programme"]), lang), width, HEAD_PT, "bold")
        boxes_h = max(_column_height(c) for c in cols)
        bands.append((name, cols, boxes_h, NAME_H + LINE * name.count("\n")))
    height = HEADINGS_H + sum(name_h + boxes_h + BAND_GAP for _n, _c, boxes_h, name_h in bands)

    fig = new_figure(width, height, constrained=False)
    with mpl.rc_context(STYLE):
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(-0.02, width + 0.02)  # box borders at the edges stay visible
        ax.set_ylim(0, height)
        ax.set_axis_off()
        for x, w, (_key, head, _hue) in zip(xs, widths, COLUMNS, strict=True):
            ax.text(x + w / 2, height - 0.03, _fit(typeset(_(head), lang), w, HEAD_PT, "bold"),
                    ha="center", va="top", fontsize=HEAD_PT, fontweight="bold")
        top = height - HEADINGS_H
        for i, (name, cols, boxes_h, name_h) in enumerate(bands):
            if i:
                ax.plot([0, width], [top + BAND_GAP / 2] * 2, color="#DDDDDD", lw=0.6)
            ax.text(0, top, name, ha="left", va="top", fontsize=HEAD_PT, fontweight="bold",
                    linespacing=1.2)
            area_top = top - name_h
            mid = area_top - boxes_h / 2
            for x, w, col, (_key, _head, hue) in zip(xs, widths, cols, COLUMNS, strict=True):
                y = mid + _column_height(col) / 2  # each column centred on the panel
                for text in col:
                    y -= _box(ax, x, y, w, text, hue) + BOX_GAP
            for j in range(len(COLUMNS) - 1):
                if cols[j] and cols[j + 1]:
                    _arrow(ax, xs[j] + widths[j] + 0.04, xs[j + 1] - 0.04, mid)
            top = area_top - boxes_h - BAND_GAP
    return fig, _alt(models, lang)
