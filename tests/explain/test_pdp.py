"""Partial dependence (contract §4.4, §6.10): known answers, grid, types, batching.

Tolerance: a linear model's partial dependence is ``w_s·v + mean_i(Σ_{j≠s} w_j x_ij) + b``
exactly; the only error is float64 summation over ≤ a few hundred rows of O(100)
values, far below ``TOL = 1e-9``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from openclarify.explain.pdp import (
    FREE_TEXT_ERROR,
    detect_data_type,
    is_free_text,
    partial_dependence,
)

TOL = 1e-9  # see module docstring
KEYS = {
    "feature_name",
    "data_type",
    "feature_values",
    "data_distribution",
    "model_predictions",
    "label_headers",
}


class CountingModel:
    """Wraps a model and records the number of rows in every call."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.calls: list[int] = []

    def __call__(self, frame: pd.DataFrame) -> Any:
        self.calls.append(len(frame))
        return self.fn(frame)


def _data(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(17, 91, n),
            "income": rng.normal(50.0, 10.0, n),
            "hours": rng.uniform(0.0, 80.0, n),
        }
    )


W = {"age": 0.7, "income": -1.3, "hours": 0.25}
B = 4.0


def _linear(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(sum(W[c] * frame[c].to_numpy(dtype=float) for c in W) + B)


def test_linear_model_gives_exact_line() -> None:
    df = _data()
    out = partial_dependence(_linear, df, "income", grid_resolution=15, label_headers=["score"])
    assert set(out) == KEYS
    assert out["data_type"] == "numerical"
    rest = float(np.mean(_linear(df) - W["income"] * df["income"]))
    expected = [W["income"] * v + rest for v in out["feature_values"]]
    np.testing.assert_allclose(out["model_predictions"][0], expected, rtol=0, atol=TOL)
    assert out["label_headers"] == ["score"]


def test_model_independent_of_feature_is_flat() -> None:
    df = _data()
    out = partial_dependence(
        lambda f: f["income"].to_numpy() * 2.0, df, "age", grid_resolution=10, label_headers=["y"]
    )
    preds = out["model_predictions"][0]
    assert len(preds) == 10
    np.testing.assert_allclose(preds, np.mean(df["income"] * 2.0), rtol=0, atol=TOL)


def test_age_buckets_match_contract_example_and_count_max_rows() -> None:
    # Age 17–90 in 25 buckets ⇒ mid-points 18.46, 21.38, …, 88.54 (§6.10).
    ages = pd.DataFrame({"Age": [17, 90, 90, 90, 50, 17.0 + 2.92, 60]})
    out = partial_dependence(
        lambda f: np.zeros(len(f)), ages, "Age", grid_resolution=25, label_headers=["l"]
    )
    values, dist = out["feature_values"], out["data_distribution"]
    assert len(values) == len(dist) == 25
    assert values[0] == pytest.approx(18.46, abs=1e-9)
    assert values[1] == pytest.approx(21.38, abs=1e-9)
    assert values[-1] == pytest.approx(88.54, abs=1e-9)
    assert sum(dist) == pytest.approx(1.0, abs=1e-12)
    # The three rows at the maximum are in the (right-closed) last bucket, not dropped.
    assert dist[-1] == pytest.approx(3 / 7)
    # A row exactly on an inner edge belongs to the bucket on its right.
    assert dist[1] == pytest.approx(1 / 7)
    # Empty buckets are kept with 0.
    assert dist.count(0.0) == 25 - 5


def test_integer_column_gets_fractional_midpoints_in_the_model() -> None:
    df = pd.DataFrame({"a": [0, 1, 2, 3], "b": [1, 1, 1, 1]})
    seen: list[np.ndarray] = []

    def model(f: pd.DataFrame) -> np.ndarray:
        seen.append(f["a"].to_numpy())
        return f["a"].to_numpy(dtype=float)

    out = partial_dependence(model, df, "a", grid_resolution=2, label_headers=["y"])
    assert out["feature_values"] == [0.75, 2.25]
    assert out["model_predictions"] == [[0.75, 2.25]]
    assert seen[0].dtype == np.float64


def test_constant_column_is_one_bucket() -> None:
    df = pd.DataFrame({"c": [5, 5, 5], "x": [1.0, 2.0, 3.0]})
    out = partial_dependence(
        lambda f: f["c"] + f["x"], df, "c", grid_resolution=20, label_headers=["y"]
    )
    assert out["feature_values"] == [5.0]
    assert out["data_distribution"] == [1.0]
    assert out["model_predictions"] == [[pytest.approx(7.0)]]


def test_categorical_order_by_frequency_ties_first_appearance() -> None:
    df = pd.DataFrame(
        {"color": ["b", "a", "c", "a", "c", "d", "a"], "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}
    )
    score = {"a": 10.0, "b": 20.0, "c": 30.0, "d": 40.0}
    out = partial_dependence(
        lambda f: f["color"].map(score).to_numpy() + f["x"].to_numpy(),
        df,
        "color",
        grid_resolution=15,
        label_headers=["y"],
    )
    assert out["data_type"] == "categorical"
    # a×3, then c×2, then b and d (×1) in order of first appearance.
    assert out["feature_values"] == ["a", "c", "b", "d"]
    assert out["data_distribution"] == pytest.approx([3 / 7, 2 / 7, 1 / 7, 1 / 7])
    assert out["model_predictions"][0] == pytest.approx([14.0, 34.0, 24.0, 44.0])


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([True, False, True, True]),
        pd.Series(["x", "y", "x", "x"], dtype="category"),
        pd.Series(["x", "y", "x", "x"], dtype="string"),
    ],
    ids=["bool", "category", "string"],
)
def test_bool_category_string_are_categorical_and_keep_dtype(column: pd.Series) -> None:
    df = pd.DataFrame({"f": column, "x": [1.0, 2.0, 3.0, 4.0]})
    dtypes: list[Any] = []

    def model(f: pd.DataFrame) -> np.ndarray:
        dtypes.append(f["f"].dtype)
        return f["x"].to_numpy()

    out = partial_dependence(model, df, "f", grid_resolution=5, label_headers=["y"])
    assert out["data_type"] == "categorical"
    assert out["data_distribution"] == [0.75, 0.25]
    assert dtypes == [column.dtype]
    assert json.loads(json.dumps(out)) == out


