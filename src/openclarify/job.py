"""The orchestrator: config → data → (predictions) → bias → results → files.

Reads top-down in the order the work happens.  Front doors (``cli.py``,
``sagemaker.py``, :func:`openclarify.analyze`) call :func:`run`; nothing here
parses arguments or decides exit codes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bias.analysis import bias_sections, resolve_labels
from .bias.registry import select
from .config import AnalysisConfig, load_config
from .data.table import load_bias_table
from .errors import ConfigError, OutputError
from .results import AnalysisResult, dumps_analysis, write_atomic

log = logging.getLogger("openclarify")

ANALYSIS_FILE = "analysis.json"
REPORT_NOT_YET = (
    "report files (methods.report) are not produced yet; analysis.json has every result"
)


@dataclass(frozen=True)
class Plan:
    """What this config asks us to compute, checked before any data is read."""

    pre_training: str | tuple[str, ...] | None
    post_training: str | tuple[str, ...] | None
    report: bool
    #: Predictions must come from ``$.predictor`` (no predicted-label column).
    needs_model: bool = False

    @property
    def bias(self) -> bool:
        return self.pre_training is not None or self.post_training is not None


def _not_supported(path: str, what: str, fix: str) -> ConfigError:
    return ConfigError(path, f"not supported yet: {what}", fix)


def plan_analysis(config: AnalysisConfig) -> Plan:
    """Check that every requested feature is available; say clearly if not.

    Keys the schema accepts but this version does not compute are refused with
    one "not supported yet: <key>" error — never ignored silently.  The one
    exception is ``methods.report``: the SDK sends it with every config, so it
    is noted in the log and the exit message instead of failing the job.
    """
    if config.dataset_type in ("application/x-image", "application/sagemakercapturejson"):
        raise _not_supported(
            "$.dataset_type",
            config.dataset_type,
            "use text/csv, application/jsonlines, application/json or application/x-parquet",
        )
    for key in ("segment_config", "time_series_data_config"):
        if getattr(config, key) is not None:
            raise _not_supported(f"$.{key}", key, f"remove $.{key}")
    methods = config.methods
    for key in ("shap", "pdp", "asymmetric_shapley_value"):
        if getattr(methods, key) is not None:
            raise _not_supported(
                f"$.methods.{key}", f"methods.{key}", f"remove $.methods.{key} to run bias analysis"
            )
    if config.dataset_uri is not None and config.dataset_uri.startswith("s3://"):
        raise _not_supported(
            "$.dataset_uri", "s3:// dataset_uri", "download the data and pass it with --dataset"
        )

    pre = methods.pre_training_bias.methods if methods.pre_training_bias is not None else None
    post = methods.post_training_bias.methods if methods.post_training_bias is not None else None
    needs_model = (
        post is not None
        and config.predicted_label is None
        and config.predicted_label_dataset_uri is None
    )
    plan = Plan(pre, post, methods.report is not None, needs_model)
    if plan.bias:
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
    if plan.needs_model:
        if config.predictor is None:
            raise ConfigError(
                "$.predictor",
                "post-training bias needs predictions: neither $.predicted_label nor "
                "$.predictor is set",
                "name the column of the model's predictions in $.predicted_label, "
                "or describe the model in $.predictor",
            )
        from .predict import check_predictor_config

        check_predictor_config(config)
    return plan


def resolve_dataset(config: AnalysisConfig, dataset: Path | None) -> Path:
    """The dataset path: the explicit one, else a local ``dataset_uri``."""
    if dataset is not None:
        return dataset
    if config.dataset_uri:
        return Path(config.dataset_uri)
    raise ConfigError("dataset", "no dataset given", "pass --dataset PATH or set $.dataset_uri")


def analyze(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    dataset: str | Path | None = None,
    *,
    config_dir: Path | None = None,
    n_jobs: int | None = -1,
) -> AnalysisResult:
    """Run the analysis and return the result (writes nothing).

    Parameters
    ----------
    config:
        An :class:`AnalysisConfig`, a parsed dict, or a path to
        ``analysis_config.json``.
    dataset:
        The dataset file or folder (optional when ``dataset_uri`` is a local
        path).
    config_dir:
        Folder that relative side-dataset paths are resolved against.
    n_jobs:
        Cores for the Flip Test's neighbour search (-1 = all).
    """
    if not isinstance(config, AnalysisConfig):
        if isinstance(config, str | Path) and config_dir is None:
            config_dir = Path(config).parent
        config = load_config(config if not isinstance(config, str) else Path(config))
    plan = plan_analysis(config)
    path = resolve_dataset(config, Path(dataset) if dataset is not None else None)

    started = time.perf_counter()
    table = load_bias_table(config, path, config_dir)
    log.info(
        "Loaded %d rows, %d columns in %.2fs",
        table.n_rows,
        len(table.frame.columns),
        time.perf_counter() - started,
    )

    if plan.needs_model:
        from .predict import predictions_for, with_predictions

        started_predictions = time.perf_counter()
        table = with_predictions(table, predictions_for(config, table, log=log))
        log.info("Predictions computed in %.2fs", time.perf_counter() - started_predictions)

    pre_section = post_section = None
    if plan.bias:
        started = time.perf_counter()
        labels = resolve_labels(
            table,
            list(config.label_values_or_threshold or []),
            config.probability_threshold if config.probability_threshold is not None else 0.5,
            need_predictions=plan.post_training is not None,
        )
        pre_section, post_section = bias_sections(
            select("pre_training", plan.pre_training) if plan.pre_training is not None else None,
            select("post_training", plan.post_training) if plan.post_training is not None else None,
            table,
            labels,
            n_jobs,
        )
        log.info("Bias metrics computed in %.2fs", time.perf_counter() - started)

    notes = (REPORT_NOT_YET,) if plan.report else ()
    for note in notes:
        log.warning(note)
    return AnalysisResult(pre_training=pre_section, post_training=post_section, notes=notes)


def run(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    dataset: str | Path | None,
    output_dir: str | Path,
    *,
    config_dir: Path | None = None,
) -> AnalysisResult:
    """:func:`analyze`, then write ``analysis.json`` atomically to ``output_dir``."""
    output = Path(output_dir)
    if output.exists() and not output.is_dir():
        raise OutputError(
            str(output), "the output path is a file, expected a folder", "pass a folder path"
        )
    result = analyze(config, dataset, config_dir=config_dir)
    target = output / ANALYSIS_FILE
    try:
        write_atomic(target, dumps_analysis(result.to_dict()))
    except OSError as exc:
        raise OutputError(
            str(output), f"cannot write {ANALYSIS_FILE} ({exc.strerror or type(exc).__name__})"
        ) from exc
    log.info("Wrote %s", target)
    return result
