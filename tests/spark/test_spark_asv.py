"""Asymmetric Shapley values on Spark write the same bytes as the local backend.

The driver plans every item as the local backend does (same games, same sampled
orderings from the same seed, same records); tasks only forecast chunks of records.
With chunks cut to a few items (``RECORDS_PER_CALL`` lowered) the items are spread
over several tasks, so a chunk put back in the wrong place would change the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.errors import ConfigError
from openclarify.explain.asymmetric import estimator
from tests.explain.asymmetric import data
from tests.explain.asymmetric.forecaster import (
    ForecastServer,
    forecast_server,
    interacting_forecast,
)

pytestmark = pytest.mark.spark

CASES = {
    "timewise_bidirectional": {"direction": "bidirectional", "granularity": "timewise"},
    "fine_grained_sampled": {
        "direction": "chronological",
        "granularity": "fine_grained",
        "num_samples": 2,
        "baseline": {"static_covariates": {"a": [0], "b": [1]}},
    },
}
FILES = ["analysis.json"]


@pytest.fixture(scope="module")
def server() -> Iterator[ForecastServer]:
    with forecast_server(interacting_forecast) as running:
        yield running


@pytest.mark.parametrize("name", list(CASES))
def test_spark_writes_the_local_bytes(
    name: str,
    server: ForecastServer,
    spark: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asv = CASES[name]
    cfg = data.config(server.url, "item_records", asv=asv)
    dataset = data.write(tmp_path, "item_records")
    out_file = f"asymmetric_shapley_value/{asv['granularity']}_{asv['direction']}/out.jsonl"
    monkeypatch.setattr(estimator, "RECORDS_PER_CALL", 1)  # one item per chunk, per task
    local = openclarify.run(cfg, dataset, tmp_path / "local", backend="local")
    with caplog.at_level(logging.INFO, logger="openclarify"):
        on_spark = openclarify.run(cfg, dataset, tmp_path / "spark", backend="spark")
    assert "Asymmetric Shapley values on Spark: 2 items in 2 task(s)" in caplog.text
    assert local.to_dict() == on_spark.to_dict()
    for file in [*FILES, out_file]:
        one = (tmp_path / "local" / file).read_bytes()
        assert one == (tmp_path / "spark" / file).read_bytes(), file
    assert len((tmp_path / "spark" / out_file).read_text().splitlines()) == 2


def test_shadow_endpoints_are_refused_on_spark(server: ForecastServer, tmp_path: Path) -> None:
    cfg = data.config(server.url)
    del cfg["predictor"]["openclarify"], cfg["predictor"]["endpoint_name"]
    cfg["predictor"].update(
        {"model_name": "m", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}
    )
    with pytest.raises(ConfigError, match="spark backend cannot run this analysis exactly"):
        openclarify.analyze(cfg, data.write(tmp_path, "timestamp_records"), backend="spark")
