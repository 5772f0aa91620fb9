"""Bias metrics as a unit of the job: ``methods.pre_training_bias`` and ``methods.post_training_bias``.

Computed on the backend the job was given: record batches streamed from the
files (the default for the plans the streaming engine handles, when no earlier
stage loaded the table), Spark tasks, or the table in memory.  In memory it also
computes the per-group statistics the report shows (never failing the job).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..methods import JobData, Needs
from ..results import AnalysisResult
from .analysis import bias_sections, resolve_labels
from .registry import select

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
            from ..backend import stream_bias_sections

            started = time.perf_counter()
            streamed = stream_bias_sections(data.config, data.path, log=data.log)
            if streamed is not None:
                data.log.info(
                    "Bias metrics computed in %.2fs (streamed)", time.perf_counter() - started
                )
                return AnalysisResult(pre_training=streamed[0], post_training=streamed[1])
        return self._in_memory(data)

    def _on_spark(self, data: JobData) -> AnalysisResult:
        from ..backend.spark import spark_bias_sections

        started = time.perf_counter()
        pre, post = spark_bias_sections(data.config, data.path, spark=data.spark, log=data.log)
        data.log.info("Bias metrics computed in %.2fs (spark)", time.perf_counter() - started)
        return AnalysisResult(pre_training=pre, post_training=post)

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
        pre_section, post_section = bias_sections(
            select("pre_training", pre) if pre is not None else None,
            select("post_training", post) if post is not None else None,
            table,
            labels,
            data.n_jobs,
        )
        data.log.info("Bias metrics computed in %.2fs", time.perf_counter() - started)
        report_stats = None
        if methods.report is not None:
            from ..report.stats import compute_report_stats

            report_stats = compute_report_stats(table, labels, log=data.log)  # never raises
        return AnalysisResult(
            pre_training=pre_section, post_training=post_section, report_stats=report_stats
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
