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
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LOGIT_EPS",
    "Coalitions",
    "KernelShapResult",
    "default_num_samples",
    "explain",
    "logit",
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

#: Largest condition number of the normal equations solved directly (see ``_solve``).
NORMAL_EQUATIONS_MAX_COND = 1e6

PredictFn = Callable[[NDArray[np.float64]], NDArray[np.floating]]


def default_num_samples(m: int) -> int:
    """Default number of coalitions per record, ``min(2·M + 2048, 2^M − 2)`` (§2.8).

    Parameters
    ----------
    m : int
        Number of features ``M`` (≥ 1).

    Returns
    -------
    int
        ``2^M − 2`` (every non-trivial coalition, i.e. exact Shapley values) for
        ``M ≤ 11``, ``2·M + 2048`` beyond. ``M = 1`` gives 0: the only feature gets
        the whole difference and no coalition is needed.
    """
    if m < 1:
        raise ValueError(f"the number of features must be at least 1, got {m}")
    if m >= 62:  # 2**m - 2 is astronomically larger; avoid building a huge int
        return 2 * m + 2048
    return min(2 * m + 2048, 2**m - 2)


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


class Coalitions(NamedTuple):
    """Coalitions of one record.

    Attributes
    ----------
    masks : ndarray of bool, shape (S, M)
        ``masks[s, j]`` is True when feature ``j`` is taken from the record.
        Never the empty or the full coalition (both are fixed by the constraint).
    weights : ndarray of float, shape (S,)
        Regression weights; only their ratios matter.
    exact : bool
        True when every one of the ``2^M − 2`` coalitions is present with its
        Shapley kernel weight, so the solution is the exact Shapley value.
    """

    masks: NDArray[np.bool_]
    weights: NDArray[np.float64]
    exact: bool


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


def _all_subsets(m: int, size: int) -> NDArray[np.bool_]:
    """All ``C(m, size)`` masks with exactly ``size`` ones, in lexicographic order."""
    combos = np.array(list(itertools.combinations(range(m), size)), dtype=np.intp)
    masks = np.zeros((len(combos), m), dtype=bool)
    masks[np.arange(len(combos))[:, None], combos] = True
    return masks


def _mask_keys(masks: NDArray[np.bool_]) -> NDArray[np.generic]:
    """One hashable scalar per mask row (for ``np.unique``): its bits as an integer
    when they fit in 63 bits, else its packed bytes as an opaque ``void`` scalar."""
    m = masks.shape[1]
    if m <= 63:
        return np.asarray(masks.astype(np.int64) @ (np.int64(1) << np.arange(m, dtype=np.int64)))
    packed = np.ascontiguousarray(np.packbits(masks, axis=1))
    return packed.view(np.dtype((np.void, packed.shape[1]))).reshape(-1)


def _shapley_kernel(m: int, size: int) -> float:
    """Shapley kernel ``(M − 1) / (C(M, s) · s · (M − s))`` for a coalition of size ``s``."""
    return (m - 1) / (math.comb(m, size) * size * (m - size))


class _EnumeratedPart(NamedTuple):
    """The deterministic part of a coalition sample: whole size classes, by budget."""

    sizes: int  # size classes 1..sizes cover every coalition (with complements)
    paired: int  # classes 1..paired have a distinct complement class
    weight_vector: NDArray[np.float64]  # kernel mass per size class, normalised
    masks: NDArray[np.bool_]
    weights: NDArray[np.float64]
    num_full: int  # size classes enumerated
    left: int  # budget left for sampling


@functools.lru_cache(maxsize=32)
def _all_coalitions(m: int) -> Coalitions:
    """Exact mode: every non-trivial coalition with its Shapley kernel weight.

    The same for every record with ``M`` players, so built once (read-only arrays).
    """
    masks = np.concatenate([_all_subsets(m, s) for s in range(1, m)])
    kernel = np.array([0.0] + [_shapley_kernel(m, s) for s in range(1, m)])
    weights = kernel[masks.sum(axis=1)]
    masks.flags.writeable = False
    weights.flags.writeable = False
    return Coalitions(masks, weights, exact=True)


