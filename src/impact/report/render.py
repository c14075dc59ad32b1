"""Render the executed report notebook to a self-contained HTML file and a PDF.

Pipeline: papermill executes ``workflow/notebooks/…ipynb`` (:func:`execute_notebook`), then
:func:`render_report` converts the executed notebook:

1. **HTML** — nbconvert's ``HTMLExporter`` with the ``basic`` template (the cells only, no
   ``<html>``/``<head>``: the ``lab`` and ``classic`` templates load MathJax, require.js and
   jQuery from CDNs), Markdown cells tagged with another language than the edition's
   dropped (tags ``fr`` / ``en``, :data:`LANGUAGES`), the sommaire filled in
   (:func:`fill_contents`), :func:`impact.report.typography.typeset_html` applied to the
   finished page, code cells and prompts hidden (``exclude_input``,
   ``exclude_input_prompt``, ``exclude_output_prompt``), no « ¶ » anchor links, images of
   Markdown cells embedded (``embed_images``), cells tagged ``remove_cell`` dropped, stderr
   outputs (warnings) dropped. We wrap the cells in our own page: ``<html lang="fr">``, the
   title, and ``report.css`` inlined in a ``<style>`` element. Any ``<script>`` is stripped (the
   report is static), and the result is checked: no resource (``src=``, ``<link href=``,
   CSS ``url()``) may point outside the page — figures are data URIs.
2. **PDF** — WeasyPrint (the only PDF engine available: no LaTeX, no Chromium) renders that
   same HTML with the print rules of ``report.css`` (A4, « page X / Y », running title,
   DejaVu fonts via fontconfig). Its URL fetcher only accepts ``data:`` and ``file:`` URLs,
   so it never touches the network; any refused URL makes the rendering fail.

Reading PDFs back (tests, the report rule's checks): :func:`pdf_outline` and
:func:`pdf_page_count` use a small reader of the PDF object structure written for what
WeasyPrint produces (classic and compressed object streams, Flate), written before a PDF
library was a dependency; :func:`pdf_text` uses PDFium (``pypdfium2``), :func:`pdf_metadata`
``pypdf``.
"""

from __future__ import annotations

import html as html_lib
import logging
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_CSS",
    "RenderResult",
    "execute_notebook",
    "external_references",
    "html_to_pdf",
    "notebook_to_html",
    "overflowing_boxes",
    "pdf_alt_texts",
    "pdf_metadata",
    "pdf_outline",
    "pdf_page_count",
    "pdf_text",
    "render_report",
]

DEFAULT_CSS = Path(__file__).with_name("report.css")
DEFAULT_TITLE = "Impact ITIP"
#: Languages of the report's editions: a Markdown cell tagged with one of them is shown only
#: in that edition (untagged cells in all).
LANGUAGES = ("fr", "en")
LOG = logging.getLogger(__name__)


# --------------------------------------------------------------------------- papermill


def execute_notebook(
    template: Path,
    output: Path,
    parameters: Mapping[str, object] | None = None,
    *,
    kernel_name: str = "impact-itip",
    cwd: Path | None = None,
    timeout: int = 1800,
) -> Path:
    """Run the report notebook with papermill (parameters injected after the cell tagged
    ``parameters``). ``kernel_name`` is the kernelspec installed in the venv by
    ``make`` (``python -m ipykernel install --prefix .venv --name impact-itip``)."""
    import papermill as pm

    output.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(template),
        str(output),
        parameters=dict(parameters or {}),
        kernel_name=kernel_name,
        cwd=str(cwd) if cwd else None,
        execution_timeout=timeout,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
    )
    return output


