"""French and English typography for every string of the report (placeholder: identity until
the typography module lands)."""

from __future__ import annotations


def typeset(text: str, lang: str = "fr") -> str:
    """Return ``text`` with the typographic conventions of ``lang`` applied."""
    return text


def typeset_html(html: str, lang: str = "fr") -> str:
    """Apply :func:`typeset` to the text nodes of an HTML document."""
    return html