@functools.lru_cache(maxsize=64)
def _enumerated_part(m: int, num_samples: int) -> _EnumeratedPart:
    """Steps 1–2 of :func:`sample_coalitions`: the same for every record with the same
    ``(M, budget)``, so computed once (arrays are read-only: never modified in place)."""
    num_subset_sizes = math.ceil((m - 1) / 2)  # sizes 1..this cover all classes
    num_paired = (m - 1) // 2  # sizes 1..this have a distinct complement class
    sizes = np.arange(1, num_subset_sizes + 1)
    weight_vector = (m - 1) / (sizes * (m - sizes)).astype(np.float64)
    weight_vector[:num_paired] *= 2
    weight_vector /= weight_vector.sum()

    masks: list[NDArray[np.bool_]] = []
    weights: list[NDArray[np.float64]] = []
    num_full = 0
    left = num_samples
    remaining = weight_vector.copy()
    for s in range(1, num_subset_sizes + 1):
        n_sub = math.comb(m, s) * (2 if s <= num_paired else 1)
        # the 1e-8 slack is shap's: budget shares that are 1 up to rounding count as 1
        if left * remaining[s - 1] / n_sub < 1.0 - 1e-8:
            break
        num_full += 1
        left -= n_sub
        if remaining[s - 1] < 1.0:
            remaining /= 1.0 - remaining[s - 1]
        w = weight_vector[s - 1] / math.comb(m, s)
        sub = _all_subsets(m, s)
        if s <= num_paired:
            w /= 2.0
            # interleave z and its complement like shap (order does not affect the fit)
            sub = np.stack([sub, ~sub], axis=1).reshape(-1, m)
        masks.append(sub)
        weights.append(np.full(len(sub), w))
    part = _EnumeratedPart(
        num_subset_sizes,
        num_paired,
        weight_vector,
        np.concatenate(masks) if masks else np.zeros((0, m), dtype=bool),
        np.concatenate(weights) if weights else np.zeros(0),
        num_full,
        left,
    )
    for array in (part.weight_vector, part.masks, part.weights):
        array.flags.writeable = False
    return part


def sample_coalitions(m: int, num_samples: int, rng: np.random.Generator) -> Coalitions:
    """Choose the coalitions and regression weights for one record.

    Same scheme as ``shap.KernelExplainer`` (shap ≥ 0.41):

    1. Size classes ``s`` and ``M − s`` are paired (a coalition and its complement
       carry the same kernel weight). The total kernel mass of class ``s`` is
       proportional to ``(M − 1) / (s (M − s))`` (doubled for paired classes).
    2. Going from the smallest size up, a whole class is *enumerated* when the
       remaining budget, spread by kernel mass, gives it at least one sample per
       coalition; each enumerated coalition gets the weight of its class divided by
       the class size, which is the Shapley kernel up to a common factor.
    3. The budget left is *sampled*: a size class with probability proportional to
       its remaining kernel mass, then a uniformly random subset of that size, and
       (for paired classes) its complement too. A coalition drawn again adds 1 to its
       count instead of using budget. The sampled counts are finally rescaled so that
       together they carry the kernel mass of the classes not enumerated.

    When ``num_samples ≥ 2^M − 2`` every coalition is enumerated with its exact
    Shapley kernel weight (``exact=True``). Sampling is vectorised: ``4 × budget``
    draws are made at once (as shap does) and processed in draw order, which is
    what shap's sequential loop computes.

    Parameters
    ----------
    m : int
        Number of players ``M`` (≥ 2).
    num_samples : int
        Budget of coalitions (≥ 1); capped at ``2^M − 2``.
    rng : numpy.random.Generator
        Source of randomness; not used when the enumeration is complete.

    Returns
    -------
    Coalitions
    """
    if m < 2:
        raise ValueError(f"coalition sampling needs at least 2 players, got {m}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be at least 1, got {num_samples}")
    full = 2**m - 2 if m < 63 else None
    if full is not None and num_samples >= full:
        return _all_coalitions(m)

    plan = _enumerated_part(m, num_samples)
    num_subset_sizes, num_paired, weight_vector = plan.sizes, plan.paired, plan.weight_vector
    chunks_masks: list[NDArray[np.bool_]] = [plan.masks] if len(plan.masks) else []
    chunks_weights: list[NDArray[np.float64]] = [plan.weights] if len(plan.weights) else []
    num_full, left = plan.num_full, plan.left

    if num_full < num_subset_sizes and left > 0:
        probs = weight_vector.copy()
        probs[:num_paired] /= 2  # each paired draw yields two samples
        probs = probs[num_full:]
        probs /= probs.sum()
        # shap draws 4 × budget (size, subset) pairs up front and walks them in order
        # until the budget is spent; we draw the same kind of stream in blocks and
        # stop as soon as the budget is reached (usually in the first block).
        max_draws = 4 * left
        block = max(left, 64)
        sizes_l: list[NDArray[np.intp]] = []
        drawn_l: list[NDArray[np.bool_]] = []
        n_draws = 0
        while True:
            nb = min(block, max_draws - n_draws)
            bs = rng.choice(len(probs), size=nb, p=probs) + num_full + 1
            # a uniformly random subset of size s: the s smallest of M iid uniforms
            u = rng.random((nb, m))
            kth = np.sort(u, axis=1)[np.arange(nb), bs - 1]
            sizes_l.append(bs)
            drawn_l.append(u <= kth[:, None])
            n_draws += nb
            draw_sizes = np.concatenate(sizes_l)
            drawn = np.concatenate(drawn_l)
            paired = draw_sizes <= num_paired
            # dedupe in draw order
            _, first, inverse = np.unique(_mask_keys(drawn), return_index=True, return_inverse=True)
            inverse = inverse.reshape(-1)
            is_new = first[inverse] == np.arange(n_draws)
            cost = np.where(is_new, np.where(paired, 2, 1), 0)
            used_before = np.cumsum(cost) - cost
            if used_before[-1] + cost[-1] >= left or n_draws >= max_draws:
                break
        active = used_before < left  # shap stops drawing once the budget is spent
        # a new paired draw whose first half exhausts the budget gets no complement
        with_complement = active & is_new & paired & (used_before + 1 < left)
        new_idx = np.flatnonzero(active & is_new)
        counts = np.bincount(inverse[active], minlength=len(first)).astype(np.float64)
        s_masks = drawn[new_idx]
        s_weights = counts[inverse[new_idx]]
        comp = with_complement[new_idx]
        # complements follow their coalition and share its count (shap adds the
        # repeat weight to both halves of the pair)
        order_masks = [s_masks, ~s_masks[comp]]
        order_weights = [s_weights, s_weights[comp]]
        sm = np.concatenate(order_masks)
        sw = np.concatenate(order_weights)
        weight_left = weight_vector[num_full:].sum()
        sw *= weight_left / sw.sum()
        chunks_masks.append(sm)
        chunks_weights.append(sw)

    return Coalitions(
        np.concatenate(chunks_masks) if chunks_masks else np.zeros((0, m), dtype=bool),
        np.concatenate(chunks_weights) if chunks_weights else np.zeros(0),
        exact=False,
    )


