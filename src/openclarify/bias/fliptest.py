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
   integer-valued features) we look at every row tied at that distance (one
   ball query for all distinct tied rows, counted with array operations): if
   all ways of breaking the tie give the same majority, that is the answer;
   only the rest is answered by scikit-learn's own estimator with smclarify's
   parameters (identical rows queried once).  That costs scikit-learn's import
   (~0.5 s) and a fit on the ``a`` rows, paid only when such a row exists.
3. Where scikit-learn would not use its k-d tree (more than 15 features, or
   ``k ≥ n_a / 2``: brute force, whose rounding can reorder neighbours) or
   would reject the data (NaN, infinity, no feature column), scikit-learn
   answers everything, so its answers and error texts are reported verbatim.

What a job pays for FT is therefore a k-d tree build on ``a``, one on ``d``
(built alongside, it only orders the queries) and the ``(k + 1)``-NN query;
``benchmarks/ft_bench.py`` prints FT beside that floor.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
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
#: ``d`` rows per k-NN query call: large enough that the per-call cost (thread
#: start-up) is noise, small enough that a block's results stay small (6 MB).
QUERY_BLOCK = 1 << 16


def _numeric(features: pd.DataFrame) -> bool:
    return len(features.select_dtypes([np.number, bool]).columns) == len(features.columns)


def _float_columns(features: pd.DataFrame) -> Iterator[npt.NDArray[np.float64]]:
    """Each column as ``DataFrame.to_numpy(dtype=float64, na_value=nan)`` gives it."""
    for position in range(len(features.columns)):
        column = features.iloc[:, position]
        yield column.to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_feature_matrix(features: pd.DataFrame) -> npt.NDArray[np.float64] | None:
    """Feature rows as a C-contiguous float64 matrix, or ``None`` when a column is not numeric/bool.

    ``None`` makes FT fail with smclarify's "FlipTest does not support
    non-numeric columns" (checked after the empty-group checks, as there).

    The values are ``DataFrame.to_numpy(dtype=float64, na_value=nan)``'s, but
    filled column by column into a row-major matrix: pandas hands back a
    column-major one, from which selecting the ``a`` and ``d`` rows costs
    ~10x more (every row gathered from five places), and the k-d tree wants
    rows contiguous anyway.
    """
    if not _numeric(features):
        return None
    matrix = np.empty((len(features), len(features.columns)), dtype=np.float64)
    for position, values in enumerate(_float_columns(features)):
        matrix[:, position] = values
    return matrix


