"""The technical annex (``workflow/notebooks/annexe_technique.ipynb``): one named helper per
exhibit, so that the notebook's code cells are one or two lines and its prose stays in
Markdown cells.

:class:`Annex` holds what the notebook's parameters point to (read once); every
``*_exhibit`` function returns a numbered :class:`~impact.report.notes.Exhibit` with its
Lecture / Champ / Source notes (``None``, or a list, where the campaign has nothing to show).
Strings generated here go through the message catalogue (:func:`impact.report.i18n.translator`;
French is the source language): templates are translated first, then filled with
``str.format``, as gettext expects.

Nothing statistical is computed here: every number is read from the published tables
(indicators, row accounting, validation results, linkage reports, ``provenance.json``).
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from impact.report import drawings, notes
from impact.report import tables as rd
from impact.report.formatting import MISSING, SECRET, fmt_int, fmt_number, fmt_pct, lower_first
from impact.report.i18n import N_, translator

__all__ = [
    "Annex",
    "accounting_exhibit",
    "checksums_exhibit",
    "codebook_exhibit",
    "configuration_exhibit",
    "failures_exhibit",
    "fieldwork_exhibit",
    "inventory_exhibit",
    "likert_exhibits",
    "linkage_exhibit",
    "multiplicity_exhibit",
    "readable_platform",
    "site_effects_exhibits",
    "validation_exhibit",
    "versions_exhibit",
]

#: Below this many published sites, the site effects are drawn as a caterpillar plot (each
#: site's change and CI, sorted); from it on, as a funnel plot (change against pairs).
CATERPILLAR_MAX_SITES = 15


@dataclass
class Annex(drawings.DrawsFigures):
    """What the annex reads, loaded once from the notebook's parameters."""

    lang: str
    programmes: list[str]
    waves: dict[str, list[str]]
    labels: rd.Labels
    ind: pd.DataFrame
    accounting: pd.DataFrame
    quality: dict[str, pd.DataFrame]
    prov: dict
    check_files: dict[tuple[str, str], str]
    ingest_reports: list[str]
    indicator_tables: list[str]
    campaign_label: str
    demo: bool
    synthetic: bool
    disclosure_threshold: int
    alpha: float
    subgroups: list[str]
    fieldwork: pd.DataFrame | None = None
    _: Callable[[str], str] = field(default=lambda s: s, repr=False)

    @classmethod
    def load(cls, *, lang: str, programmes: Sequence[str], waves: Mapping[str, Sequence[str]],
             instrument: str, codebooks: Mapping[str, str], indicator_tables: Sequence[str],
             pooled_table: str, row_accounting: str, linkage_quality: Mapping[str, str],
             provenance: str, checks: Sequence[str], ingest_reports: Sequence[str],
             campaign_label: str, synthetic: bool, demo_key: bool,
             disclosure_threshold: int, alpha: float, subgroups: Sequence[str],
             fieldwork: str | None = None) -> Annex:
        """Read the published tables the parameters name; ``fieldwork`` is optional (the
        per-site response rates, when the validation stage publishes them)."""
        fw = Path(fieldwork) if fieldwork else None
        return cls(
            lang=lang, programmes=list(programmes),
            waves={p: list(waves[p]) for p in programmes},
            labels=rd.load_labels(instrument, codebooks),
            ind=rd.load_indicators([*indicator_tables, pooled_table]),
            accounting=pd.read_csv(row_accounting, keep_default_na=False, na_values=[""]),
            quality={p: pd.read_csv(path) for p, path in linkage_quality.items()},
            prov=json.loads(Path(provenance).read_text(encoding="utf-8")),
            check_files={(Path(f).parts[-3], Path(f).parts[-2]): f for f in checks},
            ingest_reports=list(ingest_reports), indicator_tables=list(indicator_tables),
            campaign_label=campaign_label, demo=bool(synthetic or demo_key),
            synthetic=bool(synthetic), disclosure_threshold=int(disclosure_threshold),
            alpha=float(alpha), subgroups=list(subgroups),
            fieldwork=pd.read_csv(fw, keep_default_na=False, na_values=[""])
            if fw is not None and fw.is_file() else None,
            _=translator(lang),
        )

    def source(self, *what: str) -> str:
        """Source note: the survey campaign, the demonstration flag, what was read."""
        _ = self._
        text = _("Enquêtes Impact ITIP, {campaign}").format(campaign=self.campaign_label)
        if self.demo:
            text += _(" — données synthétiques de démonstration")
        text += _(" ; calculs du pipeline Impact ITIP")
        if what:
            text += " (" + ", ".join(what) + ")"
        return text + "."

    def tables_of(self, programmes: Iterable[str] | None = None) -> str:
        names = {p: Path(t).name for p, t in zip(self.programmes, self.indicator_tables,
                                                 strict=True)}
        progs = self.programmes if programmes is None else list(programmes)
        return self._("tableaux d'indicateurs {names}").format(
            names=", ".join(names[p] for p in progs))

    def programme(self, code: str) -> str:
        return self.labels.programme(code)

    def wave(self, code: str) -> str:
        return self.labels.wave(code)  # already in the annex's language


