"""Known answers: a linear forecaster served over HTTP gives ASV in closed form.

For ``f_h(x) = d_h + Σ coefficient·cell`` every marginal contribution of a player is
``Σ_{its cells} coefficient · (value − baseline)``, whatever the coalition, so the
asymmetric Shapley value equals it for every direction, granularity, and for the
sampled estimator too (every sampled ordering gives the same contributions); for
chronological order this is ``w_t (x_t − b_t)``.  ``offset`` is ``f`` of the
all-baseline input and ``offset + Σ scores = f(x)`` per forecast step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import openclarify
from tests.explain.asymmetric import data
from tests.explain.asymmetric.forecaster import (
    ForecastServer,
    H,
    expected_linear,
    forecast_server,
    interacting_forecast,
    linear_forecast,
)

#: Sums of a few dozen float products: agreement to 1e-9 absolute (values are O(100)).
ATOL = 1e-9


@pytest.fixture(scope="module")
def server() -> Iterator[ForecastServer]:
    with forecast_server(linear_forecast) as running:
        yield running


def lines(cfg: dict[str, Any], dataset: Path) -> list[dict[str, Any]]:
    result = openclarify.analyze(cfg, dataset)
    (file,) = result.files
    return [json.loads(line) for line in file.content().splitlines()]


def record(item: str) -> dict[str, Any]:
    return {
        "target": data.target(item).tolist(),
        "dynamic_feat": data.related(item).tolist(),
        "cat": data.statics(item),
    }


def baselines(item: str, asv: dict[str, Any]) -> dict[str, Any]:
    base = asv.get("baseline", {})
    target, related = data.target(item), data.related(item)
    t = (
        np.full_like(target, target.mean())
        if base.get("target_time_series") == "mean"
        else 0 * target
    )
    if base.get("related_time_series") == "mean":
        r = np.repeat(related.mean(axis=1, keepdims=True), related.shape[1], axis=1)
    else:
        r = 0 * related
    s = base.get("static_covariates", {}).get(item, data.statics(item))
    return {"target": t, "related": r, "statics": s}


def entries(line: dict[str, Any], name: str) -> np.ndarray:
    return np.array([e["scores"] for e in line["explanations"] if e["feature_name"] == name])


FINE = [
    {"num_samples": 50, "baseline": {"static_covariates": {"a": [0.0], "b": [1.0]}}},
    {
        "num_samples": 1,  # cheaper to sample: sampled, still exact for a linear model
        "baseline": {
            "target_time_series": "mean",
            "related_time_series": "mean",
            "static_covariates": {"a": [3], "b": [0]},
        },
    },
]


@pytest.mark.parametrize("settings", FINE, ids=["exact", "sampled"])
def test_fine_grained_equals_the_closed_form(
    settings: dict[str, Any], server: ForecastServer, tmp_path: Path
) -> None:
    asv = {"direction": "chronological", "granularity": "fine_grained", **settings}
    out = lines(data.config(server.url, asv=asv), data.write(tmp_path, "timestamp_records"))
    assert [line["item_id"] for line in out] == ["a", "b"]
    for line in out:
        item = line["item_id"]
        base = baselines(item, asv)
        want = expected_linear(data.target(item), data.related(item), data.statics(item), base)
        np.testing.assert_allclose(entries(line, "sales"), want["target"], atol=ATOL)
        np.testing.assert_allclose(entries(line, "price"), want["related"][0], atol=ATOL)
        np.testing.assert_allclose(entries(line, "promo"), want["related"][1], atol=ATOL)
        np.testing.assert_allclose(entries(line, "region"), want["static"], atol=ATOL)
        offset = linear_forecast(
            {
                "target": base["target"].tolist(),
                "dynamic_feat": base["related"].tolist(),
                "cat": base["statics"],
            }
        )
        np.testing.assert_allclose(line["offset"], offset, atol=ATOL)
        total = np.array(line["offset"]) + np.sum(
            [e["scores"] for e in line["explanations"]], axis=0
        )
        np.testing.assert_allclose(total, linear_forecast(record(item)), atol=ATOL)


@pytest.mark.parametrize("direction", ["chronological", "anti_chronological", "bidirectional"])
def test_timewise_equals_the_closed_form(
    direction: str, server: ForecastServer, tmp_path: Path
) -> None:
    asv = {"direction": direction, "granularity": "timewise"}
    out = lines(data.config(server.url, "columns", asv=asv), data.write(tmp_path, "columns"))
    for line in out:
        item = line["item_id"]
        base = baselines(item, asv)
        want = expected_linear(data.target(item), data.related(item), data.statics(item), base)
        per_step = want["related"].sum(axis=0)  # (T, H)
        per_step[: data.N_OBS] += want["target"]
        assert [e["timestamp"] for e in line["explanations"]] == data.TIMESTAMPS
        assert {e["feature_name"] for e in line["explanations"]} == {"sales"}
        np.testing.assert_allclose(entries(line, "sales"), per_step, atol=ATOL)
        # statics are not explained: they keep the item's value in the offset
        offset = linear_forecast(
            {"target": [0.0] * 4, "dynamic_feat": [[0.0] * 6] * 2, "cat": data.statics(item)}
        )
        np.testing.assert_allclose(line["offset"], offset, atol=ATOL)
        total = np.array(line["offset"]) + entries(line, "sales").sum(axis=0)
        np.testing.assert_allclose(total, linear_forecast(record(item)), atol=ATOL)


def test_efficiency_with_interactions_every_item_every_direction(tmp_path: Path) -> None:
    dataset = data.write(tmp_path, "item_records")
    with forecast_server(interacting_forecast) as running:
        for asv in (
            {
                "direction": "chronological",
                "granularity": "fine_grained",
                "num_samples": 2,  # sampled (28 coalitions against 36 exact)
                "baseline": {"static_covariates": {"a": [0], "b": [0]}},
            },
            {
                "direction": "chronological",
                "granularity": "fine_grained",
                "num_samples": 40,
                "baseline": {"static_covariates": {"a": [0], "b": [0]}},
            },
            {"direction": "anti_chronological", "granularity": "timewise"},
            {"direction": "bidirectional", "granularity": "timewise"},
        ):
            for line in lines(data.config(running.url, "item_records", asv=asv), dataset):
                scores = np.array([e["scores"] for e in line["explanations"]])
                assert scores.shape[1] == H
                forecast = interacting_forecast(record(line["item_id"]))
                # offset + Σ φ telescopes to f(x): float sums of ~40 terms of size ~1e3
                np.testing.assert_allclose(
                    np.array(line["offset"]) + scores.sum(axis=0), forecast, atol=1e-8
                )


def test_direction_symmetry_reversed_series(tmp_path: Path) -> None:
    """Anti-chronological on a series equals chronological on the reversed series, when
    the model reads the series reversed (so both see the same function of the same steps)."""

    def reversed_model(rec: dict[str, Any]) -> list[float]:
        return interacting_forecast(
            {
                "target": rec["target"][::-1],
                "dynamic_feat": [row[::-1] for row in rec["dynamic_feat"]],
                "cat": rec["cat"],
            }
        )

    full = {
        item: dict(series, target=series["related"][0][:]) for item, series in data.ITEMS.items()
    }
    # a fully observed target (six steps) so that reversing keeps every step a player
    forward_rows, backward_rows = [], []
    for item, series in full.items():
        for t, stamp in enumerate(data.TIMESTAMPS):
            forward_rows.append(
                {
                    "item_id": item,
                    "timestamp": stamp,
                    "sales": series["target"][t] + 1,
                    "price": series["related"][0][t],
                    "promo": series["related"][1][t],
                    "region": 1,
                }
            )
            u = 5 - t
            backward_rows.append(
                {
                    "item_id": item,
                    "timestamp": stamp,
                    "sales": series["target"][u] + 1,
                    "price": series["related"][0][u],
                    "promo": series["related"][1][u],
                    "region": 1,
                }
            )
    (tmp_path / "f.json").write_text(json.dumps(forward_rows))
    (tmp_path / "b.json").write_text(json.dumps(backward_rows))
    timewise = {"granularity": "timewise"}
    with forecast_server(interacting_forecast) as plain, forecast_server(reversed_model) as flipped:
        anti_cfg = data.config(plain.url, asv={"direction": "anti_chronological", **timewise})
        chrono_cfg = data.config(flipped.url, asv={"direction": "chronological", **timewise})
        plain_cfg = data.config(plain.url, asv={"direction": "chronological", **timewise})
        anti = lines(anti_cfg, tmp_path / "f.json")
        chrono = lines(chrono_cfg, tmp_path / "b.json")
        plain_chrono = lines(plain_cfg, tmp_path / "f.json")
    for one, other, same_data in zip(anti, chrono, plain_chrono, strict=True):
        # ~20 float products of size ~1e2: 1e-9 absolute
        np.testing.assert_allclose(entries(one, "sales"), entries(other, "sales")[::-1], atol=1e-9)
        np.testing.assert_allclose(one["offset"], other["offset"], atol=1e-9)
        # the direction matters for this model, so the check above can fail
        assert np.abs(entries(one, "sales") - entries(same_data, "sales")).max() > 1.0
