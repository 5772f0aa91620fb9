"""Asymmetric Shapley values of every item: coalitions → masked records → forecasts → φ.

Per item (in output order, :func:`item_order`): the players and blocks
(:mod:`.players`), the game (:mod:`.orderings`; ``bidirectional`` = the equal mixture
of both directions), the masked input of every coalition rendered through
``record_template``, one forecast per coalition, and ``φ = W @ V``.  Items are
sent in chunks of about :data:`RECORDS_PER_CALL` records, so that several items
share requests (``$records``) and memory holds one chunk.

Exact or sampled (``fine_grained``): exact whenever it needs no more coalitions
than ``num_samples`` sampled orderings would (and no block exceeds
:data:`~.orderings.MAX_EXACT_BLOCK` players) — "exact for short series"; the
sample is then the better estimate at the same cost.  ``timewise`` blocks have one
player each, so there is one admissible ordering per direction: always exact.
Sampling draws from ``numpy.random.default_rng(SEED)``, item after item in output
order, so a run is reproducible (the ASV config has no seed key; :data:`SEED` is ours).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from ...data.timeseries import TimeSeriesDataset, TimeSeriesItem
from ...progress import Tracker
from .baseline import item_baseline
from .orderings import (
    MAX_EXACT_BLOCK,
    Game,
    exact_cost,
    exact_game,
    mixed_game,
    sampled_cost,
    sampled_game,
)
from .players import ItemGame, item_game, masked_inputs

if TYPE_CHECKING:
    from ...config import AsymmetricShapleyValueConfig
    from ...predict.timeseries import RecordTemplate

__all__ = [
    "RECORDS_PER_CALL",
    "SEED",
    "ItemExplanation",
    "ItemPlan",
    "chunks",
    "explain_chunk",
    "explain_items",
    "item_order",
    "plan_items",
]

#: Seed of the sampled orderings.
SEED: Final = 0
#: Records per model call (a chunk of items).
RECORDS_PER_CALL: Final = 20_000

Forecaster = Callable[[list[str]], NDArray[np.float64]]


@dataclass(frozen=True)
class ItemExplanation:
    """One item's attributions.

    Attributes
    ----------
    item, game:
        The item and its players.
    offset:
        ``v(∅)``: the forecast of the all-baseline input, shape ``(H,)``.
    scores:
        ``φ``: shape ``(P, H)``, one row per player of ``game``.
    forecast:
        ``v(all)``: the forecast of the item itself; ``offset + scores.sum(0)``
        equals it up to rounding (efficiency).
    exact:
        Whether the values are exact (else sampled).
    """

    item: TimeSeriesItem
    game: ItemGame
    offset: NDArray[np.float64]
    scores: NDArray[np.float64]
    forecast: NDArray[np.float64]
    exact: bool


def item_order(dataset: TimeSeriesDataset) -> list[TimeSeriesItem]:
    """Items sorted by the text of their id (the one observed file lists ``sanjose`` first)."""
    return sorted(dataset.items, key=lambda item: str(item.item_id))


def _directions(direction: str) -> tuple[str, ...]:
    if direction == "bidirectional":
        return ("chronological", "anti_chronological")
    return (direction,)


def _game(
    games: Sequence[ItemGame], num_samples: int | None, rng: np.random.Generator
) -> tuple[Game, bool]:
    parts = []
    exact = True
    for game in games:
        blocks = game.blocks
        fits = all(len(b) <= MAX_EXACT_BLOCK for b in blocks)
        if num_samples is None or (
            fits and exact_cost(blocks) <= sampled_cost(blocks, num_samples)
        ):
            if not fits:
                raise ValueError("timewise blocks always fit")  # pragma: no cover
            parts.append(exact_game(blocks, game.n_players))
        else:
            exact = False
            parts.append(sampled_game(blocks, game.n_players, num_samples, rng))
    if len(parts) == 1:
        return parts[0], exact
    return mixed_game(parts, games[0].n_players), exact


@dataclass(frozen=True)
class ItemPlan:
    """What one item needs from the model: its game and the rendered record of every coalition."""

    item: TimeSeriesItem
    players: ItemGame
    game: Game
    exact: bool
    records: list[str]

    def explain(self, values: NDArray[np.float64]) -> ItemExplanation:
        """The attributions from the forecasts ``values`` of :attr:`records` (in order)."""
        return ItemExplanation(
            self.item, self.players, values[0], self.game.weights @ values, values[1], self.exact
        )


def plan_items(
    dataset: TimeSeriesDataset, asv: AsymmetricShapleyValueConfig, records: RecordTemplate
) -> Iterator[ItemPlan]:
    """Every item's :class:`ItemPlan`, in :func:`item_order` (sampling draws in that order)."""
    rng = np.random.default_rng(SEED)
    fine = asv.granularity == "fine_grained"
    cache: dict[tuple[int, ...], tuple[Game, bool]] = {}
    for item in item_order(dataset):
        per_direction = [item_game(item, asv.granularity, d) for d in _directions(asv.direction)]
        shape = (len(item.target), item.n_steps, item.related.shape[0], len(item.statics))
        cached = cache.get(shape)
        if cached is None:
            cached = _game(per_direction, asv.num_samples if fine else None, rng)
            if cached[1]:  # exact games depend on the shape only
                cache[shape] = cached
        game, exact = cached
        baseline = item_baseline(item, asv, explains_statics=fine)
        inputs = masked_inputs(item, baseline, per_direction[0], game.coalitions)
        rendered = records.render_many(
            item.timestamps[0],
            inputs.actual,
            inputs.baseline,
            inputs.present,
            (len(item.target), item.related.shape[0], item.n_steps),
            inputs.statics,
        )
        yield ItemPlan(item, per_direction[0], game, exact, rendered)


