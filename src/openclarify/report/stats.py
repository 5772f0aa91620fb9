"""Basic statistics and model performance for the report (contract §5.5), from the rows.

The job computes them once while the table is in memory and hands them to the
report; the frozen results they make live in :mod:`openclarify.results.statistics`.
Everything here is plain numpy over the masks that the bias analysis
already resolved (:func:`openclarify.bias.analysis.resolve_labels` and
:func:`openclarify.data.selection.facet_groups`), so the report describes
exactly the groups the metrics were computed on.

Confusion cells are ``[TP, FP, FN, TN]`` as fractions, the order smclarify's
``bias_basic_stats`` and ``model_performance_report`` use.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from ..results.statistics import (
    REST,
    GroupStats,
    ModelPerformance,
    PerformanceMetric,
    ReportStats,
)

__all__ = [
    "REST",
    "GroupStats",
    "ModelPerformance",
    "PerformanceMetric",
    "ReportStats",
    "compute_report_stats",
    "confusion_cells",
    "group_stats",
    "model_performance",
]

BoolArray = npt.NDArray[np.bool_]


def _ratio(numerator: float, denominator: float) -> float | None:
    # Undefined rates stay undefined (shown as "undefined"), never a silent 0.
    return None if denominator == 0 else float(numerator) / float(denominator)


def confusion_cells(
    y: BoolArray, yhat: BoolArray, within: BoolArray | None = None
) -> tuple[int, int, int, int]:
    """``(TP, FP, FN, TN)`` counts, optionally restricted to the rows of ``within``."""
    if within is not None:
        y, yhat = y[within], yhat[within]
    tp = int(np.count_nonzero(y & yhat))
    fp = int(np.count_nonzero(~y & yhat))
    fn = int(np.count_nonzero(y & ~yhat))
    return tp, fp, fn, len(y) - tp - fp - fn


def model_performance(label: str, y: BoolArray, yhat: BoolArray) -> ModelPerformance:
    """The §5.5 metrics (names and formulas as smclarify's ``basic_stats``)."""
    tp, fp, fn, tn = confusion_cells(y, yhat)
    n = tp + fp + fn + tn
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = (
        None
        if precision is None or recall is None or precision + recall == 0
        else 2 * precision * recall / (precision + recall)
    )
    metrics = (
        PerformanceMetric("Accuracy", "(TP + TN) / N", _ratio(tp + tn, n)),
        PerformanceMetric(
            "Proportion of Positive Predictions in Labels", "(TP + FP) / N", _ratio(tp + fp, n)
        ),
        PerformanceMetric(
            "Proportion of Negative Predictions in Labels", "(TN + FN) / N", _ratio(tn + fn, n)
        ),
        PerformanceMetric("True Positive Rate / Recall", "TP / (TP + FN)", recall),
        PerformanceMetric(
            "True Negative Rate / Specificity", "TN / (TN + FP)", _ratio(tn, tn + fp)
        ),
        PerformanceMetric("Acceptance Rate / Precision", "TP / (TP + FP)", precision),
        PerformanceMetric("Rejection Rate", "TN / (TN + FN)", _ratio(tn, tn + fn)),
        PerformanceMetric(
            "Conditional Acceptance", "(TP + FN) / (TP + FP)", _ratio(tp + fn, tp + fp)
        ),
        PerformanceMetric(
            "Conditional Rejection", "(TN + FP) / (TN + FN)", _ratio(tn + fp, tn + fn)
        ),
        PerformanceMetric("F1 Score", "2 P R / (P + R)", f1),
    )
    scale = float(n) if n else 1.0
    return ModelPerformance(label, metrics, (tp / scale, fp / scale, fn / scale, tn / scale))


def group_stats(
    facet: str,
    rendered: str,
    mask: BoolArray,
    y: BoolArray,
    yhat: BoolArray | None,
) -> GroupStats:
    """Basic statistics of the rows selected by ``mask``."""
    n_total = len(mask)
    rows = int(np.count_nonzero(mask))
    rate = _ratio(int(np.count_nonzero(y & mask)), rows)
    confusion = None
    if yhat is not None and rows:
        tp, fp, fn, tn = confusion_cells(y, yhat, mask)
        confusion = (tp / rows, fp / rows, fn / rows, tn / rows)
    return GroupStats(facet, rendered, rows, rows / n_total if n_total else 0.0, rate, confusion)


def compute_report_stats(table: Any, labels: Any, *, log: logging.Logger) -> ReportStats | None:
    """Basic statistics per facet group and model performance; never raises.

    Parameters
    ----------
    table:
        The :class:`~openclarify.data.table.BiasTable` the metrics were computed on
        (with predictions attached when they came from a model).
    labels:
        The :class:`~openclarify.bias.analysis.Labels` from ``resolve_labels``.
    log:
        Where a failure is reported.

    Returns
    -------
    ReportStats or None
        ``None`` (and a logged warning) when anything goes wrong: the report
        then leaves these sections out instead of failing the job.
    """
    try:
        return _compute(table, labels)
    except Exception:  # a report must never fail the job: the analysis is already done
        log.warning("Report statistics could not be computed; the report leaves them out")
        log.debug("Report statistics failure", exc_info=True)
        return None


def _compute(table: Any, labels: Any) -> ReportStats:
    from ..data.selection import facet_groups

    y = np.asarray(labels.positive.mask, dtype=bool)
    yhat = None if labels.predicted is None else np.asarray(labels.predicted, dtype=bool)
    groups: list[GroupStats] = []
    for facet in table.facets:
        selections = facet_groups(facet.series, facet.values)
        for selection in selections:
            groups.append(group_stats(facet.name, selection.rendered, selection.mask, y, yhat))
        if len(selections) == 1:
            # One configured group: show the rows it is compared against as well.
            rest = ~np.asarray(selections[0].mask, dtype=bool)
            groups.append(group_stats(facet.name, REST, rest, y, yhat))
    performance = None if yhat is None else model_performance(labels.label_name, y, yhat)
    return ReportStats(
        rows=len(y),
        label=str(labels.label_name),
        label_positive=str(labels.positive.rendered),
        predicted_label=table.predicted_label if yhat is not None else None,
        groups=tuple(groups),
        performance=performance,
    )
