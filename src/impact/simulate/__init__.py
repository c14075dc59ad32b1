"""Synthetic survey campaigns with planted effects, in the formats of real survey tools.

``impact simulate`` writes, for every programme of ``surveys/simulation.yaml``, one export per
wave laid out exactly as the programme's codebook describes (LimeSurvey CSV, Google Forms CSV,
Microsoft Forms workbook…), with the mess real exports have, plus two ground-truth files:

* ``<programme>/ground_truth.json`` — the planted parameters (mean change per scale in SD units
  of the latent trait, subgroup extras, retention, insertion probabilities), their implied
  values on the observed metrics (see *Expected values* below) and the number of messy rows of
  each kind planted in each export;
* ``<programme>/ground_truth_rows.csv`` — for every exported row: wave, line, true person id and
  the mess planted in it (``none`` for a clean row), so that validation counts and linkage
  precision/recall can be checked.

Generative model
----------------
Each person has a latent attitude per scale, ``θ = μ_scale + u_site + √0.3·g + √0.7·e`` with a
general factor ``g`` and independent ``e`` (so scales correlate at about 0.3), shifted for the
comparison group where given. At post, ``θ_post = θ + σ_scale + v_site + [participant]·(δ_scale +
w_site) + δ_subgroup + N(0, τ²)``: σ the secular change every pupil shares (the comparison
group's expected change), δ the programme's effect (the planted difference-in-differences),
``v_site ~ N(0, site_change_sd²)`` a school-level shock on the change and
``w_site ~ N(0, site_effect_sd²)`` the school's deviation from the mean effect (school-level
clustering of change; both 0 unless given). The truth is the expectation over schools.
A Likert answer to item *j* is the category of ``y* = ±θ + b_j + N(0, 0.9²)`` (minus sign for a
reverse-coded item) cut at equally spaced thresholds one unit apart, centred on zero.
Retention at post follows ``logit P = logit r_group + β·(θ_pre − mean)`` on one scale
(attrition that depends on baseline attitude). Follow-up non-response is planted at random
(MCAR) so that the planted insertion rates are what a follow-up survey estimates. The situation
at follow-up is drawn from the planted probabilities, with the odds of a positive exit tilted
by ``exp(κ·z)`` where ``z`` is a standardised post-programme attitude.

Expected values
---------------
Scale scores are non-linear (thresholded) transforms of θ, so a latent shift of δ SD does not
map to a closed-form change in score points. The ground truth therefore also reports the
expected change in score points, in POMP points and as d_av, computed by Monte Carlo on
200 000 simulated persons (no mess, no attrition) with a fixed seed; those are the values the
pipeline's estimates are checked against.

Determinism: the same seed and specification give byte-identical files (the workbook's zip
timestamps and document properties are fixed).

Layout: :mod:`.spec` (a programme's specification and the model's constants),
:mod:`.population`, :mod:`.answers`, :mod:`.mess`, :mod:`.writers`, :mod:`.expected`, tied
together by :mod:`.campaign`; :mod:`.recovery` checks a pipeline run against the truth.
This package may import :mod:`impact.survey` and :mod:`impact.ingest` (code normalisation);
nothing in the pipeline imports it.
"""

from __future__ import annotations

from impact.simulate.answers import wave_answers
from impact.simulate.campaign import simulate_campaign
from impact.simulate.expected import expected_values
from impact.simulate.mess import plant_mess
from impact.simulate.population import simulate_persons
from impact.simulate.spec import ProgrammeSpec
from impact.simulate.writers import render_export

__all__ = ["ProgrammeSpec", "expected_values", "plant_mess", "render_export",
           "simulate_campaign", "simulate_persons", "wave_answers"]
