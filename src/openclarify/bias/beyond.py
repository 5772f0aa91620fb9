"""The ``openclarify`` key of ``analysis.json``: intervals, p-values, flags, per-group performance.

Everything here is a function of the facet groups' *counts*
(:class:`CountedGroup`, collected by every backend at the point where it hands
the counts to the metric functions) and of the config's seed, so memory,
streaming and Spark write the same numbers for the same seed.

Per facet group, one :class:`numpy.random.Generator`
(:func:`~.resampling.group_generator`) draws, in this order: the bootstrap
tables (shared by every metric of both stages and by the performance table, so
that their intervals are consistent with each other), then — only if a metric
of that family is requested — the facet permutations, unstratified then
stratified by the group variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..progress import Tracker
from ..results import BiasSection, FacetGroupResult, json_value
from .counts import ConfusionCounts, GroupedCounts
from .registry import MetricSpec
from .resampling import (
    bootstrap_tables,
    cell_table,
    group_generator,
    percentile_interval,
    permuted_tables,
    split,
)
from .significance import NO_TEST, TEST_NAME, fisher_p_value, permutation_p_value

if TYPE_CHECKING:
    from ..config.extension import BeyondClarifyConfig, UncertaintyConfig

INTERVAL_METHOD = "percentile bootstrap of the counts (multinomial over the cells = row bootstrap)"

Cells = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
STAGE_KEYS = (
    ("post_training", "post_training_bias_metrics"),
    ("pre_training", "pre_training_bias_metrics"),
)


@dataclass(frozen=True)
class CountedGroup:
    """The counts of one facet group, as the metric functions received them."""

    facet: str
    value_or_threshold: str
    counts: ConfusionCounts
    grouped: GroupedCounts | None


Batch = tuple[Cells, Cells | None]


@dataclass(frozen=True)
class _Draws:
    """One facet group's data and resamples, each as batched ``(cells, grouped)``."""

    table: Cells
    observed: Batch
    bootstrap: Batch
    permuted: Batch | None
    stratified: Batch | None


def _draws(group: CountedGroup, specs: Sequence[MetricSpec], settings: UncertaintyConfig) -> _Draws:
    rng = group_generator(settings.setting("seed"), group.facet, group.value_or_threshold)
    resamples = settings.setting("resamples")
    grouped = group.grouped is not None
    table = cell_table(group.counts, group.grouped)
    boot = split(bootstrap_tables(table, resamples, rng), grouped)
    families = {s.family for s in specs}
    permuted = (
        split(permuted_tables(table, resamples, rng, False), False)
        if "errors" in families
        else None
    )
    stratified = (
        split(permuted_tables(table, resamples, rng, True), True)
        if "conditional" in families and grouped
        else None
    )
    return _Draws(table, split(table[np.newaxis], grouped), boot, permuted, stratified)


def _interval(bounds: tuple[float, float] | None) -> list[Any] | None:
    return None if bounds is None else [json_value(bounds[0]), json_value(bounds[1])]


def _p_value(spec: MetricSpec, draws: _Draws) -> float | None:
    if spec.family in ("labels", "predictions"):
        return fisher_p_value(draws.table, predicted=spec.family == "predictions")
    if spec.family == "errors" and draws.permuted is not None:
        return permutation_p_value(spec, draws.observed, draws.permuted)
    if spec.family == "conditional" and draws.stratified is not None:
        return permutation_p_value(spec, draws.observed, draws.stratified)
    return None


def metric_statistics(
    spec: MetricSpec, error: str | None, draws: _Draws, level: float
) -> dict[str, Any]:
    """Interval, p-value and fair-value check of one metric of one facet group."""
    out: dict[str, Any] = {"name": spec.code}
    if spec.batched is None or error is not None:
        out.update(confidence_interval=None, p_value=None, test=None, spans_fair_value=None)
        out["note"] = NO_TEST[spec.family] if spec.batched is None else f"not computed: {error}"
        return out
    values = spec.batched(*draws.bootstrap)
    bounds = percentile_interval(values, level)
    out["confidence_interval"] = _interval(bounds)
    p_value = _p_value(spec, draws)
    out["p_value"] = p_value
    out["test"] = TEST_NAME[spec.family]
    out["spans_fair_value"] = (
        None if bounds is None else bool(bounds[0] <= spec.fair_value <= bounds[1])
    )
    out["undefined_resamples"] = int(np.count_nonzero(np.isnan(values)))
    if p_value is None and spec.family in NO_TEST:
        out["note"] = NO_TEST[spec.family]
    return out


def _flags(group: CountedGroup, settings: UncertaintyConfig) -> dict[str, Any]:
    counts = group.counts
    rows, rest = counts.n(1), counts.n(0)
    positives, rest_positives = counts.n_label(1, 1), counts.n_label(0, 1)
    flags = []
    if min(rows, rest) < settings.setting("min_rows"):
        flags.append("few_rows")
    if min(positives, rest_positives) < settings.setting("min_positives"):
        flags.append("few_positives")
    return {
        "value_or_threshold": group.value_or_threshold,
        "rows": rows,
        "rest_rows": rest,
        "positives": positives,
        "rest_positives": rest_positives,
        "flags": flags,
    }


