"""Flip Test (FT): the one post-training metric that needs neighbours.

smclarify fits scikit-learn's ``KNeighborsClassifier`` (uniform weights,
Minkowski p=2, leaf size 30, ``algorithm="auto"``) on group ``a``'s feature
rows with the model's predicted labels as targets and predicts group ``d``.
Our answer is scikit-learn's answer, ties included, but computed faster:

1. Every ``d`` row is first queried for its ``k + 1`` nearest ``a`` rows with
   SciPy's ``cKDTree`` on all cores.  When the k-th and (k+1)-th distances
   differ (beyond a relative 1e-9, far above rounding noise), the set of the
   ``k`` nearest rows is unique, so every exact k-NN — scikit-learn's
   included — sees the same neighbours and the same majority vote (k is 1 or
   5, so binary votes never tie).
2. Where they do not differ (a tie at the k-th place, common with
   integer-valued features) we look at every row tied at that distance: if
   all ways of breaking the tie give the same majority, that is the answer;
   only the rest is answered by scikit-learn's own estimator with smclarify's
   parameters (identical rows queried once).
3. Where scikit-learn would not use its k-d tree (more than 15 features, or
   ``k ≥ n_a / 2``: brute force, whose rounding can reorder neighbours) or
   would reject the data (NaN, infinity, no feature column), scikit-learn
   answers everything, so its answers and error texts are reported verbatim.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .common import MetricFailure, divide

#: k of the k-NN and the a-size below which k falls back to 1 (smclarify).
DEFAULT_NEIGHBOURS = 5
MIN_NEIGHBOURS = 1
SMALL_GROUP_THRESHOLD = 9
#: Relative gap below which the k-th and (k+1)-th neighbour distances are
#: treated as tied and the row is handed to scikit-learn (rounding noise of
#: either implementation is ~1e-15 relative, far below this).
TIE_TOLERANCE = 1e-9
#: Leaf size of the (sliding-midpoint) tree that only orders the d queries:
#: it builds faster than a fine one and, measured on 1M rows, orders the
#: queries as well as leaves of 16 or 256 rows or a median-split tree.
QUERY_ORDER_LEAF_SIZE = 64


def numeric_feature_matrix(features: pd.DataFrame) -> npt.NDArray[np.float64] | None:
    """Feature rows as float64, or ``None`` when a column is not numeric/bool.

    ``None`` makes FT fail with smclarify's "FlipTest does not support
    non-numeric columns" (checked after the empty-group checks, as there).
    """
    numeric = features.select_dtypes([np.number, bool])
    if len(numeric.columns) != len(features.columns):
        return None
    return np.asarray(features.to_numpy(dtype=np.float64, na_value=np.nan))


def sklearn_uses_kd_tree(n_rows: int, n_features: int, k: int) -> bool:
    """Whether ``KNeighborsClassifier(algorithm="auto")`` picks its k-d tree.

    scikit-learn switches to brute force above 15 features or when
    ``k >= n_rows // 2``.  Brute force computes distances as
    ``‖x‖² − 2x·y + ‖y‖²``, whose rounding can reorder neighbours, so only the
    k-d tree case (exact distances, like ``cKDTree``) may be answered by our
    fast path; ``tests/bias`` checks this rule against scikit-learn itself.
    """
    return 0 < n_features <= 15 and k < n_rows // 2


def _sklearn_vote(
    rows_a: npt.NDArray[np.float64],
    targets: npt.NDArray[np.bool_],
    queries: npt.NDArray[np.float64],
    k: int,
    n_jobs: int | None,
) -> npt.NDArray[np.bool_]:
    """scikit-learn's prediction with smclarify's parameters (distinct rows once)."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(
        n_neighbors=k,
        weights="uniform",
        algorithm="auto",
        leaf_size=30,
        p=2,
        metric="minkowski",
        n_jobs=n_jobs,
    )
    knn.fit(rows_a, targets)
    if queries.shape[1] > 0 and len(queries) > 1 and np.isfinite(queries).all():
        distinct, inverse = np.unique(queries, axis=0, return_inverse=True)
        return np.asarray(knn.predict(distinct), dtype=bool)[inverse.reshape(-1)]
    return np.asarray(knn.predict(queries), dtype=bool)


