"""Figures drawn once per content: editing a template re-reads them instead of redrawing.

Drawing with matplotlib and writing SVG is the slow part of rendering a document (about half
of the main report's execution). :func:`draw` keys each figure by everything that determines
it — the builder's name, its arguments (data frames hashed by value), the edition's language,
the source of the figure modules and matplotlib's version — and keeps the SVG, its text
alternative and its width under :data:`CACHE`. A change of the template's prose or of the
conclusions file changes none of these, so every figure is found; any change to the data, the
labels or the figure code misses, so a cached figure is byte-identical to a fresh one (the
figures are deterministic, :mod:`.figure_style`). The same idea as knitr's chunk cache, for
figures only: text, tables and numbers are always recomputed.

matplotlib is imported only on a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from impact.report.i18n import current_language

__all__ = ["CACHE", "Drawing", "DrawsFigures", "draw"]

#: Relative to the working directory (the repository's root in a run); ``make clean`` and
#: deleting it are always safe.
CACHE = Path(".cache/report-figures")
#: The modules whose source determines a figure (with the message catalogues and matplotlib's
#: version).
_FIGURE_MODULES = ("figures.py", "figure_style.py", "site_figures.py", "logic_figures.py",
                   "formatting.py", "typography.py")


@dataclass(frozen=True)
class Drawing:
    """A finished figure: SVG text, its width in inches (kept in the page), and whether some
    value was replaced by « s. » (the secret-statistique footnote)."""

    svg: str
    width: float
    secret: bool


def draw(builder: str, *args: object, cache: Path | None = CACHE,
         **kwargs: object) -> tuple[Drawing, str]:
    """``(Drawing, alt)`` of ``impact.report.figures.<builder>(*args, **kwargs)``, from
    ``cache`` when the same figure was drawn before (``cache=None``: always draw)."""
    path = cache / f"{_key(builder, args, kwargs)}.json" if cache is not None else None
    if path is not None and path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        return Drawing(stored["svg"], stored["width"], stored["secret"]), stored["alt"]
    from impact.report import figures

    fig, alt = getattr(figures, builder)(*args, **kwargs)
    drawing = Drawing(figures.to_svg(fig), round(fig.get_figwidth(), 4),
                      bool(getattr(fig, "impact_secret", False)))
    if path is not None:
        _store(path, {"svg": drawing.svg, "alt": alt, "width": drawing.width,
                      "secret": drawing.secret})
    return drawing, alt


class DrawsFigures:
    """Mixin of the templates' contexts (main report, annex): ``notes.figure(*doc.draw(
    "forest_plot", frame), …)``. Set ``figure_cache = None`` on an instance to always redraw."""

    figure_cache: Path | None = CACHE

    def draw(self, builder: str, *args: object, **kwargs: object) -> tuple[Drawing, str]:
        return draw(builder, *args, cache=self.figure_cache, **kwargs)


def _store(path: Path, content: dict) -> None:
    # parallel jobs (one per document) may draw the same figure: write, then rename
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


@functools.cache
def _code_version() -> str:
    """The figure code's fingerprint: the source of its modules and catalogues, matplotlib's
    version (read once per process, not once per figure)."""
    h = hashlib.sha256(metadata.version("matplotlib").encode())
    here = Path(__file__).parent
    catalogues = sorted(here.glob("locale/*/*/*.po"))
    for source in [*(here / name for name in _FIGURE_MODULES), *catalogues]:
        h.update(source.read_bytes())
    return h.hexdigest()


def _key(builder: str, args: tuple, kwargs: Mapping[str, object]) -> str:
    h = hashlib.sha256()
    h.update(f"{builder}\0{current_language()}\0{_code_version()}\0".encode())
    _digest(h, args)
    _digest(h, sorted(kwargs.items()))
    return h.hexdigest()[:32]


def _digest(h: hashlib._Hash, obj: object) -> None:
    """Feed ``obj`` to ``h`` by value: frames by their hashed cells, index, columns and types."""
    if isinstance(obj, pd.DataFrame | pd.Series):
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        h.update(repr((type(obj).__name__, frame.shape, list(frame.columns),
                       [str(t) for t in frame.dtypes])).encode())
        try:
            h.update(pd.util.hash_pandas_object(obj, index=True).to_numpy().tobytes())
        except TypeError:  # unhashable cells (lists): their pickled form
            h.update(pickle.dumps(obj))
    elif isinstance(obj, Mapping):
        h.update(b"{")
        for key, value in obj.items():
            _digest(h, key)
            _digest(h, value)
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(b"[")
        for value in obj:
            _digest(h, value)
        h.update(b"]")
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
