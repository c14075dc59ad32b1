"""The exhibits and generated paragraphs of the main report, one named helper per block, each
reading published rows only (:mod:`impact.report.tables`) and returning what the template
displays: an :class:`impact.report.notes.Exhibit` (with its Note, Lecture, Champ and Source),
Markdown text, or None when there is nothing to show.

Every string goes through the message catalogue (``doc._``); numbers through
:mod:`impact.report.formatting`. Effect sizes are named « taille d'effet (g de Hedges) » —
never by their code — and sources cite the survey and the datapackage table numbers.
"""

from __future__ import annotations

import pandas as pd

from impact.report import notes, synthesis
from impact.report import tables as rd
from impact.report.document import Document
from impact.report.formatting import (
    MISSING,
    NNBSP,
    fmt_int,
    fmt_number,
    fmt_pct,
    fmt_table,
    lower_first,
)

__all__ = [
    "alternatives",
    "attrition",
    "comparison",
    "flow",
    "forest",
    "insertion",
    "intention",
    "key_messages",
    "logic_models",
    "measures",
    "programme_change",
    "programme_intro",
    "programmes_table",
    "reliability",
    "secret_paragraph",
    "subgroups",
    "summary",
]


def _est_ci(value, low, high, decimals: int = 2) -> str:
    return f"{fmt_number(value, decimals)} {rd.ci_nb(low, high, decimals)}"


# --------------------------------------------------------------------------- synthèse


