"""Tests of impact.checks.gx_engine: real Great Expectations runs (no mocks) on hand-made frames.

GX takes seconds to import: the in-process runs share one import and one module-scoped
validation; the few subprocess tests (import cost, HOME, concurrency) pay their own import.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.checks.gx_engine import (
    FAILED_ROW_COLUMNS,
    RESULT_COLUMNS,
    ExpectationSpec,
    build_data_docs,
    expectation_class,
    run_suite,
)
from impact.errors import ConfigError

S = ExpectationSpec
WINDOW = {"min_value": "2025-08-01", "max_value": "2025-12-31"}


def small_frame() -> pd.DataFrame:
    """8 rows, ids pre:2..pre:9, pandas 3 dtypes (str, string, Int64, Int8, bool, boolean,
    datetime64[us]) with nulls in every nullable column."""
    return pd.DataFrame(
        {
            "row_id": pd.Series([f"pre:{i}" for i in range(2, 10)], dtype="str"),
            "wave": pd.Series(["pre"] * 8, dtype="str"),
            "gender": pd.Series(["F", "M", "X", None, "F", "Z", "M", "F"], dtype="str"),
            "gender_s": pd.Series(["F", "M", "X", pd.NA, "F", "Z", "M", "F"], dtype="string"),
            "age": pd.array([15, 16, None, 40, 500, 17, 18, 19], dtype="Int64"),
            "consent": pd.array([1, 1, None, 1, 0, 1, 1, 1], dtype="Int8"),
            "lik_1": pd.array([1, 2, 3, 4, 5, None, 9, 1], dtype="Int8"),
            "is_test": [False, False, True, False, False, False, True, False],
            "flag": pd.array([False, None, True, False, False, False, False, False], "boolean"),
            "started_at": pd.to_datetime(
                [
                    "2025-09-01 08:00",
                    "2025-09-02 09:00",
                    None,
                    "2025-09-03 10:00",
                    "2025-09-04 10:00",
                    "2024-01-01 10:00",
                    "2025-09-05 10:00",
                    "2025-09-06 10:00",
                ]
            ),
            "submitted_at": pd.to_datetime(
                [
                    "2025-09-01 08:20",
                    "2025-09-01 09:00",
                    "2025-09-03 10:00",
                    "2025-09-03 10:30",
                    "2025-09-04 10:30",
                    "2024-01-01 10:30",
                    "2025-09-05 10:30",
                    "2025-09-06 10:30",
                ]
            ),
            "code": pd.Series(["a", "b", "c", "a", "d", "e", "f", "b"], dtype="str"),
        }
    )


# check -> (spec, expected success, expected failing row ids or None for table-level checks)
CASES: dict[str, tuple[ExpectationSpec, bool, set[str] | None]] = {
    c[0].check: c
    for c in [
        (S("expect_column_to_exist", {"column": "gender"}, "exists:gender"), True, None),
        (S("expect_column_to_exist", {"column": "nope"}, "exists:nope"), False, None),
        (
            S("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 100}, "rows"),
            True,
            None,
        ),
        (S("expect_table_row_count_to_be_between", {"min_value": 10}, "rows_min"), False, None),
        (
            S(
                "expect_column_values_to_be_in_set",
                {"column": "gender", "value_set": ["F", "M"], "mostly": 0.5},
                "allowed_codes:gender",
                "row",
                "quarantine",
                "Code de genre non prévu : {value}",
            ),
            True,  # 2 of 7 non-null values unexpected: passes `mostly`, rows still reported
            {"pre:4", "pre:7"},
        ),
        (
            S(
                "expect_column_values_to_be_in_set",
                {"column": "gender_s", "value_set": ["F", "M"]},
                "allowed_codes:gender_s",
                "row",
            ),
            False,
            {"pre:4", "pre:7"},
        ),
        (
            S(
                "expect_column_values_to_be_between",
                {"column": "age", "min_value": 11, "max_value": 99},
                "range:age",
                "row",
            ),
            False,
            {"pre:6"},  # NA (pre:4) ignored
        ),
        (
            S(
                "expect_column_values_to_be_between",
                {"column": "lik_1", "min_value": 1, "max_value": 5},
                "range:lik_1",
                "row",
            ),
            False,
            {"pre:8"},
        ),
        (
            S(
                "expect_column_values_to_not_be_null",
                {"column": "age", "mostly": 0.9},
                "missing:age",
                "table",
                "warn",
            ),
            False,  # 7/8 = 87.5 % < 90 %
            None,
        ),
        (
            S(
                "expect_column_values_to_not_be_null",
                {"column": "consent"},
                "missing:consent",
                "row",
            ),
            False,
            {"pre:4"},
        ),
        (
            S("expect_column_values_to_be_unique", {"column": "row_id"}, "unique:row_id", "row"),
            True,
            set(),
        ),
        (
            S("expect_column_values_to_be_unique", {"column": "code"}, "unique:code", "row"),
            False,
            {"pre:2", "pre:5", "pre:3", "pre:9"},
        ),
        (
            S(
                "expect_compound_columns_to_be_unique",
                {"column_list": ["code", "wave"]},
                "unique:code_wave",
                "row",
            ),
            False,
            {"pre:2", "pre:5", "pre:3", "pre:9"},
        ),
        (
            S(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {
                    "column_A": "submitted_at",
                    "column_B": "started_at",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "order:submitted_started",
                "row",
            ),
            False,
            {"pre:3"},
        ),
        (
            S(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": "submitted_at", "column_B": "started_at", "or_equal": True},
                "order:default_ignore",
                "row",
            ),
            False,
            {"pre:3", "pre:4"},  # GX default ignores a row only when BOTH values are missing
        ),
        (
            S(
                "expect_column_values_to_be_between",
                {"column": "started_at", **WINDOW},
                "window:started_at",
                "row",
            ),
            False,
            {"pre:7"},  # NaT (pre:4) ignored
        ),
        (
            S(
                "expect_column_values_to_be_between",
                {
                    "column": "started_at",
                    "min_value": dt.date(2025, 8, 1),
                    "max_value": dt.datetime(2025, 12, 31),
                },
                "window:started_at_dates",
                "row",
            ),
            False,
            {"pre:7"},
        ),
        (
            S(
                "expect_column_min_to_be_between",
                {"column": "started_at", **WINDOW},
                "campaign_start",
            ),
            False,
            None,
        ),
        (
            S(
                "expect_column_max_to_be_between",
                {"column": "started_at", **WINDOW},
                "campaign_end",
            ),
            True,
            None,
        ),
        (
            S(
                "expect_column_values_to_be_in_set",
                {"column": "is_test", "value_set": [False]},
                "flag:is_test",
                "row",
                "quarantine",
            ),
            False,
            {"pre:4", "pre:8"},
        ),
        (
            S(
                "expect_column_values_to_be_in_set",
                {"column": "flag", "value_set": [False]},
                "flag:nullable_boolean",
                "row",
            ),
            False,
            {"pre:4"},  # NA (pre:3) ignored
        ),
        (
            S("expect_column_values_to_not_be_null", {"column": "nope"}, "missing:nope", "row"),
            False,
            set(),
        ),
    ]
}
SPECS = [case[0] for case in CASES.values()]


@pytest.fixture(scope="module")
def ctx_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gx") / "results" / "validation" / "gx"


@pytest.fixture(scope="module")
def outcome(ctx_dir):
    return run_suite(small_frame(), SPECS, context_dir=ctx_dir, name="prog_pre")


# -------------------------------------------------------------------------------------------


def test_results_table(outcome):
    res = outcome.results
    assert list(res.columns) == RESULT_COLUMNS
    assert list(res["check"]) == [s.check for s in SPECS]  # spec order, not GX's order
    assert res["success"].dtype == bool
    assert str(res["unexpected_count"].dtype) == "Int64"
    assert outcome.success is False
    row = res.set_index("check").loc["allowed_codes:gender"]
    assert (row["type"], row["column"], row["level"], row["severity"]) == (
        "expect_column_values_to_be_in_set",
        "gender",
        "row",
        "quarantine",
    )
    assert row["element_count"] == 8 and row["unexpected_count"] == 2
    assert res.set_index("check").loc["unique:code_wave", "column"] == "code,wave"
    assert res.set_index("check").loc["rows", "column"] == ""


@pytest.mark.parametrize("check", list(CASES))
def test_success_per_check(outcome, check):
    got = outcome.results.set_index("check").loc[check]
    assert bool(got["success"]) is CASES[check][1], got.to_dict()


@pytest.mark.parametrize("check", list(CASES))
def test_failing_row_ids(outcome, check):
    assert list(outcome.failed_rows.columns) == FAILED_ROW_COLUMNS
    ids = set(outcome.failed_rows.loc[outcome.failed_rows["check"] == check, "row_id"])
    expected = CASES[check][2]
    assert ids == (expected or set())


def test_exception_becomes_failed_check(outcome):
    res = outcome.results.set_index("check")
    assert not res.loc["missing:nope", "success"]
    assert 'column "nope"' in res.loc["missing:nope", "exception"]
    assert "does not exist" in res.loc["missing:nope", "exception"]
    assert pd.isna(res.loc["missing:nope", "unexpected_count"])
    # the other checks still ran, without exception
    assert (res.drop(index="missing:nope")["exception"] == "").all()
    # expect_column_to_exist reports a missing column as a plain failure
    assert res.loc["exists:nope", "exception"] == ""


def test_observed_values(outcome):
    res = outcome.results.set_index("check")
    assert res.loc["rows", "observed_value"] == "8"
    assert res.loc["campaign_start", "observed_value"].startswith("2024-01-01")
    assert res.loc["campaign_end", "observed_value"].startswith("2025-09-06")
    assert res.loc["range:age", "observed_value"] == ""  # map expectations have none


def test_result_json_stored(outcome, ctx_dir):
    path = outcome.result_path
    assert path.is_file() and path.is_relative_to(ctx_dir / "prog_pre")
    assert outcome.context_root == ctx_dir / "prog_pre"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["meta"]["run_id"]["run_name"] == "prog_pre"
    metas = {r["expectation_config"]["meta"]["check"]: r for r in data["results"]}
    gender = metas["allowed_codes:gender"]
    assert gender["expectation_config"]["meta"]["severity"] == "quarantine"
    assert gender["expectation_config"]["meta"]["level"] == "row"
    assert gender["expectation_config"]["meta"]["message_fr"].startswith("Code de genre")
    assert gender["result"]["unexpected_index_column_names"] == ["row_id"]
    assert "unexpected_index_query" not in gender["result"]
    assert len(metas) == len(SPECS)


def test_rerun_replaces_context(ctx_dir, outcome):
    again = run_suite(small_frame(), SPECS[:3], context_dir=ctx_dir, name="rerun")
    again = run_suite(small_frame(), SPECS[:3], context_dir=ctx_dir, name="rerun")
    stored = list((ctx_dir / "rerun").rglob("uncommitted/validations/**/*.json"))
    assert stored == [again.result_path]
    assert again.success is False and len(again.results) == 3


def test_expectation_class_mapping():
    names = {s.type for s in SPECS}
    for name in names:
        cls = expectation_class(name)
        assert cls.__name__.lower() == name.replace("_", "")
    with pytest.raises(ConfigError, match="unknown"):
        expectation_class("expect_the_moon")


@pytest.mark.parametrize(
    "specs, match",
    [
        ([S("expect_the_moon", {}, "moon")], "unknown"),
        ([S("expect_column_values_to_be_in_set", {"colum": "x"}, "typo")], "invalid arguments"),
        ([S("expect_column_to_exist", {"column": "x"}, "a")] * 2, "duplicate"),
    ],
)
def test_invalid_specs_raise(tmp_path, specs, match):
    with pytest.raises(ConfigError, match=match):
        run_suite(small_frame(), specs, context_dir=tmp_path, name="bad")


def test_invalid_arguments_raise(tmp_path):
    with pytest.raises(ConfigError, match="level"):
        S("expect_column_to_exist", {"column": "x"}, "a", level="cell")
    with pytest.raises(ConfigError, match="severity"):
        S("expect_column_to_exist", {"column": "x"}, "a", severity="panic")
    with pytest.raises(ConfigError, match="id column"):
        run_suite(small_frame(), SPECS[:1], context_dir=tmp_path, name="x", id_column="rid")
    with pytest.raises(ConfigError, match="suite name"):
        run_suite(small_frame(), SPECS[:1], context_dir=tmp_path, name="../escape")


def test_every_failing_id_of_a_large_frame(tmp_path):
    n = 100_000
    rng = np.random.default_rng(7)
    bad = rng.random(n) < 0.30
    df = pd.DataFrame(
        {
            "row_id": pd.Series([f"pre:{i}" for i in range(2, n + 2)], dtype="str"),
            "gender": pd.Series(np.where(bad, "X", "F"), dtype="str"),
        }
    )
    spec = S(
        "expect_column_values_to_be_in_set",
        {"column": "gender", "value_set": ["F", "M"]},
        "allowed_codes:gender",
        "row",
    )
    out = run_suite(df, [spec], context_dir=tmp_path, name="big")
    expected = set(df.loc[bad, "row_id"])
    assert len(expected) > 29_000
    assert int(out.results.loc[0, "unexpected_count"]) == len(expected)
    assert len(out.failed_rows) == len(expected)
    assert set(out.failed_rows["row_id"]) == expected
    stored = json.loads(out.result_path.read_text(encoding="utf-8"))["results"][0]["result"]
    # COMPLETE: no truncation; exclude_unexpected_values: the ids, no value
    assert [list(d) for d in stored["unexpected_index_list"]] == [["row_id"]]
    assert set(stored["unexpected_index_list"][0]["row_id"]) == expected
    assert not {"unexpected_list", "partial_unexpected_list", "partial_unexpected_counts"} & \
        set(stored)
    assert "X" not in json.dumps(stored)


def test_data_docs(ctx_dir, outcome, tmp_path):
    run_suite(small_frame().head(3), SPECS[:4], context_dir=ctx_dir, name="prog_post")
    site = tmp_path / "results" / "validation" / "data_docs"
    (site / "stale.html").parent.mkdir(parents=True)
    (site / "stale.html").write_text("old")
    index = build_data_docs([ctx_dir], site)
    assert index == site.resolve() / "index.html" and index.is_file()
    assert not (site / "stale.html").exists()
    pages = sorted(p.relative_to(site).parts[1] for p in (site / "validations").rglob("*.html"))
    exports = sorted(p.parent.name for p in ctx_dir.glob("*/gx"))
    assert {"prog_pre", "prog_post"} <= set(exports)
    assert pages == exports  # one page per validated export
    assert (site / "expectations" / "prog_pre.html").is_file()
    assert (site / "static" / "images" / "logo-long.png").is_file()
    html = index.read_text(encoding="utf-8")
    assert 'id="impact-offline-index"' in html  # static list readable without the CDN scripts
    for page in ("prog_pre", "prog_post"):
        assert f'href="validations/{page}/{page}/' in html
    assert "échec" in html
    everything = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "great-expectations-web-assets" not in everything  # no beacon logo URL
    assert "dataContextId" not in everything
    page = next((site / "validations" / "prog_pre").rglob("*.html")).read_text(encoding="utf-8")
    assert "unexpected values found" in page  # counts and shares, rendered server-side
    assert "'Z'" not in page and "500" not in page.split("Table of Contents")[-1]  # no value

    # a single export context works too
    one = build_data_docs(ctx_dir / "prog_post", tmp_path / "one")
    assert len(list((one.parent / "validations").rglob("*.html"))) == 1
    with pytest.raises(ConfigError):
        build_data_docs(tmp_path / "nowhere", tmp_path / "site2")


PAYLOADS = ("<script>alert('x')</script>", "eleve.nom@example.fr", '=HYPERLINK("http://x")')


def _payload_run(root: Path) -> Path:
    df = pd.DataFrame({"row_id": ["pre:2", "pre:3", "pre:4", "pre:5"],
                       "site": ["A", *PAYLOADS], "age": [12, 13, 14, 200]})
    specs = [S("expect_column_values_to_be_in_set", {"column": "site", "value_set": ["A"]},
               "allowed_codes:site", "row", "quarantine"),
             S("expect_column_values_to_be_between",
               {"column": "age", "min_value": 11, "max_value": 99}, "value_range:age", "row",
               "quarantine")]
    out = run_suite(df, specs, context_dir=root / "gx", name="p_pre")
    assert set(out.failed_rows["row_id"]) == {"pre:3", "pre:4", "pre:5"}
    build_data_docs(root / "gx", root / "docs")
    build_data_docs(root / "gx", root / "full", redact=False)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_no_value_in_stores_or_docs_and_every_store_is_reproducible(tmp_path, monkeypatch):
    """GX keeps the failing rows' ids, never their values (exclude_unexpected_values), in the
    store and in either site; two runs (in different directories) write byte-identical
    contexts and sites, under the same paths."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first, second = _payload_run(tmp_path / "a"), _payload_run(tmp_path / "b")
    assert _tree(first) == _tree(second)
    everything = b"".join(_tree(first).values()).decode("utf-8", "replace")
    for payload in PAYLOADS:
        for form in (payload, html.escape(payload), json.dumps(payload)[1:-1]):
            assert form not in everything
    assert '"row_id": [' in everything  # the ids are stored (they quarantine the rows)
    names = " ".join(_tree(first))
    assert "19700101T000000.000000Z" in names  # fixed run time, not the clock
    assert not re.search(r"20\d\d[01]\dT", names)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    out = run_suite(small_frame(), SPECS[:2], context_dir=tmp_path / "c", name="epoch")
    assert "20260101T000000.000000Z" in out.result_path.as_posix()


