"""Numbered exhibits (tables and figures) with the notes of French public statistics.

Every table and figure of the report is numbered (« Tableau 3 », « Figure 2 ») and carries
three notes: **Lecture** (how to read one number), **Champ** (who is covered) and **Source**.
A table containing a « s. » cell automatically gets the footnote
« s. : secret statistique — secret primaire (effectif inférieur à N …) ou secondaire … »

In a notebook cell, the last expression ``table(...)`` or ``figure(...)`` displays the exhibit
(an :class:`Exhibit` has ``_repr_html_``), e.g.::

    from impact.report import notes, figures
    notes.configure(secret_threshold=10)
    notes.table(fmt_table(ind, spec), title="Évolution des scores", lecture="…", champ="…",
                source="…")
    notes.figure(*figures.forest_plot(effects), title="Tailles d'effet", lecture="…", …)

HTML structure (stable, relied on by the tests and by ``report.css``)::

    <figure class="exhibit" data-kind="table" data-number="3" id="tableau-3">
      <figcaption class="exhibit-title"><span class="exhibit-label">Tableau 3</span>
        <span class="exhibit-sep"> – </span><span class="exhibit-name">Title</span></figcaption>
      <div class="exhibit-body"><table class="exhibit-table">…</table></div>
         (figures: <img class="exhibit-img" alt="…" src="data:image/svg+xml;base64,…">)
      <div class="exhibit-notes">
        <p class="secret">s. : secret statistique — secret primaire … ou secondaire …</p>
        <p class="note"><span class="note-label">Note :</span> …</p>               (optional)
        <p class="lecture"><span class="note-label">Lecture :</span> …</p>
        <p class="champ"><span class="note-label">Champ :</span> …</p>
        <p class="source"><span class="note-label">Source :</span> …</p>
      </div>
    </figure>

Figures are embedded as ``<img>`` with a data URI (SVG by default, or PNG): the ``alt``
attribute is mandatory (``alt`` is a required, non-empty argument), and a data URI keeps the
SVG's internal ids out of the page's id space (two inline matplotlib SVGs share ids since the
hash salt is fixed for reproducibility).

Numbering is automatic, per kind, in the order exhibits are created in the kernel.
``label=`` gives an exhibit a stable key: re-creating it (re-running a notebook cell) reuses
its number instead of taking the next one. :func:`reset_numbering` starts again from 1.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from impact.report.drawings import Drawing
from impact.report.formatting import SECRET, fmt_int
from impact.report.i18n import N_, current_language, lookup
from impact.report.i18n import gettext as _

Kind = Literal["table", "figure"]
#: French names of the kinds (the anchors « tableau-3 » keep them in every language; the
#: labels « Tableau 3 » / « Table 3 » go through the catalogue).
KIND_LABELS: dict[str, str] = {"table": N_("Tableau"), "figure": N_("Figure")}
NOTE_LABELS: dict[str, str] = {
    "note": N_("Note"),
    "lecture": N_("Lecture"),
    "champ": N_("Champ"),
    "source": N_("Source"),
}

__all__ = [
    "Exhibit",
    "ExhibitRegistry",
    "configure",
    "exhibits_in",
    "figure",
    "label_colon",
    "registry",
    "reset_numbering",
    "secret_note",
    "table",
    "table_html",
]


# --------------------------------------------------------------------------- numbering


@dataclass
class ExhibitRegistry:
    """Per-kind counters, plus label → number for idempotent re-runs."""

    counters: dict[str, int] = field(default_factory=dict)
    labels: dict[tuple[str, str], int] = field(default_factory=dict)
    secret_threshold: int | None = None

    def number(self, kind: str, label: str | None = None) -> int:
        if label is not None and (kind, label) in self.labels:
            return self.labels[(kind, label)]
        n = self.counters.get(kind, 0) + 1
        self.counters[kind] = n
        if label is not None:
            self.labels[(kind, label)] = n
        return n

    def reset(self) -> None:
        self.counters.clear()
        self.labels.clear()


registry = ExhibitRegistry()


def reset_numbering() -> None:
    """Start numbering again at « Tableau 1 » / « Figure 1 »."""
    registry.reset()


def configure(secret_threshold: int | None = None) -> None:
    """Set report-wide defaults: the disclosure threshold quoted in the « s. » footnote
    (``config.analysis.disclosure_threshold``)."""
    registry.secret_threshold = secret_threshold


def secret_note(threshold: int | None = None) -> str:
    """« s. : secret statistique — secret primaire (effectif inférieur à 10, ou proportion
    trop proche de 0 % ou de 100 %) ou secondaire (…). » — both kinds read « s. »."""
    if threshold is not None:
        rule = _("secret primaire (effectif inférieur à {seuil}, ou proportion trop proche de "
                 "0 % ou de 100 %)").format(seuil=fmt_int(threshold))
    else:
        rule = _("secret primaire")
    return _("{s} : secret statistique — {regle} ou secondaire (case masquée pour qu'aucune "
             "case en secret primaire ne puisse être retrouvée par différence avec les totaux "
             "publiés).").format(s=SECRET, regle=rule)


def label_colon(label: str) -> str:
    """« Lecture : » (U+00A0 before the colon) in French, "Reading:" in English."""
    return f"{label}\u00a0:" if current_language() == "fr" else f"{label}:"


# --------------------------------------------------------------------------- exhibit


def _require_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is required and must be a non-empty string")
    return value.strip()


@dataclass
class Exhibit:
    """A numbered table or figure with its title and notes; displays itself as HTML."""

    kind: Kind
    number: int
    title: str
    body_html: str
    lecture: str
    champ: str
    source: str
    note: str | None = None
    alt: str | None = None
    has_secret: bool = False
    secret_threshold: int | None = None

    @property
    def label(self) -> str:
        """« Tableau 3 » (« Table 3 » in English)"""
        return f"{_(KIND_LABELS[self.kind])} {self.number}"

    @property
    def anchor(self) -> str:
        return f"{KIND_LABELS[self.kind].lower()}-{self.number}"

    def to_html(self) -> str:
        esc = html.escape
        notes = []
        if self.has_secret:
            notes.append(f'<p class="secret">{esc(secret_note(self.secret_threshold))}</p>')
        for cls, text in (
            ("note", self.note),
            ("lecture", self.lecture),
            ("champ", self.champ),
            ("source", self.source),
        ):
            if text:
                lab = label_colon(_(NOTE_LABELS[cls]))
                notes.append(
                    f'<p class="{cls}"><span class="note-label">{esc(lab)}</span> '
                    f"{esc(text)}</p>"
                )
        return (
            f'<figure class="exhibit" data-kind="{self.kind}" data-number="{self.number}" '
            f'id="{self.anchor}">\n'
            f'<figcaption class="exhibit-title"><span class="exhibit-label">{esc(self.label)}'
            f'</span><span class="exhibit-sep"> – </span>'
            f'<span class="exhibit-name">{esc(self.title)}</span></figcaption>\n'
            f'<div class="exhibit-body">{self.body_html}</div>\n'
            f'<div class="exhibit-notes">\n' + "\n".join(notes) + "\n</div>\n</figure>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"<{self.label} – {self.title}>"


# --------------------------------------------------------------------------- tables

_NUMERIC_CELL = re.compile(r"^(?:[\s\d\u2212\-+,.%\u202f\u00a0\[\];<>=–]+|s\.)$")


NUM_CLASS = ' class="num"'


def _cell_class(text: str) -> str:
    return NUM_CLASS if _NUMERIC_CELL.match(text) else ""


def table_html(df: pd.DataFrame, index: bool | None = None) -> str:
    """A plain, escaped ``<table class="exhibit-table">``; numeric-looking cells (digits,
    « s. », « – », intervals) get ``class="num"`` (right-aligned, no wrapping in report.css),
    and so does the header of a column whose cells all look numeric.
    ``index=None`` shows the index only when it is not a default RangeIndex.

    A row whose first cell has text and every other cell is the empty string ``""`` (not
    missing: missing values print « – ») is a **group heading** spanning the table
    (``<tr class="group-row"><th scope="rowgroup" colspan=…>``), e.g. a programme's name
    above its rows; :func:`impact.report.tables.group_rows` builds such tables.

    Column headers are translated here (:func:`impact.report.i18n.lookup`): the table helpers
    name their columns in French (``N_("Paires")``), so that code selecting a column by name
    works in every language; a header the catalogue does not know is shown as it is."""
    if index is None:
        index = not isinstance(df.index, pd.RangeIndex)
    esc = html.escape
    values = df.astype(object).where(df.notna(), "–").astype(str).to_numpy()
    group = [len(r) > 1 and bool(r[0].strip()) and all(v == "" for v in r[1:])
             for r in values] if not index else [False] * len(values)
    body = values[[not g for g in group]] if len(values) else values
    numeric_col = [
        len(body) > 0 and all(_NUMERIC_CELL.match(v) for v in body[:, j])
        for j in range(values.shape[1])
    ]
    head = []
    if index:
        head.append(f'<th scope="col">{esc(lookup(str(df.index.name or "")))}</th>')
    head += [
        f'<th scope="col"{NUM_CLASS if num else ""}>{esc(lookup(str(c)))}</th>'
        for c, num in zip(df.columns, numeric_col, strict=True)
    ]
    rows = []
    width = values.shape[1] + (1 if index else 0)
    for idx, row in zip(df.index, values, strict=True):
        if not index and len(row) > 1 and row[0].strip() and all(v == "" for v in row[1:]):
            # a group heading: text in the first cell only (see GROUP_ROW)
            rows.append(f'<tr class="group-row"><th scope="rowgroup" colspan="{width}">'
                        f"{esc(row[0])}</th></tr>")
            continue
        cells = [f'<th scope="row">{esc(str(idx))}</th>'] if index else []
        cells += [f"<td{_cell_class(v)}>{esc(v)}</td>" for v in row]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="exhibit-table">\n<thead><tr>' + "".join(head) + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody>\n</table>"
    )


def _contains_secret(df: pd.DataFrame) -> bool:
    return bool((df.astype(object).map(lambda v: isinstance(v, str) and v.strip() == SECRET))
                .to_numpy().any())


def table(
    df: pd.DataFrame,
    *,
    title: str,
    lecture: str,
    champ: str,
    source: str,
    note: str | None = None,
    label: str | None = None,
    index: bool | None = None,
    secret_threshold: int | None = None,
) -> Exhibit:
    """A numbered table exhibit. ``df`` should already be formatted (``fmt_table``): cells are
    shown as they are. The « s. » footnote is added when any cell is « s. »."""
    title = _require_text("title", title)
    body = table_html(df, index=index)
    return Exhibit(
        kind="table",
        number=registry.number("table", label),
        title=title,
        body_html=body,
        lecture=_require_text("lecture", lecture),
        champ=_require_text("champ", champ),
        source=_require_text("source", source),
        note=note,
        has_secret=_contains_secret(df),
        secret_threshold=(
            secret_threshold if secret_threshold is not None else registry.secret_threshold
        ),
    )


# --------------------------------------------------------------------------- figures


def _image_html(fig: object, alt: str, fmt: str) -> str:
    """``<img>`` with a data URI from a matplotlib Figure, a :class:`~.drawings.Drawing`, PNG
    bytes or SVG text.

    A Figure or a Drawing keeps its physical width (inches) whatever the format, so that a
    200-dpi PNG is not shown at twice its intended size.
    """
    width = ""
    if isinstance(fig, Drawing):
        width = f' style="width: {fig.width:.2f}in"'
        mime, data = "image/svg+xml", fig.svg.encode("utf-8")
    elif isinstance(fig, bytes):
        mime, data = ("image/png", fig) if fig[:8] == b"\x89PNG\r\n\x1a\n" else (
            "image/svg+xml", fig)
    elif isinstance(fig, str):
        mime, data = "image/svg+xml", fig.encode("utf-8")
    else:
        from impact.report import figures  # matplotlib is imported only when a figure is embedded

        width = f' style="width: {fig.get_figwidth():.2f}in"'
        if fmt == "svg":
            mime, data = "image/svg+xml", figures.to_svg(fig).encode("utf-8")
        elif fmt == "png":
            mime, data = "image/png", figures.to_png(fig)
        else:
            raise ValueError("fmt must be 'svg' or 'png'")
    b64 = base64.b64encode(data).decode("ascii")
    alt_attr = html.escape(alt, quote=True)
    return (f'<img class="exhibit-img" alt="{alt_attr}"{width} '
            f'src="data:{mime};base64,{b64}">')


def figure(
    fig: object,
    alt: str,
    *,
    title: str,
    lecture: str,
    champ: str,
    source: str,
    note: str | None = None,
    label: str | None = None,
    fmt: str = "svg",
    secret: bool | None = None,
    secret_threshold: int | None = None,
) -> Exhibit:
    """A numbered figure exhibit.

    ``fig``: a matplotlib Figure (embedded as SVG, vector in the HTML and the PDF; a 200-dpi
    PNG with ``fmt="png"``), a :class:`~.drawings.Drawing` (cached SVG), PNG bytes or SVG
    text. ``alt`` (required, non-empty): the
    text alternative read by screen readers and shown when images are off; the functions of
    :mod:`impact.report.figures` return ``(fig, alt)`` so ``figure(*forest_plot(df), title=…)``
    works. It is typeset in the current language here (an attribute is out of reach of
    :func:`impact.report.typography.typeset_html`): French spaces, or English punctuation
    and quotes around the French proper names it cites.
    ``secret``: add the « s. » footnote; by default, True when the Figure was built with
    suppressed values (``fig.impact_secret``, set by :mod:`impact.report.figures`).
    """
    from impact.report.typography import typeset

    alt = typeset(_require_text("alt", alt), current_language())
    if secret is None:
        secret = fig.secret if isinstance(fig, Drawing) else bool(
            getattr(fig, "impact_secret", False))
    return Exhibit(
        kind="figure",
        number=registry.number("figure", label),
        title=_require_text("title", title),
        body_html=_image_html(fig, alt, fmt),
        lecture=_require_text("lecture", lecture),
        champ=_require_text("champ", champ),
        source=_require_text("source", source),
        note=note,
        alt=alt,
        has_secret=secret,
        secret_threshold=(
            secret_threshold if secret_threshold is not None else registry.secret_threshold
        ),
    )


def exhibits_in(html_text: str) -> Iterable[dict[str, str]]:
    """The exhibits found in a rendered page: kind, number (for checks on the final HTML)."""
    for m in re.finditer(
        r'<figure class="exhibit" data-kind="(\w+)" data-number="(\d+)"', html_text
    ):
        yield {"kind": m.group(1), "number": m.group(2)}