# --------------------------------------------------------------------------- files


def inventory_exhibit(a: Annex) -> notes.Exhibit:
    """The exports read, one row per programme × wave (ingest reports)."""
    _ = a._
    src = rd.ingest_table(a.ingest_reports, a.labels)
    r0 = src.iloc[0]
    return notes.table(
        src, title=_("Exports lus, par programme et par vague"), label="annex-inventory",
        lecture=_("L'export « {file} » ({tool}) compte {rows} lignes de réponses ; {ids} "
                  "colonnes d'identifiants directs en ont été retirées à la lecture.").format(
            file=r0["Fichier"], tool=r0["Outil"], rows=r0["Lignes lues"],
            ids=r0["Identifiants retirés"]),
        champ=_("Tous les exports de la campagne, avant tout contrôle."),
        source=a.source(_("rapports de lecture des exports")))


#: A separator in words: a lone « ; » in a cell is data, but reads as misplaced punctuation.
DELIMITER_NAMES = {";": N_("point-virgule"), ",": N_("virgule"), "\t": N_("tabulation"),
                   "|": N_("barre verticale")}


def _delimiter_name(delimiter: str | None, _) -> str:
    if not delimiter:
        return MISSING
    return _(DELIMITER_NAMES[delimiter]) if delimiter in DELIMITER_NAMES else delimiter


def codebook_exhibit(a: Annex) -> notes.Exhibit:
    """How each export is read, from its programme's codebook."""
    _ = a._
    rows = []
    for p in a.programmes:
        book = a.labels.codebooks.get(p, {})
        for wave, spec in (book.get("waves") or {}).items():
            if wave in a.waves[p]:
                rows.append({
                    "Programme": a.programme(p), "Vague": a.wave(wave),
                    "Fichier": spec.get("file", ""), "Outil": spec.get("tool", ""),
                    "Encodage": spec.get("encoding", MISSING),
                    "Séparateur": _delimiter_name(spec.get("delimiter"), _),
                    "Colonnes lues": fmt_int(len(spec.get("columns", {}) or {})),
                    "Identifiants": fmt_int(len(spec.get("identifiers", []) or []))})
    cb = pd.DataFrame(rows)
    r0 = cb.iloc[0]
    return notes.table(
        cb, title=_("Lecture des exports selon les dictionnaires des codes"),
        label="annex-codebooks",
        lecture=_("L'export {file} de {programme} ({wave}) vient de {tool} ; {cols} de ses "
                  "colonnes sont lues et {ids} colonnes d'identifiants sont écartées.").format(
            file=r0["Fichier"], programme=r0["Programme"], wave=r0["Vague"], tool=r0["Outil"],
            cols=r0["Colonnes lues"], ids=r0["Identifiants"]),
        champ=_("Exports de la campagne."),
        source=a.source(_("dictionnaires des codes des programmes")))


