"""Bias metrics as a unit of the job: ``methods.pre_training_bias`` and ``methods.post_training_bias``.

Computed on the backend the job was given: record batches streamed from the
files (the default for the plans the streaming engine handles, when no earlier
stage loaded the table), Spark tasks, or the table in memory.  In memory it also
computes the per-group statistics the report shows (never failing the job).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..methods import JobData, Needs
from ..results import AnalysisResult, BiasSection
from .analysis import bias_sections, intersection_facets, resolve_labels
from .beyond import CountedGroup, beyond_section
from .registry import MetricSpec, select

if TYPE_CHECKING:
    from ..config import AnalysisConfig

#: With ``methods.report``, a dataset whose decoded size is below this share of the
#: available memory is loaded whole, so that the report gets its per-group statistics
#: (streaming computes the metrics only).
REPORT_IN_MEMORY_SHARE = 0.25


def _needs_predictions(config: AnalysisConfig) -> bool:
    return (
        config.methods.post_training_bias is not None
        and config.predicted_label is None
        and config.predicted_label_dataset_uri is None
    )


class BiasMethod:
    """Pre- and post-training bias metrics of every facet group (the metric registry)."""

    def needs(self, config: AnalysisConfig) -> Needs:
        predictions = _needs_predictions(config)
        return Needs(
            model=predictions,
            predictions=predictions,
            no_predictor=(
                "post-training bias needs predictions: neither $.predicted_label nor "
                "$.predictor is set",
                "name the column of the model's predictions in $.predicted_label, "
                "or describe the model in $.predictor",
            ),
        )

    def check(self, config: AnalysisConfig, backend: str) -> None:
        if config.label is None:
            raise ConfigError("$.label", "bias analysis needs the label column", "set $.label")
        if not config.label_values_or_threshold:
            raise ConfigError(
                "$.label_values_or_threshold",
                "bias analysis needs the positive label values or a threshold",
                "set e.g. [1]",
            )
        if not config.facet:
            raise ConfigError(
                "$.facet",
                "bias analysis needs at least one facet",
                'set e.g. [{"name_or_index": "Sex"}]',
            )
        extension = config.openclarify
        if (
            extension is not None
            and extension.group_performance is True
            and config.methods.post_training_bias is None
        ):
            raise ConfigError(
                "$.openclarify.group_performance",
                "per-group performance needs predicted labels, i.e. methods.post_training_bias",
                "add methods.post_training_bias (with $.predicted_label or $.predictor), "
                "or remove group_performance",
            )
        if backend == "spark" and extension is not None and extension.intersections:
            raise ConfigError(
                "--backend",
                "the spark backend does not compute openclarify.intersections (they cross "
                "facet columns row by row, in memory); intervals, p-values and per-group "
                "performance are computed on it",
                "use --backend local for this config, or remove openclarify.intersections",
            )
        if backend == "spark" and _needs_predictions(config):
            raise ConfigError(
                "--backend",
                "the spark backend computes bias metrics (predicted labels read from the data), "
                "SHAP and PDP; predicted labels from the model are not available on it yet",
                "use --backend local for this config",
            )

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        if data.spark is not None:
            return self._on_spark(data)
        if not data.table_loaded and _streams(data):
            from ..backend import stream_bias_sections, stream_segment_sections

            started = time.perf_counter()
            counted = _collector(data.config)
            if data.segment is not None:  # segment_config: the batches cut to one segment

                def seen(n_rows: int) -> None:
                    data.segment_records = n_rows

                streamed = stream_segment_sections(
                    data.config, data.path, data.segment, seen, log=data.log
                )
            else:
                streamed = stream_bias_sections(
                    data.config, data.path, log=data.log, collect=counted
                )
            if streamed is not None:
                data.log.info(
                    "Bias metrics computed in %.2fs (streamed)", time.perf_counter() - started
                )
                return AnalysisResult(
                    pre_training=streamed[0],
                    post_training=streamed[1],
                    beyond=_beyond(data.config, *streamed, counted),
                )
        return self._in_memory(data)

    def _on_spark(self, data: JobData) -> AnalysisResult:
        from ..backend.spark import spark_bias_sections

        started = time.perf_counter()
        counted = _collector(data.config)

        def seen(n_rows: int) -> None:
            data.segment_records = n_rows

        pre, post = spark_bias_sections(
            data.config,
            data.path,
            spark=data.spark,
            log=data.log,
            collect=counted,
            rows=data.segment,
            on_count=seen if data.segment is not None else None,
        )
        data.log.info("Bias metrics computed in %.2fs (spark)", time.perf_counter() - started)
        return AnalysisResult(
            pre_training=pre, post_training=post, beyond=_beyond(data.config, pre, post, counted)
        )

    def _in_memory(self, data: JobData) -> AnalysisResult:
        config = data.config
        table = data.table()
        methods = config.methods
        pre = methods.pre_training_bias.methods if methods.pre_training_bias is not None else None
        post = (
            methods.post_training_bias.methods if methods.post_training_bias is not None else None
        )
        started = time.perf_counter()
        labels = resolve_labels(
            table,
            list(config.label_values_or_threshold or []),
            config.probability_threshold if config.probability_threshold is not None else 0.5,
            need_predictions=post is not None,
        )
        pre_specs = select("pre_training", pre) if pre is not None else None
        post_specs = select("post_training", post) if post is not None else None
        counted = _collector(config)
        pre_section, post_section = bias_sections(
            pre_specs, post_specs, table, labels, data.n_jobs, collect=counted
        )
        beyond = None
        if counted is not None:
            crossed = None
            extension = config.openclarify
            if extension is not None and extension.intersections:
                crossed = bias_sections(
                    pre_specs,
                    post_specs,
                    table,
                    labels,
                    data.n_jobs,
                    facets=intersection_facets(table, extension.intersections),
                    collect=counted,
                )
            beyond = _beyond(config, pre_section, post_section, counted, crossed)
        data.log.info("Bias metrics computed in %.2fs", time.perf_counter() - started)
        report_stats = None
        if methods.report is not None:
            from ..report.stats import compute_report_stats

            report_stats = compute_report_stats(table, labels, log=data.log)  # never raises
        return AnalysisResult(
            pre_training=pre_section,
            post_training=post_section,
            report_stats=report_stats,
            beyond=beyond,
        )


def _collector(config: AnalysisConfig) -> list[CountedGroup] | None:
    """A list to collect the facet groups' counts in, when ``openclarify`` asks for anything."""
    extension = config.openclarify
    return [] if extension is not None and extension.active else None


