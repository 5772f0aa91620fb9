"""A monitoring execution end to end: CLI, the image's layout, and the plain analysis it equals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from openclarify import cli, job
from openclarify.container import run_container
from openclarify.errors import ConfigError, DatasetError
from openclarify.monitor.execution import MonitoringRun, run_monitoring
from openclarify.monitor.window import Window
from tests.emulator.fixtures import emulator  # noqa: F401  (the fixture)
from tests.emulator.server import DEFAULT_ENDPOINT_NAME, Emulator

from .records import capture_line, csv_row, truth_line, write_lines

HEADERS = ["Target", "Age", "Sex", "Income"]
BIAS_CONFIG: dict[str, Any] = {
    "headers": HEADERS,
    "label": "Target",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
    "group_variable": "Age",
}
NO_REPORT = {
    "pre_training_bias": {"methods": "all"},
    "post_training_bias": {"methods": "all"},
    "report": None,
}


def traffic(n: int = 240, seed: int = 3) -> pd.DataFrame:
    """Loan-like rows with a score that favours Sex = 1 (so that there is bias to measure)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Age": rng.integers(18, 70, n),
            "Sex": rng.integers(0, 2, n),
            "Income": np.round(rng.normal(50, 15, n), 2),
        }
    )
    score = 1 / (1 + np.exp(-((frame["Income"] - 50) / 10 + frame["Sex"] - 0.3)))
    frame["Target"] = (rng.random(n) < score).astype(int)
    frame["score"] = np.round(score, 6)
    return frame


