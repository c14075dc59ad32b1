"""The validation summary pages: what was checked on each export and what became of its rows,
in French, for a researcher reading offline (self-contained HTML: no script, no web font, no
CDN; every value HTML-escaped).

One page per export (``results/validation/<programme>/<wave>/synthese.html``) and an index
(``results/validation/synthese.html``), built from the published outputs of the validate stage
only — ``checks.csv`` (one line per check) and ``accounting.json`` (rows read = kept +
quarantined + excluded, by reason). They hold counts, check names and the instrument's column
names, never a respondent's value; the page does not even show the checks' observed values.
The Great Expectations Data Docs page of the export is linked as the technical detail.

Verdict of an export (:func:`verdict`):

* « échec » — a table-level check failed, a check raised an exception, or the row accounting
  does not balance (read ≠ kept + quarantined + excluded);
* « réussite avec réponses mises de côté » — otherwise, when rows are in quarantine, awaiting
  the researcher's decision in ``corrections.yaml``. GX reports the row-level expectations these
  rows failed as « failed »: that is the expected outcome of a row check, not a failure of the
  export;
* « réussite » — otherwise. Exclusions (no consent, test, duplicate, earlier copy of a
  resubmission) are documented rules applied to every campaign; they are counted, they do not
  change the verdict.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

SUCCESS = "réussite"
SUCCESS_SET_ASIDE = "réussite avec réponses mises de côté"
FAILURE = "échec"

#: What each check family verifies, in French (the family is the check id before « : »).
CHECK_FAMILIES: dict[str, str] = {
    "required_columns": "la colonne attendue par le codebook est présente",
    "row_count": "le nombre de lignes est dans la plage plausible",
    "campaign_window": "les dates d'envoi sont dans la fenêtre de la campagne",
    "no_consent": "le consentement est donné",
    "consent_missing": "le consentement est renseigné",
    "test_submission": "la réponse n'est pas une réponse de test",
    "exact_duplicate": "la réponse n'est pas le doublon exact d'une autre",
    "resubmission": "la réponse n'est pas une version antérieure d'un nouvel envoi",
    "allowed_codes": "la réponse est l'un des codes prévus",
    "value_range": "la valeur est dans l'intervalle prévu",
    "unknown_site": "l'établissement ou la session figure dans la liste déclarée",
    "required_answers": "la réponse obligatoire est présente",
    "dates_ordered": "le questionnaire a été commencé avant d'être envoyé",
    "duplicate_code": "le code pseudonyme n'est pas en double (même site, genre et âge)",
    "speeder": "la durée de réponse est plausible (pas trop rapide)",
    "straightliner": "les réponses aux échelles ne sont pas toutes identiques",
    "incomplete": "le questionnaire est complet (envoyé, dernière page, réponses)",
    "parse_error": "les valeurs sont lisibles à la lecture de l'export",
}

#: Great Expectations expectation types in French, for a check family not listed above.
EXPECTATION_TYPES: dict[str, str] = {
    "expect_column_to_exist": "la colonne existe",
    "expect_table_row_count_to_be_between": "le nombre de lignes est entre deux bornes",
    "expect_column_min_to_be_between": "la plus petite valeur est entre deux bornes",
    "expect_column_max_to_be_between": "la plus grande valeur est entre deux bornes",
    "expect_column_values_to_be_in_set": "les valeurs appartiennent à l'ensemble prévu",
    "expect_column_values_to_not_be_null": "les valeurs sont renseignées",
    "expect_column_values_to_be_null": "les valeurs sont vides",
    "expect_column_values_to_be_between": "les valeurs sont entre deux bornes",
    "expect_column_pair_values_a_to_be_greater_than_b":
        "la première colonne est postérieure à la seconde",
    "expect_compound_columns_to_be_unique": "la combinaison de colonnes est unique",
}

#: Why rows were excluded or quarantined (row accounting reasons), in French.
REASONS: dict[str, str] = {
    "no_consent": "pas de consentement",
    "consent_missing": "consentement non renseigné",
    "test_submission": "réponse de test",
    "exact_duplicate": "doublon exact",
    "resubmission": "version antérieure d'une réponse envoyée à nouveau (la dernière est gardée)",
    "duplicate_code": "code pseudonyme en double",
    "unknown_site": "établissement ou session non déclaré(e)",
    "incomplete": "questionnaire incomplet",
    "parse_error": "valeur illisible",
    "speeder": "réponse trop rapide",
    "straightliner": "même réponse à tous les items",
    "value_range": "valeur hors de l'intervalle prévu",
    "allowed_codes": "code de réponse non prévu",
    "dates_ordered": "dates incohérentes",
}

SEVERITIES = {"stop": "arrêt du traitement", "quarantine": "mise en quarantaine",
              "exclude": "exclusion", "warn": "signalement"}

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;
color:#1b1b1b;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:.25em .6em;
text-align:left;vertical-align:top}td.n{text-align:right}
.verdict{padding:.6em 1em;border-left:.4em solid;margin:1em 0}
.ok{border-color:#1a7f37;background:#eef8f0}.aside{border-color:#9a6700;background:#fff8e5}
.fail{border-color:#cf222e;background:#ffeef0}.note{color:#555;font-size:.92em}
"""
_CLASS = {SUCCESS: "ok", SUCCESS_SET_ASIDE: "aside", FAILURE: "fail"}