# --------------------------------------------------------------------------- HTML


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_EXTERNAL = re.compile(
    r"""(?:\bsrc\s*=\s*["']?|<link\b[^>]*\bhref\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
    r"""\s*((?:https?:)?//[^"')\s>]+)""",
    re.IGNORECASE,
)


def external_references(html_text: str) -> list[str]:
    """URLs of resources the page would fetch from elsewhere (img/script src, stylesheet
    links, CSS url()/@import). Hyperlinks (``<a href>``) are not resources."""
    return [m.group(1) for m in _EXTERNAL.finditer(html_text)]


def _css_string(s: str) -> str:
    """A CSS string literal; ``<`` escaped too, so a title cannot close the ``<style>``."""
    return ('"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
            .replace("<", "\\3C ") + '"')


def _drop_invisible(nb, keep_stderr: bool) -> None:
    """Drop stderr outputs (warnings, logs) unless asked, then code cells left without
    output: with the code hidden they would only leave empty boxes, which would make the
    first ``h1`` not the first thing on the page (and its forced break a blank page)."""
    kept = []
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            if not keep_stderr:
                cell["outputs"] = [
                    o for o in cell.get("outputs", [])
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                ]
            if not cell["outputs"]:
                continue
        kept.append(cell)
    nb.cells = kept


def notebook_to_html(
    executed_ipynb: Path,
    css: Path | None = None,
    *,
    title: str | None = None,
    author: str | None = None,
    keep_stderr: bool = False,
    lang: str = "fr",
    subject: str | None = None,
    keywords: Sequence[str] = (),
) -> str:
    """The executed notebook as one self-contained HTML page (code hidden), in ``lang``:
    Markdown cells tagged with another language of :data:`LANGUAGES` are dropped (untagged
    cells are for every language), and :func:`impact.report.typography.typeset_html` is
    applied to the finished page. ``subject`` and ``keywords`` become ``<meta>`` elements,
    which WeasyPrint writes as the PDF's Subject and Keywords."""
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    from impact.report.typography import typeset, typeset_html

    nb = nbformat.read(str(executed_ipynb), as_version=4)
    _drop_invisible(nb, keep_stderr)
    title = title or nb.metadata.get("title") or DEFAULT_TITLE

    c = Config()
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.exclude_anchor_links = True
    c.HTMLExporter.embed_images = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"remove_cell", "remove-cell"} | (
        set(LANGUAGES) - {lang})
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output", "remove-output"}
    exporter = HTMLExporter(config=c, template_name="basic")
    resources = {"metadata": {"path": str(Path(executed_ipynb).parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = _SCRIPT.sub("", body)

    css_text = Path(css or DEFAULT_CSS).read_text(encoding="utf-8")
    esc = html_lib.escape
    meta = "".join(f'<meta name="{name}" content="{esc(value)}">\n'
                   for name, value in (("author", author), ("description", subject),
                                       ("keywords", ", ".join(keywords))) if value)
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n{meta}"
        f"<style>\n{css_text}\n</style>\n"
        # a CSS string is not a text node: typeset it here (the running title of every page)
        f"<style>@page {{ @top-center {{ content: {_css_string(typeset(title, lang))}; }} }}"
        "</style>\n"
        f"<style>\n{CONTENTS_CSS}</style>\n"
        '</head>\n<body class="impact-report">\n<main>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )
    page = fill_contents(page)
    page = typeset_html(page, lang)
    bad = external_references(page)
    if bad:
        raise ValueError(f"the report would fetch external resources: {bad[:5]}")
    return page


# --------------------------------------------------------------------------- sommaire

#: The printed sommaire: dotted leaders and the page of each target (WeasyPrint's
#: ``target-counter``; a browser shows the links only).
CONTENTS_CSS = """nav.toc ol { list-style: none; padding-left: 0; margin: 0; }
nav.toc li { margin: 0.25em 0; }
nav.toc li.toc-h2 { padding-left: 1.5em; font-size: 0.95em; }
nav.toc li.toc-h1 { font-weight: bold; margin-top: 0.6em; }
nav.toc a { color: inherit; text-decoration: none; }
@media print {
  nav.toc a::after { content: leader(".") target-counter(attr(href), page); }
}
"""


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w]+", "-", text.strip().lower()).strip("-") or "section"
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


def fill_contents(page: str) -> str:
    """Fill every ``<nav class="toc" data-toc="h1,h2">`` of the page with a linked list of
    the headings after it (cover and sommaire titles excluded); headings without an ``id``
    get one."""
    from bs4 import BeautifulSoup

    if 'class="toc"' not in page:
        return page
    soup = BeautifulSoup(page, "html.parser")
    taken = {t["id"] for t in soup.find_all(id=True)}
    for nav in soup.find_all("nav", class_="toc"):
        levels = (nav.get("data-toc") or "h1,h2").split(",")
        items = soup.new_tag("ol")
        for h in nav.find_all_next(levels):
            if set(h.get("class", [])) & {"cover-title", "toc-title"}:
                continue
            if not h.get("id"):
                h["id"] = _slug(h.get_text(" ", strip=True), taken)
            li = soup.new_tag("li", attrs={"class": f"toc-{h.name}"})
            a = soup.new_tag("a", href=f"#{h['id']}")
            a.string = h.get_text(" ", strip=True)
            li.append(a)
            items.append(li)
        nav.append(items)
    return str(soup)


# --------------------------------------------------------------------------- PDF


def _offline_fetcher():
    """A WeasyPrint URL fetcher limited to data: and file: URLs; remembers what it refused."""
    from weasyprint import URLFetcher

    class OfflineFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data", "file"}, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.lower().startswith(("data:", "file:")):
                self.refused.append(url)
            return super().fetch(url, headers)

    return OfflineFetcher()


def _flatten(tree, out: list[str]) -> list[str]:
    for label, _target, children, _state in tree:
        out.append(label)
        _flatten(children, out)
    return out


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def overflowing_boxes(doc, tolerance: float = 2.0) -> list[tuple[int, str, float]]:
    """Tables and images of a rendered WeasyPrint document that stick out of the right edge of
    the page's content area by more than ``tolerance`` CSS px: (page number, "table" or
    "image", excess). report.css clips them (``.exhibit-body { overflow: hidden }``), so
    they would silently lose columns."""
    out = []
    for number, page in enumerate(doc.pages, 1):
        root = page._page_box
        right = root.content_box_x() + root.width
        for box in _boxes(root):
            name = type(box).__name__
            kind = "table" if name == "TableBox" else "image" if "Replaced" in name else None
            if kind:
                excess = box.position_x + box.margin_width() - right
                if excess > tolerance:
                    out.append((number, kind, float(excess)))
    return out


@dataclass(frozen=True)
class RenderResult:
    html: Path
    pdf: Path
    pages: int
    outline: list[str]


def html_to_pdf(
    html_text: str, pdf_out: Path, base_url: Path | None = None
) -> tuple[int, list[str]]:
    """Write the PDF with WeasyPrint, offline. Returns (page count, outline headings).

    The PDF is tagged (``pdf_tags``): it has a structure tree, ``/Lang (fr)``, and each
    figure's ``alt`` text as its ``/Alt`` entry, so screen readers get it from the PDF too.
    The same HTML gives the same bytes (no dates; font subsets stamped with
    ``SOURCE_DATE_EPOCH``, 0 unless the caller set it)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _offline_fetcher()
    doc = weasyprint.HTML(
        string=html_text,
        base_url=str(base_url) if base_url else None,
        url_fetcher=fetcher,
    ).render(font_config=FontConfiguration(), pdf_tags=True)
    if fetcher.refused:
        raise ValueError(f"the report references external resources: {fetcher.refused[:5]}")
    for page, kind, excess in overflowing_boxes(doc):
        LOG.warning("page %d: a %s is wider than the text column by %.0f px (its right part "
                    "is cut off in the PDF)", page, kind, excess)
    pdf_out.parent.mkdir(parents=True, exist_ok=True)
    # Font subsets are made by fontTools, which stamps each subset's `head.modified` with the
    # current time unless SOURCE_DATE_EPOCH is set (reproducible-builds convention): fix it
    # for the duration of the write so the same HTML always gives the same PDF bytes.
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = previous or "0"
    try:
        doc.write_pdf(str(pdf_out), pdf_tags=True)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
    return len(doc.pages), _flatten(doc.make_bookmark_tree(), [])


def render_report(
    executed_ipynb: Path,
    html_out: Path,
    pdf_out: Path,
    css: Path | None = None,
    *,
    title: str | None = None,
    author: str | None = None,
    lang: str = "fr",
) -> RenderResult:
    """Executed notebook → self-contained HTML (code hidden) → PDF (WeasyPrint)."""
    executed_ipynb, html_out, pdf_out = Path(executed_ipynb), Path(html_out), Path(pdf_out)
    page = notebook_to_html(executed_ipynb, css, title=title, author=author, lang=lang)
    html_out.parent.mkdir(parents=True, exist_ok=True)
    html_out.write_text(page, encoding="utf-8")
    # No base URL: the page is self-contained, and relative links (to the Data Docs) stay
    # relative in the PDF instead of becoming file:// URIs naming this machine's directories.
    pages, outline = html_to_pdf(page, pdf_out)
    LOG.info("report: %s (%d pages)", pdf_out, pages)
    return RenderResult(html=html_out, pdf=pdf_out, pages=pages, outline=outline)


# --------------------------------------------------------------------------- reading PDFs
# A deliberately small reader of the PDF object graph (ISO 32000-1 §7.3, §7.5.7 object
# streams), enough for the catalogue, the page tree and the outline of WeasyPrint's output.


class _Name(str):
    pass


@dataclass(frozen=True)
class _Ref:
    num: int


@dataclass
class _Stream:
    attrs: dict
    raw: bytes

    def data(self) -> bytes:
        filters = self.attrs.get("Filter")
        filters = filters if isinstance(filters, list) else [filters] if filters else []
        out = self.raw
        for f in filters:
            if f != "FlateDecode":
                raise ValueError(f"unsupported PDF stream filter {f}")
            out = zlib.decompress(out)
        return out


_WS = b" \t\r\n\x0c\x00"
_DELIM = b"()<>[]{}/%"
_NUM = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_REF = re.compile(rb"\s*(\d+)\s+R\b")
_ESC = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


class _Parser:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.d, self.p = data, pos

    def skip(self) -> None:
        d = self.d
        while self.p < len(d):
            c = d[self.p]
            if c in _WS:
                self.p += 1
            elif c == 0x25:  # % comment
                while self.p < len(d) and d[self.p] not in b"\r\n":
                    self.p += 1
            else:
                break

    def value(self):
        self.skip()
        d, p = self.d, self.p
        if d.startswith(b"<<", p):
            self.p += 2
            out = {}
            while True:
                self.skip()
                if d.startswith(b">>", self.p):
                    self.p += 2
                    return out
                key = self.value()
                out[str(key)] = self.value()
        if d[p] == 0x5B:  # [
            self.p += 1
            items = []
            while True:
                self.skip()
                if d[self.p] == 0x5D:
                    self.p += 1
                    return items
                items.append(self.value())
        if d[p] == 0x2F:  # /Name
            q = p + 1
            while q < len(d) and d[q] not in _WS and d[q] not in _DELIM:
                q += 1
            self.p = q
            raw = d[p + 1:q]
            return _Name(re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]),
                                raw).decode("latin-1"))
        if d[p] == 0x28:  # (literal string)
            return self._literal()
        if d[p] == 0x3C:  # <hex>
            q = d.index(b">", p)
            self.p = q + 1
            hexs = re.sub(rb"\s", b"", d[p + 1:q])
            return bytes.fromhex((hexs + b"0" * (len(hexs) % 2)).decode())
        m = _NUM.match(d, p)
        if m:
            self.p = m.end()
            text = m.group()
            if b"." not in text:
                r = _REF.match(d, self.p)
                if r and re.match(rb"\s", d[self.p:self.p + 1]):
                    self.p = r.end()
                    return _Ref(int(text))
                return int(text)
            return float(text)
        for kw, val in ((b"true", True), (b"false", False), (b"null", None)):
            if d.startswith(kw, p):
                self.p += len(kw)
                return val
        raise ValueError(f"PDF syntax error at byte {p}: {d[p:p + 20]!r}")

    def _literal(self) -> bytes:
        d, out, depth = self.d, bytearray(), 0
        self.p += 1
        while True:
            c = d[self.p]
            self.p += 1
            if c == 0x5C:  # backslash
                e = d[self.p]
                self.p += 1
                if e in _ESC:
                    out += _ESC[e]
                elif 0x30 <= e <= 0x37:
                    digits = bytes([e])
                    while len(digits) < 3 and 0x30 <= d[self.p] <= 0x37:
                        digits += bytes([d[self.p]])
                        self.p += 1
                    out.append(int(digits, 8) & 0xFF)
                elif e in b"\r\n":
                    if e == 0x0D and d[self.p] == 0x0A:
                        self.p += 1
                else:
                    out.append(e)
            elif c == 0x28:
                depth += 1
                out.append(c)
            elif c == 0x29:
                if depth == 0:
                    return bytes(out)
                depth -= 1
                out.append(c)
            else:
                out.append(c)


_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")


def _read_objects(path: Path) -> dict[int, object]:
    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF-"):
        raise ValueError(f"{path} is not a PDF file")
    objects: dict[int, object] = {}
    pos = 0
    while (m := _OBJ.search(data, pos)) is not None:
        parser = _Parser(data, m.end())
        value = parser.value()
        parser.skip()
        if isinstance(value, dict) and data.startswith(b"stream", parser.p):
            start = parser.p + len(b"stream")
            start += 2 if data.startswith(b"\r\n", start) else 1
            length = value.get("Length")
            if isinstance(length, int):
                raw = data[start:start + length]
                end = start + length
            else:  # indirect /Length: fall back on the end marker
                end = data.index(b"endstream", start)
                raw = data[start:end].rstrip(b"\r\n")
            value = _Stream(value, raw)
            pos = data.index(b"endobj", end) + 6
        else:
            pos = parser.p
        objects[int(m.group(1))] = value
    # objects packed in object streams (PDF 1.5+)
    for obj in list(objects.values()):
        if isinstance(obj, _Stream) and obj.attrs.get("Type") == "ObjStm":
            body = obj.data()
            n, first = int(obj.attrs["N"]), int(obj.attrs["First"])
            head = [int(x) for x in body[:first].split()]
            for i in range(n):
                num, off = head[2 * i], head[2 * i + 1]
                objects.setdefault(num, _Parser(body, first + off).value())
    return objects


def _resolve(objects: dict[int, object], v: object) -> object:
    while isinstance(v, _Ref):
        v = objects.get(v.num)
    return v


def _catalog(objects: dict[int, object]) -> dict:
    for obj in objects.values():
        if isinstance(obj, dict) and obj.get("Type") == "Catalog":
            return obj
    raise ValueError("no document catalogue in the PDF")


def _text_string(b: object) -> str:
    if not isinstance(b, bytes):
        return str(b)
    if b.startswith(b"\xfe\xff"):
        return b[2:].decode("utf-16-be")
    if b.startswith(b"\xef\xbb\xbf"):
        return b[3:].decode("utf-8")
    return b.decode("latin-1")  # PDFDocEncoding, close enough for headings


def pdf_page_count(pdf_path: Path) -> int:
    """Number of pages (``/Count`` of the page tree root)."""
    objects = _read_objects(pdf_path)
    pages = _resolve(objects, _catalog(objects).get("Pages"))
    if not isinstance(pages, dict):
        raise ValueError("no page tree in the PDF")
    return int(_resolve(objects, pages.get("Count")))  # type: ignore[arg-type]


def pdf_outline(pdf_path: Path) -> list[str]:
    """Titles of the PDF outline (bookmarks), depth first — WeasyPrint makes one per
    ``h1``–``h6``, so these are the report's section headings."""
    objects = _read_objects(pdf_path)
    root = _resolve(objects, _catalog(objects).get("Outlines"))
    out: list[str] = []
    seen: set[int] = set()

    def walk(ref: object, depth: int) -> None:
        while ref is not None and depth < 32:
            if isinstance(ref, _Ref):
                if ref.num in seen:  # malformed (cyclic) outline
                    return
                seen.add(ref.num)
            item = _resolve(objects, ref)
            if not isinstance(item, dict):
                return
            out.append(_text_string(_resolve(objects, item.get("Title"))))
            if "First" in item:
                walk(item["First"], depth + 1)
            ref = item.get("Next")

    if isinstance(root, dict):
        walk(root.get("First"), 0)
    return out


def pdf_alt_texts(pdf_path: Path) -> list[str]:
    """``/Alt`` texts of the tagged PDF's structure elements (the figures' alt text)."""
    objects = _read_objects(pdf_path)
    return [_text_string(_resolve(objects, o["Alt"])) for o in objects.values()
            if isinstance(o, dict) and "Alt" in o]


def pdf_text(pdf_path: Path) -> str:
    """Text of the PDF as a reader copies it, page after page (PDFium, through ``pypdfium2``:
    fifty times faster than pypdf on the annex's vector figures, and the same characters —
    no-break spaces, curly apostrophes). PDFium ends lines with CR LF and marks a hyphen
    that ends a line as U+FFFE: both are given back as the page has them (LF, « - »)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    return "\n".join(pages).replace("\r\n", "\n").replace("\ufffe", "-")


def pdf_metadata(pdf_path: Path) -> dict[str, str]:
    """The PDF's document information (Title, Author, Subject, Keywords…), keys without the
    leading slash (pypdf)."""
    from pypdf import PdfReader

    info = PdfReader(str(pdf_path)).metadata or {}
    return {str(k).lstrip("/"): str(v) for k, v in info.items()}
