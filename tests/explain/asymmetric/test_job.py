"""The job around ASV: the 2024 run's layout reproduced, the report skipped, refusals.

The equivalent input of the one published run (EX-TS, modalities contract §3.1, §3.3):
its analysis_config verbatim (plus ``predictor.openclarify.endpoint_url``), two items
listed ``seattle`` first, 9 timestamps, the target known for the first 3, related
``rain_mm`` and ``T_degC``; values come from our linear model, the layout is Clarify's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.cli import main as cli_main
from openclarify.container import SUCCESS_MESSAGE
from openclarify.errors import ConfigError, DatasetError
from tests.explain.asymmetric import data
from tests.explain.asymmetric.forecaster import ForecastServer, H, forecast_server

STAMPS = [f"2020-01-01 {16 + m // 60}:{m % 60:02d}:00" for m in range(20, 110, 10)]

EX_TS_CONFIG: dict[str, Any] = {
    "dataset_type": "application/json",
    "headers": ["item_id", "timestamp", "p_mbar", "rain_mm", "T_degC"],
    "methods": {
        "asymmetric_shapley_value": {
            "baseline": {"related_time_series": "zero", "target_time_series": "zero"},
            "direction": "chronological",
            "granularity": "fine_grained",
            "num_samples": 2,
        },
        "report": {"name": "report", "title": "Analysis Report"},
    },
    "predictor": {
        "accept_type": "application/json",
        "content_template": '{"instances": $record}',
        "content_type": "application/json",
        "endpoint_name": "timeseries-byom-endpoint-1715382341-39c2",
        "record_template": (
            '{"start": $start_time, "target": $target_time_series, '
            '"dynamic_feat": $related_time_series}'
        ),
        "time_series_predictor_config": {"forecast": "predictions.mean"},
    },
    "time_series_data_config": {
        "dataset_format": "timestamp_records",
        "item_id": "[].item_id",
        "related_time_series": ["[].rain_mm", "[].T_degC"],
        "target_time_series": "[].p_mbar",
        "timestamp": "[].timestamp",
    },
}


def ex_ts_rows() -> list[dict[str, Any]]:
    rows = []
    for t, stamp in enumerate(STAMPS):
        for k, item in enumerate(["seattle", "sanjose"]):
            rows.append(
                {
                    "item_id": item,
                    "timestamp": stamp,
                    "p_mbar": 1000.0 + 3 * t + k if t < 3 else None,
                    "rain_mm": 0.1 * t * k,
                    "T_degC": 12.5 - 0.3 * t + k,
                }
            )
    return rows


@pytest.fixture(scope="module")
def server() -> Iterator[ForecastServer]:
    with forecast_server() as running:
        yield running


def container_job(tmp_path: Path, cfg: dict[str, Any], rows: Any) -> Path:
    config_dir = tmp_path / "processing" / "input" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "analysis_config.json").write_text(json.dumps(cfg))
    data_dir = tmp_path / "processing" / "input" / "data"
    data_dir.mkdir(parents=True)
    (data_dir / "mock_data.json").write_text(json.dumps(rows))
    return tmp_path


def test_the_2024_run_layout_key_for_key(
    server: ForecastServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = json.loads(json.dumps(EX_TS_CONFIG))
    cfg["predictor"]["openclarify"] = {"endpoint_url": server.url}
    base = container_job(tmp_path, cfg, ex_ts_rows())
    assert cli_main(["container", "--base-dir", str(base)]) == 0
    log = capsys.readouterr().err
    output = base / "processing" / "output"
    analysis = json.loads((output / "analysis.json").read_text())
    assert analysis == {
        "version": "1.0",
        "explanations": {
            "asymmetric_shapley_value": {
                "direction": "chronological",
                "granularity": "fine_grained",
                "explanation_results_path": (
                    "asymmetric_shapley_value/fine_grained_chronological/out.jsonl"
                ),
            }
        },
    }
    assert list(analysis["explanations"]["asymmetric_shapley_value"]) == [
        "direction",
        "granularity",
        "explanation_results_path",
    ]
    out = output / "asymmetric_shapley_value" / "fine_grained_chronological" / "out.jsonl"
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["item_id"] for line in lines] == ["sanjose", "seattle"]  # not input order
    for line in lines:
        assert list(line) == ["explanations", "item_id", "offset"]
        names = [e["feature_name"] for e in line["explanations"]]
        assert names == ["p_mbar"] * 3 + ["rain_mm"] * 9 + ["T_degC"] * 9
        stamps = [e["timestamp"] for e in line["explanations"]]
        assert stamps == STAMPS[:3] + STAMPS + STAMPS
        assert all(list(e) == ["feature_name", "scores", "timestamp"] for e in line["explanations"])
        assert all(len(e["scores"]) == H for e in line["explanations"])
        assert len(line["offset"]) == H
    # zero baseline, no statics: the all-baseline forecast is the same for both items
    assert lines[0]["offset"] == lines[1]["offset"]
    assert f"Wrote 2 lines to {out}" in log
    # no report for time series (Clarify writes none), and the plain success message
    assert not list(output.glob("report*"))
    assert (base / "output" / "message").read_text().strip() == SUCCESS_MESSAGE


def test_statics_carry_no_timestamp_and_come_last(server: ForecastServer, tmp_path: Path) -> None:
    asv = {
        "direction": "chronological",
        "granularity": "fine_grained",
        "num_samples": 4,
        "baseline": {"static_covariates": {"a": [0], "b": [0]}},
    }
    result = openclarify.analyze(
        data.config(server.url, "columns", asv=asv), data.write(tmp_path, "columns")
    )
    (file,) = result.files
    for line in map(json.loads, file.content().splitlines()):
        last = line["explanations"][-1]
        assert list(last) == ["feature_name", "scores"] and last["feature_name"] == "region"
        names = [e["feature_name"] for e in line["explanations"]]
        assert names == ["sales"] * 4 + ["price"] * 6 + ["promo"] * 6 + ["region"]


def test_timewise_layout_one_entry_per_step(server: ForecastServer, tmp_path: Path) -> None:
    result = openclarify.analyze(data.config(server.url), data.write(tmp_path, "timestamp_records"))
    (file,) = result.files
    assert file.path == "asymmetric_shapley_value/timewise_chronological/out.jsonl"
    for line in map(json.loads, file.content().splitlines()):
        assert [e["timestamp"] for e in line["explanations"]] == data.TIMESTAMPS
        assert all(list(e) == ["feature_name", "scores", "timestamp"] for e in line["explanations"])
        assert {e["feature_name"] for e in line["explanations"]} == {"sales"}


def test_every_layout_gives_the_same_result(server: ForecastServer, tmp_path: Path) -> None:
    asv = {
        "direction": "chronological",
        "granularity": "fine_grained",
        "num_samples": 2,
        "baseline": {"static_covariates": {"a": [1], "b": [0]}},
    }
    outputs = {
        layout: openclarify.analyze(
            data.config(server.url, layout, asv=asv), data.write(tmp_path, layout)
        )
        .files[0]
        .content()
        for layout in data.TS_CONFIGS
    }
    assert outputs["columns"] == outputs["timestamp_records"] == outputs["item_records"]


def _refused(cfg: dict[str, Any], dataset: Path, backend: str = "local") -> ConfigError:
    with pytest.raises(ConfigError) as refused:
        openclarify.analyze(cfg, dataset, backend=backend)
    return refused.value


def test_refusals(server: ForecastServer, tmp_path: Path) -> None:
    dataset = data.write(tmp_path, "timestamp_records")

    def cfg(**asv: Any) -> dict[str, Any]:
        return data.config(
            server.url,
            asv={
                "direction": "chronological",
                "granularity": "fine_grained",
                "num_samples": 2,
                **asv,
            },
        )

    missing = _refused(cfg(baseline={"static_covariates": {"a": [0]}}), dataset)
    assert "static_covariates: has no entry for an item" in str(missing)
    counts = _refused(cfg(baseline={"static_covariates": {"a": [0, 1], "b": [0, 1]}}), dataset)
    assert "entry 1 has 2 values for 1 static covariates" in str(counts)
    assert "not supported yet: a baseline given as a URI" in str(
        _refused(cfg(baseline="s3://b/k.json"), dataset)
    )
    bias = data.config(server.url)
    bias["methods"]["pre_training_bias"] = {"methods": "all"}
    assert "is unsupported for time series" in str(_refused(bias, dataset))
    no_ts = data.config(server.url)
    del no_ts["time_series_data_config"]
    assert "time_series_data_config: is required" in str(_refused(no_ts, dataset))
    ints = data.config(server.url)
    ints["time_series_data_config"] = {"item_id": 0, "timestamp": 1, "target_time_series": 2}
    assert "not supported yet: integer indices" in str(_refused(ints, dataset))
    in_process = data.config(server.url)
    in_process["predictor"]["openclarify"] = {
        "model_path": str(dataset),
        "allow_code_execution": True,
    }
    assert "in-process forecasting models" in str(_refused(in_process, dataset))
    headers = data.config(server.url)
    headers["headers"] = headers["headers"][:3]
    assert "expected 6 names for a time-series dataset" in str(_refused(headers, dataset))


def test_bad_data_is_refused_before_the_model_is_opened(
    server: ForecastServer, tmp_path: Path
) -> None:
    rows = data.timestamp_records()
    rows[3]["promo"] = "n/a"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows))
    pings = server.pings
    with pytest.raises(DatasetError, match="'promo' values must be numbers, found str"):
        openclarify.analyze(data.config(server.url), path)
    # the model was never opened (no /ping): a shadow endpoint would not have been created
    assert server.pings == pings
    openclarify.analyze(data.config(server.url), data.write(tmp_path, "timestamp_records"))
    assert server.pings == pings + 1  # a good dataset does open it (the check can fail)
