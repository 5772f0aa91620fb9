"""Evaluate registered metrics for facet groups, from masks to results.

Backends only *count* (``ConfusionCounts``/``GroupedCounts``); the engine
hands the counts to the pure metric functions of the registry, and a metric
that cannot be computed becomes ``value: None`` + ``error`` without stopping
the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..data.kinds import small_int_codes, small_int_offsets
from ..results import FacetGroupResult, MetricResult
from .common import MetricFailure, MetricInputs, MetricValue
from .counts import ConfusionCounts, GroupedCounts
from .registry import MetricSpec

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GroupCodes:
    """Integer codes of the group variable, keys in ``numpy.unique`` order.

    Missing values get code ``-1`` and are not counted in any group (as in
    smclarify, where ``group == nan`` selects no row).
    """

    codes: npt.NDArray[np.int64]
    keys: tuple[object, ...]

    @staticmethod
    def from_series(series: pd.Series) -> GroupCodes:
        offsets = small_int_offsets(series)
        if offsets is not None:  # small integers: sorted keys straight from bincount
            codes, distinct = small_int_codes(offsets)
            return GroupCodes(codes, tuple(int(k) for k in distinct))
        codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
        values = list(uniques)
        try:
            order = sorted(range(len(values)), key=lambda i: values[i])
        except TypeError:  # mixed types: numpy.unique would fail; keep a stable order
            order = sorted(
                range(len(values)), key=lambda i: (type(values[i]).__name__, str(values[i]))
            )
        remap = np.empty(len(values), dtype=np.int64)
        remap[order] = np.arange(len(values))
        codes = np.asarray(codes, dtype=np.int64)
        mapped = np.where(codes >= 0, remap[np.maximum(codes, 0)] if len(values) else codes, -1)
        return GroupCodes(mapped.astype(np.int64), tuple(values[i] for i in order))


def failed_group(specs: Sequence[MetricSpec], rendered: str, message: str) -> FacetGroupResult:
    """Every metric of a facet group failed with the same message."""
    return FacetGroupResult(
        rendered, tuple(MetricResult(s.code, s.description, None, message) for s in specs)
    )


def evaluate_group(
    specs: Sequence[MetricSpec],
    rendered: str,
    counts: ConfusionCounts,
    grouped: GroupedCounts | None,
    flip_test: Callable[[], MetricValue] | None = None,
) -> FacetGroupResult:
    """All requested metrics for one facet group.

    Parameters
    ----------
    specs:
        Metrics to compute, already in output order.
    rendered:
        The group's ``value_or_threshold`` string.
    counts, grouped:
        The group's confusion cells, overall and per group-variable value
        (``grouped`` is ``None`` without a group variable).
    flip_test:
        Computes FT for this group (needs feature rows, so it is lazy).
    """
    inputs = MetricInputs(counts, grouped, flip_test)
    results = []
    for spec in specs:
        try:
            results.append(MetricResult(spec.code, spec.description, spec.compute(inputs)))
        except MetricFailure as exc:
            results.append(MetricResult(spec.code, spec.description, None, str(exc)))
    return FacetGroupResult(rendered, tuple(results))
