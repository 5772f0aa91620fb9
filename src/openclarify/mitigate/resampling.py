"""Resampling: every (facet value, label value) cell to the same number of rows, seeded.

The public Clarify lab balances its data by hand with
``df.groupby([facet, label]).sample(n=<smallest group>)`` and runs the job again.
:func:`resample` does that and the variants, and reports the metrics before and after:

* ``"undersample"`` — every cell down to the smallest cell, drawn without replacement
  (the lab's);
* ``"oversample"`` — every cell up to the largest: all its rows, plus rows drawn with
  replacement;
* a float ``r`` in (0, 1] — every cell to ``round(r · largest)`` rows (at least 1):
  cells above that are undersampled, cells below it oversampled.  ``r = 1`` is
  ``"oversample"``.

With every cell the same size ``m``, each facet value has ``m · L`` rows (``L``
label values) and the same label distribution, so after balancing DPL, KL, JS, LP,
TVD and KS are 0 for every facet value, and CI is the same for all of them.

Rows keep their index and their order in the input (a row drawn twice appears
twice, next to itself).  Draws come from ``numpy.random.default_rng(seed)``, cell by
cell in sorted (facet, label) order, so a seed gives the same rows on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from .common import LAB_METHODS, Mitigation, as_frame, bias_metrics, check_columns

__all__ = ["cell_target", "resample"]


def cell_target(sizes: Sequence[int], strategy: str | float) -> int:
    """The number of rows every cell gets, from the cell sizes and the strategy."""
    smallest, largest = min(sizes), max(sizes)
    if strategy == "undersample":
        return smallest
    if strategy == "oversample":
        return largest
    if isinstance(strategy, int | float) and not isinstance(strategy, bool):
        if not 0 < float(strategy) <= 1:
            raise ConfigError(
                "strategy", f"a ratio must be in (0, 1], found {strategy}", "e.g. strategy=0.5"
            )
        return max(1, round(float(strategy) * largest))
    raise ConfigError(
        "strategy",
        f"expected 'undersample', 'oversample' or a ratio in (0, 1], found {strategy!r}",
        "use strategy='undersample' (the lab's)",
    )


def resample(
    data: Any,
    *,
    label: str,
    facet: str,
    label_values: Sequence[Any],
    strategy: str | float = "undersample",
    seed: int = 0,
    methods: Sequence[str] = LAB_METHODS,
) -> Mitigation:
    """Balance ``facet`` against ``label`` by resampling each cell to one size.

    Parameters
    ----------
    data:
        A pandas DataFrame or a pyarrow Table.
    label:
        The label column; its distinct values are the cells' label values.
    facet:
        The sensitive column; its distinct values are the cells' facet values.
    label_values:
        The positive label values, for the before / after metrics.
    strategy:
        ``"undersample"`` (default, the lab's), ``"oversample"`` or a ratio ``r`` in
        (0, 1]: every cell gets ``round(r · largest cell)`` rows.
    seed:
        Seed of the draws; the same seed gives the same rows.
    methods:
        Pre-training metric codes for the before / after tables (default: the lab's).

    Returns
    -------
    Mitigation
        ``data`` the resampled table; ``details["cell_rows"]`` the rows per cell,
        ``details["cells_before"]`` the sizes before.
    """
    frame = as_frame(data)
    check_columns(frame, label=label, facet=facet)
    indices: dict[Any, Any] = dict(frame.groupby([facet, label], sort=True).indices)
    cells: dict[tuple[Any, Any], Any] = indices  # a two-level grouping: keys are pairs
    sizes = {key: len(rows) for key, rows in cells.items()}
    target = cell_target(list(sizes.values()), strategy)
    rng = np.random.default_rng(seed)
    chosen = []
    for key in sorted(cells, key=lambda k: (str(k[0]), str(k[1]))):
        rows = np.asarray(cells[key])
        if target <= len(rows):
            chosen.append(rng.choice(rows, size=target, replace=False))
        else:
            chosen.append(rows)
            chosen.append(rng.choice(rows, size=target - len(rows), replace=True))
    positions = np.sort(np.concatenate(chosen), kind="stable")
    balanced = frame.iloc[positions]
    metrics: dict[str, Any] = {
        "label": label,
        "label_values": label_values,
        "facet": facet,
        "methods": methods,
    }
    return Mitigation(
        data=balanced,
        before=bias_metrics(frame, **metrics),
        after=bias_metrics(balanced.reset_index(drop=True), **metrics),
        method="resample",
        details={
            "strategy": strategy,
            "seed": seed,
            "cell_rows": target,
            "cells_before": {f"{k[0]}|{k[1]}": v for k, v in sizes.items()},
        },
    )
