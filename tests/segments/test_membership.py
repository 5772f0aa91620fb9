"""Segment membership: values and intervals, first match, ``__default__``, and the config's checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openclarify.config import load_config
from openclarify.config.segments import Interval, parse_items
from openclarify.errors import ConfigError
from openclarify.segments.membership import DEFAULT_SEGMENT, segmentations

PREFIX = "Analysis configuration schema validation error: "


def _segmentation(segments: list[list[Any]], **extra: Any) -> Any:
    config = load_config(
        {
            "dataset_type": "text/csv",
            "methods": {"pre_training_bias": {"methods": "all"}},
            "segment_config": [{"name_or_index": "x", "segments": segments, **extra}],
        }
    )
    (entry,) = segmentations(config)
    return entry


def _error(segments: Any, **extra: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _segmentation(segments, **extra)
    return info.value


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("[1, 4]", Interval(1.0, 4.0, True, True)),
        ("(2, 5]", Interval(2.0, 5.0, False, True)),
        ("[1, 3)", Interval(1.0, 3.0, True, False)),
        (" ( -1.5e1 ,10 ) ", Interval(-15.0, 10.0, False, False)),
        ("(-inf, 0]", Interval(-np.inf, 0.0, False, True)),
        ("[3, 3]", Interval(3.0, 3.0, True, True)),
    ],
)
def test_interval_notation(text: str, interval: Interval) -> None:
    assert parse_items((text,)).intervals == (interval,)


def test_numeric_column_values_and_intervals() -> None:
    entry = _segmentation([["[1, 4]", 10], ["(4, 6)", "7"], ["(6, 7)"]])
    series = pd.Series([1, 4, 4.5, 6, 7, 10, np.nan, 0, 6.5, 10.0])
    assert entry.codes(series).tolist() == [0, 0, 1, 3, 1, 0, 3, 3, 2, 0]


def test_text_column_compares_as_strings_and_as_numbers() -> None:
    entry = _segmentation([["A", 1], ["[2, 3]"], ["True"]])
    series = pd.Series(["A", "1", "1.0", 1, "2.5", "B", None, "a", True, 3], dtype=object)
    assert entry.codes(series).tolist() == [0, 0, 0, 0, 1, 3, 3, 3, 2, 1]


def test_first_matching_list_wins_and_the_rest_is_default() -> None:
    # disjointness is checked when the config loads; the rule is still first-match
    entry = _segmentation([["b"], ["a"]])
    assert entry.codes(pd.Series(["a", "b", "c"])).tolist() == [1, 0, 2]
    assert [entry.name(i) for i in range(entry.count)] == ["b", "a", DEFAULT_SEGMENT]


def test_display_names() -> None:
    entry = _segmentation([[0], ["[1, 3)", "(5, 10]"]])
    assert [entry.name(i) for i in range(3)] == ["0", "[1, 3),(5, 10]", "__default__"]
    entry = _segmentation([["A", "B"]], display_aliases=["seg1", "default_seg"])
    assert [entry.name(i) for i in range(2)] == ["seg1", "default_seg"]
    entry = _segmentation([["A"], ["B"]], display_aliases=["a", "b"])
    assert [entry.name(i) for i in range(3)] == ["a", "b", "__default__"]


_cells = st.one_of(
    st.none(),
    st.integers(-3, 12),
    st.floats(-3, 12),
    st.just(float("nan")),
    st.sampled_from(["A", "B", "1", "2.5", "x"]),
)


@settings(max_examples=200)
@given(st.lists(_cells, min_size=1, max_size=40), st.integers(1, 7))
def test_default_holds_exactly_the_rows_in_no_segment(cells: list[Any], cut: int) -> None:
    entry = _segmentation([["[0, 2)", "A"], [f"[2, {cut + 2}]"], ["B", 12]])
    items = entry.items

    def number(value: Any) -> float | None:
        try:
            return float(value)
        except ValueError:
            return None

    def matches(cell: Any, index: int) -> bool:  # the rule, one cell at a time
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            return False
        cell_number = number(cell)
        for value in items[index].values:
            if str(value) == str(cell) or (
                cell_number is not None and number(value) == cell_number
            ):
                return True
        for i in items[index].intervals:
            if cell_number is not None:
                above = cell_number >= i.low if i.low_closed else cell_number > i.low
                below = cell_number <= i.high if i.high_closed else cell_number < i.high
                if above and below:
                    return True
        return False

    whole = pd.Series(cells, dtype=object)
    codes = entry.codes(whole)
    for cell, code in zip(cells, codes, strict=True):
        member = [i for i in range(3) if matches(cell, i)]
        assert len(member) <= 1  # disjoint segments
        assert code == (member[0] if member else 3), (cell, code)
    # batch by batch as the streaming engine applies it: the same codes
    halves = [entry.codes(whole.iloc[:cut].reset_index(drop=True)), entry.codes(whole.iloc[cut:])]
    assert np.concatenate(halves).tolist() == codes.tolist()
    numeric = pd.to_numeric(whole, errors="coerce")
    if numeric.notna().sum() == whole.notna().sum():  # a numeric column: the vectorised path
        assert entry.codes(numeric.astype(float)).tolist() == codes.tolist()


# --------------------------------------------------------------------------------------
# The config's checks (the SDK's texts where it has one)
# --------------------------------------------------------------------------------------


def test_sdk_error_texts() -> None:
    error = _error("0")
    assert error.where == "$.segment_config[0].segments"
    assert error.problem.startswith(
        PREFIX + "`segments` must be a list of lists of values or intervals."
    )
    error = _error([[0], 1])
    assert error.where == "$.segment_config[0].segments[1]"
    assert "`segments` must be a list of lists of values or intervals." in error.problem
    error = _error([[0]], display_aliases=["a", "b", "c"])
    assert error.where == "$.segment_config[0].display_aliases"
    assert error.problem.startswith(
        PREFIX + "Number of `display_aliases` must equal the number of segments specified or "
        "with one additional default segment display alias."
    )
    with pytest.raises(ConfigError) as info:
        load_config(
            {
                "dataset_type": "text/csv",
                "methods": {"pre_training_bias": {"methods": "all"}},
                "segment_config": [{"name_or_index": None, "segments": [[0]]}],
            }
        )
    assert info.value.where == "$.segment_config[0].name_or_index"
    assert info.value.problem == PREFIX + "`name_or_index` cannot be None"


@pytest.mark.parametrize(
    ("segments", "where", "found"),
    [
        ([[]], "[0]", "found an empty list"),
        ([["[1, 4"]], "[0][0]", "malformed interval"),
        ([[0], ["(a, b]"]], "[1][0]", "malformed interval"),
        ([["[5, 1]"]], "[0][0]", "empty interval"),
        ([["(3, 3]"]], "[0][0]", "empty interval"),
        ([["[0, 10]"], ["[10, 20]"]], "[1]", "overlapping intervals in segments [0] and [1]"),
        ([["[0, 10)"], [5]], "[1]", "a value inside an interval of the other"),
        ([["A", 1], ["1.0"]], "[1]", "the same value in segments [0] and [1]"),
    ],
)
def test_malformed_segments(segments: list[list[Any]], where: str, found: str) -> None:
    error = _error(segments)
    assert error.where == f"$.segment_config[0].segments{where}"
    assert found in error.problem


def test_touching_intervals_are_disjoint() -> None:
    entry = _segmentation([["[0, 10)"], ["[10, 20]"], ["(20, 30]"]])
    assert entry.codes(pd.Series([9.99, 10, 20, 20.5])).tolist() == [0, 1, 1, 2]
