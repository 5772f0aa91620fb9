"""CloudWatch metrics of an analysis: the BYOC metric file and ``PutMetricData``.

Records are in the Model Monitor BYOC file format (monitor-contract §5.1), one
JSON object per line of ``/opt/ml/output/metrics/cloudwatch/cloudwatch_metrics.jsonl``::

    {"MetricName": "bias_metric_CI", "Timestamp": "2026-12-06T22:00:00Z",
     "Dimensions": [{"Name": "Endpoint", "Value": "ep"}, ...], "Value": 0.35}

Names and dimensions as the Clarify docs give them (§5.2):

* bias — ``bias_metric_<CODE>``; ``Endpoint`` (when there is one),
  ``MonitoringSchedule``, ``BiasStage`` (``Pre-training`` | ``Post-Training``, the
  capitalisation is the docs'), ``Label``, ``LabelValue``, ``Facet``, ``FacetValue``;
* explainability — ``feature_<name>`` per global SHAP value and ``ExpectedValue``;
  ``Endpoint``, ``MonitoringSchedule``, ``ExplainabilityMethod=KernelShap``,
  ``Label``, ``ValueType`` (``GlobalShapValues`` | ``ExpectedValue``).

``±Infinity`` is published as ``±2.348543e108`` (the docs' number, CloudWatch's
largest magnitude, about 2**360); null, NaN and failed metrics are not published.
No ``Unit``.  The file carries no namespace (the service picks it by monitoring
type); :func:`namespace` gives it for :func:`put_metric_data`.  This is the only
module of the package that talks to CloudWatch (botocore, through
:func:`openclarify.storage.aws_client`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import quote

from ..errors import OutputError
from ..results import write_atomic
from .openmetrics import render_openmetrics

__all__ = [
    "CLOUDWATCH_FOLDER",
    "CLOUDWATCH_INFINITY",
    "METRIC_FILE",
    "metric_records",
    "namespace",
    "openmetrics_text",
    "put_metric_data",
    "record_kind",
    "write_metric_file",
]

#: Where the BYOC contract wants metric files (relative to the container's /opt/ml).
CLOUDWATCH_FOLDER: Final = Path("output") / "metrics" / "cloudwatch"
#: A file *inside* that folder: the folder itself cannot be the file (§5.1).
METRIC_FILE: Final = "cloudwatch_metrics.jsonl"
#: "+/- infinity is published as the floating point number +/- 2.348543e108".
CLOUDWATCH_INFINITY: Final = 2.348543e108
#: CloudWatch rejects non-zero magnitudes below 2**-260; they are sent as 0.
_SMALLEST: Final = 2.0**-260
TIMESTAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
#: PutMetricData limits: 1,000 metrics and 1 MB per request; 30 dimensions per
#: metric; names 1-255 and dimension values 1-1024 characters.
MAX_METRICS_PER_CALL: Final = 1000
MAX_REQUEST_BYTES: Final = 1_000_000
_MAX_NAME: Final = 255
_MAX_DIMENSION_VALUE: Final = 1024

_BIAS_STAGES: Final = {
    "pre_training_bias_metrics": "Pre-training",
    "post_training_bias_metrics": "Post-Training",
}
_NAMESPACES: Final = {
    ("bias", True): "aws/sagemaker/Endpoints/bias-metrics",
    ("bias", False): "aws/sagemaker/ModelMonitoring/bias-metrics",
    ("explainability", True): "aws/sagemaker/Endpoints/explainability-metrics",
    ("explainability", False): "aws/sagemaker/ModelMonitoring/explainability-metrics",
}
Kind = Literal["bias", "explainability"]


def namespace(kind: str, endpoint: bool) -> str:
    """The CloudWatch namespace of a monitoring type, for an endpoint or a batch job.

    Parameters
    ----------
    kind:
        ``"bias"`` or ``"explainability"``.
    endpoint:
        True for a real-time endpoint, False for batch transform (or no endpoint).
    """
    try:
        return _NAMESPACES[(kind, bool(endpoint))]
    except KeyError:
        raise ValueError(f"unknown monitoring kind {kind!r}") from None


def record_kind(record: Mapping[str, Any]) -> Kind:
    """Which monitoring type a record of :func:`metric_records` belongs to."""
    return "bias" if str(record["MetricName"]).startswith("bias_metric_") else "explainability"


def _published(raw: Any) -> float | None:
    """A value as CloudWatch takes it; None when it is not published."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)  # "Infinity" / "-Infinity" strings of analysis.json too
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return None
    if abs(value) >= CLOUDWATCH_INFINITY:  # ±inf, and finite values CloudWatch refuses
        return math.copysign(CLOUDWATCH_INFINITY, value)
    if 0 < abs(value) < _SMALLEST:
        return 0.0
    return value


