"""Kernel SHAP coalitions: which ones a record is evaluated on, and their regression weights."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .scratch import Scratch


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


def _key_dtype(m: int) -> np.dtype[np.unsignedinteger]:
    """The smallest unsigned integer holding ``m ≤ 64`` bits (16-bit keys sort by radix)."""
    return np.dtype(np.uint16 if m <= 16 else np.uint32 if m <= 32 else np.uint64)


def _integer_keys(masks: NDArray[np.bool_]) -> NDArray[np.unsignedinteger]:
    """Each mask row ``z`` (``M ≤ 63`` columns) as the integer ``Σ_j z_j 2^j``.

    Computed as a float matrix product, which is exact: every partial sum is an
    integer below ``2^M``, exactly representable in float32 for ``M ≤ 24`` and in
    float64 for ``M ≤ 53``; beyond, in int64.
    """
    m = masks.shape[1]
    dtype = _key_dtype(m)
    if m <= 24:
        return (masks.astype(np.float32) @ np.exp2(np.arange(m, dtype=np.float32))).astype(dtype)
    if m <= 53:
        return (masks.astype(np.float64) @ np.exp2(np.arange(m, dtype=np.float64))).astype(dtype)
    powers = np.int64(1) << np.arange(m, dtype=np.int64)
    return (masks.astype(np.int64) @ powers).astype(dtype)


def _unpack_keys(keys: NDArray[np.unsignedinteger], m: int) -> NDArray[np.bool_]:
    """The mask rows of :func:`_integer_keys` back, shape (len(keys), M)."""
    little = keys.astype(keys.dtype.newbyteorder("<"), copy=False)
    octets = little.view(np.uint8).reshape(len(keys), keys.dtype.itemsize)
    return np.unpackbits(octets, axis=1, count=m, bitorder="little").view(bool)


def _shapley_kernel(m: int, size: int) -> float:
    """Shapley kernel ``(M − 1) / (C(M, s) · s · (M − s))`` for a coalition of size ``s``."""
    return (m - 1) / (math.comb(m, size) * size * (m - size))


class _EnumeratedPart(NamedTuple):
    """The deterministic part of a coalition sample: whole size classes, by budget,
    and what the random part needs (the same for every record with the same
    ``(M, budget)``)."""

    sizes: int  # size classes 1..sizes cover every coalition (with complements)
    paired: int  # classes 1..paired have a distinct complement class
    weight_vector: NDArray[np.float64]  # kernel mass per size class, normalised
    masks: NDArray[np.bool_]
    weights: NDArray[np.float64]
    num_full: int  # size classes enumerated
    left: int  # budget left for sampling
    cdf: NDArray[np.float64]  # of the size classes sampled (after num_full), as rng.choice's
    first_block: int  # draws in the first block (shap's 4 × budget, drawn in blocks)
    prefix: int  # draws of the first block usually enough to spend the budget


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
    # The size-class distribution of the sampled draws, exactly as
    # ``rng.choice(len(probs), p=probs)`` computes it (its cdf, normalised by its
    # last entry), so that searching uniform draws in it reproduces ``choice``.
    probs = weight_vector.copy()
    probs[:num_paired] /= 2  # each paired draw yields two samples
    probs = probs[num_full:]
    if probs.size and left > 0:
        probs /= probs.sum()
        cdf = probs.cumsum()
        cdf /= cdf[-1]
    else:
        cdf = np.zeros(0)
    first_block = min(_block_size(left), 4 * left)
    part = _EnumeratedPart(
        num_subset_sizes,
        num_paired,
        weight_vector,
        np.concatenate(masks) if masks else np.zeros((0, m), dtype=bool),
        np.concatenate(weights) if weights else np.zeros(0),
        num_full,
        left,
        cdf,
        first_block,
        _prefix_guess(m, num_full, num_paired, probs, left, first_block),
    )
    for array in (part.weight_vector, part.masks, part.weights, part.cdf):
        array.flags.writeable = False
    return part


def _block_size(left: int) -> int:
    """Draws per block of the sampled part (the stream layout the results depend on)."""
    return max(left, 64)


def _prefix_guess(
    m: int, num_full: int, num_paired: int, probs: NDArray[np.float64], left: int, block: int
) -> int:
    """Draws of the first block that spend a budget of ``left`` with high probability.

    A draw of class ``s`` costs 2 when paired, 1 otherwise, and 0 when it repeats an
    earlier draw. After ``d`` draws class ``s`` (``N_s = C(M, s)`` subsets, drawn with
    probability ``p_s``) holds about ``N_s (1 − e^{−d p_s / N_s})`` distinct ones; the
    guess is the smallest ``d`` whose expected cost reaches ``1.05 · left + 4√left + 8``
    (well beyond the spread of the cost, so the first guess almost always suffices).
    It only decides how much work is done, never the result: when the guess falls
    short the draws are processed further (see :func:`_sample_sequential`).
    """
    if left <= 0 or not probs.size:
        return 0
    classes = np.arange(num_full + 1, num_full + 1 + len(probs))
    n_sub = np.array([float(math.comb(m, int(s))) for s in classes])
    cost = np.where(classes <= num_paired, 2.0, 1.0)
    target = 1.05 * left + 4.0 * math.sqrt(left) + 8.0

    def expected(d: int) -> float:
        return float((cost * n_sub * -np.expm1(-d * probs / n_sub)).sum())

    lo, hi = 0, block
    if expected(hi) < target:
        return block
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if expected(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _skip(rng: np.random.Generator, n: int) -> None:
    """Move ``rng`` past ``n`` uniform draws without computing them where possible.

    ``Generator.random`` takes one 64-bit output per double from PCG64 (numpy's
    default), so advancing its state by ``n`` steps is the same as drawing ``n``
    doubles; other bit generators draw and drop them.
    """
    if n <= 0:
        return
    bit_generator = rng.bit_generator
    if isinstance(bit_generator, (np.random.PCG64, np.random.PCG64DXSM)):
        bit_generator.advance(n)
    else:
        rng.random(n)


def _sizes(plan: _EnumeratedPart, uniforms: NDArray[np.float64]) -> NDArray[np.intp]:
    """Size classes of draws: ``rng.choice(len(cdf), p=probs)`` from its uniforms
    (``choice`` searches ``random()`` draws in the same cdf), then shifted to sizes."""
    return np.searchsorted(plan.cdf, uniforms, side="right") + (plan.num_full + 1)


def _drawn_masks(u: NDArray[np.float64], sizes: NDArray[np.intp]) -> NDArray[np.bool_]:
    """A uniformly random subset of size ``s`` per draw: the ``s`` smallest of its
    ``M`` iid uniforms (``u`` has shape (..., M), ``sizes`` the leading shape)."""
    kth = np.take_along_axis(np.sort(u, axis=-1), (sizes - 1)[..., None], axis=-1)
    return np.asarray(u <= kth)


def _finish(
    plan: _EnumeratedPart,
    drawn: NDArray[np.bool_],
    counts: NDArray[np.float64],
    new_idx: NDArray[np.intp],
    with_complement: NDArray[np.bool_],
) -> Coalitions:
    """Coalitions of one record from its sampled draws.

    ``new_idx``: the draws (in draw order) that add a coalition; ``counts``: how
    often each of them was drawn within the budget; ``with_complement``: which
    of them bring their complement along.
    """
    s_masks = drawn[new_idx]
    # complements follow their coalition and share its count (shap adds the
    # repeat weight to both halves of the pair)
    sm = np.concatenate([s_masks, ~s_masks[with_complement]])
    sw = np.concatenate([counts, counts[with_complement]])
    weight_left = plan.weight_vector[plan.num_full :].sum()
    sw *= weight_left / sw.sum()
    if len(plan.masks):
        sm = np.concatenate([plan.masks, sm])
        sw = np.concatenate([plan.weights, sw])
    return Coalitions(sm, sw, exact=False)


def _sample_sequential(
    m: int,
    plan: _EnumeratedPart,
    rng: np.random.Generator,
    sizes: NDArray[np.intp],
    u: NDArray[np.float64],
) -> Coalitions:
    """The sampled part of one record, processing every draw of every block drawn.

    ``sizes`` are the size classes of the whole first block and ``u`` its first
    rows of uniforms (possibly none): the rest of the block is drawn here, then
    further blocks (class draws, then uniforms) until the budget is spent or
    ``4 × left`` draws are made, as shap does.
    """
    left = plan.left
    max_draws = 4 * left
    n_draws = len(sizes)
    sizes_l = [sizes]
    u_l = [u, rng.random((n_draws - len(u), m))]
    while True:
        draw_sizes = np.concatenate(sizes_l)
        drawn = _drawn_masks(np.concatenate(u_l), draw_sizes)
        paired = draw_sizes <= plan.paired
        # dedupe in draw order
        _, first, inverse = np.unique(_mask_keys(drawn), return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        is_new = first[inverse] == np.arange(n_draws)
        cost = np.where(is_new, np.where(paired, 2, 1), 0)
        used_before = np.cumsum(cost) - cost
        if used_before[-1] + cost[-1] >= left or n_draws >= max_draws:
            break
        nb = min(_block_size(left), max_draws - n_draws)
        sizes_l.append(_sizes(plan, rng.random(nb)))
        u_l.append(rng.random((nb, m)))
        n_draws += nb
    active = used_before < left  # shap stops drawing once the budget is spent
    # a new paired draw whose first half exhausts the budget gets no complement
    with_complement = active & is_new & paired & (used_before + 1 < left)
    new_idx = np.flatnonzero(active & is_new)
    counts = np.bincount(inverse[active], minlength=len(first)).astype(np.float64)
    return _finish(plan, drawn, counts[inverse[new_idx]], new_idx, with_complement[new_idx])


def _sample_prefix(
    m: int, plan: _EnumeratedPart, rngs: Sequence[np.random.Generator], scratch: Scratch
) -> list[Coalitions]:
    """The sampled part of many records with the same plan, vectorised over records.

    Each record draws its first block's size classes and the first ``plan.prefix``
    rows of its uniforms; the rows are processed together (one sort, one dedupe
    over all records). A record whose budget those rows spend is done — the later
    draws of the block cannot change its result, since shap ignores every draw
    after the budget is spent — and its generator is moved to the end of the
    block; any other record goes on with :func:`_sample_sequential`.
    """
    block, k, left = plan.first_block, plan.prefix, plan.left
    n = len(rngs)
    class_draws = scratch.get("class_draws", (n, block))  # what rng.choice turns into classes
    u = scratch.get("uniforms", (n, k, m))
    for r, rng in enumerate(rngs):
        rng.random(out=class_draws[r])
        rng.random(out=u[r])
    head = _sizes(plan, class_draws[:, :k])
    flat = np.arange(n * k)
    # the s-th smallest of each draw's uniforms (one flat take instead of a fancy index)
    ordered = scratch.get("ordered", u.shape)
    np.copyto(ordered, u)
    ordered.sort(axis=2)
    kth = ordered.reshape(-1)[flat * m + head.reshape(-1) - 1]
    drawn = u <= kth.reshape(n, k, 1)
    keys = _integer_keys(drawn.reshape(n * k, m)).reshape(n, k)
    # first occurrences per record: a stable sort keeps equal keys in draw order
    order = np.argsort(keys, axis=1, kind="stable")
    order += (np.arange(n) * k)[:, None]  # flat positions
    sorted_keys = keys.reshape(-1)[order]
    starts = np.ones((n, k), dtype=bool)
    np.not_equal(sorted_keys[:, 1:], sorted_keys[:, :-1], out=starts[:, 1:])
    order = order.reshape(-1)
    # one id per distinct coalition of a record (every record's first sorted key starts one)
    group = np.empty(n * k, dtype=np.intp)
    group[order] = np.cumsum(starts.reshape(-1)) - 1
    first = np.empty(n * k, dtype=bool)
    first[order] = starts.reshape(-1)
    is_new = first.reshape(n, k)
    paired = head <= plan.paired
    cost = is_new * (1 + paired.astype(np.intp))
    spent = np.cumsum(cost, axis=1)
    used_before = spent - cost
    active = used_before < left
    new = active & is_new
    # a new paired draw whose first half exhausts the budget gets no complement
    with_complement = new & paired & (used_before + 1 < left)
    counts = np.bincount(group[active.reshape(-1)], minlength=n * k).astype(np.float64)
    done = spent[:, -1] >= left if k else np.zeros(n, dtype=bool)
    n_enum = len(plan.masks)
    total = n_enum + new.sum(axis=1) + with_complement.sum(axis=1)
    out: list[Coalitions | None] = [None] * n
    comp_keys = keys ^ keys.dtype.type(2**m - 1)  # the complement of each draw
    for size in np.unique(total[done]):
        rows = np.flatnonzero(done & (total == size))
        # per record: its new draws in draw order, then the complements (which
        # follow their coalition and share its count: shap adds the repeat
        # weight to both halves of the pair); row-major boolean selection of the
        # two halves side by side gives exactly that order
        take = np.concatenate([new[rows], with_complement[rows]], axis=1)
        chosen = np.concatenate([keys[rows], comp_keys[rows]], axis=1)[take]
        masks = np.empty((len(rows), size, m), dtype=bool)
        masks[:, :n_enum] = plan.masks
        masks[:, n_enum:] = _unpack_keys(chosen, m).reshape(len(rows), -1, m)
        drawn_counts = counts[group.reshape(n, k)[rows]]
        sampled = np.concatenate([drawn_counts, drawn_counts], axis=1)[take]
        sampled = sampled.reshape(len(rows), -1)
        weight_left = plan.weight_vector[plan.num_full :].sum()
        sampled *= weight_left / sampled.sum(axis=1, keepdims=True)
        weights = np.empty((len(rows), size))
        weights[:, :n_enum] = plan.weights
        weights[:, n_enum:] = sampled
        for i, r in enumerate(rows.tolist()):
            out[r] = Coalitions(masks[i], weights[i], exact=False)
    for r, rng in enumerate(rngs):
        if done[r]:
            _skip(rng, (block - k) * m)  # the rest of the block, as if drawn
        else:
            out[r] = _sample_sequential(m, plan, rng, _sizes(plan, class_draws[r]), u[r])
    return [c for c in out if c is not None]


def sample_many(
    m: int,
    num_samples: int,
    rngs: Sequence[np.random.Generator],
    *,
    scratch: Scratch | None = None,
) -> list[Coalitions]:
    """:func:`sample_coalitions` for many records with ``M`` players, one generator each.

    The result for ``rngs[i]`` is exactly ``sample_coalitions(m, num_samples,
    rngs[i])``, and each generator is left in the same state; the work is shared:
    enumerated coalitions are built once, and the draws of all records are sorted
    and deduplicated together. ``scratch`` holds the draws between calls (the
    coalitions returned never live in it).
    """
    if m < 2:
        raise ValueError(f"coalition sampling needs at least 2 players, got {m}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be at least 1, got {num_samples}")
    full = 2**m - 2 if m < 63 else None
    if full is not None and num_samples >= full:
        return [_all_coalitions(m)] * len(rngs)
    plan = _enumerated_part(m, num_samples)
    if plan.num_full >= plan.sizes or plan.left <= 0:
        # whole classes only: the same (read-only) arrays for every record
        return [Coalitions(plan.masks, plan.weights, exact=False)] * len(rngs)
    if m > 63 or not rngs:  # keys are not integers; rare enough to go one by one
        empty = np.zeros((0, m))
        return [
            _sample_sequential(m, plan, rng, _sizes(plan, rng.random(plan.first_block)), empty)
            for rng in rngs
        ]
    return _sample_prefix(m, plan, rngs, scratch or Scratch())


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
    Shapley kernel weight (``exact=True``). Sampling is vectorised: draws are made
    in blocks of ``max(budget left, 64)`` (size classes, then ``M`` uniforms per
    draw) and processed in draw order, which is what shap's sequential loop
    computes. :func:`sample_many` gives the same result for many generators at once.

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
    return sample_many(m, num_samples, [rng])[0]
