"""The audit by attack: it recovers what a leaky publication leaks, and nothing from ours.

Unit tests on hand-made published tables (the recovered values are worked out by hand), then
one workflow run on a small simulated campaign full of small cells (about 1–2 minutes: the
workflow up to the audit rule, no report).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impact.report import disclosure_audit as audit

KEYS = dict(programme="p", measure="image", indicator="mean", wave_from="pre", wave_to="",
            unit="points")


def _published(cells: list[tuple[str, float, float, str]]) -> pd.DataFrame:
    """Rows (subgroup_value, n, estimate, suppression); value "" is the ``all`` cell."""
    rows = []
    for value, n, estimate, status in cells:
        rows.append(dict(KEYS, subgroup="all" if value == "" else "site",
                         subgroup_value=value, n=n, estimate=estimate,
                         suppressed=status != "shown", suppression=status))
    return pd.DataFrame(rows)


def _full_instance(measure: str) -> list[dict]:
    """A fully published instance of the same relation: the attacker learns additivity."""
    rows = [dict(KEYS, measure=measure, subgroup="all", subgroup_value="", n=60, estimate=3.0,
                 suppressed=False, suppression="shown")]
    rows += [dict(KEYS, measure=measure, subgroup="site", subgroup_value=v, n=n, estimate=e,
                  suppressed=False, suppression="shown")
             for v, n, e in (("a", 20, 2.0), ("b", 40, 3.5))]
    return rows


def test_a_lone_suppressed_cell_is_recovered_exactly():
    # total 113, shown 60 + 50: the hidden cell is 3, its n·mean 113·2.9 − 60·3.1 − 50·2.8
    leaky = _published([("", 113, 2.9, "shown"), ("a", 60, 3.1, "shown"),
                        ("b", 50, 2.8, "shown"), ("c", np.nan, np.nan, "primary")])
    table = pd.concat([leaky, pd.DataFrame(_full_instance("interest"))], ignore_index=True)
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    n = found[found["quantity"] == "n"].iloc[0]
    assert (n["low"], n["high"]) == pytest.approx((3, 3)) and not n["protected"]
    total = found[found["quantity"] == "mean_total"].iloc[0]
    assert total["low"] == pytest.approx(113 * 2.9 - 60 * 3.1 - 50 * 2.8)
    assert not total["protected"]


def test_a_complemented_cell_is_known_only_within_the_rule_range():
    # 53 left for two hidden cells: c (primary, 1…9) and b (secondary, ≥ 10)
    table = pd.concat([_published([("", 113, 2.9, "shown"), ("a", 60, 3.1, "shown"),
                                   ("b", np.nan, np.nan, "secondary"),
                                   ("c", np.nan, np.nan, "primary")]),
                       pd.DataFrame(_full_instance("interest"))], ignore_index=True)
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    n = found[found["quantity"] == "n"].set_index("subgroup_value")
    assert (n.loc["c", "low"], n.loc["c", "high"]) == pytest.approx((1, 9))
    assert (n.loc["b", "low"], n.loc["b", "high"]) == pytest.approx((44, 52))
    assert found["protected"].all()
    means = found[found["quantity"] == "mean_total"]
    assert (means["high"] - means["low"] > 0).all()  # not a point: the means stay unknown


def test_without_evidence_of_additivity_the_attacker_assumes_nothing():
    # no fully published instance: the attacker cannot know the cells partition the total
    leaky = _published([("", 113, 2.9, "shown"), ("a", 60, 3.1, "shown"),
                        ("b", 50, 2.8, "shown"), ("c", np.nan, np.nan, "primary")])
    found = audit.findings_frame(leaky, audit.attack(leaky, threshold=10, protection=8))
    n = found[found["quantity"] == "n"].iloc[0]
    assert (n["low"], n["high"]) == (1, 9)


def test_a_rate_is_recovered_through_its_count_of_successes():
    """The count of successes is published for the subgroups: the attacker links it to the
    rate by identity (learned on three shown cells) and reads the hidden numerator."""
    rows = []
    for value, n, k, status in (("", 50, 30, "shown"), ("a", 20, 10, "shown"),
                                ("b", 18, 9, "shown"), ("c", 12, 11, "primary")):
        base = dict(programme="p", measure="employment", wave_from="followup", wave_to="",
                    subgroup="all" if value == "" else "education", subgroup_value=value,
                    n=n)
        rows.append(dict(base, indicator="rate", unit="proportion",
                         estimate=np.nan if status != "shown" else k / n,
                         suppressed=status != "shown", suppression=status))
        rows.append(dict(base, indicator="successes", unit="count", estimate=k,
                         suppressed=False, suppression="shown"))
    table = pd.DataFrame(rows)
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    numerator = found[found["quantity"] == "numerator"].iloc[0]
    assert (numerator["low"], numerator["high"]) == pytest.approx((11, 11))
    assert not numerator["protected"]


def test_summary_counts_cells_per_table():
    table = pd.concat([_published([("", 113, 2.9, "shown"), ("a", 60, 3.1, "shown"),
                                   ("b", np.nan, np.nan, "secondary"),
                                   ("c", np.nan, np.nan, "primary")]),
                       pd.DataFrame(_full_instance("interest"))], ignore_index=True)
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    summary = audit.summary(table, found).set_index("table")
    assert summary.loc["mean × site", ["shown", "primary", "secondary"]].tolist() == [3, 1, 1]
    assert summary.loc["mean", "shown"] == 2
    assert summary.loc["mean × site", "failed"] == 0
    assert math.isclose(summary.loc["mean × site", "narrowest_count_interval"], 8)


# ------------------------------------------------------------------ a campaign of small cells


@pytest.mark.workflow
def test_small_cell_campaign_passes_the_audit(tmp_path):
    """A simulated campaign of 200 people (many sites under the threshold): the workflow's
    disclosure control must leave nothing the audit can recover."""
    from impact.cli import main
    from tests.workflow_support import scratch_repo, snakemake

    repo = scratch_repo(tmp_path / "repo")
    assert main(["simulate", "--spec", str(repo / "surveys/simulation.yaml"), "--out",
                 str(repo / "surveys"), "--respondents", "200"]) == 0
    done = snakemake(repo, "results/validation/disclosure_audit.csv")
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    found = pd.read_csv(repo / "results/validation/disclosure_audit.csv")
    published = pd.concat([
        audit.read_published(sorted((repo / "results/indicators").glob("*.csv"))),
        audit.read_fieldwork(repo / "results/validation/fieldwork.csv")], ignore_index=True)
    assert (published["suppression"] == "primary").sum() > 100  # small cells indeed
    assert (published["suppression"] == "secondary").sum() > 0
    assert len(found) > 100 and found["protected"].all()
    assert (found["measure"] == "fieldwork").any()  # the site response counts are attacked too
    # the attack again, from the published files only: the same verdict
    again = audit.findings_frame(published, audit.attack(published, threshold=10,
                                                         protection=8))
    assert again["protected"].all() and len(again) == len(found)


# ------------------------------------------------------------------ relations across waves


def _wave_rows(indicator: str, ns: dict[str, float], status: dict[str, str],
               measure: str = "image", waves: tuple[str, str] = ("pre", "post")) -> list[dict]:
    """One block of a wave mean (``waves[1] == ""``) or a change, ``""`` being the total."""
    return [dict(programme="p", measure=measure, indicator=indicator,
                 subgroup="all" if v == "" else "site", subgroup_value=v,
                 wave_from=waves[0], wave_to=waves[1], unit="points",
                 n=np.nan if status.get(v, "shown") != "shown" else n,
                 estimate=np.nan if status.get(v, "shown") != "shown" else 3.0,
                 suppressed=status.get(v, "shown") != "shown",
                 suppression=status.get(v, "shown")) for v, n in ns.items()]


def test_pairs_are_bounded_by_the_respondents_of_each_wave():
    """b's pairs hide behind a secondary cell (10 … 29 by the sum), but only 11 people of b
    answered at post: a reader who knows a pair needs both waves reads b as 10 or 11."""
    change = _wave_rows("mean_change", {"": 100, "a": 60, "b": 11, "c": 3, "d": 26},
                        {"b": "secondary", "c": "primary", "d": "secondary"})
    learn = _wave_rows("mean_change", {"": 100, "a": 60, "b": 40}, {}, measure="interest")
    post = _wave_rows("mean", {"": 116, "a": 65, "b": 11, "c": 10, "d": 30}, {},
                      waves=("post", ""))
    without = pd.DataFrame(change + learn)
    with_waves = pd.DataFrame(change + learn + post)
    for table, interval, protected in ((without, (10, 29), True),
                                       (with_waves, (10, 11), False)):
        found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
        b = found[(found["quantity"] == "n") & (found["subgroup_value"] == "b")].iloc[0]
        assert (b["low"], b["high"]) == pytest.approx(interval)
        assert bool(b["protected"]) is protected


def test_a_published_contradiction_stops_the_wave_relation():
    """Pairs counted on another basis than the wave means (a published pair n above its wave
    n somewhere): the reader cannot assume pairs ≤ wave respondents."""
    change = _wave_rows("mean_change", {"": 100, "a": 60, "b": 11, "c": 3, "d": 26},
                        {"b": "secondary", "c": "primary", "d": "secondary"})
    learn = _wave_rows("mean_change", {"": 100, "a": 60, "b": 40}, {}, measure="interest")
    post = _wave_rows("mean", {"": 106, "a": 59, "b": 11, "c": 10, "d": 26}, {},
                      waves=("post", ""))  # a: 60 pairs but 59 at post
    table = pd.DataFrame(change + learn + post)
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    b = found[(found["quantity"] == "n") & (found["subgroup_value"] == "b")].iloc[0]
    assert (b["low"], b["high"]) == pytest.approx((10, 29))


def test_fieldwork_counts_join_the_attack_as_site_cells(tmp_path):
    """The published fieldwork table (respondents per site and wave) is read as count cells
    of the same sites: a lone hidden site count is recovered from the wave total."""
    path = tmp_path / "fieldwork.csv"
    pd.DataFrame({"programme": "p", "wave": "pre",
                  "site_code": ["all", "a", "b", "c"], "site": ["Ensemble", "A", "B", "C"],
                  "expected": [60, 20, 20, 20], "respondents": [45, 20, 18, np.nan],
                  "response_rate": [0.75, 1.0, 0.9, np.nan],
                  "suppression": ["shown", "shown", "shown", "primary"]}).to_csv(path,
                                                                               index=False)
    cells = audit.read_fieldwork(path)
    assert cells.loc[cells["subgroup"] == "site", "subgroup_value"].tolist() == ["A", "B", "C"]
    learn = cells.iloc[:3].assign(programme="q", n=[50.0, 20.0, 30.0], suppression="shown",
                                  suppressed=False)  # a full instance: sites add up
    table = pd.concat([cells, learn], ignore_index=True)
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    c = found[(found["quantity"] == "n") & (found["subgroup_value"] == "C")].iloc[0]
    assert (c["low"], c["high"]) == pytest.approx((7, 7)) and not c["protected"]


def test_single_wave_tables_read_from_csv_are_attacked_too(tmp_path):
    """A blank wave_to (a single-wave row) read back from CSV is a key like any other: the
    lone hidden site of a follow-up rate is recovered by differencing (it once was not)."""
    rows = pd.concat([_published([("", 113, 2.9, "shown"), ("a", 60, 3.1, "shown"),
                                  ("b", 50, 2.8, "shown"), ("c", np.nan, np.nan, "primary")]),
                      pd.DataFrame(_full_instance("interest"))], ignore_index=True)
    rows["wave_to"] = ""
    rows[[*audit.KEY, "n", "estimate", "unit", "suppressed", "suppression"]].to_csv(
        tmp_path / "p.csv", index=False)
    table = audit.read_published([tmp_path / "p.csv"])
    found = audit.findings_frame(table, audit.attack(table, threshold=10, protection=8))
    n = found[found["quantity"] == "n"].iloc[0]
    assert (n["low"], n["high"]) == pytest.approx((3, 3)) and not n["protected"]