def key_messages(doc: Document):
    """« À retenir »: one message per evaluation question (a numbered list, HTML: the
    messages are plain text, escaped here)."""
    from html import escape

    from IPython.display import HTML

    items = []
    for m in _messages(doc):
        parts = m["parts"]
        body = (escape(parts[0]) if len(parts) == 1 else
                "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in parts) + "</ul>")
        items.append(f"<li><strong>{escape(m['question'])}</strong> {body}</li>")
    return HTML('<div class="key-messages"><ol>' + "".join(items) + "</ol></div>")


def summary(doc: Document) -> notes.Exhibit | None:
    """The one-page summary table: programme × primary outcome."""
    _ = doc._
    st = synthesis.summary_table(doc.ind, doc.labels, doc.programmes, doc.lower_is_better(),
                                 doc.lang)
    if st.empty:
        return None
    r = st.iloc[0]
    cols = list(st.columns)
    return notes.table(
        rd.group_rows(st, cols[0]), label="summary",
        title=_("Résumé : l'effet sur chaque critère principal, sa taille et le niveau de "
                "preuve"),
        lecture=_("Pour {programme}, critère « {crit} » : {effect} ({numbers}), niveau de "
                  "preuve {sec} sur 5, {n} répondants.").format(
            programme=r[cols[0]], crit=lower_first(r[cols[1]]), effect=r[cols[3]],
            numbers=r[cols[4]], sec=r[cols[5]], n=r[cols[6]]),
        champ=_("Critères principaux déclarés pour chaque programme ; participants (et groupe "
                "de comparaison) présents aux deux vagues comparées."),
        source=doc.source(),
        note=_("Taille d'effet (g de Hedges) : avec un groupe de comparaison, différence de "
               "différences standardisée par l'écart-type initial commun ; sinon, évolution "
               "avant–après, qui décrit les participants sans mesurer un impact. Effet « non "
               "établi » quand l'intervalle de confiance à 95 % contient zéro. Niveau de "
               "preuve de 0 à 5 à la manière de l'Education Endowment Foundation."))


# --------------------------------------------------------------------------- context


def programmes_table(doc: Document) -> notes.Exhibit:
    """Programmes, waves, response scales, measures, comparison group."""
    _ = doc._
    rows = []
    for p in doc.programmes:
        book = doc.labels.codebooks.get(p, {})
        scale = doc.labels.response_scales.get(book.get("response_scale"), {}).get("label",
                                                                                   MISSING)
        rows.append({
            _("Programme"): doc.P(p),
            _("Vagues"): ", ".join(doc.w(x) for x in doc.waves[p]),
            _("Réponses"): lower_first(scale),
            _("Mesures"): ", ".join(lower_first(doc.labels.measure(m))
                                    for m in doc.labels.scales(p) + doc.labels.single_items(p)),
            _("Groupe de comparaison"): _("oui") if doc.labels.has_comparison(p) else _("non"),
        })
    first = doc.programmes[0]
    return notes.table(
        pd.DataFrame(rows), label="programmes",
        title=_("Programmes évalués, vagues d'enquête et mesures"),
        lecture=_("Le programme {p} est évalué par {k} vagues d'enquête ({waves}).").format(
            p=doc.P(first), k=fmt_int(len(doc.waves[first])),
            waves=", ".join(doc.w(x) for x in doc.waves[first])),
        champ=_("Programmes retenus pour la campagne."),
        source=doc.secret_source(),
        note=_("Les questionnaires et leurs items sont décrits dans l'annexe technique."))


def logic_models(doc: Document) -> notes.Exhibit | None:
    """Théorie du changement per programme, drawn: activities → expected effects → the
    measures of the questionnaire (:func:`impact.report.figures.logic_model`)."""
    _ = doc._
    models = synthesis.logic_models(doc.config, doc.programmes, doc.labels, doc.lang)
    if not models:
        return None
    first = models[0]
    return notes.figure(
        *doc.draw("logic_model", models), label="logic-models",
        title=_("Théorie du changement : des activités aux résultats mesurés"),
        lecture=_("Pour {p}, les activités ({a}) doivent conduire à : {i} ; le questionnaire "
                  "le vérifie par : {m}.").format(
            p=first["programme"], a=", ".join(first["activities"]),
            i=", ".join(first["intermediate"]),
            m=", ".join(lower_first(x) for x in first["measured"])),
        champ=_("Programmes de la campagne, décrits par l'équipe d'évaluation."),
        source=doc.secret_source(),
        note=_("Lecture de gauche à droite : activités → effets attendus → mesures du "
               "questionnaire ; les flèches relient des colonnes, non des cases une à une. "
               "Les effets attendus non mesurés ne sont pas évalués."))


# --------------------------------------------------------------------------- data & method


def flow(doc: Document, p: str) -> notes.Exhibit | None:
    """Sample flow of one programme: read → kept → linked → analysed."""
    _ = doc._
    frame = rd.flow_frame(doc.accounting, doc.ind, doc.quality, doc.labels, doc.waves)
    f = frame[frame["programme"] == p]
    if f.empty:
        return None
    wv = doc.waves[p]
    stage_labels = {
        "read": _("Réponses lues"), "kept": _("Réponses conservées"),
        "linked": (_("Appariés {a}–{b}").format(a=doc.w(wv[0]), b=doc.w(wv[1]))
                   if len(wv) > 1 else _("Appariés")),
        "analysed": _("Paires analysées"),
    }
    tot = f[f["reason"] == ""].set_index("stage")["n"]
    lect = _("{read} réponses ont été lues pour {p}, toutes vagues confondues ; {exc} ont été "
             "exclues, {qua} mises de côté par un contrôle de qualité et {kept} "
             "conservées.").format(read=fmt_int(tot.get("read", 0)), p=doc.P(p),
                                   exc=fmt_int(tot.get("excluded", 0)),
                                   qua=fmt_int(tot.get("quarantined", 0)),
                                   kept=fmt_int(tot.get("kept", 0)))
    if "analysed" in tot:
        lect += " " + _("{n} répondants ont des réponses {a} et {b} exploitables pour "
                        "l'analyse appariée.").format(n=fmt_int(tot["analysed"]),
                                                      a=doc.w(wv[0]), b=doc.w(wv[1]))
    return notes.figure(
        *doc.draw("sample_flow", f, programme_labels={p: doc.P(p)}, stage_labels=stage_labels),
        title=_("Flux de l'échantillon — {p}").format(p=doc.P(p)), label=f"flow-{p}",
        lecture=lect,
        champ=_("Toutes les réponses reçues pour {p} ({waves}).").format(
            p=doc.P(p), waves=", ".join(doc.w(x) for x in wv)),
        source=doc.source([p]),
        note=_("Une réponse mise de côté peut échouer à plusieurs contrôles. Paires "
               "analysées : participants et, le cas échéant, groupe de comparaison ; le nombre "
               "peut varier légèrement selon la mesure. Détail des contrôles dans l'annexe "
               "technique."))


def measures(doc: Document) -> notes.Exhibit:
    """The attitude scales of the common instrument."""
    _ = doc._
    rows = []
    for m, d in doc.labels.descriptions.items():
        users = [doc.P(p) for p in doc.programmes if m in doc.labels.scales(p)]
        if users:
            rows.append({_("Échelle"): doc.labels.measure(m), _("Ce qu'elle mesure"): d,
                         _("Items"): fmt_int(sum(1 for s in doc.labels.item_scale.values()
                                                 if s == m)),
                         _("Programmes"): ", ".join(users)})
    frame = pd.DataFrame(rows)
    r = frame.iloc[0]
    keys = list(r.index)
    return notes.table(
        frame, label="measures", title=_("Échelles d'attitude du questionnaire commun"),
        lecture=_("L'échelle « {s} » compte {k} items ; elle est posée dans : {p}.").format(
            s=r[keys[0]], k=r[keys[2]], p=r[keys[3]]),
        champ=_("Échelles posées dans au moins un programme de la campagne."),
        source=doc.secret_source(),
        note=_("La formulation de chaque item figure dans l'annexe technique."))


def reliability(doc: Document) -> notes.Exhibit:
    """Cronbach's α and McDonald's ω per scale × wave."""
    _ = doc._
    rel = rd.reliability_table(doc.ind, doc.labels, doc.reliability_threshold)
    low = int(rel.apply(lambda r: any("†" in str(v) for v in r), axis=1).sum())
    acol = [c for c in rel.columns if c.startswith("α")][0]
    r0 = rel.iloc[0]
    return notes.table(
        rd.group_rows(rel, "Programme"), label="reliability",
        title=_("Fiabilité des échelles : alpha de Cronbach et oméga de McDonald"),
        lecture=_("Pour {p}, l'échelle « {s} » a un alpha de Cronbach de {a} ({w}).").format(
            p=r0["Programme"], s=lower_first(r0["Échelle"]), a=r0[acol],
            w=acol.split("(")[-1].rstrip(")")),
        champ=_("Répondants ayant renseigné tous les items de l'échelle, à chaque vague."),
        source=doc.source(),
        note=_("† : alpha inférieur au seuil de {t} ; {k} ligne(s) concernée(s). Intervalle "
               "de confiance de Feldt. L'oméga total suppose un modèle à un facteur.").format(
            t=fmt_number(doc.reliability_threshold, 2), k=fmt_int(low)))


def secret_paragraph(doc: Document) -> str:
    """The disclosure-control paragraph with the published counts."""
    from pathlib import Path

    _ = doc._
    sup = doc.ind["suppression"].value_counts() if "suppression" in doc.ind else pd.Series(
        dtype=int)
    text = _(
        "**Secret statistique.** Aucun résultat reposant sur moins de {t} répondants n'est "
        "publié, ni une proportion dont le numérateur ou son complément est trop petit "
        "(secret primaire) ; des cases supplémentaires sont masquées pour qu'aucune case en "
        "secret primaire ne puisse être retrouvée par différence (secret secondaire). Les deux "
        "se lisent « s. ». Sur {total} résultats, {primary} relèvent du secret primaire et "
        "{secondary} du secret secondaire.").format(
        t=fmt_int(doc.disclosure_threshold), total=fmt_int(int(sup.sum())),
        primary=fmt_int(int(sup.get("primary", 0))),
        secondary=fmt_int(int(sup.get("secondary", 0))))
    path = Path(doc.disclosure_summary or "")
    if path.is_file():
        aud = pd.read_csv(path)
        if "attacked" in aud:
            text += " " + _(
                "Un audit indépendant attaque les tableaux publiés : pour les {k} valeurs "
                "masquées, aucun effectif n'est connu à moins de {w} près et aucune moyenne ni "
                "proportion n'est retrouvée.").format(
                k=fmt_int(int(aud["attacked"].fillna(0).sum())),
                w=fmt_int(int(aud["narrowest_count_interval"].min())))
    return text


# --------------------------------------------------------------------------- results


def forest(doc: Document) -> notes.Exhibit:
    """Effect sizes of every scale, programme by programme, with the pooled summary."""
    _ = doc._
    ff = rd.forest_frame(doc.ind, doc.labels, doc.programmes, pooled=True)
    shown = ff[~ff["suppressed"] & ff["effect_size"].notna()]
    best = shown.loc[shown["effect_size"].abs().idxmax()] if len(shown) else None
    lect = (_("Pour {p}, l'échelle « {s} » évolue d'une taille d'effet de {g}, l'évolution "
              "la plus marquée de la figure.").format(
        p=best["programme"], s=lower_first(best["measure"]),
        g=_est_ci(best["effect_size"], best["ci_low"], best["ci_high"]))
        if best is not None else _("Chaque point est une taille d'effet, le trait son "
                                   "intervalle de confiance."))
    return notes.figure(
        *doc.draw("forest_plot", ff), label="forest",
        title=_("Évolution de chaque échelle : taille d'effet (g de Hedges) et intervalle de "
                "confiance à 95 %"),
        lecture=lect,
        champ=_("Participants présents aux deux premières vagues de leur programme."),
        source=doc.source(pooled=True),
        note=_("Évolutions avant–après, sans groupe de comparaison (y compris pour la Cordée : "
               "l'impact est au tableau de synthèse). Ensemble : moyenne des programmes qui "
               "mesurent l'échelle, pondérée par la précision ; un résumé, non l'hypothèse d'un "
               "effet commun."))


def intention(doc: Document) -> notes.Exhibit | None:
    """Share answering « oui » before and after (McNemar)."""
    _ = doc._
    it = rd.intention_table(doc.ind, doc.labels, doc.programmes)
    if it.empty:
        return None

    def pct(v):
        return fmt_pct(v, 1)

    shown = fmt_table(it, {
        _("Programme"): ("programme", "text"),
        _("Paires"): ("n", "int"),
        _("« Oui » avant"): ("share_pre", pct),
        _("« Oui » après"): ("share_post", pct),
        _("Écart en points [IC 95 %]"): (("diff", "ci_low", "ci_high"),
                                         lambda d, lo, hi: _est_ci(100 * d, 100 * lo,
                                                                   100 * hi, 1)),
        _("p ajusté"): ("p_adjusted", "p"),
    })
    ok = it[~it["suppressed"]]
    i0 = ok.iloc[0] if len(ok) else None
    return notes.table(
        shown, label="intention",
        title=_("Intention de s'orienter vers l'industrie : part de « oui » avant et après"),
        lecture=(_("Pour {p}, la part des participants qui envisagent de s'orienter vers "
                   "l'industrie passe de {a} à {b}.").format(
            p=i0["programme"], a=fmt_pct(i0["share_pre"]), b=fmt_pct(i0["share_post"]))
            if i0 is not None else _("Parts de « oui » à chaque vague.")),
        champ=_("Participants présents aux deux premières vagues."),
        source=doc.source(),
        note=_("Test de McNemar avec correction de continuité ; « oui » contre toute autre "
               "réponse ; p ajusté pour tests multiples (méthode de Holm)."))


def programme_intro(doc: Document, p: str) -> str:
    """The paragraph that opens a programme's results (rules of :mod:`synthesis`)."""
    _ = doc._
    pairs = rd.change_pairs(doc.ind, p)
    if not pairs:
        return _("Aucune évolution n'est publiable pour ce programme.")
    wf, wt = pairs[0]
    findings = synthesis.change_findings(doc.ind, doc.labels, p, wf, wt, doc.lower_is_better())
    caveats = []
    if doc.labels.has_comparison(p):
        caveats.append(_("Ces évolutions avant–après ne tiennent pas compte du groupe de "
                         "comparaison : l'impact estimé est présenté dans la synthèse et au "
                         "chapitre « Robustesse »."))
    att = rd.select(doc.ind, programme=p, indicator="attrition_overall", subgroup="all",
                    wave_from=wf, wave_to=wt)
    if len(att) and not bool(att["suppressed"].iloc[0]):
        caveats.append(_("{a} des répondants de la première vague ne sont pas retrouvés à la "
                         "suivante.").format(a=fmt_pct(att["estimate"].iloc[0], 0)))
    return synthesis.programme_paragraph(findings, doc.P(p), caveats, doc.lang)


def programme_change(doc: Document, p: str) -> notes.Exhibit | None:
    """Change of each score between the first two waves of one programme."""
    _ = doc._
    pairs = rd.change_pairs(doc.ind, p)
    if not pairs:
        return None
    wf, wt = pairs[0]
    ct = rd.change_table(doc.ind, p, doc.labels, wf, wt)
    if ct.empty:
        return None
    shown = fmt_table(ct, {
        _("Mesure"): ("label", "text"),
        _("Paires"): ("n", "int"),
        _("Moyenne {w}").format(w=doc.w(wf)): ("mean_pre", "number:2"),
        _("Moyenne {w}").format(w=doc.w(wt)): ("mean_post", "number:2"),
        _("Évolution [IC 95 %]"): (("change", "ci_low", "ci_high"), _est_ci),
        _("Taille d'effet (ampleur)"): ("g_av", lambda v: rd.magnitude_text(v, "g_av")),
        _("p ajusté"): ("p_adjusted", "p"),
    })
    ok = ct[~ct["suppressed"] & ct["change"].notna()]
    if len(ok):
        r = ok.iloc[0]
        lect = _("Le score moyen « {s} » des {n} participants passe de {a} ({wf}) à {b} "
                 "({wt}), soit une évolution de {d} point ; taille d'effet {g}, "
                 "{m}.").format(s=lower_first(r["label"]), n=fmt_int(r["n"]),
                                a=fmt_number(r["mean_pre"]), wf=doc.w(wf),
                                b=fmt_number(r["mean_post"]), wt=doc.w(wt),
                                d=_est_ci(r["change"], r["ci_low"], r["ci_high"]),
                                g=fmt_number(r["g_av"]),
                                m=synthesis.size_words(r["g_av"], doc.lang, feminine=True))
    else:
        lect = _("Toutes les cellules de ce tableau sont sous le seuil de diffusion.")
    return notes.table(
        shown, label=f"change-{p}",
        title=_("Évolution des scores entre {a} et {b} — {p}").format(
            a=doc.w(wf), b=doc.w(wt), p=doc.P(p)),
        lecture=lect,
        champ=_("Participants de {p} ayant répondu {a} et {b}.").format(
            p=doc.P(p), a=doc.w(wf), b=doc.w(wt)),
        source=doc.source([p]),
        note=_("Scores de 1 au maximum de l'échelle de réponse. Taille d'effet : g de Hedges "
               "de l'évolution (Lakens, 2013), ampleur selon les repères de Cohen (faible dès "
               "0,2, moyenne dès 0,5, forte dès 0,8). p ajusté : tests t appariés, correction "
               "de Holm sur les tests principaux du programme."))


def subgroups(doc: Document, p: str) -> notes.Exhibit | None:
    """Effect size per subgroup, with the interaction tests."""
    _ = doc._
    pairs = rd.change_pairs(doc.ind, p)
    if not pairs:
        return None
    wf, wt = pairs[0]
    # schools and sessions: in the technical annex (one row each)
    st = rd.subgroup_table(doc.ind, p, doc.labels, [g for g in doc.subgroups if g != "site"],
                           wf, wt)
    if st.empty:
        return None
    measures_ = [c for c in st.columns if c not in ("Sous-groupe", "Modalité", "Paires")]
    listed = st["Paires"].str.replace(NNBSP, "").str.isdigit() \
        & ~st["Modalité"].str.startswith("médiane")
    cells = st[listed]
    lect = _("Chaque cellule donne la taille d'effet de l'évolution dans le sous-groupe.")
    if len(cells) and measures_:
        r = cells.iloc[0]
        lect = _("Parmi les {n} participants de la modalité « {v} » ({g}), l'échelle « {s} » "
                 "évolue d'une taille d'effet de {e}.").format(
            n=fmt_int(int(r["Paires"].replace(NNBSP, ""))), v=r["Modalité"],
            g=lower_first(r["Sous-groupe"]), s=lower_first(measures_[0]), e=r[measures_[0]])
    return notes.table(
        rd.group_rows(st, "Sous-groupe"), label=f"subgroups-{p}",
        title=_("Évolution par sous-groupe (taille d'effet) — {p}").format(p=doc.P(p)),
        lecture=lect,
        champ=_("Participants de {p} ayant répondu {a} et {b}.").format(
            p=doc.P(p), a=doc.w(wf), b=doc.w(wt)),
        source=doc.source([p]),
        note=_("« p du test d'interaction » : test que l'évolution diffère entre les "
               "modalités ; analyse exploratoire, non corrigée pour tests multiples. Les "
               "évolutions par établissement ou session sont dans l'annexe technique."))


# --------------------------------------------------------------------------- insertion


def insertion(doc: Document) -> list[notes.Exhibit] | str:
    """Insertion rates at follow-up (Wilson CI, Manski bounds, response rates) and the
    Kaplan–Meier curve of the start of the current job; a sentence saying so when the
    campaign publishes no insertion indicator."""
    _ = doc._
    rates = rd.insertion_rates(doc.ind, doc.labels)
    if rd.insertion_rows(doc.ind).empty or rates.empty:
        return _("Cette campagne ne comporte **pas d'indicateur d'insertion** : aucun taux "
                 "n'a été publié (pas d'enquête de suivi analysée, ou effectifs sous le seuil "
                 "de diffusion).")
    rr = rd.response_rates(doc.ind, doc.labels)
    shown = fmt_table(rates, {
        _("Programme"): ("programme", "text"),
        _("Indicateur"): ("measure", "text"),
        _("Répondants"): ("n", "int"),
        _("Taux [IC 95 %]"): (("estimate", "ci_low", "ci_high"),
                              lambda v, lo, hi: f"{fmt_pct(v)} [{fmt_pct(lo)}{NNBSP};\u00a0"
                                                f"{fmt_pct(hi)}]"),
        _("Cohorte"): ("cohort", "int"),
        _("Borne basse"): ("worst", "pct"),
        _("Borne haute"): ("best", "pct"),
    })
    ok = rates[~rates["suppressed"]]
    r0 = ok.iloc[0] if len(ok) else None
    rr_txt = " ; ".join(_("{p} : {r} des {n} demandeurs d'emploi de la cohorte").format(
        p=r["programme"], r=fmt_pct(r["estimate"], 0), n=fmt_int(r["n"]))
        for _i, r in rr[~rr["suppressed"]].iterrows())
    out = [notes.table(
        rd.group_rows(shown, shown.columns[0]), label="insertion",
        title=_("Situation des demandeurs d'emploi à l'enquête de suivi"),
        lecture=(_("Parmi les {n} répondants de {p} à l'enquête de suivi, {r} relèvent de "
                   "l'indicateur « {m} ». Si tous les non-répondants de la cohorte étaient en "
                   "échec, le taux serait de {lo} ; s'ils avaient tous réussi, de "
                   "{hi}.").format(n=fmt_int(r0["n"]), p=r0["programme"],
                                   r=fmt_pct(r0["estimate"]), m=lower_first(r0["measure"]),
                                   lo=fmt_pct(r0["worst"]), hi=fmt_pct(r0["best"]))
                 if r0 is not None else _("Tous les taux sont sous le seuil de diffusion.")),
        champ=_("Demandeurs d'emploi participants ayant répondu au premier questionnaire "
                "(cohorte) ; taux calculés sur les répondants à l'enquête de suivi."),
        source=doc.source(),
        note=_("Intervalle de confiance de Wilson. Bornes (Manski, 1990) : taux sur toute la "
               "cohorte si tous les non-répondants avaient échoué (basse) ou réussi (haute). "
               "Taux de réponse au suivi : {rr}.").format(rr=rr_txt or MISSING))]
    curves = []
    for p in doc.programmes:
        km = rd.insertion_curve(doc.ind, p)
        if len(km):
            curves.append(km[km["measure"] == km["measure"].iloc[0]].assign(
                programme=doc.P(p)))
    if curves:
        km = pd.concat(curves, ignore_index=True)
        m = km["measure"].iloc[0]
        last = km[~km["suppressed"]].groupby("programme").tail(1)
        out.append(notes.figure(
            *doc.draw("survival_curve", km, group="programme",
                                    ylabel=_("Part : {m}").format(
                                        m=lower_first(doc.labels.measure(m)))),
            label="km",
            title=_("{m} selon le nombre de mois écoulés depuis la fin de l'action").format(
                m=doc.labels.measure(m)),
            lecture=(" ; ".join(_("{p} : {r} des répondants ont commencé leur emploi actuel "
                                  "{t} mois après la fin de l'action").format(
                p=r["programme"], r=fmt_pct(r["estimate"], 0), t=fmt_int(r["time"]))
                for _i, r in last.iterrows()) + "." if len(last)
                else _("Courbes de Kaplan–Meier.")),
            champ=_("Répondants à l'enquête de suivi dont la date de début de situation est "
                    "connue."),
            source=doc.source(),
            note=_("Estimateur de Kaplan–Meier ; la courbe décrit le début de l'emploi occupé "
                   "au moment du suivi, non le premier emploi depuis l'action.")))
    return out


# --------------------------------------------------------------------------- robustness


def attrition(doc: Document) -> notes.Exhibit | None:
    """Attrition between waves and its WWC class."""
    _ = doc._
    att = rd.attrition_table(doc.ind, doc.labels)
    if att.empty:
        return None
    a0 = att.iloc[0]
    return notes.table(
        rd.group_rows(att, "Programme"), label="attrition",
        title=_("Attrition entre vagues et classement du What Works Clearinghouse"),
        lecture=_("Pour {p}, {a} des {n} répondants de la vague « {wf} » ne sont pas retrouvés "
                  "à la vague « {wt} ».").format(
            p=a0["Programme"], a=a0["Attrition"], n=a0["Effectif initial"],
            wf=a0["Vagues"].split(" → ")[0], wt=a0["Vagues"].split(" → ")[-1]),
        champ=_("Répondants de la vague initiale (réponses conservées)."),
        source=doc.source(),
        note=_("Classement « faible » ou « élevée » au regard de l'attrition globale et "
               "différentielle (What Works Clearinghouse, 2022), pour la frontière prudente "
               "(l'action peut influer sur le fait de rester) et optimiste ; seulement avec un "
               "groupe de comparaison. Covariables déséquilibrées : différence standardisée "
               "restés – partis supérieure à 0,25 en valeur absolue."))


def alternatives(doc: Document) -> notes.Exhibit | None:
    """Complete pairs, IPW and mixed model side by side."""
    _ = doc._
    rb = rd.robustness_table(doc.ind, doc.labels, doc.programmes)
    if rb.empty:
        return None
    r0 = rb.iloc[0]
    return notes.table(
        rd.group_rows(rb, "Programme"), label="robustness",
        title=_("Évolution des scores selon trois estimateurs"),
        lecture=_("Pour {p}, l'évolution du score « {s} » vaut {a} sur les paires complètes, "
                  "{b} avec la pondération et {c} dans le modèle mixte (points de "
                  "l'échelle).").format(p=r0["Programme"], s=lower_first(r0["Mesure"]),
                                        a=r0["Paires complètes"], b=r0["Pondération IPW"],
                                        c=r0["Modèle mixte"]),
        champ=_("Participants de chaque programme (paires complètes, ou toutes les réponses "
                "pour le modèle mixte)."),
        source=doc.source(),
        note=_("Pondération : inverse de la probabilité de rester dans l'échantillon, estimée "
               "sur les caractéristiques initiales (poids stabilisés). Modèle mixte : effets "
               "aléatoires répondant et établissement ou session."))


def comparison(doc: Document) -> notes.Exhibit | None:
    """Difference in differences and baseline equivalence."""
    _ = doc._
    cmp = rd.comparison_table(doc.ind, doc.labels)
    if cmp.empty:
        return None
    c0 = cmp.iloc[0]
    return notes.table(
        rd.group_rows(cmp, "Programme"), label="comparison",
        title=_("Différence de différences et équivalence initiale des groupes"),
        lecture=_("Pour {p}, le score « {s} » des participants évolue de {a} point et celui du "
                  "groupe de comparaison de {b} ; la différence de différences vaut "
                  "{d}.").format(p=c0["Programme"], s=lower_first(c0["Mesure"]),
                                 a=c0["Évolution participants"],
                                 b=c0["Évolution comparaison"],
                                 d=c0["Différence de différences [IC 95 %]"]),
        champ=_("Participants et élèves du groupe de comparaison présents aux deux vagues."),
        source=doc.source(),
        note=_("Différence de différences : régression sur les paires, erreurs-types robustes "
               "par établissement (Bell et McCaffrey, 2002). Écart initial : g de Hedges "
               "participants – comparaison à la première vague (Hedges, 1981) ; équivalence "
               "établie si |g| ≤ 0,05, sous réserve d'ajustement si |g| ≤ 0,25, non établie "
               "au-delà (What Works Clearinghouse, 2022)."))


# --------------------------------------------------------------------------- answers


def answer(doc: Document, question: int) -> str:
    """The « À retenir » message of evaluation question ``question`` (1-based), as the
    paragraph that opens the section answering it."""
    return _messages(doc)[question - 1]["message"]


def _messages(doc: Document) -> list[dict]:
    """The « À retenir » messages of the document, computed once."""
    if doc.__dict__.get("_messages") is None:
        doc.__dict__["_messages"] = synthesis.key_messages(
            doc.ind, doc.labels, doc.programmes, doc.lower_is_better(), doc.lang)
    return doc.__dict__["_messages"]


def demo_notice(doc: Document) -> str | None:
    """The « Données synthétiques » paragraph of the limits (demonstration runs only)."""
    _ = doc._
    if not doc.demo:
        return None
    return _("**Données synthétiques.** Ce rapport est produit sur une campagne simulée : les "
             "effets y ont été fixés à l'avance pour vérifier que la chaîne de traitement les "
             "retrouve. Aucun de ses chiffres ne renseigne sur l'impact réel des actions.")
