"""What the report says in words: explicit, tested rules that turn a published estimate into a
sentence (direction, size in words, uncertainty, caveats), and the synthèse built from them.

The rules (:func:`interpret`), applied to one published row (an effect size with its 95 % CI):

1. **Secret.** A suppressed row says only that the result is under the disclosure threshold
   (no value, no direction: nothing a reader could recover).
2. **Uncertainty first.** When the 95 % CI contains 0, there is no established change:
   « pas d'évolution établie » (before/after design) or « pas d'effet établi » (comparison
   group) — the point estimate's sign is *not* reported as a direction.
3. **Direction.** Otherwise the sign of the effect gives « a augmenté » / « a diminué »;
   for a measure where a lower score is the desired outcome (e.g. gender stereotypes) the
   sentence says whether the change goes the desired way.
4. **Size in words.** Cohen's benchmarks on |g| (0,2 ; 0,5 ; 0,8: négligeable, faible, moyen,
   fort; Cohen 1988), the same as :func:`impact.report.formatting.effect_magnitude`.
5. **Causal wording only with a comparison group.** A difference-in-differences or ANCOVA
   against a comparison group may say « l'action a fait progresser … »; a before/after change
   says « a augmenté chez les participants » and adds that it cannot be attributed to the
   action (no verb of causation: « effet », « grâce à », « a fait progresser », « impact »).
6. **Weak evidence withholds the causal verb.** An estimate against a comparison group whose
   evidence rating is weak (``weak_evidence``: security ≤ 1 on the 0–5 scale, or a study that
   does not meet the WWC standards) is described as a gap between the groups, and the
   sentence says that it does not demonstrate an effect of the action.

The numbers are those of the published rows (:mod:`impact.report.tables`); nothing here
estimates anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from impact.report.formatting import (
    MISSING,
    NBSP,
    effect_magnitude,
    fmt_int,
    fmt_number,
    fmt_pct,
    is_missing,
)
from impact.report.i18n import N_, translator
from impact.report.tables.common import Labels, ci_nb, one_row, select, wwc_attrition_class
from impact.report.tables.headline import PRIMARY

__all__ = [
    "CAUSAL_WORDS",
    "Finding",
    "interpret",
    "key_messages",
    "programme_paragraph",
    "summary_table",
]

#: Words that claim causation: never in a sentence about a design without comparison group.
CAUSAL_WORDS = ("effet de l'action", "grâce à", "a fait progresser", "a fait baisser",
                "impact", "a permis", "a provoqué", "a amélioré", "a réduit")

#: Estimation methods of the ``headline`` rows that compare with a comparison group.
CAUSAL_METHODS = ("did_cr2_site", "ancova_cr2_site")


@dataclass(frozen=True)
class Finding:
    """One published estimate, as :func:`interpret` needs it.

    ``effect`` is a standardised effect size (Hedges' g: g_av for a before/after change,
    g of the difference in differences with a comparison group), ``ci_low``/``ci_high`` its
    95 % CI; ``causal`` is True only for an estimate against a comparison group."""

    label: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None = None
    causal: bool = False
    lower_is_better: bool = False
    suppressed: bool = False
    weak_evidence: bool = False


def _missing(*values: object) -> bool:
    return any(is_missing(v) for v in values)


#: Feminine forms of the benchmarks' words (« une évolution moyenne », « une hausse forte »).
FEMININE = {"moyen": N_("moyenne"), "fort": N_("forte")}


def size_words(effect: float, lang: str = "fr", feminine: bool = False) -> str:
    """Cohen's benchmark of |g| in words (« négligeable », « faible », « moyen », « fort »;
    agreed with a feminine noun when ``feminine``)."""
    _ = translator(lang)
    word = effect_magnitude(effect, "g_av") or ""
    return _(FEMININE.get(word, word) if feminine else word)


def _numbers(f: Finding, lang: str) -> str:
    _ = translator(lang)
    name = _("taille d’effet")  # outside the f-string, where Babel's extractor sees it
    text = (f"{name} {fmt_number(f.effect)} "
            f"{ci_nb(f.ci_low, f.ci_high)}")
    if f.n is not None and not is_missing(f.n):
        text += f", n{NBSP}={NBSP}{fmt_int(f.n)}"
    return text


def interpret(f: Finding, lang: str = "fr") -> str:
    """One sentence for one estimate, by the rules of the module docstring."""
    _ = translator(lang)
    subject = f"« {f.label} »"
    if f.suppressed:
        return _("{subject} : résultat soumis au secret statistique (effectif trop faible "
                 "pour être publié).").format(subject=subject)
    if _missing(f.effect, f.ci_low, f.ci_high):
        return _("{subject} : pas d’estimation publiée.").format(subject=subject)
    numbers = _numbers(f, lang)
    if f.ci_low <= 0 <= f.ci_high:  # type: ignore[operator]
        if f.causal:
            return _("{subject} : pas d’effet établi par rapport au groupe de comparaison "
                     "({numbers}) ; l’intervalle de confiance contient zéro.").format(
                subject=subject, numbers=numbers)
        return _("{subject} : pas d’évolution établie ({numbers}) ; l’intervalle de "
                 "confiance contient zéro.").format(subject=subject, numbers=numbers)
    up = f.effect > 0  # type: ignore[operator]
    size = size_words(f.effect, lang)  # type: ignore[arg-type]
    size_f = size_words(f.effect, lang, feminine=True)  # type: ignore[arg-type]
    desired = up != f.lower_is_better
    way = "" if not f.lower_is_better else (
        _(", dans le sens souhaité") if desired else _(", à l’inverse du sens souhaité"))
    if f.causal and f.weak_evidence:
        more = _("davantage progressé") if up else _("davantage baissé")
        return _("{subject} : les participants ont {more} que le groupe de comparaison{way} — "
                 "écart {size} ({numbers}) ; le niveau de preuve est trop faible pour y voir "
                 "un effet démontré de l’action.").format(subject=subject, more=more, way=way,
                                                         size=size, numbers=numbers)
    if f.causal:
        verb = _("l’action a fait progresser") if up else _("l’action a fait baisser")
        return _("{subject} : {verb} le score par rapport au groupe de comparaison{way} — "
                 "effet {size} ({numbers}).").format(subject=subject, verb=verb, way=way,
                                                    size=size, numbers=numbers)
    verb = _("a augmenté") if up else _("a diminué")
    return _("{subject} : le score {verb} chez les participants{way} — évolution {size} "
             "({numbers}) ; sans groupe de comparaison, elle ne peut pas être attribuée à "
             "l’action.").format(subject=subject, verb=verb, way=way, size=size_f,
                                 numbers=numbers)


# --------------------------------------------------------------------------- from the tables


def _float(v: object) -> float | None:
    return None if is_missing(v) else float(v)  # type: ignore[arg-type]


def headline_findings(table: pd.DataFrame, labels: Labels, programme: str,
                      lower_is_better: Sequence[str] = ()) -> list[tuple[Finding, dict]]:
    """The programme's primary outcomes as :class:`Finding` (the design's headline: DiD with
    a comparison group, before/after change otherwise), each with its evidence rating
    (``security`` 0–5, ``wwc`` method code) and the estimation method."""
    heads = select(table, indicator="headline", subgroup="all", programme=programme)
    heads = heads[heads["flag"].fillna("").str.contains(PRIMARY, regex=True)]
    out = []
    for _, h in heads.iterrows():
        crit = dict(programme=programme, measure=h["measure"], subgroup="all")
        es = one_row(table, indicator="headline_es", **crit)
        sec = one_row(table, indicator="evidence_security", **crit)
        wwc = one_row(table, indicator="evidence_wwc", **crit)
        secret = bool(h["suppressed"]) or (es is not None and bool(es["suppressed"]))
        security = None if sec is None else _float(sec["estimate"])
        weak = ((security is not None and security <= 1)
                or (wwc is not None and "does_not_meet" in str(wwc["method"])))
        finding = Finding(
            label=labels.measure(h["measure"]),
            effect=None if es is None or secret else _float(es["estimate"]),
            ci_low=None if es is None or secret else _float(es["ci_low"]),
            ci_high=None if es is None or secret else _float(es["ci_high"]),
            n=None if secret or is_missing(h["n"]) else int(h["n"]),
            causal=h["method"] in CAUSAL_METHODS,
            lower_is_better=h["measure"] in lower_is_better,
            suppressed=secret, weak_evidence=weak)
        out.append((finding, {
            "security": security,
            "wwc": None if wwc is None else str(wwc["method"]),
            "method": str(h["method"]),
            "measure": str(h["measure"]),
        }))
    return out


def change_findings(table: pd.DataFrame, labels: Labels, programme: str, wave_from: str,
                    wave_to: str, lower_is_better: Sequence[str] = ()) -> list[Finding]:
    """Every scale's before/after change (g_av rows, whole sample) as :class:`Finding`."""
    rows = select(table, programme=programme, indicator="g_av", subgroup="all",
                  wave_from=wave_from, wave_to=wave_to)
    scales = labels.scales(programme)
    rows = rows[rows["measure"].isin(scales)]
    order = {m: i for i, m in enumerate(scales)}
    rows = rows.assign(_o=rows["measure"].map(order)).sort_values("_o")
    return [Finding(
        label=labels.measure(r["measure"]),
        effect=None if r["suppressed"] else _float(r["effect_size"] if "effect_size" in r
                                                   and not is_missing(r["effect_size"])
                                                   else r["estimate"]),
        ci_low=None if r["suppressed"] else _float(r["ci_low"]),
        ci_high=None if r["suppressed"] else _float(r["ci_high"]),
        n=None if r["suppressed"] or is_missing(r["n"]) else int(r["n"]),
        lower_is_better=r["measure"] in lower_is_better,
        suppressed=bool(r["suppressed"])) for _, r in rows.iterrows()]


