"""Disclosure control: primary and secondary suppression, checked by attacks computed here.

The expected recoveries are worked out by hand (differencing) or by an independent LP written
in the test, never read back from the module under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from impact.indicators import contract
from impact.indicators.disclosure import Settings, protect

SETTINGS = Settings(threshold=10, min_numerator=3, protection_interval=8)


def _mean_rows(ns: dict[str, int], means: dict[str, float], subgroup: str = "gender",
               measure: str = "image") -> list[dict]:
    total = sum(ns.values())
    rows = [dict(programme="p", measure=measure, indicator="mean", subgroup="all",
                 wave_from="pre", n=total, unit="points",
                 estimate=sum(ns[k] * means[k] for k in ns) / total)]
    rows += [dict(programme="p", measure=measure, indicator="mean", subgroup=subgroup,
                  subgroup_value=k, wave_from="pre", n=ns[k], estimate=means[k], unit="points")
             for k in ns]
    return rows


def _protect(rows: list[dict]) -> pd.DataFrame:
    table, status = protect(contract.tidy(rows), SETTINGS)
    table["suppression"] = status
    return table


def _cell(table: pd.DataFrame, value: str, indicator: str = "mean",
          measure: str = "image") -> pd.Series:
    rows = table[(table["subgroup_value"] == value) & (table["indicator"] == indicator)
                 & (table["measure"] == measure)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_single_small_cell_gets_a_complement_so_differencing_fails():
    ns = {"femme": 60, "homme": 50, "autre": 3}
    table = _protect(_mean_rows(ns, {"femme": 3.1, "homme": 2.8, "autre": 1.0}))
    autre = _cell(table, "autre")
    assert autre["suppression"] == "primary" and np.isnan(autre["n"])
    assert np.isnan(autre["estimate"])
    hidden = table[table["suppressed"] & (table["subgroup"] == "gender")]
    assert len(hidden) == 2  # one complementary cell
    # the complement is the smaller sibling (homme, 50), not the total
    assert _cell(table, "homme")["suppression"] == "secondary"
    assert _cell(table, "femme")["suppression"] == "shown"
    total = table[table["subgroup"] == "all"].iloc[0]
    assert total["n"] == 113 and total["suppression"] == "shown"
    # the attack: total minus shown siblings leaves 53 for two cells, each ≥ 1 (autre ≤ 9,
    # homme ≥ 10): autre anywhere in 1…9, homme in 44…52 — an interval of width 8
    left = total["n"] - table.loc[table["subgroup"].eq("gender") & ~table["suppressed"],
                                  "n"].sum()
    assert left == 53
    # the hidden mean sums are not recoverable either: n·mean of the two is one number only
    assert np.isnan(_cell(table, "homme")["estimate"])


def test_no_suppression_without_small_cells():
    table = _protect(_mean_rows({"femme": 60, "homme": 50}, {"femme": 3.1, "homme": 2.8}))
    assert (table["suppression"] == "shown").all() and not table["suppressed"].any()


def test_the_same_people_are_hidden_in_every_table():
    rows = (_mean_rows({"femme": 60, "homme": 50, "autre": 3},
                       {"femme": 3.1, "homme": 2.8, "autre": 1.0})
            + _mean_rows({"femme": 60, "homme": 50, "autre": 3},
                         {"femme": 2.1, "homme": 2.2, "autre": 4.0}, measure="interest"))
    table = _protect(rows)
    for measure in ("image", "interest"):
        assert _cell(table, "autre", measure=measure)["suppression"] == "primary"
        assert _cell(table, "homme", measure=measure)["suppression"] == "secondary"
        assert _cell(table, "femme", measure=measure)["suppression"] == "shown"


def _rate_rows(ns: dict[str, int], ks: dict[str, int]) -> list[dict]:
    n, k = sum(ns.values()), sum(ks.values())
    rows = [dict(programme="p", measure="employment", indicator=ind, subgroup="all",
                 wave_from="followup", n=n, estimate=est, unit=unit)
            for ind, est, unit in (("rate", k / n, "proportion"), ("successes", k, "count"))]
    rows += [dict(programme="p", measure="employment", indicator=ind, subgroup="education",
                  subgroup_value=g, wave_from="followup", n=ns[g], estimate=est, unit=unit)
             for g in ns
             for ind, est, unit in (("rate", ks[g] / ns[g], "proportion"),
                                    ("successes", ks[g], "count"))]
    return rows


def test_a_hundred_percent_rate_is_hidden_but_its_n_kept():
    ns = {"bac": 40, "bac+2": 30, "bac+3": 12}
    ks = {"bac": 20, "bac+2": 15, "bac+3": 12}
    table = _protect(_rate_rows(ns, ks))
    for indicator in ("rate", "successes"):
        cell = _cell(table, "bac+3", indicator, "employment")
        assert cell["suppression"] == "primary" and cell["n"] == 12
        assert np.isnan(cell["estimate"])
    # an independent attack on the numerators: k_all − Σ shown k, each hidden k in 0…n
    shown = table[(table["indicator"] == "successes") & ~table["suppressed"]]
    hidden = table[(table["indicator"] == "successes") & table["suppressed"]
                   & (table["subgroup"] == "education")]
    assert len(hidden) >= 2
    left = shown.loc[shown["subgroup"] == "all", "estimate"].iloc[0] - \
        shown.loc[shown["subgroup"] == "education", "estimate"].sum()
    caps = hidden["n"].to_numpy()
    # bac+3's numerator ranges from max(0, left − Σ other caps) to min(12, left)
    others = caps.sum() - 12
    low, high = max(0.0, left - others), min(12.0, left)
    assert high - low >= SETTINGS.min_numerator


def _lp_bounds(total: float, shown: float, bounds: list[tuple]) -> list[tuple[float, float]]:
    """Independent attack: Σ hidden = total − shown, each hidden within its bounds."""
    k = len(bounds)
    out = []
    for j in range(k):
        ends = []
        for sign in (1, -1):
            c = np.zeros(k)
            c[j] = sign
            res = linprog(c, A_eq=np.ones((1, k)), b_eq=[total - shown], bounds=bounds,
                          method="highs")
            ends.append(sign * res.fun)
        out.append((ends[0], ends[1]))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_random_small_cell_tables_resist_the_lp_attack(seed):
    rng = np.random.default_rng(seed)
    ns = {f"s{i}": int(v) for i, v in enumerate(rng.integers(1, 40, size=8))}
    means = {k: float(rng.uniform(1, 5)) for k in ns}
    table = _protect(_mean_rows(ns, means, subgroup="site"))
    cells = table[table["subgroup"] == "site"]
    total = table[table["subgroup"] == "all"].iloc[0]
    hidden = cells[cells["suppressed"]]
    assert (hidden["suppression"] != "shown").all()
    assert set(cells.loc[cells["suppression"] == "primary", "subgroup_value"]) == \
        {k for k, v in ns.items() if v < 10}
    if len(hidden) == 0 or np.isnan(total["n"]):
        return
    assert len(hidden) >= 2  # never a lone hidden cell
    bounds = [(1, 9) if s == "primary" else (10, None) for s in hidden["suppression"]]
    shown = cells.loc[~cells["suppressed"], "n"].sum()
    for (low, high), status in zip(_lp_bounds(total["n"], shown, bounds),
                                   hidden["suppression"], strict=True):
        assert high - low >= min(8, 8 if status == "primary" else np.inf) - 1e-9


def test_a_cell_short_of_its_total_is_protected_against_a_reader_assuming_it_adds_up():
    """15 + 8 = 23 of 24 (one respondent without an audience): a reader who assumes the
    cells add up reads 24 − 15 = 9 for the hidden cell — close to its 8. The pattern must
    resist that reader too, so the sibling is hidden as well."""
    rows = _mean_rows({"demandeur_emploi": 15, "lyceen": 8}, {"demandeur_emploi": 0.4,
                                                             "lyceen": 0.2}, "audience")
    rows[0]["n"] = 24  # the `all` cell counts one more respondent
    table = _protect(rows)
    assert _cell(table, "lyceen")["suppression"] == "primary"
    assert _cell(table, "demandeur_emploi")["suppression"] == "secondary"
    assert table.loc[table["subgroup"] == "all", "n"].iloc[0] == 24


def test_pairs_hidden_by_the_sum_stay_hidden_behind_the_wave_counts():
    """A change's pairs are at most the respondents of each wave: b's 11 pairs, hidden as a
    complement, must not be pinned by b's 11 respondents at post (the audit knows it)."""
    from impact.report import disclosure_audit as audit

    def block(indicator, ns, waves, measure="image"):
        return [dict(programme="p", measure=measure, indicator=indicator,
                     subgroup="all" if v == "" else "site", subgroup_value=v,
                     wave_from=waves[0], wave_to=waves[1], n=n, estimate=3.0 + 0.01 * n,
                     unit="points") for v, n in ns.items()]

    rows = (block("mean_change", {"": 100, "a": 60, "b": 11, "c": 3, "d": 26}, ("pre", "post"))
            + block("mean_change", {"": 100, "a": 60, "b": 40}, ("pre", "post"), "interest")
            + block("mean", {"": 116, "a": 65, "b": 11, "c": 10, "d": 30}, ("post", "")))
    table = _protect(rows)
    assert _cell(table, "c", "mean_change")["suppression"] == "primary"
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    assert len(found) and found["protected"].all(), found
