"""CloudWatch records, the BYOC metric file, and PutMetricData against moto's server."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from openclarify.errors import OutputError
from openclarify.monitor import cloudwatch
from openclarify.monitor.cloudwatch import (
    CLOUDWATCH_INFINITY,
    metric_records,
    namespace,
    put_metric_data,
    record_kind,
    write_metric_file,
)

from .conftest import AwsServer
from .documents import POST, PRE, bias_section, shap_document

WHEN = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def _analysis() -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": "1.0",
        POST: bias_section(
            {"AD": -0.11, "TE": math.inf, "DCR": None}, facet="Sex", facet_value="0"
        ),
        PRE: bias_section({"CI": 0.35, "DPL": -math.inf}, facet="Sex", facet_value="0"),
    }
    document["explanations"] = shap_document(
        {"label0": {"Age": 0.5, "Income": -0.1}}, expected=0.25
    )["explanations"]
    return document


def test_records_names_dimensions_and_values() -> None:
    records = metric_records(_analysis(), endpoint="ep", schedule="sched", timestamp=WHEN)
    bias_dims = [
        {"Name": "Endpoint", "Value": "ep"},
        {"Name": "MonitoringSchedule", "Value": "sched"},
        {"Name": "BiasStage", "Value": "Post-Training"},
        {"Name": "Label", "Value": "Label"},
        {"Name": "LabelValue", "Value": "1"},
        {"Name": "Facet", "Value": "Sex"},
        {"Name": "FacetValue", "Value": "0"},
    ]
    pre_dims = [dict(d) for d in bias_dims]
    pre_dims[2]["Value"] = "Pre-training"
    shap_dims = [
        {"Name": "Endpoint", "Value": "ep"},
        {"Name": "MonitoringSchedule", "Value": "sched"},
        {"Name": "ExplainabilityMethod", "Value": "KernelShap"},
        {"Name": "Label", "Value": "label0"},
    ]
    ts = "2026-12-06T22:00:00Z"
    assert records == [
        {"MetricName": "bias_metric_AD", "Timestamp": ts, "Dimensions": bias_dims, "Value": -0.11},
        # DCR is null: not published; TE is infinite: the docs' stand-in.
        {
            "MetricName": "bias_metric_TE",
            "Timestamp": ts,
            "Dimensions": bias_dims,
            "Value": 2.348543e108,
        },
        {"MetricName": "bias_metric_CI", "Timestamp": ts, "Dimensions": pre_dims, "Value": 0.35},
        {
            "MetricName": "bias_metric_DPL",
            "Timestamp": ts,
            "Dimensions": pre_dims,
            "Value": -2.348543e108,
        },
        {
            "MetricName": "feature_Age",
            "Timestamp": ts,
            "Dimensions": [*shap_dims, {"Name": "ValueType", "Value": "GlobalShapValues"}],
            "Value": 0.5,
        },
        {
            "MetricName": "feature_Income",
            "Timestamp": ts,
            "Dimensions": [*shap_dims, {"Name": "ValueType", "Value": "GlobalShapValues"}],
            "Value": -0.1,
        },
        {
            "MetricName": "ExpectedValue",
            "Timestamp": ts,
            "Dimensions": [*shap_dims, {"Name": "ValueType", "Value": "ExpectedValue"}],
            "Value": 0.25,
        },
    ]
    assert [record_kind(r) for r in records] == ["bias"] * 4 + ["explainability"] * 3


def test_batch_records_have_no_endpoint_and_time_is_utc() -> None:
    later = datetime(2026, 12, 7, 1, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    records = metric_records(_analysis(), endpoint=None, schedule="s", timestamp=later)
    assert {r["Timestamp"] for r in records} == {"2026-12-06T23:30:05Z"}
    assert all(d["Name"] != "Endpoint" for r in records for d in r["Dimensions"])


def test_namespaces() -> None:
    assert namespace("bias", True) == "aws/sagemaker/Endpoints/bias-metrics"
    assert namespace("bias", False) == "aws/sagemaker/ModelMonitoring/bias-metrics"
    assert namespace("explainability", True) == "aws/sagemaker/Endpoints/explainability-metrics"
    assert (
        namespace("explainability", False) == "aws/sagemaker/ModelMonitoring/explainability-metrics"
    )
    with pytest.raises(ValueError):
        namespace("quality", True)


def test_values_outside_cloudwatch_range() -> None:
    document = {"version": "1.0", PRE: bias_section({"CI": 1e200, "DPL": 1e-300, "KL": "NaN"})}
    records = metric_records(document, endpoint=None, schedule=None, timestamp=WHEN)
    assert [(r["MetricName"], r["Value"]) for r in records] == [
        ("bias_metric_CI", CLOUDWATCH_INFINITY),
        ("bias_metric_DPL", 0.0),
    ]


def test_metric_file_is_json_lines(tmp_path: Path) -> None:
    records = metric_records(_analysis(), endpoint="ep", schedule="s", timestamp=WHEN)
    path = write_metric_file(records, tmp_path / "metrics" / "cloudwatch")
    assert path.name == "cloudwatch_metrics.jsonl"
    lines = path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == records
    assert lines[0].startswith('{"MetricName": "bias_metric_AD", "Timestamp": ')


def _listed(server: AwsServer, space: str) -> dict[tuple[str, frozenset[tuple[str, str]]], None]:
    client = server.client("cloudwatch")
    out = {}
    for page in client.get_paginator("list_metrics").paginate(Namespace=space):
        for metric in page["Metrics"]:
            dims = frozenset((d["Name"], d["Value"]) for d in metric["Dimensions"])
            out[(metric["MetricName"], dims)] = None
    return out


def _key(record: dict[str, Any]) -> tuple[str, frozenset[tuple[str, str]]]:
    return record["MetricName"], frozenset((d["Name"], d["Value"]) for d in record["Dimensions"])


def test_every_metric_lands_with_its_dimensions(aws_server: AwsServer) -> None:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    records = metric_records(_analysis(), endpoint="ep", schedule="sched", timestamp=now)
    for kind in ("bias", "explainability"):
        mine = [r for r in records if record_kind(r) == kind]
        space = namespace(kind, endpoint=True)
        assert put_metric_data(mine, space) == 1
        assert set(_listed(aws_server, space)) == {_key(r) for r in mine}
    # The values, read back one by one (the infinity stand-in included).
    client = aws_server.client("cloudwatch")
    bias = [r for r in records if record_kind(r) == "bias"]
    queries = [
        {
            "Id": f"m{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace("bias", True),
                    "MetricName": r["MetricName"],
                    "Dimensions": r["Dimensions"],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for i, r in enumerate(bias)
    ]
    answer = client.get_metric_data(
        MetricDataQueries=queries,
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
    )
    got = {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}
    assert got == {f"m{i}": [r["Value"]] for i, r in enumerate(bias)}


def test_large_publications_are_batched(aws_server: AwsServer) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    features = {f"f{i:04d}": float(i) for i in range(1000)}
    records = metric_records(
        shap_document({"label0": features}), endpoint=None, schedule="s", timestamp=now
    )
    assert len(records) == 1001  # 1,000 features and ExpectedValue
    space = namespace("explainability", endpoint=False)
    assert put_metric_data(records, space) == 2  # at most 1,000 metrics per call
    assert len(_listed(aws_server, space)) == 1001


def test_batches_respect_the_request_size() -> None:
    long = {
        "MetricName": "x",
        "Timestamp": "t",
        "Dimensions": [{"Name": "FacetValue", "Value": "v" * 1024}] * 30,
        "Value": 1.0,
    }
    batches = list(cloudwatch._batches([long] * 200))
    assert sum(len(b) for b in batches) == 200
    assert all(
        sum(cloudwatch._request_bytes(r) for r in b) <= cloudwatch.MAX_REQUEST_BYTES
        for b in batches
    )
    assert len(batches) > 1


def test_refusal_is_an_output_error(aws_server: AwsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    records = metric_records(_analysis(), endpoint="ep", schedule="s", timestamp=WHEN)
    with pytest.raises(OutputError, match="CloudWatch cannot be reached"):
        put_metric_data(records[:1], namespace("bias", True), client=cloudwatch.cloudwatch_client())
