"""Review workbook round trip, manual linkage decisions, and the fieldwork table's secret
statistique.

The round trip runs the workflow's own stage functions (:mod:`impact.stages`, as the Snakemake
scripts call them) in this process on a scratch copy of one example programme: ingest,
validate, link, review; fills decisions in the workbook with openpyxl; applies them with the
command line; runs validate, link and review again; and checks each decision took effect and
rows read = kept + quarantined + excluded still holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from impact.checks.corrections import load_corrections, load_link_decisions
from impact.cli import main
from impact.errors import DataError
from impact.linkage.manual import apply_link_decisions
from impact.linkage.matching import link_waves
from impact.toolkit import review as rv
from impact.toolkit.fieldwork import published_fieldwork, response_rates
from tests.corpus_support import CONFIG, _paths, scratch_surveys

PROGRAMME = "semaines_apprenantes"
WAVES = CONFIG["programmes"][PROGRAMME]["waves"]


# ---------------------------------------------------------------------------------------------
# in-process stages


def _validate(root: Path, surveys: Path, wave: str) -> None:
    from impact.stages import validate

    p = _paths(root, PROGRAMME, wave)
    validate(instrument_path=str(surveys / "instrument.yaml"),
             codebook_path=str(surveys / PROGRAMME / "codebook.yaml"), wave=wave,
             config={k: CONFIG[k] for k in ("validation", "campaign", "programmes")},
             interim=p["interim"], corrections=str(surveys / PROGRAMME / "corrections.yaml"),
             context_dir=p["context_dir"], kept=p["kept"], quarantine=p["quarantine"],
             quarantine_detail=p["quarantine_detail"], excluded=p["excluded"],
             checks=p["checks"], accounting=p["accounting"],
             corrections_log=p["corrections_log"], log_path=p["validate_log"])


def _link(root: Path, surveys: Path) -> None:
    from impact.stages import link

    private = root / "restricted" / "panel"
    link(instrument_path=str(surveys / "instrument.yaml"),
         codebook_path=str(surveys / PROGRAMME / "codebook.yaml"), waves=WAVES,
         kept=[_paths(root, PROGRAMME, w)["kept"] for w in WAVES],
         codes=[_paths(root, PROGRAMME, w)["codes"] for w in WAVES], truth=None,
         pseudonymisation=CONFIG["pseudonymisation"], linkage=CONFIG["linkage"],
         min_item_share=CONFIG["analysis"]["min_item_share"],
         panel=str(private / f"{PROGRAMME}.parquet"),
         decisions=str(private / f"{PROGRAMME}_linkage.csv"),
         quality=str(root / "results" / "panel" / f"{PROGRAMME}_linkage_quality.csv"),
         attrition=str(private / f"{PROGRAMME}_attrition.csv"),
         corrections=str(surveys / PROGRAMME / "corrections.yaml"),
         log_path=str(root / "logs" / "link" / f"{PROGRAMME}.log"))


def _review(root: Path, surveys: Path) -> Path:
    from impact.stages import review

    paths = [_paths(root, PROGRAMME, w) for w in WAVES]
    private = root / "restricted" / "panel"
    workbook = root / "restricted" / "review" / "review_workbook.xlsx"
    review(programmes={PROGRAMME: WAVES}, surveys_dir=str(surveys),
           interim=[p["interim"] for p in paths], kept=[p["kept"] for p in paths],
           quarantine=[p["quarantine_detail"] for p in paths],
           excluded=[p["excluded"] for p in paths], codes=[p["codes"] for p in paths],
           panels=[str(private / f"{PROGRAMME}.parquet")],
           linkage_decisions=[str(private / f"{PROGRAMME}_linkage.csv")],
           analysis=CONFIG["analysis"], linkage=CONFIG["linkage"], workbook=str(workbook),
           fieldwork=str(root / "results" / "validation" / "fieldwork.csv"),
           log_path=str(root / "logs" / "review" / "review.log"))
    return workbook


def _run(root: Path, surveys: Path, *, ingest: bool) -> Path:
    from impact.stages import ingest as ingest_stage

    for wave in WAVES:
        if ingest:
            p = _paths(root, PROGRAMME, wave)
            ingest_stage(instrument_path=str(surveys / "instrument.yaml"),
                         codebook_path=str(surveys / PROGRAMME / "codebook.yaml"), wave=wave,
                         surveys_dir=str(surveys),
                         test_markers=CONFIG["validation"]["test_markers"],
                         pseudonymisation=CONFIG["pseudonymisation"], interim=p["interim"],
                         report=p["report"], codes=p["codes"],
                         sites_path=str(surveys / PROGRAMME / "sites.yaml"),
                         log_path=p["ingest_log"])
        _validate(root, surveys, wave)
    _link(root, surveys)
    return _review(root, surveys)


def _accounting(root: Path) -> dict[str, dict]:
    return {w: json.loads(Path(_paths(root, PROGRAMME, w)["accounting"]).read_text("utf-8"))
            for w in WAVES}


def _sheet(path: Path, name: str) -> pd.DataFrame:
    book = load_workbook(path, read_only=True)
    rows = list(book[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _fill(path: Path, choices: dict[tuple[str, int], tuple[str, str | None]]) -> None:
    """Write decisions (sheet, spreadsheet row) → (décision, correction) with openpyxl."""
    book = load_workbook(path)
    for (name, row), (decision, correction) in choices.items():
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        sheet.cell(row=row, column=header.index("décision") + 1, value=decision)
        if correction is not None:
            sheet.cell(row=row, column=header.index("correction") + 1, value=correction)
    book.save(path)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    surveys = scratch_surveys(root / "surveys", PROGRAMME)
    workbook = _run(root, surveys, ingest=True)
    first = root / "first_workbook.xlsx"
    first.write_bytes(workbook.read_bytes())
    before = _accounting(root)
    quarantine = _sheet(workbook, rv.QUARANTINE)
    dupes = _sheet(workbook, rv.DUPLICATES)
    links = _sheet(workbook, rv.LINK_SHEET)
    checks = quarantine["contrôles"].fillna("")
    pick = {
        "keep": quarantine.index[checks == "straightliner"][0],
        "correct": quarantine.index[checks == "value_range:age"][0],
        "exclude": quarantine.index[checks.str.startswith("incomplete")][0],
    }
    ids = {k: quarantine.loc[i, "ligne (row_id)"] for k, i in pick.items()}
    ids["dupe"] = dupes.loc[0, "ligne (row_id)"]
    ids["dupe_copy"] = dupes.loc[0, "copie de (conservée)"]
    link_row = links.index[links["distance (éditions)"] >= 1][0]
    ids["link"] = links.loc[link_row, "ligne (row_id)"]
    ids["link_to"] = links.loc[link_row, "ligne candidate"]
    other = links.index[links["ligne (row_id)"] != ids["link"]][0]
    ids["no_link"] = links.loc[other, "ligne (row_id)"]
    _fill(workbook, {
        (rv.QUARANTINE, pick["keep"] + 2): ("garder", None),
        (rv.QUARANTINE, pick["correct"] + 2): ("corriger", "{age: 33}"),
        (rv.QUARANTINE, pick["exclude"] + 2): ("exclure", None),
        (rv.DUPLICATES, 2): ("garder", None),
        (rv.LINK_SHEET, link_row + 2): ("lier", None),
        (rv.LINK_SHEET, other + 2): ("ne pas lier", None),
    })
    status = main(["review", "apply", str(workbook), "--surveys", str(surveys)])
    corrections = surveys / PROGRAMME / "corrections.yaml"
    text = corrections.read_text(encoding="utf-8")
    again = _run(root, surveys, ingest=False)
    return {"root": root, "surveys": surveys, "before": before, "after": _accounting(root),
            "ids": ids, "status": status, "text": text, "workbook": again,
            "first_workbook": first}


def _wave(row_id: str) -> str:
    return row_id.split(":")[0]


def test_decisions_are_written_to_corrections_yaml(round_trip):
    ids, path = round_trip["ids"], round_trip["surveys"] / PROGRAMME / "corrections.yaml"
    assert round_trip["status"] == 0
    data = yaml.safe_load(round_trip["text"])
    assert data[ids["keep"]] == "keep"
    assert data[ids["correct"]] == {"age": 33}
    assert data[ids["exclude"]] == "exclude"
    assert data[ids["dupe"]] == "keep"
    assert data["links"][ids["link"]] == ids["link_to"]
    assert data["links"][ids["no_link"]] == "none"
    # the loaders of the stages read the file back
    assert load_corrections(path, _wave(ids["keep"]), WAVES)[ids["keep"]] == "keep"
    assert load_link_decisions(path, WAVES)[ids["no_link"]] is None


def test_decisions_take_effect_on_the_next_run(round_trip):
    root, ids = round_trip["root"], round_trip["ids"]
    kept = pd.concat([pd.read_parquet(_paths(root, PROGRAMME, w)["kept"]) for w in WAVES])
    excluded = pd.concat([pd.read_csv(_paths(root, PROGRAMME, w)["excluded"]) for w in WAVES])
    quarantined = pd.concat([pd.read_csv(_paths(root, PROGRAMME, w)["quarantine_detail"])
                             for w in WAVES])
    assert ids["keep"] in set(kept["row_id"])
    assert ids["dupe"] in set(kept["row_id"]) and ids["dupe_copy"] in set(kept["row_id"])
    corrected = kept[kept["row_id"] == ids["correct"]]
    assert corrected["age"].tolist() == [33]
    rule = excluded.set_index("row_id").loc[ids["exclude"], "exclusion"]
    assert rule == "decision"
    assert not {ids["keep"], ids["correct"], ids["exclude"]} & set(quarantined["row_id"])
    panel = pd.read_parquet(root / "restricted" / "panel" / f"{PROGRAMME}.parquet")
    person = panel.set_index("row_id")["respondent_id"]
    assert person[ids["link"]] == person[ids["link_to"]]
    decisions = pd.read_csv(root / "restricted" / "panel" / f"{PROGRAMME}_linkage.csv")
    reason = decisions.set_index("row_id")["reason"]
    assert reason[ids["link"]] == "manual_link"
    assert reason[ids["no_link"]] == "manual_no_link"
    log = (root / "logs" / "link" / f"{PROGRAMME}.log").read_text(encoding="utf-8")
    assert f"manual link decision {ids['link']}: linked to {ids['link_to']}" in log


def test_row_accounting_still_holds_and_moves_as_decided(round_trip):
    before, after, ids = round_trip["before"], round_trip["after"], round_trip["ids"]
    for wave in WAVES:
        b, a = before[wave], after[wave]
        assert a["read"] == b["read"] == a["kept"] + a["quarantined"] + a["excluded"]
        mine = [k for k in ("keep", "correct", "exclude", "dupe") if _wave(ids[k]) == wave]
        out_of_quarantine = len([k for k in mine if k != "dupe"])
        assert a["quarantined"] == b["quarantined"] - out_of_quarantine
        assert a["excluded"] == b["excluded"] + ("exclude" in mine) - ("dupe" in mine)
        assert a["kept"] == b["kept"] + ("keep" in mine) + ("correct" in mine) + ("dupe" in mine)


def test_second_workbook_is_prefilled_and_reapplying_adds_nothing(round_trip):
    ids, workbook = round_trip["ids"], round_trip["workbook"]
    quarantine = _sheet(workbook, rv.QUARANTINE).set_index("ligne (row_id)")
    assert quarantine.loc[ids["keep"], "décision"] == "garder"
    assert quarantine.loc[ids["exclude"], "décision"] == "exclure"
    assert quarantine.loc[ids["correct"], "décision"] == "corriger"
    links = _sheet(workbook, rv.LINK_SHEET)
    chosen = links[(links["ligne (row_id)"] == ids["link"])
                   & (links["ligne candidate"] == ids["link_to"])]
    assert chosen["décision"].tolist() == ["lier"]
    path = round_trip["surveys"] / PROGRAMME / "corrections.yaml"
    assert rv.apply_workbook(workbook, round_trip["surveys"]) == {PROGRAMME: 0}
    assert path.read_text(encoding="utf-8") == round_trip["text"]


def test_a_decision_contradicting_the_file_names_sheet_and_row(round_trip, tmp_path):
    ids, workbook = round_trip["ids"], round_trip["workbook"]
    copy = tmp_path / "review.xlsx"
    copy.write_bytes(workbook.read_bytes())
    quarantine = _sheet(copy, rv.QUARANTINE)
    row = int(quarantine.index[quarantine["ligne (row_id)"] == ids["keep"]][0]) + 2
    _fill(copy, {(rv.QUARANTINE, row): ("exclure", None)})
    with pytest.raises(DataError) as error:
        rv.apply_workbook(copy, round_trip["surveys"])
    message = str(error.value)
    assert f"feuille « Quarantaine », ligne {row}" in message
    assert ids["keep"] in message and "contredit" in message


def test_workbook_layout_and_formula_safety(round_trip, tmp_path):
    workbook = round_trip["first_workbook"]
    book = load_workbook(workbook)
    for name in (rv.QUARANTINE, rv.DUPLICATES, rv.LINK_SHEET):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        letter = get_column_letter(header.index("décision") + 1)
        lists = [v for v in sheet.data_validations.dataValidation
                 if f"{letter}2" in str(v.sqref)]
        assert lists and lists[0].type == "list", name
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in row)
    # same inputs, same bytes (no save time inside)
    tables = {"Feuille": pd.DataFrame({"a": ["=HYPERLINK(1)", "x"], "décision": ["", ""]})}
    rv.write_workbook(tables, tmp_path / "a.xlsx")
    rv.write_workbook(tables, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    cell = load_workbook(tmp_path / "a.xlsx")["Feuille"]["A2"]
    assert cell.data_type == "s" and cell.value == "'=HYPERLINK(1)"


def test_duplicate_pairs_show_the_differing_fields_side_by_side(round_trip):
    root = round_trip["root"]
    pairs = _sheet(round_trip["first_workbook"], rv.DUPLICATES)
    fields = _sheet(round_trip["first_workbook"], f"{rv.DUPLICATES} (champs)")
    interim = pd.concat([pd.read_parquet(_paths(root, PROGRAMME, w)["interim"])
                         for w in WAVES]).set_index("row_id")
    for _, pair in pairs.iterrows():
        a, b = pair["ligne (row_id)"], pair["copie de (conservée)"]
        mine = fields[fields["ligne (row_id)"] == a]
        assert len(mine) == pair["champs différents"]
        for _, f in mine.iterrows():
            assert str(interim.at[a, f["champ"]]) != str(interim.at[b, f["champ"]])
            assert str(interim.at[a, f["champ"]]) == str(f["valeur (exclue)"])
    assert set(pairs["règle"]) <= {"exact_duplicate", "resubmission"}


def test_contradictory_rows_of_one_workbook_are_refused(tmp_path):
    surveys = tmp_path / "surveys"
    (surveys / "p").mkdir(parents=True)
    (surveys / "p" / "codebook.yaml").write_text("programme: p\n", encoding="utf-8")
    decisions = [rv.Decision("p", "pre:4", "keep", "feuille « Quarantaine », ligne 2"),
                 rv.Decision("p", "pre:4", "exclude", "feuille « Doublons », ligne 3")]
    with pytest.raises(DataError, match="ligne 2 et feuille « Doublons », ligne 3"):
        rv.apply_decisions(decisions, surveys)
    assert not (surveys / "p" / "corrections.yaml").exists()


def test_existing_entries_and_comments_are_kept(tmp_path):
    surveys = tmp_path / "surveys"
    (surveys / "p").mkdir(parents=True)
    (surveys / "p" / "codebook.yaml").write_text("programme: p\n", encoding="utf-8")
    path = surveys / "p" / "corrections.yaml"
    path.write_text("# vérifié avec l'établissement\npre:42: keep\nlinks:\n  post:3: pre:9\n"
                    "pre:57: {age: 15}  # âge corrigé\n", encoding="utf-8")
    added = rv.apply_decisions([
        rv.Decision("p", "pre:42", "keep", "w1"),
        rv.Decision("p", "pre:8", "exclude", "w2"),
        rv.Decision("p", "post:5", "pre:11", "w3", "links"),
        rv.Decision("p", "post:6", "none", "w4", "links"),
    ], surveys)
    text = path.read_text(encoding="utf-8")
    assert added == {"p": 3}
    assert text.startswith("# vérifié avec l'établissement\npre:42: keep\n")
    assert "pre:57: {age: 15}  # âge corrigé" in text
    data = yaml.safe_load(text)
    assert data["pre:8"] == "exclude" and data["pre:57"] == {"age": 15}
    assert data["links"] == {"post:3": "pre:9", "post:5": "pre:11", "post:6": "none"}


def test_bad_decisions_in_the_workbook_name_sheet_and_row(tmp_path):
    tables = {rv.QUARANTINE: pd.DataFrame({"programme": ["p"], "row_id": ["pre:4"],
                                           "décision": ["corriger"], "correction": ["15"]})}
    path = tmp_path / "w.xlsx"
    rv.write_workbook(tables, path)
    with pytest.raises(DataError, match="feuille « Quarantaine », ligne 2.*colonne: valeur"):
        rv.read_decisions(path)


# ---------------------------------------------------------------------------------------------
# manual linkage decisions


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "row_id": ["pre:1", "pre:2", "post:1", "post:2"],
        "wave": ["pre", "pre", "post", "post"],
        "code": ["AB01CD", "XY05ZT", "AB01CE", "QQ12RR"],
        "site": ["s", "s", "s", "s"], "gender": ["F", "M", "F", "M"], "age": [15, 16, 15, 16],
    })


def test_manual_links_override_the_automatic_ones():
    result = link_waves(_rows(), wave_order=["pre", "post"])
    auto = result.decisions.set_index("row_id")
    assert auto.loc["post:1", "decision"] == "tolerant"  # one substitution apart
    assert auto.loc["post:2", "decision"] == "unmatched"
    codes = _rows().set_index("row_id")["code"]
    manual, log = apply_link_decisions(result, {"post:2": "pre:2", "post:1": None}, codes)
    person = manual.membership.set_index("row_id")["person_key"]
    assert person["post:2"] == person["pre:2"] == "pre:2"
    assert person["post:1"] == "post:1" and person["pre:1"] == "pre:1"
    table = manual.decisions.set_index("row_id")
    assert table.loc["post:2", "reason"] == "manual_link"
    assert table.loc["post:2", "distance"] == 6  # QQ12RR → XY05ZT: six substitutions
    assert table.loc["post:1", ["decision", "reason"]].tolist() == ["unmatched",
                                                                    "manual_no_link"]
    assert table.loc["pre:1", "decision"] == "baseline_only"
    assert "pre:2" not in table.index  # a linked baseline row is not listed
    assert log["applied"].tolist() == ["link", "no_link"]


def test_a_manual_link_that_puts_two_answers_of_a_wave_together_is_refused():
    result = link_waves(_rows(), wave_order=["pre", "post"])
    codes = _rows().set_index("row_id")["code"]
    with pytest.raises(DataError, match="deux réponses d'une même vague"):
        apply_link_decisions(result, {"post:2": "pre:1"}, codes, source="c.yaml")
    with pytest.raises(DataError, match="post:9"):
        apply_link_decisions(result, {"post:9": "pre:1"}, codes, source="c.yaml")


def test_links_section_is_checked_with_its_line(tmp_path):
    path = tmp_path / "corrections.yaml"
    path.write_text("pre:4: exclude\nlinks:\n  post:3: pre:9\n  post:4: none\n",
                    encoding="utf-8")
    assert load_corrections(path, "pre", ["pre", "post"]) == {"pre:4": "exclude"}
    assert load_link_decisions(path, ["pre", "post"]) == {"post:3": "pre:9", "post:4": None}
    path.write_text("links:\n  post:3: post:9\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"corrections.yaml:2 .*vague antérieure"):
        load_link_decisions(path, ["pre", "post"])
    path.write_text("links:\n  pre:3: none\n", encoding="utf-8")
    with pytest.raises(DataError, match="première vague"):
        load_corrections(path, "pre", ["pre", "post"])


# ---------------------------------------------------------------------------------------------
# fieldwork


class _Sites:
    def __init__(self, sites):
        self.sites = sites


def _site(code: str, expected: int | None):
    from impact.survey.sites import Site

    return Site(code=code, label=code.upper(), expected=expected)


def test_response_rates_count_kept_rows_per_site_and_wave():
    sites = _Sites([_site("a", 20), _site("b", 10), _site("c", 5)])
    kept = {"pre": pd.DataFrame({"site_code": ["a"] * 12 + ["b"] * 10 + [""] * 2}),
            "post": pd.DataFrame({"site_code": ["a"] * 4})}
    table = response_rates(kept, sites, "p").set_index(["wave", "site_code"])
    assert table.loc[("pre", "a"), "respondents"] == 12
    assert table.loc[("pre", "a"), "response_rate"] == pytest.approx(12 / 20)
    assert table.loc[("pre", "c"), "respondents"] == 0
    assert table.loc[("pre", ""), "respondents"] == 2  # without a site: counted, not dropped
    assert table.loc[("pre", "all"), "respondents"] == 24
    assert table.loc[("pre", "all"), "expected"] == 35
    assert table.loc[("post", "b"), "respondents"] == 0


def test_published_fieldwork_hides_small_counts_beyond_recovery():
    counts = {"a": 3, "b": 12, "c": 40, "d": 50, "e": 0}
    sites = _Sites([_site(code, 60) for code in counts])
    kept = {"pre": pd.DataFrame({"site_code": [c for c, n in counts.items() for _ in range(n)]})}
    published = published_fieldwork(response_rates(kept, sites, "p"),
                                     CONFIG["analysis"]).set_index("site_code")
    threshold = CONFIG["analysis"]["disclosure_threshold"]
    assert published.loc["a", "suppression"] == "primary"
    assert published.loc["e", "respondents"] == 0  # nobody answered: nobody singled out
    hidden = published[published["suppression"] != "shown"]
    assert hidden["respondents"].isna().all() and hidden["response_rate"].isna().all()
    # the attacker's view: the total is published, so the hidden cells sum to S; the primary
    # cell lies in [1, threshold − 1], the secondary ones are ≥ threshold
    total = published.loc["all", "respondents"]
    assert total == sum(counts.values())
    shown = published.drop(index="all")
    s = total - shown["respondents"].fillna(0).sum()
    secondary = (hidden["suppression"] == "secondary").sum()
    assert secondary >= 1
    high = min(threshold - 1, s - threshold * secondary)
    assert high - 1 >= threshold - 2  # the primary count is known no better than 1 … 9


def test_large_campaigns_seek_near_misses_within_a_site(monkeypatch):
    kept = pd.DataFrame({"row_id": ["pre:1", "pre:2", "pre:3", "post:1", "post:2"],
                         "site": ["a", "b", "a", "a", "b"]}).set_index("row_id")
    codes = pd.DataFrame({"row_id": ["post:1", "post:2", "pre:1", "pre:2", "pre:3"],
                          "code": ["AB01CD", "XY05ZT", "AB01CE", "AB01CF", "ZZ99ZZ"],
                          "rank": [1, 1, 0, 0, 0]})
    sources, targets = codes.iloc[:2], codes
    everything = rv._close_pairs(sources, targets, kept.reset_index().set_index("row_id"))
    # post:1 (site a) is 1 edit from pre:1 (a) and pre:2 (b); post:2 is near nothing
    assert everything == [(0, 2, 1), (0, 3, 1)]
    monkeypatch.setattr(rv, "MAX_CELLS", 1)
    assert rv._close_pairs(sources, targets, kept) == [(0, 2, 1)]
