"""Bias metrics over a dataset larger than memory: record batches, merged counts.

:func:`stream_bias_sections` computes the pre- and post-training sections of
``analysis.json`` without ever holding the table.  It reads only the label,
predicted-label, group-variable and facet columns, in two passes over record
batches (plus one for CSV and JSON Lines, see :mod:`openclarify.data.stream`):

1. **summaries** — per column, the whole-column facts smclarify decides from
   (:mod:`.summary`): kind, maximum, distinct values in order of first
   appearance, probability range, whether configured values match directly;
2. **counts** — per batch, the positive-label and positive-prediction masks and
   the facet groups (:mod:`.rules`) become :class:`~openclarify.bias.counts.ConfusionCounts`
   and :class:`~openclarify.bias.counts.GroupedCounts`, merged by addition.

The merged counts go to the same :func:`~openclarify.bias.engine.evaluate_group`
and metric functions as the in-memory path, so every count equals the
in-memory count and every value is computed by the same arithmetic.

Peak memory is one batch of the used columns plus the summaries (bounded by
distinct values, see :mod:`.summary`), independent of the number of rows.

Not handled — :func:`stream_bias_sections` returns ``None`` and says why in
the log, and the caller reads the table into memory:

* the Flip Test (FT) — it needs every row's features at once for its
  neighbour search;
* whole-file JSON datasets (each file is one document, parsed whole), and
  facet / predicted-label side datasets (they are joined to the main table);
* post-training bias without a predicted-label column (predictions come from
  the model);
* columns whose whole-file dtype cannot be reproduced batch by batch
  (:class:`~openclarify.data.stream.Unsupported`), and one-vs-rest facets or
  group variables with more than :data:`~.summary.ORDER_CAP` distinct values.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..bias.counts import ConfusionCounts, GroupedCounts, RowKeys
from ..bias.engine import evaluate_group, failed_group
from ..bias.registry import MetricSpec, select
from ..data import readers
from ..data.kinds import Kind
from ..data.selection import (
    NO_POSITIVE_PREDICTION,
    PREDICTED_TYPE_MISMATCH,
    SelectionError,
    render,
)
from ..data.stream import DEFAULT_BATCH_ROWS, StreamSource, Unsupported, open_source
from ..data.table import _names, _resolve
from ..errors import AnalysisError, DatasetError, UserError
from ..results import BiasSection, FacetGroupResult
from .rules import (
    FacetRule,
    GroupRule,
    TooManyValues,
    categorical_rule,
    continuous_intervals,
    facet_rule,
    group_rule,
    interval_rule,
    match_values,
)
from .summary import ColumnSummary

BoolArray = npt.NDArray[np.bool_]
Counts = tuple[ConfusionCounts, GroupedCounts | None]
Sections = tuple[BiasSection | None, BiasSection | None]
#: ``flips[facet][group]``: computes FT for that facet group.
Flips = Sequence[Sequence[Callable[[], Any]]]

_log = logging.getLogger("openclarify")


@dataclass(frozen=True)
class _Columns:
    """Resolved column names, as :func:`openclarify.data.table.load_bias_table` names them."""

    label: str
    predicted: str | None
    group: str | None
    facets: tuple[tuple[str, list[Any] | None, str], ...]  # (name, values, JSON path)


def _resolve_columns(config: Any, columns: list[str]) -> _Columns:
    """Same resolution, same order and same errors as the in-memory table."""
    frame = pd.DataFrame(columns=columns)
    label_name, predicted_name = config.label, config.predicted_label
    if config.dataset_type in (readers.JSONLINES, readers.JSON):
        # JMESPath-extracted label columns sit after the features, under the
        # names the reader gave them (openclarify.data.table.load_bias_table)
        extracted = [n for n in (label_name, predicted_name) if isinstance(n, str)]
        positions = dict(zip(extracted, columns[len(columns) - len(extracted) :], strict=True))
        if isinstance(label_name, str):
            label_name = positions.get(label_name, label_name)
        if isinstance(predicted_name, str):
            predicted_name = positions.get(predicted_name, predicted_name)
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))[:5]
        raise DatasetError(
            "dataset", f"has duplicate column names {dupes}", "give every column a unique name"
        )
    if config.joinsource_name_or_index is not None:
        _resolve(frame, config.joinsource_name_or_index, "$.joinsource_name_or_index", "join")
    predicted = None
    if predicted_name is not None:
        predicted = _resolve(frame, predicted_name, "$.predicted_label", "predicted label")
    label = _resolve(frame, label_name, "$.label", "label")
    group = None
    if config.group_variable is not None:
        group = _resolve(frame, config.group_variable, "$.group_variable", "group variable")
    facets = []
    for i, facet in enumerate(config.facet or []):
        path = f"$.facet[{i}]"
        name = _resolve(frame, facet.name_or_index, f"{path}.name_or_index", "facet")
        values = list(facet.value_or_threshold) if facet.value_or_threshold else None
        facets.append((name, values, path))
    _names(frame, config.excluded_columns, "$.excluded_columns", "excluded")
    return _Columns(label, predicted, group, tuple(facets))


def _specs(config: Any) -> tuple[Sequence[MetricSpec] | None, Sequence[MetricSpec] | None]:
    methods = config.methods
    pre = (
        select("pre_training", methods.pre_training_bias.methods)
        if methods.pre_training_bias is not None
        else None
    )
    post = (
        select("post_training", methods.post_training_bias.methods)
        if methods.post_training_bias is not None
        else None
    )
    return pre, post


def why_not_streamed(config: Any, *, neighbours: bool = False) -> str | None:
    """Why this config needs the table in memory (``None``: it can be streamed).

    ``neighbours``: the caller computes FT itself (the Spark backend), so FT
    is no reason.
    """
    if config.dataset_type not in (readers.CSV, readers.PARQUET, readers.JSONLINES):
        return f"{config.dataset_type} datasets are read into memory"
    if config.facet_dataset_uri or config.predicted_label_dataset_uri:
        return "side datasets are joined to the table in memory"
    pre, post = _specs(config)
    if pre is None and post is None:
        return "no bias method requested"
    if post is not None and config.predicted_label is None:
        return "post-training predictions come from the model"
    if not neighbours and post is not None and any(spec.needs == "neighbours" for spec in post):
        return "the Flip Test (FT) needs all rows at once for its neighbour search"
    return None


def stream_bias_sections(
    config: Any,
    dataset: Path,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    log: logging.Logger | None = None,
) -> Sections | None:
    """Pre- and post-training sections of ``analysis.json``, reading record batches.

    Parameters
    ----------
    config:
        The validated :class:`~openclarify.config.AnalysisConfig`.
    dataset:
        The dataset file or folder (CSV, Parquet or JSON Lines).
    batch_rows:
        Rows per record batch; memory grows with it, results do not change.
    log:
        Where to say how the work was done (and why it was not, when it was not).

    Returns
    -------
    tuple or None
        ``(pre_training, post_training)`` sections equal to
        :func:`openclarify.bias.analysis.bias_sections` on the loaded table, or
        ``None`` when this config needs the table in memory (module docstring;
        the reason is logged).

    Raises
    ------
    AnalysisError, DatasetError, ConfigError
        The same errors as the in-memory path for the same config and data.
    """
    log = log or _log
    reason = why_not_streamed(config)
    if reason is not None:
        log.info("Bias metrics computed in memory: %s", reason)
        return None
    try:
        return _stream(config, dataset, batch_rows, log)
    except (Unsupported, TooManyValues) as exc:
        log.info("Bias metrics computed in memory: %s", exc)
        return None


def _stream(config: Any, dataset: Path, batch_rows: int, log: logging.Logger) -> Sections:
    started = time.perf_counter()
    source = open_source(config, dataset)
    plan = checked_plan(config, source)
    source.settle_dtypes(scalar_columns(plan, source), batch_rows)
    n_rows = source.n_rows or 0
    if n_rows == 0:
        raise DatasetError("dataset", "has no rows", "check that the dataset path holds the data")
    require_scalars(plan, source)
    summaries = new_summaries(plan, source.dtypes(plan.names), n_rows)
    for batch in source.batches(plan.names, batch_rows):
        update_summaries(summaries, batch)
    rules = decide_rules(plan, summaries)
    summarised = time.perf_counter()

    totals = count_batches(rules, source.batches(plan.names, batch_rows))
    log.info(
        "Streamed bias counts over %d rows in batches of %d (summaries %.2fs, counts %.2fs)",
        n_rows,
        batch_rows,
        summarised - started,
        time.perf_counter() - summarised,
    )
    return finish_sections(plan, rules, totals)


@dataclass(frozen=True)
class ColumnPlan:
    """What a config needs from a dataset: resolved columns, metric specs, label values.

    Computed once on the side that decides (the driver, for a partitioned backend).
    """

    columns: _Columns
    pre_specs: Sequence[MetricSpec] | None
    post_specs: Sequence[MetricSpec] | None
    predicted: str | None  # the predicted-label column, when post-training bias needs it
    names: list[str]  # the columns read, in a fixed order
    label_values: list[Any]
    probability_threshold: float


def plan_columns(config: Any, dataset_columns: list[str]) -> ColumnPlan:
    """Resolve the used columns like the in-memory table (same errors, same order)."""
    pre_specs, post_specs = _specs(config)
    columns = _resolve_columns(config, dataset_columns)
    predicted = columns.predicted if post_specs is not None else None
    used = [columns.label, predicted, columns.group, *(f[0] for f in columns.facets)]
    names = list(dict.fromkeys(n for n in used if n is not None))
    threshold = config.probability_threshold
    return ColumnPlan(
        columns,
        pre_specs,
        post_specs,
        predicted,
        names,
        list(config.label_values_or_threshold or []),
        threshold if threshold is not None else 0.5,
    )


def checked_plan(config: Any, source: StreamSource) -> ColumnPlan:
    """:func:`plan_columns`; a column error only once the files are known to read.

    The in-memory readers parse every file before a column is resolved, so a
    malformed file is the first error there; it must be here too.
    """
    try:
        return plan_columns(config, source.columns)
    except UserError:
        source.check_files()
        raise


def scalar_columns(plan: ColumnPlan, source: StreamSource) -> list[str]:
    """The columns whose dtypes are settled: the ones read, and for JSON Lines the predicted label.

    The in-memory table checks every used column of a JSON dataset (the
    predicted labels too, even when only pre-training bias reads none) for
    JSON lists and objects (:func:`require_scalars`).
    """
    predicted = plan.columns.predicted
    if source.dataset_type != readers.JSONLINES or predicted is None:
        return plan.names
    return list(dict.fromkeys([*plan.names, predicted]))


def require_scalars(plan: ColumnPlan, source: StreamSource) -> None:
    """The in-memory table's error for a JSON list or object in a used column.

    Same column order (label, predicted label, group variable, facets), same
    row number (:func:`openclarify.data.table._require_scalars`).
    """
    columns = plan.columns
    used = [
        (columns.label, "$.label", "label"),
        (columns.predicted, "$.predicted_label", "predicted label"),
        (columns.group, "$.group_variable", "group variable"),
    ]
    used += [(name, f"{path}.name_or_index", "facet") for name, _, path in columns.facets]
    for column, path, what in used:
        row = source.first_nested_row(column) if column is not None else None
        if row is not None:
            raise DatasetError(
                f"{path} (column '{column}', row {row})",
                f"the {what} column must hold single values, found a JSON list or object",
                "point the JMESPath at a scalar value, or flatten the column",
            )


@dataclass(frozen=True)
class Rules:
    """The row rules decided from whole-column summaries; applied to any batch."""

    label: _LabelRule
    prediction: _PredictionRule | None
    group: GroupRule | None
    facets: list[FacetRule]
    columns: _Columns


def decide_rules(plan: ColumnPlan, summaries: dict[str, ColumnSummary]) -> Rules:
    """Every whole-column decision smclarify makes, from the merged summaries."""
    columns = plan.columns
    label = _label_rule(summaries[columns.label], plan.label_values)
    prediction: _PredictionRule | None = None
    if plan.predicted is not None:
        prediction = _prediction_rule(
            columns,
            summaries[plan.predicted],
            label,
            plan.label_values,
            plan.probability_threshold,
        )
    group = group_rule(columns.group, summaries[columns.group]) if columns.group else None
    facets = [
        _facet_rule(name, values, path, summaries[name]) for name, values, path in columns.facets
    ]
    return Rules(label, prediction, group, facets, columns)


def finish_sections(
    plan: ColumnPlan, rules: Rules, totals: Totals, flips: Flips | None = None
) -> Sections:
    """The sections from merged counts, through the same metric functions as in memory.

    ``flips[facet][group]`` computes FT for that group (a backend that gathers
    the feature rows gives them; without, FT is never requested here).
    """
    failure = None
    if rules.prediction is not None:
        failure = rules.prediction.failure or (
            NO_POSITIVE_PREDICTION if totals.positive_predictions == 0 else None
        )
    return _sections(
        plan.pre_specs,
        plan.post_specs,
        plan.columns.label,
        rules.label,
        rules.facets,
        totals,
        failure,
        flips,
    )


def new_summaries(
    plan: ColumnPlan, dtypes: dict[str, Any], n_rows: int
) -> dict[str, ColumnSummary]:
    """Empty summaries of the used columns (fold batches in with :func:`update_summaries`)."""
    columns = plan.columns
    summaries = {}
    for name in plan.names:
        keep_order = name == columns.group or any(f[0] == name and not f[1] for f in columns.facets)
        match: list[list[Any]] = []
        if name in (columns.label, columns.predicted) and plan.label_values:
            match.append(plan.label_values)
        summaries[name] = ColumnSummary(dtypes[name], n_rows, keep_order, match)
    # facet value lists get their own match slots, after the label's
    for facet_name, values, _ in columns.facets:
        if values:
            summaries[facet_name].match_values.append(values)
            summaries[facet_name].any_match.append(False)
    return summaries


def update_summaries(summaries: dict[str, ColumnSummary], batch: pd.DataFrame) -> None:
    """Fold one batch (holding every summarised column) into the summaries."""
    for name, summary in summaries.items():
        summary.update(batch[name])


def _match_slot(summary: ColumnSummary, values: list[Any]) -> int:
    for i, candidate in enumerate(summary.match_values):
        if candidate is values or candidate == values:
            return i
    raise AssertionError("values were registered before the summary pass")  # pragma: no cover


@dataclass(frozen=True)
class _LabelRule:
    kind: Kind
    rendered: str
    mask: Callable[[pd.Series], BoolArray]
    numeric: ColumnSummary  # the label's summary (numeric dtype and maximum)


def _label_rule(summary: ColumnSummary, values: list[Any]) -> _LabelRule:
    """:func:`openclarify.data.selection.positive_label` decided from a summary."""
    try:
        if not values:
            raise SelectionError("Positive label values or thresholds are empty for Label column")
        kind = summary.kind(values)
        if kind is Kind.CONTINUOUS:
            intervals = continuous_intervals(summary, values)
            return _LabelRule(kind, render(intervals), interval_rule(intervals), summary)
        chosen = match_values(summary, _match_slot(summary, values), values)
        return _LabelRule(kind, render(values), categorical_rule(chosen), summary)
    except SelectionError as exc:
        raise AnalysisError("$.label_values_or_threshold", str(exc)) from exc


@dataclass(frozen=True)
class _PredictionRule:
    mask: Callable[[pd.Series], BoolArray] | None
    failure: str | None = None


def _prediction_rule(
    columns: _Columns,
    summary: ColumnSummary,
    label: _LabelRule,
    values: list[Any],
    probability_threshold: float,
) -> _PredictionRule:
    """:func:`openclarify.bias.analysis.resolve_labels`' prediction branch, from summaries."""
    dtype = summary.dtype
    if (
        label.kind is Kind.CATEGORICAL
        and pd.api.types.is_float_dtype(dtype)
        and summary.non_null > 0
        and summary.num_min >= 0
        and summary.num_max <= 1
    ):
        # probabilities next to a categorical label: score > threshold (contract §2.4)
        return _PredictionRule(
            lambda s: np.asarray(
                s.to_numpy(dtype=np.float64, na_value=np.nan) > probability_threshold, dtype=bool
            )
        )
    try:
        kind = summary.kind(values)
        if kind is not label.kind:
            raise SelectionError(PREDICTED_TYPE_MISMATCH)
        if kind is Kind.CONTINUOUS:
            return _PredictionRule(_continuous_prediction(summary, label, values))
        chosen = match_values(summary, _match_slot(summary, values), values)
        return _PredictionRule(categorical_rule(chosen))
    except SelectionError as exc:
        if str(exc) != PREDICTED_TYPE_MISMATCH:
            raise AnalysisError(
                "$.predicted_label",
                f"predicted label column '{columns.predicted}': {exc}",
                "give one prediction for every row",
            ) from exc
        raise AnalysisError(
            "$.predicted_label",
            f"{exc}: label column '{columns.label}' is {label.kind.value} but predicted label "
            f"column '{columns.predicted}' is not",
            "give predictions of the same type as the labels (or probabilities with "
            "$.probability_threshold)",
        ) from exc