def programme_paragraph(findings: Sequence[Finding], programme_label: str,
                        caveats: Sequence[str] = (), lang: str = "fr") -> str:
    """The paragraph that opens a programme's results: how many measures rose, fell or did
    not change (rules 2–3), the largest established change in words, then the caveats."""
    _ = translator(lang)
    shown = [f for f in findings if not f.suppressed and not _missing(f.effect, f.ci_low,
                                                                        f.ci_high)]
    rose = [f for f in shown if f.ci_low > 0]  # type: ignore[operator]
    fell = [f for f in shown if f.ci_high < 0]  # type: ignore[operator]
    flat = [f for f in shown if f not in rose and f not in fell]
    parts = [_("Pour {programme}, sur {k} mesures publiées, {up} augmentent, {down} "
               "diminuent et {flat} ne montrent pas d’évolution établie.").format(
        programme=programme_label, k=fmt_int(len(shown)), up=fmt_int(len(rose)),
        down=fmt_int(len(fell)), flat=fmt_int(len(flat)))]
    moved = rose + fell
    if moved:
        top = max(moved, key=lambda f: abs(f.effect))  # type: ignore[arg-type]
        parts.append(_("La plus forte évolution établie : {sentence}").format(
            sentence=interpret(top, lang)))
    secret = len(findings) - len(shown)
    if secret:
        parts.append(_("{k} résultat(s) relèvent du secret statistique.").format(
            k=fmt_int(secret)))
    parts.extend(caveats)
    return " ".join(parts)


