"""The context of one report document (main report or technical annex, one language), and its
front and back matter: cover, « Pour citer ce document », sommaire placeholder, source lines,
conclusions, references.

The templates (``workflow/notebooks/*.ipynb``) open with ``doc = document.open_document(**
parameters)`` and call short named helpers (this module, :mod:`impact.report.sections`);
nothing statistical is computed here or there: every number is read from a published row.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from impact.report import drawings, notes
from impact.report import tables as rd
from impact.report.citations import CITATION, NOT_CITED, check_citations, cited_works
from impact.report.formatting import lower_first
from impact.report.i18n import translator, use_language
from impact.survey.yamlio import read_yaml

__all__ = ["CITATION", "NOT_CITED", "Document", "check_citations", "cite_line", "cited_works",
           "open_document", "source_line"]

def source_line(campaign_label: str, tables: Sequence[int], synthetic: bool,
                lang: str = "fr") -> str:
    """« Enquêtes Impact ITIP, campagne 2025-2026 — données synthétiques de démonstration ;
    tableaux 1 et 2 du paquet de données. » (the tables' numbers in the datapackage)."""
    _ = translator(lang)
    label = lower_first(campaign_label)
    text = _("Enquêtes Impact ITIP, {campaign}").format(campaign=label)
    if synthetic:
        text += _(" — données synthétiques de démonstration")
    numbers = sorted(set(tables))
    if numbers:
        listed = [str(n) for n in numbers]
        joined = listed[0] if len(listed) == 1 else (
            ", ".join(listed[:-1]) + _(" et ") + listed[-1])
        text += (_(" ; tableau {numbers} du paquet de données") if len(listed) == 1
                 else _(" ; tableaux {numbers} du paquet de données")).format(numbers=joined)
    return text + "."


def cite_line(template: str, title: str, when: date) -> str:
    """« Pour citer ce document » from the config's pattern ({year}, {title})."""
    return template.format(year=when.year, title=title)


@dataclass
class Document(drawings.DrawsFigures):
    """Everything a template's helpers read: parameters, labels, published tables, config."""

    params: dict
    lang: str
    labels: rd.Labels
    ind: pd.DataFrame
    accounting: pd.DataFrame
    quality: dict[str, pd.DataFrame]
    prov: dict
    config: dict
    table_numbers: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["params"][name]
        except KeyError:
            raise AttributeError(name) from None

    # ----------------------------------------------------------------- words

    @property
    def _(self):
        return translator(self.lang)

    @property
    def demo(self) -> bool:
        return bool(self.params.get("synthetic") or self.params.get("demo_key"))

    def P(self, programme: str) -> str:
        return self.labels.programme(programme)

    def w(self, wave: str) -> str:
        return self.labels.wave(wave)  # already in the report's language

    def setting(self, key: str, default: object = None) -> object:
        """A key of the report's config in the document's language: ``<key>_en`` for the
        English edition when the config has it, else ``<key>`` (names, organisation and
        citation are written once per language in ``config/report/report.yaml``)."""
        if self.lang != "fr" and f"{key}_{self.lang}" in self.config:
            return self.config[f"{key}_{self.lang}"]
        return self.config.get(key, default)

    def lower_is_better(self) -> list[str]:
        return list(self.config.get("lower_is_better", []))

    def source(self, programmes: Sequence[str] | None = None, pooled: bool = False) -> str:
        """Source line citing the survey and the datapackage tables of ``programmes``
        (all when None), plus the pooled table when ``pooled``."""
        progs = self.programmes if programmes is None else programmes
        names = [f"{p}.csv" for p in progs] + (["pooled.csv"] if pooled else [])
        numbers = [self.table_numbers[n] for n in names if n in self.table_numbers]
        return source_line(self.campaign_label, numbers, self.demo, self.lang)

    def secret_source(self) -> str:
        """Source line for what comes from the survey itself (instrument, codebooks)."""
        return source_line(self.campaign_label, [], self.demo, self.lang)

    def say(self, text: str):
        from IPython.display import Markdown

        return Markdown(text)

    # ----------------------------------------------------------------- front matter

    @property
    def when(self) -> date:
        return date.fromisoformat(self.report_date) if self.report_date else date.today()

    def cover(self, kicker: str | None = None, subtitle: str | None = None) -> str:
        """The cover: kicker, title, campaign, subtitle, demonstration banner, authors,
        organisation, date, « Pour citer ce document »."""
        from babel.dates import format_date

        _ = self._
        kicker = kicker or _("Rapport d’évaluation")
        subtitle = subtitle or _("Cordées, immersions et sessions : ce qui change pour les "
                                 "publics accueillis")
        esc = html.escape
        banner = ""
        if self.demo:
            why = []
            if self.synthetic:
                why.append(_("les réponses ont été simulées et ne décrivent aucune personne "
                             "réelle"))
            if self.demo_key:
                why.append(_("les codes pseudonymes ont été hachés avec la clé publique de "
                             "démonstration"))
            banner = ('<p class="demo-banner"><strong>' + esc(_("Données synthétiques de "
                                                               "démonstration"))
                      + "</strong> — " + esc(" ; ".join(why) + ". " + _(
                          "Aucun résultat de ce document ne doit être cité comme une mesure "
                          "de l’impact réel des actions.")) + "</p>")
        footer = ('<style>@page { @bottom-left { content: "'
                  + _("Données synthétiques de démonstration")
                  + '"; font-family: "DejaVu Sans", sans-serif; font-size: 7pt; '
                  'color: #D55E00; vertical-align: top; padding-top: 4mm; } }</style>'
                  ) if self.demo else ""
        locale = "fr_FR" if self.lang == "fr" else "en_GB"
        authors = ", ".join(self.setting("authors", [])) or self.author
        organisation = self.setting("organisation", self.author)
        pattern = self.setting("citation", "")
        cite = cite_line(pattern, self.title, self.when) if pattern else ""
        cite_label = _("Pour citer ce document")  # not inside an f-string: Babel must see it
        return (f'{footer}<div class="cover">\n'
                f'<p class="cover-kicker">{esc(kicker)}</p>\n'
                f'<h1 class="cover-title">{esc(self.title)}</h1>\n'
                f'<p class="subtitle">{esc(self.campaign_label)}</p>\n'
                f'<p class="subtitle">{esc(subtitle)}</p>\n{banner}\n'
                '<div class="meta">\n'
                f'<p class="authors">{esc(authors)}</p>\n'
                f'<p class="organisation">{esc(organisation)}</p>\n'
                f'<p>{esc(format_date(self.when, format="long", locale=locale))}</p>\n'
                + (f'<p class="cite"><strong>{esc(cite_label)}</strong> : '
                   f'{esc(cite)}</p>\n' if cite else "")
                + "</div>\n</div>\n")

    def contents(self) -> str:
        """Placeholder the renderer fills with the sommaire (h1/h2 of the page, linked, with
        page numbers in the PDF)."""
        heading = self._("Sommaire")  # not inside an f-string: Babel must see it
        return (f'<nav class="toc" data-toc="h1,h2"><h1 class="toc-title">'
                f'{html.escape(heading)}</h1></nav>')

    def link(self, target: str, text: str) -> str:
        """A relative link to another document of the run (same directory)."""
        if not target:
            return html.escape(text)
        return f'<a href="{html.escape(target)}">{html.escape(text)}</a>'

    def annex_pointer(self) -> str:
        """A paragraph that links to the technical annex of the same language."""
        _ = self._
        return ('<p class="annex-pointer">' + html.escape(_("Annexe technique : "))
                + self.link(self.params.get("annex_link", ""),
                            _("Impact ITIP — annexe technique")) + "</p>")

    # ----------------------------------------------------------------- back matter

    def conclusions(self) -> str:
        """The researcher's conclusions file, as written."""
        from impact.report.synthesis import conclusions_markdown

        return conclusions_markdown(self.params["conclusions"], self.lang)

    def references(self) -> str:
        """Every work of the config's list, in alphabetical order, as Markdown; the English
        edition reads an entry of ``references_en`` (same keys) where one is given."""
        refs = dict(self.config.get("references", {}))
        if self.lang != "fr":
            refs.update(self.config.get(f"references_{self.lang}") or {})
        return "\n\n".join(f"- {refs[k]}" for k in sorted(refs, key=str.lower))


def _table_numbers(datapackage: str | None) -> dict[str, int]:
    """file name → its table number (1-based position among the datapackage's resources)."""
    if not datapackage or not Path(datapackage).is_file():
        return {}
    package = json.loads(Path(datapackage).read_text(encoding="utf-8"))
    out = {}
    for k, res in enumerate(package.get("resources", []), 1):
        path = res.get("path")
        if isinstance(path, str):
            out[Path(path).name] = k
    return out


def open_document(**params) -> Document:
    """Read what a template needs (published tables, labels, the report's config) and set the
    language of numbers (:func:`impact.report.i18n.use_language`)."""
    lang = params.get("lang", "fr")
    use_language(lang)
    # opened by hand from workflow/notebooks/: work from the repository's root
    if not Path(params["pooled_table"]).exists() and Path("../..", params["pooled_table"]).exists():
        os.chdir("../..")
    notes.reset_numbering()
    notes.configure(secret_threshold=params.get("disclosure_threshold"))
    labels = rd.load_labels(params["instrument"], params["codebooks"])
    ind = rd.load_indicators([*params["indicator_tables"], params["pooled_table"]])
    accounting = pd.read_csv(params["row_accounting"], keep_default_na=False, na_values=[""])
    quality = {p: pd.read_csv(path) for p, path in params["linkage_quality"].items()}
    prov_path = Path(params.get("provenance", ""))
    prov = json.loads(prov_path.read_text(encoding="utf-8")) if prov_path.is_file() else {}
    cfg_path = params.get("report_config") or ""
    config = (read_yaml(cfg_path) or {}
              if cfg_path and Path(cfg_path).is_file() else {})
    for key in ("value_labels", *([f"value_labels_{lang}"] if lang != "fr" else [])):
        for variable, codes in (config.get(key) or {}).items():
            labels.codes.setdefault(variable, {}).update(codes)
    return Document(params=dict(params), lang=lang, labels=labels, ind=ind,
                    accounting=accounting, quality=quality, prov=prov, config=config,
                    table_numbers=_table_numbers(params.get("datapackage")))


#: The templates' papermill parameters (the parameter cell of ``impact_itip.ipynb``).
PARAMETERS = (
    "lang", "title", "author", "campaign_label", "synthetic", "demo_key", "programmes", "waves",
    "disclosure_threshold", "alpha", "reliability_threshold", "adjustment", "family",
    "subgroups", "pipeline_version", "report_date", "indicator_tables", "pooled_table",
    "datapackage", "row_accounting", "disclosure_summary", "linkage_quality", "ingest_reports",
    "checks", "codebooks", "instrument", "provenance", "report_config", "conclusions",
    "data_docs_link", "annex_link", "main_link",
)


def from_namespace(namespace: Mapping[str, object]) -> Document:
    """:func:`open_document` on the template's parameters (its ``globals()``)."""
    return open_document(**{k: namespace[k] for k in PARAMETERS if k in namespace})


def show(*items: object) -> None:
    """Display each item that is not None (an exhibit, Markdown text, a list of exhibits)."""
    from IPython.display import Markdown, display

    for item in items:
        if item is None:
            continue
        if isinstance(item, list):
            show(*item)
        elif isinstance(item, str):
            display(Markdown(item))
        else:
            display(item)

