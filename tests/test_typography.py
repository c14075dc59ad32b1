"""Typography of the report: hand-written cases (issue 16's examples), idempotence, a property
test that only spaces, quotes and apostrophes change, HTML handling, and the violation counter
read back from a WeasyPrint PDF.

Spaces are written explicitly: NB = U+00A0 NO-BREAK SPACE, NN = U+202F NARROW NO-BREAK SPACE.
"""

from __future__ import annotations

import random
import re

import pytest

from impact.report.typography import count_violations, typeset, typeset_html

NB = "\u00a0"
NN = "\u202f"

FR_CASES = [
    ("Note : effet", f"Note{NB}: effet"),
    ("Note: effet", f"Note{NB}: effet"),
    ("[0,12 ; 0,40]", f"[0,12{NN}; 0,40]"),
    ("a;b et fin;", f"a;b et fin{NN};"),
    ("Pourquoi ? Parce que !", f"Pourquoi{NN}? Parce que{NN}!"),
    ("Vraiment?!", f"Vraiment{NN}?!"),
    ("« fort »", f"«{NB}fort{NB}»"),
    ("«fort»", f"«{NB}fort{NB}»"),
    ("l'effet d'ensemble", "l’effet d’ensemble"),
    ("le 1 décembre 2026", "le 1er décembre 2026"),
    ("le 11 décembre, le 21 mai", "le 11 décembre, le 21 mai"),
    ("n = 12", f"n{NB}={NB}12"),
    ("n=12", f"n{NB}={NB}12"),
    ("p < 0,001", f"p{NB}<{NB}0,001"),
    ("p<0,05", f"p{NB}<{NB}0,05"),
    ("g = −0,42", f"g{NB}={NB}−0,42"),
    ("12 %", f"12{NB}%"),
    ("12,5%", f"12,5{NB}%"),
    ("durée 3 h", f"durée 3{NB}h"),
    ("123456 élèves", f"123{NN}456 élèves"),
    ("1234567", f"1{NN}234{NN}567"),
    # left alone: years, decimal parts, postcodes, times, URLs, e-mail addresses
    ("campagne 2025-2026", "campagne 2025-2026"),
    ("0,123456", "0,123456"),
    ("21000 Dijon", "21000 Dijon"),
    ("à 14:30", "à 14:30"),
    ("https://example.org/a?b=1;c=2", "https://example.org/a?b=1;c=2"),
    ("écrire à jean.dupont@example.org ?", f"écrire à jean.dupont@example.org{NN}?"),
]

EN_CASES = [
    ("Note : effect", "Note: effect"),
    ("Really ? Yes !", "Really? Yes!"),
    ("[0.12 ; 0.40]", "[0.12; 0.40]"),
    ("12 %", "12%"),
    (f"12{NB}%", "12%"),
    ("it's", "it’s"),
    ("'quoted'", "‘quoted’"),
    ('he said "yes" (or "no")', "he said “yes” (or “no”)"),
    ("« strong »", "“strong”"),
    ("n = 12, p < 0.001", f"n{NB}={NB}12, p{NB}<{NB}0.001"),
    ("1 December 2026", "1 December 2026"),
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
]


@pytest.mark.parametrize(("text", "expected"), FR_CASES)
def test_french_cases(text: str, expected: str) -> None:
    assert typeset(text, "fr") == expected


@pytest.mark.parametrize(("text", "expected"), EN_CASES)
def test_english_cases(text: str, expected: str) -> None:
    assert typeset(text, "en") == expected


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("text", [t for t, _ in FR_CASES + EN_CASES])
def test_idempotent(text: str, lang: str) -> None:
    once = typeset(text, lang)
    assert typeset(once, lang) == once


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report language 'de'"):
        typeset("x", "de")
    with pytest.raises(ValueError, match="unknown report language"):
        count_violations("x", "de")


_ALPHABET = list("abcdeéèàçnpgzLD0123456789,.:;!?%'\"«»=<>−-/@ ") + [NB, NN, "\n", "1 mai"]
_SPACES_AND_QUOTES = re.compile(f"[ {NB}{NN}'\"«»‘’“”]")


def _skeleton(text: str) -> str:
    """The text without spaces, quotes and apostrophes, and with « 1er » read as « 1 »."""
    return _SPACES_AND_QUOTES.sub("", re.sub(r"\b1er(?=[ \u00a0\u202f]+mai)", "1", text))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_only_spaces_and_quotes_change(lang: str) -> None:
    """Property: on random strings, letters, digits and punctuation are kept in order (only
    spaces, quotes, apostrophes and the « er » of « 1er » may differ), and typeset is
    idempotent."""
    rng = random.Random(20261201)
    for _ in range(3000):
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30)))
        out = typeset(text, lang)
        assert _skeleton(out) == _skeleton(text), (text, out)
        assert typeset(out, lang) == out, (text, out)
        if lang == "en":
            assert not re.search("[«»'\"]", out), (text, out)