def test_docs_copies_escape_data_strings_and_redaction_drops_values(tmp_path):
    """Should a store hold values (an older GX, another result format), the copies a Data Docs
    build renders escape them, and the published build drops them."""
    from impact.checks.gx_store import prepare_for_docs

    result = {"results": [{"result": {
        "element_count": 4, "unexpected_count": 2, "observed_value": PAYLOADS[1],
        "partial_unexpected_list": list(PAYLOADS[:2]),
        "unexpected_index_list": [{"site": PAYLOADS[0], "row_id": "pre:3"}]},
        "expectation_config": {"kwargs": {"column": "site", "value_set": ["<i>A</i>"],
                                          "row_condition": {"operator": "<"}}, "meta": {}},
        "exception_info": {"exception_message": PAYLOADS[0]}}]}
    for redact in (False, True):
        root = tmp_path / str(redact)
        store = root / "uncommitted" / "validations" / "s" / "r" / "t"
        store.mkdir(parents=True)
        (root / "expectations").mkdir()
        (store / "b.json").write_text(json.dumps(result), encoding="utf-8")
        prepare_for_docs(root, redact=redact)
        data = json.loads((store / "b.json").read_text(encoding="utf-8"))["results"][0]
        text = json.dumps(data, ensure_ascii=False)
        assert "<script>" not in text and "<i>A</i>" not in text
        assert data["expectation_config"]["kwargs"]["row_condition"] == {"operator": "<"}
        if redact:
            assert data["result"] == {"element_count": 4, "unexpected_count": 2}
        else:
            assert html.escape(PAYLOADS[0]) in text and PAYLOADS[1] in text


