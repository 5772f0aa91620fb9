"""The Flip Test on Spark: the count tasks' rows of the feature columns, gathered on the driver."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...bias.fliptest import numeric_feature_matrix
from ..decide import Rules


@dataclass(frozen=True)
class _FlipRows:
    """The feature columns FT reads: all of them, and which are numeric or bool.

    FT's matrix for a facet holds every feature column but that facet
    (:class:`openclarify.bias.analysis._FlipTestRows`); when one of them is not
    numeric, FT fails with smclarify's message, as in memory.
    """

    features: list[str]
    numeric: list[str]  # the numeric / bool ones, gathered to the driver


def _flip_rows(features: list[str], dtypes: dict[str, Any]) -> _FlipRows:
    empty = pd.DataFrame({name: pd.Series([], dtype=dtypes[name]) for name in features})
    numeric = set(empty.select_dtypes([np.number, bool]).columns)
    return _FlipRows(features, [name for name in features if name in numeric])


@dataclass
class _FlipPart:
    matrix: npt.NDArray[np.float64]  # one task's rows of the numeric feature columns
    yhat: npt.NDArray[np.bool_]
    groups: list[npt.NDArray[np.int64]]  # per facet: the facet group of every row (-1: none)


def _flip_part(rules: Rules, rows: _FlipRows, batch: pd.DataFrame) -> _FlipPart:
    """FT's rows of one batch."""
    matrix = numeric_feature_matrix(batch[rows.numeric])
    assert matrix is not None  # numeric by the whole-dataset dtypes
    prediction, predicted = rules.prediction, rules.columns.predicted
    if prediction is not None and prediction.mask is not None and predicted is not None:
        yhat = prediction.mask(batch[predicted])
    else:  # a failed prediction rule: FT is never computed (finish_sections)
        yhat = np.zeros(len(batch), dtype=bool)
    groups = []
    for facet in rules.facets:
        column = batch[facet.name]
        if facet.mask is not None:
            groups.append(np.where(facet.mask(column), 0, -1).astype(np.int64))
            continue
        assert facet.codes is not None
        codes = facet.codes(column)
        # group g holds the rows whose code is groups[g].code; the missing-value
        # group holds none (NaN never equals NaN, as in memory)
        index = np.full(facet.n_values + 1, -1, dtype=np.int64)
        for g, group in enumerate(facet.groups):
            if group.code is not None and group.code >= 0:
                index[group.code] = g
        groups.append(index[np.where(codes >= 0, codes, facet.n_values)])
    return _FlipPart(matrix, yhat, groups)


def _joined(parts: list[_FlipPart], n_features: int, n_facets: int) -> _FlipPart:
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return _FlipPart(np.empty((0, n_features)), np.empty(0, dtype=bool), [empty] * n_facets)
    return _FlipPart(
        np.concatenate([p.matrix for p in parts]),
        np.concatenate([p.yhat for p in parts]),
        [np.concatenate([p.groups[i] for p in parts]) for i in range(n_facets)],
    )


def _flips(rules: Rules, rows: _FlipRows, parts: list[_FlipPart]) -> list[list[Callable[[], Any]]]:
    """FT per facet group: :func:`openclarify.bias.fliptest.flip_test` on the driver."""
    from ...bias.fliptest import flip_test

    joined = _joined(parts, len(rows.numeric), len(rules.facets))
    yhat, whole = joined.yhat, joined.matrix
    out: list[list[Callable[[], Any]]] = []
    for i, facet in enumerate(rules.facets):
        groups = joined.groups[i]
        others = [name for name in rows.features if name != facet.name]
        matrix = None
        if all(name in rows.numeric for name in others):
            keep = [j for j, name in enumerate(rows.numeric) if name != facet.name]
            matrix = np.ascontiguousarray(whole[:, keep])
        out.append(
            [
                functools.partial(flip_test, matrix, groups == g, yhat, n_jobs=-1)
                for g in range(len(facet.groups))
            ]
        )
    return out
