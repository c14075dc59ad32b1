"""Report figures: forest plot, funnel plot, diverging Likert bars, sample flow, employment
curve, logic model (:mod:`.logic_figures`).

Conventions:

- **Return value**: every builder returns ``(fig, alt)`` — a :class:`matplotlib.figure.Figure`
  and a French text alternative generated from the same data (what the figure shows and its key
  numbers), so ``notes.figure(*forest_plot(df), title=…, …)`` gets a meaningful ``alt``.
  The Figure carries ``fig.impact_secret = True`` when some value was replaced by « s. »;
  :func:`impact.report.notes.figure` then adds the secret-statistique footnote.
- Figures are built with :class:`~matplotlib.figure.Figure` directly, not pyplot: nothing is
  registered with pyplot, so the notebook's inline backend does not display them a second
  time and nothing leaks between cells.
- Palette, rcParams, French axis numbers and deterministic output: :mod:`.figure_style`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from impact.report.figure_style import (
    FIG_WIDTH,
    MARKERS,
    NEUTRAL_GREY,
    OKABE_ITO,
    SERIES_COLOURS,
    STYLE,
    TEXT_GREY,
    FrenchFormatter,
    blend,
    drawn,
    freeze_layout,
    label_rows,
    new_figure,
    require_columns,
    row_positions,
    suppressed_mask,
    to_png,
    to_svg,
    wrap,
)
from impact.report.formatting import (
    MISSING,
    NNBSP,
    SECRET,
    es_label,
    fmt_ci,
    fmt_int,
    fmt_number,
    fmt_pct,
    lower_first,
)
from impact.report.i18n import N_, current_language, ngettext
from impact.report.i18n import gettext as _
from impact.report.logic_figures import logic_model
from impact.report.site_figures import FUNNEL_Z, caterpillar_plot, funnel_plot

__all__ = [
    "FUNNEL_Z",
    "caterpillar_plot",
    "diverging_colours",
    "forest_plot",
    "funnel_plot",
    "likert_diverging",
    "logic_model",
    "sample_flow",
    "survival_curve",
    "to_png",
    "to_svg",
]

# --------------------------------------------------------------------------- forest plot


def forest_plot(
    df: pd.DataFrame,
    *,
    programme_labels: Mapping[str, str] | None = None,
    decimals: int = 2,
    width: float = FIG_WIDTH,
) -> tuple[Figure, str]:
    """Effect sizes with their 95 % CIs, one row per measure, grouped by programme.

    Input: tidy rows with ``programme, measure`` (display label), ``effect_size, ci_low,
    ci_high, suppressed``, optionally ``es_type``. Suppressed rows are listed but not
    plotted: they read « s. ». A right-hand column prints the value and its CI in French.
    """
    require_columns(df, ["programme", "measure", "effect_size", "ci_low", "ci_high"], "forest_plot")
    df = df.reset_index(drop=True)
    secret = suppressed_mask(df)
    labels = dict(programme_labels or {})
    progs = list(pd.unique(df["programme"]))
    rows: list[tuple[str, bool]] = []
    owner: list[int | None] = []  # df row of each plot row (None for a programme header)
    for prog in progs:
        rows.append((drawn(labels.get(prog, str(prog))), True))
        owner.append(None)
        for i in np.flatnonzero((df["programme"] == prog).to_numpy()):
            rows.append((wrap(df.at[i, "measure"], 38), False))
            owner.append(int(i))
    ys = row_positions(rows)
    row_y = np.empty(len(df))
    for y, i in zip(ys, owner, strict=True):
        if i is not None:
            row_y[i] = y

    es_types = (
        sorted(set(df["es_type"].dropna().astype(str))) if "es_type" in df.columns else [])
    es_name = ", ".join(es_label(t) for t in es_types) if es_types else None

    fig = new_figure(width, 0.95 + 0.24 * (0.5 - min(ys)))
    with mpl.rc_context(STYLE):
        ax, vax = fig.subplots(1, 2, sharey=True, width_ratios=[2.9, 1.6])
        groups = list(enumerate(progs))

        est = pd.to_numeric(df["effect_size"], errors="coerce").to_numpy(dtype=float)
        lo = pd.to_numeric(df["ci_low"], errors="coerce").to_numpy(dtype=float)
        hi = pd.to_numeric(df["ci_high"], errors="coerce").to_numpy(dtype=float)
        shown = ~secret & np.isfinite(est)
        for gi, prog in groups:
            m = shown & (df["programme"] == prog).to_numpy()
            colour = SERIES_COLOURS[gi % len(SERIES_COLOURS)]
            ok_ci = m & np.isfinite(lo) & np.isfinite(hi)
            ax.hlines(row_y[ok_ci], lo[ok_ci], hi[ok_ci], color=colour, lw=1.4)
            ax.plot(est[m], row_y[m], ls="none", marker=MARKERS[gi % len(MARKERS)],
                    ms=5, color=colour, mec="white", mew=0.5, zorder=3)

        finite = np.concatenate([v[shown & np.isfinite(v)] for v in (lo, hi, est)] + [[0.0]])
        xmin, xmax = float(finite.min()), float(finite.max())
        pad = 0.08 * max(xmax - xmin, 0.5)
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.axvline(0, color="black", lw=0.8, zorder=1)
        label_rows(ax, ys, rows)
        ax.xaxis.set_major_formatter(FrenchFormatter())
        ax.grid(axis="x", color="#DDDDDD", lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(_("Taille d'effet{name} et intervalle de confiance à 95 %").format(
            name=f" ({es_name})" if es_name else ""))

        # value column (its own axes, so the layout engine keeps it inside the figure)
        vax.set_axis_off()
        vax.set_xlim(0, 1)
        vax.text(0.02, max(ys), _("Effet [IC à 95 %]"), ha="left", va="center",
                 fontsize=7.5, fontweight="bold")
        for i in range(len(df)):
            if secret[i]:
                txt = SECRET
            elif not np.isfinite(est[i]):
                txt = MISSING
            else:
                txt = f"{fmt_number(est[i], decimals)} {fmt_ci(lo[i], hi[i], decimals)}"
            vax.text(0.02, row_y[i], txt, ha="left", va="center", fontsize=7.5)
    fig.impact_secret = bool(secret.any())  # type: ignore[attr-defined]
    freeze_layout(fig)

    # alt text
    n_shown = int(shown.sum())
    excl = int((shown & np.isfinite(lo) & np.isfinite(hi) & ((lo > 0) | (hi < 0))).sum())
    parts = [
        ngettext("Graphique en forêt : {k} taille d'effet{name} avec son intervalle de "
                 "confiance à 95 %, pour {programmes} ; une ligne verticale marque zéro (aucun "
                 "effet).",
                 "Graphique en forêt : {k} tailles d'effet{name} avec leur intervalle de "
                 "confiance à 95 %, pour {programmes} ; une ligne verticale marque zéro (aucun "
                 "effet).", len(df)).format(
            k=len(df), name=f" ({es_name})" if es_name else "",
            programmes=ngettext("{n} programme", "{n} programmes", len(progs)).format(
                n=len(progs))),
    ]
    if n_shown:
        parts.append(
            ngettext("Les effets vont de {low} à {high} ; {k} intervalle sur {n} exclut zéro.",
                     "Les effets vont de {low} à {high} ; {k} intervalles sur {n} excluent "
                     "zéro.", excl).format(
                low=fmt_number(np.nanmin(est[shown]), decimals),
                high=fmt_number(np.nanmax(est[shown]), decimals), k=excl, n=n_shown))
    if secret.any():
        ns = int(secret.sum())
        parts.append(ngettext("{k} valeur sous secret statistique (« {s} », non tracée).",
                              "{k} valeurs sous secret statistique (« {s} », non tracées).",
                              ns).format(k=ns, s=SECRET))
    if len(df) <= 12:
        for prog in progs:
            idx = np.flatnonzero((df["programme"] == prog).to_numpy())
            items = [
                f"{df.at[i, 'measure']} "
                + (SECRET if secret[i] else MISSING if not np.isfinite(est[i])
                   else f"{fmt_number(est[i], decimals)} {fmt_ci(lo[i], hi[i], decimals)}")
                for i in idx
            ]
            parts.append(_("{programme} : {values}").format(
                programme=labels.get(prog, prog), values=" ; ".join(items))
                + ("" if items[-1].endswith(".") else "."))
    return fig, " ".join(parts)


# --------------------------------------------------------------------------- Likert bars


def diverging_colours(k: int) -> list[str]:
    """k colours for a k-point scale: vermillion/orange (disagree) … grey (neutral, odd k)
    … sky blue/blue (agree), darkest at the extremes (Okabe–Ito hues)."""
    half = k // 2
    neg_base, pos_base = OKABE_ITO["vermillion"], OKABE_ITO["blue"]
    if half == 1:
        neg, pos = [neg_base], [pos_base]
    elif half == 2:
        neg, pos = [neg_base, OKABE_ITO["orange"]], [OKABE_ITO["sky_blue"], pos_base]
    else:
        ts = np.linspace(0, 0.7, half)
        neg = [blend(neg_base, t) for t in ts]
        pos = [blend(pos_base, t) for t in ts[::-1]]
    return neg + ([NEUTRAL_GREY] if k % 2 else []) + pos


def _text_colour(hex_colour: str) -> str:
    r, g, b = mpl.colors.to_rgb(hex_colour)
    return "white" if (0.299 * r + 0.587 * g + 0.114 * b) < 0.55 else "black"


WAVE_LABELS = {"pre": N_("Avant"), "post": N_("Après"), "followup": N_("Suivi")}


def likert_diverging(
    df: pd.DataFrame,
    *,
    response_labels: Mapping[int, str] | None = None,
    wave_labels: Mapping[str, str] | None = None,
    waves: Sequence[str] | None = None,
    width: float = FIG_WIDTH,
) -> tuple[Figure, str]:
    """Diverging stacked bars of Likert items, one bar per item × wave (pre vs post).

    Input: tidy ``item`` (display label), ``wave``, ``response`` (code 1..K), ``share``
    (proportion of the bar; shares are renormalised per bar), optional ``n`` (shown after the
    wave label) and ``suppressed`` (bar not drawn, « s. »). ``response_labels`` maps codes to
    labels (legend) and fixes K even if a code was never chosen. Bars are centred on the
    neutral point: the middle code of an odd scale is split half left / half right; for an
    even scale the centre lies between the two middle codes.
    """
    require_columns(df, ["item", "wave", "response", "share"], "likert_diverging")
    df = df.copy()
    df["response"] = df["response"].astype(int)
    codes = sorted(set(response_labels) if response_labels else set(df["response"]))
    k = len(codes)
    if k < 2:
        raise ValueError("a Likert scale needs at least 2 response codes")
    colours = diverging_colours(k)
    wl = {**{w: _(text) for w, text in WAVE_LABELS.items()}, **(wave_labels or {})}
    wave_order = list(waves) if waves is not None else list(pd.unique(df["wave"]))
    items = list(pd.unique(df["item"]))
    df["_secret"] = suppressed_mask(df)

    wide = (df.pivot_table(index=["item", "wave"], columns="response", values="share",
                           aggfunc="sum", fill_value=0.0)
              .reindex(columns=codes, fill_value=0.0))
    totals = wide.sum(axis=1)
    wide = wide.div(totals.where(totals > 0), axis=0)
    bar_secret = df.groupby(["item", "wave"])["_secret"].any()
    bar_n = df.groupby(["item", "wave"])["n"].max() if "n" in df.columns else None

    centre = (k - 1) / 2  # index of the centre (x.5 for even k)
    lower = [i for i in range(k) if i < centre]
    mid = [i for i in range(k) if i == centre]

    rows: list[tuple[str, bool]] = []
    for item in items:
        rows.append((wrap(item, 45), True))
        for wave in wave_order:
            lab = wl.get(wave, str(wave))
            key = (item, wave)
            if bar_n is not None and key in bar_n.index and not bar_secret.get(key, False):
                lab += f" (n = {fmt_int(bar_n[key])})"
            rows.append((lab, False))
    ys = row_positions(rows)
    fig = new_figure(width, 1.35 + 0.22 * (0.5 - min(ys)))
    summary = []
    any_secret = False
    with mpl.rc_context(STYLE):
        ax = fig.add_subplot()
        # widest bar (for the axis limits) and smallest segment wide enough for its label
        starts = -(wide.iloc[:, lower].sum(axis=1) + 0.5 * wide.iloc[:, mid].sum(axis=1))
        lim = math.ceil(max(0.5, (-starts).max(), (starts + 1).max()) * 10 + 0.2) / 10
        min_label = 0.32 / (0.5 * width / (2 * lim))  # 0.32 in of text on a ~half-width axis
        r = 0
        for item in items:
            r += 1  # header row
            item_summary = []
            for wave in wave_order:
                y, lab = ys[r], rows[r][0]
                r += 1
                key = (item, wave)
                if key not in wide.index:
                    ax.text(0, y, MISSING, ha="center", va="center", fontsize=7.5)
                    item_summary.append(f"{lab.lower()} {MISSING}")
                    continue
                if bar_secret.get(key, False):
                    any_secret = True
                    ax.text(0, y, SECRET, ha="center", va="center", fontsize=7.5,
                            color=TEXT_GREY, style="italic")
                    item_summary.append(f"{lab.lower()} {SECRET}")
                    continue
                shares = wide.loc[key].to_numpy(dtype=float)
                if not np.isfinite(shares).all():
                    ax.text(0, y, MISSING, ha="center", va="center", fontsize=7.5)
                    continue
                left = -(shares[lower].sum() + 0.5 * shares[mid].sum())
                cursor = left
                for ci in range(k):
                    w = shares[ci]
                    if w > 0:
                        ax.barh(y, w, left=cursor, height=0.72, color=colours[ci],
                                edgecolor="white", linewidth=0.4)
                        if w >= min_label:
                            ax.text(cursor + w / 2, y, fmt_pct(w, 0), ha="center",
                                    va="center", fontsize=6.5, zorder=4,
                                    color=_text_colour(colours[ci]))
                    cursor += w
                agree = shares[[i for i in range(k) if i > centre]].sum()
                disagree = shares[lower].sum()
                item_summary.append(
                    _("{wave} {agree} d'accord et {disagree} pas d'accord").format(
                        wave=wl.get(wave, wave).lower(), agree=fmt_pct(agree, 0),
                        disagree=fmt_pct(disagree, 0)))
            summary.append(_("{item} : {shares}").format(item=item,
                                                         shares=", ".join(item_summary)))

        ax.set_xlim(-lim, lim)
        ax.xaxis.set_major_locator(ticker.MultipleLocator(0.5 if lim > 0.75 else 0.25))
        ax.xaxis.set_major_formatter(FrenchFormatter(percent=True, absolute=True))
        ax.axvline(0, color="black", lw=0.8, zorder=3)
        label_rows(ax, ys, rows)
        ax.set_xlabel(_("Part des réponses"))
        ax.text(0.49, 1.0, _("← désaccord"), transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7.5, color=TEXT_GREY)
        ax.text(0.51, 1.0, _("accord →"), transform=ax.transAxes, ha="left", va="bottom",
                fontsize=7.5, color=TEXT_GREY)
        handles = [mpl.patches.Patch(color=colours[i]) for i in range(k)]
        names = [
            wrap((response_labels or {}).get(c, str(c)), 18) for c in codes]
        fig.legend(handles, names, loc="outside lower center", ncol=min(k, 5),
                   handlelength=1.2, columnspacing=1.0)
    fig.impact_secret = any_secret  # type: ignore[attr-defined]
    freeze_layout(fig)
    scale = _("paire") if k % 2 == 0 else _("impaire")
    alt = (
        ngettext("Barres empilées divergentes : distribution des réponses à {n} item sur une "
                 "échelle à {k} modalités ({parity}), par vague ({waves}), centrées sur le "
                 "point neutre ; le désaccord est à gauche, l'accord à droite.",
                 "Barres empilées divergentes : distribution des réponses à {n} items sur une "
                 "échelle à {k} modalités ({parity}), par vague ({waves}), centrées sur le "
                 "point neutre ; le désaccord est à gauche, l'accord à droite.",
                 len(items)).format(
            n=len(items), k=k, parity=scale,
            waves=", ".join(wl.get(w, w).lower() for w in wave_order))
        + " " + " ; ".join(summary) + ("" if summary and summary[-1].endswith(".") else ".")
    )
    return fig, alt


# --------------------------------------------------------------------------- sample flow

STAGES = ("read", "excluded", "quarantined", "kept", "linked", "analysed")
STAGE_LABELS = {
    "read": N_("Réponses lues dans les exports"),
    "excluded": N_("Exclues (règles documentées)"),
    "quarantined": N_("Mises en quarantaine (contrôles)"),
    "kept": N_("Réponses conservées"),
    "linked": N_("Répondants appariés entre vagues"),
    "analysed": N_("Répondants analysés"),
}


TITLE_LINE = 0.14  # inches per line of a bold 7.2 pt box title
BODY_LINE = 0.125  # inches per line of a 6.6 pt box body


def _box(ax, x: float, y: float, w: float, h: float, title: str, body: str = "",
         fc: str = "white") -> None:
    """A box with its lower-left corner at (x, y); coordinates in inches."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=0.05",
                                fc=fc, ec="#333333", lw=0.8))
    ax.text(x + w / 2, y + h - 0.07, title, ha="center", va="top", fontsize=7.2,
            fontweight="bold", linespacing=1.2)
    if body:
        n_title = title.count("\n") + 1
        ax.text(x + 0.09, y + h - 0.12 - TITLE_LINE * n_title, body, ha="left", va="top",
                fontsize=6.6, linespacing=1.3)


