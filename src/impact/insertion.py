"""Insertion of job seekers at follow-up, as rows of the tidy indicator table.

Population (« champ »): the programme's participants of the follow-up audience (job seekers,
``audience == "demandeur_emploi"`` by default) who answered the baseline wave. Among them, the
**respondents** are those with a row at the follow-up wave; the others are the follow-up
**non-respondents**. Background variables (site = session = cohort, gender, age, education,
unemployment duration) and attitude scores are taken from the baseline row; the follow-up row
gives the situation, ``job_industry``, ``situation_start`` and the answer date. Follow-up answers
that are not linked to a baseline job seeker (unlinked codes, or linked to a baseline answer of
another audience) cannot be placed in a cohort or a subgroup: they are left out of every rate
and counted in ``followup_outside_cohort``.

Outcomes (``measure``; definitions, in French, in :data:`DEFINITIONS` and
``docs/insertion_definitions.md``): ``employment``, ``durable_employment``,
``qualifying_training``, ``positive_exit``, ``job_in_industry`` (among all respondents) and
``job_in_industry_among_active`` (among respondents in a job or in training).

Indicators (``indicator``; every record has ``n`` = respondents behind it, for the disclosure
step):

==========================  =====================  =============================================
indicator                   unit                   meaning
==========================  =====================  =============================================
``rate``                    proportion             share of respondents with the outcome, Wilson
                                                   score CI; ``n`` = respondents whose outcome
                                                   is known. Per cell: ``subgroup`` ∈ ``all``,
                                                   ``site``, ``gender``, ``age_band``,
                                                   ``education``, ``unemployment_band``.
``successes``               count                  numerator of ``rate`` (a separate record, so
                                                   that ``statistic`` keeps its meaning of a
                                                   test statistic); ``n`` as for ``rate``.
``rate_worst_case``         proportion             Manski lower bound: every non-respondent of
                                                   the cell failed; ``n`` = respondents +
                                                   non-respondents of the cell.
``rate_best_case``          proportion             Manski upper bound: every non-respondent of
                                                   the cell succeeded; ``n`` as above.
``response_rate``           proportion             (``measure = followup``) baseline job seekers
                                                   of the cell who answered the follow-up /
                                                   baseline job seekers of the cell; ``n`` =
                                                   baseline job seekers.
``followup_outside_cohort`` count                  (``measure = followup``) follow-up answers
                                                   not linked to a baseline job seeker.
``situation_share``         proportion             (``measure = situation``) share of each
                                                   situation code (``subgroup = response``),
                                                   Wilson CI.
``ame``                     percentage_points      average marginal effect of a covariate
                                                   (``subgroup = covariate``) in the logit
                                                   model of the outcome on background and
                                                   baseline attitudes; flagged ``not_causal``.
``odds_ratio``              odds_ratio             exp(coefficient) of the same model.
``ame_attitude_change``     percentage_points      exploratory: AME of the post − baseline
                                                   change of one attitude scale (model adding
                                                   that scale's baseline score and change);
                                                   flagged ``not_causal;exploratory``.
``model_events``            count                  events in a fitted model (``subgroup =
                                                   model``); ``n`` = respondents in the model.
``model_skipped``           count                  a model that was not fitted, the reason in
                                                   ``flag``; ``n`` = respondents available.
``km_in_employment``        proportion             1 − Kaplan–Meier S(t): share having started
                                                   their current job by month t after the end
                                                   of the programme (``subgroup = month``);
                                                   ``n`` = respondents still at risk at t.
==========================  =====================  =============================================

Models. ``statsmodels`` GLM, binomial family, logit link, one model per outcome:
``outcome ~ gender + age + education + unemployment_months + <baseline attitude scores>``,
complete cases. Categorical covariates get one dummy per level against the most frequent level
(named in ``flag`` as ``reference=<level>``); levels with fewer than ``min_level_count``
respondents are pooled with the reference; constant covariates, and covariates collinear with
earlier ones, are dropped (flag ``collinear_dropped``). Standard errors
are cluster-robust by session (``site``; statsmodels' small-sample correction) and, because
sessions are few, CIs and p-values use Student's t with G − 1 degrees of freedom (``df``;
Cameron & Miller 2015) — with a single session, heteroskedasticity-robust (HC1) SEs and the
normal distribution are used instead (flag ``no_clustering``). A model is skipped (record
``model_skipped``) with fewer than ``min_model_respondents`` respondents, fewer than
``min_model_events`` events or non-events, on perfect or quasi-complete separation (a fitted
probability within 10⁻⁶ of 0 or 1), or when the fit fails.

Average marginal effects are computed here from the fitted coefficients (in percentage points):
for a continuous covariate x_j, the mean over respondents of β_j·p_i(1 − p_i) (per unit: year,
month, scale point); for a dummy, the mean of p_i(dummy = 1) − p_i(all dummies of its factor
= 0). Standard errors by the delta method, ``√(g' V g)`` with g the gradient of the AME with
respect to β and V the cluster-robust covariance. (statsmodels' ``GLMResults.get_margeff``
gives the same values for continuous covariates and single binary dummies with cluster SEs —
checked in the tests — but switches each dummy of a multi-level factor while the others keep
their observed values, which is not the level-versus-reference contrast reported here.)

Time to employment. The origin is the end of the programme: the respondent's own answer date
at the post wave, otherwise the median post-wave answer date of the session. The event is the
start of the current job (``situation_start``) for respondents in employment — jobs started
before the origin count as events at 0 and start dates after the follow-up answer are moved to
it; respondents not in employment are censored at their follow-up answer date; respondents in
employment without a start date cannot be placed and are left out (flag
``missing_start_dates``). ``SurvfuncRight`` (statsmodels) gives the Kaplan–Meier curve and its
Greenwood SE; the CI is the log(−log) transform. Months are 30.4375 days. The curve describes
the start of the job held at follow-up, not the first job since the programme (earlier jobs
that ended are not asked).

References
----------
Manski, C. F. (1990), Nonparametric bounds on treatment effects, AER 80:319–323.
Cameron, A. C. & Miller, D. L. (2015), A practitioner's guide to cluster-robust inference,
    J. Human Resources 50:317–372.
Peduzzi, P. et al. (1996), A simulation study of the number of events per variable in logistic
    regression analysis, J. Clin. Epidemiol. 49:1373–1379 (flag ``low_events_per_variable``).
Kaplan, E. L. & Meier, P. (1958), JASA 53:457–481; Kalbfleisch, J. D. & Prentice, R. L. (2002),
    *The Statistical Analysis of Failure Time Data*, 2nd ed. (log(−log) interval).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from impact import contract
from impact.errors import ConfigError
from impact.rates import bounds_for_nonresponse, wilson_ci

__all__ = [
    "DEFINITIONS",
    "INDICATORS",
    "OUTCOMES",
    "InsertionSettings",
    "average_marginal_effects",
    "band_labels",
    "definitions_markdown",
    "fit_logit",
    "followup_cohort",
    "insertion_indicators",
    "kaplan_meier_employment",
    "outcome_table",
    "write_definitions",
]

OUTCOMES = ("employment", "durable_employment", "qualifying_training", "positive_exit",
            "job_in_industry", "job_in_industry_among_active")
#: Situation codes of the instrument (``surveys/instrument.yaml`` → followup.situation).
SITUATION_CODES = ("emploi_durable", "emploi_court", "formation_qualifiante",
                   "formation_non_qualifiante", "recherche", "inactif")
SUBGROUPS = ("site", "gender", "age_band", "education", "unemployment_band")
BACKGROUND_CONTINUOUS = ("age", "unemployment_months")
BACKGROUND_FACTORS = ("gender", "education")
DAYS_PER_MONTH = 365.25 / 12
FEW_CLUSTERS = 30  # below this, cluster-robust SEs are fragile (Cameron & Miller 2015)
EVENTS_PER_VARIABLE = 10  # Peduzzi et al. (1996)
SEPARATION_EPS = 1e-6  # fitted probabilities closer than this to 0 or 1: quasi-separation

#: Indicator codes produced here (registered in the contract's code list at import).
INDICATORS = {
    "rate": "Proportion with its Wilson score CI (insertion: share of follow-up respondents "
            "with the outcome; n = respondents whose outcome is known).",
    "successes": "Numerator of `rate`: respondents with the outcome (n = respondents).",
    "rate_worst_case": "Manski lower bound of an insertion rate: every follow-up "
                       "non-respondent of the cell failed (n = respondents + non-respondents).",
    "rate_best_case": "Manski upper bound of an insertion rate: every follow-up "
                      "non-respondent of the cell succeeded (n = respondents + "
                      "non-respondents).",
    "response_rate": "Share of the cell's baseline job seekers who answered the follow-up "
                     "(n = baseline job seekers).",
    "followup_outside_cohort": "Follow-up answers not linked to a baseline job seeker (left "
                               "out of the insertion rates).",
    "situation_share": "Share of follow-up respondents in each situation (Wilson CI).",
    "ame": "Average marginal effect of a covariate on an insertion outcome, in percentage "
           "points (logit GLM, cluster-robust delta-method CI); an association, not causal.",
    "odds_ratio": "Odds ratio of a covariate in the logit model of an insertion outcome.",
    "ame_attitude_change": "Exploratory: average marginal effect of the post - baseline change "
                           "of an attitude scale on an insertion outcome (percentage points "
                           "per scale point); not causal.",
    "model_events": "Events (respondents with the outcome) in a fitted insertion model; n = "
                    "respondents in the model.",
    "model_skipped": "Insertion model not fitted (reason in `flag`); n = respondents "
                     "available.",
    "km_in_employment": "Share in their current job by month t after the programme: 1 - "
                        "Kaplan-Meier survival (log-log CI); n = respondents at risk at t.",
}
contract.register(INDICATORS)


# ---------------------------------------------------------------------------------------------
# definitions (French: they go to the report's annex)

#: One entry per outcome: label, definition, numerator, denominator, the convention it follows
#: and what was (and was not) verified about that convention.
DEFINITIONS: dict[str, dict[str, str]] = {
    "employment": {
        "label": "Accès à l'emploi au moment de l'enquête de suivi",
        "definition": "Part des répondants à l'enquête de suivi qui déclarent occuper un emploi, "
                      "quel que soit le contrat (CDI, CDD, intérim, y compris de moins de "
                      "6 mois), à la date où ils répondent, quelques mois (3 à 6 selon "
                      "l'action) après la fin de l'action.",
        "numerator": "Situation parmi celles de la clé `insertion.employment` (par défaut "
                     "`emploi_durable` et `emploi_court`).",
        "denominator": "Demandeurs d'emploi du questionnaire initial ayant répondu à l'enquête "
                       "de suivi et indiqué leur situation.",
        "convention": "Proche du « taux d'accès à l'emploi 6 mois après la formation » de "
                      "France Travail (ex-Pôle emploi), avec deux différences. France Travail "
                      "repère, dans ses fichiers et les déclarations d'embauche, l'accès à un "
                      "emploi d'au moins un mois à un moment quelconque des six mois qui "
                      "suivent la sortie de formation (un flux) ; nous mesurons une situation "
                      "déclarée à une date (un état), ce qui correspond plutôt à l'ancien « taux "
                      "de reclassement » de l'enquête « Sortants de formation » de Pôle emploi "
                      "(personnes en emploi à une date donnée, six mois après). Notre taux est "
                      "donc en principe inférieur à un taux d'accès au sens de France Travail "
                      "sur la même période ; à l'inverse, un emploi de moins d'un mois est "
                      "compté ici.",
        "sources": "France Travail, jeu de données « Sortants de formation et retour à "
                   "l'emploi » (data.gouv.fr) : « L'indicateur d'accès à l'emploi vise à "
                   "repérer l'accès à un emploi d'une durée minimale d'un mois au cours des six "
                   "mois qui suivent la sortie de formation » ; dépêche AFP du 2 décembre 2016 "
                   "sur la première publication de ce taux par Pôle emploi, qui le distingue du "
                   "« taux de reclassement » (emploi à un instant donné, six mois après).",
        "verification": "Définition de France Travail lue dans la fiche data.gouv.fr (liste "
                        "détaillée des situations retenues non consultée) ; distinction accès / "
                        "reclassement lue dans la dépêche AFP, pas dans une note "
                        "méthodologique de Pôle emploi.",
    },
    "durable_employment": {
        "label": "Emploi durable",
        "definition": "Part des répondants en CDI, ou en CDD ou mission d'intérim de 6 mois ou "
                      "plus, à la date de l'enquête de suivi (situation déclarée "
                      "`emploi_durable`).",
        "numerator": "Situation `emploi_durable`.",
        "denominator": "Comme pour l'accès à l'emploi.",
        "convention": "Notion d'« emploi durable » de la DARES et de France Travail (enquête "
                      "« Sortants » des listes de demandeurs d'emploi ; indicateurs de retour à "
                      "l'emploi durable) : CDI, contrats de 6 mois ou plus et créations "
                      "d'entreprise. Le questionnaire ne distingue ni la création d'entreprise "
                      "ni la titularisation dans la fonction publique : le répondant les classe "
                      "lui-même. Ce n'est pas l'« emploi à durée indéterminée » (EDI) du Céreq "
                      "(enquêtes Génération) qui, à notre connaissance (point non vérifié), ne "
                      "retient pas les CDD longs : l'emploi durable mesuré ici serait alors "
                      "plus large que l'EDI. L'IAE retient « plus de "
                      "6 mois » là où nous retenons « 6 mois ou plus ».",
        "sources": "DARES, Dares Résultats n° 023 (juin 2018), « Les sortants des listes de "
                   "Pôle emploi en 2016 » : « emplois durables (CDI, contrats de 6 mois ou "
                   "plus, créations d'entreprises) » ; Dares Indicateurs n° 077 (octobre 2014) : "
                   "« contrat à durée indéterminée ou contrat à durée déterminée de six mois ou "
                   "plus » ; Plateforme de l'inclusion (communaute.inclusion.beta.gouv.fr), "
                   "« Les sorties dynamiques dans l'IAE » ; Céreq, enquêtes Génération.",
        "verification": "Définition DARES lue dans les deux publications citées (copies "
                        "publiques). Le contenu exact de l'EDI du Céreq (CDI, fonctionnaires, "
                        "non-salariés) est cité de mémoire : non vérifié dans une source "
                        "consultée.",
    },
    "qualifying_training": {
        "label": "Reprise d'une formation qualifiante",
        "definition": "Part des répondants en formation qualifiante (menant à une "
                      "certification) à la date de l'enquête de suivi.",
        "numerator": "Situation `formation_qualifiante`.",
        "denominator": "Comme pour l'accès à l'emploi.",
        "convention": "Les « sorties positives » de l'IAE (DARES, ASP) comprennent l'entrée "
                      "en formation pré-qualifiante ou qualifiante ; nous ne retenons que la "
                      "formation qualifiante, la formation non qualifiante étant une modalité "
                      "distincte du questionnaire. Le caractère qualifiant est déclaré par le "
                      "répondant, non vérifié au RNCP.",
        "sources": "Plateforme de l'inclusion, « Les sorties dynamiques dans l'IAE ».",
        "verification": "Liste des sorties de l'IAE lue sur la page de la Plateforme de "
                        "l'inclusion, pas dans la note méthodologique DARES/ASP elle-même.",
    },
    "positive_exit": {
        "label": "Sortie positive",
        "definition": "Part des répondants en emploi durable ou en formation qualifiante à la "
                      "date de l'enquête de suivi.",
        "numerator": "Situation parmi celles de la clé `insertion.positive_exit` (par défaut "
                     "`emploi_durable` et `formation_qualifiante`).",
        "denominator": "Comme pour l'accès à l'emploi.",
        "convention": "Par analogie avec les catégories de sortie de l'insertion par l'activité "
                      "économique (IAE) suivies par la DARES et l'ASP : les « sorties "
                      "dynamiques » y regroupent l'emploi durable (CDI, CDD ou intérim de plus "
                      "de 6 mois, création d'entreprise…), l'emploi de transition (CDD ou "
                      "intérim de moins de 6 mois, contrat aidé) et les « sorties positives » "
                      "au sens strict (formation pré-qualifiante ou qualifiante, embauche dans "
                      "une autre structure d'insertion). Notre « sortie positive » (emploi "
                      "durable ou formation qualifiante) est plus étroite que les sorties "
                      "dynamiques (elle exclut l'emploi de transition) et ne coïncide pas avec "
                      "les sorties positives au sens strict de l'IAE (qui excluent l'emploi). "
                      "La liste des situations retenues est une clé de configuration.",
        "sources": "Plateforme de l'inclusion (communaute.inclusion.beta.gouv.fr), « Les "
                   "sorties dynamiques dans l'IAE » (définitions de la sortie dynamique, de "
                   "l'emploi durable, de l'emploi de transition et de la sortie positive).",
        "verification": "Catégories lues sur cette page ; la note méthodologique DARES/ASP et "
                        "l'usage exact du terme par France Travail n'ont pas été consultés.",
    },
    "job_in_industry": {
        "label": "Emploi ou formation dans l'industrie (ensemble des répondants)",
        "definition": "Part des répondants qui occupent un emploi ou suivent une formation "
                      "dans l'industrie (question « Emploi ou formation dans l'industrie » = "
                      "oui) ; les répondants en recherche d'emploi ou inactifs comptent comme "
                      "« non ».",
        "numerator": "Situation d'emploi ou de formation et `job_industry` = `oui`.",
        "denominator": "Répondants dont la situation est connue (et, s'ils sont en emploi ou "
                       "en formation, la réponse à la question sur l'industrie).",
        "convention": "Indicateur propre au projet. L'appartenance à l'industrie est déclarée "
                      "par le répondant ; elle n'est pas codée selon la nomenclature "
                      "d'activités (NAF) de l'Insee.",
        "sources": "Questionnaire commun (`surveys/instrument.yaml`).",
        "verification": "Sans objet (pas de convention externe).",
    },
    "job_in_industry_among_active": {
        "label": "Emploi ou formation dans l'industrie (parmi les personnes en emploi ou en "
                 "formation)",
        "definition": "Part, parmi les répondants en emploi ou en formation (qualifiante ou "
                      "non), de ceux dont l'emploi ou la formation est dans l'industrie.",
        "numerator": "`job_industry` = `oui`.",
        "denominator": "Répondants en emploi ou en formation ayant répondu à la question sur "
                       "l'industrie.",
        "convention": "Indicateur propre au projet (même réserve sur la déclaration que "
                      "ci-dessus).",
        "sources": "Questionnaire commun (`surveys/instrument.yaml`).",
        "verification": "Sans objet (pas de convention externe).",
    },
}

_FIELDS = (("definition", "Définition"), ("numerator", "Numérateur"),
           ("denominator", "Dénominateur"), ("convention", "Convention suivie"),
           ("sources", "Sources"), ("verification", "Ce qui a été vérifié"))


def definitions_markdown() -> str:
    """The definitions as the Markdown page ``docs/insertion_definitions.md``."""
    lines = [
        "# Indicateurs d'insertion — définitions",
        "",
        "<!-- Generated by impact.insertion.definitions_markdown(); edit DEFINITIONS in "
        "src/impact/insertion.py, not this file. -->",
        "",
        "Champ commun : demandeurs d'emploi ayant répondu au questionnaire initial d'une action "
        "qui prévoit une enquête de suivi. Les taux portent sur les répondants au suivi ; le "
        "taux de réponse au suivi et les bornes « pire cas » (tous les non-répondants en échec) "
        "et « meilleur cas » (tous en succès) sont publiés à côté de chaque taux. Intervalles de "
        "confiance de Wilson.",
        "",
    ]
    for outcome, spec in DEFINITIONS.items():
        lines += [f"## {spec['label']} (`{outcome}`)", ""]
        lines += [f"- **{title}.** {spec[key]}" for key, title in _FIELDS]
        lines.append("")
    return "\n".join(lines)


def write_definitions(path: str | Path) -> None:
    Path(path).write_text(definitions_markdown(), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class InsertionSettings:
    """The ``insertion`` section of the configuration, plus fixed analysis choices."""

    positive_exit: tuple[str, ...] = ("emploi_durable", "formation_qualifiante")
    employment: tuple[str, ...] = ("emploi_durable", "emploi_court")
    age_bands: tuple[int, ...] = (25, 35, 50)
    unemployment_bands: tuple[int, ...] = (6, 12, 24)
    #: audiences asked at follow-up (the codebook's ``waves.<followup>.audience``)
    audience: tuple[str, ...] = ("demandeur_emploi",)
    durable: tuple[str, ...] = ("emploi_durable",)
    qualifying_training: tuple[str, ...] = ("formation_qualifiante",)
    training: tuple[str, ...] = ("formation_qualifiante", "formation_non_qualifiante")
    min_model_respondents: int = 20
    min_model_events: int = 5
    min_level_count: int = 5
    subgroups: tuple[str, ...] = field(default=SUBGROUPS)

    @classmethod
    def from_config(cls, config: dict, *, audience: tuple[str, ...] | list[str] | None = None,
                    situation_codes: list[str] | tuple[str, ...] | None = None
                    ) -> InsertionSettings:
        """Read ``config["insertion"]``; ``situation_codes`` (the instrument's) checks the lists.

        ``audience``: audiences asked at follow-up, from the codebook (default job seekers).
        """
        section = config.get("insertion", {}) or {}
        default = cls()
        settings = cls(
            positive_exit=tuple(section.get("positive_exit", default.positive_exit)),
            employment=tuple(section.get("employment", default.employment)),
            age_bands=tuple(int(b) for b in section.get("age_bands", default.age_bands)),
            unemployment_bands=tuple(int(b) for b in section.get("unemployment_bands",
                                                                 default.unemployment_bands)),
            audience=tuple(audience) if audience else default.audience,
        )
        for key in ("age_bands", "unemployment_bands"):
            bounds = getattr(settings, key)
            if any(b >= c for b, c in zip(bounds, bounds[1:], strict=False)):
                raise ConfigError(f"insertion.{key} must be strictly increasing, got "
                                  f"{list(bounds)}")
        if situation_codes is not None:
            for key in ("positive_exit", "employment"):
                unknown = sorted(set(getattr(settings, key)) - set(situation_codes))
                if unknown:
                    raise ConfigError(f"insertion.{key}: unknown situation code(s) "
                                      f"{', '.join(unknown)}; allowed: "
                                      f"{', '.join(situation_codes)}")
        return settings

    @property
    def active(self) -> tuple[str, ...]:
        """Situations « en emploi ou en formation »."""
        return tuple(dict.fromkeys(self.employment + self.durable + self.training))


def band_labels(bounds: tuple[int, ...] | list[int], unit: str) -> list[str]:
    """French labels of the bands cut at ``bounds`` (upper bounds, excluded).

    ``band_labels([25, 35, 50], "ans")`` → « moins de 25 ans », « 25-34 ans », « 35-49 ans »,
    « 50 ans ou plus ».
    """
    bounds = list(bounds)
    if not bounds:
        return []
    labels = [f"moins de {bounds[0]} {unit}"]
    labels += [f"{a}-{b - 1} {unit}" for a, b in zip(bounds, bounds[1:], strict=False)]
    labels.append(f"{bounds[-1]} {unit} ou plus")
    return labels


def _bands(values: pd.Series, bounds: tuple[int, ...], unit: str) -> pd.Series:
    if not bounds:
        return pd.Series(np.nan, index=values.index, dtype=object)
    edges = [-np.inf, *bounds, np.inf]
    cut = pd.cut(pd.to_numeric(values, errors="coerce").astype(float), edges, right=False,
                 labels=band_labels(bounds, unit))
    return cut.astype(object).where(cut.notna(), np.nan)


# ---------------------------------------------------------------------------------------------
# the follow-up cohort


def _waves(panel: pd.DataFrame, waves: list[str]) -> tuple[str, str | None, str | None]:
    """Baseline, post (programme end) and follow-up waves."""
    baseline = waves[0]
    followup = None
    if "situation" in panel:
        asked = set(panel.loc[panel["situation"].notna(), "wave"].astype(str))
        later = [w for w in waves[1:] if w in asked]
        followup = later[-1] if later else None
    present = set(panel["wave"].astype(str))
    post = next((w for w in waves[1:] if w != followup and w in present), None)
    return baseline, post, followup


def _one_per_respondent(frame: pd.DataFrame) -> pd.DataFrame:
    if "submitted_at" in frame:
        frame = frame.sort_values("submitted_at", kind="stable")
    return frame.drop_duplicates("respondent_id", keep="last")


def followup_cohort(panel: pd.DataFrame, *, settings: InsertionSettings, baseline: str,
                    followup: str, post: str | None = None,
                    attitude_scales: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per baseline respondent of the follow-up audience (see module docstring).

    Columns: background and subgroup variables, ``responded``, ``situation``,
    ``job_industry``, ``situation_start``, ``answered_at``, ``origin`` (programme end), the
    outcome columns (1/0, NaN when unknown), ``unknown_<outcome>`` (eligible but unknown), and
    ``<scale>_base``, ``<scale>_change`` for the attitude scales.
    """
    wave = panel["wave"].astype(str)
    audience = panel["audience"] if "audience" in panel else pd.Series(np.nan, index=panel.index)
    base = _one_per_respondent(panel[(wave == baseline) & audience.isin(settings.audience)])
    background = [c for c in ("site", "gender", "age", "education", "unemployment_months")
                  if c in panel]
    scales = [s for s in attitude_scales if s in panel]
    cohort = base[["respondent_id", *background, *scales]].rename(
        columns={s: f"{s}_base" for s in scales}).reset_index(drop=True)

    fu = _one_per_respondent(panel[wave == followup])
    fu_cols = {"situation": "situation", "job_industry": "job_industry",
               "situation_start": "situation_start", "submitted_at": "answered_at"}
    fu = fu.rename(columns=fu_cols)
    for column in fu_cols.values():
        if column not in fu:
            fu[column] = np.nan
    fu = fu.set_index("respondent_id")
    cohort = cohort.join(fu[list(fu_cols.values())], on="respondent_id")
    cohort["responded"] = cohort["respondent_id"].isin(fu.index)
    # background missing at baseline: take the follow-up row's value when there is one
    for column in background:
        if column in fu and column != "site":
            cohort[column] = cohort[column].fillna(
                cohort["respondent_id"].map(fu[column]))

    # post wave: attitude change and the end date of the programme
    origin = pd.Series(pd.NaT, index=cohort.index, dtype="datetime64[ns]")
    if post is not None:
        after = _one_per_respondent(panel[wave == post]).set_index("respondent_id")
        for s in scales:
            cohort[f"{s}_change"] = (cohort["respondent_id"].map(after[s]).astype(float)
                                     - cohort[f"{s}_base"].astype(float))
        if "submitted_at" in after and "site" in cohort:
            own = cohort["respondent_id"].map(after["submitted_at"])
            session = after.groupby("site")["submitted_at"].median()
            origin = own.fillna(cohort["site"].map(session))
    cohort["origin"] = pd.to_datetime(origin).dt.normalize()
    for column in ("situation_start", "answered_at"):
        cohort[column] = pd.to_datetime(cohort[column])

    if "age" in cohort:
        cohort["age_band"] = _bands(cohort["age"], settings.age_bands, "ans")
    if "unemployment_months" in cohort:
        cohort["unemployment_band"] = _bands(cohort["unemployment_months"],
                                             settings.unemployment_bands, "mois")
    outcomes = outcome_table(cohort["situation"], cohort["job_industry"], settings)
    cohort = pd.concat([cohort, outcomes], axis=1)
    return cohort


def outcome_table(situation: pd.Series, job_industry: pd.Series,
                  settings: InsertionSettings) -> pd.DataFrame:
    """Outcome indicators (1.0 / 0.0, NaN when unknown) and ``unknown_<outcome>`` flags.

    ``unknown_<outcome>`` marks people who belong to the outcome's denominator population but
    whose outcome is unknown (follow-up non-respondents, or item non-response): the
    non-respondents of the Manski bounds.
    """
    situation = situation.astype(object)
    known = situation.notna()
    active = situation.isin(settings.active) & known
    industry = job_industry.astype(object)
    said = industry.notna()
    out = {}

    def coded(success: pd.Series, where: pd.Series) -> pd.Series:
        return success.astype(float).where(where)

    out["employment"] = coded(situation.isin(settings.employment), known)
    out["durable_employment"] = coded(situation.isin(settings.durable), known)
    out["qualifying_training"] = coded(situation.isin(settings.qualifying_training), known)
    out["positive_exit"] = coded(situation.isin(settings.positive_exit), known)
    in_industry = active & (industry == "oui")
    out["job_in_industry"] = coded(in_industry, known & (~active | said))
    out["job_in_industry_among_active"] = coded(in_industry, active & said)
    frame = pd.DataFrame(out, index=situation.index)
    eligible = {o: pd.Series(True, index=situation.index) for o in OUTCOMES}
    eligible["job_in_industry_among_active"] = ~(known & ~active)  # unknown, or active
    for o in OUTCOMES:
        frame[f"unknown_{o}"] = eligible[o] & frame[o].isna()
    return frame


# ---------------------------------------------------------------------------------------------
# rates, response rates and bounds


def _long_cells(cohort: pd.DataFrame, subgroups: tuple[str, ...]) -> pd.DataFrame:
    """The cohort stacked once per subgroup variable (plus ``all``), for one groupby."""
    values = [c for c in subgroups if c in cohort]
    keep = ["responded", *OUTCOMES, *(f"unknown_{o}" for o in OUTCOMES)]
    parts = [cohort[keep].assign(subgroup="all", subgroup_value="")]
    if values:
        labelled = cohort[keep + values].copy()
        for c in values:
            values_c = labelled[c].astype(object)
            labelled[c] = values_c.where(values_c.isna(), values_c.astype(str))
        stacked = labelled.melt(id_vars=keep, value_vars=values, var_name="subgroup",
                                value_name="subgroup_value").dropna(subset=["subgroup_value"])
        parts.append(stacked)
    return pd.concat(parts, ignore_index=True)


def rate_rows(cohort: pd.DataFrame, settings: InsertionSettings, alpha: float, head: dict,
              baseline: str, followup: str) -> list[dict]:
    """Rates (Wilson), numerators, Manski bounds and response rates for every cell."""
    if cohort.empty:
        return []
    long = _long_cells(cohort, settings.subgroups)
    groups = long.groupby(["subgroup", "subgroup_value"], sort=True)
    size = groups.size()
    answered = groups["responded"].sum()
    known = groups[list(OUTCOMES)].count()
    successes = groups[list(OUTCOMES)].sum()
    unknown = groups[[f"unknown_{o}" for o in OUTCOMES]].sum()
    cells = size.index.to_frame(index=False)
    fu = dict(head, wave_from=followup, wave_to="")
    rows: list[dict] = []

    rate, low, high = wilson_ci(answered.to_numpy(), size.to_numpy(), alpha=alpha)
    rows += cells.assign(**head, wave_from=baseline, wave_to=followup, measure="followup",
                         indicator="response_rate",
                         n=size.to_numpy(), estimate=rate, unit="proportion",
                         method="share").to_dict("records")
    for outcome in OUTCOMES:
        x = successes[outcome].to_numpy(dtype=float)
        k = known[outcome].to_numpy(dtype=float)
        m = unknown[f"unknown_{outcome}"].to_numpy(dtype=float)
        rate, low, high = wilson_ci(x, k, alpha=alpha)
        bounds = bounds_for_nonresponse(x, k, m)
        common = cells.assign(**fu, measure=outcome)
        seen = k > 0
        rows += common[seen].assign(indicator="rate", n=k[seen], estimate=rate[seen],
                                    ci_low=low[seen], ci_high=high[seen], unit="proportion",
                                    method="wilson").to_dict("records")
        rows += common[seen].assign(indicator="successes", n=k[seen], estimate=x[seen],
                                    unit="count", method="count").to_dict("records")
        total = k + m
        some = total > 0
        rows += common[some].assign(indicator="rate_worst_case", n=total[some],
                                    estimate=bounds["worst_case"].to_numpy()[some],
                                    unit="proportion", method="manski_bounds",
                                    ).to_dict("records")
        rows += common[some].assign(indicator="rate_best_case", n=total[some],
                                    estimate=bounds["best_case"].to_numpy()[some],
                                    unit="proportion", method="manski_bounds",
                                    ).to_dict("records")
    return rows


def situation_rows(cohort: pd.DataFrame, alpha: float, head: dict) -> list[dict]:
    situation = cohort.loc[cohort["responded"], "situation"].dropna().astype(str)
    if situation.empty:
        return []
    codes = list(dict.fromkeys([*SITUATION_CODES, *sorted(set(situation))]))
    counts = situation.value_counts().reindex(codes, fill_value=0)
    total = len(situation)
    rate, low, high = wilson_ci(counts.to_numpy(), np.full(len(codes), total), alpha=alpha)
    return [dict(head, wave_to="", measure="situation", indicator="situation_share",
                 subgroup="response", subgroup_value=code, n=total, estimate=float(r),
                 ci_low=float(lo), ci_high=float(hi), unit="proportion", method="wilson")
            for code, r, lo, hi in zip(codes, rate, low, high, strict=True)]


# ---------------------------------------------------------------------------------------------
# logistic models and average marginal effects


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _design(frame: pd.DataFrame, continuous: list[str], factors: list[str],
            min_level: int) -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, str]]:
    """Design matrix: constant, non-constant continuous columns, dummies against the mode.

    Returns the matrix, the dummies of each factor and each factor's reference level. Levels
    with fewer than ``min_level`` respondents are pooled with the reference; a column that is
    a linear combination of the columns before it is dropped (listed in
    ``X.attrs["collinear_dropped"]``).
    """
    columns = {"const": np.ones(len(frame))}
    for c in continuous:
        values = frame[c].astype(float).to_numpy()
        if np.nanstd(values) > 0:
            columns[c] = values
    dummies: dict[str, list[str]] = {}
    references: dict[str, str] = {}
    for f in factors:
        values = frame[f].astype(str)
        counts = values.value_counts()
        counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
        reference = counts.index[0]
        levels = [lvl for lvl, k in counts.items() if lvl != reference and k >= min_level]
        if not levels:
            continue
        references[f] = reference
        dummies[f] = []
        for level in sorted(levels):
            name = f"{f}={level}"
            columns[name] = (values == level).to_numpy(dtype=float)
            dummies[f].append(name)
    X = pd.DataFrame(columns, index=frame.index)
    # drop columns that are linear combinations of earlier ones (e.g. a dummy equal to another)
    kept: list[str] = []
    for column in X.columns:
        trial = kept + [column]
        if np.linalg.matrix_rank(X[trial].to_numpy()) == len(trial):
            kept.append(column)
    dropped = [c for c in X.columns if c not in kept]
    if dropped:
        X = X[kept]
        dummies = {f: [d for d in ds if d in kept] for f, ds in dummies.items()}
        dummies = {f: ds for f, ds in dummies.items() if ds}
        references = {f: r for f, r in references.items() if f in dummies}
    X.attrs["collinear_dropped"] = dropped
    return X, dummies, references


