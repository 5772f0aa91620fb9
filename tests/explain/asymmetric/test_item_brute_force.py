"""One short item, every time-respecting ordering of its real players enumerated by hand.

The players are defined here independently of :mod:`openclarify.explain.asymmetric.players`
(a static covariate, two observed target steps, three steps of one related series),
the admissible orderings are the permutations that put the static first and never
let a later step precede an earlier one, and the model is a non-linear function of
the record.  The estimator (exact, as the cost rule picks for blocks this small)
must equal the average of the marginal contributions over those orderings.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np

from openclarify.config import load_config
from openclarify.data.timeseries import TimeSeriesDataset, TimeSeriesItem
from openclarify.explain.asymmetric.estimator import explain_items
from openclarify.predict.timeseries import record_template
from tests.explain.asymmetric import data

TARGET = [2.0, -1.0]
RELATED = [0.5, 3.0, -2.0]
STATIC = 4.0
BASE = {"target": 0.0, "related": 0.0, "static": 1.0}  # zero baselines, static baseline 1


def model(record: dict[str, Any]) -> list[float]:
    t, r, s = record["target"], record["dynamic_feat"][0], record["cat"][0]
    first = t[0] * t[1] + r[2] * t[1] + s * r[0] + 0.5 * r[1] ** 2
    second = np.tanh(t[0] + r[2]) * s + t[1] * r[1] * r[0]
    return [float(first), float(second)]


def config() -> Any:
    cfg = data.config("http://127.0.0.1:1")
    ts = cfg["time_series_data_config"]
    ts["related_time_series"] = ts["related_time_series"][:1]
    cfg["headers"] = ["item_id", "timestamp", "sales", "price", "region"]
    cfg["methods"]["asymmetric_shapley_value"] = {
        "direction": "chronological",
        "granularity": "fine_grained",
        "num_samples": 50,
        "baseline": {"static_covariates": {"x": [BASE["static"]]}},
    }
    return load_config(cfg)


#: (kind, step) of each player, in the order out.jsonl lists them.
PLAYERS = [("target", 0), ("target", 1), ("related", 0), ("related", 1), ("related", 2)]
PLAYERS += [("static", -1)]


def record_of(present: set[int]) -> dict[str, Any]:
    target = [TARGET[t] if PLAYERS.index(("target", t)) in present else 0.0 for t in range(2)]
    related = [RELATED[t] if PLAYERS.index(("related", t)) in present else 0.0 for t in range(3)]
    static = STATIC if PLAYERS.index(("static", -1)) in present else BASE["static"]
    return {"target": target, "dynamic_feat": [related], "cat": [static]}


def brute_force() -> tuple[np.ndarray, int]:
    def admissible(order: tuple[int, ...]) -> bool:
        steps = [PLAYERS[p][1] for p in order]  # the static's -1 must come first
        return all(a <= b for a, b in itertools.pairwise(steps))

    orders = [o for o in itertools.permutations(range(len(PLAYERS))) if admissible(o)]
    total = np.zeros((len(PLAYERS), 2))
    for order in orders:
        present: set[int] = set()
        for p in order:
            before = np.array(model(record_of(present)))
            present.add(p)
            total[p] += np.array(model(record_of(present))) - before
    return total / len(orders), len(orders)


def test_the_estimator_equals_every_admissible_ordering() -> None:
    want, n_orders = brute_force()
    assert n_orders == 4  # 1 (static) · 2! (step 0) · 2! (step 1) · 1 (step 2)
    item = TimeSeriesItem(
        item_id="x",
        timestamps=("t0", "t1", "t2"),
        target=np.array(TARGET),
        related=np.array([RELATED]),
        statics=(STATIC,),
    )
    dataset = TimeSeriesDataset((item,), "sales", ("price",), ("region",))
    cfg = config()

    def forecaster(records: list[str]) -> np.ndarray:
        return np.array([model(json.loads(r)) for r in records])

    asv = cfg.methods.asymmetric_shapley_value
    assert asv is not None
    (got,) = explain_items(dataset, asv, record_template(cfg), forecaster)
    assert got.exact
    kinds = [(kind, step if step is not None else -1) for kind, _, step in got.game.labels]
    assert sorted(kinds) == sorted(PLAYERS)
    mine = np.array([got.scores[kinds.index(PLAYERS[p])] for p in range(len(PLAYERS))])
    # a handful of float products and sums: agreement to 1e-12
    np.testing.assert_allclose(mine, want, atol=1e-12)
    np.testing.assert_allclose(got.offset, model(record_of(set())), atol=1e-12)
    np.testing.assert_allclose(got.forecast, model(record_of(set(range(6)))), atol=1e-12)
