"""Resampling the counts, not the rows: bootstrap and permutation draws of a facet group.

A facet group's counts are a table of cells (group-variable bucket × ``d`` ×
``y`` × ``ŷ``) that partitions the rows.  Drawing ``N`` rows with replacement
from the data and counting them is, in distribution, *exactly* one multinomial
draw of ``N`` over those cells with probabilities ``cells / N``, so the row
bootstrap costs ``B`` multinomial draws over at most ``8·(G+1)`` cells instead
of ``B`` passes over ``N`` rows — the same for 100 rows or 100 million, and the
same on every backend because every backend produces the same counts.

Under "no association between facet and outcome", which rows are in ``d`` is
exchangeable: a permutation of the facet column keeps ``n_d`` and the pooled
cells and makes ``d``'s cells a multivariate hypergeometric draw of ``n_d``
rows from the pooled (``y``, ``ŷ``) cells — again one draw per permutation,
not a shuffle of the rows.  Stratified (within each group-variable value), it
is the permutation null of CDDL / CDDPL.

Randomness is an argument: every draw takes a :class:`numpy.random.Generator`,
and :func:`group_generator` derives one per facet group from the config's seed
and the group's names (not its position), so a group's intervals do not depend
on which other facets are configured or on the backend.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

from .counts import ConfusionCounts, GroupedCounts

Cells = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def group_generator(seed: int, facet: str, group: str) -> np.random.Generator:
    """The generator of one facet group: ``SeedSequence([seed, crc32(facet), crc32(group)])``."""
    key = [seed, zlib.crc32(facet.encode("utf-8")), zlib.crc32(group.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(key))


def cell_table(counts: ConfusionCounts, grouped: GroupedCounts | None) -> Cells:
    """All cells of a facet group, shape ``(1 + G, 2, 2, 2)``.

    Bucket 0 holds the rows in no group-variable value (missing, or no group
    variable at all); buckets ``1..G`` are ``grouped.cells``.  Summing over the
    first axis gives ``counts.cells`` back.
    """
    if grouped is None:
        return counts.cells[np.newaxis].astype(np.int64)
    rest = counts.cells - grouped.cells.sum(axis=0)
    return np.concatenate([rest[np.newaxis], grouped.cells]).astype(np.int64)


def split(table: Cells, grouped: bool) -> tuple[Cells, Cells | None]:
    """Batched ``(cells, grouped)`` from batched tables of shape ``(B, 1 + G, 2, 2, 2)``."""
    return table.sum(axis=1), (table[:, 1:] if grouped else None)


def bootstrap_tables(table: Cells, resamples: int, rng: np.random.Generator) -> Cells:
    """``resamples`` row-bootstrap tables: multinomial draws of ``N`` over the cells."""
    flat = table.reshape(-1)
    total = int(flat.sum())
    if total == 0:
        return np.zeros((resamples, *table.shape), dtype=np.int64)
    draws = rng.multinomial(total, flat / total, size=resamples)
    return draws.reshape(resamples, *table.shape).astype(np.int64)


def permuted_tables(
    table: Cells, resamples: int, rng: np.random.Generator, stratified: bool
) -> Cells:
    """``resamples`` tables with the facet column permuted (within strata if asked).

    Each stratum (group-variable bucket, or the whole data) keeps its pooled
    (``y``, ``ŷ``) cells and its ``n_d``; ``d``'s cells are a multivariate
    hypergeometric draw.  Returns shape ``(B, S, 2, 2, 2)``: ``S = 1 + G``
    when stratified, else 1.
    """
    strata = table if stratified else table.sum(axis=0, keepdims=True)
    pooled = strata.sum(axis=1).reshape(len(strata), 4)  # (S, y·ŷ)
    n_d = strata[:, 1].sum(axis=(1, 2))
    out = np.empty((resamples, len(strata), 2, 4), dtype=np.int64)
    for s in range(len(strata)):
        d_cells = rng.multivariate_hypergeometric(pooled[s], int(n_d[s]), size=resamples)
        out[:, s, 1] = d_cells
        out[:, s, 0] = pooled[s] - d_cells
    return out.reshape(resamples, len(strata), 2, 2, 2)


def percentile_interval(values: FloatArray, level: float) -> tuple[float, float] | None:
    """Equal-tailed percentile interval of the defined (non-NaN) resampled values.

    Order statistics (``method="inverted_cdf"``), not interpolation, so that
    infinite resampled values (a ratio whose denominator was drawn as 0) give
    an infinite bound instead of ``inf − inf = NaN``.  ``None`` when no
    resample is defined.
    """
    defined = values[~np.isnan(values)]
    if len(defined) == 0:
        return None
    tail = (1 - level) / 2
    low, high = np.quantile(defined, [tail, 1 - tail], method="inverted_cdf")
    return float(low), float(high)
