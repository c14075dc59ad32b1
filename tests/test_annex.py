"""The technical annex's helpers (impact.report.annex) on small hand-made inputs."""

from __future__ import annotations

import pandas as pd
from bs4 import BeautifulSoup

from impact.report import annex, notes
from impact.report import tables as rd
from impact.report.formatting import SECRET


def _annex(**overrides) -> annex.Annex:
    fields = dict(
        lang="fr", programmes=["p"], waves={"p": ["pre", "post"]},
        labels=rd.Labels(programmes={"p": "Programme P"},
                         codes={"site": {"s1": "Lycée Un", "s2": "Lycée Deux"}}),
        ind=pd.DataFrame(), accounting=pd.DataFrame(), quality={}, prov={}, check_files={},
        ingest_reports=[], indicator_tables=["results/indicators/p.csv"],
        campaign_label="Campagne 2025-2026", demo=True, synthetic=True,
        disclosure_threshold=10, alpha=0.05, subgroups=["site"])
    fields.update(overrides)
    return annex.Annex(**fields)


def _cells(exhibit: notes.Exhibit) -> list[list[str]]:
    soup = BeautifulSoup(exhibit.to_html(), "html.parser")
    return [[td.get_text() for td in tr.find_all(["td", "th"])]
            for tr in soup.select("tbody tr")]


def test_readable_platform_drops_the_kernel_build():
    assert annex.readable_platform("Linux-6.1.0-18-amd64-x86_64-with-glibc2.36") == \
        "Linux (x86_64, glibc 2.36)"
    assert annex.readable_platform("macOS-14.4-arm64-arm-64bit") == "macOS (arm64)"


def test_fieldwork_shows_the_published_table_and_never_a_suppressed_value():
    fw = pd.DataFrame({"programme": ["p", "p"], "wave": ["pre", "pre"], "site": ["s1", "s2"],
                       "expected": [120, 40], "responses": [96, 7],
                       "response_rate": [0.8, 0.175], "suppressed": [False, True]})
    ex = annex.fieldwork_exhibit(_annex(fieldwork=fw))
    rows = [r for r in _cells(ex) if len(r) > 1 and r[1]]
    assert rows[0][:5] == ["avant", "Lycée Un", "120", "96", "80\u00a0%"]
    assert rows[1][:2] == ["avant", "Lycée Deux"] and rows[1][3:5] == [SECRET, SECRET]
    text = ex.to_html()
    assert "17,5" not in text and "18\u00a0%" not in text and ">7<" not in text
    assert annex.fieldwork_exhibit(_annex(fieldwork=None)) is None


def test_configuration_is_a_table_of_settings_not_a_yaml_dump():
    prov = {"configuration": {"analysis": {"alpha": 0.05, "subgroups": ["gender", "site"],
                                           "disclosure": {"min_numerator": 3}},
                              "campaign": {"synthetic": True}},
            "inputs": [{"role": "config", "path": "config/config.yaml"}]}
    rows = _cells(annex.configuration_exhibit(_annex(prov=prov)))
    assert ["alpha", "0.05"] in rows
    assert ["subgroups", "gender, site"] in rows
    assert ["disclosure.min_numerator", "3"] in rows
    assert ["synthetic", "oui"] in rows
    assert [r[0] for r in rows if len(r) == 1 or not r[1]][:2] == ["analysis", "campaign"]


def test_checksums_are_marked_for_the_unhyphenated_monospace_style():
    digest = "ab" * 32
    prov = {"inputs": [{"role": "export", "path": "surveys/p/pre.csv", "bytes": 1234,
                        "sha256": digest}]}
    soup = BeautifulSoup(annex.checksums_exhibit(_annex(prov=prov)).to_html(), "html.parser")
    cells = soup.select("td.hash")
    assert [c.get_text() for c in cells] == [digest]
