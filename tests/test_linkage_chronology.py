"""Chronology per linked person and match rates per site (impact.linkage.chronology,
impact.linkage.site_rates), on hand-made links."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.errors import DataError
from impact.linkage.chronology import REASON, enforce_chronology
from impact.linkage.site_rates import renamed_site_warnings, site_match_rates
from tests.test_linkage import link

MOTHERS = ["MARIE", "ANNE", "SOPHIE", "JULIE", "CLAIRE", "EMMA", "LEA", "CHLOE", "LUCIE", "ZOE"]
SOURCES = {"pre": "cordee/pre.csv", "post": "cordee/post.csv", "followup": "cordee/fu.csv"}


def ten_people(post_site="S1"):
    rows = [(f"pre:{i + 2}", m, "05", "DOLE") for i, m in enumerate(MOTHERS)]
    rows += [(f"post:{i + 2}", m, "05", "DOLE", post_site) for i, m in enumerate(MOTHERS)]
    return link(rows, wave_order=["pre", "post"])


def times(post_days: list[int]) -> pd.Series:
    """pre rows sent on 1 Sept; post row i on 1 Sept + post_days[i] days."""
    start = pd.Timestamp("2025-09-01 10:00")
    pre = {f"pre:{i + 2}": start for i in range(len(MOTHERS))}
    post = {f"post:{i + 2}": start + pd.Timedelta(days=d) for i, d in enumerate(post_days)}
    return pd.Series({**pre, **post})


def test_a_link_to_an_answer_sent_later_is_cut_and_the_baseline_row_freed():
    result = ten_people()
    assert (result.decisions["decision"] == "exact").sum() == 10
    days = [200] * 10
    days[3] = -2  # post:5 was sent two days before the pre answer it is linked to
    fixed, cut = enforce_chronology(result, times(days), sources=SOURCES)
    assert cut["row_id"].tolist() == ["post:5"] and cut["linked_row_id"].tolist() == ["pre:5"]
    d = fixed.decisions.set_index("row_id")
    assert d.loc["post:5", "decision"] == "unmatched" and d.loc["post:5", "reason"] == REASON
    assert pd.isna(d.loc["post:5", "linked_row_id"])
    assert d.loc["pre:5", "decision"] == "baseline_only"
    keys = fixed.membership.set_index("row_id")
    assert keys.loc["post:5", "person_key"] == "post:5" != keys.loc["pre:5", "person_key"]
    assert keys.loc[["post:5", "pre:5"], "chain_size"].tolist() == [1, 1]
    assert keys.loc["post:6", "person_key"] == "pre:6" and keys.loc["post:6", "chain_size"] == 2
    assert (d["decision"] == "exact").sum() == 9


def test_same_instant_is_not_after():
    days = [200] * 10
    days[0] = 0
    _, cut = enforce_chronology(ten_people(), times(days), sources=SOURCES)
    assert cut["row_id"].tolist() == ["post:2"]


def test_unknown_times_are_not_judged():
    submitted = times([-5] * 10)
    submitted[[f"post:{i + 2}" for i in range(10)]] = pd.NaT
    fixed, cut = enforce_chronology(ten_people(), submitted, sources=SOURCES)
    assert cut.empty and (fixed.decisions["decision"] == "exact").sum() == 10


def test_a_post_export_repeating_the_pre_dates_stops_the_run():
    with pytest.raises(DataError) as caught:
        enforce_chronology(ten_people(), times([0] * 10), sources=SOURCES)
    message = str(caught.value)
    assert "cordee/post.csv" in message and "cordee/pre.csv" in message
    assert "10 des 10" in message and "submitted_at" in message


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"row_id": [r[0] for r in rows], "wave": [r[0].split(":")[0] for r in rows],
                         "site": [r[4] if len(r) > 4 else "S1" for r in rows]})


def test_a_site_renamed_at_post_is_reported():
    rows = [(f"pre:{i + 2}", chr(65 + i) * 5, "05", "DOLE", "S1" if i < 12 else "S2")
            for i in range(24)]
    # S2 typed « S2bis » at post: linkage blocks on the site, so those rows cannot link
    rows += [(f"post:{i + 2}", chr(65 + i) * 5, "05", "DOLE", "S1" if i < 12 else "S2bis")
             for i in range(24)]
    result = link(rows, wave_order=["pre", "post"])
    rates = site_match_rates(result.decisions, frame(rows), "pre").set_index("site")
    assert rates.loc["S1", "match_rate"] == 1.0 and rates.loc["S2bis", "match_rate"] == 0.0
    warnings = renamed_site_warnings(rates.reset_index())
    assert len(warnings) == 2  # S2bis links nothing; S2 has no post answer at all
    assert "« S2bis »" in warnings[0] and "alias" in warnings[0]
    assert "« S2 »" in warnings[1] and "aucune réponse, contre 12" in warnings[1]


def test_small_sites_and_failing_programmes_are_not_flagged():
    rows = [(f"pre:{i + 2}", chr(65 + i) * 5, "05", "DOLE") for i in range(20)]
    rows += [(f"post:{i + 2}", chr(65 + i) * 3 + "Q", "05", "DOLE", "S9" if i < 5 else "S1")
             for i in range(20)]
    result = link(rows, wave_order=["pre", "post"])
    rates = site_match_rates(result.decisions, frame(rows), "pre")
    assert renamed_site_warnings(rates) == []  # nobody links: no site stands out
