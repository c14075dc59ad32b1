"""Tables of the « Données et méthode » section: files read, row accounting and sample flow,
validation checks, linkage quality, items and reliability.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from impact.report.formatting import (
    MISSING,
    fmt_int,
    fmt_pct,
    is_missing,
)
from impact.report.i18n import N_, word_for
from impact.report.i18n import gettext as _
from impact.report.tables.common import (
    REASONS,
    SEVERITIES,
    Labels,
    cell,
    ci_nb,
    one_row,
    ordered_measures,
    select,
)

# --------------------------------------------------------------------------- data and method


def ingest_table(reports: Iterable[str | Path], labels: Labels) -> pd.DataFrame:
    """One row per export, from the ingest reports: file, tool, format, encoding, rows."""
    rows = []
    for path in reports:
        r = json.loads(Path(path).read_text(encoding="utf-8"))
        rows.append({
            N_("Programme"): labels.programme(r.get("programme", "")),
            N_("Vague"): labels.wave(r.get("wave", "")),
            N_("Fichier"): r.get("file", ""),
            N_("Outil"): r.get("tool", ""),
            N_("Format"): f"{r.get('format', '')} ({r.get('encoding', '')})".replace(" ()", ""),
            N_("Lignes lues"): fmt_int(r.get("rows_read")),
            N_("Identifiants retirés"): fmt_int(len(r.get("identifiers_dropped", []) or [])),
        })
    return pd.DataFrame(rows)


def _accounting(accounting: pd.DataFrame) -> pd.DataFrame:
    acc = accounting.copy()
    acc["reason"] = acc["reason"].fillna("").astype(str)
    acc["rows"] = pd.to_numeric(acc["rows"]).astype("int64")
    return acc


def accounting_table(accounting: pd.DataFrame, labels: Labels,
                     waves: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Rows read, excluded, quarantined and kept per export (the « nothing lost » identity)."""
    acc = _accounting(accounting)
    totals = acc[acc["reason"] == ""].pivot_table(index=["programme", "wave"],
                                                  columns="outcome", values="rows",
                                                  aggfunc="sum", fill_value=0)
    rows = []
    for programme in pd.unique(acc["programme"]):
        order = list((waves or {}).get(programme, [])) or list(
            pd.unique(acc.loc[acc["programme"] == programme, "wave"]))
        for wave in order:
            if (programme, wave) not in totals.index:
                continue
            t = totals.loc[(programme, wave)]
            rows.append({N_("Programme"): labels.programme(programme),
                         N_("Vague"): labels.wave(wave),
                         N_("Lues"): fmt_int(t.get("read", 0)),
                         N_("Exclues"): fmt_int(t.get("excluded", 0)),
                         N_("En quarantaine"): fmt_int(t.get("quarantined", 0)),
                         N_("Conservées"): fmt_int(t.get("kept", 0))})
    return pd.DataFrame(rows)


