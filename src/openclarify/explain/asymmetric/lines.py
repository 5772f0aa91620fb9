"""``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``: one line per item.

The ``fine_grained`` layout is the one a real 2024 run wrote (modalities contract
§3.3), key for key::

    {"explanations": [
        {"feature_name": "p_mbar", "scores": [...H], "timestamp": "2020-01-01 16:20:00"},
        ... the target at every observed step, then each related series at every step,
        {"feature_name": "region", "scores": [...H]}   # static covariates, no timestamp
     ],
     "item_id": "sanjose",
     "offset": [...H]}

Keys in the order the run printed them (``explanations``, ``item_id``, ``offset``;
``feature_name``, ``scores``, ``timestamp``); entries grouped by series (target,
related in config order, static covariates in config order), steps ascending;
``feature_name`` is the header; lines sorted by the text of the item id.

``timewise`` was never published; ours: one entry per time step that is a player
(every observed step, and the future steps when there are related series), in
ascending time, ``feature_name`` the target's header (the step's target and
related values are explained together), no static entries (they are not explained).

Numbers are Python's shortest round-trip floats; JSON is written with
:func:`json.dumps` defaults (``", "`` and ``": "`` separators), one object per line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ...data.timeseries import TimeSeriesDataset
from .estimator import ItemExplanation

__all__ = ["item_line", "out_jsonl"]


def item_line(explanation: ItemExplanation, dataset: TimeSeriesDataset) -> dict[str, Any]:
    """One line of ``out.jsonl`` as a dict (key order as written)."""
    item = explanation.item
    entries: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
    kinds = {"target": 0, "time": 0, "related": 1, "static": 2}
    for player, (kind, series, step) in enumerate(explanation.game.labels):
        scores = [float(v) for v in explanation.scores[player]]
        if kind == "static":
            name = dataset.static_names[series]
            entry: dict[str, Any] = {"feature_name": name, "scores": scores}
        else:
            name = dataset.related_names[series] if kind == "related" else dataset.target_name
            assert step is not None
            entry = {"feature_name": name, "scores": scores, "timestamp": item.timestamps[step]}
        entries.append(((kinds[kind], series, step or 0), entry))
    entries.sort(key=lambda pair: pair[0])
    return {
        "explanations": [entry for _, entry in entries],
        "item_id": item.item_id,
        "offset": [float(v) for v in explanation.offset],
    }


def out_jsonl(explanations: Sequence[ItemExplanation], dataset: TimeSeriesDataset) -> str:
    """The whole file: one JSON object per item, in the order given."""
    return "".join(json.dumps(item_line(e, dataset), allow_nan=False) + "\n" for e in explanations)
