"""The players of one item's game, the order time imposes on them, and masked inputs.

``fine_grained`` (contract §6.11): one player per observed target step, one per
(related series, step) over every step including the future ones, one per static
covariate.  ``timewise``: one player per time step, covering the target at that
step (when observed) and every related series at it; static covariates are not
explained, so they keep the item's own values in every coalition (our reading of
"static covariates not explained": a player that never leaves cannot change the
forecast, and efficiency ``offset + Σ φ = forecast`` still holds).  A time step
with no input (a future step without related series) is no player.

Blocks, in the order they join (:mod:`.orderings`): ``chronological`` adds the
time steps oldest first, ``anti_chronological`` newest first.  Static covariates,
when they are players, form one block *before* every time step: they are known
before any observation and, in the paper's causal reading, are root causes of the
series, which asymmetric Shapley values credit first.  (Clarify's choice is not
published; this is ours.)  ``fine_grained`` is chronological only (the SDK's rule).

Out-of-coalition values are the baseline: the target's ``zero`` (0.0) or ``mean``
(the item's mean over its observed steps), each related series' ``zero`` or
``mean`` (over all its steps), and for each static covariate the item's entry of
``baseline.static_covariates``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...data.timeseries import TimeSeriesItem

__all__ = ["ItemBaseline", "ItemGame", "item_game"]


@dataclass(frozen=True)
class ItemBaseline:
    """What replaces an absent player: target ``(T_obs,)``, related ``(R, T)``, statics."""

    target: NDArray[np.float64]
    related: NDArray[np.float64]
    statics: tuple[Any, ...]


@dataclass(frozen=True)
class ItemGame:
    """One item's players: which cells each owns, and the blocks time allows.

    Attributes
    ----------
    cells:
        ``bool`` of shape ``(P, T_obs + R·T)``: the series cells (target first, then
        each related series row by row) a player owns.
    static_cells:
        ``bool`` of shape ``(P, S)``: the static covariates a player owns.
    blocks:
        Player indices per block, in joining order (one direction).
    labels:
        Per player ``(kind, series index, step)``: kind ``"target"``, ``"related"``,
        ``"static"`` (step ``None``) or ``"time"`` (``timewise``; series index 0).
    """

    cells: NDArray[np.bool_]
    static_cells: NDArray[np.bool_]
    blocks: tuple[tuple[int, ...], ...]
    labels: tuple[tuple[str, int, int | None], ...]

    @property
    def n_players(self) -> int:
        return len(self.labels)


def item_game(item: TimeSeriesItem, granularity: str, direction: str) -> ItemGame:
    """The players and blocks of ``item`` (``direction``: chronological or anti_chronological)."""
    n_obs = len(item.target)
    n_related, n_steps = item.related.shape[0], item.n_steps
    width = n_obs + n_related * n_steps
    n_static = len(item.statics)
    labels: list[tuple[str, int, int | None]] = []
    cells: list[NDArray[np.bool_]] = []
    statics: list[NDArray[np.bool_]] = []
    by_step: dict[int, list[int]] = {}

    def add(label: tuple[str, int, int | None], owned: Sequence[int], static: int | None) -> int:
        row = np.zeros(width, dtype=bool)
        row[list(owned)] = True
        srow = np.zeros(n_static, dtype=bool)
        if static is not None:
            srow[static] = True
        labels.append(label)
        cells.append(row)
        statics.append(srow)
        return len(labels) - 1

    static_block: list[int] = []
    if granularity == "timewise":
        for t in range(n_steps):
            owned = ([t] if t < n_obs else []) + [n_obs + r * n_steps + t for r in range(n_related)]
            if owned:
                by_step[t] = [add(("time", 0, t), owned, None)]
    else:
        for j in range(n_static):
            static_block.append(add(("static", j, None), [], j))
        for t in range(n_obs):
            by_step.setdefault(t, []).append(add(("target", 0, t), [t], None))
        for r in range(n_related):
            for t in range(n_steps):
                player = add(("related", r, t), [n_obs + r * n_steps + t], None)
                by_step.setdefault(t, []).append(player)
    steps = sorted(by_step, reverse=direction == "anti_chronological")
    blocks = [tuple(by_step[t]) for t in steps]
    if static_block:
        blocks.insert(0, tuple(static_block))
    return ItemGame(
        cells=np.array(cells, dtype=bool).reshape(len(labels), width),
        static_cells=np.array(statics, dtype=bool).reshape(len(labels), n_static),
        blocks=tuple(blocks),
        labels=tuple(labels),
    )


@dataclass(frozen=True)
class MaskedInputs:
    """The inputs of every coalition, as a choice between the item's values and the baseline.

    Attributes
    ----------
    actual, baseline:
        The series cells, ``(T_obs + R·T,)``: target first, then each related series.
    present:
        ``bool`` of shape ``(C, T_obs + R·T)``: the cell takes ``actual`` (else ``baseline``).
    statics:
        Per coalition, the static covariates (the item's where present or not a
        player, the baseline's otherwise).
    """

    actual: NDArray[np.float64]
    baseline: NDArray[np.float64]
    present: NDArray[np.bool_]
    statics: list[tuple[Any, ...]]


def masked_inputs(
    item: TimeSeriesItem,
    baseline: ItemBaseline,
    game: ItemGame,
    coalitions: NDArray[np.bool_],
) -> MaskedInputs:
    """The inputs of every coalition (rows of ``coalitions``).

    A cell takes the item's value when a player of the coalition owns it, the
    baseline otherwise; a static covariate nobody owns (``timewise``) keeps the
    item's value.
    """
    actual = np.concatenate([item.target, item.related.reshape(-1)])
    base = np.concatenate([baseline.target, baseline.related.reshape(-1)])
    # float products go through BLAS (integer matrix products do not); counts are exact
    present = (coalitions.astype(np.float64) @ game.cells.astype(np.float64)) > 0
    owned: NDArray[np.bool_] = np.asarray(game.static_cells.any(axis=0), dtype=bool)
    static_on = (coalitions.astype(np.float64) @ game.static_cells.astype(np.float64)) > 0
    statics = [
        tuple(
            item.statics[j] if (not owned[j] or row[j]) else baseline.statics[j]
            for j in range(len(item.statics))
        )
        for row in static_on
    ]
    return MaskedInputs(actual, base, present, statics)