def flow_frame(accounting: pd.DataFrame, table: pd.DataFrame,
               quality: Mapping[str, pd.DataFrame], labels: Labels,
               waves: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Input of :func:`impact.report.figures.sample_flow`: ``programme, stage, reason, n``.

    read / excluded / quarantined / kept: the row accounting, added up over the programme's
    exports (one total row per stage, plus one row per reason — a quarantined answer failing
    two checks counts under both reasons). linked: links between the first two waves (linkage
    report). analysed: the complete pairs of the paired analysis (``n`` of the
    ``mean_change`` rows of the participants, plus the comparison group's when there is one;
    the largest over the measures, as an item may be missing for a few).
    """
    acc = _accounting(accounting)
    rows = []
    for programme in waves:
        sub = acc[acc["programme"] == programme]
        if sub.empty:
            continue
        for stage in ("read", "excluded", "quarantined", "kept"):
            st = sub[sub["outcome"] == stage]
            total = int(st.loc[st["reason"] == "", "rows"].sum())
            if stage in ("excluded", "quarantined"):
                rows.append((programme, stage, "", total))
                by_reason = st[st["reason"] != ""].groupby("reason", sort=False)["rows"].sum()
                for reason, n in by_reason.items():
                    if n > 0:
                        rows.append((programme, stage, word_for(REASONS, reason), int(n)))
            else:
                rows.append((programme, stage, "", total))
        wv = list(waves[programme])
        q = quality.get(programme)
        if q is not None and len(wv) >= 2:
            link = q[(q["wave_from"].astype(str) == wv[0]) & (q["wave_to"].astype(str) == wv[1])]
            if len(link) and not is_missing(link["links"].iloc[0]):
                rows.append((programme, "linked", "", int(link["links"].iloc[0])))
        if len(wv) >= 2:
            change = select(table, programme=programme, indicator="mean_change",
                            wave_from=wv[0], wave_to=wv[1])
            n = 0
            for criteria in ({"subgroup": "all"},
                             {"subgroup": "group", "subgroup_value": "comparison"}):
                cells = select(change, **criteria)["n"].dropna()
                n += int(cells.max()) if len(cells) else 0
            if n:
                rows.append((programme, "analysed", "", n))
    return pd.DataFrame(rows, columns=["programme", "stage", "reason", "n"])


def validation_summary(checks: Mapping[tuple[str, str], str | Path],
                       labels: Labels) -> pd.DataFrame:
    """Per export: checks run, passed, failed (by severity)."""
    rows = []
    for (programme, wave), path in checks.items():
        c = pd.read_csv(path, keep_default_na=False, na_values=[""])
        ok = c["success"].astype(str).str.lower().eq("true")
        failed = c[~ok]
        row = {N_("Programme"): labels.programme(programme), N_("Vague"): labels.wave(wave),
               N_("Contrôles"): fmt_int(len(c)), N_("Réussis"): fmt_int(int(ok.sum()))}
        for severity, word in (("exclude", N_("Échecs → exclusion")),
                               ("quarantine", N_("Échecs → quarantaine")),
                               ("warn", N_("Échecs signalés"))):
            row[word] = fmt_int(int((failed["severity"] == severity).sum()))
        rows.append(row)
    return pd.DataFrame(rows)


def validation_failures(checks: Mapping[tuple[str, str], str | Path],
                        labels: Labels) -> pd.DataFrame:
    """Every failed check: export, check (family in French), column, severity, rows."""
    rows = []
    for (programme, wave), path in checks.items():
        c = pd.read_csv(path, keep_default_na=False, na_values=[""])
        failed = c[~c["success"].astype(str).str.lower().eq("true")]
        for _row, r in failed.iterrows():
            family, _sep, detail = str(r["check"]).partition(":")
            column = str(r.get("column", "") or "")
            if column.startswith("_"):
                column = _("(colonne dérivée)")
            rows.append({
                N_("Programme"): labels.programme(programme),
                N_("Vague"): labels.wave(wave),
                N_("Contrôle"): word_for(REASONS, family) + (f" ({detail})" if detail else ""),
                N_("Colonne"): column or MISSING,
                N_("Conséquence"): word_for(SEVERITIES, r["severity"]),
                N_("Lignes"): cell(r.get("unexpected_count"), fmt_int),
            })
    return pd.DataFrame(rows, columns=["Programme", "Vague", "Contrôle", "Colonne",
                                       "Conséquence", "Lignes"])


def linkage_table(quality: Mapping[str, pd.DataFrame], labels: Labels,
                  synthetic: bool) -> pd.DataFrame:
    """Linkage between waves, from the linkage reports (precision/recall: synthetic only)."""
    rows = []
    for programme, q in quality.items():
        for _row, r in q.iterrows():
            pair = (_("Ensemble") if r["wave_from"] == "all"
                    else f"{labels.wave(str(r['wave_from']))} → {labels.wave(str(r['wave_to']))}")
            row = {N_("Programme"): labels.programme(programme), N_("Vagues"): pair,
                   N_("Réponses de la vague d'arrivée"): cell(r["n_to"], fmt_int),
                   N_("Liens"): cell(r["links"], fmt_int),
                   N_("dont tolérants"): cell(r["tolerant"], fmt_int),
                   N_("Taux d'appariement"): cell(r["match_rate"], fmt_pct)}
            if synthetic:
                row["Précision"] = cell(r.get("precision"), fmt_pct)
                row["Rappel"] = cell(r.get("recall"), fmt_pct)
            rows.append(row)
    return pd.DataFrame(rows)


def item_table(labels: Labels, programmes: Sequence[str]) -> pd.DataFrame:
    """Codebook summary: every item of the scales used, its wording, and who asks it."""
    rows = []
    used = {}
    for p in programmes:
        for s in labels.scales(p):
            used.setdefault(s, []).append(p)
    for scale, progs in used.items():
        for item, owner in labels.item_scale.items():
            if owner != scale:
                continue
            rows.append({N_("Échelle"): labels.measure(scale), N_("Item"): item,
                         N_("Formulation"): labels.items.get(item, item),
                         N_("Inversé"): _("oui") if item in labels.reverse else _("non"),
                         N_("Programmes"): ", ".join(labels.programme(p) for p in progs)})
    return pd.DataFrame(rows)


def reliability_table(table: pd.DataFrame, labels: Labels, threshold: float) -> pd.DataFrame:
    """α [CI] and ω per programme × scale, one pair of columns per wave; « † » marks an α
    under the threshold (flag ``alpha_below_…`` of the indicator table)."""
    rel = select(table, indicator=["alpha", "omega"], subgroup="all")
    rel = rel[rel["programme"] != "pooled"]
    waves = list(pd.unique(rel["wave_from"]))
    order = [w for w in ("pre", "post", "followup") if w in waves] + \
        [w for w in waves if w not in ("pre", "post", "followup")]
    rows = []
    for programme in pd.unique(rel["programme"]):
        sub = rel[rel["programme"] == programme]
        for measure in ordered_measures(sub, labels, programme):
            row = {N_("Programme"): labels.programme(programme),
                   N_("Échelle"): labels.measure(measure)}
            for wave in order:
                a = one_row(sub, measure=measure, indicator="alpha", wave_from=wave)
                o = one_row(sub, measure=measure, indicator="omega", wave_from=wave)
                word = labels.wave(wave)
                alpha_head = _("α [IC 95 %] ({vague})").format(vague=word)
                if a is None:
                    row[f"n ({word})"] = row[alpha_head] = MISSING
                    row[f"ω ({word})"] = MISSING
                    continue
                secret = bool(a["suppressed"])
                low = "alpha_below" in str(a["flag"]) or (
                    not is_missing(a["estimate"]) and a["estimate"] < threshold)
                alpha = cell(a["estimate"], suppressed=secret)
                if not secret and alpha != MISSING:
                    alpha += " " + ci_nb(a["ci_low"], a["ci_high"]) + (" †" if low else "")
                row[f"n ({word})"] = cell(a["n"], fmt_int, secret)
                row[alpha_head] = alpha
                row[f"ω ({word})"] = cell(o["estimate"] if o is not None else None,
                                          suppressed=bool(o["suppressed"]) if o is not None
                                          else secret)
            rows.append(row)
    return pd.DataFrame(rows)


