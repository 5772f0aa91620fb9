"""Small ``analysis.json`` documents for the drift tests, built from numbers."""

from __future__ import annotations

from typing import Any

from openclarify.bias.registry import BY_CODE
from openclarify.results import json_value

PRE = "pre_training_bias_metrics"
POST = "post_training_bias_metrics"


def metric(name: str, value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "description": BY_CODE[name].description,
        "value": json_value(value) if isinstance(value, float) else value,
    }
    if value is None:
        entry["error"] = "Group variable is empty or not provided"
    return entry


def bias_section(
    values: dict[str, Any],
    *,
    facet: str = "Sex",
    facet_value: str = "0",
    label: str = "Label",
    label_value: str = "1",
) -> dict[str, Any]:
    """One bias section with one facet group holding ``values`` (code → value)."""
    return {
        "label": label,
        "facets": {
            facet: [
                {
                    "value_or_threshold": facet_value,
                    "metrics": [metric(code, values[code]) for code in sorted(values)],
                }
            ]
        },
        "label_value_or_threshold": label_value,
    }


def bias_document(
    post: dict[str, Any] | None = None, pre: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {"version": "1.0"}
    if post is not None:
        document[POST] = bias_section(post, **kw)
    if pre is not None:
        document[PRE] = bias_section(pre, **kw)
    return document


def shap_document(labels: dict[str, dict[str, float]], expected: float = 0.25) -> dict[str, Any]:
    return {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {
                label: {"global_shap_values": values, "expected_value": expected}
                for label, values in labels.items()
            }
        },
    }
