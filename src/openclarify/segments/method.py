"""``segment_config`` as a wrapper around the method units: the same analysis per segment.

:data:`SEGMENTS` is the built section row's unit in :mod:`openclarify.methods`:
with ``segment_config`` set, every requested method unit is wrapped
(:class:`SegmentedMethod`).  The wrapped unit first runs unchanged on every row
(the whole-dataset sections, byte-identical to a run without ``segment_config``),
then once per segment — the N listed ones and ``__default__`` — on a
:class:`SegmentData`: the job's data restricted to the segment's rows, with
``methods.report`` and ``segment_config`` removed from its config.  So a
segment's numbers are, by construction, those of the same code on the filtered
rows:

* **bias** — the unit itself on the filtered table, or the streaming engine
  filtering every record batch (:func:`openclarify.backend.stream_bias_sections`
  with ``rows``); facet groups, label and column kinds are decided on the
  segment's rows, as a run on the filtered dataset alone decides them;
* **Kernel SHAP** — the unit's ``run_segment``: the local values already
  computed for the segment's records, aggregated again with ``agg_method``
  (no model call: a record's values depend only on the record, the baseline,
  the seed and its row, see :mod:`openclarify.explain.kernel_shap`; with every
  coalition enumerated they are those of the records explained alone); the
  baseline and ``expected_value`` are the whole dataset's;
* **PDP** — the unit on the filtered table (its grid and averages over the
  segment's rows; ``top_k_features`` ranked by the segment's SHAP values).

A segment without rows is reported, not computed: the whole-dataset sections
with every value ``null`` (bias metrics with the error ``"Segment is empty"``),
see :func:`empty_like`; so is a segment on whose rows the analysis fails as a
whole (an :class:`~openclarify.errors.AnalysisError`: its text is the error).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..data.table import BiasTable, FacetColumn
from ..errors import AnalysisError, ConfigError
from ..methods import JobData, Method, Needs
from ..results import (
    EMPTY_SEGMENT_ERROR,
    AnalysisResult,
    BiasSection,
    FacetGroupResult,
    MetricResult,
    OutputFile,
    SegmentationResult,
    SegmentResult,
)
from .membership import EmptySegment, Segmentation, SegmentRows, segmentations

if TYPE_CHECKING:
    from ..config import AnalysisConfig

#: Each ``out.csv`` row's segment, one column per ``segment_config`` entry.
MEMBERSHIP_FILE = "explanations_shap/segments.csv"


@dataclass
class SegmentData(JobData):
    """The job's data restricted to one segment (``segment`` is set).

    :meth:`table` is the whole table's rows of the segment, in dataset order,
    re-indexed from 0 (as a dataset holding only those rows would be read);
    raises :class:`EmptySegment` when there are none.
    """

    whole: JobData | None = None
    _of: int | None = dataclasses.field(default=None, repr=False)

    @property
    def table_loaded(self) -> bool:
        assert self.whole is not None
        return self.whole.table_loaded

    def table(self) -> BiasTable:
        assert self.whole is not None and self.segment is not None
        whole = self.whole.table()
        if self._table is None or self._of != id(whole):
            self._table = restrict(whole, self.segment)
            self._of = id(whole)
            self.segment_records = self._table.n_rows
        if self._table.n_rows == 0:
            raise EmptySegment(self.segment.name)
        return self._table

    def whole_mask(self) -> npt.NDArray[np.bool_]:
        """The segment's rows as a mask over the whole table's rows."""
        assert self.whole is not None and self.segment is not None
        return segment_mask(self.whole.table(), self.segment)

    def replace_table(self, table: BiasTable) -> None:  # pragma: no cover - never called
        raise RuntimeError("a segment's table is derived from the whole table")


def segment_mask(table: BiasTable, rows: SegmentRows) -> npt.NDArray[np.bool_]:
    """The rows of ``table`` in segment ``rows``."""
    column = rows.segmentation.column([str(c) for c in table.frame.columns])
    return rows.mask(table.frame[column])


def restrict(table: BiasTable, rows: SegmentRows) -> BiasTable:
    """``table`` with only the rows of segment ``rows`` (every column, facets included)."""
    frame = table.frame.loc[segment_mask(table, rows)].reset_index(drop=True)
    facets = [FacetColumn(f.name, frame[f.name], f.values, f.path) for f in table.facets]
    return dataclasses.replace(table, frame=frame, facets=facets)


def segment_config(config: AnalysisConfig) -> AnalysisConfig:
    """The config a segment runs with: no report, no segments, no ``openclarify`` key.

    A segment gets Clarify's sections only: the opt-in statistics beyond Clarify
    (intervals, intersections, per-group performance) stay whole-dataset results.
    """
    methods = config.methods.model_copy(update={"report": None})
    return config.model_copy(
        update={"methods": methods, "segment_config": None, "openclarify": None}
    )


def segment_data(data: JobData, rows: SegmentRows, config: AnalysisConfig) -> SegmentData:
    """``data`` restricted to the rows of one segment (shares the model session and Spark)."""
    return SegmentData(
        config,
        data.path,
        data.locations,
        data.backend,
        data.log,
        data.n_jobs,
        session=data.session,
        spark=data.spark,
        segment=rows,
        whole=data,
    )


class SegmentedMethod:
    """A method unit that also computes its part for every segment of ``segment_config``."""

    def __init__(self, unit: Method) -> None:
        self.unit = unit

    def needs(self, config: AnalysisConfig) -> Needs:
        return self.unit.needs(config)

    def check(self, config: AnalysisConfig, backend: str) -> None:
        if config.is_time_series:
            # a time-series dataset has items, not rows a column value could select
            raise ConfigError(
                "$.segment_config",
                "is not supported with $.time_series_data_config (segments select rows of "
                "a table; a time-series dataset is a set of items)",
                "remove $.segment_config",
            )
        self.unit.check(config, backend)

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        whole = self.unit.run(data, earlier)
        config = segment_config(data.config)
        results = []
        for segmentation in segmentations(data.config):
            segments = []
            for index in range(segmentation.count):
                rows = SegmentRows(segmentation, index)
                part, count = self._on_segment(
                    segment_data(data, rows, config), _earlier(earlier, segmentation, index), whole
                )
                values = (
                    segmentation.segments[index] if index < len(segmentation.segments) else None
                )
                segments.append(SegmentResult(rows.name, values, count, part))
            results.append(
                SegmentationResult(
                    segmentation.config_name, segmentation.name_or_index, tuple(segments)
                )
            )
        files = whole.files
        if whole.shap is not None and whole.shap.save_local:
            files = (*files, _membership_file(data, whole, segmentations(data.config)))
        return dataclasses.replace(whole, segments=tuple(results), files=files)

    def _on_segment(
        self, data: SegmentData, earlier: AnalysisResult, whole: AnalysisResult
    ) -> tuple[AnalysisResult, int]:
        run_segment = getattr(self.unit, "run_segment", None)
        failure = None
        try:
            if run_segment is not None:
                part: AnalysisResult = run_segment(data, earlier, whole)
            else:
                part = self.unit.run(data, earlier)
        except EmptySegment:
            return empty_like(whole, EMPTY_SEGMENT_ERROR), 0
        except AnalysisError as exc:
            # what fails a run on the segment's rows alone (e.g. a facet that is
            # continuous there) is reported for the segment, as smclarify reports a
            # metric it cannot compute; the whole-dataset results are not lost to it
            failure = f"{exc.where}: {exc.problem}"
        if data.segment_records is None:  # a method that counted nothing: count them now
            try:
                data.table()
            except EmptySegment:
                return empty_like(whole, EMPTY_SEGMENT_ERROR), 0
        assert data.segment_records is not None
        if data.segment_records == 0:
            return empty_like(whole, EMPTY_SEGMENT_ERROR), 0
        if failure is not None:
            return empty_like(whole, failure), data.segment_records
        # a segment's part holds results only: files and report statistics are the job's
        return dataclasses.replace(part, files=(), report_stats=None), data.segment_records


def _earlier(earlier: AnalysisResult, segmentation: Segmentation, index: int) -> AnalysisResult:
    """What the methods before this one produced for the same segment."""
    if not earlier.segments:
        return AnalysisResult()
    return earlier.segments[segmentation.position].segments[index].result


def empty_like(whole: AnalysisResult, error: str) -> AnalysisResult:
    """A segment without results: the whole-dataset sections' shape, every value ``null``.

    Bias metrics get ``value: null`` and ``error`` (``"Segment is empty"`` for a
    segment without rows; facet groups as in the whole dataset); SHAP
    ``global_shap_values`` are ``null``
    (``expected_value`` depends on the baseline only and is kept); PDP objects
    have empty ``feature_values``, ``data_distribution`` and predictions, as a
    feature without values gets.
    """
    explanations: dict[str, Any] | None = None
    if whole.explanations:
        explanations = {}
        for key, section in whole.explanations.items():
            if key == "kernel_shap":
                explanations[key] = {
                    label: {
                        "global_shap_values": dict.fromkeys(entry["global_shap_values"]),
                        "expected_value": entry["expected_value"],
                    }
                    for label, entry in section.items()
                }
            elif key == "pdp":
                explanations[key] = [_empty_pdp(plot) for plot in section]
            else:  # pragma: no cover - every built method is listed above
                raise RuntimeError(f"no empty form for explanations.{key}")
    return AnalysisResult(
        pre_training=_empty_bias(whole.pre_training, error),
        post_training=_empty_bias(whole.post_training, error),
        explanations=explanations,
    )


def _empty_bias(section: BiasSection | None, error: str) -> BiasSection | None:
    if section is None:
        return None
    facets = {
        facet: tuple(
            FacetGroupResult(
                group.value_or_threshold,
                tuple(MetricResult(m.name, m.description, None, error) for m in group.metrics),
            )
            for group in groups
        )
        for facet, groups in section.facets.items()
    }
    return BiasSection(section.label, facets, section.label_value_or_threshold)


def _empty_pdp(plot: dict[str, Any]) -> dict[str, Any]:
    if "feature_values" not in plot:  # an unsupported column's error object: no values anyway
        return dict(plot)
    empty = dict(plot)
    empty["feature_values"] = []
    empty["data_distribution"] = []
    empty["model_predictions"] = [[] for _ in plot["model_predictions"]]
    return empty


def _membership_file(
    data: JobData, whole: AnalysisResult, entries: tuple[Segmentation, ...]
) -> OutputFile:
    """``explanations_shap/segments.csv``: per ``out.csv`` row, its segment in each entry.

    Same rows in the same order as ``out.csv`` (the join column first when the
    dataset has one), one column per ``segment_config`` entry headed by its
    ``config_name`` (``segment_config[i]`` without one), holding display names.
    """
    table = data.table()
    columns: dict[str, Any] = {}
    assert whole.shap is not None
    if whole.shap.join is not None:
        columns[str(whole.shap.join.name)] = whole.shap.join.to_numpy()
    for segmentation in entries:
        column = segmentation.column([str(c) for c in table.frame.columns])
        codes = segmentation.codes(table.frame[column])
        names = [segmentation.name(i) for i in range(segmentation.count)]
        header = segmentation.config_name or f"segment_config[{segmentation.position}]"
        if header in columns:  # two entries with one config_name (or a join column's name)
            header = f"{header} (segment_config[{segmentation.position}])"
        columns[header] = [names[c] for c in codes]
    frame = pd.DataFrame(columns, index=range(table.n_rows))
    text = str(frame.to_csv(index=False, lineterminator="\n"))
    return OutputFile(
        MEMBERSHIP_FILE, lambda: text, "Wrote the segment of each record to: {target}"
    )


class SegmentsSection:
    """The ``segment_config`` row of :data:`openclarify.methods.SECTIONS`."""

    def wrap(self, unit: Method) -> Method:
        """``unit`` computing its part for every segment as well."""
        return SegmentedMethod(unit)


SEGMENTS = SegmentsSection()
