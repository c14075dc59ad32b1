"""French validation summary pages: verdicts, counts read back, no value, everything escaped,
self-contained, links that resolve."""

import json
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from impact.checks import summary_page as sp
from impact.stages import validation_summary

PAYLOAD = '<script>alert("x")</script>'
SECRET = "VALEUR-SECRETE-4242"
COLUMNS = ["check", "type", "column", "level", "severity", "success", "unexpected_count",
           "element_count", "observed_value", "exception"]


def checks(table_ok=True, exception=""):
    rows = [
        ["required_columns:age", "expect_column_to_exist", "age", "table", "stop", "True",
         "", "", "", ""],
        ["row_count", "expect_table_row_count_to_be_between", "", "table", "stop",
         str(table_ok), "", "", SECRET, ""],
        ["no_consent", "expect_column_values_to_be_in_set", "consent", "row", "exclude",
         "False", "3", "40", "", ""],
        ["value_range:age", "expect_column_values_to_be_between", "age", "row", "quarantine",
         "False", "2", "37", SECRET, exception],
        ["speeder", "expect_column_values_to_be_between", "duration_s", "row", "quarantine",
         "False", "1", "37", "", ""],
        ["straightliner", "expect_column_values_to_be_between", "_item_spread", "row",
         "quarantine", "True", "0", "37", "", ""],
        ["required_answers:site", "expect_column_values_to_not_be_null", "site", "row", "warn",
         "False", "4", "37", "", ""],
        ["new_family", "expect_column_values_to_be_null", PAYLOAD, "row", "quarantine", "True",
         "0", "37", "", ""],
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def accounting(quarantined=3, kept=34, excluded=3, read=40):
    return {"programme": "prog", "wave": "pre", "file": f"prog/{PAYLOAD}.csv", "read": read,
            "kept": kept, "quarantined": quarantined, "excluded": excluded,
            "kept_by_decision": 1, "excluded_by_reason": {"no_consent": excluded},
            "quarantine_checks": ({"value_range": 2, "speeder": 1} if quarantined else {})}


def verdict_text(page: str) -> str:
    return BeautifulSoup(page, "html.parser").select_one("div.verdict strong").get_text()


def test_verdicts_follow_table_checks_and_row_accounting():
    assert sp.verdict(accounting(), checks()) == sp.SUCCESS_SET_ASIDE
    assert sp.verdict(accounting(quarantined=0, kept=37), checks()) == sp.SUCCESS
    assert sp.verdict(accounting(), checks(table_ok=False)) == sp.FAILURE
    assert sp.verdict(accounting(), checks(exception="ValueError")) == sp.FAILURE
    # one row lost: read ≠ kept + quarantined + excluded
    assert sp.verdict(accounting(read=41), checks()) == sp.FAILURE


def test_quarantined_rows_do_not_read_as_failure():
    page = sp.render_export_page(sp.ExportSummary(accounting(), checks(), "dd/page.html"))
    assert verdict_text(page) == "Résultat : réussite avec réponses mises de côté"
    assert "«\u00a0failed\u00a0»" in page or "« failed »" in page  # GX's word explained
    page = sp.render_export_page(sp.ExportSummary(accounting(read=41), checks()))
    assert verdict_text(page) == "Résultat : échec"


def test_counts_and_reasons_read_back():
    acc = accounting()
    soup = BeautifulSoup(sp.render_export_page(sp.ExportSummary(acc, checks())), "html.parser")
    tables = soup.find_all("table")
    counts = {tr.find_all("td")[0].get_text(): int(tr.find_all("td")[1].get_text())
              for tr in tables[0].tbody.find_all("tr")}
    assert counts == {"Lignes lues": 40, "Conservées": 34, "Mises en quarantaine": 3,
                      "Exclues": 3, "… dont conservées sur décision documentée": 1}
    reasons = {tr.find_all("td")[0].get_text(): (tr.find_all("td")[1].get_text(),
                                                 int(tr.find_all("td")[2].get_text()))
               for tr in tables[1].tbody.find_all("tr")}
    assert reasons == {"valeur hors de l'intervalle prévu": ("age", 2),
                       "réponse trop rapide": ("duration_s", 1)}
    excluded = [[td.get_text() for td in tr.find_all("td")] for tr in tables[2].tbody("tr")]
    assert excluded == [["pas de consentement", "3"]]
    # every check of the suite is listed once, in French words
    row_checks = tables[4].tbody.find_all("tr")
    assert len(row_checks) == (checks()["level"] == "row").sum()
    described = [tr.td.get_text() for tr in row_checks]
    assert "la valeur est dans l'intervalle prévu" in described
    assert "les valeurs sont vides" in described  # unknown family: by its GX type
    assert not any("expect_" in d for d in described)


def test_no_value_no_script_no_external_resource():
    export = sp.render_export_page(sp.ExportSummary(accounting(), checks(), "a.html"))
    assert export.count("&lt;script&gt;") == 2  # the file name and a column name, escaped
    for page in (export, sp.render_index([sp.ExportSummary(accounting(), checks())],
                                         page_hrefs=["prog/pre/synthese.html"])):
        assert SECRET not in page
        assert "<script" not in page and PAYLOAD not in page
        assert "http://" not in page and "https://" not in page and "<link" not in page


def test_stage_writes_pages_whose_links_resolve(tmp_path: Path):
    site = tmp_path / "results/validation/data_docs"
    gx_page = site / "validations/prog_pre/prog_pre/19700101T000000Z/impact-prog_pre.html"
    gx_page.parent.mkdir(parents=True)
    gx_page.write_text("<html></html>")
    (site / "index.html").write_text("<html></html>")
    acc = tmp_path / "results/validation/prog/pre/accounting.json"
    acc.parent.mkdir(parents=True)
    acc.write_text(json.dumps(accounting()))
    checks().to_csv(acc.parent / "checks.csv", index=False)
    pd.DataFrame({"row_id": ["pre:3", "pre:4", "pre:9"], "check": ["value_range:age", "speeder",
                                                                    "speeder"],
                  "column": ["age", "duration_s", "duration_s"], "reason": ["r", "r", "r"]}
                 ).to_csv(acc.parent / "quarantine.csv", index=False)
    page, index = acc.parent / "synthese.html", tmp_path / "results/validation/synthese.html"
    validation_summary(accounting=[str(acc)], checks=[str(acc.parent / "checks.csv")],
                       quarantine=[str(acc.parent / "quarantine.csv")],
                       data_docs_index=str(site / "index.html"), pages=[str(page)],
                       index=str(index), log_path=str(tmp_path / "logs/summary.log"))
    links = [a["href"] for a in BeautifulSoup(page.read_text(), "html.parser").find_all("a")]
    links += [a["href"] for a in BeautifulSoup(index.read_text(), "html.parser").find_all("a")]
    reasons = BeautifulSoup(page.read_text(), "html.parser").find_all("table")[1]
    # the columns come from the published quarantine
    assert [[td.get_text() for td in tr("td")][1] for tr in reasons.tbody("tr")] == \
        ["duration_s", "age"]
    resolved = {(page.parent / h).resolve() for h in links[:2]}
    resolved |= {(index.parent / h).resolve() for h in links[2:]}
    assert resolved == {index.resolve(), gx_page.resolve(), page.resolve(),
                        (site / "index.html").resolve()}
    assert SECRET not in (tmp_path / "logs/summary.log").read_text()

