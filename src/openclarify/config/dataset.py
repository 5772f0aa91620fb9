"""The top-level objects that describe the dataset: facets, segments, time-series layout.

``facet`` (:class:`FacetConfig`), ``segment_config`` (:class:`SegmentConfig`) and
``time_series_data_config`` (:class:`TimeSeriesDataConfig`); the plain dataset keys
(``dataset_type``, ``headers``, ``label`` ...) are fields of
:class:`~openclarify.config.models.AnalysisConfig` itself.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, model_validator

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
    expected,
    fail,
    require_list,
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


def _check_segments(value: Any) -> Any:
    # SegmentationConfig refuses an empty or non-nested list; each inner list is one
    # segment (categorical values or interval strings such as "[1, 4]").
    if not isinstance(value, list | tuple) or not value:
        expected("a non-empty list of segments (lists of values)", value)
    for i, segment in enumerate(value):
        if not isinstance(segment, list | tuple):
            expected("a segment (a list of values or intervals)", segment, subpath=f"[{i}]")
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
        extra ``__default__`` segment holds the remaining rows.
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

    @model_validator(mode="after")
    def _check_aliases(self) -> SegmentConfig:
        if self.display_aliases is not None:
            n = len(self.segments)
            if len(self.display_aliases) not in (n, n + 1):
                fail(
                    f"expected {n} or {n + 1} display aliases for {n} segment(s), "
                    f"found {len(self.display_aliases)}",
                    "Give one alias per segment, optionally plus one for the default segment.",
                    ".display_aliases",
                )
        return self


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