def write_capture(root: Path, frame: pd.DataFrame, *, per_event: int = 3) -> tuple[Path, Path]:
    """Capture (several records per event) and ground truth of ``frame``, hour by hour."""
    capture, truth = [], []
    for start in range(0, len(frame), per_event):
        part = frame.iloc[start : start + per_event]
        request = "\n".join(
            csv_row(r) for r in part[["Age", "Sex", "Income"]].itertuples(index=False)
        )
        response = "\n".join(str(s) for s in part["score"])
        minute = (start // per_event) % 60
        capture.append(
            capture_line(
                request,
                response,
                event_id=f"event-{start}",
                inference_id=f"id-{start}",
                time=f"2024-01-19T19:{minute:02d}:00Z",
            )
        )
        truth.append(truth_line(f"id-{start}", "\n".join(str(t) for t in part["Target"])))
    data = root / "capture" / "endpoint" / "AllTraffic" / "2024" / "01" / "19" / "19"
    write_lines(data / "00-00-000-a.jsonl", capture[: len(capture) // 2])
    write_lines(data / "30-00-000-b.jsonl", capture[len(capture) // 2 :])
    write_lines(root / "truth" / "2024" / "01" / "19" / "20" / "labels.jsonl", truth)
    return root / "capture", root / "truth"


def plain_analysis(tmp_path: Path, frame: pd.DataFrame) -> dict[str, Any]:
    """The same rows as an ordinary CSV dataset with a score column."""
    data = tmp_path / "plain.csv"
    frame[[*HEADERS, "score"]].to_csv(data, index=False)
    config = {
        **BIAS_CONFIG,
        "dataset_type": "text/csv",
        "headers": [*HEADERS, "score"],
        "predicted_label": "score",
        "probability_threshold": 0.6,
        "methods": {k: v for k, v in NO_REPORT.items() if v is not None},
    }
    return job.analyze(config, data).to_dict()


def test_the_monitoring_analysis_equals_the_plain_analysis_of_the_same_rows(
    tmp_path: Path,
) -> None:
    frame = traffic()
    capture, truth = write_capture(tmp_path, frame)
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps({**BIAS_CONFIG, "methods": NO_REPORT}))
    done = run_monitoring(
        MonitoringRun(
            config,
            capture,
            tmp_path / "out",
            ground_truth=truth,
            attributes={"threshold": 0.6},
        )
    )
    written = json.loads((tmp_path / "out" / "analysis.json").read_text())
    expected = plain_analysis(tmp_path, frame)
    assert written == expected  # every metric, both stages, FT included
    assert done.tally.records == len(frame)
    assert done.message == "Completed: openclarify analysis ran successfully"


def _worse(document: dict[str, Any]) -> dict[str, Any]:
    """A baseline whose post-training values are all smaller in magnitude (so: violations)."""
    baseline = json.loads(json.dumps(document))
    for facet in baseline["post_training_bias_metrics"]["facets"]["Sex"]:
        for metric in facet["metrics"]:
            if isinstance(metric.get("value"), float):
                metric["value"] = metric["value"] / 2
    return baseline


def test_cli_monitor_with_a_baseline_writes_violations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = traffic()
    capture, truth = write_capture(tmp_path, frame)
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps({**BIAS_CONFIG, "methods": NO_REPORT}))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(_worse(plain_analysis(tmp_path, frame))))
    code = cli.main(
        [
            "monitor",
            "--config",
            str(config),
            "--capture",
            str(capture),
            "--ground-truth",
            str(truth),
            "--baseline",
            str(baseline),
            "--start",
            "2024-01-19T19:00:00Z",
            "--end",
            "2024-01-19T20:00:00Z",
            "--threshold-attribute",
            "0.6",
            "--output",
            str(tmp_path / "out"),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())
    assert violations["violations"]
    assert {v["constraint_check_type"] for v in violations["violations"]} == {"bias_drift_check"}
    assert printed.splitlines()[-1].startswith("CompletedWithViolations: Metric value ")


def test_cli_monitor_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture, truth = write_capture(tmp_path, traffic(30))
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps({**BIAS_CONFIG, "methods": NO_REPORT}))
    arguments = ["monitor", "--config", str(config), "--capture", str(capture)]
    code = cli.main(
        [
            *arguments,
            "--ground-truth",
            str(truth),
            "--start",
            "2030-01-01T00:00:00Z",
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == DatasetError.exit_code
    assert "No data to analyze" in capsys.readouterr().err
    code = cli.main([*arguments, "--start", "yesterday", "--output", str(tmp_path / "o")])
    assert code == ConfigError.exit_code
    assert "--start: is not an ISO 8601 time" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_config_error_is_found_before_the_capture_is_read(tmp_path: Path) -> None:
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps({**BIAS_CONFIG, "facet": [], "methods": NO_REPORT}))
    with pytest.raises(ConfigError, match=r"\$.facet"):
        run_monitoring(MonitoringRun(config, tmp_path / "does-not-exist", tmp_path / "out"))


def lay_out_execution(base: Path, frame: pd.DataFrame, config: dict[str, Any]) -> None:
    """The tree the service mounts: config, merged-or-raw capture, ground truth, baseline."""
    processing = base / "processing"
    capture, truth = write_capture(base / "staging", frame)
    (processing / "input" / "config").mkdir(parents=True)
    (processing / "input" / "config" / "analysis_config.json").write_text(json.dumps(config))
    capture.rename(processing / "input_data")
    truth.rename(processing / "groundtruth")


def test_the_image_runs_a_monitoring_execution_as_the_service_lays_it_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = traffic()
    base = tmp_path / "ml"
    lay_out_execution(base, frame, {**BIAS_CONFIG, "methods": NO_REPORT})
    constraints = base / "processing" / "baseline" / "constraints"
    constraints.mkdir(parents=True)
    (constraints / "analysis.json").write_text(json.dumps(_worse(plain_analysis(tmp_path, frame))))
    environment = {
        "dataset_format": '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}',
        "dataset_source": "/opt/ml/processing/input_data",
        "output_path": "/opt/ml/processing/output",
        "start_time": "2024-01-19T19:00:00Z",
        "end_time": "2024-01-19T20:00:00Z",
        "publish_cloudwatch_metrics": "Enabled",
        "sagemaker_endpoint_name": "endpoint",
        "sagemaker_monitoring_schedule_name": "schedule",
        "probability_threshold_attribute": "0.6",
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert run_container(base) == 0
    output = base / "processing" / "output"
    assert json.loads((output / "analysis.json").read_text()) == plain_analysis(tmp_path, frame)
    assert (output / "constraint_violations.json").exists()
    message = (base / "output" / "message").read_text()
    assert message.startswith("CompletedWithViolations: Metric value ")
    metrics = list((base / "output" / "metrics" / "cloudwatch").glob("*.jsonl"))
    assert metrics and metrics[0].read_text().strip()


def test_the_image_fails_an_execution_with_no_data_in_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "ml"
    lay_out_execution(base, traffic(30), {**BIAS_CONFIG, "methods": NO_REPORT})
    monkeypatch.setenv("sagemaker_monitoring_schedule_name", "schedule")
    monkeypatch.setenv("start_time", "2024-01-19T21:00:00Z")
    monkeypatch.setenv("end_time", "2024-01-19T22:00:00Z")
    assert run_container(base) == DatasetError.exit_code
    message = (base / "output" / "message").read_text()
    assert message.startswith("ClientError: ")
    assert (
        "No data to analyze: 10 events read from 2 files; 0 used (0 records); 10 outside the window"
        in message
    )
    assert not any((base / "processing" / "output").glob("*"))


def test_a_config_without_dataset_type_is_a_monitoring_execution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no monitoring variable at all: the ConfigUri subset itself says "monitoring" (Q1);
    # the capture is at the SDK's default LocalPath
    frame = traffic(60)
    base = tmp_path / "ml"
    lay_out_execution(base, frame, {**BIAS_CONFIG, "methods": NO_REPORT})
    processing = base / "processing"
    (processing / "input").mkdir(exist_ok=True)
    (processing / "input_data").rename(processing / "input" / "endpoint")
    for key in ("dataset_format", "sagemaker_monitoring_schedule_name", "dataset_source"):
        monkeypatch.delenv(key, raising=False)
    assert run_container(base) == 0
    assert (processing / "output" / "analysis.json").exists()
    assert (base / "output" / "message").read_text().startswith("Completed: ")


def test_explainability_monitoring_explains_the_live_endpoint(
    tmp_path: Path,
    emulator: Emulator,  # noqa: F811
) -> None:
    # Q12: no predictor.model_name → the live endpoint, with the captured content types
    rows = [[0.1, -0.2, 0.3, 0.4], [1.0, 0.5, -0.5, 0.0], [-1.0, 0.2, 0.1, 0.9]]
    lines = [
        capture_line(csv_row(r), "0.5", event_id=f"e{i}", accept="text/csv; charset=utf-8")
        for i, r in enumerate(rows)
    ]
    capture = write_lines(tmp_path / "capture" / "a.jsonl", lines)
    config = tmp_path / "analysis_config.json"
    config.write_text(
        json.dumps(
            {
                "headers": ["x0", "x1", "x2", "x3"],
                "methods": {
                    "shap": {"baseline": [[0.0, 0.0, 0.0, 0.0]], "num_samples": 20, "seed": 1},
                    "report": None,
                },
            }
        )
    )
    done = run_monitoring(
        MonitoringRun(
            config,
            capture,
            tmp_path / "out",
            env={"sagemaker_endpoint_name": DEFAULT_ENDPOINT_NAME},
        )
    )
    assert done.document["predictor"] == {
        "endpoint_name": DEFAULT_ENDPOINT_NAME,
        "content_type": "text/csv",
        "accept_type": "text/csv",
    }
    shap = json.loads((tmp_path / "out" / "analysis.json").read_text())["explanations"]
    assert set(shap["kernel_shap"]["label0"]["global_shap_values"]) == {"x0", "x1", "x2", "x3"}
    assert emulator.invocations  # the live endpoint answered the SHAP requests


def test_window_text_is_read_as_the_service_writes_it() -> None:
    window = Window.from_text("2019-12-01T15: 20: 00Z", "2019-12-01T16:20:00Z")
    assert window.start is not None and window.start.hour == 15
    with pytest.raises(ConfigError, match="must be before"):
        Window.from_text("2019-12-01T16:20:00Z", "2019-12-01T16:20:00Z")


def test_merged_records_as_the_dataset_of_an_ordinary_config(tmp_path: Path) -> None:
    # dataset_type application/sagemakercapturejson: the analyze path reads merged records
    frame = traffic(120)
    lines = []
    for i, row in enumerate(frame.itertuples(index=False)):
        lines.append(
            capture_line(
                csv_row([row.Age, row.Sex, row.Income]),
                str(row.score),
                event_id=str(i),
                truth={"data": str(row.Target), "encoding": "CSV"},
            )
        )
    merged = write_lines(tmp_path / "merged" / "part-00000.c000.jsonl", lines)
    config = {
        **BIAS_CONFIG,
        "dataset_type": "application/sagemakercapturejson",
        "probability_threshold": 0.6,
        "methods": {k: v for k, v in NO_REPORT.items() if v is not None},
    }
    assert job.analyze(config, merged.parent).to_dict() == plain_analysis(tmp_path, frame)


def test_an_ordinary_config_with_a_schedule_name_stays_an_ordinary_job(tmp_path: Path) -> None:
    from openclarify.monitor.layout import is_monitoring

    base = tmp_path / "ml"
    folder = base / "processing" / "input" / "config"
    folder.mkdir(parents=True)
    (folder / "analysis_config.json").write_text(json.dumps({**BIAS_CONFIG, "methods": NO_REPORT}))
    schedule = {"sagemaker_monitoring_schedule_name": "hourly"}
    assert is_monitoring(base, schedule)  # the ConfigUri subset: monitoring
    (folder / "analysis_config.json").write_text(json.dumps({"dataset_type": "text/csv"}))
    assert not is_monitoring(base, schedule)  # an ordinary config: a Clarify job
    assert is_monitoring(base, {"dataset_format": '{"sagemakerMergeJson": {}}'})
