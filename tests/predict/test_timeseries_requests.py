"""Forecasting-model requests: templates, several items per request, forecasts, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.errors import ConfigError, PredictorError
from tests.explain.asymmetric import data
from tests.explain.asymmetric.forecaster import ForecastServer, forecast_server

TIMEWISE = {"direction": "chronological", "granularity": "timewise"}


@pytest.fixture(scope="module")
def server() -> Iterator[ForecastServer]:
    with forecast_server() as running:
        yield running


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return data.write(tmp_path, "timestamp_records")


def _lines(cfg: dict[str, Any], dataset: Path) -> str:
    (file,) = openclarify.analyze(cfg, dataset).files
    text: str = file.content()
    return text


def test_records_share_requests_and_record_sends_one(server: ForecastServer, dataset: Path) -> None:
    server.bodies.clear()
    many = _lines(data.config(server.url), dataset)
    shared = len(server.bodies)
    server.bodies.clear()
    single = _lines(
        data.config(server.url, content_template="$record", forecast="predictions.mean"), dataset
    )
    one_each = len(server.bodies)
    assert many == single
    # timewise over 6 steps: 6 + 1 coalitions per item (the empty one is shared), 2 items
    assert one_each == 2 * 7
    assert shared < one_each
    assert all(
        json.loads(body).keys() == {"start", "target", "dynamic_feat", "cat"}
        for body in server.bodies
    )


def test_json_lines_requests_give_the_same_values(server: ForecastServer, dataset: Path) -> None:
    jsonl = data.config(
        server.url,
        content_template="$record",
        forecast="mean",
        content_type="application/jsonlines",
    )
    assert _lines(jsonl, dataset) == _lines(data.config(server.url), dataset)


def test_the_placeholders_render_the_documented_record(
    server: ForecastServer, dataset: Path
) -> None:
    server.bodies.clear()
    _lines(
        data.config(server.url, content_template="$record", forecast="predictions.mean"), dataset
    )
    records = [json.loads(body) for body in server.bodies]
    full = [r for r in records if r["target"] == data.ITEMS["a"]["target"]]
    assert full[0] == {
        "start": data.TIMESTAMPS[0],
        "target": data.ITEMS["a"]["target"],  # observed steps only
        "dynamic_feat": data.ITEMS["a"]["related"],  # every step, config order
        "cat": data.ITEMS["a"]["static"],
    }


def test_bare_record_template_is_the_default_record(server: ForecastServer, dataset: Path) -> None:
    default = data.config(server.url, record_template="$record")
    assert _lines(default, dataset) == _lines(data.config(server.url), dataset)


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        (
            {"content_template": '{"x": $target_time_series}'},
            "content_template",
            "cannot use $target_time_series",
        ),
        (
            {"content_template": '{"x": 1}'},
            "content_template",
            "exactly one $record or $records, found 0",
        ),
        (
            {"content_template": "[$record, $records]"},
            "content_template",
            "exactly one $record or $records, found 2",
        ),
        (
            {"record_template": '{"start": $start_time}'},
            "record_template",
            "must contain $target_time_series",
        ),
        (
            {"record_template": '{"t": $target_time_series, "r": $records}'},
            "record_template",
            "cannot use $records",
        ),
        (
            {"record_template": '{"t": $target_time_series, "f": $features}'},
            "record_template",
            "cannot use $features",
        ),
        (
            {"record_template": '{"t": $target_time_series'},
            "record_template",
            "does not render valid JSON",
        ),
        ({"forecast": "predictions[*.mean"}, "forecast", "is not a valid JMESPath"),
        (
            {"content_type": "text/csv"},
            "content_type",
            "must be application/json or application/jsonlines",
        ),
    ],
)
def test_template_misuse_is_refused_before_any_call(
    changes: dict[str, str], where: str, message: str, server: ForecastServer, dataset: Path
) -> None:
    server.bodies.clear()
    with pytest.raises(ConfigError) as refused:
        openclarify.analyze(data.config(server.url, **changes), dataset)
    assert f"predictor.{where}" in str(refused.value) or where in refused.value.where
    assert message in str(refused.value)
    assert server.bodies == []


def test_series_placeholder_without_its_series_is_refused(
    server: ForecastServer, dataset: Path
) -> None:
    cfg = data.config(server.url)
    del cfg["time_series_data_config"]["static_covariates"]
    cfg["headers"] = cfg["headers"][:-1]
    with pytest.raises(
        ConfigError, match=r"uses \$static_covariates but .*static_covariates is not set"
    ):
        openclarify.analyze(cfg, dataset)


def test_forecast_path_that_finds_no_list(server: ForecastServer, dataset: Path) -> None:
    with pytest.raises(PredictorError, match=r"forecast: the model's .* has 0 forecasts for"):
        openclarify.analyze(data.config(server.url, forecast="predictions[*].median"), dataset)
    single = data.config(server.url, content_template="$record", forecast="predictions.median")
    with pytest.raises(PredictorError, match=r"forecast: must give a list of numbers .* nothing"):
        openclarify.analyze(single, dataset)


def test_forecast_count_must_match_the_records(server: ForecastServer, dataset: Path) -> None:
    with pytest.raises(PredictorError, match="has 3 forecasts for 14 records"):
        openclarify.analyze(data.config(server.url, forecast="predictions[0].mean"), dataset)


def test_missing_forecast_config(server: ForecastServer, dataset: Path) -> None:
    cfg = data.config(server.url)
    del cfg["predictor"]["time_series_predictor_config"]
    with pytest.raises(ConfigError, match="time_series_predictor_config: is required"):
        openclarify.analyze(cfg, dataset)
