"""Column kinds (smclarify's 5 % uniqueness rule) and facet / label selection."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from openclarify.data.kinds import UNIQUENESS_THRESHOLD, Kind, infer_kind, uniqueness
from openclarify.data.selection import (
    NO_POSITIVE_PREDICTION,
    NO_THRESHOLD,
    NOT_NUMERIC_THRESHOLD,
    PREDICTED_TYPE_MISMATCH,
    SelectionError,
    categorical_mask,
    facet_groups,
    positive_label,
    positive_prediction,
    render,
)

# --------------------------------------------------------------------------- kinds


def test_uniqueness_threshold_is_five_percent() -> None:
    assert UNIQUENESS_THRESHOLD == 0.05
    assert uniqueness(pd.Series([0, 1] * 20)) == 0.05
    assert uniqueness(pd.Series([1.0, np.nan, 1.0, 2.0])) == 2 / 3  # nulls not counted
    assert uniqueness(pd.Series([np.nan, np.nan])) == 0.0


def test_int_zero_one_is_continuous_up_to_forty_rows() -> None:
    assert infer_kind(pd.Series([0, 1] * 20)) is Kind.CONTINUOUS  # 2/40 = 0.05
    assert infer_kind(pd.Series([0, 1] * 20 + [1])) is Kind.CATEGORICAL  # 2/41 < 0.05


def test_float_is_always_continuous() -> None:
    assert infer_kind(pd.Series([0.0, 1.0] * 500)) is Kind.CONTINUOUS
    assert infer_kind(pd.Series([1.0] * 1000)) is Kind.CONTINUOUS


def test_strings_castable_to_int() -> None:
    assert infer_kind(pd.Series(["0", "1"] * 20)) is Kind.CONTINUOUS
    assert infer_kind(pd.Series(["0", "1"] * 20 + ["1"])) is Kind.CATEGORICAL
    # unique enough but not integers
    assert infer_kind(pd.Series(["a", "b", "c"])) is Kind.CATEGORICAL
    assert infer_kind(pd.Series(["1.5", "2.5", "3.5"])) is Kind.CATEGORICAL


def test_category_dtype_bool_and_several_values_are_categorical() -> None:
    many = pd.Series(range(100))
    assert infer_kind(many) is Kind.CONTINUOUS
    assert infer_kind(many.astype("category")) is Kind.CATEGORICAL
    assert infer_kind(many, [40]) is Kind.CONTINUOUS
    assert infer_kind(many, [40, 50]) is Kind.CATEGORICAL
    assert infer_kind(pd.Series(np.linspace(0, 1, 100)), [0.1, 0.2]) is Kind.CATEGORICAL
    assert infer_kind(pd.Series([True, False] * 10)) is Kind.CATEGORICAL


# --------------------------------------------------------------------------- intervals

AGES = pd.Series(np.arange(18, 90))  # 72 distinct ints, max 89


def test_int_threshold_renders_like_pandas_interval() -> None:
    (group,) = facet_groups(AGES, [40])
    assert group.rendered == "(40, 89]"
    assert group.kind is Kind.CONTINUOUS
    assert np.array_equal(group.mask, AGES.to_numpy() > 40)


def test_float_threshold_renders_with_decimals() -> None:
    (group,) = facet_groups(AGES.astype(float), [40])
    assert group.rendered == "(40.0, 89.0]"
    assert group.mask.sum() == 49


def test_threshold_equal_to_max_gives_no_interval() -> None:
    (group,) = facet_groups(AGES, [89])
    assert group.rendered == ""
    assert not group.mask.any()


def test_threshold_above_max_gives_an_empty_interval() -> None:
    (group,) = facet_groups(AGES, [100])
    assert group.rendered == "(89, 100]"
    assert not group.mask.any()


def test_continuous_label_threshold() -> None:
    scores = pd.Series([0.5, 10.0, 28.5, 12.0, 3.0] * 10)
    selection, typed = positive_label(scores, [10])
    assert selection.rendered == "(10.0, 28.5]"
    assert selection.mask.sum() == 20  # 28.5 and 12.0; 10.0 itself is not in (10, …]
    assert typed.dtype == np.float64


def test_float_label_zero_one_with_threshold_one_has_no_positive() -> None:
    # contract §5.1: float 0/1 label is continuous and [1] builds no interval
    selection, _ = positive_label(pd.Series([0.0, 1.0] * 50), [1])
    assert selection.rendered == ""
    assert not selection.mask.any()


def test_continuous_facet_threshold_errors() -> None:
    with pytest.raises(SelectionError, match=f"^{re.escape(NO_THRESHOLD)}$"):
        facet_groups(AGES, None)
    with pytest.raises(SelectionError) as info:
        facet_groups(AGES, ["forty"])
    assert str(info.value) == NOT_NUMERIC_THRESHOLD
    # a numeric string is converted with float()
    (group,) = facet_groups(AGES, ["40"])
    assert group.rendered == "(40.0, 89.0]"
    assert group.mask.sum() == 49


# --------------------------------------------------------------------------- categories


def test_value_conversion_retry_on_int_column() -> None:
    column = pd.Series([0, 1, 1, 0, 2] * 20)  # 3/100 distinct: categorical
    (group,) = facet_groups(column, ["1"])
    assert group.kind is Kind.CATEGORICAL
    assert group.rendered == "1"
    assert np.array_equal(group.mask, column.to_numpy() == 1)


def test_value_conversion_int_to_float_fallback() -> None:
    data = pd.Series([1.5, 2.5, 1.5]).astype("category")
    assert categorical_mask(data, ["2.5"]).tolist() == [False, True, False]
    # unconvertible values match nothing (instead of crashing)
    assert not categorical_mask(data, ["abc"]).any()


def test_several_values_are_one_group() -> None:
    column = pd.Series(["a", "b", "c", "a"] * 15)
    (group,) = facet_groups(column, ["a", "c"])
    assert group.rendered == "a,c"
    assert group.mask.sum() == 45


def test_one_vs_rest_in_order_of_first_appearance_with_nan() -> None:
    column = pd.Series(["b", "a", np.nan, "b", "c"] * 10)
    groups = facet_groups(column, None)
    assert [g.rendered for g in groups] == ["b", "a", "nan", "c"]
    assert [int(g.mask.sum()) for g in groups] == [20, 10, 0, 10]
    assert np.array_equal(groups[1].mask, (column == "a").to_numpy())


def test_one_vs_rest_of_integer_codes() -> None:
    column = pd.Series([2, 0, 1, 2] * 15)  # 3/60 = 0.05 would be continuous
    column = pd.concat([column, pd.Series([2])], ignore_index=True)  # 3/61 < 0.05
    assert [g.rendered for g in facet_groups(column, None)] == ["2", "0", "1"]


def test_render_joins_with_commas() -> None:
    assert render([1, "x", 2.5]) == "1,x,2.5"
    assert render(pd.IntervalIndex.from_breaks([10, 20, 30])) == "(10, 20],(20, 30]"


# --------------------------------------------------------------------------- predictions


def test_positive_prediction_must_have_label_kind_and_a_positive() -> None:
    label = pd.Series([0, 1] * 30)
    selection, typed = positive_label(label, [1])
    assert selection.kind is Kind.CATEGORICAL
    with pytest.raises(SelectionError, match=f"^{re.escape(PREDICTED_TYPE_MISMATCH)}$"):
        positive_prediction(pd.Series(np.arange(60)), typed, selection.kind, [1])
    with pytest.raises(SelectionError) as info:
        positive_prediction(pd.Series([0] * 60), typed, selection.kind, [1])
    assert str(info.value) == NO_POSITIVE_PREDICTION
    predicted = positive_prediction(pd.Series([1, 0] * 30), typed, selection.kind, [1])
    assert predicted.mask.sum() == 30 and not predicted.mask[1]
