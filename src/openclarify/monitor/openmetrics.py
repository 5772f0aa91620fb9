"""The CloudWatch records as an OpenMetrics text file, for Prometheus and its kin.

For users without CloudWatch: the same metrics, written where a Prometheus
node exporter's textfile collector (``--collector.textfile.directory``, files
named ``*.prom``) or any scraper reads them::

    # TYPE bias_metric_CI gauge
    bias_metric_CI{namespace="aws/sagemaker/ModelMonitoring/bias-metrics",BiasStage="Pre-training",...} 0.35
    # EOF

Choices, each made so that both the OpenMetrics 1.0 parser and the older
Prometheus text-format parser (what the node exporter uses; it reads ``# EOF``
as a comment) accept the file:

* one gauge family per metric name, in order of first appearance; every
  CloudWatch dimension becomes a label of the same name, plus ``namespace``;
* a metric name that is not a valid OpenMetrics name (a feature called
  ``Age group`` gives ``feature_Age group``) has every other character replaced by
  ``_`` (and ``_`` prefixed before a leading digit); the original name is kept in a
  ``metric_name`` label so that two features that sanitise alike stay apart;
* label values escaped (``\\\\``, ``\\"``, ``\\n``);
* infinities written as ``+Inf`` / ``-Inf``, which both formats have natively, and
  not as CloudWatch's ±2.348543e108 stand-in (a record at that magnitude was an
  infinity, or a value too large for CloudWatch, before it became a record);
* no timestamps: the textfile collector refuses files that carry them (the
  scrape time is the sample time);
* a sample repeated with the same labels is kept once (the first).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["metric_family_name", "render_openmetrics"]

_INVALID: Final = re.compile(r"[^a-zA-Z0-9_:]")


def metric_family_name(name: str) -> str:
    """``name`` as a valid OpenMetrics metric name (``[a-zA-Z_:][a-zA-Z0-9_:]*``)."""
    cleaned = _INVALID.sub("_", name)
    if not cleaned or cleaned[0].isdigit():
        cleaned = "_" + cleaned
    return cleaned


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float, infinity: float) -> str:
    if math.isinf(value) or abs(value) >= infinity:
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render_openmetrics(
    records: Sequence[Mapping[str, Any]], namespace: str, *, infinity: float
) -> str:
    """The exposition text of ``records`` (see the module text); ends with ``# EOF``.

    ``infinity`` is the magnitude that stands for an infinity in ``records``.
    """
    families: dict[str, list[tuple[tuple[tuple[str, str], ...], float]]] = {}
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for record in records:
        original = str(record["MetricName"])
        family = metric_family_name(original)
        labels = [("namespace", namespace)]
        labels += [(str(d["Name"]), str(d["Value"])) for d in record.get("Dimensions", ())]
        if family != original:
            labels.append(("metric_name", original))
        key = (family, tuple(labels))
        if key in seen:
            continue
        seen.add(key)
        families.setdefault(family, []).append((tuple(labels), float(record["Value"])))
    lines: list[str] = []
    for family, samples in families.items():
        lines.append(f"# TYPE {family} gauge")
        for sample_labels, value in samples:
            text = ",".join(f'{name}="{_escape(text_)}"' for name, text_ in sample_labels)
            lines.append(f"{family}{{{text}}} {_number(value, infinity)}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
