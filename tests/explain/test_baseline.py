"""The clustered SHAP baseline (contract §6.2): shape, determinism, types and modes.

Tolerance for the blob centres: each blob has ``BLOB_ROWS`` points with unit
standard deviation per axis, so a recovered centre (the blob's sample mean) has
a standard error of ``1 / sqrt(BLOB_ROWS) ≈ 0.07``; ``CENTRE_TOL = 0.5`` is
about seven standard errors (never fails by chance) and still far below the
blob separation of 10 (any mis-assignment or lost standardisation shows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openclarify.errors import AnalysisError, ConfigError
from openclarify.explain.baseline import NUM_CLUSTERS_PATH, compute_baseline

BLOB_ROWS = 200
CENTRE_TOL = 0.5  # see module docstring
TRUE_CENTRES = np.array([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0]])


def _blobs(seed: int = 1) -> pd.DataFrame:
    """Three unit-variance blobs; the second axis is in thousands to test scaling."""
    rng = np.random.default_rng(seed)
    points = np.vstack([c + rng.standard_normal((BLOB_ROWS, 2)) for c in TRUE_CENTRES])
    return pd.DataFrame({"a": points[:, 0], "b": points[:, 1] * 1000.0})


def _by_position(centres: np.ndarray) -> np.ndarray:
    """Order centres by their coarse (5-unit grid) position, immune to the noise."""
    coarse = np.round(centres / 5.0)
    return centres[np.lexsort((coarse[:, 0], coarse[:, 1]))]


def _sorted_centres(frame: pd.DataFrame) -> np.ndarray:
    return _by_position(frame[["a", "b"]].to_numpy(dtype=float) / np.array([1.0, 1000.0]))


def test_deterministic_for_a_seed() -> None:
    data = _blobs()
    first = compute_baseline(data, num_clusters=4, seed=7)
    second = compute_baseline(data, num_clusters=4, seed=7)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_given_k_gives_exactly_k_rows(k: int) -> None:
    result = compute_baseline(_blobs(), num_clusters=k, seed=0)
    assert result.shape == (k, 2)
    assert list(result.columns) == ["a", "b"]
    assert list(result.index) == list(range(k))


def test_blob_centres_and_automatic_k() -> None:
    expected = _by_position(TRUE_CENTRES)
    given = compute_baseline(_blobs(), num_clusters=3, seed=0)
    np.testing.assert_allclose(_sorted_centres(given), expected, atol=CENTRE_TOL)
    chosen = compute_baseline(_blobs(), num_clusters=None, seed=0)
    assert len(chosen) == 3
    np.testing.assert_allclose(_sorted_centres(chosen), expected, atol=CENTRE_TOL)


def test_one_cluster_is_the_column_mean() -> None:
    data = _blobs()
    result = compute_baseline(data, num_clusters=1, seed=0)
    np.testing.assert_allclose(result.iloc[0].to_numpy(dtype=float), data.mean().to_numpy())


def _mixed() -> pd.DataFrame:
    """Two groups far apart in ``x``; ``colour`` has a known mode in each group."""
    low = ["red"] * 6 + ["blue"] * 4
    high = ["green"] * 7 + ["red"] * 3
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 0.1, 10), rng.normal(100, 0.1, 10)])
    return pd.DataFrame({"x": x, "colour": low + high})


def test_categorical_takes_the_within_cluster_mode() -> None:
    data = _mixed()
    result = compute_baseline(data, num_clusters=2, seed=0).sort_values("x")
    assert result["colour"].tolist() == ["red", "green"]
    np.testing.assert_allclose(result["x"], [data["x"][:10].mean(), data["x"][10:].mean()])
    assert result["colour"].dtype == data["colour"].dtype


def test_categorical_is_never_a_mean_and_keeps_its_dtype() -> None:
    data = _mixed().assign(colour=lambda d: d["colour"].astype("category"))
    data["level"] = pd.Series([1, 2, 3, 4] * 5).astype(str)  # numbers as strings
    for k in (1, 2, 3, None):
        result = compute_baseline(data, num_clusters=k, seed=0)
        assert set(result["colour"]) <= set(data["colour"])
        assert set(result["level"]) <= set(data["level"])
        assert result["colour"].dtype == data["colour"].dtype


def test_mode_ties_go_to_the_first_value_as_str() -> None:
    data = pd.DataFrame({"c": ["b", "a", "b", "a", "c"]})
    result = compute_baseline(data, num_clusters=1, seed=0)
    assert result["c"].tolist() == ["a"]


def test_all_categorical_data() -> None:
    data = pd.DataFrame(
        {"c": ["u"] * 8 + ["v"] * 8, "d": ["p"] * 7 + ["q"] + ["r"] * 7 + ["s"]},
    )
    result = compute_baseline(data, num_clusters=2, seed=0).sort_values("c")
    assert result.to_dict("list") == {"c": ["u", "v"], "d": ["p", "r"]}


def test_int_and_bool_columns_stay_valid_inputs() -> None:
    rng = np.random.default_rng(5)
    data = pd.DataFrame(
        {
            "age": rng.integers(18, 90, 300).astype(np.int64),
            "small": rng.integers(0, 200, 300).astype(np.uint8),
            "flag": rng.random(300) < 0.3,
            "income": rng.normal(5e4, 1e4, 300).astype(np.float32),
        }
    )
    result = compute_baseline(data, num_clusters=3, seed=0)
    assert result.dtypes.to_dict() == data.dtypes.to_dict()
    assert result["age"].between(18, 89).all()
    income = result["income"].to_numpy(dtype=float)
    assert np.abs(income - np.rint(income)).max() > 1e-3  # float centres are not rounded


@pytest.mark.parametrize("k", [None, 1])
def test_single_row_and_constant_data(k: int | None) -> None:
    one = pd.DataFrame({"x": [1.5], "n": [3], "c": ["z"]})
    pd.testing.assert_frame_equal(compute_baseline(one, num_clusters=k, seed=0), one)
    constant = pd.concat([one] * 40, ignore_index=True)
    pd.testing.assert_frame_equal(compute_baseline(constant, num_clusters=k, seed=0), one)


def test_too_many_clusters_is_a_config_error() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0, 2.0, 1.0], "c": ["a", "b", "b", "a"]})
    with pytest.raises(ConfigError) as caught:
        compute_baseline(data, num_clusters=3, seed=0)
    assert caught.value.where == NUM_CLUSTERS_PATH
    assert str(caught.value).startswith(
        "$.methods.shap.num_clusters: num_clusters is 3 but the data has only 2 distinct rows"
    )
    assert "Use at most 2 clusters" in str(caught.value)


def test_bad_num_clusters_and_empty_data() -> None:
    with pytest.raises(ConfigError, match=r"at least 1"):
        compute_baseline(_blobs(), num_clusters=0, seed=0)
    with pytest.raises(AnalysisError, match=r"0 rows"):
        compute_baseline(pd.DataFrame({"x": []}), num_clusters=None, seed=0)


def test_missing_values_are_imputed_with_the_mean() -> None:
    data = pd.DataFrame({"x": [1.0, np.nan, 3.0, 5.0], "n": pd.array([1, None, 3, 5], "Int64")})
    result = compute_baseline(data, num_clusters=1, seed=0)
    assert result["x"].tolist() == [3.0]
    assert result["n"].tolist() == [3]
    assert result["n"].dtype == data["n"].dtype


def test_large_data_is_sampled_deterministically() -> None:
    data = pd.concat([_blobs(seed=s) for s in range(3)], ignore_index=True)  # 1,800 rows
    first = compute_baseline(data, num_clusters=3, seed=11, max_rows=300)
    second = compute_baseline(data, num_clusters=3, seed=11, max_rows=300)
    pd.testing.assert_frame_equal(first, second)
    expected = _by_position(TRUE_CENTRES)
    # 100 points per blob on average: standard error 0.1, so the same tolerance holds.
    np.testing.assert_allclose(_sorted_centres(first), expected, atol=CENTRE_TOL)