def _continuous_prediction(
    summary: ColumnSummary, label: _LabelRule, values: list[Any]
) -> Callable[[pd.Series], BoolArray]:
    """:func:`openclarify.data.selection.positive_prediction`, continuous branch."""
    from ..data.selection import _numeric_threshold, in_intervals, interval_breaks

    thresholds = _numeric_threshold(list(values))
    label_dtype = label.numeric.numeric_dtype()
    missing = summary.rows - summary.non_null
    if missing and not pd.api.types.is_float_dtype(label_dtype):
        raise SelectionError(
            f"{missing} predicted label(s) are missing; they cannot be cast to the label's type "
            f"({label_dtype})"
        )
    try:
        # casting is monotone, so the cast maximum is the maximum of the cast column
        extremes = summary.extremes_series().astype(label_dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SelectionError(f"predicted labels cannot be cast to the label's type: {exc}") from exc
    both = pd.concat([label.numeric.max_series().astype(label_dtype), extremes], ignore_index=True)
    intervals = interval_breaks(both, thresholds)
    return lambda s: in_intervals(pd.to_numeric(s).astype(label_dtype), intervals)


def _facet_rule(
    name: str, values: list[Any] | None, path: str, summary: ColumnSummary
) -> FacetRule:
    try:
        if values:
            # the facet's own match slot (the label's, if the facet is the label, comes first)
            slot = max(i for i, v in enumerate(summary.match_values) if v == values)
            if slot != 0:
                summary = _with_slot_first(summary, slot)
        return facet_rule(name, summary, values)
    except (AnalysisError, TooManyValues):
        raise
    except SelectionError as exc:
        raise AnalysisError(
            f"{path}.value_or_threshold",
            f"facet column '{name}' is continuous; {exc}",
            "give one numeric threshold, e.g. [40], or several category values",
        ) from exc


def _with_slot_first(summary: ColumnSummary, slot: int) -> ColumnSummary:
    """The summary with match slot ``slot`` moved to position 0 (what facet_rule reads)."""
    import copy

    moved = copy.copy(summary)
    moved.match_values = [summary.match_values[slot]]
    moved.any_match = [summary.any_match[slot]]
    return moved


@dataclass
class Totals:
    """Merged counts: ``groups[facet][group]`` and the number of positive predictions."""

    groups: list[list[Counts | None]]
    positive_predictions: int = 0

    def merge(self, other: Totals) -> Totals:
        """Counts of both parts (addition: any order, any grouping)."""
        groups = [
            [_add_optional(a, b) for a, b in zip(mine, theirs, strict=True)]
            for mine, theirs in zip(self.groups, other.groups, strict=True)
        ]
        return Totals(groups, self.positive_predictions + other.positive_predictions)


def _add_optional(left: Counts | None, right: Counts | None) -> Counts | None:
    return left if right is None else _add(left, right)


def _add(left: Counts | None, right: Counts) -> Counts:
    if left is None:
        return right
    grouped = None
    if left[1] is not None and right[1] is not None:
        # same whole-column keys in every batch: cells add position by position
        grouped = GroupedCounts(left[1].keys, left[1].cells + right[1].cells)
    return left[0].merge(right[0]), grouped


def count_batches(rules: Rules, batches: Iterable[pd.DataFrame]) -> Totals:
    """Counts of every facet group over the batches, merged by addition."""
    columns, label, prediction, group = rules.columns, rules.label, rules.prediction, rules.group
    facets = rules.facets
    totals = Totals([[None] * len(f.groups) for f in facets])
    use_yhat = prediction is not None and prediction.mask is not None
    for batch in batches:
        y = label.mask(batch[columns.label])
        yhat = None
        if use_yhat:
            assert prediction is not None and prediction.mask is not None and columns.predicted
            yhat = prediction.mask(batch[columns.predicted])
            totals.positive_predictions += int(np.count_nonzero(yhat))
        codes = group.codes(batch[columns.group]) if group and columns.group else None
        keys = RowKeys.build(y, yhat, codes, group.keys if group else None)
        for i, facet in enumerate(facets):
            column = batch[facet.name]
            if facet.mask is not None:
                counted = [keys.counts_for(facet.mask(column))]
            else:
                assert facet.codes is not None
                by_code = keys.counts_one_vs_rest(facet.codes(column), facet.n_values)
                empty = keys.counts_for(np.zeros(len(column), dtype=bool))
                counted = [
                    by_code[g.code] if g.code is not None and g.code >= 0 else empty
                    for g in facet.groups
                ]
            totals.groups[i] = [
                _add(total, part) for total, part in zip(totals.groups[i], counted, strict=True)
            ]
    return totals


def _sections(
    pre_specs: Sequence[MetricSpec] | None,
    post_specs: Sequence[MetricSpec] | None,
    label_name: str,
    label: _LabelRule,
    facets: list[FacetRule],
    totals: Totals,
    failure: str | None,
    flips: Flips | None = None,
) -> Sections:
    pre_facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    post_facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    for i, (facet, counted) in enumerate(zip(facets, totals.groups, strict=True)):
        merged = [c for c in counted if c is not None]
        if len(merged) != len(facet.groups):  # pragma: no cover - n_rows > 0 was checked
            raise AssertionError("every facet group is counted in every batch")
        rendered = [g.rendered for g in facet.groups]
        if pre_specs is not None:
            pre_facets[facet.name] = tuple(
                evaluate_group(pre_specs, r, *c) for r, c in zip(rendered, merged, strict=True)
            )
        if post_specs is None:
            continue
        if failure is not None:
            post_facets[facet.name] = tuple(failed_group(post_specs, r, failure) for r in rendered)
            continue
        flip: Sequence[Callable[[], Any] | None] = (
            flips[i] if flips is not None else [None] * len(merged)
        )
        post_facets[facet.name] = tuple(
            evaluate_group(post_specs, r, *c, f)
            for r, c, f in zip(rendered, merged, flip, strict=True)
        )
    pre = BiasSection(label_name, pre_facets, label.rendered) if pre_specs is not None else None
    post = BiasSection(label_name, post_facets, label.rendered) if post_specs is not None else None
    return pre, post
