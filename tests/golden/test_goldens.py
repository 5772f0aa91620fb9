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
import math
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.data.selection import NO_POSITIVE_PREDICTION
from openclarify.errors import AnalysisError

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "analysis_config.json").exists())
TOLERANCE = 1e-9  # the exactness bar; see module docstring


def test_there_are_many_golden_cases() -> None:
    assert len(CASE_NAMES) >= 25


@pytest.mark.parametrize("case", CASE_NAMES)
def test_every_case_has_a_golden(case: str) -> None:
    assert (CASES / case / "expected.json").exists(), f"missing golden for {case}: run `make goldens`"


def _raised(expected: dict[str, Any]) -> list[str]:
    messages = []
    for key in ("post_training_bias_metrics", "pre_training_bias_metrics"):
        for facet in expected.get(key, {}).get("facets", {}).values():
            if isinstance(facet, dict) and "_raises" in facet and facet["message"] != NO_POSITIVE_PREDICTION:
                messages.append(facet["message"])
    return messages


def _compare_metric(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    assert ours["name"] == theirs["name"], where
    assert ours["description"] == theirs["description"], where
    assert ("error" in ours) == ("error" in theirs), f"{where}: ours={ours} theirs={theirs}"
    if "error" in theirs:
        assert ours["error"] == theirs["error"], where
    expected, actual = theirs["value"], ours["value"]
    if expected is None or isinstance(expected, str):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    elif isinstance(expected, int):
        assert type(actual) is int and actual == expected, f"{where}: {actual!r} != {expected!r}"
    else:
        assert isinstance(actual, float), f"{where}: {actual!r} is not a float"
        assert math.isclose(actual, expected, rel_tol=0, abs_tol=TOLERANCE), f"{where}: {actual!r} != {expected!r}"


def _compare_section(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    assert ours["label"] == theirs["label"], where
    assert ours["label_value_or_threshold"] == theirs["label_value_or_threshold"], where
    assert list(ours["facets"]) == list(theirs["facets"]), where
    for facet, expected_groups in theirs["facets"].items():
        groups = ours["facets"][facet]
        if isinstance(expected_groups, dict):  # smclarify aborted: no positive prediction
            assert expected_groups["message"] == NO_POSITIVE_PREDICTION
            for group in groups:
                assert all(m["value"] is None and m["error"] == NO_POSITIVE_PREDICTION for m in group["metrics"])
            continue
        assert [g["value_or_threshold"] for g in groups] == [g["value_or_threshold"] for g in expected_groups]
        for group, expected_group in zip(groups, expected_groups, strict=True):
            names = [m["name"] for m in group["metrics"]]
            assert names == [m["name"] for m in expected_group["metrics"]], where
            for metric, expected_metric in zip(group["metrics"], expected_group["metrics"], strict=True):
                _compare_metric(metric, expected_metric, f"{where}/{facet}/{group['value_or_threshold']}/{metric['name']}")


@pytest.mark.parametrize("case", CASE_NAMES)
def test_equals_smclarify(case: str) -> None:
    folder = CASES / case
    expected = json.loads((folder / "expected.json").read_text())
    expected.pop("_generated_by", None)
    raised = _raised(expected)
    if raised:
        with pytest.raises(AnalysisError) as info:
            openclarify.analyze(folder / "analysis_config.json", folder / "data")
        assert any(message in str(info.value) for message in raised), str(info.value)
        return
    ours = openclarify.analyze(folder / "analysis_config.json", folder / "data").to_dict()
    assert list(ours) == list(expected), "section keys and their order"
    for key in ("post_training_bias_metrics", "pre_training_bias_metrics"):
        if key in expected:
            _compare_section(ours[key], expected[key], f"{case}/{key}")
