"""Kernel SHAP as pure functions (contract §6.1).

The estimator follows Lundberg & Lee (2017) and the sampling scheme of
``shap.KernelExplainer``, but evaluates the model on the synthetic rows of a
whole chunk of records at once and keeps no state on any object.

For one record ``x``, a background (baseline) ``B`` of ``b`` rows and a
coalition ``z ∈ {0, 1}^M`` the *interventional value* of the coalition is

.. math:: v(z) = g\\Big(\\frac{1}{b} \\sum_{r=1}^{b} f(h_x(z, B_r))\\Big),

where ``h_x(z, B_r)`` takes feature ``j`` from ``x`` when ``z_j = 1`` and from
baseline row ``B_r`` otherwise, and ``g`` is the link (identity, or the logit
when ``use_logit``; as in shap the link is applied *after* averaging over the
baseline rows). The Shapley values ``φ`` minimise

.. math:: \\sum_z π(z) \\big(v(z) - v(0) - \\sum_j z_j φ_j\\big)^2
   \\quad\\text{subject to}\\quad \\sum_j φ_j = v(1) - v(0),

with the Shapley kernel ``π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|))``.
When every coalition is enumerated the solution *is* the exact Shapley value;
otherwise the coalitions are a sample and the solution an estimate whose
efficiency (attributions add up to ``v(1) − v(0)``) is still exact, because
the constraint is imposed, not fitted.

This module holds the link and the estimator driver (:func:`explain`: the
players of each record, the model calls, the attributions of a chunk); a chunk's
coalitions and synthetic rows are built in :mod:`.chunks`, the coalitions and
their weights drawn in :mod:`.coalitions`, the constrained fit is in
:mod:`.least_squares`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .chunks import Chunk, ChunkBuilder
from .coalitions import Coalitions, default_num_samples, sample_coalitions
from .least_squares import NORMAL_EQUATIONS_MAX_COND as NORMAL_EQUATIONS_MAX_COND
from .least_squares import _solve as _solve
from .least_squares import solve_many
from .scratch import Scratch

__all__ = [
    "LOGIT_EPS",
    "Coalitions",
    "KernelShapResult",
    "default_num_samples",
    "explain",
    "logit",
    "records_per_call",
    "sample_coalitions",
]

#: Probabilities are clipped to ``[LOGIT_EPS, 1 − LOGIT_EPS]`` before the logit so
#: that a model answering exactly 0 or 1 gives a finite log-odds (±27.63) instead of
#: ±inf, which would make every attribution of that record NaN. 1e-12 only touches
#: scores within 1e-12 of 0 or 1, far below the resolution of a float32 model
#: (6e-8 near 1), so informative scores are never changed.
LOGIT_EPS = 1e-12
_LOGIT_MAX = math.log1p(-LOGIT_EPS) - math.log(LOGIT_EPS)

#: Default budget of synthetic rows (coalitions × baseline rows, summed over the
#: records of a chunk) sent to ``predict`` in one call when ``chunk_rows`` is not
#: given. Small enough that the chunk (≈ 0.5 MiB per feature column) stays in the
#: CPU caches between being built and being read by an in-process model — measured
#: 25–30 % faster overall than 2^20-row calls — and large enough that per-call
#: overhead stays negligible. Callers with a remote model pass a larger
#: ``max_batch_rows`` so that one call keeps several requests in flight.
DEFAULT_MAX_BATCH_ROWS = 2**16

PredictFn = Callable[[NDArray[np.float64]], NDArray[np.floating]]


def logit(p: NDArray[np.floating]) -> NDArray[np.float64]:
    """Log-odds ``ln(p / (1 − p))`` with ``p`` clipped to ``[LOGIT_EPS, 1 − LOGIT_EPS]``.

    The clip is applied in log-odds space, to ``±ln((1 − ε)/ε)``: the same thing in
    exact arithmetic, but symmetric in floating point (``1 − 1e-12`` is not a float64,
    so clipping ``p`` itself would give ``logit(1) ≠ −logit(0)``). ``log1p`` keeps
    ``ln(1 − p)`` accurate for small ``p``.
    """
    q = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):  # p = 0 or 1 gives ±inf, clipped below
        raw = np.log(q) - np.log1p(-q)
    return np.asarray(np.clip(raw, -_LOGIT_MAX, _LOGIT_MAX), dtype=np.float64)


class KernelShapResult(NamedTuple):
    """Result of :func:`explain`; unpacks as ``phi, expected_value``.

    Attributes
    ----------
    phi : ndarray, shape (n, M, K)
        Attribution of feature ``j`` to output ``k`` of record ``i`` (in link space).
        Features not in ``features_to_explain`` get 0.
    expected_value : ndarray, shape (K,)
        ``g(mean_r f(B_r))``: the (linked) mean model output over the baseline rows.
        When all features are explained, ``phi[i].sum(axis=0) + expected_value``
        equals ``g(f(x_i))`` up to rounding.
    """

    phi: NDArray[np.float64]
    expected_value: NDArray[np.float64]


def _predict(predict: PredictFn, rows: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.asarray(predict(rows), dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != rows.shape[0]:
        raise ValueError(
            f"predict must return one row of scores per input row: sent {rows.shape[0]} "
            f"rows, got an array of shape {out.shape}"
        )
    return out


def _attribute(
    chunk: Chunk,
    out: NDArray[np.float64],
    link: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    expected_value: NDArray[np.float64],
    fixed_all: bool,
    b: int,
    phi: NDArray[np.float64],
    scratch: Scratch,
) -> None:
    """Write the attributions of a chunk's records into ``phi`` from the model's ``out``."""
    start, stop, plans, layout = chunk.start, chunk.stop, chunk.plans, chunk.layout
    n_recs, k_out = stop - start, out.shape[1]
    fx = link(out[:n_recs])
    # v(z) per coalition row: the link of the mean over the baseline rows
    ey = link(out[n_recs:].reshape(-1, b, k_out).mean(axis=1))
    v0 = ey[layout.empty_row] if fixed_all else np.broadcast_to(expected_value, fx.shape)
    delta = fx - v0
    player_idx = [np.flatnonzero(row) for row in layout.players]
    for local, coal in enumerate(plans):
        if coal is None and len(player_idx[local]) == 1:
            phi[start + local, player_idx[local][0], :] = delta[local]
    for members in layout.solve_groups():
        group = [plans[r] for r in members.tolist()]
        first = group[0]
        assert first is not None
        at = layout.first_row[members][:, None] + np.arange(len(first.masks))
        if all(c is not None and c.masks is first.masks for c in group):
            masks, weights = first.masks, first.weights  # exact or enumerated: one design
        else:
            masks = np.stack([c.masks for c in group if c is not None])
            weights = np.stack([c.weights for c in group if c is not None])
        ey_adj = ey[at] - v0[members][:, None, :]
        sol = solve_many(masks, weights, ey_adj, delta[members], scratch)
        for r, values in zip(members.tolist(), sol, strict=True):
            phi[start + r, player_idx[r], :] = values


def _explained(m: int, features_to_explain: Sequence[int] | None) -> NDArray[np.bool_]:
    explained = np.zeros(m, dtype=bool)
    if features_to_explain is None:
        explained[:] = True
    else:
        idx = np.asarray(list(features_to_explain), dtype=np.intp)
        if idx.size and (idx.min() < -m or idx.max() >= m):
            raise ValueError(f"features_to_explain has an index outside 0..{m - 1}")
        explained[idx] = True
    return explained


def _players(
    x: NDArray[np.float64], bg: NDArray[np.float64], explained: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """``players[i, j]``: feature ``j`` is explained and differs from some baseline row."""
    differs = ~((x[:, None, :] == bg[None, :, :]) | (np.isnan(x)[:, None, :] & np.isnan(bg)))
    return np.asarray(differs.any(axis=1) & explained[None, :])


def _budgets(
    players: NDArray[np.bool_], num_samples: int | None, b: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Coalitions to draw per record (0: fewer than 2 players) and the most synthetic
    rows each can need (``b`` per coalition; the coalitions drawn never exceed the
    budget nor the ``2^p − 2`` there are), known before any sampling."""
    budgets = np.zeros(len(players), dtype=np.int64)
    n_rows = np.zeros(len(players), dtype=np.int64)
    for i, p in enumerate(players.sum(axis=1).tolist()):
        if p >= 2:
            budget = default_num_samples(p) if num_samples is None else num_samples
            if budget < 1:
                raise ValueError(f"num_samples must be at least 1, got {budget}")
            budgets[i] = budget
            n_rows[i] = (min(budget, 2**p - 2) if p < 63 else budget) * b
    return budgets, n_rows