def accounting_exhibit(a: Annex) -> notes.Exhibit:
    """Rows read = kept + quarantined + excluded, per export."""
    _ = a._
    acc = rd.accounting_table(a.accounting, a.labels, a.waves)
    r0 = acc.iloc[0]
    return notes.table(
        acc, title=_("Comptage des réponses par export : lues, exclues, en quarantaine, "
                     "conservées"), label="annex-accounting",
        lecture=_("Sur les {read} réponses lues pour le programme {programme} ({wave}), "
                  "{excluded} sont exclues, {quarantined} mises en quarantaine et {kept} "
                  "conservées.").format(
            read=r0["Lues"], programme=r0["Programme"], wave=r0["Vague"],
            excluded=r0["Exclues"], quarantined=r0["En quarantaine"], kept=r0["Conservées"]),
        champ=_("Toutes les lignes de tous les exports de la campagne."),
        source=a.source(_("comptage des lignes de la validation")))


def validation_exhibit(a: Annex) -> notes.Exhibit:
    """Checks run per export, passed and failed by consequence."""
    _ = a._
    val = rd.validation_summary(a.check_files, a.labels)
    v0 = val.iloc[0]
    return notes.table(
        val, title=_("Contrôles de validation par export"), label="annex-validation",
        lecture=_("Pour le programme {programme} ({wave}), {checks} contrôles ont été "
                  "appliqués ; {passed} sont réussis sans exception et {quarantine} ont mis "
                  "des réponses en quarantaine.").format(
            programme=v0["Programme"], wave=v0["Vague"], checks=v0["Contrôles"],
            passed=v0["Réussis"], quarantine=v0["Échecs → quarantaine"]),
        champ=_("Suites de contrôles de tous les exports."),
        source=a.source(_("résultats de la validation")),
        note=_("Un contrôle « en échec » concerne au moins une ligne ; les lignes concernées "
               "sont exclues ou mises en quarantaine selon la sévérité configurée."))


def failures_exhibit(a: Annex) -> notes.Exhibit | None:
    """Every failed check, grouped by export (``None`` when none failed)."""
    _ = a._
    fail = rd.validation_failures(a.check_files, a.labels)
    if fail.empty:
        return None
    f0 = fail.iloc[0]
    grouped = fail.assign(Export=fail["Programme"] + " — " + fail["Vague"]).drop(
        columns=["Programme", "Vague"])
    grouped = grouped[["Export"] + [c for c in grouped.columns if c != "Export"]]
    return notes.table(
        rd.group_rows(grouped, "Export"), title=_("Contrôles en échec, par export"),
        label="annex-failures",
        lecture=_("Dans l'export {programme} ({wave}), le contrôle « {check} » concerne "
                  "{rows} lignes, traitées par {what}.").format(
            programme=f0["Programme"], wave=f0["Vague"], check=f0["Contrôle"],
            rows=f0["Lignes"], what=f0["Conséquence"]),
        champ=_("Contrôles de ligne et de table de tous les exports."),
        source=a.source(_("résultats de la validation")),
        note=_("Les lignes mises en quarantaine sont listées, avec le contrôle et la colonne "
               "en cause, dans la liste publiée de la quarantaine ; les valeurs saisies "
               "restent dans la zone restreinte de l'équipe de recherche."))


def linkage_exhibit(a: Annex) -> notes.Exhibit:
    """Links between waves, tolerant links, match rate (precision/recall if synthetic)."""
    _ = a._
    lk = rd.linkage_table(a.quality, a.labels, a.synthetic)
    l0 = lk.iloc[0]
    return notes.table(
        rd.group_rows(lk, "Programme"), title=_("Qualité de l'appariement entre vagues"),
        label="annex-linkage",
        lecture=_("Pour le programme {programme}, {links} réponses de la vague {wave} sont "
                  "reliées à une réponse antérieure, soit {rate} des réponses de cette vague ; "
                  "{tolerant} liens l'ont été à une faute de frappe près.").format(
            programme=l0["Programme"], links=l0["Liens"],
            wave=l0["Vagues"].split(" → ")[-1], rate=l0["Taux d'appariement"],
            tolerant=l0["dont tolérants"]),
        champ=_("Réponses conservées après validation."),
        source=a.source(_("rapports d'appariement")),
        note=_("Précision et rappel : part des liens corrects et part des vraies paires "
               "retrouvées, mesurées contre la vérité connue de la simulation ; ils ne sont "
               "calculables que sur des données synthétiques.") if a.synthetic else
        _("Liens « tolérants » : codes différant d'un caractère."))