def _dimensions(pairs: Sequence[tuple[str, str | None]]) -> list[dict[str, str]]:
    # CloudWatch refuses empty dimension values and values over 1,024 characters.
    return [
        {"Name": name, "Value": str(value)[:_MAX_DIMENSION_VALUE]}
        for name, value in pairs
        if value is not None and str(value) != ""
    ]


def _record(
    name: str, timestamp: str, dimensions: list[dict[str, str]], value: float
) -> dict[str, Any]:
    return {
        "MetricName": name[:_MAX_NAME],
        "Timestamp": timestamp,
        "Dimensions": dimensions,
        "Value": value,
    }


def format_timestamp(timestamp: datetime) -> str:
    """``%Y-%m-%dT%H:%M:%SZ`` in UTC (a naive time is taken as UTC)."""
    if timestamp.tzinfo is not None:
        timestamp = timestamp.astimezone(UTC)
    return timestamp.strftime(TIMESTAMP_FORMAT)


def metric_records(
    analysis: Mapping[str, Any],
    *,
    endpoint: str | None,
    schedule: str | None,
    timestamp: datetime,
) -> list[dict[str, Any]]:
    """The metric records of one ``analysis.json`` document, bias then explainability.

    Parameters
    ----------
    analysis:
        The (current) analysis document.
    endpoint:
        ``sagemaker_endpoint_name``; the ``Endpoint`` dimension only when given.
    schedule:
        ``sagemaker_monitoring_schedule_name``; ``MonitoringSchedule`` when given.
    timestamp:
        The metric time (``metric_time``, else ``start_time`` … §8 Q8).

    Returns
    -------
    list of dict
        Bias sections in document order, facet by facet, group by group, metric by
        metric; then per SHAP label its features in document order and
        ``ExpectedValue``.
    """
    when = format_timestamp(timestamp)
    base = [("Endpoint", endpoint), ("MonitoringSchedule", schedule)]
    records: list[dict[str, Any]] = []
    for key, section in analysis.items():
        stage = _BIAS_STAGES.get(key)
        if stage is None or not isinstance(section, Mapping):
            continue
        label = [
            ("BiasStage", stage),
            ("Label", section.get("label")),
            ("LabelValue", section.get("label_value_or_threshold")),
        ]
        for facet, groups in (section.get("facets") or {}).items():
            for group in groups if isinstance(groups, list) else ():
                dims = _dimensions(
                    [
                        *base,
                        *label,
                        ("Facet", facet),
                        ("FacetValue", group.get("value_or_threshold")),
                    ]
                )
                for metric in group.get("metrics") or ():
                    value = _published(metric.get("value"))
                    if value is not None and "name" in metric:
                        records.append(_record(f"bias_metric_{metric['name']}", when, dims, value))
    explanations = analysis.get("explanations")
    kernel = explanations.get("kernel_shap") if isinstance(explanations, Mapping) else None
    for label, entry in (kernel or {}).items():
        if not isinstance(entry, Mapping):
            continue
        method = [*base, ("ExplainabilityMethod", "KernelShap"), ("Label", label)]
        shap_dims = _dimensions([*method, ("ValueType", "GlobalShapValues")])
        for feature, raw in (entry.get("global_shap_values") or {}).items():
            value = _published(raw)
            if value is not None:
                records.append(_record(f"feature_{feature}", when, shap_dims, value))
        expected = _published(entry.get("expected_value"))
        if expected is not None:
            dims = _dimensions([*method, ("ValueType", "ExpectedValue")])
            records.append(_record("ExpectedValue", when, dims, expected))
    return records


