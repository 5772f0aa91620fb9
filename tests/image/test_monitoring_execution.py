"""The built image as the monitoring image: an execution laid out as the service lays it out.

Environment (``docker run -e``) and ``/opt/ml/processing/...`` mounts as monitor
contract §1.3 describes them: the job definition's config at
``processing/input/config``, an hour of raw data capture under
``processing/input_data/<endpoint>/AllTraffic/yyyy/mm/dd/hh``, ground truth under
``processing/groundtruth``, the baseline under ``processing/baseline/constraints``.
The image must write what the library's container adapter writes on the same tree
(``analysis.json`` and ``constraint_violations.json`` byte for byte), the
``CompletedWithViolations`` message and the CloudWatch file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from openclarify.container import run_container
from tests.monitor_capture.test_execution import (
    BIAS_CONFIG,
    NO_REPORT,
    _worse,
    lay_out_execution,
    plain_analysis,
    traffic,
)

from .conftest import docker_run, message, outputs

ENVIRONMENT = {
    "dataset_format": '{"sagemakerCaptureJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}',
    "dataset_source": "/opt/ml/processing/input_data",
    "output_path": "/opt/ml/processing/output",
    "start_time": "2024-01-19T19:00:00Z",
    "end_time": "2024-01-19T20:00:00Z",
    "publish_cloudwatch_metrics": "Enabled",
    "sagemaker_endpoint_name": "endpoint",
    "sagemaker_monitoring_schedule_name": "schedule",
    "probability_threshold_attribute": "0.6",
}


def _lay_out(base: Path, tmp_path: Path) -> None:
    tmp_path.mkdir()
    frame = traffic()
    lay_out_execution(base, frame, {**BIAS_CONFIG, "methods": NO_REPORT})
    constraints = base / "processing" / "baseline" / "constraints"
    constraints.mkdir(parents=True)
    (constraints / "analysis.json").write_text(json.dumps(_worse(plain_analysis(tmp_path, frame))))
    shutil.rmtree(base / "staging")


def test_a_monitoring_execution_in_the_image(
    image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    _lay_out(inside, tmp_path / "a")
    _lay_out(outside, tmp_path / "b")
    extra = tuple(item for key, value in ENVIRONMENT.items() for item in ("-e", f"{key}={value}"))
    run = docker_run(image, inside, extra=extra)
    assert run.code == 0, run.stderr[-2000:]
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    assert run_container(outside) == 0

    got, want = outputs(inside), outputs(outside)
    assert sorted(got) == ["analysis.json", "constraint_violations.json"]
    assert got == want  # byte for byte
    assert message(inside) == message(outside)
    assert message(inside).startswith("CompletedWithViolations: Metric value ")
    metrics = inside / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl"
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert records and all(r["Timestamp"] == "2024-01-19T19:00:00Z" for r in records)
    assert "Monitoring data: /opt/ml/processing/input_data (env dataset_source)" in (
        run.stdout + run.stderr
    )
