"""Cronbach's α and McDonald's ω against a second implementation and known populations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from impact.stats.reliability import cronbach_alpha, mcdonald_omega, reliability_table


def _one_factor(loadings, uniquenesses, n, seed):
    """Items x = λ·f + e in their raw metric, f ~ N(0,1), e_i ~ N(0, ψ_i)."""
    rng = np.random.default_rng(seed)
    lam, psi = np.asarray(loadings, float), np.asarray(uniquenesses, float)
    f = rng.normal(size=(n, 1))
    e = rng.normal(size=(n, lam.size)) * np.sqrt(psi)
    return pd.DataFrame(f * lam + e, columns=[f"i{k}" for k in range(lam.size)])


def _true_omega(lam, psi):
    return sum(lam) ** 2 / (sum(lam) ** 2 + sum(psi))


@pytest.fixture()
def likert_items():
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(300, 1))
    items = np.clip(np.round(3 + latent * [0.9, 0.7, 0.8, 0.5, 0.6]
                             + rng.normal(size=(300, 5)) * 0.8), 1, 5)
    frame = pd.DataFrame(items, columns=list("abcde"))
    frame.iloc[[1, 7, 9], [0, 3, 4]] = np.nan  # a few incomplete rows
    return frame


def test_alpha_matches_pingouin_and_closed_form(likert_items):
    alpha, low, high = cronbach_alpha(likert_items)
    ref_alpha, (ref_low, ref_high) = pg.cronbach_alpha(likert_items, nan_policy="listwise")
    assert alpha == pytest.approx(ref_alpha, rel=1e-10)
    assert low == pytest.approx(ref_low, abs=6e-4)  # pingouin rounds its CI to 3 decimals
    assert high == pytest.approx(ref_high, abs=6e-4)

    x = likert_items.dropna().to_numpy()
    k = x.shape[1]
    closed = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert alpha == pytest.approx(closed, rel=1e-12)
    assert low < alpha < high


def test_omega_recovers_known_population_value():
    # unequal loadings and item scales (congeneric model), raw metric
    lam = [0.9, 1.2, 0.5, 0.7, 1.0]
    psi = [0.6, 1.0, 0.8, 0.5, 1.5]
    items = _one_factor(lam, psi, n=6000, seed=11)
    assert mcdonald_omega(items) == pytest.approx(_true_omega(lam, psi), abs=0.01)


def test_omega_equals_alpha_for_tau_equivalent_items():
    # equal raw loadings, unequal error variances: ω = α in the population
    lam = [0.8] * 4
    psi = [0.3, 0.6, 0.9, 0.5]
    items = _one_factor(lam, psi, n=6000, seed=3)
    omega = mcdonald_omega(items)
    alpha, _, _ = cronbach_alpha(items)
    assert omega == pytest.approx(alpha, abs=0.01)
    assert omega == pytest.approx(_true_omega(lam, psi), abs=0.015)


def test_unflipped_reversed_item_lowers_omega():
    items = _one_factor([0.9, 0.8, 0.7, 0.6], [0.4, 0.5, 0.6, 0.7], n=3000, seed=9)
    reversed_item = items.assign(i3=-items["i3"])  # as if the reversed item was not flipped
    assert mcdonald_omega(reversed_item) < mcdonald_omega(items) - 0.1


def test_omega_not_defined_for_two_items():
    items = _one_factor([0.8, 0.7], [0.4, 0.5], n=200, seed=1)
    assert np.isnan(mcdonald_omega(items))


def test_alpha_degenerate_inputs():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1.0, 2, 3]}))[0])
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [2.0, 2, 2], "b": [3.0, 3, 3]}))[0])


def test_reliability_table(likert_items):
    noisy = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 3)), columns=list("xyz"))
    table = reliability_table({"attitude": likert_items, "bruit": noisy})
    assert list(table.columns) == ["scale", "n", "k", "alpha", "alpha_ci_low",
                                   "alpha_ci_high", "omega", "flag"]
    att = table.set_index("scale").loc["attitude"]
    assert att["n"] == len(likert_items.dropna()) and att["k"] == 5
    assert att["alpha"] == pytest.approx(cronbach_alpha(likert_items)[0])
    assert att["flag"] == ""
    assert table.set_index("scale").loc["bruit", "flag"] == "alpha_below_0.70"
