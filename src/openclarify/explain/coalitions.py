"""Kernel SHAP coalitions: which ones a record is evaluated on, and their regression weights."""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray


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
