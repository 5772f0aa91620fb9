"""The top-level objects that describe the dataset: facets, segments, time-series layout.

``facet`` (:class:`FacetConfig`), ``segment_config`` (:class:`SegmentConfig`) and
``time_series_data_config`` (:class:`TimeSeriesDataConfig`); the plain dataset keys
(``dataset_type``, ``headers``, ``label`` ...) are fields of
:class:`~openclarify.config.models.AnalysisConfig` itself.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, field_validator, model_validator

from openclarify.config.base import ConfigModel
from openclarify.config.fields import (
    CellValue,
    NameOrIndex,
    NameOrIndexList,
    Str,
    StrList,
    TimeSeriesDatasetFormatField,
    ValueList,
    describe,
    fail,
    require_list,
)
from openclarify.config.segments import (
    SegmentItemError,
    SegmentItems,
    parse_items,
    shared_rows,
)

__all__ = ["FacetConfig", "SegmentConfig", "TimeSeriesDataConfig"]


class FacetConfig(ConfigModel):
    """One entry of ``facet``: a sensitive attribute (contract §2.5).

    Attributes
    ----------
    name_or_index:
        Column name, index (CSV; int kept as int) or JMESPath of the facet.
    value_or_threshold:
        Values forming the sensitive group, or one numeric threshold; ``None`` means
        one result per distinct value.  A scalar in the file is wrapped in a tuple.
    """

    json_path: ClassVar[str] = "facet[]"

    name_or_index: NameOrIndex
    value_or_threshold: ValueList | None = None


#: The SDK's own messages (``SegmentationConfig.__init__``, v2.169.0 to v2.257.7), verbatim.
SDK_NAME_OR_INDEX_NONE = "`name_or_index` cannot be None"
SDK_SEGMENTS_NOT_LISTS = "`segments` must be a list of lists of values or intervals."
SDK_ALIASES_COUNT = (
    "Number of `display_aliases` must equal the number of segments specified or with one "
    "additional default segment display alias."
)


def _check_segments(value: Any) -> Any:
    # SegmentationConfig refuses an empty or non-nested list; each inner list is one
    # segment (categorical values or interval strings such as "[1, 4]").
    fix = 'Give one list per segment, e.g. [["A", "B"], ["[1, 4]", "(5, 10]"]].'
    if not isinstance(value, list | tuple) or not value:
        fail(f"{SDK_SEGMENTS_NOT_LISTS} Found {describe(value)}", fix)
    for i, segment in enumerate(value):
        if not isinstance(segment, list | tuple):
            fail(f"{SDK_SEGMENTS_NOT_LISTS} Found {describe(segment)}", fix, f"[{i}]")
        if not segment:
            # the SDK lets [[]] through; a segment that names nothing can hold no row
            fail(
                "expected a segment with at least one value or interval, found an empty list",
                "List the values or intervals of the segment, or remove it.",
                f"[{i}]",
            )
    return value


Segment = Annotated[tuple[CellValue, ...], BeforeValidator(require_list("values or intervals"))]


class SegmentConfig(ConfigModel):
    """One entry of ``segment_config`` (contract §2.6; SDK ≥ v2.169.0).

    Attributes
    ----------
    name_or_index:
        Column the segments are defined on.
    segments:
        N segments, each a tuple of categorical values or interval strings; an
        extra ``__default__`` segment holds the remaining rows.  Interval strings
        must parse and segments must be disjoint (:mod:`openclarify.config.segments`).
    config_name:
        Optional name identifying this segmentation.
    display_aliases:
        Optional display names: N or N + 1 entries (the last for ``__default__``).
    """

    json_path: ClassVar[str] = "segment_config[]"

    name_or_index: NameOrIndex
    segments: Annotated[tuple[Segment, ...], BeforeValidator(_check_segments)]
    config_name: Str | None = None
    display_aliases: StrList | None = None

    @field_validator("name_or_index", mode="before")
    @classmethod
    def _name_not_none(cls, value: Any) -> Any:
        if value is None:
            fail(SDK_NAME_OR_INDEX_NONE, "Name the segment column, or give its 0-based index.")
        return value

    @model_validator(mode="after")
    def _check_items(self) -> SegmentConfig:
        parsed: list[SegmentItems] = []
        for i, segment in enumerate(self.segments):
            try:
                parsed.append(parse_items(segment))
            except SegmentItemError as exc:
                fail(exc.problem, exc.fix, f".segments[{i}][{exc.index}]")
        for j, later in enumerate(parsed):
            for i, earlier in enumerate(parsed[:j]):
                why = shared_rows(earlier, later)
                if why is not None:
                    fail(
                        f"expected disjoint segments, found {why} in segments [{i}] and "
                        f"[{j}]: a row would belong to both",
                        "Make the segments disjoint, e.g. '[0, 10]' and '(10, 20]'.",
                        f".segments[{j}]",
                    )
        return self

    @model_validator(mode="after")
    def _check_aliases(self) -> SegmentConfig:
        if self.display_aliases is not None:
            n = len(self.segments)
            if len(self.display_aliases) not in (n, n + 1):
                fail(
                    f"{SDK_ALIASES_COUNT} Expected {n} or {n + 1} for {n} segment(s), "
                    f"found {len(self.display_aliases)}",
                    "Give one alias per segment, optionally plus one for the default segment.",
                    ".display_aliases",
                )
        return self

    def parsed(self) -> tuple[SegmentItems, ...]:
        """Every segment's values and intervals (valid: checked when the config loaded)."""
        return tuple(parse_items(segment) for segment in self.segments)


_TS_KEYS = ("target_time_series", "item_id", "timestamp")


class TimeSeriesDataConfig(ConfigModel):
    """``time_series_data_config`` (contract §2.7; SDK ≥ v2.214.0).

    Attributes
    ----------
    target_time_series, item_id, timestamp:
        JMESPath (or index) of the target series, the item id and the timestamp.
    related_time_series, static_covariates:
        JMESPaths (or indices) of related series and static covariates.
    dataset_format:
        ``columns``, ``item_records`` or ``timestamp_records``; required when the
        other fields are JMESPath strings.
    """

    json_path: ClassVar[str] = "time_series_data_config"

    target_time_series: NameOrIndex
    item_id: NameOrIndex
    timestamp: NameOrIndex
    related_time_series: NameOrIndexList | None = None
    static_covariates: NameOrIndexList | None = None
    dataset_format: TimeSeriesDatasetFormatField | None = None

    @model_validator(mode="after")
    def _check_kinds(self) -> TimeSeriesDataConfig:
        # TimeSeriesDataConfig in the SDK: all strings (JMESPaths) or all ints.
        values: list[tuple[str, str | int]] = [(k, getattr(self, k)) for k in _TS_KEYS]
        for key in ("related_time_series", "static_covariates"):
            items = getattr(self, key) or ()
            values.extend((f"{key}[{i}]", v) for i, v in enumerate(items))
        first_key, first = values[0]
        for key, value in values[1:]:
            if isinstance(value, str) != isinstance(first, str):
                fail(
                    f"expected all keys to be JMESPath strings or all to be integer "
                    f"indices, found {describe(first)} in '{first_key}' and "
                    f"{describe(value)} in '{key}'",
                    "Use strings for every key or integers for every key.",
                )
        if isinstance(first, str) and self.dataset_format is None:
            fail(
                "missing required key 'dataset_format' (required when the keys are "
                "JMESPath strings)",
                "Add 'dataset_format': 'columns', 'item_records' or 'timestamp_records'.",
                ".dataset_format",
            )
        return self