def _chunk_rows(n_rows: NDArray[np.int64], b: int, fixed_all: bool, max_batch_rows: int) -> int:
    """Records per call: as many as the largest record's synthetic rows fit ``max_batch_rows``."""
    per = max(1, int(n_rows.max()) + (b if fixed_all else 0))
    return max(1, max_batch_rows // per)


def records_per_call(
    records: NDArray[np.floating],
    baseline: NDArray[np.floating],
    *,
    seed: int,
    num_samples: int | None = None,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    features_to_explain: Sequence[int] | None = None,
) -> int:
    """The records :func:`explain` puts in one model call (its default ``chunk_rows``).

    It depends on *every* record (the most synthetic rows a record can need,
    from its players and budget; no coalition is sampled for it), so a caller
    that explains parts of ``records`` separately passes it as ``chunk_rows``
    and cuts the parts at multiples of it: each part then sends the model
    exactly the calls :func:`explain` sends for the whole (``0`` for no
    records). ``seed`` is accepted for callers written when the size came from
    the sampled coalitions; it no longer changes the answer.
    """
    x = np.asarray(records, dtype=np.float64)
    bg = np.asarray(baseline, dtype=np.float64)
    if len(x) == 0:
        return 0
    explained = _explained(x.shape[1], features_to_explain)
    _, n_rows = _budgets(_players(x, bg, explained), num_samples, len(bg))
    return _chunk_rows(n_rows, len(bg), not explained.all(), max_batch_rows)


def explain(
    predict: PredictFn,
    records: NDArray[np.floating],
    baseline: NDArray[np.floating],
    *,
    num_samples: int | None = None,
    seed: int | None = None,
    row_offset: int = 0,
    chunk_rows: int | None = None,
    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS,
    features_to_explain: Sequence[int] | None = None,
    use_logit: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> KernelShapResult:
    """Kernel SHAP attributions of a batch model for many records.

    Parameters
    ----------
    predict : callable
        ``predict(matrix[rows, M]) -> scores[rows, K]`` (a 1-D result is read as
        ``K = 1``). Called once on the baseline and then once per chunk on the
        stacked synthetic rows of all records of the chunk plus the records.
        ``matrix`` is a column-major view of a buffer reused by the next call:
        ``predict`` must not keep it (copy it if it must).
    records : array-like, shape (n, M)
        Records to explain (float matrix).
    baseline : array-like, shape (b, M)
        Background rows; absent features are replaced by each of them in turn and
        the model outputs averaged over them.
    num_samples : int, optional
        Coalitions per record; default :func:`default_num_samples` of the number of
        players. ``≥ 2^P − 2`` (``P`` players) enumerates every coalition: exact
        Shapley values.
    seed : int, optional
        Seed; record ``i`` samples with ``default_rng([seed, row_offset + i])`` so
        results do not depend on ``chunk_rows`` or on partitioning. ``None`` draws
        a fresh seed from OS entropy (results then differ between calls).
    row_offset : int
        Global index of ``records[0]`` (for partitioned datasets).
    chunk_rows : int, optional
        Records per model call. Default: as many as keep one call within
        ``max_batch_rows`` synthetic rows (at least one record).
    max_batch_rows : int
        Synthetic-row budget of one ``predict`` call when ``chunk_rows`` is not given.
    features_to_explain : sequence of int, optional
        Column indices to attribute. The other features are always taken from the
        record (they are never "absent"), so their attribution is 0 and
        ``Σ_j φ_ij = g(f(x_i)) − g(mean_r f(B_r with those features from x_i))``.
    use_logit : bool
        Explain ``g = logit`` of the (baseline-averaged) scores; scores must be
        probabilities, clipped to ``[LOGIT_EPS, 1 − LOGIT_EPS]``.
    progress : callable, optional
        ``progress(records_done, model_rows)`` after every chunk: records
        explained so far and rows sent to ``predict`` so far (baseline
        included).

    Returns
    -------
    KernelShapResult
        ``(phi[n, M, K], expected_value[K])``.

    Notes
    -----
    Players are the explained features whose value in the record differs from
    at least one baseline row (exact comparison, NaN equal to NaN). A feature
    equal to every baseline value cannot change any ``v(z)`` (a dummy player), so
    its exact Shapley value is 0; dropping it, as shap does, spends the budget on
    the features that matter. With one player it receives the whole difference;
    with none every attribution is 0.
    """
    x = np.asarray(records, dtype=np.float64)
    bg = np.asarray(baseline, dtype=np.float64)
    if x.ndim != 2 or bg.ndim != 2 or x.shape[1] != bg.shape[1]:
        raise ValueError(
            f"records and baseline must be 2-D with the same number of columns, got "
            f"{x.shape} and {bg.shape}"
        )
    if bg.shape[0] == 0:
        raise ValueError("the baseline needs at least one row")
    n, m = x.shape
    b = bg.shape[0]
    link: Callable[[NDArray[np.float64]], NDArray[np.float64]] = (
        logit if use_logit else (lambda a: a)
    )

    explained = _explained(m, features_to_explain)

    f_bg = _predict(predict, bg)
    k_out = f_bg.shape[1]
    expected_value = link(f_bg.mean(axis=0))
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]

    phi = np.zeros((n, m, k_out))
    if n == 0:
        return KernelShapResult(phi, expected_value)

    players = _players(x, bg, explained)
    fixed_all = not explained.all()
    budgets, n_rows = _budgets(players, num_samples, b)
    if chunk_rows is None:
        chunk_rows = _chunk_rows(n_rows, b, fixed_all, max_batch_rows)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")

    builder = ChunkBuilder(x, bg, players, budgets, fixed_all, seed, row_offset)
    model_rows = b
    scratch = Scratch()
    for start in range(0, n, chunk_rows):
        chunk = builder.build(start, min(n, start + chunk_rows))
        out = _predict(predict, chunk.rows)
        model_rows += chunk.rows.shape[0]
        if out.shape[1] != k_out:
            raise ValueError(
                f"predict returned {out.shape[1]} outputs for records but {k_out} for the baseline"
            )
        _attribute(chunk, out, link, expected_value, fixed_all, b, phi, scratch)
        if progress is not None:
            progress(chunk.stop, model_rows)
    return KernelShapResult(phi, expected_value)