def test_free_text_error_object_exactly() -> None:
    df = pd.DataFrame(
        {
            "review": [
                "the food was great and cheap",
                "terrible service, never again",
                "ok I guess for the price",
                "would come back with friends",
            ],
            "x": [1.0, 2.0, 3.0, 4.0],
        }
    )
    model = CountingModel(lambda f: f["x"].to_numpy())
    out = partial_dependence(model, df, "review", grid_resolution=5, label_headers=["y"])
    assert out == {
        "feature_name": "review",
        "data_type": "free_text",
        "error": (
            "Detected data type is not supported for PDP. PDP can only be computed for "
            "numerical or categorical columns"
        ),
    }
    assert out["error"] == FREE_TEXT_ERROR
    assert model.calls == []


def test_free_text_rule_needs_both_length_and_cardinality() -> None:
    assert not is_free_text(pd.Series(["New York City", "San Jose CA"] * 5))  # repeated
    assert not is_free_text(pd.Series([f"id{i}" for i in range(10)]))  # distinct, 1 token
    assert is_free_text(pd.Series([f"word {i} here" for i in range(10)]))
    assert not is_free_text(pd.Series([None, np.nan], dtype=object))
    assert detect_data_type(pd.Series(pd.date_range("2020", periods=3))) == "free_text"
    assert detect_data_type(pd.Series([1, 2], dtype="Int64")) == "numerical"


def test_multi_output_shape() -> None:
    df = _data(50)

    def model(f: pd.DataFrame) -> np.ndarray:
        s = 1.0 / (1.0 + np.exp(-(f["hours"].to_numpy() - 40.0) / 10.0))
        return np.column_stack([1.0 - s, s])

    out = partial_dependence(model, df, "hours", grid_resolution=7, label_headers=["no", "yes"])
    preds = out["model_predictions"]
    assert len(preds) == 2 and all(len(p) == 7 for p in preds)
    np.testing.assert_allclose(np.add(preds[0], preds[1]), 1.0, rtol=0, atol=TOL)
    assert preds[1] == sorted(preds[1])  # increasing in hours
    assert out["label_headers"] == ["no", "yes"]


