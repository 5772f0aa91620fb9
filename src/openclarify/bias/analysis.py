"""Bias analysis of one table: facets × facet groups × metrics.

Whole-analysis failures that smclarify raises from its report call are
handled here, by design (contract §11.6 leaves it open):

* a continuous facet without a threshold, a non-numeric threshold, or a
  predicted-label column whose kind differs from the label's ⇒ the job fails
  with an :class:`~openclarify.errors.AnalysisError` naming the JSON path;
* no positive predicted label at all ⇒ the job still succeeds: every
  requested post-training metric is reported with ``value: null`` and
  smclarify's error text, so pre-training results are not lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..data.kinds import Kind
from ..data.selection import (
    NO_POSITIVE_PREDICTION,
    PREDICTED_TYPE_MISMATCH,
    Selection,
    SelectionError,
    facet_groups,
    positive_label,
    positive_prediction,
)
from ..data.table import BiasTable, FacetColumn
from ..errors import AnalysisError
from ..results import BiasSection, FacetGroupResult
from .beyond import CountedGroup
from .common import MetricValue
from .counts import ConfusionCounts, GroupedCounts, RowKeys
from .engine import GroupCodes, evaluate_group, failed_group
from .fliptest import (
    check_groups,
    flip_test_of_rows,
    numeric_feature_matrix,
    split_features,
    split_rows,
)
from .intersections import JOINER, FacetGroups, crossed_groups, crossing_columns
from .registry import MetricSpec

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Labels:
    """Positive masks of the label and, when available, of the prediction."""

    label_name: str
    positive: Selection
    predicted: BoolArray | None
    predicted_failure: str | None = None


def _probability_scores(series: pd.Series) -> bool:
    """A float column of probabilities (every non-null value in [0, 1])."""
    if not pd.api.types.is_float_dtype(series.dtype):
        return False
    values = series.dropna()
    return len(values) > 0 and bool(((values >= 0) & (values <= 1)).all())


def resolve_labels(
    table: BiasTable,
    label_values: Sequence[Any],
    probability_threshold: float,
    need_predictions: bool,
) -> Labels:
    """Positive-label mask and positive-prediction mask for the whole table.

    A predicted-label column of probabilities next to a categorical label is
    binarised with ``score > probability_threshold`` (contract §2.4); any
    other predicted-label column is judged like smclarify judges it.
    """
    if table.label is None:
        raise AnalysisError("$.label", "bias analysis needs a label column", "set $.label")
    label_series = table.frame[table.label]
    try:
        positive, label_data = positive_label(label_series, list(label_values))
    except SelectionError as exc:
        raise AnalysisError("$.label_values_or_threshold", str(exc)) from exc
    if not need_predictions or table.predicted_label is None:
        return Labels(table.label, positive, None)
    predicted_series = table.frame[table.predicted_label]
    if positive.kind is Kind.CATEGORICAL and _probability_scores(predicted_series):
        mask = predicted_series.to_numpy(dtype=np.float64, na_value=np.nan) > probability_threshold
        if not mask.any():
            return Labels(table.label, positive, None, NO_POSITIVE_PREDICTION)
        return Labels(table.label, positive, np.asarray(mask, dtype=bool))
    try:
        predicted = positive_prediction(
            predicted_series, label_data, positive.kind, list(label_values)
        )
    except SelectionError as exc:
        if str(exc) == NO_POSITIVE_PREDICTION:
            return Labels(table.label, positive, None, NO_POSITIVE_PREDICTION)
        if str(exc) != PREDICTED_TYPE_MISMATCH:
            raise AnalysisError(
                "$.predicted_label",
                f"predicted label column '{table.predicted_label}': {exc}",
                "give one prediction for every row",
            ) from exc
        raise AnalysisError(
            "$.predicted_label",
            f"{exc}: label column '{table.label}' is {positive.kind.value} but predicted label column "
            f"'{table.predicted_label}' is not",
            "give predictions of the same type as the labels (or probabilities with $.probability_threshold)",
        ) from exc
    return Labels(table.label, positive, predicted.mask)


def _groups_of(facet: FacetColumn) -> list[Selection]:
    try:
        return facet_groups(facet.series, facet.values)
    except SelectionError as exc:
        raise AnalysisError(
            f"{facet.path}.value_or_threshold",
            f"facet column '{facet.name}' is continuous; {exc}",
            "give one numeric threshold, e.g. [40], or several category values",
        ) from exc


Counts = tuple[ConfusionCounts, GroupedCounts | None]


def _count_groups(keys: RowKeys, selections: list[Selection]) -> list[Counts]:
    """Counts of every facet group; one pass for a one-vs-rest facet."""
    codes = selections[0].codes if selections else None
    if codes is not None and all(s.codes is codes for s in selections):
        n_values = int(codes.max()) + 1 if len(codes) else 0
        by_code = keys.counts_one_vs_rest(codes, n_values)
        empty = keys.counts_for(np.zeros(len(codes), dtype=bool))
        return [
            by_code[s.code] if s.code is not None and s.code >= 0 else empty for s in selections
        ]
    return [keys.counts_for(s.mask) for s in selections]


def single_facets(table: BiasTable) -> list[FacetGroups]:
    """The configured facets' groups (Clarify's rules), in config order."""
    return [FacetGroups(f.name, _groups_of(f), (f.name,)) for f in table.facets]


def intersection_facets(
    table: BiasTable, crossings: Sequence[Sequence[Any]], path: str = "$.openclarify.intersections"
) -> list[FacetGroups]:
    """The crossed facets of ``openclarify.intersections`` (see :mod:`.intersections`)."""
    out = []
    for i, crossing in enumerate(crossings):
        columns = crossing_columns(table, crossing, f"{path}[{i}]")
        names = tuple(c.name for c in columns)
        parts = [_groups_of(c) for c in columns]
        out.append(FacetGroups(JOINER.join(names), crossed_groups(parts), names))
    return out


def bias_sections(
    pre_specs: Sequence[MetricSpec] | None,
    post_specs: Sequence[MetricSpec] | None,
    table: BiasTable,
    labels: Labels,
    n_jobs: int | None = None,
    *,
    facets: Sequence[FacetGroups] | None = None,
    collect: list[CountedGroup] | None = None,
) -> tuple[BiasSection | None, BiasSection | None]:
    """The pre- and post-training sections, counting every facet group once.

    Counts include predictions when available; pre-training metrics only read
    their label margins, so both stages share one pass over the rows.
    ``facets`` defaults to the configured facets (:func:`single_facets`);
    ``collect``, when given, receives every facet group's counts (for the
    statistics beyond Clarify, :mod:`.beyond`).
    """
    y = labels.positive.mask
    yhat = labels.predicted if post_specs is not None else None
    groups = GroupCodes.from_series(table.frame[table.group]) if table.group else None
    keys = RowKeys.build(y, yhat, groups.codes if groups else None, groups.keys if groups else None)
    pre_facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    post_facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    for facet in single_facets(table) if facets is None else facets:
        selections = facet.selections
        counted_groups = _count_groups(keys, selections)
        if collect is not None:
            collect.extend(
                CountedGroup(facet.name, s.rendered, *c)
                for s, c in zip(selections, counted_groups, strict=True)
            )
        if pre_specs is not None:
            pre_facets[facet.name] = tuple(
                evaluate_group(pre_specs, s.rendered, *c)
                for s, c in zip(selections, counted_groups, strict=True)
            )
        if post_specs is None:
            continue
        if labels.predicted_failure is not None or yhat is None:
            message = labels.predicted_failure or NO_POSITIVE_PREDICTION
            post_facets[facet.name] = tuple(
                failed_group(post_specs, s.rendered, message) for s in selections
            )
            continue
        flip = _FlipTestRows(table, facet.excluded, yhat, n_jobs, len(selections))
        post_facets[facet.name] = tuple(
            evaluate_group(post_specs, s.rendered, *c, flip.for_group(s.mask))
            for s, c in zip(selections, counted_groups, strict=True)
        )
    pre = (
        BiasSection(labels.label_name, pre_facets, labels.positive.rendered)
        if pre_specs is not None
        else None
    )
    post = (
        BiasSection(labels.label_name, post_facets, labels.positive.rendered)
        if post_specs is not None
        else None
    )
    return pre, post


class _FlipTestRows:
    """FT's numeric feature matrix for one facet (its columns excluded), built once and only if asked.

    ``groups``: how many facet groups will ask; after the last has taken its
    ``a`` and ``d`` rows the matrix is dropped, so it is not held during that
    group's neighbour search (on 1M rows x 5 features, 40 MB of peak memory).
    """

    def __init__(
        self,
        table: BiasTable,
        excluded: tuple[str, ...],
        yhat: BoolArray,
        n_jobs: int | None,
        groups: int,
    ) -> None:
        self._table = table
        self._excluded = excluded
        self._yhat = yhat
        self._n_jobs = n_jobs
        self._matrix: npt.NDArray[np.float64] | None = None
        self._built = False
        self._remaining = groups

    def _features(self) -> pd.DataFrame:
        return self._table.frame[
            [c for c in self._table.feature_columns if c not in self._excluded]
        ]

    def matrix(self) -> npt.NDArray[np.float64] | None:
        if not self._built:
            self._matrix = numeric_feature_matrix(self._features())
            self._built = True
        return self._matrix

    def _flip_test(self, d: BoolArray) -> MetricValue:
        self._remaining -= 1
        if self._remaining <= 0 and not self._built:
            # the only (or last) group and no matrix yet: split straight from the frame
            rows = split_features(self._features(), d)
            check_groups(None if rows is None else rows[0], d)
        else:
            matrix = self.matrix()
            if self._remaining <= 0:  # the last group: nobody needs the matrix after this
                self._matrix, self._built = None, False
            check_groups(matrix, d)
            assert matrix is not None  # check_groups raised otherwise
            rows = split_rows(matrix, d)
            del matrix
        assert rows is not None  # check_groups raised otherwise
        return flip_test_of_rows(*rows, d, self._yhat, n_jobs=self._n_jobs)

    def for_group(self, d: BoolArray) -> Callable[[], MetricValue]:
        return lambda: self._flip_test(d)
