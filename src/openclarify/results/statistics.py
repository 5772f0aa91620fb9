"""Per-group statistics and model performance of one run: frozen, JSON-friendly results.

These numbers are not part of ``analysis.json``; they need the rows, so the
job computes them once while the table is in memory
(:func:`openclarify.report.stats.compute_report_stats`) and hands them to the
report.  Everything here is plain numpy over the masks that the bias analysis
already resolved (:func:`openclarify.bias.analysis.resolve_labels` and
:func:`openclarify.data.selection.facet_groups`), so the report describes
exactly the groups the metrics were computed on.

Confusion cells are ``[TP, FP, FN, TN]`` as fractions, the order smclarify's
``bias_basic_stats`` and ``model_performance_report`` use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: Row label of the complement group shown next to a single configured facet group.
REST = "rest"


@dataclass(frozen=True)
class GroupStats:
    """Basic statistics of one facet value (or group) ``d``.

    Attributes
    ----------
    facet, value_or_threshold:
        The facet column and the group as ``analysis.json`` names it (or
        :data:`REST` for the rows outside a single configured group).
    rows:
        Number of rows in the group.
    proportion:
        Share of all rows that are in the group.
    positive_label_rate:
        Share of the group's rows with a positive label, ``q_d``; the observed
        label distribution is ``[q_d, 1 - q_d]``.  ``None`` for an empty group.
    confusion:
        ``[TP, FP, FN, TN]`` as fractions of the group's rows (post-training
        only, ``None`` otherwise or for an empty group).
    """

    facet: str
    value_or_threshold: str
    rows: int
    proportion: float
    positive_label_rate: float | None
    confusion: tuple[float, float, float, float] | None = None

    @property
    def observed_label_distribution(self) -> tuple[float, float] | None:
        """``[q_d, 1 - q_d]`` (smclarify's ``observed_label_distribution``)."""
        if self.positive_label_rate is None:
            return None
        return (self.positive_label_rate, 1.0 - self.positive_label_rate)


@dataclass(frozen=True)
class PerformanceMetric:
    """One model-performance metric; ``value`` is ``None`` when its denominator is 0."""

    name: str
    formula: str
    value: float | None


@dataclass(frozen=True)
class ModelPerformance:
    """Model performance on the whole table (smclarify's ``model_performance_report``).

    ``confusion`` is ``[TP, FP, FN, TN]`` as fractions of all rows.
    """

    label: str
    metrics: tuple[PerformanceMetric, ...]
    confusion: tuple[float, float, float, float]


@dataclass(frozen=True)
class ReportStats:
    """Everything the report needs from the rows, small and JSON-friendly.

    Use :func:`compute_report_stats` to build it and :meth:`to_dict` /
    :meth:`from_dict` to embed it in the notebook.
    """

    rows: int
    label: str
    label_positive: str
    predicted_label: str | None
    groups: tuple[GroupStats, ...]
    performance: ModelPerformance | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportStats:
        """Inverse of :meth:`to_dict`."""
        performance = data.get("performance")
        return cls(
            rows=int(data["rows"]),
            label=str(data["label"]),
            label_positive=str(data["label_positive"]),
            predicted_label=data.get("predicted_label"),
            groups=tuple(
                GroupStats(
                    facet=g["facet"],
                    value_or_threshold=g["value_or_threshold"],
                    rows=int(g["rows"]),
                    proportion=float(g["proportion"]),
                    positive_label_rate=g["positive_label_rate"],
                    confusion=cells(g.get("confusion")),
                )
                for g in data.get("groups", [])
            ),
            performance=None
            if performance is None
            else ModelPerformance(
                label=performance["label"],
                metrics=tuple(PerformanceMetric(**m) for m in performance["metrics"]),
                confusion=cells(performance["confusion"]) or (0.0, 0.0, 0.0, 0.0),
            ),
        )

    @property
    def facets(self) -> list[str]:
        """Facet names in report order."""
        return list(dict.fromkeys(g.facet for g in self.groups))

    def groups_of(self, facet: str) -> list[GroupStats]:
        """The groups of one facet, in report order."""
        return [g for g in self.groups if g.facet == facet]


def cells(value: Sequence[float] | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    tp, fp, fn, tn = (float(v) for v in value)
    return (tp, fp, fn, tn)