# --------------------------------------------------------------------------- fieldwork

_FIELDWORK_COLUMNS = {  # N_: extracted for the catalogue, translated where shown
    "programme": N_("Programme"), "wave": N_("Vague"), "site": N_("Établissement ou session"),
    "expected": N_("Attendus"), "responses": N_("Réponses"), "respondents": N_("Répondants"),
    "response_rate": N_("Taux de réponse"), "rate": N_("Taux de réponse"),
}


def fieldwork_exhibit(a: Annex) -> notes.Exhibit | None:
    """Response rate per site and wave against the sites' ``expected`` counts, from the
    published fieldwork table (``None`` when the campaign has none). Cells the table marks
    ``suppressed`` read « s. », whatever value the row carries."""
    _ = a._
    fw = a.fieldwork
    if fw is None or fw.empty:
        return None
    secret = (fw["suppressed"].astype("boolean").fillna(True).to_numpy(dtype=bool)
              if "suppressed" in fw.columns else [False] * len(fw))
    out = pd.DataFrame(index=fw.index)
    for col, title in _FIELDWORK_COLUMNS.items():
        if col not in fw.columns:
            continue
        values = fw[col]
        if col == "programme":
            shown = values.map(a.programme)
        elif col == "wave":
            shown = values.map(a.wave)
        elif col == "site":
            shown = values.map(lambda v: a.labels.value("site", str(v)))
        elif col in ("response_rate", "rate"):
            shown = [SECRET if s else fmt_pct(v, 0) for v, s in zip(values, secret,
                                                                       strict=True)]
        elif col == "expected":
            shown = values.map(fmt_int)
        else:
            shown = [SECRET if s else fmt_int(v) for v, s in zip(values, secret, strict=True)]
        out[_(title)] = list(shown)
    return notes.table(
        rd.group_rows(out, _("Programme")) if _("Programme") in out else out,
        title=_("Suivi du terrain : réponses par établissement ou session et par vague, "
                "rapportées aux effectifs attendus"), label="annex-fieldwork",
        lecture=_("Chaque ligne rapporte les réponses reçues d'un établissement ou d'une "
                  "session, à une vague, au nombre de personnes attendues déclaré dans la "
                  "liste des sites du programme."),
        champ=_("Établissements et sessions déclarés des programmes de la campagne."),
        source=a.source(_("suivi du terrain de la validation"),
                        _("listes des sites des programmes")))


# --------------------------------------------------------------------------- item charts


