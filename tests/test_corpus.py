"""Nothing lost, nothing leaked, on the exports researchers really get (issue « trust »).

Every case of :data:`tests.corpus_cases.CASES` is run through the real stages. For each, the
user sees either one clear message (exit status 1, no traceback) or a run whose row accounting
starts from the number of records known independently of any parser (the simulator's ground
truth, plus what the case added) and balances; no published cell starts a formula; no planted
identifier or payload reaches ``results/`` or ``logs/``.
"""

from __future__ import annotations

import pytest

from tests.corpus_cases import CASES
from tests.corpus_support import (
    formula_cells,
    leaked,
    logs_text,
    records_in_example,
    run_case,
)


def test_the_corpus_covers_every_tool_and_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.programme for c in CASES} == {"cordee", "semaines_apprenantes",
                                            "industrie_transition"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    run = run_case(case, tmp_path)
    assert run.status != 99, f"traceback reached the user at {run.stage}:\n{run.stderr}"
    assert run.status == case.exit, (run.stage, run.stderr[-2000:])
    if case.exit:
        assert "Traceback" not in run.stderr and run.first_line
        missing = [w for w in case.message if w.lower() not in run.stderr.lower()]
        assert not missing, f"{run.stderr!r} lacks {missing}"
    else:
        assert not case.note or any(all(w.lower() in n.lower() for w in case.note)
                                    for n in run.notes), run.notes
        entry = run.accounting
        expected = records_in_example(case.programme, case.wave) + case.delta
        assert entry["read"] == expected, (entry["read"], expected)
        assert entry["read"] == entry["kept"] + entry["quarantined"] + entry["excluded"]
        if case.outcome:
            outcome, reason = case.outcome
            counted = entry["excluded_by_reason"] if outcome == "excluded" \
                else entry["quarantine_checks"]
            assert counted.get(reason, 0) >= 1, entry
    missing = [w for w in case.log if w not in logs_text(tmp_path)]
    assert not missing, missing
    assert formula_cells(tmp_path) == []
    assert leaked(tmp_path, case.payloads) == []
