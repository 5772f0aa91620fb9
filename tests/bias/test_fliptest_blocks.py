"""FT's fast path in pieces: the feature matrix, query blocks, tie blocks, the release of rows.

The blocks only bound memory; these tests shrink them to a few rows so that
every boundary is crossed on small data, and check the votes are still
scikit-learn's row by row (the oracle smclarify uses).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from openclarify.bias import fliptest
from openclarify.bias.analysis import _FlipTestRows
from openclarify.data.table import BiasTable


def _tied_grid(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer grid rows (many ties at the k-th distance, many identical queries) + continuous rows."""
    rng = np.random.default_rng(seed)
    matrix = np.column_stack([rng.integers(0, 4, n), rng.integers(0, 3, n), rng.normal(size=n)])
    matrix[: n // 2, 2] = 0.0
    matrix = matrix[rng.permutation(n)]
    return matrix, rng.random(n) < 0.4, rng.random(n) < 0.5


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("query_block", "tie_block"), [(7, 1), (64, 50), (1 << 16, 1 << 18)])
def test_votes_are_scikit_learns_whatever_the_block_sizes(
    seed: int, query_block: int, tie_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fliptest, "QUERY_BLOCK", query_block)
    monkeypatch.setattr(fliptest, "TIE_CANDIDATE_BLOCK", tie_block)
    matrix, d, yhat = _tied_grid(seed)
    knn = KNeighborsClassifier(n_neighbors=5, weights="uniform", p=2, leaf_size=30)
    expected = np.asarray(knn.fit(matrix[~d], yhat[~d]).predict(matrix[d]), dtype=bool)
    for n_jobs in (1, 2):  # sequential and concurrent tree builds
        votes = fliptest._neighbour_vote(matrix[~d], yhat[~d], matrix[d], 5, n_jobs)
        assert np.array_equal(votes, expected)


def test_ties_are_resolved_without_scikit_learn_when_harmless(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a grid where every tie is harmless, scikit-learn is never asked."""
    # a rows: every grid point once, all positive; d rows: grid points, so each
    # edge and corner query ties at the k-th distance (10 of the 18), but any
    # choice of tied rows is positive
    grid = np.array([(x, y) for x in range(6) for y in range(6)], dtype=np.float64)
    rows_a, rows_d = grid, grid[::2] + 0.0
    targets = np.ones(len(rows_a), dtype=bool)

    def refuse(*args: object) -> None:
        raise AssertionError("scikit-learn asked for a harmless tie")

    monkeypatch.setattr(fliptest, "_sklearn_vote", refuse)
    votes = fliptest._neighbour_vote(rows_a, targets, rows_d, 5, 1)
    assert votes.all()


def test_feature_matrix_is_row_major_with_pandas_values() -> None:
    frame = pd.DataFrame(
        {
            "i": [1, 2, 3],
            "f32": np.array([0.1, np.nan, 2.5], np.float32),
            "b": [True, False, True],
            "I": pd.array([1, None, 3], dtype="Int64"),
            "F": pd.array([0.5, None, 1.5], dtype="Float64"),
            "B": pd.array([True, None, False], dtype="boolean"),
            "u": np.array([2**63 + 11, 1, 2], np.uint64),
        }
    )
    matrix = fliptest.numeric_feature_matrix(frame)
    assert matrix is not None
    assert matrix.flags.c_contiguous
    assert matrix.dtype == np.float64
    expected = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    assert np.array_equal(matrix, expected, equal_nan=True)
    assert fliptest.numeric_feature_matrix(frame.assign(s=["x", "y", "z"])) is None


def test_one_vs_rest_groups_share_the_matrix_until_the_last() -> None:
    """Each facet group's FT is the one computed from the whole matrix alone.

    The matrix is dropped after the last group has taken its rows; a group
    asking again (never done by the job) rebuilds it rather than failing.
    """
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame(
        {
            "g": rng.integers(0, 3, n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 5, n),
            "label": rng.integers(0, 2, n),
        }
    )
    yhat = rng.random(n) < 0.5
    table = BiasTable(
        frame=frame, label="label", predicted_label=None, group=None, feature_columns=["x", "y"]
    )
    masks = [frame["g"].to_numpy() == value for value in range(3)]
    rows = _FlipTestRows(table, ("g",), yhat, 1, len(masks))
    whole = frame[["x", "y"]].to_numpy(dtype=np.float64)
    expected = [fliptest.flip_test(whole, mask, yhat, n_jobs=1) for mask in masks]
    got = [rows.for_group(mask)() for mask in masks]
    assert got == expected
    assert rows.for_group(masks[0])() == expected[0]


def _rows_for(frame: pd.DataFrame, yhat: np.ndarray, groups: int) -> _FlipTestRows:
    features = [c for c in frame.columns if c not in ("g", "label")]
    table = BiasTable(
        frame=frame, label="label", predicted_label=None, group=None, feature_columns=features
    )
    return _FlipTestRows(table, ("g",), yhat, 1, groups)


def test_a_single_group_split_straight_from_the_frame_equals_the_matrix_path() -> None:
    rng = np.random.default_rng(4)
    n = 300
    frame = pd.DataFrame(
        {
            "g": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 5, n),
            "z": pd.array(rng.integers(0, 3, n), dtype="Int64"),
            "label": rng.integers(0, 2, n),
        }
    )
    yhat = rng.random(n) < 0.5
    d = frame["g"].to_numpy() == 1
    whole = fliptest.numeric_feature_matrix(frame[["x", "y", "z"]])
    assert whole is not None
    expected = fliptest.flip_test(whole, d, yhat, n_jobs=1)
    assert _rows_for(frame, yhat, 1).for_group(d)() == expected
    rows_a, rows_d = fliptest.split_features(frame[["x", "y", "z"]], d) or (None, None)
    assert np.array_equal(rows_a, whole[~d]) and np.array_equal(rows_d, whole[d])
    assert rows_a is not None and rows_a.flags.c_contiguous


@pytest.mark.parametrize("groups", [1, 2])
def test_an_empty_group_is_reported_before_non_numeric_features(groups: int) -> None:
    frame = pd.DataFrame({"g": [0, 0, 0], "s": ["a", "b", "c"], "label": [0, 1, 0]})
    yhat = np.array([True, False, True])
    rows = _rows_for(frame, yhat, groups)
    with pytest.raises(fliptest.MetricFailure, match=r"^Facet set is empty$"):
        rows.for_group(np.zeros(3, bool))()
    with pytest.raises(
        fliptest.MetricFailure, match=r"^FlipTest does not support non-numeric columns$"
    ):
        rows.for_group(np.array([True, False, False]))()