@pytest.mark.parametrize(
    ("budget", "expected_calls"),
    [
        (1_000_000, [15 * 40]),  # default: every grid point in one call
        (100, [100] * 6),  # copies split across calls
        (7, [7] * 85 + [5]),  # budget not dividing the row count
    ],
)
def test_calls_respect_the_row_budget(budget: int, expected_calls: list[int]) -> None:
    df = _data(40)
    model = CountingModel(_linear)
    out = partial_dependence(
        model, df, "age", grid_resolution=15, label_headers=["y"], max_rows_per_call=budget
    )
    assert model.calls == expected_calls
    reference = partial_dependence(_linear, df, "age", grid_resolution=15, label_headers=["y"])
    np.testing.assert_allclose(
        out["model_predictions"], reference["model_predictions"], rtol=0, atol=TOL
    )


def test_missing_values_excluded_from_distribution_not_from_predictions() -> None:
    df = pd.DataFrame({"a": [0.0, np.nan, 10.0, 10.0, np.inf], "c": ["u", None, "v", "u", "u"]})
    out = partial_dependence(
        lambda f: f["a"].to_numpy(dtype=float) * 0 + 1.0,
        df,
        "a",
        grid_resolution=2,
        label_headers=["y"],
    )
    assert out["feature_values"] == [2.5, 7.5]
    assert out["data_distribution"] == [pytest.approx(1 / 3), pytest.approx(2 / 3)]
    model = CountingModel(lambda f: np.ones(len(f)))
    cat = partial_dependence(model, df, "c", grid_resolution=2, label_headers=["y"])
    assert cat["feature_values"] == ["u", "v"]
    assert cat["data_distribution"] == [0.75, 0.25]
    assert model.calls == [10]  # every row, the missing one included, for each value


def test_all_missing_column_gives_empty_curves_without_calling_model() -> None:
    df = pd.DataFrame({"a": [np.nan, np.nan], "x": [1.0, 2.0]})
    model = CountingModel(lambda f: np.ones((len(f), 2)))
    out = partial_dependence(model, df, "a", grid_resolution=5, label_headers=["p", "q"])
    assert out["feature_values"] == [] and out["data_distribution"] == []
    assert out["model_predictions"] == [[], []]
    assert model.calls == []


def test_output_is_plain_json_types() -> None:
    df = pd.DataFrame({"n": np.arange(10, dtype=np.int32), "k": np.arange(10) % 3})
    df["k"] = df["k"].astype("category")
    for feat in ("n", "k"):
        out = partial_dependence(
            lambda f: f["n"].to_numpy(dtype=float), df, feat, grid_resolution=4, label_headers=["y"]
        )
        for key in ("feature_values", "data_distribution"):
            assert all(type(v) in (int, float, str, bool) for v in out[key])
        assert all(type(v) is float for row in out["model_predictions"] for v in row)
        assert json.loads(json.dumps(out)) == out


def test_argument_and_model_errors() -> None:
    df = _data(5)
    with pytest.raises(KeyError, match="nope"):
        partial_dependence(_linear, df, "nope", grid_resolution=3, label_headers=["y"])
    with pytest.raises(ValueError, match="grid_resolution"):
        partial_dependence(_linear, df, "age", grid_resolution=0, label_headers=["y"])
    with pytest.raises(ValueError, match="max_rows_per_call"):
        partial_dependence(
            _linear, df, "age", grid_resolution=3, label_headers=["y"], max_rows_per_call=0
        )
    with pytest.raises(ValueError, match="label_headers"):
        partial_dependence(_linear, df, "age", grid_resolution=3, label_headers=["y", "z"])
    with pytest.raises(ValueError, match="one row of scores"):
        partial_dependence(lambda f: np.ones(3), df, "age", grid_resolution=3, label_headers=["y"])