# --------------------------------------------------------------------------- the synthèse


def _security_words(security: float | None, lang: str) -> str:
    _ = translator(lang)
    if security is None or (isinstance(security, float) and math.isnan(security)):
        return _("niveau de preuve non évalué")
    return _("niveau de preuve {k} sur 5").format(k=fmt_int(security))


def _headline_sentence(programme_label: str, item: tuple[Finding, dict], lang: str) -> str:
    f, meta = item
    return (f"{programme_label} — {interpret(f, lang).rstrip('.')} ; "
            f"{_security_words(meta['security'], lang)}.")


def key_messages(table: pd.DataFrame, labels: Labels, programmes: Sequence[str],
                 lower_is_better: Sequence[str] = (), lang: str = "fr") -> list[dict]:
    """« À retenir »: one message per evaluation question (six, in the order of the context
    section), each ``{"question": …, "parts": [sentences], "message": the sentences joined}``
    in plain words with the design's headline
    estimate, its evidence rating and n, and what does not hold up."""
    _ = translator(lang)
    P = {p: labels.programme(p) for p in programmes}
    msgs: list[dict] = []

    # Q1 — attitudes: the headline of each programme's primary outcomes
    q1 = []
    for p in programmes:
        q1 += [_headline_sentence(P[p], item, lang)
               for item in headline_findings(table, labels, p, lower_is_better)]
    msgs.append({"question": _("Les attitudes envers l’industrie évoluent-elles ?"),
                 "parts": q1 or [_("Aucun critère principal n’est publié.")]})

    # Q2 — intention (binary item: share of « oui » before / after, McNemar)
    q2 = []
    from impact.report.tables.results import intention_table

    for _i, r in intention_table(table, labels, programmes).iterrows():
        if r["suppressed"] or _missing(r["diff"], r["ci_low"], r["ci_high"]):
            continue
        established = not (r["ci_low"] <= 0 <= r["ci_high"])
        q2.append(_("{programme} : la part de « oui » passe de {a} à {b}, soit {d} points "
                    "{ci} (n = {n}) : {verdict}.").format(
            programme=r["programme"], a=fmt_pct(r["share_pre"], 0),
            b=fmt_pct(r["share_post"], 0), d=fmt_number(100 * r["diff"], 1),
            ci=ci_nb(100 * r["ci_low"], 100 * r["ci_high"], 1), n=fmt_int(r["n"]),
            verdict=_("une progression établie") if established and r["diff"] > 0
            else _("une baisse établie") if established
            else _("pas d’évolution établie")))
    msgs.append({"question": _("L’intention de s’orienter vers l’industrie progresse-t-elle ?"),
                 "parts": q2 or [_("Aucune part d’intention n’est publiée.")]})

    # Q3 — subgroups: interaction tests (wave × subgroup), with the direction of the gap
    inter = select(table, indicator="interaction_test")
    inter = inter[inter["programme"].isin(programmes) & ~inter["suppressed"].astype(bool)
                  & inter["p_value"].notna()] if len(inter) else inter
    question3 = _("Les évolutions diffèrent-elles selon le genre, le public ou "
                  "l’établissement ?")
    if len(inter):
        sig = inter[inter["p_value"] < 0.05]
        q3 = [_("Sur {k} tests d’interaction publiés, {s} signalent une évolution qui diffère "
                "selon le sous-groupe (p < 0,05, sans correction pour tests multiples : des "
                "pistes, non des résultats établis).").format(k=fmt_int(len(inter)),
                                                              s=fmt_int(len(sig)))]
        tops: dict[tuple[str, str], set[str]] = {}
        for _i, r in sig.iterrows():
            if r["subgroup"] == "site":
                continue
            cells = select(table, programme=r["programme"], measure=r["measure"],
                           indicator="g_av", subgroup=r["subgroup"])
            cells = cells[~cells["suppressed"].astype(bool) & cells["effect_size"].notna()]
            if len(cells) < 2:
                continue
            top = cells.loc[cells["effect_size"].idxmax()]
            tops.setdefault((r["measure"], r["subgroup"]), set()).add(top["subgroup_value"])
            q3.append(_("{programme}, « {measure} » : évolution la plus forte pour « {value} » "
                        "({variable}).").format(
                programme=P[r["programme"]], measure=labels.measure(r["measure"]),
                value=labels.value(r["subgroup"], top["subgroup_value"]),
                variable=labels.variable(r["subgroup"]).lower()))
        for (measure, variable), values in tops.items():
            if len(values) > 1:
                q3.append(_("Pour « {measure} », l’écart selon {variable} va en sens opposé "
                            "d’un programme à l’autre : à vérifier sur une autre campagne "
                            "avant d’en tirer une conclusion.").format(
                    measure=labels.measure(measure),
                    variable=labels.variable(variable).lower()))
        sites = int((sig["subgroup"] == "site").sum())
        if sites:
            q3.append(_("{k} test(s) signalent des écarts entre établissements ou "
                        "sessions.").format(k=fmt_int(sites)))
        msgs.append({"question": question3, "parts": q3})
    else:
        msgs.append({"question": question3,
                     "parts": [_("Aucun test d’interaction n’est publié.")]})

    # Q4 — comparison group: the DiD headline, said plainly when it does not hold up
    q4 = []
    for p in programmes:
        if not labels.has_comparison(p):
            continue
        for f, meta in headline_findings(table, labels, p, lower_is_better):
            wwc = meta["wwc"] or ""
            q4.append(f"{P[p]} — {interpret(f, lang)}")
            if "does_not_meet" in wwc:
                q4.append(_("L’étude ne satisfait pas les standards du What Works "
                            "Clearinghouse : ce résultat ne peut pas être tenu pour un "
                            "impact démontré."))
            elif "with_reservations" in wwc:
                q4.append(_("L’étude satisfait les standards du What Works Clearinghouse avec "
                            "réserves."))
    if not q4:
        q4 = [_("Aucun programme ne dispose d’un groupe de comparaison : aucune évolution ne "
                "peut être attribuée aux actions.")]
    msgs.append({"question": _("Avec un groupe de comparaison, les participants évoluent-ils "
                               "autrement que les autres ?"), "parts": q4})

    # Q5 — insertion: the employment rate with the response rate behind it
    q5 = []
    for p in programmes:
        emp = select(table, programme=p, indicator="rate", measure="employment",
                     subgroup="all")
        resp = select(table, programme=p, indicator="response_rate", subgroup="all")
        if emp.empty or bool(emp["suppressed"].iloc[0]) or is_missing(emp["estimate"].iloc[0]):
            continue
        e = emp.iloc[0]
        text = _("{programme} : {rate} des répondants au suivi sont en emploi {ci} "
                 "(n = {n})").format(programme=P[p], rate=fmt_pct(e["estimate"], 0),
                                     ci=ci_nb(100 * e["ci_low"], 100 * e["ci_high"], 0),
                                     n=fmt_int(e["n"]))
        if len(resp) and not bool(resp["suppressed"].iloc[0]):
            text += _(", mais seuls {resp} des demandeurs d’emploi interrogés ont répondu : le "
                      "taux ne vaut que pour les répondants").format(
                resp=fmt_pct(resp["estimate"].iloc[0], 0))
        q5.append(text + ".")
    msgs.append({"question": _("Que deviennent les demandeurs d’emploi quelques mois après "
                               "l’action ?"),
                 "parts": q5 or [_("Aucun taux d’insertion n’est publié.")]})

    # Q6 — robustness: attrition, classified against the WWC boundaries where they apply
    q6 = []
    att = select(table, indicator="attrition_overall", subgroup="all")
    att = att[att["programme"].isin(programmes)] if len(att) else att
    for p, rows in att.groupby("programme", sort=False):
        r = rows.iloc[0]
        if r["suppressed"] or is_missing(r["estimate"]):
            continue
        diff = one_row(table, programme=p, indicator="attrition_differential",
                       wave_from=r["wave_from"], wave_to=r["wave_to"])
        wwc = MISSING if diff is None else wwc_attrition_class(diff["flag"], "cautious")
        if wwc == "élevée":
            tail = _(", « élevée » selon les frontières du What Works Clearinghouse : les "
                     "évolutions mesurées sur les répondants restés peuvent être biaisées")
        elif wwc == "faible":
            tail = _(", « faible » selon les frontières du What Works Clearinghouse")
        else:
            tail = _(" (sans groupe de comparaison, les frontières du What Works "
                     "Clearinghouse ne s’appliquent pas)")
        q6.append(_("{programme} : attrition de {a}{tail}.").format(
            programme=P[p], a=fmt_pct(r["estimate"], 0), tail=tail))
    msgs.append({"question": _("Ces conclusions résistent-elles à l’attrition et au choix du "
                               "modèle ?"),
                 "parts": q6 or [_("Aucune attrition n’est publiée.")]})
    for m in msgs:
        m["message"] = " ".join(m["parts"])
    return msgs


