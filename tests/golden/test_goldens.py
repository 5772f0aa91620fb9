"""openclarify equals smclarify 0.5 on every golden case.

Each folder under ``cases/`` holds an ``analysis_config.json``, its dataset
under ``data/`` and ``expected.json`` written by ``make_goldens.py`` running
smclarify 0.5 itself (``make goldens``).  A case without ``expected.json``
fails: goldens are never created by the tests.

Values must agree to 1e-9 absolute (the issue's bar; in practice we agree to
the last few ulps because the formulas are evaluated in the same order).
Integer ``0`` special cases must stay integers and ``"Infinity"`` strings must
stay strings, because byte-level parity depends on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import openclarify
from openclarify.errors import AnalysisError

from .compare import assert_matches_golden, raised_messages

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "analysis_config.json").exists())


def test_there_are_many_golden_cases() -> None:
    assert len(CASE_NAMES) >= 25


@pytest.mark.parametrize("case", CASE_NAMES)
def test_every_case_has_a_golden(case: str) -> None:
    assert (CASES / case / "expected.json").exists(), (
        f"missing golden for {case}: run `make goldens`"
    )


@pytest.mark.parametrize("case", CASE_NAMES)
def test_equals_smclarify(case: str) -> None:
    folder = CASES / case
    expected = json.loads((folder / "expected.json").read_text())
    expected.pop("_generated_by", None)
    raised = raised_messages(expected)
    if raised:
        with pytest.raises(AnalysisError) as info:
            openclarify.analyze(folder / "analysis_config.json", folder / "data")
        assert any(message in str(info.value) for message in raised), str(info.value)
        return
    ours = openclarify.analyze(folder / "analysis_config.json", folder / "data").to_dict()
    assert_matches_golden(ours, expected, case)