def _neighbour_vote(
    rows_a: npt.NDArray[np.float64],
    targets: npt.NDArray[np.bool_],
    rows_d: npt.NDArray[np.float64],
    k: int,
    n_jobs: int | None,
) -> npt.NDArray[np.bool_]:
    """Majority vote of the k nearest ``a`` rows for every ``d`` row."""
    usable = (
        sklearn_uses_kd_tree(rows_a.shape[0], rows_a.shape[1], k)
        and len(rows_a) > k
        and np.isfinite(rows_a).all()
        and np.isfinite(rows_d).all()
    )
    if not usable:
        return _sklearn_vote(rows_a, targets, rows_d, k, n_jobs)
    from scipy.spatial import cKDTree

    tree = cKDTree(rows_a, leafsize=32, balanced_tree=False, compact_nodes=False)
    # Query the d rows in spatial order (the leaf order of a k-d tree built on
    # them): consecutive queries then walk the same nodes and leaves of the
    # ``a`` tree while they are in cache.  On 1M rows that is 2-3x faster than
    # the given row order.  Each row's answer does not depend on the other
    # queries, so the results are the same bits; only the vote is put back.
    order = cKDTree(
        rows_d, leafsize=QUERY_ORDER_LEAF_SIZE, balanced_tree=False, compact_nodes=False
    ).indices
    queries = rows_d[order]
    distances, indices = tree.query(
        queries, k=k + 1, workers=-1 if n_jobs in (None, -1) else n_jobs
    )
    votes = targets[indices[:, :k]].sum(axis=1)
    vote = votes * 2 > k
    kth, next_ = distances[:, k - 1], distances[:, k]
    tied = np.flatnonzero((next_ - kth) <= TIE_TOLERANCE * np.maximum(next_, 1.0))
    if len(tied):
        undecided = []
        for row in tied:
            decided = _vote_if_tie_is_harmless(
                tree, rows_a, targets, queries[row], float(kth[row]), k
            )
            if decided is None:
                undecided.append(row)
            else:
                vote[row] = decided
        if undecided:
            vote[undecided] = _sklearn_vote(rows_a, targets, queries[undecided], k, n_jobs)
    in_row_order = np.empty(len(vote), dtype=bool)
    in_row_order[order] = vote
    return in_row_order


def _vote_if_tie_is_harmless(
    tree: Any,
    rows_a: npt.NDArray[np.float64],
    targets: npt.NDArray[np.bool_],
    query: npt.NDArray[np.float64],
    kth: float,
    k: int,
) -> bool | None:
    """The vote when every way of breaking the tie gives the same majority.

    With ``m`` rows strictly closer than the k-th distance and a set ``T`` of
    rows tied at it, any exact k-NN takes ``k − m`` rows of ``T``.  If the
    majority is the same for the fewest and the most positive choices, it is
    the same for all of them — scikit-learn's included — and we return it;
    otherwise ``None`` (ask scikit-learn).
    """
    tolerance = TIE_TOLERANCE * max(kth, 1.0)
    candidates = np.asarray(tree.query_ball_point(query, r=kth + tolerance), dtype=np.int64)
    distance = np.sqrt(((rows_a[candidates] - query) ** 2).sum(axis=1))
    closer = candidates[distance < kth - tolerance]
    at_boundary = candidates[np.abs(distance - kth) <= tolerance]
    take = k - len(closer)
    if take <= 0 or take > len(at_boundary):
        return None  # inconsistent with the k-NN query: let scikit-learn decide
    positive_closer = int(targets[closer].sum())
    positive_tied = int(targets[at_boundary].sum())
    fewest = positive_closer + max(0, take - (len(at_boundary) - positive_tied))
    most = positive_closer + min(take, positive_tied)
    if (fewest * 2 > k) == (most * 2 > k):
        return most * 2 > k
    return None


def flip_test(
    matrix: npt.NDArray[np.float64] | None,
    d: npt.NDArray[np.bool_],
    yhat: npt.NDArray[np.bool_],
    n_jobs: int | None = None,
) -> float:
    """FT for one facet group; see :func:`openclarify.bias.posttraining.flip_test`."""
    n_d = int(d.sum())
    if n_d == 0:
        raise MetricFailure("Facet set is empty")
    if n_d == len(d):
        raise MetricFailure("Negated Facet set is empty")
    if matrix is None:
        raise MetricFailure("FlipTest does not support non-numeric columns")

    # ``compress`` copies the selected rows ~3x faster than ``matrix[mask]``
    # (same values, same C-contiguous float64 layout).
    rows_a, rows_d = matrix.compress(~d, axis=0), matrix.compress(d, axis=0)
    targets = yhat[~d]
    k = DEFAULT_NEIGHBOURS if len(rows_a) > SMALL_GROUP_THRESHOLD else MIN_NEIGHBOURS
    try:
        neighbour_vote = _neighbour_vote(rows_a, targets, rows_d, k, n_jobs)
    except ValueError as exc:
        raise MetricFailure(str(exc)) from exc
    model_d = yhat[d]
    flipped_up = int(np.count_nonzero(model_d & ~neighbour_vote))
    flipped_down = int(np.count_nonzero(~model_d & neighbour_vote))
    return divide(flipped_up - flipped_down, n_d)