def likert_exhibits(a: Annex, programme: str) -> list[notes.Exhibit]:
    """Diverging bars of every item, one scale per figure (two figures fit a page), first
    wave pair of the programme (all kept answers of each wave)."""
    _ = a._
    pairs = rd.change_pairs(a.ind, programme)
    if not pairs:
        return []
    wf, wt = pairs[0]
    resp = a.labels.response_labels(programme)
    scales = a.labels.scales(programme)
    name = a.programme(programme)
    out = []
    for scale in scales:
        items = [i for i, s in a.labels.item_scale.items() if s == scale]
        lf = rd.likert_frame(a.ind, programme, items, a.labels, [wf, wt])
        if lf.empty:
            continue
        top = max(resp) if resp else int(lf["response"].max())
        ok = lf[~lf["suppressed"].astype(bool) & (lf["response"] == top)]
        lect = _("Chaque barre répartit les réponses d'une vague à un item.")
        if len(ok):
            item = ok["item"].iloc[0]
            pre = ok[(ok["item"] == item) & (ok["wave"] == wf)]["share"]
            post = ok[(ok["item"] == item) & (ok["wave"] == wt)]["share"]
            if len(pre) and len(post):
                lect = _("À l'item « {item} », {pre} des répondants choisissent « {answer} » "
                         "{wf} le programme et {post} {wt}.").format(
                    item=item, pre=fmt_pct(pre.iloc[0], 0), answer=resp.get(top, top),
                    wf=a.wave(wf), post=fmt_pct(post.iloc[0], 0), wt=a.wave(wt))
        title = _("Réponses aux items de l'échelle « {scale} », {wf} et {wt} — {programme}")
        out.append(notes.figure(
            *a.draw("likert_diverging", lf, response_labels=resp,
                                      wave_labels={wf: a.wave(wf).capitalize(),
                                                   wt: a.wave(wt).capitalize()},
                                      waves=[wf, wt]),
            title=title.format(scale=lower_first(a.labels.measure(scale)), wf=a.wave(wf),
                               wt=a.wave(wt), programme=name),
            label=f"annex-likert-{programme}-{scale}", fmt="svg",
            lecture=lect,
            champ=_("Répondants de {programme} à chaque vague (toutes les réponses "
                    "conservées, appariées ou non).").format(programme=name),
            source=a.source(a.tables_of([programme])),
            note=_("Un item inversé est formulé à l'envers de son échelle : l'accord y va "
                   "dans le sens opposé au score. Une barre sous le seuil de diffusion "
                   "n'est pas tracée et se lit « s. ».")))
    return out


def site_effects_exhibits(a: Annex, programme: str) -> list[notes.Exhibit]:
    """Site effects of the first wave pair: under :data:`CATERPILLAR_MAX_SITES` published
    sites, one caterpillar plot per scale (each site's mean change with its CI, sorted,
    around the programme's mean); from it on, one funnel plot (Spiegelhalter 2005) with a
    panel per scale. Empty when fewer than 3 sites are published."""
    _ = a._
    pairs = rd.change_pairs(a.ind, programme)
    if "site" not in a.subgroups or not pairs:
        return []
    wf, wt = pairs[0]
    ff = rd.funnel_frame(a.ind, programme, "site", wf, wt, a.labels, a.alpha)
    n_sites = ff["subgroup_value"].nunique()
    if n_sites < 3:
        return []
    name = a.programme(programme)
    rule = _("Règle : sous {k} établissements ou sessions publiés, un graphique en chenille "
             "par échelle (chaque site et son intervalle de confiance) ; à partir de {k}, un "
             "graphique en entonnoir.").format(k=fmt_int(CATERPILLAR_MAX_SITES))
    champ = _("Établissements ou sessions de {programme} publiables (au moins {n} paires "
              "{wf}–{wt}).").format(programme=name, n=fmt_int(a.disclosure_threshold),
                                    wf=a.wave(wf), wt=a.wave(wt))
    source = a.source(a.tables_of([programme]))
    if n_sites >= CATERPILLAR_MAX_SITES:
        return [notes.figure(
            *a.draw("funnel_plot", ff), fmt="svg",
            title=_("Évolution par établissement ou session, graphique en entonnoir — "
                    "{programme}").format(programme=name),
            label=f"annex-sites-{programme}",
            lecture=_("Chaque point est un établissement ou une session : son évolution "
                      "moyenne selon son nombre de paires. Un point hors de l'entonnoir à "
                      "99,8 % (pointillés) s'écarte de l'ensemble plus que le hasard ne "
                      "l'explique vraisemblablement."),
            champ=champ, source=source,
            note=rule + " " + _("Limites θ ± z·s/√n autour de l'évolution d'ensemble θ, s "
                                "étant l'écart-type des évolutions individuelles "
                                "(Spiegelhalter, 2005)."))]
    ff = ff.assign(site=ff["subgroup_value"].map(lambda v: a.labels.value("site", v)))
    out = []
    for measure, cells in ff.groupby("measure", sort=False):
        label = lower_first(a.labels.measure(str(measure)))
        out.append(notes.figure(
            *a.draw("caterpillar_plot", cells), fmt="svg",
            title=_("Évolution de l'échelle « {scale} » par établissement ou session — "
                    "{programme}").format(scale=label, programme=name),
            label=f"annex-sites-{programme}-{measure}",
            lecture=_("Chaque ligne est un établissement ou une session : son évolution "
                      "moyenne (point) et son intervalle de confiance à 95 % (trait), de la "
                      "plus faible à la plus forte ; la ligne en tirets marque l'évolution de "
                      "l'ensemble du programme, un losange un site dont l'intervalle ne la "
                      "contient pas."),
            champ=champ, source=source,
            note=rule + " " + _("Un site sous le seuil de diffusion n'est pas tracé.")))
    return out


