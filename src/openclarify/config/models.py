"""The whole ``analysis_config.json`` (:class:`AnalysisConfig`), assembled from its sections.

The models of ``analysis_config.json`` (contract §2) are typed and frozen: one
class per JSON object, one field per key, spelled exactly as AWS spells it.  The
top-level keys are fields of :class:`AnalysisConfig`, here; each nested object
lives in the module of its section (:mod:`~openclarify.config.dataset`,
:mod:`~openclarify.config.methods`, :mod:`~openclarify.config.shap`,
:mod:`~openclarify.config.asv`, :mod:`~openclarify.config.predictor`), and all
are built on :class:`~openclarify.config.base.ConfigModel`.

A field is ``None`` when the key is absent; defaults live in
:data:`openclarify.config.defaults.DEFAULTS` and are read with
:meth:`~openclarify.config.base.ConfigModel.value_or_default`.  JSON arrays
become tuples so that a loaded config is immutable all the way down (free-form
JSON such as an in-place SHAP baseline object stays a plain ``dict``).

What the models check: every key and type the SDK schema ``ANALYSIS_CONFIG_SCHEMA_V1_0``
checks, plus the SDK's rules *inside one object* (predictor endpoint vs model,
``baseline`` vs ``num_clusters``, time-series key kinds, ASV granularity rules,
segment aliases, metric names).  What they do not check: rules across objects
and "not supported yet" decisions; those belong to the job's planning step.

Leniency (contract §2.10, "a little more lenient than the SDK where it is safe"):
a scalar ``label_values_or_threshold`` / ``value_or_threshold`` is wrapped in a
list, ints are accepted where floats are expected, ``null`` means "absent", a single
metric name is accepted for ``methods``, ``pdp.grid_resolution`` and
``report.name`` may be omitted (defaults 15 and ``"report"``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BeforeValidator

from openclarify.config.base import ConfigModel
from openclarify.config.dataset import FacetConfig, SegmentConfig, TimeSeriesDataConfig
from openclarify.config.extension import BeyondClarifyConfig
from openclarify.config.fields import (
    DatasetTypeField,
    NameOrIndex,
    NameOrIndexList,
    Str,
    StrList,
    UnitFloat,
    ValueList,
    VersionField,
    require_list,
)
from openclarify.config.methods import MethodsConfig
from openclarify.config.predictor import PredictorConfig

__all__ = ["AnalysisConfig"]


class AnalysisConfig(ConfigModel):
    """The whole ``analysis_config.json`` (contract §2.1).

    Attributes
    ----------
    version:
        Schema version; only ``"1.0"``.
    dataset_type:
        Dataset format (lower-cased); required.
    dataset_uri:
        Dataset location overriding the ``dataset`` input.
    headers:
        Column names.
    label, predicted_label:
        Ground-truth / prediction column (name, index or JMESPath).
    features:
        JMESPath of the features (JSON / JSON Lines).
    excluded_columns:
        Columns never sent to the model.
    joinsource_name_or_index:
        Id column used to join side datasets.
    facet_dataset_uri, facet_headers, predicted_label_dataset_uri, predicted_label_headers:
        CSV side datasets and their headers.
    label_values_or_threshold:
        Positive label values, or one threshold.
    facet:
        Sensitive attributes.
    group_variable:
        Subgroup column for CDDL / CDDPL.
    probability_threshold:
        Score cut-off for a binary predicted label (default 0.5), in [0, 1].
    segment_config:
        Data segments.
    time_series_data_config:
        Time-series layout.
    methods:
        Analyses to run; required (may be empty).
    predictor:
        Model or endpoint.
    openclarify:
        openclarify's own opt-in statistics beyond Clarify (not an AWS key):
        intervals, p-values, flags, intersections, per-group performance
        (:mod:`~openclarify.config.extension`).
    """

    json_path: ClassVar[str] = ""

    version: VersionField | None = None
    dataset_type: DatasetTypeField
    dataset_uri: Str | None = None
    headers: StrList | None = None
    label: NameOrIndex | None = None
    features: Str | None = None
    predicted_label: NameOrIndex | None = None
    excluded_columns: NameOrIndexList | None = None
    joinsource_name_or_index: NameOrIndex | None = None
    facet_dataset_uri: Str | None = None
    facet_headers: StrList | None = None
    predicted_label_dataset_uri: Str | None = None
    predicted_label_headers: StrList | None = None
    label_values_or_threshold: ValueList | None = None
    facet: (
        Annotated[tuple[FacetConfig, ...], BeforeValidator(require_list("facet objects"))] | None
    ) = None
    group_variable: NameOrIndex | None = None
    probability_threshold: UnitFloat | None = None
    segment_config: (
        Annotated[tuple[SegmentConfig, ...], BeforeValidator(require_list("segment objects"))]
        | None
    ) = None
    time_series_data_config: TimeSeriesDataConfig | None = None
    methods: MethodsConfig
    predictor: PredictorConfig | None = None
    openclarify: BeyondClarifyConfig | None = None

    @property
    def effective_probability_threshold(self) -> float:
        """``probability_threshold`` or its default 0.5."""
        value: float = self.value_or_default("probability_threshold")
        return value

    @property
    def is_time_series(self) -> bool:
        """True when ``time_series_data_config`` is present."""
        return self.time_series_data_config is not None