def openmetrics_text(records: Sequence[Mapping[str, Any]], namespace: str) -> str:
    """The same metrics as an OpenMetrics text file (:mod:`.openmetrics`); ±2.348543e108 → ±Inf."""
    return render_openmetrics(records, namespace, infinity=CLOUDWATCH_INFINITY)


def write_metric_file(records: Sequence[Mapping[str, Any]], folder: Path) -> Path:
    """Write ``folder/cloudwatch_metrics.jsonl`` atomically (one record per line).

    Raises
    ------
    OutputError
        The folder cannot be written.
    """
    target = Path(folder) / METRIC_FILE
    text = "".join(json.dumps(record, allow_nan=False) + "\n" for record in records)
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise OutputError(
            str(target.parent),
            f"cannot write {METRIC_FILE} ({exc.strerror or type(exc).__name__})",
            "check that the metrics folder is writable",
        ) from None
    return target


def _request_bytes(record: Mapping[str, Any]) -> int:
    """An upper bound of one metric's share of a request body, in any protocol.

    The query protocol (form encoding) is the largest of the three botocore may
    use: each field is ``&MetricData.member.NNNN.<path>=<URL-encoded value>``.
    Counted with the longest index (1000, 30) for every field.
    """
    prefix = len("&MetricData.member.1000.")
    fields = [
        ("MetricName=", str(record["MetricName"])),
        ("Timestamp=", str(record["Timestamp"])),
        ("Value=", repr(float(record["Value"]))),
    ]
    for dimension in record["Dimensions"]:
        fields.append(("Dimensions.member.30.Name=", str(dimension["Name"])))
        fields.append(("Dimensions.member.30.Value=", str(dimension["Value"])))
    return sum(prefix + len(path) + len(quote(value, safe="")) for path, value in fields)


def _batches(records: Sequence[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    size = 0
    for record in records:
        share = _request_bytes(record)
        if batch and (len(batch) >= MAX_METRICS_PER_CALL or size + share > MAX_REQUEST_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += share
    if batch:
        yield batch


def _metric_datum(record: Mapping[str, Any]) -> dict[str, Any]:
    when = datetime.strptime(str(record["Timestamp"]), TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    return {
        "MetricName": record["MetricName"],
        "Dimensions": [dict(d) for d in record["Dimensions"]],
        "Timestamp": when,
        "Value": float(record["Value"]),
    }


def cloudwatch_client() -> Any:
    """The CloudWatch client (standard boto3 chain; ``AWS_ENDPOINT_URL_CLOUDWATCH``)."""
    from ..storage import aws_client

    return aws_client("cloudwatch")


def put_metric_data(
    records: Sequence[Mapping[str, Any]], namespace: str, client: Any = None
) -> int:
    """Publish ``records`` with ``PutMetricData`` in batches within its limits.

    Parameters
    ----------
    records:
        From :func:`metric_records` (all of one namespace).
    namespace:
        From :func:`namespace`.
    client:
        A boto3 CloudWatch client; default :func:`cloudwatch_client`.

    Returns
    -------
    int
        The number of ``PutMetricData`` calls made.

    Raises
    ------
    OutputError
        CloudWatch refused a batch, the credentials are missing or rejected, or
        the endpoint cannot be reached.  Batches sent before the failure stay
        published (CloudWatch has no transactions).
    """
    import botocore.exceptions

    calls = 0
    try:
        client = client if client is not None else cloudwatch_client()
        for batch in _batches(records):
            client.put_metric_data(
                Namespace=namespace, MetricData=[_metric_datum(r) for r in batch]
            )
            calls += 1
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise OutputError(
            f"CloudWatch namespace {namespace}",
            f"PutMetricData was refused ({error.get('Code', 'unknown error')}) after {calls} "
            "successful call(s)",
            "check that the role allows cloudwatch:PutMetricData",
        ) from None
    except botocore.exceptions.NoCredentialsError:
        raise OutputError(
            f"CloudWatch namespace {namespace}",
            "no AWS credentials were found",
            "configure credentials (environment, profile or role)",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise OutputError(
            f"CloudWatch namespace {namespace}",
            f"CloudWatch cannot be reached ({type(exc).__name__}) after {calls} successful call(s)",
            "check the region, the network and AWS_ENDPOINT_URL_CLOUDWATCH",
        ) from None
    return calls
