"""The look shared by every report figure: palette, rcParams, French axis numbers, output.

- **Palette**: Okabe, M. & Ito, K. (2008). *Color Universal Design (CUD): how to make figures
  and presentations that are friendly to colorblind people* (https://jfly.uni-koeln.de/color/);
  recommended by Wong, B. (2011), Points of view: Color blindness, *Nature Methods* 8, 441.
  Series also differ by marker shape, so figures survive greyscale printing.
- **French numbers on axes**: :class:`FrenchFormatter` (a matplotlib ``Formatter`` built on
  :mod:`impact.report.formatting`; ``axes.formatter.use_locale`` depends on the OS locale and
  is not reliable): decimal comma, U+202F groups, U+2212 minus, « 25 % » — or the English
  edition's « 0.25 », « 25% » (it follows :func:`impact.report.i18n.use_language`).
- **Determinism**: fixed rcParams (:data:`STYLE`, applied while building AND while saving),
  matplotlib's bundled DejaVu Sans, SVG text as paths, ``svg.hashsalt`` fixed and no date in
  the SVG metadata, no Software/date chunk in the PNG: the same data give byte-identical files.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import ticker
from matplotlib.figure import Figure

from impact.report.formatting import fmt_number, symbols
from impact.report.i18n import SOURCE_LANGUAGE, current_language

__all__ = ["FIG_WIDTH", "OKABE_ITO", "STYLE", "FrenchFormatter", "drawn", "to_png", "to_svg"]

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Order for categorical series (yellow last: weak contrast on white).
SERIES_COLOURS = [OKABE_ITO[k] for k in (
    "blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue", "black",
    "yellow")]
MARKERS = ["o", "s", "D", "^", "v", "P", "X", "*"]
NEUTRAL_GREY = "#BBBBBB"
TEXT_GREY = "#555555"

FIG_WIDTH = 6.3  # inches: A4 text width (170 mm) minus a little

STYLE: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "text.usetex": False,
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "axes.prop_cycle": cycler(color=SERIES_COLOURS),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
    "axes.formatter.use_locale": False,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.4,
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.dpi": 200,
    "savefig.facecolor": "white",
    "savefig.bbox": None,
    "svg.fonttype": "path",
    "svg.hashsalt": "impact-itip",
    "svg.image_inline": True,
    "path.simplify": True,
    "legend.frameon": False,
}


# --------------------------------------------------------------------------- output


def to_svg(fig: Figure) -> str:
    """The figure as SVG text, byte-identical across runs for the same data."""
    buf = io.StringIO()
    with mpl.rc_context(STYLE):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def to_png(fig: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG bytes (no Software/date metadata)."""
    buf = io.BytesIO()
    with mpl.rc_context(STYLE):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# --------------------------------------------------------------------------- axis formatter


class FrenchFormatter(ticker.Formatter):
    """Tick labels in French: ``0,25``, ``1 000``, ``−0,5``, or ``25 %`` (``percent=True``,
    values are proportions). ``decimals=None`` picks the fewest decimals that show every tick
    exactly; ``absolute=True`` drops the sign (diverging bars: both sides are shares)."""

    def __init__(self, decimals: int | None = None, percent: bool = False,
                 absolute: bool = False):
        self.decimals = decimals
        self.percent = percent
        self.absolute = absolute
        self._auto = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        if self.decimals is None:
            vals = np.asarray(locs, dtype=float) * (100 if self.percent else 1)
            vals = vals[np.isfinite(vals)]
            self._auto = next(
                (n for n in range(7) if np.allclose(vals, np.round(vals, n), atol=1e-9)), 6)

    def __call__(self, x: float, pos: int | None = None) -> str:
        n = self._auto if self.decimals is None else self.decimals
        v = abs(x) if self.absolute else x
        if self.percent:
            return fmt_number(v * 100, n) + symbols().percent_suffix
        return fmt_number(v, n)


# --------------------------------------------------------------------------- helpers


def drawn(text: str) -> str:
    """``text`` as a figure prints it: as written in French; in another language with that
    language's punctuation (a French proper name keeps its words but not its « » quotes,
    which read “ ” in English: :func:`impact.report.typography.typeset`)."""
    lang = current_language()
    if lang == SOURCE_LANGUAGE:
        return text
    from impact.report.typography import typeset

    return typeset(text, lang)


def require_columns(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}")


def suppressed_mask(df: pd.DataFrame) -> np.ndarray:
    if "suppressed" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df["suppressed"].astype("boolean").fillna(True).to_numpy(dtype=bool)


def blend(hex_colour: str, t: float) -> str:
    """Mix a colour with white (t = 0: the colour, 1: white): light fills of the palette's
    hues."""
    rgb = np.array(mpl.colors.to_rgb(hex_colour))
    return mpl.colors.to_hex(rgb + (1 - rgb) * t)


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width)) or str(text)


def new_figure(width: float, height: float, constrained: bool = True) -> Figure:
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained" if constrained else None)
    fig.impact_secret = False  # type: ignore[attr-defined]
    return fig


def freeze_layout(fig: Figure) -> Figure:
    """Run the constrained layout once and fix the axes where it put them, so that every
    later save draws exactly the same thing (the layout engine otherwise moves things by a
    hair between draws, which changes the SVG's clip-path ids)."""
    with mpl.rc_context(STYLE):
        fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def row_positions(rows: Sequence[tuple[str, bool]]) -> list[float]:
    """Centre y of each (label, is_header) row, top to bottom: one unit per row plus 0.55 per
    extra line of a wrapped label, and a 0.4 gap before every header but the first."""
    ys, y = [], 0.0
    for i, (label, header) in enumerate(rows):
        if header and i:
            y -= 0.4
        h = 1 + 0.55 * label.count("\n")
        ys.append(y - h / 2)
        y -= h
    return ys


def label_rows(ax, ys: Sequence[float], rows: Sequence[tuple[str, bool]]) -> None:
    """y tick labels, headers in bold, no left spine."""
    ax.set_yticks(list(ys), [label for label, _ in rows])
    for tick, (_, header) in zip(ax.get_yticklabels(), rows, strict=True):
        if header:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)