@dataclass(frozen=True)
class ExportSummary:
    """One export's published validation outputs, and where its GX Data Docs page is."""

    accounting: Mapping
    checks: pd.DataFrame
    data_docs_href: str | None = None
    #: the published (redacted) quarantine, ``row_id, check, column, reason``: names the
    #: instrument column behind each reason (a parse error's is not in ``checks.csv``)
    quarantine: pd.DataFrame | None = None


def family(check: str) -> str:
    """The check family: the check id before « : » (``allowed_codes:age`` → ``allowed_codes``)."""
    return str(check).split(":", 1)[0]


def describe_check(check: str, expectation_type: str) -> str:
    """What a check verifies, in French: by its family, else by its GX expectation type."""
    return CHECK_FAMILIES.get(family(check)) or EXPECTATION_TYPES.get(
        expectation_type, f"contrôle {expectation_type}")


def balanced(accounting: Mapping) -> bool:
    """Row accounting holds: read = kept + quarantined + excluded, and exclusions add up."""
    return (accounting["read"] == accounting["kept"] + accounting["quarantined"]
            + accounting["excluded"]
            and sum(accounting.get("excluded_by_reason", {}).values()) == accounting["excluded"])


def verdict(accounting: Mapping, checks: pd.DataFrame) -> str:
    """« réussite », « réussite avec réponses mises de côté » or « échec » (module docstring):
    by the table-level results and the row accounting, not by the row-level expectations."""
    success = checks["success"].astype(str).str.lower() == "true"
    table_failed = bool(((checks["level"] == "table") & ~success).any())
    raised = bool(checks["exception"].fillna("").astype(str).str.strip().ne("").any())
    if table_failed or raised or not balanced(accounting):
        return FAILURE
    return SUCCESS_SET_ASIDE if accounting["quarantined"] > 0 else SUCCESS


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _n(value: object) -> str:
    """A count in French typography (narrow no-break space between thousands)."""
    return f"{int(value):,}".replace(",", "\u202f")


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    lines = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{lines}</tbody></table>"


def _row_check_result(row: pd.Series) -> str:
    if str(row["success"]).lower() == "true":
        return "aucune ligne concernée"
    count = row["unexpected_count"]
    n = _n(count) if pd.notna(count) and str(count) != "" else "des"
    return {"exclude": f"{n} ligne(s) exclue(s), comme prévu",
            "warn": f"{n} ligne(s) signalée(s), gardée(s)",
            }.get(row["severity"], f"{n} ligne(s) mise(s) en quarantaine, comme prévu")


def render_export_page(summary: ExportSummary, *, index_href: str = "../../synthese.html") -> str:
    """The French summary page of one export (see the module docstring)."""
    acc, checks = summary.accounting, summary.checks
    status = verdict(acc, checks)
    name = f"{acc['programme']} / {acc['wave']}"
    explain = {
        SUCCESS: "Tous les contrôles de structure sont passés et chaque ligne lue est comptée.",
        SUCCESS_SET_ASIDE: (
            "Tous les contrôles de structure sont passés et chaque ligne lue est comptée. "
            "Des réponses sont mises de côté (quarantaine) en attendant votre décision dans "
            "<code>corrections.yaml</code> : c'est le fonctionnement prévu, pas une erreur. "
            "Les Data Docs de Great Expectations affichent « failed » pour les contrôles ligne à "
            "ligne qui ont trouvé ces réponses : cela ne signifie pas que l'export a échoué."),
        FAILURE: ("Un contrôle de structure a échoué ou le comptage des lignes ne tombe pas "
                  "juste : l'export ne peut pas être analysé tel quel (voir ci-dessous)."),
    }[status]
    parts = [f"<p><a href=\"{_e(index_href)}\">← toutes les validations</a></p>",
             f"<h1>Validation de l'export {_e(name)}</h1>",
             f"<p>Fichier : <code>{_e(acc['file'])}</code></p>",
             f'<div class="verdict {_CLASS[status]}"><strong>Résultat : {_e(status)}</strong>'
             f"<br>{explain}</div>"]

    identity = "oui" if balanced(acc) else "<strong>non</strong>"
    counts = [["Lignes lues", _n(acc["read"])], ["Conservées", _n(acc["kept"])]]
    if acc.get("kept_by_decision"):
        counts.append(["… dont conservées sur décision documentée", _n(acc["kept_by_decision"])])
    counts += [["Mises en quarantaine", _n(acc["quarantined"])], ["Exclues", _n(acc["excluded"])]]
    parts += ["<h2>Comptage des lignes</h2>", _table(["", "lignes"], counts, {1}),
              f"<p>Lues = conservées + en quarantaine + exclues : {identity}.</p>"]

    quarantine = acc.get("quarantine_checks", {})
    parts.append("<h2>Motifs de mise en quarantaine</h2>")
    if quarantine:
        columns = _quarantine_columns(summary.quarantine, checks)
        rows = [[_e(REASONS.get(k, k)), _e(", ".join(columns.get(k, [])) or "—"), _n(v)]
                for k, v in sorted(quarantine.items())]
        parts += [_table(["motif", "colonnes", "lignes"], rows, {2}),
                  '<p class="note">Une ligne peut avoir plusieurs motifs : la somme peut '
                  "dépasser le nombre de lignes en quarantaine. Les valeurs ne sont jamais "
                  "affichées ; elles sont dans la zone restreinte "
                  "(<code>restricted/validation/</code>).</p>"]
    else:
        parts.append("<p>Aucune ligne en quarantaine.</p>")

    excluded = acc.get("excluded_by_reason", {})
    parts.append("<h2>Motifs d'exclusion</h2>")
    if excluded:
        rows = [[_e(REASONS.get(k, k)), _n(v)] for k, v in sorted(excluded.items())]
        parts += [_table(["motif", "lignes"], rows, {1}),
                  '<p class="note">Règles documentées appliquées à toutes les campagnes : '
                  "ces lignes sont comptées mais jamais analysées.</p>"]
    else:
        parts.append("<p>Aucune ligne exclue.</p>")

    parts += ["<h2>Contrôles exécutés</h2>", _checks_tables(checks)]
    if summary.data_docs_href:
        parts.append("<h2>Détail technique</h2><p>La page Great Expectations de cet export "
                     f"(<a href=\"{_e(summary.data_docs_href)}\">Data Docs</a>, en anglais) "
                     "donne chaque contrôle avec ses paramètres, en effectifs et en parts.</p>")
    return _page(f"Validation {name}", "".join(parts))