def summary_table(table: pd.DataFrame, labels: Labels, programmes: Sequence[str],
                  lower_is_better: Sequence[str] = (), lang: str = "fr") -> pd.DataFrame:
    """One row per programme × primary outcome: the effect in words and in numbers, the
    estimation (impact or change), the evidence rating, n."""
    _ = translator(lang)
    rows = []
    for p in programmes:
        for f, meta in headline_findings(table, labels, p, lower_is_better):
            if f.suppressed:
                words, numbers = _("secret statistique"), "s."
            elif _missing(f.effect, f.ci_low, f.ci_high):
                words, numbers = _("non estimé"), "–"
            else:
                if f.ci_low <= 0 <= f.ci_high:  # type: ignore[operator]
                    words = _("pas d’effet établi") if f.causal else _("pas d’évolution établie")
                else:
                    up = f.effect > 0  # type: ignore[operator]
                    words = (_("hausse") if up else _("baisse")) + " " + size_words(
                        f.effect, lang, feminine=True)  # type: ignore[arg-type]
                    if f.lower_is_better:
                        words += _(" (souhaitée)") if up != f.lower_is_better else _(
                            " (non souhaitée)")
                numbers = f"{fmt_number(f.effect)} {ci_nb(f.ci_low, f.ci_high)}"
            rows.append({
                _("Programme"): labels.programme(p),
                _("Critère principal"): f.label,
                _("Estimation"): _("impact (groupe de comparaison)") if f.causal
                else _("évolution avant/après"),
                _("Effet"): words,
                _("Taille d’effet [IC 95 %]"): numbers,
                _("Niveau de preuve (0–5)"): "–" if meta["security"] is None
                else fmt_int(meta["security"]),
                "n": "s." if f.n is None and f.suppressed else
                "–" if f.n is None else fmt_int(f.n),
            })
    return pd.DataFrame(rows)