def split_features(
    features: pd.DataFrame, d: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """``split_rows(numeric_feature_matrix(features), d)`` without the whole matrix.

    For a facet with one group, where the matrix would serve once: its rows
    go straight into the ``a`` and ``d`` matrices (same values), so the job
    never holds all three (40 MB less peak memory on 1M rows x 5 features).
    """
    if not _numeric(features):
        return None
    rows_a = np.empty((int(np.count_nonzero(~d)), len(features.columns)), dtype=np.float64)
    rows_d = np.empty((len(d) - len(rows_a), len(features.columns)), dtype=np.float64)
    for position, values in enumerate(_float_columns(features)):
        rows_a[:, position] = values.compress(~d)
        rows_d[:, position] = values.compress(d)
    return rows_a, rows_d


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
    workers = -1 if n_jobs in (None, -1) else n_jobs
    tree, order = _tree_and_query_order(rows_a, rows_d, parallel=workers != 1)
    queries = rows_d[order]
    vote = np.empty(len(queries), dtype=bool)
    tied_blocks = []
    positive = targets.view(np.uint8)  # 0/1 bytes, so the vote count is an integer sum
    # In blocks, so the (k+1)-NN distances and indices of only one block are
    # held at a time (2 x 8 x (k+1) bytes per row: 34 MB for 350k rows at once).
    for start in range(0, len(queries), QUERY_BLOCK):
        block = slice(start, start + QUERY_BLOCK)
        distances, indices = tree.query(queries[block], k=k + 1, workers=workers)
        vote[block] = positive[indices[:, :k]].sum(axis=1, dtype=np.int64) * 2 > k
        kth, next_ = distances[:, k - 1], distances[:, k]
        tied = np.flatnonzero((next_ - kth) <= TIE_TOLERANCE * np.maximum(next_, 1.0))
        tied_blocks.append((tied + start, kth[tied]))
    tied = np.concatenate([rows for rows, _ in tied_blocks]) if tied_blocks else np.empty(0, int)
    if len(tied):
        tied_kth = np.concatenate([distance for _, distance in tied_blocks])
        decided, tie_vote = _votes_if_ties_are_harmless(
            tree, rows_a, targets, queries[tied], tied_kth, k, workers
        )
        vote[tied[decided]] = tie_vote[decided]
        undecided = tied[~decided]
        if len(undecided):
            vote[undecided] = _sklearn_vote(rows_a, targets, queries[undecided], k, n_jobs)
    in_row_order = np.empty(len(vote), dtype=bool)
    in_row_order[order] = vote
    return in_row_order


def _tree_and_query_order(
    rows_a: npt.NDArray[np.float64], rows_d: npt.NDArray[np.float64], *, parallel: bool
) -> tuple[Any, npt.NDArray[np.intp]]:
    """The k-d tree of the ``a`` rows and the order to query the ``d`` rows in.

    The order is the leaf order of a k-d tree built on the ``d`` rows:
    consecutive queries then walk the same nodes and leaves of the ``a`` tree
    while they are in cache.  On 1M rows that is 2-3x faster than the given
    row order.  Each row's answer does not depend on the other queries, so the
    results are the same bits; only the vote is put back in row order.

    SciPy builds a tree without holding the GIL, so with more than one core
    the two trees are built at the same time (the ``d`` tree in a thread).
    """
    from scipy.spatial import cKDTree

    def query_order() -> npt.NDArray[np.intp]:
        ordering = cKDTree(
            rows_d, leafsize=QUERY_ORDER_LEAF_SIZE, balanced_tree=False, compact_nodes=False
        )
        return np.asarray(ordering.indices)

    def a_tree() -> Any:
        return cKDTree(rows_a, leafsize=32, balanced_tree=False, compact_nodes=False)

    if not parallel:
        return a_tree(), query_order()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        order = pool.submit(query_order)
        tree = a_tree()
        return tree, order.result()


#: Candidate rows examined per block when resolving ties (bounds the memory of
#: the distance computation: ~8 bytes per feature and candidate).
TIE_CANDIDATE_BLOCK = 1 << 18


def _votes_if_ties_are_harmless(
    tree: Any,
    rows_a: npt.NDArray[np.float64],
    targets: npt.NDArray[np.bool_],
    queries: npt.NDArray[np.float64],
    kth: npt.NDArray[np.float64],
    k: int,
    workers: int,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For queries tied at the k-th distance: which are decided, and their vote.

    With ``m`` rows strictly closer than the k-th distance and a set ``T`` of
    rows tied at it, any exact k-NN takes ``k − m`` rows of ``T``.  If the
    majority is the same for the fewest and the most positive choices, it is
    the same for all of them — scikit-learn's included — and the query is
    decided; otherwise (or when the counts are inconsistent with the k-NN
    query) it is left to scikit-learn.  Identical queries (common where ties
    are: integer-valued features) are resolved once, and all of them with
    array operations over the candidate rows of one ball query.
    """
    distinct, inverse = np.unique(queries, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    # identical queries have identical distances: any one's k-th distance
    first = np.empty(len(distinct), dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    radius = kth[first]
    tolerance = TIE_TOLERANCE * np.maximum(radius, 1.0)
    lengths = np.asarray(
        tree.query_ball_point(distinct, r=radius + tolerance, return_length=True, workers=workers),
        dtype=np.int64,
    )
    closer = np.zeros(len(distinct), dtype=np.int64)
    positive_closer = np.zeros(len(distinct), dtype=np.int64)
    tied = np.zeros(len(distinct), dtype=np.int64)
    positive_tied = np.zeros(len(distinct), dtype=np.int64)
    start = 0
    while start < len(distinct):
        # at least one query per block, however many candidates it has
        stop = start + max(
            1, int(np.searchsorted(np.cumsum(lengths[start:]), TIE_CANDIDATE_BLOCK, "right"))
        )
        block = slice(start, stop)
        found = tree.query_ball_point(
            distinct[block], r=(radius + tolerance)[block], workers=workers
        )
        counts = np.fromiter((len(c) for c in found), dtype=np.intp, count=len(found))
        candidates = np.fromiter(
            itertools.chain.from_iterable(found), dtype=np.intp, count=int(counts.sum())
        )
        owner = np.repeat(np.arange(stop - start), counts)
        queried = distinct[block][owner]
        distance = np.sqrt(((rows_a[candidates] - queried) ** 2).sum(axis=1))
        near = distance < (radius[block] - tolerance[block])[owner]
        at_boundary = np.abs(distance - radius[block][owner]) <= tolerance[block][owner]
        positive = targets[candidates]
        n = stop - start
        closer[block] = np.bincount(owner[near], minlength=n)
        positive_closer[block] = np.bincount(owner[near & positive], minlength=n)
        tied[block] = np.bincount(owner[at_boundary], minlength=n)
        positive_tied[block] = np.bincount(owner[at_boundary & positive], minlength=n)
        start = stop
    take = k - closer
    fewest = positive_closer + np.maximum(0, take - (tied - positive_tied))
    most = positive_closer + np.minimum(take, positive_tied)
    consistent = (take > 0) & (take <= tied)
    decided = consistent & ((fewest * 2 > k) == (most * 2 > k))
    vote = most * 2 > k
    return decided[inverse], vote[inverse]


def check_groups(matrix: npt.NDArray[np.float64] | None, d: npt.NDArray[np.bool_]) -> None:
    """smclarify's FT failures, in its order: an empty group, then non-numeric features."""
    n_d = int(d.sum())
    if n_d == 0:
        raise MetricFailure("Facet set is empty")
    if n_d == len(d):
        raise MetricFailure("Negated Facet set is empty")
    if matrix is None:
        raise MetricFailure("FlipTest does not support non-numeric columns")


def split_rows(
    matrix: npt.NDArray[np.float64], d: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The ``a`` and ``d`` rows of the feature matrix (copies, C-contiguous)."""
    # ``compress`` copies the selected rows ~3x faster than ``matrix[mask]``
    return matrix.compress(~d, axis=0), matrix.compress(d, axis=0)


def flip_test_of_rows(
    rows_a: npt.NDArray[np.float64],
    rows_d: npt.NDArray[np.float64],
    d: npt.NDArray[np.bool_],
    yhat: npt.NDArray[np.bool_],
    n_jobs: int | None = None,
) -> float:
    """FT from the rows :func:`split_rows` gives (after :func:`check_groups`)."""
    targets = yhat[~d]
    k = DEFAULT_NEIGHBOURS if len(rows_a) > SMALL_GROUP_THRESHOLD else MIN_NEIGHBOURS
    try:
        neighbour_vote = _neighbour_vote(rows_a, targets, rows_d, k, n_jobs)
    except ValueError as exc:
        raise MetricFailure(str(exc)) from exc
    model_d = yhat[d]
    flipped_up = int(np.count_nonzero(model_d & ~neighbour_vote))
    flipped_down = int(np.count_nonzero(~model_d & neighbour_vote))
    return divide(flipped_up - flipped_down, len(model_d))


def flip_test(
    matrix: npt.NDArray[np.float64] | None,
    d: npt.NDArray[np.bool_],
    yhat: npt.NDArray[np.bool_],
    n_jobs: int | None = None,
) -> float:
    """FT for one facet group; see :func:`openclarify.bias.posttraining.flip_test`."""
    check_groups(matrix, d)
    assert matrix is not None  # check_groups raised otherwise
    rows_a, rows_d = split_rows(matrix, d)
    return flip_test_of_rows(rows_a, rows_d, d, yhat, n_jobs)