def test_typeset_fixes_what_count_violations_counts() -> None:
    text = (
        "Note : l'effet est « fort » ; n = 12, p < 0,001, 12 % des élèves, "
        "le 1 décembre. Pourquoi ? Voilà !"
    )
    before = count_violations(text, "fr")
    assert before == {
        "space_before_colon": 1,
        "space_before_semicolon": 1,
        "space_before_exclamation": 1,
        "space_before_question": 1,
        "space_after_opening_guillemet": 1,
        "space_before_closing_guillemet": 1,
        "straight_apostrophe": 1,
        "first_of_month": 1,
        "relation_spaces": 2,
        "number_unit_space": 1,
        "point_median": 0,
    }
    assert set(count_violations(typeset(text, "fr"), "fr").values()) == {0}
    en = 'Note : it\'s « strong » ; n = 12, 12 % and "quoted" ?'
    assert count_violations(en, "en") == {
        "space_before_punctuation": 3,
        "space_before_percent": 1,
        "guillemets": 2,
        "straight_quotes": 3,
        "relation_spaces": 1,
        "point_median": 0,
    }
    assert set(count_violations(typeset(en, "en"), "en").values()) == {0}


def test_pdf_extraction_space_after_a_no_break_space_is_not_a_violation() -> None:
    counts = count_violations(f"Secret primaire{NB} : aucun ; vagues) {NB} : fin{NN} ? oui")
    assert counts["space_before_colon"] == 0 and counts["space_before_question"] == 0
    assert counts["space_before_semicolon"] == 1  # « aucun ; »: a plain space


def test_point_median_is_counted_and_urls_are_not() -> None:
    counts = count_violations("les collégien·nes ; voir https://x.org/a?b=1: fin θ ± z·s", "fr")
    assert counts["point_median"] == 1
    assert counts["space_before_semicolon"] == 1
    assert counts["space_before_colon"] == 0
    assert counts["space_before_question"] == 0


# --------------------------------------------------------------------------- HTML

DOC = (
    '<!DOCTYPE html>\n<html lang="fr"><head><title>Rapport : test</title>'
    "<style>p:first-child{content:'a ; b'}</style>"
    "<script>var a = b ? c : 'd';</script></head>\n"
    "<body><p title=\"Note : attribut\" class='x'>Note : <strong>n</strong> = 12 "
    "&amp; l&#39;effet <code>x = 1 ; 'y'</code> ?</p>\n"
    "<!-- commentaire : ne pas toucher -->"
    '<pre>a : b ; c</pre><p>«<em>mot</em>» et <a href="https://x.org/?q=1">lien</a> !</p>'
    "<table><tr><td>12 %</td><td>fin</td></tr></table></body></html>"
)
EXPECTED = (
    '<!DOCTYPE html>\n<html lang="fr"><head><title>Rapport\u00a0: test</title>'
    "<style>p:first-child{content:'a ; b'}</style>"
    "<script>var a = b ? c : 'd';</script></head>\n"
    "<body><p title=\"Note : attribut\" class='x'>Note\u00a0: <strong>n</strong>\u00a0=\u00a012 "
    "&amp; l’effet <code>x = 1 ; 'y'</code>\u202f?</p>\n"
    "<!-- commentaire : ne pas toucher -->"
    '<pre>a : b ; c</pre><p>«\u00a0<em>mot</em>\u00a0» et <a href="https://x.org/?q=1">lien</a>'
    "\u202f!</p>"
    "<table><tr><td>12\u00a0%</td><td>fin</td></tr></table></body></html>"
)


def test_typeset_html_touches_text_nodes_only() -> None:
    out = typeset_html(DOC, "fr")
    assert out == EXPECTED
    assert typeset_html(out, "fr") == out


def test_typeset_html_keeps_unchanged_nodes_byte_identical() -> None:
    doc = "<p>Rien&nbsp;à&#32;faire &lt;ici&gt; &eacute;videmment</p><br/><p>x</p>"
    assert typeset_html(doc, "fr") == doc


def test_typeset_html_escapes_changed_nodes() -> None:
    # The node changes (p<0,05 gets its spaces): « < » must come back escaped.
    assert typeset_html("<td>p&lt;0,05 &amp; l'a</td>", "fr") == (
        "<td>p\u00a0&lt;\u00a00,05 &amp; l’a</td>"
    )


def test_typeset_html_does_not_join_blocks() -> None:
    # « n » ends one cell, « = 12 » starts the next: not one phrase.
    doc = "<tr><td>n</td><td>= 12</td></tr>"
    assert typeset_html(doc, "fr") == doc


def test_typeset_html_english() -> None:
    doc = "<p>Note : <em>it's</em> « fine » ; 12 %</p><code>a : b</code>"
    assert typeset_html(doc, "en") == "<p>Note: <em>it’s</em> “fine”; 12%</p><code>a : b</code>"


# --------------------------------------------------------------------------- PDF read-back


def test_no_break_spaces_survive_weasyprint_and_pypdf() -> None:
    """The PDF test counts on the real characters: pypdf returns U+00A0 / U+202F from a
    WeasyPrint PDF (pdfplumber's extract_text does not: it maps them to spaces)."""
    import io

    import pypdf
    import weasyprint

    body = typeset_html(
        "<p>Note : n = 12, p < 0,001 ; l'effet est « fort » ? 12 % le 1 décembre.</p>", "fr"
    )
    pdf = weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert NN in text and NB in text
    assert set(count_violations(text, "fr").values()) == {0}
    raw = weasyprint.HTML(string="<p>Note : l'effet « fort » ?</p>").write_pdf()
    raw_counts = count_violations(pypdf.PdfReader(io.BytesIO(raw)).pages[0].extract_text())
    assert raw_counts["space_before_colon"] == 1
    assert raw_counts["straight_apostrophe"] == 1
    assert raw_counts["space_before_question"] == 1