def _quarantine_columns(quarantine: pd.DataFrame | None,
                        checks: pd.DataFrame) -> dict[str, list[str]]:
    """Columns behind each quarantine reason: from the published quarantine when given, else
    from the failed checks (internal helper columns, named with a leading « _ », left out)."""
    if quarantine is not None:
        pairs = quarantine[["check", "column"]]
    else:
        pairs = checks.loc[checks["success"].astype(str).str.lower() != "true",
                           ["check", "column"]]
    out: dict[str, list[str]] = {}
    for _, row in pairs.iterrows():
        column = row["column"]
        if pd.notna(column) and str(column) and not str(column).startswith("_"):
            names = out.setdefault(family(row["check"]), [])
            if str(column) not in names:
                names.append(str(column))
    return out


def _checks_tables(checks: pd.DataFrame) -> str:
    success = checks["success"].astype(str).str.lower() == "true"
    table = checks[checks["level"] == "table"].assign(ok=success)
    rows = []
    for _, group in table.groupby(table["check"].map(family), sort=False):
        first = group.iloc[0]
        failed = int((~group["ok"]).sum())
        result = "passé" if not failed else f"<strong>{failed} échec(s)</strong>"
        rows.append([_e(describe_check(first["check"], first["type"])), _n(len(group)), result])
    out = ["<h3>Structure de l'export (un échec arrête le traitement)</h3>",
           _table(["contrôle", "nombre", "résultat"], rows, {1})]
    rows = []
    for _, row in checks[checks["level"] != "table"].iterrows():
        column = "" if pd.isna(row["column"]) else str(row["column"])
        column = "—" if not column or column.startswith("_") else column
        rows.append([_e(describe_check(row["check"], row["type"])), _e(column),
                     _e(SEVERITIES.get(row["severity"], row["severity"])),
                     _e(_row_check_result(row))])
    out += ["<h3>Contrôles ligne à ligne</h3>",
            _table(["contrôle", "colonne", "si une ligne échoue", "résultat"], rows, set())]
    return "".join(out)


def render_index(summaries: Sequence[ExportSummary], *, page_hrefs: Sequence[str],
                 data_docs_href: str | None = "data_docs/index.html") -> str:
    """The index of every export's summary page, with its verdict and row counts."""
    rows = []
    for summary, href in zip(summaries, page_hrefs, strict=True):
        acc = summary.accounting
        status = verdict(acc, summary.checks)
        rows.append([f'<a href="{_e(href)}">{_e(acc["programme"])} / {_e(acc["wave"])}</a>',
                     _e(status), _n(acc["read"]), _n(acc["kept"]), _n(acc["quarantined"]),
                     _n(acc["excluded"])])
    body = ["<h1>Validation des exports : synthèse</h1>",
            "<p>Pour chaque export, les contrôles exécutés, le devenir de chaque ligne lue et "
            "les motifs, comptés (jamais de valeur). « Réussite avec réponses mises de côté » : "
            "l'export est valide et des réponses attendent votre décision dans "
            "<code>corrections.yaml</code>.</p>",
            _table(["export", "résultat", "lues", "conservées", "quarantaine", "exclues"],
                   rows, {2, 3, 4, 5})]
    if data_docs_href:
        body.append(f'<p class="note">Détail technique : <a href="{_e(data_docs_href)}">Data '
                    "Docs de Great Expectations</a> (en anglais).</p>")
    return _page("Validation des exports", "".join(body))
