"""Counts and column summaries merge associatively: any partition gives the same answer."""

from __future__ import annotations

import itertools
from functools import reduce

import numpy as np
import pandas as pd
import pytest

from openclarify.backend.summary import ColumnSummary, merge_summaries
from openclarify.bias.counts import ConfusionCounts, RowKeys
from openclarify.data.kinds import infer_kind


def _split(n: int, rng: np.random.Generator) -> list[slice]:
    cuts = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(1, 6)), replace=False))
    bounds = [0, *cuts.tolist(), n]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize("seed", range(10))
def test_counts_merge_in_any_grouping(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    d, y, yhat = (rng.random((3, n)) < [[0.3], [0.5], [0.6]]).astype(bool)
    codes = rng.integers(-1, 4, n)
    keys = (0, 1, 2, 3)
    whole = RowKeys.build(y, yhat, codes, keys).counts_for(d)
    parts = [RowKeys.build(y[s], yhat[s], codes[s], keys).counts_for(d[s]) for s in _split(n, rng)]
    left = reduce(lambda a, b: (a[0].merge(b[0]), a[1].merge(b[1])), parts)
    right = reduce(lambda a, b: (b[0].merge(a[0]), b[1].merge(a[1])), reversed(parts))
    for merged in (left, right):
        assert np.array_equal(merged[0].cells, whole[0].cells)
        assert merged[1].keys == whole[1].keys
        assert np.array_equal(merged[1].cells, whole[1].cells)
    assert int(whole[0].cells.sum()) == n


def test_confusion_merge_is_associative_and_commutative() -> None:
    rng = np.random.default_rng(3)
    a, b, c = (ConfusionCounts(rng.integers(0, 9, (2, 2, 2))) for _ in range(3))
    assert np.array_equal(a.merge(b).merge(c).cells, a.merge(b.merge(c)).cells)
    assert np.array_equal(a.merge(b).cells, b.merge(a).cells)


COLUMNS = {
    "small_int": lambda rng, n: pd.Series(rng.integers(0, 3, n)),
    "wide_int": lambda rng, n: pd.Series(rng.integers(0, n, n)),
    "text": lambda rng, n: pd.Series(rng.choice(["a", "b", None], n), dtype="str"),
    "numeric_text": lambda rng, n: pd.Series(rng.integers(0, n, n).astype(str), dtype="str"),
    "float": lambda rng, n: pd.Series(np.where(rng.random(n) < 0.1, np.nan, rng.random(n))),
    "bool": lambda rng, n: pd.Series(rng.random(n) < 0.5),
}


@pytest.mark.parametrize("column", sorted(COLUMNS))
@pytest.mark.parametrize("seed", range(4))
def test_summaries_decide_like_the_whole_column(column: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 300))
    series = COLUMNS[column](rng, n)
    parts = []
    for s in _split(n, rng):
        part = ColumnSummary(series.dtype, n, keep_order=True)
        part.update(series.iloc[s].reset_index(drop=True))
        parts.append(part)
    merged = reduce(merge_summaries, parts)
    streamed = ColumnSummary(series.dtype, n, keep_order=True)
    for s in _split(n, rng):
        streamed.update(series.iloc[s].reset_index(drop=True))
    for summary in (merged, streamed):
        assert summary.kind([1]) is infer_kind(series, [1])
        assert summary.kind(None) is infer_kind(series, None)
        order = summary.first_appearance()
        assert order is not None
        assert (
            order.astype(object).where(order.notna(), None).tolist()
            == (
                pd.Series(series.unique()).astype(object).where(pd.notna(series.unique()), None)
            ).tolist()
        )
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            assert summary.max_series().max() == series.max()