def multiplicity_exhibit(a: Annex) -> notes.Exhibit | None:
    """Significant primary tests before and after the correction, per family."""
    _ = a._
    mt = rd.multiplicity_table(a.ind, a.labels, a.alpha)
    if mt.empty:
        return None
    r0 = mt.iloc[0]
    return notes.table(
        rd.group_rows(mt, "Programme"),
        title=_("Tests principaux significatifs avant et après correction"),
        label="annex-multiplicity",
        lecture=_("Pour le programme {programme}, {raw} des {tests} tests de la famille "
                  "« {family} » ont une p-valeur brute inférieure à {alpha}, et {adjusted} "
                  "après correction.").format(
            programme=r0["Programme"], raw=r0.iloc[4], tests=r0["Tests"],
            family=r0["Famille de tests"], alpha=fmt_number(a.alpha, 2), adjusted=r0.iloc[5]),
        champ=_("Tests principaux des participants (paires complètes)."),
        source=a.source(a.tables_of()))


# --------------------------------------------------------------------------- software


def readable_platform(text: str) -> str:
    """« Linux (x86_64) » from ``platform.platform()``'s string, without the kernel build
    (``Linux-6.1.0-18-amd64-x86_64-with-glibc2.36`` → ``Linux (x86_64, glibc 2.36)``)."""
    system = text.split("-", 1)[0] or MISSING
    extra = [m for m in ("x86_64", "aarch64", "arm64", "AMD64") if m in text]
    libc = re.search(r"glibc([\d.]+)", text)
    if libc:
        extra.append(f"glibc {libc.group(1)}")
    return f"{system} ({', '.join(extra)})" if extra else system


def versions_exhibit(a: Annex) -> notes.Exhibit:
    """Python, system, commit and the key packages, one row each."""
    _ = a._
    git = a.prov.get("git", {})
    commit = (git.get("commit") or "")[:12] or git.get("note") or MISSING
    if git.get("dirty"):
        commit += _(" (arbre de travail modifié)")
    rows = [{"Composant": "Python", "Version": a.prov.get("python", MISSING)},
            {"Composant": _("Système"),
             "Version": readable_platform(a.prov.get("platform", "") or platform.system())},
            {"Composant": _("Commit git du pipeline"), "Version": commit}]
    rows += [{"Composant": k, "Version": v or _("non installé")}
             for k, v in sorted(a.prov.get("packages", {}).items(), key=lambda kv: kv[0].lower())]
    return notes.table(
        pd.DataFrame(rows).rename(columns={"Composant": _("Composant")}),
        title=_("Versions des logiciels utilisés"), label="annex-versions",
        lecture=_("Chaque ligne donne la version d'un composant logiciel utilisé pour ce "
                  "rapport."),
        champ=_("Environnement d'exécution du pipeline."),
        source=a.source(_("registre de traçabilité de l'exécution")))


