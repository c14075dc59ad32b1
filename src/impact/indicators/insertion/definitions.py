"""Insertion outcomes: their codes, French definitions (the report's annex and
``docs/insertion_definitions.md``), the indicator codes they add to the contract, and the
``insertion`` settings with the age and unemployment bands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import ConfigError
from impact.indicators import contract

OUTCOMES = ("employment", "durable_employment", "qualifying_training", "positive_exit",
            "job_in_industry", "job_in_industry_among_active")
#: Situation codes of the instrument (``surveys/instrument.yaml`` → followup.situation).
SITUATION_CODES = ("emploi_durable", "emploi_court", "formation_qualifiante",
                   "formation_non_qualifiante", "recherche", "inactif")
SUBGROUPS = ("site", "gender", "age_band", "education", "unemployment_band")
BACKGROUND_CONTINUOUS = ("age", "unemployment_months")
BACKGROUND_FACTORS = ("gender", "education")
DAYS_PER_MONTH = 365.25 / 12

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
    "km_in_employment": "Share whose job held at follow-up had started by month t after the "
                        "programme: 1 - Kaplan-Meier survival (log-log CI), censored at the "
                        "follow-up answer; not a time to first job (a job held and lost "
                        "before follow-up is not seen); n = respondents at risk at t.",
}
contract.register(INDICATORS)


# ---------------------------------------------------------------------------------------------
# definitions (French, the report's language; ``*_en``: the same in English, for the English
# edition — kept next to the French so that a change to one is seen to need the other)

#: One entry per outcome: label, definition, numerator, denominator, the convention it follows
#: and what was (and was not) verified about that convention; each key also as ``<key>_en``
#: (English). ``docs/insertion_definitions.md`` is made from the French keys only.
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
        "label_en": "Access to employment at the time of the follow-up survey",
        "definition_en": "Share of follow-up respondents who report holding a job, whatever the "
                         "contract (permanent, fixed-term, temporary agency work, including jobs "
                         "of less than 6 months), on the date they answer, a few months (3 to 6 "
                         "depending on the action) after the end of the action.",
        "numerator_en": "Situation among those of the `insertion.employment` key (by default "
                        "`emploi_durable` and `emploi_court`).",
        "denominator_en": "Baseline job seekers who answered the follow-up survey and gave their "
                          "situation.",
        "convention_en": "Close to France Travail's (formerly Pôle emploi) « taux d'accès à "
                         "l'emploi 6 mois après la formation » (rate of access to employment 6 "
                         "months after training), with two differences. France Travail detects, in "
                         "its files and in hiring declarations, access to a job of at least one "
                         "month at any time in the six months after leaving training (a flow); we "
                         "measure a situation reported on one date (a state), which corresponds "
                         "rather to the former « taux de reclassement » (re-employment rate) of "
                         "Pôle emploi's « Sortants de formation » survey (people in employment on "
                         "a given date, six months later). Our rate is therefore in principle "
                         "lower than an access rate in France Travail's sense over the same "
                         "period; conversely, a job of less than one month is counted here.",
        "sources_en": "France Travail, data set « Sortants de formation et retour à l'emploi » "
                      "(data.gouv.fr): the access-to-employment indicator « vise à repérer l'accès "
                      "à un emploi d'une durée minimale d'un mois au cours des six mois qui "
                      "suivent la sortie de formation » (detects access to a job lasting at least "
                      "one month in the six months after leaving training); AFP dispatch of 2 "
                      "December 2016 on Pôle emploi's first publication of this rate, which "
                      "distinguishes it from the « taux de reclassement » (employment at a given "
                      "moment, six months later).",
        "verification_en": "France Travail's definition read in the data.gouv.fr page (detailed "
                           "list of the situations counted not consulted); the access / "
                           "re-employment distinction read in the AFP dispatch, not in a "
                           "methodological note of Pôle emploi.",
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
        "label_en": "Sustained employment",
        "definition_en": "Share of respondents on a permanent contract, or on a fixed-term "
                         "contract or temporary agency assignment of 6 months or more, on the date "
                         "of the follow-up survey (reported situation `emploi_durable`).",
        "numerator_en": "Situation `emploi_durable`.",
        "denominator_en": "As for access to employment.",
        "convention_en": "The « emploi durable » (sustained employment) of DARES and France "
                         "Travail (« Sortants » survey of people leaving the job seekers' "
                         "registers; indicators of return to sustained employment): permanent "
                         "contracts, contracts of 6 months or more and business creations. The "
                         "questionnaire distinguishes neither business creation nor tenure in the "
                         "civil service: respondents classify these themselves. It is not Céreq's "
                         "« emploi à durée indéterminée » (EDI, open-ended employment; Génération "
                         "surveys), which, to our knowledge (not verified), does not count long "
                         "fixed-term contracts: the sustained employment measured here would "
                         "then be broader than the EDI. Work-integration schemes (IAE) count « "
                         "more than 6 months » where we count « 6 months or more ».",
        "sources_en": "DARES, Dares Résultats no. 023 (June 2018), « Les sortants des listes de "
                      "Pôle emploi en 2016 »: « emplois durables (CDI, contrats de 6 mois ou plus, "
                      "créations d'entreprises) »; Dares Indicateurs no. 077 (October 2014): « "
                      "contrat à durée indéterminée ou contrat à durée déterminée de six mois ou "
                      "plus »; Plateforme de l'inclusion (communaute.inclusion.beta.gouv.fr), « "
                      "Les sorties dynamiques dans l'IAE »; Céreq, Génération surveys.",
        "verification_en": "DARES definition read in the two publications cited (public copies). "
                           "The exact content of Céreq's EDI (permanent contracts, civil servants, "
                           "self-employed) is quoted from memory: not verified in a source "
                           "consulted.",
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
        "label_en": "Return to qualifying training",
        "definition_en": "Share of respondents in qualifying training (leading to a certification) "
                         "on the date of the follow-up survey.",
        "numerator_en": "Situation `formation_qualifiante`.",
        "denominator_en": "As for access to employment.",
        "convention_en": "The « sorties positives » (positive exits) of work-integration schemes "
                         "(IAE; DARES, ASP) include entering pre-qualifying or qualifying "
                         "training; we count qualifying training only, non-qualifying training "
                         "being a separate answer of the questionnaire. Whether training is "
                         "qualifying is reported by the respondent, not checked against the "
                         "national register of certifications (RNCP).",
        "sources_en": "Plateforme de l'inclusion, « Les sorties dynamiques dans l'IAE ».",
        "verification_en": "List of IAE exits read on the Plateforme de l'inclusion page, not in "
                           "the DARES/ASP methodological note itself.",
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
        "label_en": "Positive outcome",
        "definition_en": "Share of respondents in sustained employment or in qualifying training "
                         "on the date of the follow-up survey.",
        "numerator_en": "Situation among those of the `insertion.positive_exit` key (by default "
                        "`emploi_durable` and `formation_qualifiante`).",
        "denominator_en": "As for access to employment.",
        "convention_en": "By analogy with the exit categories of work-integration schemes "
                         "(insertion par l'activité économique, IAE) followed by DARES and ASP: "
                         "their « sorties dynamiques » (dynamic exits) group sustained "
                         "employment (permanent contract, fixed-term contract or agency work of "
                         "more than 6 months, business creation…), transitional employment "
                         "(fixed-term contract or agency work of less than 6 months, subsidised "
                         "contract) and « sorties positives » in the strict sense (pre-qualifying "
                         "or qualifying training, hiring by another work-integration "
                         "organisation). Our « positive outcome » (sustained employment or "
                         "qualifying training) is narrower than dynamic exits (it leaves out "
                         "transitional employment) and does not coincide with the IAE's positive "
                         "exits in the strict sense (which leave out employment). The list of "
                         "situations counted is a configuration key.",
        "sources_en": "Plateforme de l'inclusion (communaute.inclusion.beta.gouv.fr), « Les "
                      "sorties dynamiques dans l'IAE » (definitions of dynamic exit, sustained "
                      "employment, transitional employment and positive exit).",
        "verification_en": "Categories read on that page; the DARES/ASP methodological note and "
                           "France Travail's exact use of the term were not consulted.",
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
        "label_en": "Job or training in industry (all respondents)",
        "definition_en": "Share of respondents who hold a job or follow a training course in "
                         "industry (question « Job or training in industry » = yes); respondents "
                         "looking for work or inactive count as « no ».",
        "numerator_en": "Employment or training situation and `job_industry` = `oui`.",
        "denominator_en": "Respondents whose situation is known (and, if they are in a job or in "
                          "training, their answer to the question on industry).",
        "convention_en": "An indicator of the project's own. Belonging to industry is reported by "
                         "the respondent; it is not coded with INSEE's classification of "
                         "activities (NAF).",
        "sources_en": "Common questionnaire (`surveys/instrument.yaml`).",
        "verification_en": "Not applicable (no external convention).",
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
        "label_en": "Job or training in industry (among people in a job or in training)",
        "definition_en": "Share, among respondents in a job or in training (qualifying or not), of "
                         "those whose job or training is in industry.",
        "numerator_en": "`job_industry` = `oui`.",
        "denominator_en": "Respondents in a job or in training who answered the question on "
                          "industry.",
        "convention_en": "An indicator of the project's own (same caveat on self-report as above).",
        "sources_en": "Common questionnaire (`surveys/instrument.yaml`).",
        "verification_en": "Not applicable (no external convention).",
    },
}

#: The keys of every entry of :data:`DEFINITIONS` (each also as ``<key>_en``).
DEFINITION_KEYS = ("label", "definition", "numerator", "denominator", "convention", "sources",
                   "verification")

_FIELDS = (("definition", "Définition"), ("numerator", "Numérateur"),
           ("denominator", "Dénominateur"), ("convention", "Convention suivie"),
           ("sources", "Sources"), ("verification", "Ce qui a été vérifié"))


def definitions_markdown() -> str:
    """The definitions as the Markdown page ``docs/insertion_definitions.md``."""
    lines = [
        "# Indicateurs d'insertion — définitions",
        "",
        "<!-- Generated by impact.indicators.insertion.definitions_markdown(); edit DEFINITIONS in "
        "src/impact/indicators/insertion/definitions.py, not this file. -->",
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


def definition_text(outcome: str, key: str, lang: str = "fr") -> str | None:
    """``DEFINITIONS[outcome][key]`` in ``lang`` (``"fr"`` or ``"en"``); None when that
    language has no text for it (the caller decides the fallback and says so)."""
    spec = DEFINITIONS.get(outcome, {})
    text = spec.get(key if lang == "fr" else f"{key}_{lang}")
    return str(text) if text else None


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
    #: categorical levels with fewer respondents are pooled with the reference level before
    #: a model is fitted (``analysis.disclosure_threshold``: no effect is published for a
    #: group the rate tables suppress)
    min_level_count: int = 10
    #: a model is published only with at least this many events (and non-events) per
    #: estimated parameter (``analysis.min_events_per_parameter``; Peduzzi et al. 1996)
    min_events_per_parameter: float = 10.0
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
            min_level_count=int((config.get("analysis") or {}).get(
                "disclosure_threshold", default.min_level_count)),
            min_events_per_parameter=float((config.get("analysis") or {}).get(
                "min_events_per_parameter", default.min_events_per_parameter)),
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


def banded(values: pd.Series, bounds: tuple[int, ...], unit: str) -> pd.Series:
    if not bounds:
        return pd.Series(np.nan, index=values.index, dtype=object)
    edges = [-np.inf, *bounds, np.inf]
    cut = pd.cut(pd.to_numeric(values, errors="coerce").astype(float), edges, right=False,
                 labels=band_labels(bounds, unit))
    return cut.astype(object).where(cut.notna(), np.nan)


