"""The bias drift rule on closed-form cases: |current| > |baseline| is a violation."""

from __future__ import annotations

import math
from typing import Any

import pytest

from openclarify.errors import DatasetError
from openclarify.monitor import check_drift
from openclarify.monitor.drift import BIAS_CHECK, format_value

from .documents import POST, PRE, bias_document


def _violated(baseline: Any, current: Any, code: str = "DPPL", **kw: Any) -> bool:
    check = check_drift(bias_document({code: baseline}), bias_document({code: current}), **kw)
    assert check.kind == "bias"
    return bool(check.violations)


@pytest.mark.parametrize(
    ("baseline", "current", "violated"),
    [
        (0.2, 0.2, False),  # equal: the SDK's good case passes
        (0.2, 0.1, False),  # the docs: 0.1 is closer to 0 than 0.2
        (0.2, -0.3, True),  # the docs: -0.3 is farther from 0 than 0.2
        (0.2, -0.2, False),  # a sign flip of equal magnitude is not worse
        (-0.2, 0.21, True),
        (0.0, 0.0, False),
        (0, 1e-300, True),  # the int 0 baseline, any non-zero value is farther
        (0.3, 0, False),
    ],
)
def test_finite_values(baseline: Any, current: Any, violated: bool) -> None:
    assert _violated(baseline, current) is violated


@pytest.mark.parametrize(
    ("baseline", "current", "violated"),
    [
        (2.916666666666667, math.inf, True),  # TE in the published run
        (2.9, -math.inf, True),
        (math.inf, 1e308, False),
        (math.inf, math.inf, False),  # equal infinities
        (math.inf, -math.inf, False),  # same magnitude
        (-math.inf, math.inf, False),
    ],
)
def test_infinities_compare_by_magnitude(baseline: float, current: float, violated: bool) -> None:
    assert _violated(baseline, current) is violated


@pytest.mark.parametrize(("baseline", "current"), [(None, 0.5), (0.1, None), (None, None)])
def test_nulls_are_skipped(baseline: Any, current: Any) -> None:
    check = check_drift(
        bias_document({"CDDPL": baseline, "AD": 0.1}), bias_document({"CDDPL": current, "AD": 0.1})
    )
    assert check.violations == ()
    assert check.compared == 1  # AD only
    skipped = [p for p in check.bias if p.metric == "CDDPL"]
    assert len(skipped) == 1 and not skipped[0].checked


def test_nan_is_skipped() -> None:
    # A bare NaN token parses to float('nan'); it is never a violation.
    check = check_drift(bias_document({"AD": 0.1}), bias_document({"AD": math.nan}))
    assert check.violations == () and check.compared == 0


@pytest.mark.parametrize(
    ("baseline", "current", "literal", "centred"),
    [
        (0.8, 0.75, False, True),  # |0.75| < |0.8|, but 0.75 is farther from 1
        (0.8, 1.15, True, False),  # |1.15| > |0.8|, but 1.15 is closer to 1
        (0.9, 0.9, False, False),
        (0.5, math.inf, True, True),
        (1.0, 0.0, False, True),
    ],
)
def test_di_switch(baseline: float, current: float, literal: bool, centred: bool) -> None:
    assert _violated(baseline, current, code="DI") is literal
    assert _violated(baseline, current, code="DI", di_centred=True) is centred
    # The switch touches DI only.
    assert _violated(baseline, current, code="AD", di_centred=True) is literal


def test_description_and_fields() -> None:
    check = check_drift(
        bias_document({"TE": 2.916666666666667, "DCA": -0.5278688524590163}),
        bias_document({"TE": math.inf, "DCA": -36.69387755102041}),
    )
    assert [v.to_dict() for v in check.violations] == [
        {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "DCA",
            "constraint_check_type": BIAS_CHECK,
            "description": "Metric value -36.69387755102041 doesn't meet the baseline "
            "constraint requirement -0.5278688524590163",
        },
        {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "TE",
            "constraint_check_type": BIAS_CHECK,
            "description": "Metric value Infinity doesn't meet the baseline constraint "
            "requirement 2.916666666666667",
        },
    ]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (0.1, "0.1"),
        (-math.inf, "-Infinity"),
        ("Infinity", "Infinity"),
        (0, "0"),
        (7.906602254496e-06, "7.906602254496e-06"),
    ],
)
def test_format_value(raw: Any, text: str) -> None:
    assert format_value(raw) == text


def test_both_stages_are_checked_and_sorted() -> None:
    baseline = bias_document(post={"AD": 0.1, "DPPL": 0.1}, pre={"CI": 0.1, "DPL": 0.1})
    current = bias_document(post={"AD": 0.2, "DPPL": 0.0}, pre={"CI": 0.2, "DPL": 0.0})
    check = check_drift(baseline, current)
    assert [v.metric_name for v in check.violations] == ["AD", "CI"]
    assert {p.stage for p in check.bias} == {PRE, POST}
    assert check.compared == 4


def test_violations_sort_by_facet_then_value_then_metric() -> None:
    def doc(value: float) -> dict[str, Any]:
        groups = [
            {
                "value_or_threshold": fv,
                "metrics": [{"name": m, "description": m, "value": value} for m in ("TE", "AD")],
            }
            for fv in ("b", "a")
        ]
        return {
            "version": "1.0",
            POST: {
                "label": "y",
                "facets": {"Z": groups, "A": groups},
                "label_value_or_threshold": "1",
            },
        }

    check = check_drift(doc(0.1), doc(0.5))
    keys = [(v.facet, v.facet_value, v.metric_name) for v in check.violations]
    assert keys == sorted(keys) and len(keys) == 8


def test_threshold_facet_matches_on_its_threshold() -> None:
    # The interval's upper end is the data's maximum: it moves between executions.
    baseline = bias_document({"DPPL": 0.1}, facet="Age", facet_value="(40, 89]")
    current = bias_document({"DPPL": 0.3}, facet="Age", facet_value="(40, 92]")
    check = check_drift(baseline, current)
    assert [(v.facet_value, v.metric_name) for v in check.violations] == [("(40, 92]", "DPPL")]
    other = bias_document({"DPPL": 0.3}, facet="Age", facet_value="(50, 89]")
    with pytest.raises(DatasetError, match="no facet group"):
        check_drift(baseline, other)


def test_missing_metric_is_not_checked() -> None:
    check = check_drift(bias_document({"AD": 0.1}), bias_document({"AD": 0.1, "TE": 9.0}))
    assert check.violations == () and check.compared == 1


def test_a_baseline_of_another_config_is_an_error_naming_both_files() -> None:
    with pytest.raises(DatasetError) as info:
        check_drift(
            bias_document({"AD": 0.1}, facet="Sex"),
            bias_document({"AD": 0.1}, facet="Age"),
            baseline_name="base/analysis.json",
            current_name="now/analysis.json",
        )
    assert "base/analysis.json" in str(info.value) and "now/analysis.json" in str(info.value)
    with pytest.raises(DatasetError, match="no section"):
        check_drift(bias_document(pre={"CI": 0.1}), bias_document(post={"AD": 0.1}))
    with pytest.raises(DatasetError, match="no bias metrics and no explanations"):
        check_drift({"version": "1.0"}, bias_document({"AD": 0.1}))


def test_a_stage_missing_from_the_current_analysis_is_noted() -> None:
    check = check_drift(
        bias_document(post={"AD": 0.1}, pre={"CI": 0.1}), bias_document(post={"AD": 0.1})
    )
    assert check.violations == ()
    assert any(PRE in note for note in check.notes)