def checksums_exhibit(a: Annex) -> notes.Exhibit:
    """SHA-256 of every input, in a monospace cell that never hyphenates (report.css:
    ``td.hash``)."""
    _ = a._
    roles = {"export": _("export"), "codebook": _("dictionnaire"),
             "instrument": _("instrument"), "config": _("configuration"),
             "simulation": _("simulation"), "table": _("tableau")}
    rows = [{"Rôle": roles.get(e["role"], e["role"]), "Fichier": e["path"],
             "Octets": fmt_int(e["bytes"]), "SHA-256": e["sha256"]}
            for e in a.prov.get("inputs", [])]
    seed = a.prov.get("simulation_seed")
    exhibit = notes.table(
        pd.DataFrame(rows), title=_("Empreintes SHA-256 des fichiers d'entrée"),
        label="annex-checksums",
        lecture=_("Un fichier dont l'empreinte SHA-256 calculée aujourd'hui est identique à "
                  "celle du tableau est exactement celui qui a servi à ce rapport."),
        champ=_("Exports, dictionnaires, instrument, configuration et tableaux lus par le "
                "rapport."),
        source=a.source(_("registre de traçabilité de l'exécution")),
        note=_("Campagne synthétique : graine de simulation {seed}.").format(seed=seed)
        if seed is not None else None)
    # mark the digest cells (64 hex digits) for the monospace, unhyphenated style
    exhibit.body_html = re.sub(r'<td(?: class="([^"]*)")?>([0-9a-f]{64})</td>',
                               r'<td class="hash \1">\2</td>', exhibit.body_html)
    return exhibit


def _flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        out = []
        for k, v in value.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list | tuple):
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            return [(prefix, ", ".join(str(v) for v in value) or MISSING)]
        return [(f"{prefix}[{i}]", s) for i, v in enumerate(value) for _, s in _flatten(v)]
    if isinstance(value, bool):
        return [(prefix, "oui" if value else "non")]
    return [(prefix, MISSING if value is None else str(value))]


def configuration_exhibit(a: Annex) -> notes.Exhibit:
    """The run's configuration as a table « section | setting | value » (every key of the
    effective configuration, nested keys joined by dots, lists on one line)."""
    _ = a._
    rows = []
    for section, value in (a.prov.get("configuration") or {}).items():
        for key, text in _flatten(value):
            rows.append({"Section": str(section), "Réglage": key or MISSING,
                         "Valeur": _(text) if text in ("oui", "non") else text})
    frame = pd.DataFrame(rows, columns=["Section", "Réglage", "Valeur"])
    files = ", ".join(Path(e["path"]).name for e in a.prov.get("inputs", [])
                      if e["role"] == "config")
    return notes.table(
        rd.group_rows(frame.rename(columns={"Section": _("Section"), "Réglage": _("Réglage"),
                                            "Valeur": _("Valeur")}), _("Section")),
        title=_("Configuration effective de l'exécution"), label="annex-configuration",
        lecture=_("Chaque ligne donne un réglage de l'exécution et sa valeur ; les réglages "
                  "imbriqués sont joints par des points."),
        champ=_("Configuration lue au lancement ({files}), après les options de la ligne de "
                "commande.").format(files=files or MISSING),
        source=a.source(_("registre de traçabilité de l'exécution")))


# --------------------------------------------------------------------------- front matter


def cover_html(a: Annex, *, title: str, author: str, main_report: str) -> str:
    """The annex's title block: its title, the main report it belongs to (a relative link,
    so it still works once ``results/report/`` is copied elsewhere), the demonstration
    warning. Every value is escaped."""
    from html import escape

    _ = a._
    banner = ""
    if a.demo:
        banner = ('<p class="demo-banner"><strong>' + escape(_("Données synthétiques de "
                  "démonstration")) + "</strong> — " + escape(_(
                      "aucun résultat de ce document ne doit être cité comme une mesure de "
                      "l'impact réel des actions.")) + "</p>")
    kicker = _("Annexe technique")  # not inside an f-string: Babel must see them
    of_report = _("Annexe du rapport")
    return (
        '<div class="annex-cover">'
        f'<p class="cover-kicker">{escape(kicker)}</p>'
        f'<h1 class="annex-title">{escape(title)}</h1>'
        f'<p class="subtitle">{escape(a.campaign_label)} — {escape(author)}</p>'
        f'<p>{escape(of_report)} <a href="{escape(main_report, quote=True)}">'
        f"« {escape(title)} »</a>.</p>{banner}</div>")