#: The per-group performance rates: name → (numerator cells, denominator cells) of
#: the group's own confusion matrix ``[y, ŷ]``; ``None`` = all rows.
RATES: dict[str, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...] | None]] = {
    "base_rate": (((1, 0), (1, 1)), None),
    "acceptance_rate": (((0, 1), (1, 1)), None),
    "tpr": (((1, 1),), ((1, 1), (1, 0))),
    "fpr": (((0, 1),), ((0, 1), (0, 0))),
    "precision": (((1, 1),), ((1, 1), (0, 1))),
    "accuracy": (((1, 1), (0, 0)), None),
}


def rates(confusion: Cells) -> dict[str, FloatArray]:
    """Rates of groups' confusion matrices ``(..., 2 [y], 2 [ŷ])``; NaN where ``0/0``.

    ``base_rate = P(y=1)``, ``acceptance_rate = P(ŷ=1)``, ``tpr = TP/(TP+FN)``,
    ``fpr = FP/(FP+TN)``, ``precision = TP/(TP+FP)``, ``accuracy = (TP+TN)/n``;
    each in [0, 1].
    """
    total = confusion.sum(axis=(-2, -1)).astype(np.float64)
    out = {}
    for name, (top, bottom) in RATES.items():
        numerator = np.sum([confusion[..., y, p] for y, p in top], axis=0, dtype=np.float64)
        denominator = (
            total
            if bottom is None
            else np.sum([confusion[..., y, p] for y, p in bottom], axis=0, dtype=np.float64)
        )
        value = np.full(np.shape(numerator), np.nan)
        np.divide(numerator, denominator, out=value, where=denominator != 0)
        out[name] = value
    return out


def _performance(group: CountedGroup, draws: _Draws, level: float) -> dict[str, Any]:
    observed = rates(group.counts.cells[1])
    resampled = rates(draws.bootstrap[0][:, 1])
    out: dict[str, Any] = {
        "value_or_threshold": group.value_or_threshold,
        "rows": group.counts.n(1),
    }
    for name, value in observed.items():
        point = float(value)
        out[name] = {
            "value": None if np.isnan(point) else point,
            "confidence_interval": _interval(percentile_interval(resampled[name], level)),
        }
    return out


def _results(section: BiasSection | None) -> dict[tuple[str, str], FacetGroupResult]:
    if section is None:
        return {}
    return {
        (facet, group.value_or_threshold): group
        for facet, groups in section.facets.items()
        for group in groups
    }


def beyond_section(
    extension: BeyondClarifyConfig,
    specs: dict[str, Sequence[MetricSpec]],
    sections: dict[str, BiasSection | None],
    counted: Sequence[CountedGroup],
    intersections: dict[str, BiasSection | None] | None = None,
) -> dict[str, Any]:
    """The document under :data:`~openclarify.results.BEYOND_KEY` in ``analysis.json``.

    Parameters
    ----------
    extension:
        The config's ``openclarify`` object.
    specs:
        ``{"pre_training": specs, "post_training": specs}`` of the requested stages.
    sections:
        The point results of those stages (single facets), whose errors the
        statistics accompany.
    counted:
        Every facet group's counts in output order (single facets, then intersections).
    intersections:
        The Clarify-shaped sections of the intersections, when configured.
    """
    settings = extension.settings
    level = float(settings.setting("confidence_level"))
    out: dict[str, Any] = {}
    if intersections is not None:
        out["intersections"] = {
            key: section.to_dict()
            for stage, key in STAGE_KEYS
            if (section := intersections.get(stage)) is not None
        }
    want_uncertainty = extension.uncertainty is not None
    want_performance = extension.group_performance is True
    if not (want_uncertainty or want_performance):
        return out
    all_specs = [s for stage_specs in specs.values() for s in stage_specs]
    results = {
        stage: {**_results(sections.get(stage)), **_results((intersections or {}).get(stage))}
        for stage in specs
    }
    per_stage: dict[str, dict[str, list[Any]]] = {stage: {} for stage in specs}
    performance: dict[str, list[Any]] = {}
    resamples = settings.setting("resamples")
    tracker = Tracker("Bootstrap", len(counted), "facet groups")
    tracker.update(0, f", {resamples} resamples each")
    for done, group in enumerate(counted, start=1):
        draws = _draws(group, all_specs if want_uncertainty else [], settings)
        if want_uncertainty:
            for stage, stage_specs in specs.items():
                point = results[stage].get((group.facet, group.value_or_threshold))
                by_code = {m.name: m for m in point.metrics} if point is not None else {}
                record = _flags(group, settings)
                record["metrics"] = [
                    metric_statistics(
                        spec,
                        by_code[spec.code].error if spec.code in by_code else "not computed",
                        draws,
                        level,
                    )
                    for spec in stage_specs
                ]
                record["spans_fair_value"] = [
                    m["name"] for m in record["metrics"] if m.get("spans_fair_value")
                ]
                per_stage[stage].setdefault(group.facet, []).append(record)
        if want_performance:
            performance.setdefault(group.facet, []).append(_performance(group, draws, level))
        tracker.update(done, f", {resamples} resamples each")
    interval_settings = {
        "method": INTERVAL_METHOD,
        "confidence_level": level,
        "resamples": settings.setting("resamples"),
        "seed": settings.setting("seed"),
    }
    if want_uncertainty:
        uncertainty: dict[str, Any] = dict(interval_settings)
        uncertainty["min_rows"] = settings.setting("min_rows")
        uncertainty["min_positives"] = settings.setting("min_positives")
        for stage, key in STAGE_KEYS:
            if stage in per_stage:
                uncertainty[key] = {"facets": per_stage[stage]}
        out["uncertainty"] = uncertainty
    if want_performance:
        out["group_performance"] = {**interval_settings, "facets": performance}
    return out