def _arrow(ax, xy_from: tuple[float, float], xy_to: tuple[float, float]) -> None:
    ax.annotate("", xy=xy_to, xytext=xy_from,
                arrowprops={"arrowstyle": "-|>", "lw": 0.8, "color": "#333333",
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 8})


def sample_flow(
    df: pd.DataFrame,
    *,
    programme_labels: Mapping[str, str] | None = None,
    stage_labels: Mapping[str, str] | None = None,
    width: float = FIG_WIDTH,
) -> tuple[Figure, str]:
    """Flow diagram of the sample, one row of boxes per programme (CONSORT-like).

    Input: tidy ``programme, stage, reason, n`` with ``stage`` in :data:`STAGES`; one row per
    reason for ``excluded`` and ``quarantined``, one row (empty reason) for the others.
    ``kept`` is computed when absent; when present it must equal read − excluded −
    quarantined (« nothing lost »), else ``ValueError``. ``linked`` / ``analysed`` are
    optional. Numbers are in French format (« n = 1 234 »).

    For ``excluded`` and ``quarantined``, rows with an empty reason, when present, give the
    stage's total and the other rows its breakdown by reason; the breakdown may then add up
    to more than the total (a quarantined row failing two checks is counted under both
    reasons), which the box says (« motifs cumulables »). Without such a row, the total is
    the sum of the reasons.
    """
    require_columns(df, ["programme", "stage", "n"], "sample_flow")
    bad = set(df["stage"]) - set(STAGES)
    if bad:
        raise ValueError(f"sample_flow: unknown stage(s) {sorted(bad)}; expected {STAGES}")
    labels = {**{st: _(text) for st, text in STAGE_LABELS.items()}, **(stage_labels or {})}
    plabels = dict(programme_labels or {})
    progs = list(pd.unique(df["programme"]))
    reason = df["reason"] if "reason" in df.columns else pd.Series("", index=df.index)
    df = df.assign(reason=reason.fillna("").astype(str),
                   n=pd.to_numeric(df["n"]).astype("int64"))

    box_w, box_h = 1.3, 0.62
    gap = (width - 4 * box_w) / 3
    side_w, side_gap = 2.2, 0.2
    head_h, link_h, after_h = 0.3, 0.34, 0.25

    layouts, total_h = [], 0.05
    overlap: dict[tuple[str, str], bool] = {}
    for prog in progs:
        sub = df[df["programme"] == prog]
        is_total = sub["reason"].eq("") & sub["stage"].isin(["excluded", "quarantined"])
        totals = sub.groupby("stage")["n"].sum()
        for st in ("excluded", "quarantined"):
            given = sub.loc[is_total & sub["stage"].eq(st), "n"]
            if len(given):  # an explicit total; the reasons are a breakdown
                totals[st] = int(given.sum())
                totals_by_reason = int(sub.loc[~is_total & sub["stage"].eq(st), "n"].sum())
                overlap[(prog, st)] = totals_by_reason > totals[st]
        sub = sub[~is_total]
        if "read" not in totals:
            raise ValueError(f"sample_flow: no 'read' count for {prog!r}")
        expected = int(totals["read"] - totals.get("excluded", 0) - totals.get("quarantined", 0))
        if "kept" in totals and int(totals["kept"]) != expected:
            raise ValueError(
                f"sample_flow: {prog!r}: read − excluded − quarantined = {expected} but "
                f"kept = {int(totals['kept'])} (rows are lost or double-counted)")
        totals["kept"] = expected
        bodies, titles = {}, {}
        for st in ("excluded", "quarantined"):
            rs = sub[(sub["stage"] == st) & (sub["n"] > 0)]
            bodies[st] = "\n".join(
                wrap(_("– {reason} : {n}").format(reason=r or _("motif non précisé"),
                                                 n=fmt_int(n)), 44)
                for r, n in zip(rs["reason"], rs["n"], strict=True))
            if overlap.get((prog, st)):
                bodies[st] += "\n" + _("(motifs cumulables)")
            titles[st] = f"{wrap(labels[st], 34)}\nn = {fmt_int(totals.get(st, 0))}"
        title_lines = max(t.count("\n") + 1 for t in titles.values())
        body_lines = max((b.count("\n") + 1 if b else 0) for b in bodies.values())
        side_h = 0.2 + TITLE_LINE * title_lines + BODY_LINE * body_lines
        row_h = head_h + box_h + link_h + side_h + after_h
        layouts.append((prog, totals, titles, bodies, side_h, row_h))
        total_h += row_h

    fig = new_figure(width, total_h, constrained=False)
    alt_parts = []
    with mpl.rc_context(STYLE):
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(-0.02, width + 0.02)  # box borders at the edges stay visible
        ax.set_ylim(0, total_h)
        ax.set_axis_off()
        top = total_h - 0.03
        xs = {st: i * (box_w + gap) for i, st in enumerate(("read", "kept", "linked",
                                                             "analysed"))}
        for prog, totals, titles, bodies, side_h, row_h in layouts:
            name = plabels.get(prog, str(prog))
            ax.text(0, top, drawn(name), ha="left", va="top", fontsize=8.5, fontweight="bold")
            main_y = top - head_h - box_h
            mid_y = main_y + box_h / 2
            main = [st for st in ("read", "kept", "linked", "analysed") if st in totals]
            for st in main:
                _box(ax, xs[st], main_y, box_w, box_h, wrap(labels[st], 18), fc="#F2F2F2")
                ax.text(xs[st] + box_w / 2, main_y + 0.07, f"n = {fmt_int(totals[st])}",
                        ha="center", va="bottom", fontsize=7.5)
            for a, b in zip(main, main[1:], strict=False):
                _arrow(ax, (xs[a] + box_w, mid_y), (xs[b], mid_y))
            # exclusions and quarantine hang from the read → kept arrow
            side_top = main_y - link_h
            bus_y = side_top + link_h / 2
            branch_x = xs["read"] + box_w + gap / 2
            side_x = {"excluded": 0.0, "quarantined": side_w + side_gap}
            centres = [x + side_w / 2 for x in side_x.values()]
            ax.plot([branch_x, branch_x], [mid_y, bus_y], color="#333333", lw=0.8)
            ax.plot([min(centres), max(centres)], [bus_y, bus_y], color="#333333", lw=0.8)
            for st, x in side_x.items():
                _arrow(ax, (x + side_w / 2, bus_y), (x + side_w / 2, side_top))
                _box(ax, x, side_top - side_h, side_w, side_h, titles[st], bodies[st])
            alt_parts.append(_flow_alt(name, totals))
            top -= row_h
    alt = (_("Diagramme de flux de l'échantillon par programme, des réponses lues dans les "
             "exports jusqu'aux répondants analysés, avec les exclusions et les mises en "
             "quarantaine par motif.") + " " + " ; ".join(alt_parts) + ".")
    return fig, alt