def _solve(
    masks: NDArray[np.bool_],
    weights: NDArray[np.float64],
    ey_adj: NDArray[np.float64],
    delta: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Constrained weighted least squares for one record, all outputs at once.

    Minimises ``Σ_s w_s (ey_adj[s] − z_s·φ)²`` subject to ``Σ_j φ_j = Δ`` by
    eliminating the last player, ``φ_M = Δ − Σ_{j<M} φ_j``, which turns the problem
    into the unconstrained fit of ``ey_adj − z_M Δ`` on ``z_j − z_M`` (as shap
    does).

    Solved through the normal equations ``(XᵀWX) φ = XᵀWy`` — an (M−1)² system,
    eight times faster than an SVD of the samples — whenever their condition
    number is below :data:`NORMAL_EQUATIONS_MAX_COND` (relative error then below
    ``1e6 · 2⁻⁵² ≈ 2e-10``; Shapley-kernel designs are typically around 1e2).
    Otherwise, e.g. for a rank-deficient sample, ``lstsq`` on the √w-scaled system
    gives the minimum-norm solution instead of amplified rounding.

    Returns ``φ`` of shape (M, K); ``φ.sum(0) == Δ`` up to one rounding.
    """
    z = masks.astype(np.float64)
    y2 = ey_adj - z[:, -1:] * delta[None, :]
    x = z[:, :-1] - z[:, -1:]
    xw = x * weights[:, None]
    gram = xw.T @ x
    if np.linalg.cond(gram) < NORMAL_EQUATIONS_MAX_COND:
        w_sol = np.asarray(np.linalg.solve(gram, xw.T @ y2), dtype=np.float64)
    else:
        sw = np.sqrt(weights)[:, None]
        w_sol = np.asarray(np.linalg.lstsq(x * sw, y2 * sw, rcond=None)[0], dtype=np.float64)
    return np.concatenate([w_sol, (delta - w_sol.sum(axis=0))[None, :]], axis=0)


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


def _record_rng(seed: int, row: int) -> np.random.Generator:
    """Generator of one record, a function of ``(seed, global row index)`` only.

    This is what makes results independent of chunking and of how a dataset is
    partitioned across workers.
    """
    return np.random.default_rng([seed, row])


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

    explained = np.zeros(m, dtype=bool)
    if features_to_explain is None:
        explained[:] = True
    else:
        idx = np.asarray(list(features_to_explain), dtype=np.intp)
        if idx.size and (idx.min() < -m or idx.max() >= m):
            raise ValueError(f"features_to_explain has an index outside 0..{m - 1}")
        explained[idx] = True

    f_bg = _predict(predict, bg)
    k_out = f_bg.shape[1]
    expected_value = link(f_bg.mean(axis=0))
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]

    phi = np.zeros((n, m, k_out))
    if n == 0:
        return KernelShapResult(phi, expected_value)

    # players: explained features that vary between the record and the baseline
    differs = ~((x[:, None, :] == bg[None, :, :]) | (np.isnan(x)[:, None, :] & np.isnan(bg)))
    players = differs.any(axis=1) & explained[None, :]

    fixed_all = not explained.all()
    plans: list[tuple[NDArray[np.intp], Coalitions | None]] = []
    for i in range(n):
        p_idx = np.flatnonzero(players[i])
        p = len(p_idx)
        if p >= 2:
            budget = default_num_samples(p) if num_samples is None else num_samples
            if budget < 1:
                raise ValueError(f"num_samples must be at least 1, got {budget}")
            plans.append((p_idx, sample_coalitions(p, budget, _record_rng(seed, row_offset + i))))
        else:
            plans.append((p_idx, None))

    n_rows = np.array([0 if c is None else len(c.masks) * b for _, c in plans])
    if chunk_rows is None:
        per = max(1, int(n_rows.max()) + (b if fixed_all else 0))
        chunk_rows = max(1, max_batch_rows // per)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")

    model_rows = b
    buffer: NDArray[np.float64] | None = None
    for start in range(0, n, chunk_rows):
        stop = min(n, start + chunk_rows)
        # Full masks over all M columns: non-players are "present" (taken from the
        # record): for dummies that changes nothing, for features not explained it is
        # the definition. Row s of the stack belongs to record owner[s].
        full_masks: list[NDArray[np.bool_]] = []
        owners: list[NDArray[np.intp]] = []
        for i in range(start, stop):
            p_idx, coal = plans[i]
            base_mask = ~players[i]
            parts = [base_mask[None, :]] if fixed_all else []  # empty coalition v(0)
            if coal is not None:
                fm = np.broadcast_to(base_mask, (len(coal.masks), m)).copy()
                fm[:, p_idx] = coal.masks
                parts.append(fm)
            if parts:
                stacked = np.concatenate(parts)
                full_masks.append(stacked)
                owners.append(np.full(len(stacked), i, dtype=np.intp))
        recs = x[start:stop]
        if full_masks:
            mask_all = np.concatenate(full_masks)
            owner = np.concatenate(owners)
            n_synth = len(mask_all) * b
            # rows = the chunk's records, then row s·b + r = the record where coalition
            # s has the feature, baseline row r elsewhere. Written in place into one
            # buffer reused by every chunk (fresh pages would be faulted in and zeroed
            # by the OS on every call, which costs as much as filling them), and laid
            # out column by column: each feature is then one contiguous (S, b) block
            # filled by two passes, about 30 % faster than row-major selects.
            needed = stop - start + n_synth
            if buffer is None or buffer.shape[0] < needed:
                buffer = np.empty((m, needed)).T
            rows = buffer[:needed]
            rows[: stop - start] = recs
            x_own = x[owner]
            for j in range(m):
                block = rows[stop - start :, j].reshape(len(mask_all), b)
                block[...] = bg[None, :, j]
                np.copyto(block, x_own[:, j : j + 1], where=mask_all[:, j : j + 1])
        else:
            rows = recs
        out = _predict(predict, rows)
        model_rows += rows.shape[0]
        if out.shape[1] != k_out:
            raise ValueError(
                f"predict returned {out.shape[1]} outputs for records but {k_out} for the baseline"
            )
        fx = link(out[: stop - start])
        if full_masks:
            ey = link(out[stop - start :].reshape(-1, b, k_out).mean(axis=1))
        pos = 0
        for i in range(start, stop):
            p_idx, coal = plans[i]
            if fixed_all:
                v0 = ey[pos]
                pos += 1
            else:
                v0 = expected_value
            delta = fx[i - start] - v0
            if coal is not None:
                s = len(coal.masks)
                phi[i, p_idx, :] = _solve(coal.masks, coal.weights, ey[pos : pos + s] - v0, delta)
                pos += s
            elif len(p_idx) == 1:
                phi[i, p_idx[0], :] = delta
        if progress is not None:
            progress(stop, model_rows)
    return KernelShapResult(phi, expected_value)
