"""Figures of site effects: the funnel plot (many sites) and the caterpillar plot (few).

Both read the rows of :func:`impact.report.tables.funnel_frame` (published cells only: a
suppressed cell is not in the frame, so neither figure can show it); builders return
``(fig, alt)`` like every builder of :mod:`impact.report.figures`, which re-exports them.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from impact.report.figure_style import (
    FIG_WIDTH,
    SERIES_COLOURS,
    STYLE,
    TEXT_GREY,
    FrenchFormatter,
    freeze_layout,
    new_figure,
    require_columns,
    suppressed_mask,
    wrap,
)
from impact.report.formatting import fmt_ci, fmt_int, fmt_number
from impact.report.i18n import gettext as _
from impact.report.i18n import ngettext

__all__ = ["FUNNEL_Z", "caterpillar_plot", "funnel_plot"]

MAX_HEIGHT = 7.3  # inches (185 mm): a figure's title and notes still fit on its page


#: Two-sided 95 % and 99,8 % normal quantiles: the funnel's inner and outer control limits.
FUNNEL_Z = (1.959964, 3.090232)


def funnel_plot(
    df: pd.DataFrame,
    *,
    unit_name: str | None = None,
    width: float = FIG_WIDTH,
) -> tuple[Figure, str]:
    """Funnel plot (Spiegelhalter 2005, *Stat. Med.* 24:1185): each cell's mean change
    against its number of pairs, one panel per measure, with the whole programme's mean
    change and its 95 % and 99,8 % control limits θ ± z·s/√n (s: SD of the individual changes
    of the whole programme). A cell outside the 99,8 % limits differs by more than chance
    alone would make likely, given its size.

    Input: tidy rows of :func:`impact.report.tables.funnel_frame` (``label, n, estimate,
    overall, sd_overall``); suppressed cells are not in it.
    """
    require_columns(df, ["label", "n", "estimate", "overall", "sd_overall"], "funnel_plot")
    unit_name = _("établissements") if unit_name is None else unit_name
    labels = list(pd.unique(df["label"]))
    cols = 2 if len(labels) > 1 else 1
    rows = math.ceil(len(labels) / cols)
    fig = new_figure(width, 0.4 + 2.1 * rows)
    alt_parts = []
    with mpl.rc_context(STYLE):
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
        for ax, label in zip(axes, labels, strict=False):
            sub = df[df["label"] == label]
            n = sub["n"].to_numpy(dtype=float)
            theta, sd = float(sub["overall"].iloc[0]), float(sub["sd_overall"].iloc[0])
            grid = np.linspace(max(2.0, n.min() * 0.8), n.max() * 1.05, 100)
            for z, style in zip(FUNNEL_Z, ("--", ":"), strict=True):
                for sign in (-1, 1):
                    ax.plot(grid, theta + sign * z * sd / np.sqrt(grid), ls=style,
                            color=TEXT_GREY, lw=0.9)
            ax.axhline(theta, color="black", lw=0.8)
            outside = np.abs(sub["estimate"].to_numpy(dtype=float) - theta) \
                > FUNNEL_Z[1] * sd / np.sqrt(n)
            ax.plot(n[~outside], sub["estimate"].to_numpy()[~outside], ls="none", marker="o",
                    ms=3.5, color=SERIES_COLOURS[0], alpha=0.75, mec="white", mew=0.3)
            ax.plot(n[outside], sub["estimate"].to_numpy()[outside], ls="none", marker="D",
                    ms=4, color=SERIES_COLOURS[1], mec="white", mew=0.3)
            ax.set_xlim(grid[0], grid[-1])
            ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=5, integer=True))
            ax.xaxis.set_major_formatter(FrenchFormatter(decimals=0))
            ax.yaxis.set_major_formatter(FrenchFormatter())
            ax.set_title(wrap(label, 36), loc="left", fontsize=8.5, fontweight="bold")
            ax.set_xlabel(_("Paires"))
            ax.set_ylabel(_("Évolution moyenne (points)"))
            ax.grid(color="#EEEEEE", lw=0.5)
            ax.set_axisbelow(True)
            alt_parts.append(
                _("{label} : {n} {units}, évolution d'ensemble {theta} point, {k} hors des "
                  "limites à 99,8 %").format(label=label, n=fmt_int(len(sub)), units=unit_name,
                                            theta=fmt_number(theta),
                                            k=fmt_int(int(outside.sum()))))
        for ax in axes[len(labels):]:
            ax.set_axis_off()
    freeze_layout(fig)
    alt = (_("Graphique en entonnoir : évolution moyenne des {units} selon leur nombre de "
             "paires, autour de l'évolution d'ensemble, avec les limites à 95 % (tirets) et à "
             "99,8 % (pointillés).").format(units=unit_name)
           + " " + " ; ".join(alt_parts) + ".")
    return fig, alt



# --------------------------------------------------------------------------- caterpillar plot


def caterpillar_plot(
    df: pd.DataFrame,
    *,
    unit_name: str | None = None,
    width: float = FIG_WIDTH,
) -> tuple[Figure, str]:
    """Caterpillar plot: each cell's (site's) mean change with its 95 % CI, sorted from the
    lowest to the highest, one panel per measure, with a vertical line at the whole
    programme's mean change (``overall``). Used instead of a funnel plot when there are few
    sites, where the funnel's limits are nearly flat and say little.

    Input: rows of :func:`impact.report.tables.funnel_frame` (``label, estimate, ci_low,
    ci_high, overall``) and ``site`` (display name of the cell; ``subgroup_value`` if absent).
    Suppressed cells are not in that frame; rows flagged ``suppressed`` are dropped here
    too, so nothing a table hides is drawn.
    """
    require_columns(df, ["label", "estimate", "ci_low", "ci_high", "overall"],
                    "caterpillar_plot")
    unit_name = _("établissements") if unit_name is None else unit_name
    df = df[~suppressed_mask(df)]
    names = df["site"] if "site" in df.columns else df["subgroup_value"].astype(str)
    labels = list(pd.unique(df["label"]))
    cols = 2 if len(labels) > 1 else 1
    df = df.assign(_name=names.astype(str).map(lambda s: wrap(s, 30 if cols > 1 else 48)))
    rows = math.ceil(len(labels) / cols)
    per_panel = int(df.groupby("label").size().max())
    lines = int(df["_name"].str.count("\n").max()) + 1
    # at most MAX_HEIGHT inches: the figure, its title and its notes fit one page
    row_h = min(0.12 + 0.08 * lines, (MAX_HEIGHT / rows - 0.6) / per_panel)
    fig = new_figure(width, rows * (0.6 + row_h * per_panel))
    alt_parts = []
    with mpl.rc_context(STYLE):
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
        for ax, label in zip(axes, labels, strict=False):
            sub = df[df["label"] == label].sort_values("estimate", kind="stable")
            y = np.arange(len(sub))
            est = sub["estimate"].to_numpy(dtype=float)
            lo = sub["ci_low"].to_numpy(dtype=float)
            hi = sub["ci_high"].to_numpy(dtype=float)
            theta = float(sub["overall"].iloc[0])
            apart = (lo > theta) | (hi < theta)
            ax.axvline(theta, color=TEXT_GREY, lw=0.9, ls="--", zorder=1)
            ax.axvline(0, color="black", lw=0.6, zorder=1)
            ax.hlines(y, lo, hi, color=SERIES_COLOURS[0], lw=1.2)
            ax.plot(est[~apart], y[~apart], ls="none", marker="o", ms=4,
                    color=SERIES_COLOURS[0], mec="white", mew=0.4, zorder=3)
            ax.plot(est[apart], y[apart], ls="none", marker="D", ms=4.5,
                    color=SERIES_COLOURS[1], mec="white", mew=0.4, zorder=3)
            ax.set_yticks(y, sub["_name"].tolist(), fontsize=6 if lines > 1 else 6.5)
            ax.tick_params(axis="y", length=0)
            ax.set_ylim(-0.7, len(sub) - 0.3)
            ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=4))
            ax.xaxis.set_major_formatter(FrenchFormatter())
            if cols > 1:  # a single panel's measure is in the exhibit's title
                ax.set_title(wrap(label, 34), loc="left", fontsize=8, fontweight="bold")
            ax.set_xlabel(_("Évolution moyenne (points) et IC à 95 %"), fontsize=7)
            ax.grid(axis="x", color="#EEEEEE", lw=0.5)
            ax.set_axisbelow(True)
            alt_parts.append(ngettext(
                "{label} : {n} {units}, évolution de {low} à {high} point autour de l'ensemble "
                "({theta}) ; {k} intervalle sans l'évolution d'ensemble ; plus faible {first} "
                "{first_value}, plus forte {last} {last_value}",
                "{label} : {n} {units}, évolution de {low} à {high} point autour de l'ensemble "
                "({theta}) ; {k} intervalles sans l'évolution d'ensemble ; plus faible {first} "
                "{first_value}, plus forte {last} {last_value}", int(apart.sum())).format(
                label=label, n=fmt_int(len(sub)), units=unit_name, low=fmt_number(est.min()),
                high=fmt_number(est.max()), theta=fmt_number(theta),
                k=fmt_int(int(apart.sum())),
                first=sub["_name"].iloc[0].replace("\n", " "),
                first_value=f"{fmt_number(est[0])} {fmt_ci(lo[0], hi[0])}",
                last=sub["_name"].iloc[-1].replace("\n", " "),
                last_value=f"{fmt_number(est[-1])} {fmt_ci(lo[-1], hi[-1])}"))
        for ax in axes[len(labels):]:
            ax.set_axis_off()
    freeze_layout(fig)
    alt = (_("Graphique en chenille : évolution moyenne des {units} avec leur intervalle de "
             "confiance à 95 %, classés de la plus faible à la plus forte, et une ligne en "
             "tirets à l'évolution de l'ensemble du programme.").format(units=unit_name)
           + " " + " ; ".join(alt_parts) + ".")
    return fig, alt