# ----------------------------------------------------------------------- subprocess tests

RUNNER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import pandas as pd
    from impact.checks.gx_engine import ExpectationSpec as S, run_suite, build_data_docs
    import great_expectations  # noqa: F401  (import before the barrier: overlap the runs)

    ctx, name, go, site = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    (go.parent / f"ready-{name}").touch()
    while not go.exists():
        time.sleep(0.02)
    n = 2000
    df = pd.DataFrame({"row_id": [f"{name}:{i}" for i in range(n)],
                       "v": [i % 7 for i in range(n)]})
    out = run_suite(df, [S("expect_column_values_to_be_between",
                           {"column": "v", "min_value": 0, "max_value": 5}, "range:v", "row")],
                    context_dir=ctx, name=name)
    if site != "-":
        build_data_docs(ctx, Path(site))
    print(json.dumps({"ids": sorted(out.failed_rows["row_id"]), "path": str(out.result_path)}))
    """
)


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "GX_", "MPL"))}
    env["HOME"] = str(home)
    return env


def _spawn(script: Path, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_module_import_does_not_import_gx():
    code = "import sys, impact.checks.gx_engine; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_nothing_written_to_home_or_cwd(tmp_path):
    home, cwd, ctx = tmp_path / "home", tmp_path / "cwd", tmp_path / "ctx"
    home.mkdir()
    cwd.mkdir()
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    go = tmp_path / "go"
    go.touch()
    proc = _spawn(
        script, [str(ctx), "solo", str(go), str(tmp_path / "site")], _clean_env(home), cwd
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert len(json.loads(stdout)["ids"]) == sum(1 for i in range(2000) if i % 7 == 6)
    assert list(home.rglob("*")) == [], "something was written under HOME"
    assert list(cwd.rglob("*")) == [], "something was written in the working directory"
    assert (tmp_path / "site" / "index.html").is_file()


def test_concurrent_processes_share_context_dir(tmp_path):
    ctx = tmp_path / "results" / "validation" / "gx"
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    go = tmp_path / "go"
    names = ["cordee_pre", "cordee_post", "transition_pre"]
    env = _clean_env(tmp_path / "home")
    procs = {name: _spawn(script, [str(ctx), name, str(go), "-"], env, tmp_path) for name in names}
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{n}").exists() for n in names):
        assert time.monotonic() < deadline, "runners did not start"
        assert all(p.poll() is None for p in procs.values()), "a runner died before the barrier"
        time.sleep(0.05)
    go.touch()  # all imported: release them together
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        got = json.loads(stdout)
        expected = sorted(f"{name}:{i}" for i in range(2000) if i % 7 == 6)
        assert got["ids"] == expected
        assert Path(got["path"]).is_relative_to(ctx / name)
    index = build_data_docs(ctx, tmp_path / "site")
    pages = sorted(p.relative_to(index.parent).parts[1] for p in index.parent.rglob("*/*/*/*.html"))
    assert pages == sorted(names)