def chunks(plans: Iterable[ItemPlan], records_per_call: int) -> Iterator[list[ItemPlan]]:
    """Consecutive items, about ``records_per_call`` records per chunk (an item is never split)."""
    chunk: list[ItemPlan] = []
    size = 0
    for plan in plans:
        if chunk and size + len(plan.records) > records_per_call:
            yield chunk
            chunk, size = [], 0
        chunk.append(plan)
        size += len(plan.records)
    if chunk:
        yield chunk


def explain_chunk(chunk: Sequence[ItemPlan], values: NDArray[np.float64]) -> list[ItemExplanation]:
    """Split one chunk's forecasts back to its items."""
    out = []
    start = 0
    for plan in chunk:
        out.append(plan.explain(values[start : start + len(plan.records)]))
        start += len(plan.records)
    return out


def log_summary(explanations: Sequence[ItemExplanation], log: logging.Logger) -> None:
    exact_items = sum(e.exact for e in explanations)
    log.info(
        "Asymmetric Shapley values of %d items (%d exact, %d sampled)",
        len(explanations),
        exact_items,
        len(explanations) - exact_items,
    )


def explain_items(
    dataset: TimeSeriesDataset,
    asv: AsymmetricShapleyValueConfig,
    records: RecordTemplate,
    forecaster: Forecaster,
    *,
    log: logging.Logger | None = None,
    records_per_call: int = RECORDS_PER_CALL,
) -> list[ItemExplanation]:
    """Attributions of every item, in :func:`item_order`.

    Parameters
    ----------
    dataset:
        The items.
    asv:
        ``methods.asymmetric_shapley_value``.
    records:
        Renders one record from masked series (``record_template``).
    forecaster:
        Forecasts of rendered records, ``(n, H)`` in order (the model session).
    records_per_call:
        Records per forecaster call (items are never split across calls).
    """
    log = log or logging.getLogger("openclarify")
    tracker = Tracker("Asymmetric Shapley values", len(dataset.items), "items", log=log)
    tracker.update(0)
    out: list[ItemExplanation] = []
    for chunk in chunks(plan_items(dataset, asv, records), records_per_call):
        out.extend(explain_chunk(chunk, forecaster([r for plan in chunk for r in plan.records])))
        tracker.update(len(out))
    log_summary(out, log)
    return out
