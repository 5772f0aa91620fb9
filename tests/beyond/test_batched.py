"""The batched (resample-axis) metric functions equal the scalar ones, edge cases included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openclarify.bias.common import MetricFailure, MetricInputs
from openclarify.bias.counts import ConfusionCounts, GroupedCounts
from openclarify.bias.registry import METRICS
from openclarify.bias.resampling import cell_table, split

BATCHED = [spec for spec in METRICS if spec.batched is not None]


def _scalar(spec, table: np.ndarray) -> float:
    counts = ConfusionCounts(table.sum(axis=0))
    grouped = GroupedCounts(tuple(range(len(table) - 1)), table[1:]) if len(table) > 1 else None
    try:
        return float(spec.compute(MetricInputs(counts, grouped)))
    except MetricFailure:
        return math.nan


def _tables(seed: int, n: int) -> list[np.ndarray]:
    """Random tables with many zero cells (empty groups, missing outcomes, 0/0 ratios)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        groups = int(rng.integers(0, 4))
        table = rng.integers(0, int(rng.choice([2, 5, 60])), size=(1 + groups, 2, 2, 2))
        table[rng.random(table.shape) < 0.3] = 0
        out.append(table.astype(np.int64))
    return out


def test_every_count_metric_has_a_batched_form_and_ft_has_none() -> None:
    assert {s.code for s in METRICS if s.batched is None} == {"FT"}


@pytest.mark.parametrize("spec", BATCHED, ids=lambda s: s.code)
def test_batched_equals_scalar(spec) -> None:
    tables = _tables(seed=sum(map(ord, spec.code)), n=400)
    for table in tables:
        expected = _scalar(spec, table)
        got = spec.batched(*split(table[np.newaxis], len(table) > 1))[0]
        if math.isnan(expected):
            assert math.isnan(got), (spec.code, table.tolist())
        elif math.isinf(expected):
            assert got == expected, (spec.code, table.tolist())
        else:
            # same formulas, possibly a different summation order: a few ulps
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-15), (spec.code, table.tolist())


def test_batched_evaluates_many_resamples_at_once() -> None:
    tables = np.stack([t for t in _tables(5, 200) if len(t) == 1])
    for spec in BATCHED:
        values = spec.batched(*split(tables, False))
        assert values.shape == (len(tables),)
        for i in (0, len(tables) - 1):
            expected = _scalar(spec, tables[i])
            assert (math.isnan(expected) and math.isnan(values[i])) or values[i] == pytest.approx(
                expected, rel=1e-12, abs=1e-15
            )


def test_cell_table_gives_the_counts_back() -> None:
    table = _tables(9, 1)[0]
    table = np.concatenate([table, table])  # at least one group
    counts = ConfusionCounts(table.sum(axis=0))
    grouped = GroupedCounts(tuple(range(len(table) - 1)), table[1:])
    rebuilt = cell_table(counts, grouped)
    assert (rebuilt == table).all()
    assert (cell_table(counts, None)[0] == counts.cells).all()