def conclusions_markdown(path: str, lang: str = "fr") -> str:
    """The researcher's conclusions file, as written (Markdown). ``conclusions.md`` for French;
    ``conclusions_en.md`` next to it for English when it exists."""
    from pathlib import Path

    source = Path(path)
    if lang != "fr":
        other = source.with_name(f"{source.stem}_{lang}{source.suffix}")
        if other.is_file():
            source = other
    if not source.is_file():
        raise FileNotFoundError(
            f"conclusions file {source} not found: create it (report.conclusions in "
            "config/config.yaml names it)")
    return source.read_text(encoding="utf-8")


def logic_models(config: Mapping[str, object], programmes: Sequence[str], labels: Labels,
                 lang: str = "fr") -> list[dict]:
    """The théorie du changement of each programme that has one, in ``programmes``' order, as
    plain data for :func:`impact.report.figures.logic_model` (lists and strings: the figure
    cache hashes them): ``programme`` (its reader's name), ``activities``, ``intermediate``
    and ``measured`` (the measures' reader labels).

    Read from the report config's ``logic_models`` (French; measured outcomes named by their
    instrument code); ``logic_models_<lang>`` replaces the wording of another edition key by
    key, so a key it lacks keeps the French list (``measured`` never needs translating)."""
    models = config.get("logic_models") or {}
    local = (config.get(f"logic_models_{lang}") or {}) if lang != "fr" else {}
    out = []
    for p in programmes:
        spec = {**(models.get(p) or {}), **(local.get(p) or {})}
        if not spec:
            continue
        out.append({
            "programme": labels.programme(p),
            "activities": [str(x) for x in spec.get("activities", [])],
            "intermediate": [str(x) for x in spec.get("intermediate", [])],
            "measured": [labels.measure(m) for m in spec.get("measured", [])],
        })
    return out
