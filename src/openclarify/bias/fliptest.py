"""Flip Test (FT): the one post-training metric that needs neighbours.

smclarify fits scikit-learn's ``KNeighborsClassifier`` (uniform weights,
Minkowski p=2, leaf size 30, ``algorithm="auto"``) on group ``a``'s feature
rows with the model's predicted labels as targets and predicts group ``d``.
We call the same estimator with the same parameters on the same float64 rows,
so neighbour choice — ties included — is scikit-learn's own.  Two things make
it faster without changing any answer:

* identical ``d`` rows get identical neighbours, so only distinct rows are
  queried (the tree is deterministic per query point);
* queries run on all cores (``n_jobs``); each query is independent.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from .common import MetricFailure, divide

#: k of the k-NN and the a-size below which k falls back to 1 (smclarify).
DEFAULT_NEIGHBOURS = 5
MIN_NEIGHBOURS = 1
SMALL_GROUP_THRESHOLD = 9


def numeric_feature_matrix(features: pd.DataFrame) -> npt.NDArray[np.float64] | None:
    """Feature rows as float64, or ``None`` when a column is not numeric/bool.

    ``None`` makes FT fail with smclarify's "FlipTest does not support
    non-numeric columns" (checked after the empty-group checks, as there).
    """
    numeric = features.select_dtypes([np.number, bool])
    if len(numeric.columns) != len(features.columns):
        return None
    return np.asarray(features.to_numpy(dtype=np.float64, na_value=np.nan))


def flip_test(
    matrix: npt.NDArray[np.float64] | None,
    d: npt.NDArray[np.bool_],
    yhat: npt.NDArray[np.bool_],
    n_jobs: int | None = None,
) -> float:
    """FT for one facet group; see :func:`openclarify.bias.posttraining.flip_test`."""
    from sklearn.neighbors import KNeighborsClassifier

    n_d = int(d.sum())
    if n_d == 0:
        raise MetricFailure("Facet set is empty")
    if n_d == len(d):
        raise MetricFailure("Negated Facet set is empty")
    if matrix is None:
        raise MetricFailure("FlipTest does not support non-numeric columns")

    rows_a, rows_d = matrix[~d], matrix[d]
    neighbours = DEFAULT_NEIGHBOURS if len(rows_a) > SMALL_GROUP_THRESHOLD else MIN_NEIGHBOURS
    knn = KNeighborsClassifier(
        n_neighbors=neighbours,
        weights="uniform",
        algorithm="auto",
        leaf_size=30,
        p=2,
        metric="minkowski",
        n_jobs=n_jobs,
    )
    try:
        knn.fit(rows_a, yhat[~d])
        if rows_d.shape[1] > 0 and not np.isnan(rows_d).any():
            distinct, inverse = np.unique(rows_d, axis=0, return_inverse=True)
            neighbour_vote = knn.predict(distinct)[inverse.reshape(-1)]
        else:  # let scikit-learn report the problem in its own words
            neighbour_vote = knn.predict(rows_d)
    except ValueError as exc:
        raise MetricFailure(str(exc)) from exc
    model_d = yhat[d]
    flipped_up = int(np.count_nonzero(model_d & ~neighbour_vote.astype(bool)))
    flipped_down = int(np.count_nonzero(~model_d & neighbour_vote.astype(bool)))
    return divide(flipped_up - flipped_down, n_d)