def _flow_alt(name: str, totals: Mapping[str, int]) -> str:
    """One programme's counts, for the flow diagram's text alternative."""
    text = _("{programme} : {read} réponses lues, {excluded} exclues, {quarantined} mises en "
             "quarantaine, {kept} conservées").format(
        programme=name, read=fmt_int(totals["read"]),
        excluded=fmt_int(totals.get("excluded", 0)),
        quarantined=fmt_int(totals.get("quarantined", 0)), kept=fmt_int(totals["kept"]))
    if "linked" in totals:
        text += _(", {n} répondants appariés").format(n=fmt_int(totals["linked"]))
    if "analysed" in totals:
        text += _(", {n} analysés").format(n=fmt_int(totals["analysed"]))
    return text


# --------------------------------------------------------------------------- employment curve


def _extend(v: np.ndarray, n: int) -> np.ndarray:
    return np.append(v, v[-1]) if n > len(v) else v


def survival_curve(
    df: pd.DataFrame,
    *,
    group: str | None = None,
    group_labels: Mapping[str, str] | None = None,
    ylabel: str | None = None,
    xlabel: str | None = None,
    width: float = FIG_WIDTH,
) -> tuple[Figure, str]:
    """Step curve of the share in employment by months since the programme, with its 95 % CI
    band and the numbers at risk in a small table under the axis.

    Input: tidy ``time`` (months), ``estimate, ci_low, ci_high`` (proportions), ``at_risk``;
    optional ``group`` column (one curve per group, in order of appearance) and
    ``suppressed`` (time points not plotted; the number at risk reads « s. »). ``ylabel`` and
    ``xlabel`` default to « Part en emploi » and « Mois depuis la fin du programme », in the
    report's language.
    """
    ylabel = _("Part en emploi") if ylabel is None else ylabel
    xlabel = _("Mois depuis la fin du programme") if xlabel is None else xlabel
    require_columns(df, ["time", "estimate", "ci_low", "ci_high", "at_risk"], "survival_curve")
    keys = list(pd.unique(df[group])) if group else [None]
    df = df.sort_values("time", kind="stable").reset_index(drop=True)
    df["_secret"] = suppressed_mask(df)
    glabels = dict(group_labels or {})
    tmax = float(df["time"].max())
    names = [_("Ensemble") if k is None else drawn(glabels.get(k, str(k))) for k in keys]
    fig = new_figure(width, 3.0 + 0.17 * len(keys))
    alt_parts = []
    with mpl.rc_context(STYLE):
        ax, tax = fig.subplots(2, 1, sharex=True,
                               height_ratios=[5.0, 0.45 + 0.3 * len(keys)])
        for gi, key in enumerate(keys):
            sub = df if key is None else df[df[group] == key]
            shown = sub[~sub["_secret"]]
            colour = SERIES_COLOURS[gi % len(SERIES_COLOURS)]
            t = shown["time"].to_numpy(dtype=float)
            if not len(t):
                continue
            t_ext = np.append(t, tmax) if t[-1] < tmax else t  # last step to the end
            est, lo, hi = (_extend(shown[c].to_numpy(dtype=float), len(t_ext))
                           for c in ("estimate", "ci_low", "ci_high"))
            ax.fill_between(t_ext, lo, hi, step="post", color=colour, alpha=0.18, lw=0)
            ax.step(t_ext, est, where="post", color=colour, label=names[gi])
            first, last = shown.iloc[0], shown.iloc[-1]
            alt_parts.append(
                _("{group} : {first} à {t0} mois, {last} à {t1} mois (IC à 95 % {ci})").format(
                    group=names[gi], first=fmt_pct(first["estimate"], 0),
                    t0=fmt_int(first["time"]), last=fmt_pct(last["estimate"], 0),
                    t1=fmt_int(last["time"]),
                    ci=_pct_interval(last["ci_low"], last["ci_high"])))
        ax.set_xlim(0, tmax)
        ax.set_ylim(0, 1)
        xt = [v for v in ticker.MaxNLocator(nbins=8, integer=True).tick_values(0, tmax)
              if 0 <= v <= tmax]
        ax.set_xticks(xt)
        ax.tick_params(axis="x", labelbottom=True)
        ax.xaxis.set_major_formatter(FrenchFormatter(decimals=0))
        ax.yaxis.set_major_locator(ticker.MultipleLocator(0.2))
        ax.yaxis.set_major_formatter(FrenchFormatter(percent=True, decimals=0))
        ax.grid(axis="y", color="#DDDDDD", lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(wrap(ylabel, 36))  # a measure's long name: two lines, not clipped
        if group:
            ax.legend(loc="upper left")

        # numbers at risk at each x tick (step function: value at the last time <= tick)
        tax.set_ylim(len(keys) - 0.5, -0.5)
        tax.set_yticks(range(len(keys)), names if group else [_("Effectifs")])
        for lab, gi in zip(tax.get_yticklabels(), range(len(keys)), strict=True):
            lab.set_color(SERIES_COLOURS[gi % len(SERIES_COLOURS)] if group else "black")
        tax.tick_params(axis="both", length=0, labelbottom=False)
        tax.tick_params(axis="y", pad=14)
        fig.get_layout_engine().set(w_pad=0.12)  # room for the numbers at both ends
        for side in ("top", "right", "bottom", "left"):
            tax.spines[side].set_visible(False)
        tax.set_title(_("Effectifs à risque"), loc="left", fontsize=7.5, fontweight="bold")
        for gi, key in enumerate(keys):
            sub = df if key is None else df[df[group] == key]
            times = sub["time"].to_numpy(dtype=float)
            for tick in xt:
                i = int(np.searchsorted(times, tick, side="right")) - 1
                if i < 0:
                    continue
                row = sub.iloc[i]
                txt = SECRET if row["_secret"] else fmt_int(row["at_risk"])
                tax.text(tick, gi, txt, ha="center", va="center", fontsize=7)
    fig.impact_secret = bool(df["_secret"].any())  # type: ignore[attr-defined]
    freeze_layout(fig)
    alt = (_("Courbe en escalier : {what} selon le nombre de mois depuis la fin du programme, "
             "avec une bande d'intervalle de confiance à 95 % et les effectifs à risque sous "
             "l'axe.").format(what=lower_first(ylabel))
           + " " + " ; ".join(alt_parts) + ".")
    if fig.impact_secret:  # type: ignore[attr-defined]
        alt += " " + _("Certains points sont sous secret statistique ({s}) et ne sont pas "
                       "tracés.").format(s=SECRET)
    return fig, alt


def _pct_interval(low: float, high: float) -> str:
    """« [38 % ; 59 %] » / "[38%, 59%]": an interval of percentages, separated as
    :func:`impact.report.formatting.fmt_ci` separates one in the current language."""
    sep = f"{NNBSP}; " if current_language() == "fr" else ", "
    return f"[{fmt_pct(low, 0)}{sep}{fmt_pct(high, 0)}]"
