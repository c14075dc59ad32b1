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

Outcomes (``measure``; definitions, in French and English, in :data:`DEFINITIONS`; in French in
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
``km_in_employment``        proportion             1 − Kaplan–Meier S(t): share whose job held
                                                   at follow-up had started by month t after the
                                                   end of the programme (``subgroup = month``;
                                                   not a time to first job);
                                                   ``n`` = respondents still at risk at t.
==========================  =====================  =============================================

Models. ``statsmodels`` GLM, binomial family, logit link, one model per outcome:
``outcome ~ gender + age + education + unemployment_months + <baseline attitude scores>``,
complete cases. Categorical covariates get one dummy per level against the most frequent level
(named in ``flag`` as ``reference=<level>``); levels with fewer than ``min_level_count``
respondents (``analysis.disclosure_threshold``: no effect is published for a group the rate
tables suppress) are pooled with the reference; constant covariates, and covariates collinear with
earlier ones, are dropped (flag ``collinear_dropped``). Standard errors
are cluster-robust by session (``site``; statsmodels' small-sample correction) and, because
sessions are few, CIs and p-values use Student's t with G − 1 degrees of freedom (``df``;
Cameron & Miller 2015) — with a single session, heteroskedasticity-robust (HC1) SEs and the
normal distribution are used instead (flag ``no_clustering``). A model is skipped (record
``model_skipped``) with fewer than ``min_model_respondents`` respondents, fewer than
``min_model_events`` events or non-events, with fewer than
``analysis.min_events_per_parameter`` (default 10; Peduzzi et al. 1996) events or non-events
per estimated parameter (``too_few_events_per_parameter``: no penalised fit is offered), on
perfect or quasi-complete separation (a fitted probability within 10⁻⁶ of 0 or 1), or when the
fit fails.

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

import importlib

import pandas as pd

from impact.indicators.insertion.definitions import (
    DEFINITION_KEYS,
    DEFINITIONS,
    INDICATORS,
    OUTCOMES,
    InsertionSettings,
    band_labels,
    definition_text,
    definitions_markdown,
    write_definitions,
)

# The estimation modules import scipy and statsmodels (~2 s): loaded on first use, so that
# reading the definitions (the report does, on every render) stays cheap (PEP 562).
_LAZY = {
    "followup_cohort": "cohort", "followup_waves": "cohort", "outcome_table": "cohort",
    "average_marginal_effects": "models", "fit_logit": "models", "model_rows": "models",
    "rate_rows": "rates", "situation_rows": "rates",
    "kaplan_meier_employment": "survival", "km_rows": "survival",
}


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFINITION_KEYS",
    "DEFINITIONS",
    "INDICATORS",
    "OUTCOMES",
    "InsertionSettings",
    "average_marginal_effects",
    "band_labels",
    "definition_text",
    "definitions_markdown",
    "fit_logit",
    "followup_cohort",
    "insertion_indicators",
    "kaplan_meier_employment",
    "outcome_table",
    "write_definitions",
]


def insertion_indicators(panel: pd.DataFrame, *, programme: str, waves: list[str],
                         settings: InsertionSettings, alpha: float,
                         attitude_scales: list[str]) -> list[dict]:
    """Every insertion indicator of one programme (tidy records; see module docstring).

    Returns ``[]`` when the programme has no follow-up wave with situations among ``waves``.
    """
    from impact.indicators.insertion.cohort import followup_cohort, followup_waves
    from impact.indicators.insertion.models import model_rows
    from impact.indicators.insertion.rates import rate_rows, situation_rows
    from impact.indicators.insertion.survival import km_rows

    if panel.empty or "wave" not in panel or "respondent_id" not in panel:
        return []
    baseline, post, followup = followup_waves(panel, list(waves))
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
