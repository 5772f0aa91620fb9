"""Flags, readings and the report model: derived from the registry, thresholds as documented."""

from __future__ import annotations

import math

import pytest

from openclarify.bias.registry import METRICS, MetricSpec
from openclarify.report import flags
from openclarify.report.content import build_report, format_value, metric_row, reading

from .conftest import synthetic_document


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "fair"),
        (0.1, "fair"),
        (-0.1, "fair"),
        (0.1001, "notable"),
        (-0.2, "notable"),
        (0.6 - 0.4, "notable"),  # 0.19999999999999996: "at" the threshold
        (0.2001, "far"),
        (-0.75, "far"),
        (math.inf, "far"),
        (-math.inf, "far"),
        (None, "error"),
    ],
)
def test_difference_metric_flags(value: float | None, expected: str) -> None:
    assert flags.flag(value, 0.0) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "fair"),
        (1.1, "fair"),
        (1 / 1.1, "fair"),
        (0.85, "notable"),
        (1.2, "notable"),
        (0.8, "notable"),  # the four-fifths rule flags ratios *below* 0.8
        (0.79, "far"),
        (1.26, "far"),
        (0.0, "far"),
        (math.inf, "far"),
    ],
)
def test_ratio_metric_flags(value: float, expected: str) -> None:
    assert flags.flag(value, 1.0) == expected


def test_thresholds_are_the_documented_constants() -> None:
    assert flags.thresholds(0.0) == (flags.NOTABLE_GAP, flags.FAR_GAP)
    assert flags.thresholds(1.0) == pytest.approx((flags.NOTABLE_RATIO - 1, flags.FAR_RATIO - 1))
    assert flags.__doc__ is not None
    for number in ("0.1", "0.2", "1.25", "0.8"):
        assert number in flags.__doc__


@pytest.mark.parametrize("spec", METRICS, ids=lambda s: s.code)
def test_rows_read_range_and_fair_value_from_the_registry(spec: MetricSpec) -> None:
    code, fair = spec.code, spec.fair_value
    far_value = fair + 0.5 if fair == 0.0 else 2.0
    row = metric_row({"name": code, "description": spec.description, "value": far_value})
    assert row.value_range == spec.value_range
    assert row.fair_value == fair
    assert row.flag == "far"
    assert row.reading.startswith("Far from fair")
    assert f"fair value {fair:g}" in row.reading
    assert spec.value_range in row.reading
    exact = metric_row({"name": code, "description": "", "value": fair})
    assert exact.flag == "fair" and exact.reading.startswith("Exactly the fair value")


def test_readings_say_the_direction_and_size() -> None:
    assert "below the fair value 0 by 0.35" in reading(-0.35, None, "[-1, 1]", 0.0)
    assert "above the fair value 1 by a factor 1.50" in reading(1.5, None, "[0, inf)", 1.0)
    assert reading(0.05, None, "[0, 1]", 0.0).startswith("Close to fair")
    assert reading(0.15, None, "[0, 1]", 0.0).startswith("Worth a look")


def test_errors_are_shown_as_errors() -> None:
    row = metric_row(
        {"name": "CDDL", "description": "d", "value": None, "error": "Group variable is empty"}
    )
    assert (row.flag, row.shown, row.value) == ("error", "error", None)
    assert row.reading == "Not computed: Group variable is empty"


def test_infinity_strings_become_floats() -> None:
    row = metric_row({"name": "DI", "description": "d", "value": "Infinity"})
    assert row.value == math.inf and row.shown == "∞" and row.exact == "Infinity"
    assert row.flag == "far"
    assert format_value(-0.00001) == "0.0000"


def test_summary_counts_and_headline_findings() -> None:
    report = build_report(synthetic_document(), title=None, versions={"openclarify": "x"})
    assert report.title == "Analysis Report"
    assert report.counts == {"fair": 1, "notable": 1, "far": 2, "error": 1, "values": 5}
    # Furthest first: DI 0.5 (a factor 2), then DPL -0.4; then the notable AD.
    assert [f.row.code for f in report.findings] == ["DI", "DPL", "AD"]
    assert "2 are far from fair, 1 worth a look and 1 close to fair" in report.summary
    assert "1 could not be computed" in report.summary
    assert "label is y, with positive value(s) 1" in report.summary
    assert "SHAP feature attributions" in report.summary and "partial dependence" in report.summary


def test_shap_top_features_by_absolute_value() -> None:
    report = build_report(synthetic_document(), versions={})
    (label,) = report.shap
    assert label.n_features == 14 and len(label.top) == 10
    assert [name for name, _ in label.top[:3]] == ["f13", "f0", "f12"]  # |0.7|, |-0.6|, |0.6|
    assert label.expected_value == 0.25
    assert [p.feature for p in report.pdp] == ["Age", "Notes"]
    assert report.pdp[1].error == "not supported"