def _beyond(
    config: AnalysisConfig,
    pre: BiasSection | None,
    post: BiasSection | None,
    counted: list[CountedGroup] | None,
    crossed: tuple[BiasSection | None, BiasSection | None] | None = None,
) -> dict[str, Any] | None:
    """The ``openclarify`` key of ``analysis.json`` (``None`` without the opt-in)."""
    extension = config.openclarify
    if counted is None or extension is None:
        return None
    methods = config.methods
    specs: dict[str, Sequence[MetricSpec]] = {}
    if methods.pre_training_bias is not None:
        specs["pre_training"] = select("pre_training", methods.pre_training_bias.methods)
    if methods.post_training_bias is not None:
        specs["post_training"] = select("post_training", methods.post_training_bias.methods)
    return beyond_section(
        extension,
        specs,
        {"pre_training": pre, "post_training": post},
        counted,
        None if crossed is None else {"pre_training": crossed[0], "post_training": crossed[1]},
    )


def _streams(data: JobData) -> bool:
    """Whether to try the streaming engine (it may still decline: then in memory).

    Streaming is the default for the bias plans it handles: CSV, Parquet and
    JSON Lines, no side datasets, no FT (see
    :func:`openclarify.backend.why_not_streamed`), when no earlier stage loaded
    the table.  A job that also wants a report streams only when its data is
    large; small data is loaded so the report can show per-group statistics.
    """
    if data.backend == "memory":
        return False
    from ..backend import why_not_streamed

    reason = why_not_streamed(data.config)
    if reason is not None:
        data.log.info("Bias metrics computed in memory: %s", reason)
        return False
    if data.config.methods.report is not None:
        from ..data.readers import dataset_files
        from ..limits import available_memory, check_dataset_fits

        needed = check_dataset_fits(
            dataset_files(data.path), data.config.dataset_type, available=1 << 62
        )
        return needed > REPORT_IN_MEMORY_SHARE * available_memory()
    return True


BIAS = BiasMethod()
