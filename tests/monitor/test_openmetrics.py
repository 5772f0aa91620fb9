"""The OpenMetrics text, parsed back by prometheus_client's two parsers."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from openclarify.monitor.cloudwatch import metric_records, namespace, openmetrics_text
from openclarify.monitor.openmetrics import metric_family_name

from .documents import POST, bias_section, shap_document

openmetrics_parser = pytest.importorskip("prometheus_client.openmetrics.parser")
text_parser = pytest.importorskip("prometheus_client.parser")

WHEN = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def _records() -> list[dict[str, object]]:
    document = {
        "version": "1.0",
        POST: bias_section(
            {"AD": -0.11, "TE": math.inf, "DI": 0.0},
            facet='odd "facet"\\name',
            facet_value="(40, 89]\nsecond line",
        ),
    }
    shap = shap_document({"label0": {"Age group": 0.5, "Age_group": 0.25, "3rd": -1e-5}})
    return metric_records(document, endpoint="ep", schedule="s", timestamp=WHEN) + metric_records(
        shap, endpoint="ep", schedule="s", timestamp=WHEN
    )


def _samples(text: str, parser: object) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in parser.text_string_to_metric_families(text):  # type: ignore[attr-defined]
        assert family.type == "gauge"
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def _expected(
    records: list[dict[str, object]], space: str
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for record in records:
        name = str(record["MetricName"])
        labels = {"namespace": space, **{d["Name"]: d["Value"] for d in record["Dimensions"]}}  # type: ignore[attr-defined]
        if metric_family_name(name) != name:
            labels["metric_name"] = name
        value = float(record["Value"])  # type: ignore[arg-type]
        if abs(value) >= 2.348543e108:
            value = math.copysign(math.inf, value)
        out[(metric_family_name(name), frozenset(labels.items()))] = value
    return out


@pytest.mark.parametrize(
    "parser", [openmetrics_parser, text_parser], ids=["openmetrics", "prometheus-text"]
)
def test_parsed_back_by_both_parsers(parser: object) -> None:
    records = _records()
    space = namespace("bias", True)
    text = openmetrics_text(records, space)
    assert text.endswith("\n# EOF\n")
    parsed = _samples(text, parser)
    assert parsed == _expected(records, space)
    assert len(parsed) == len(records)  # "Age group" and "Age_group" stay apart


def test_infinity_is_written_natively() -> None:
    text = openmetrics_text(_records(), namespace("bias", True))
    te = [line for line in text.splitlines() if line.startswith("bias_metric_TE{")]
    assert len(te) == 1 and te[0].endswith(" +Inf")
    assert '\\"facet\\"\\\\name' in te[0] and "89]\\nsecond line" in te[0]


def test_names() -> None:
    assert metric_family_name("feature_Age group") == "feature_Age_group"
    assert metric_family_name("3rd") == "_3rd"
    assert metric_family_name("bias_metric_CI") == "bias_metric_CI"


def test_empty_is_valid() -> None:
    text = openmetrics_text([], namespace("bias", False))
    assert text == "# EOF\n"
    assert list(openmetrics_parser.text_string_to_metric_families(text)) == []