@dataclass
class LogitFit:
    params: pd.Series
    cov: pd.DataFrame
    n: int
    events: int
    clusters: int
    df: float  # degrees of freedom of the t reference (G - 1), NaN for the normal
    result: object  # the statsmodels results object


def fit_logit(y: pd.Series | np.ndarray, X: pd.DataFrame,
              groups: pd.Series | np.ndarray | None = None) -> LogitFit:
    """Binomial GLM (logit), cluster-robust by ``groups`` (≥ 2 groups), HC1 otherwise.

    Raises ``ValueError`` with the reason (the ``flag`` of ``model_skipped``):
    ``perfect_separation`` (statsmodels' check), ``quasi_separation`` (a fitted probability
    within ``SEPARATION_EPS`` of 0 or 1: some coefficient is drifting to infinity, its SE is
    meaningless), ``fit_failed`` (no convergence, or a covariance matrix that is not positive
    semi-definite).
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    y = np.asarray(y, dtype=float)
    codes = None if groups is None else pd.factorize(np.asarray(groups))[0]
    clusters = 0 if codes is None else int(codes.max() + 1)
    model = sm.GLM(y, X, family=sm.families.Binomial())
    kwargs = (dict(cov_type="cluster", cov_kwds={"groups": codes}) if clusters >= 2
              else dict(cov_type="HC1"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = model.fit(**kwargs)
        except (PerfectSeparationError, PerfectSeparationWarning) as exc:
            raise ValueError("perfect_separation") from exc
    params = pd.Series(np.asarray(result.params), index=X.columns)
    cov = pd.DataFrame(np.asarray(result.cov_params()), index=X.columns, columns=X.columns)
    fitted = np.asarray(result.fittedvalues)
    if np.any(fitted < SEPARATION_EPS) or np.any(fitted > 1 - SEPARATION_EPS):
        raise ValueError("quasi_separation")
    matrix = cov.to_numpy()
    if not np.all(np.isfinite(matrix)) or not getattr(result, "converged", True):
        raise ValueError("fit_failed")
    eig = np.linalg.eigvalsh((matrix + matrix.T) / 2)
    if eig.min() < -1e-8 * max(abs(eig).max(), 1e-300):
        raise ValueError("fit_failed")
    return LogitFit(params=params, cov=cov, n=len(y), events=int(y.sum()),
                    clusters=clusters, df=float(clusters - 1) if clusters >= 2 else np.nan,
                    result=result)


def average_marginal_effects(params: pd.Series, cov: pd.DataFrame, X: pd.DataFrame,
                             factors: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """AMEs (probability scale) of every non-constant column of ``X`` with delta-method SEs.

    ``factors`` maps a factor to its dummy columns: each dummy's AME is the mean of
    p(dummy = 1) − p(all dummies of the factor = 0), i.e. level versus reference. Any other
    column is treated as continuous (AME = mean of β_j p(1 − p)). Returns a frame indexed by
    term with ``ame``, ``se`` and ``kind`` (``derivative`` or ``discrete_change``).
    """
    factors = factors or {}
    beta = params.reindex(X.columns).to_numpy(dtype=float)
    V = cov.reindex(index=X.columns, columns=X.columns).to_numpy(dtype=float)
    A = X.to_numpy(dtype=float)
    n = len(A)
    owner = {d: f for f, ds in factors.items() for d in ds}
    p = _expit(A @ beta)
    dens = p * (1 - p)
    out = []
    for j, term in enumerate(X.columns):
        if term == "const":
            continue
        if term in owner:
            zero = A.copy()
            zero[:, [X.columns.get_loc(d) for d in factors[owner[term]]]] = 0.0
            one = zero.copy()
            one[:, j] = 1.0
            p0, p1 = _expit(zero @ beta), _expit(one @ beta)
            ame = float(np.mean(p1 - p0))
            grad = (one.T @ (p1 * (1 - p1)) - zero.T @ (p0 * (1 - p0))) / n
            kind = "discrete_change"
        else:
            ame = float(np.mean(beta[j] * dens))
            grad = beta[j] * (A.T @ (dens * (1 - 2 * p))) / n
            grad[j] += np.mean(dens)
            kind = "derivative"
        se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
        out.append(dict(term=term, ame=ame, se=se, kind=kind))
    return pd.DataFrame(out, columns=["term", "ame", "se", "kind"]).set_index("term")


def _inference(estimate, se, df, alpha):
    """z/t statistic, two-sided p and CI half-width (t with ``df`` unless NaN)."""
    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = estimate / se
    if np.isfinite(df):
        p = 2 * stats.t.sf(np.abs(stat), df)
        crit = stats.t.ppf(1 - alpha / 2, df)
    else:
        p = 2 * stats.norm.sf(np.abs(stat))
        crit = stats.norm.ppf(1 - alpha / 2)
    return stat, p, crit * se


def _model_flags(fit: LogitFit, k: int) -> list[str]:
    flags = ["not_causal"]
    if fit.clusters < 2:
        flags.append("no_clustering")
    elif fit.clusters < FEW_CLUSTERS:
        flags.append("few_clusters")
    if min(fit.events, fit.n - fit.events) / max(k, 1) < EVENTS_PER_VARIABLE:
        flags.append("low_events_per_variable")
    return flags


def model_rows(cohort: pd.DataFrame, settings: InsertionSettings, alpha: float, head: dict,
               scales: list[str]) -> list[dict]:
    """Background model per outcome, and one exploratory attitude-change model per scale."""
    continuous = [c for c in BACKGROUND_CONTINUOUS if c in cohort]
    factors = [c for c in BACKGROUND_FACTORS if c in cohort]
    base_scales = [s for s in scales if f"{s}_base" in cohort
                   and cohort[f"{s}_base"].notna().any()]
    change_scales = [s for s in base_scales if f"{s}_change" in cohort
                     and cohort[f"{s}_change"].notna().any()]
    models = [("background", [f"{s}_base" for s in base_scales], None)]
    models += [(f"change_{s}", [f"{s}_base", f"{s}_change"], f"{s}_change")
               for s in change_scales]
    baseline = head["wave_from"]
    rows: list[dict] = []
    for outcome in OUTCOMES:
        for name, extra, focus in models:
            rows += _one_model(cohort, outcome, name, continuous + extra, factors, focus,
                               settings, alpha, head, baseline)
    return rows


def _term_label(term: str, baseline: str) -> str:
    return term[:-5] + f"_{baseline}" if term.endswith("_base") else term


def _one_model(cohort, outcome, name, continuous, factors, focus, settings, alpha, head,
               baseline) -> list[dict]:
    used = [outcome, *continuous, *factors]
    if "site" in cohort:
        used.append("site")
    data = cohort[used].dropna()
    row = dict(head, measure=outcome, subgroup="model", subgroup_value=name)
    events = int(data[outcome].sum())
    reason = None
    if len(data) < settings.min_model_respondents:
        reason = "too_few_respondents"
    elif events < settings.min_model_events:
        reason = "too_few_events"
    elif len(data) - events < settings.min_model_events:
        reason = "too_few_nonevents"
    X, dummies, refs = (None, {}, {}) if reason else _design(
        data, continuous, factors, settings.min_level_count)
    if reason is None and (X.shape[1] < 2 or (focus is not None and focus not in X)):
        reason = "no_covariates"
    if reason is None and X.shape[1] >= len(data):
        reason = "too_few_respondents"
    fit = None
    if reason is None:
        try:
            fit = fit_logit(data[outcome], X, data["site"] if "site" in data else None)
        except ValueError as exc:
            reason = str(exc)
        except np.linalg.LinAlgError:
            reason = "fit_failed"
    if reason is not None:
        return [dict(row, indicator="model_skipped", n=len(data), estimate=events,
                     unit="count", method="glm_binomial_logit", flag=reason)]
    flags = _model_flags(fit, X.shape[1])
    if X.attrs.get("collinear_dropped"):
        flags.append("collinear_dropped")
    method = "glm_binomial_logit_cluster" if fit.clusters >= 2 else "glm_binomial_logit_hc1"
    rows = [dict(row, indicator="model_events", n=fit.n, estimate=fit.events, unit="count",
                 df=fit.df, method=method, flag=";".join(flags))]
    ame = average_marginal_effects(fit.params, fit.cov, X, dummies)
    if focus is not None:
        ame = ame.loc[[focus]]
        flags = [*flags, "exploratory"]
    stat, p, half = _inference(ame["ame"], ame["se"], fit.df, alpha)
    owner = {d: f for f, ds in dummies.items() for d in ds}
    cov_row = dict(head, measure=outcome, subgroup="covariate", n=fit.n, df=fit.df)
    for i, term in enumerate(ame.index):
        term_flags = list(flags)
        if term in owner:
            term_flags.append(f"reference={refs[owner[term]]}")
        rows.append(dict(cov_row, subgroup_value=_term_label(term, baseline),
                         indicator="ame" if focus is None else "ame_attitude_change",
                         estimate=100 * ame["ame"].iloc[i],
                         ci_low=100 * (ame["ame"].iloc[i] - half[i]),
                         ci_high=100 * (ame["ame"].iloc[i] + half[i]), statistic=stat[i],
                         p_value=p[i], unit="percentage_points",
                         method=f"{method}_ame_delta", flag=";".join(term_flags)))
    if focus is None:
        se = np.sqrt(np.diag(fit.cov.to_numpy()))
        stat, p, half = _inference(fit.params.to_numpy(), se, fit.df, alpha)
        for i, term in enumerate(X.columns):
            if term == "const":
                continue
            b = fit.params.iloc[i]
            term_flags = list(flags)
            if term in owner:
                term_flags.append(f"reference={refs[owner[term]]}")
            rows.append(dict(cov_row, subgroup_value=_term_label(term, baseline),
                             indicator="odds_ratio", estimate=np.exp(b),
                             ci_low=np.exp(b - half[i]), ci_high=np.exp(b + half[i]),
                             effect_size=np.exp(b), es_type="odds_ratio", statistic=stat[i],
                             p_value=p[i], unit="odds_ratio", method=method,
                             flag=";".join(term_flags)))
    return rows


# ---------------------------------------------------------------------------------------------
# time to employment


def kaplan_meier_employment(cohort: pd.DataFrame, alpha: float = 0.05
                            ) -> tuple[pd.DataFrame, int]:
    """1 − Kaplan–Meier curve of the start of the current job, at each whole month.

    Returns the curve (``month, estimate, ci_low, ci_high, at_risk``) and the number of
    respondents in employment left out for want of a start date.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    empty = pd.DataFrame(columns=["month", "estimate", "ci_low", "ci_high", "at_risk"])
    resp = cohort[cohort["responded"] & cohort["employment"].notna()]
    employed = resp["employment"] == 1
    day = pd.Timedelta(days=1)
    censor = (resp["answered_at"].dt.normalize() - resp["origin"]) / day
    event = (resp["situation_start"] - resp["origin"]) / day
    missing_start = int((employed & resp["situation_start"].isna()).sum())
    usable = censor.notna() & (censor >= 0) & ~(employed & event.isna())
    time = np.where(employed, np.clip(event, 0, censor), censor)[usable.to_numpy()]
    status = employed.to_numpy()[usable.to_numpy()].astype(int)
    if len(time) == 0:
        return empty, missing_start
    months = time / DAYS_PER_MONTH
    grid = np.arange(int(np.floor(months.max())) + 1)
    at_risk = (months[None, :] >= grid[:, None]).sum(axis=1)
    if status.sum() == 0:
        est = np.zeros(len(grid))
        low = high = np.full(len(grid), np.nan)
        return pd.DataFrame(dict(month=grid, estimate=est, ci_low=low, ci_high=high,
                                 at_risk=at_risk)), missing_start
    fit = SurvfuncRight(months, status)
    times = np.asarray(fit.surv_times)
    idx = np.searchsorted(times, grid, side="right") - 1
    surv = np.where(idx >= 0, np.asarray(fit.surv_prob)[np.maximum(idx, 0)], 1.0)
    se = np.where(idx >= 0, np.asarray(fit.surv_prob_se)[np.maximum(idx, 0)], np.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (surv > 0) & (surv < 1) & np.isfinite(se)
        theta_se = se / (surv * np.abs(np.log(surv)))
        s_low = np.where(inner, surv ** np.exp(z * theta_se), np.nan)
        s_high = np.where(inner, surv ** np.exp(-z * theta_se), np.nan)
    curve = pd.DataFrame(dict(month=grid, estimate=1 - surv, ci_low=1 - s_high,
                              ci_high=1 - s_low, at_risk=at_risk))
    return curve, missing_start


def km_rows(cohort: pd.DataFrame, alpha: float, head: dict) -> list[dict]:
    if not {"origin", "answered_at", "situation_start"} <= set(cohort):
        return []
    curve, missing = kaplan_meier_employment(cohort, alpha)
    flag = "missing_start_dates" if missing else ""
    return [dict(head, measure="employment", indicator="km_in_employment", subgroup="month",
                 subgroup_value=str(int(r.month)), n=int(r.at_risk), estimate=r.estimate,
                 ci_low=r.ci_low, ci_high=r.ci_high, unit="proportion",
                 method="kaplan_meier_loglog", flag=flag)
            for r in curve.itertuples()]


# ---------------------------------------------------------------------------------------------
# entry point


def insertion_indicators(panel: pd.DataFrame, *, programme: str, waves: list[str],
                         settings: InsertionSettings, alpha: float,
                         attitude_scales: list[str]) -> list[dict]:
    """Every insertion indicator of one programme (tidy records; see module docstring).

    Returns ``[]`` when the programme has no follow-up wave with situations among ``waves``.
    """
    if panel.empty or "wave" not in panel or "respondent_id" not in panel:
        return []
    baseline, post, followup = _waves(panel, list(waves))
    if followup is None:
        return []
    cohort = followup_cohort(panel, settings=settings, baseline=baseline, followup=followup,
                             post=post, attitude_scales=attitude_scales)
    base = dict(programme=programme)
    fu_ids = set(panel.loc[panel["wave"].astype(str) == followup, "respondent_id"])
    outside = len(fu_ids - set(cohort["respondent_id"]))
    rows = [dict(base, measure="followup", indicator="followup_outside_cohort",
                 subgroup="all", wave_from=followup, n=outside, estimate=outside,
                 unit="count", method="count")]
    if cohort.empty:
        return rows
    rows += rate_rows(cohort, settings, alpha, base, baseline, followup)
    rows += situation_rows(cohort, alpha, dict(base, wave_from=followup))
    rows += model_rows(cohort, settings, alpha, dict(base, wave_from=baseline, wave_to=followup),
                       [s for s in attitude_scales if s in panel])
    rows += km_rows(cohort, alpha, dict(base, wave_from=post or baseline, wave_to=followup))
    return rows
