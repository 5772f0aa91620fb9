"""Comparison of an analysis.json document with a smclarify golden."""

from __future__ import annotations

import math
from typing import Any

from openclarify.data.selection import NO_POSITIVE_PREDICTION

TOLERANCE = 1e-9  # the exactness bar (we agree to a few ulps in practice)


def raised_messages(expected: dict[str, Any]) -> list[str]:
    messages = []
    for key in ("post_training_bias_metrics", "pre_training_bias_metrics"):
        for facet in expected.get(key, {}).get("facets", {}).values():
            if (
                isinstance(facet, dict)
                and "_raises" in facet
                and facet["message"] != NO_POSITIVE_PREDICTION
            ):
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
        assert math.isclose(actual, expected, rel_tol=0, abs_tol=TOLERANCE), (
            f"{where}: {actual!r} != {expected!r}"
        )


def _compare_section(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    assert ours["label"] == theirs["label"], where
    assert ours["label_value_or_threshold"] == theirs["label_value_or_threshold"], where
    assert list(ours["facets"]) == list(theirs["facets"]), where
    for facet, expected_groups in theirs["facets"].items():
        groups = ours["facets"][facet]
        if isinstance(expected_groups, dict):  # smclarify aborted: no positive prediction
            assert expected_groups["message"] == NO_POSITIVE_PREDICTION
            for group in groups:
                assert all(
                    m["value"] is None and m["error"] == NO_POSITIVE_PREDICTION
                    for m in group["metrics"]
                )
            continue
        assert [g["value_or_threshold"] for g in groups] == [
            g["value_or_threshold"] for g in expected_groups
        ]
        for group, expected_group in zip(groups, expected_groups, strict=True):
            names = [m["name"] for m in group["metrics"]]
            assert names == [m["name"] for m in expected_group["metrics"]], where
            for metric, expected_metric in zip(
                group["metrics"], expected_group["metrics"], strict=True
            ):
                _compare_metric(
                    metric,
                    expected_metric,
                    f"{where}/{facet}/{group['value_or_threshold']}/{metric['name']}",
                )


def assert_matches_golden(ours: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Same sections in the same order, and every section equal to the golden."""
    expected = {k: v for k, v in expected.items() if k != "_generated_by"}
    assert list(ours) == list(expected), "section keys and their order"
    for key in ("post_training_bias_metrics", "pre_training_bias_metrics"):
        if key in expected:
            _compare_section(ours[key], expected[key], f"{where}/{key}")
