"""The orchestrator: config → data → (model: predictions, SHAP, PDP) → bias → results → files.

Reads top-down in the order the work happens.  Front doors (``cli.py``,
``container.py``, :func:`openclarify.analyze`) call :func:`run`; nothing here
parses arguments or decides exit codes.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bias.analysis import bias_sections, resolve_labels
from .bias.registry import select
from .config import AnalysisConfig, load_config
from .data.table import load_bias_table
from .errors import ConfigError, OutputError
from .locations import Locations
from .results import AnalysisResult, dumps_analysis, write_atomic

log = logging.getLogger("openclarify")

ANALYSIS_FILE = "analysis.json"
SHAP_DIR = "explanations_shap"
BASELINE_FILE = "baseline.csv"
LOCAL_FILE = "out.csv"


@dataclass(frozen=True)
class Plan:
    """What this config asks us to compute, checked before any data is read."""

    pre_training: str | tuple[str, ...] | None
    post_training: str | tuple[str, ...] | None
    report: bool
    #: Post-training predictions must come from ``$.predictor`` (no predicted-label column).
    needs_predictions: bool = False
    shap: bool = False
    pdp: bool = False

    @property
    def bias(self) -> bool:
        return self.pre_training is not None or self.post_training is not None

    @property
    def explain(self) -> bool:
        return self.shap or self.pdp

    @property
    def needs_model(self) -> bool:
        """Some method needs ``$.predictor``: predictions for bias, or SHAP / PDP."""
        return self.needs_predictions or self.explain


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
    if methods.asymmetric_shapley_value is not None:
        raise _not_supported(
            "$.methods.asymmetric_shapley_value",
            "methods.asymmetric_shapley_value (time series)",
            "remove $.methods.asymmetric_shapley_value",
        )
    if methods.shap is not None:
        for key, what in (("text_config", "text (NLP)"), ("image_config", "image")):
            if getattr(methods.shap, key) is not None:
                raise _not_supported(
                    f"$.methods.shap.{key}",
                    f"{what} explanations",
                    f"remove $.methods.shap.{key} to explain tabular features",
                )
    if methods.pdp is not None and methods.pdp.features is None and methods.shap is None:
        raise ConfigError(
            "$.methods.pdp.features",
            "is required when methods.shap is not run (top_k_features ranks by SHAP)",
            "list the features to plot, or add methods.shap",
        )

    pre = methods.pre_training_bias.methods if methods.pre_training_bias is not None else None
    post = methods.post_training_bias.methods if methods.post_training_bias is not None else None
    needs_predictions = (
        post is not None
        and config.predicted_label is None
        and config.predicted_label_dataset_uri is None
    )
    plan = Plan(
        pre,
        post,
        methods.report is not None,
        needs_predictions,
        shap=methods.shap is not None,
        pdp=methods.pdp is not None,
    )
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
        if config.predictor is None and plan.needs_predictions:
            raise ConfigError(
                "$.predictor",
                "post-training bias needs predictions: neither $.predicted_label nor "
                "$.predictor is set",
                "name the column of the model's predictions in $.predicted_label, "
                "or describe the model in $.predictor",
            )
        if config.predictor is None:
            raise ConfigError(
                "$.predictor",
                "SHAP and PDP explain a model, but $.predictor is not set",
                "describe the model in $.predictor",
            )
        from .predict import check_predictor_config

        check_predictor_config(config)
    return plan


def resolve_dataset(
    config: AnalysisConfig, dataset: Path | None, locations: Locations | None = None
) -> Path:
    """The dataset path.

    From the command line the explicit ``--dataset`` wins; in the container
    ``dataset_uri`` takes precedence over the ``dataset`` processing input
    (contract §1.3).  An ``s3://`` ``dataset_uri`` is downloaded.
    """
    locations = locations or Locations()
    in_container = locations.input_root is not None
    if dataset is not None and not (in_container and config.dataset_uri):
        return dataset
    if config.dataset_uri:
        return locations.local(config.dataset_uri, "$.dataset_uri")
    raise ConfigError("dataset", "no dataset given", "pass --dataset PATH or set $.dataset_uri")


def _locate_model(config: AnalysisConfig, locations: Locations) -> AnalysisConfig:
    """``config`` with an in-process ``model_path`` found like every other path.

    Relative to the config (not the working directory), and confined to the
    input folder in container mode.
    """
    predictor = config.predictor
    extension = predictor.openclarify if predictor is not None else None
    if predictor is None or extension is None or extension.model_path is None:
        return config
    located = locations.local(extension.model_path, "$.predictor.openclarify.model_path")
    extension = extension.model_copy(update={"model_path": str(located)})
    predictor = predictor.model_copy(update={"openclarify": extension})
    return config.model_copy(update={"predictor": predictor})


def analyze(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    dataset: str | Path | None = None,
    *,
    config_dir: Path | None = None,
    input_root: Path | None = None,
    n_jobs: int | None = -1,
    backend: str = "local",
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
        Folder that relative paths in the config are resolved against.
    input_root:
        Container mode: every path the config names must resolve inside this
        folder (see :mod:`openclarify.locations`).
    n_jobs:
        Cores for the Flip Test's neighbour search (-1 = all).
    backend:
        ``local`` (default: stream record batches where possible), ``memory``
        (always load the table) or ``spark`` (Spark tasks; needs the ``spark``
        extra); see :data:`BACKENDS`.
    """
    if backend not in BACKENDS:
        raise ConfigError(
            "--backend",
            f"unknown backend '{backend}' (this version has {', '.join(BACKENDS)})",
            "use --backend local",
        )
    if not isinstance(config, AnalysisConfig):
        if isinstance(config, str | Path) and config_dir is None:
            config_dir = Path(config).parent
        config = load_config(config if not isinstance(config, str) else Path(config))
    with tempfile.TemporaryDirectory(prefix="openclarify-") as scratch:
        locations = Locations(config_dir, input_root, Path(scratch))
        return _analyze(
            config, Path(dataset) if dataset is not None else None, locations, n_jobs, backend
        )


#: Backends: ``local`` streams record batches where it can and loads the table otherwise;
#: ``memory`` always loads the table (the reference the streaming engine is tested against);
#: ``spark`` runs the streaming engine's passes as Spark tasks (:mod:`openclarify.backend.spark`)
#: and refuses, naming ``--backend``, what it cannot do exactly.
BACKENDS = ("local", "memory", "spark")
#: With ``methods.report``, a dataset whose decoded size is below this share of the
#: available memory is loaded whole, so that the report gets its per-group statistics
#: (streaming computes the metrics only).
REPORT_IN_MEMORY_SHARE = 0.25


def _streams(config: AnalysisConfig, plan: Plan, path: Path, backend: str) -> bool:
    """Whether to try the streaming engine (it may still decline: then in memory).

    Streaming is the default for the bias-only plans it handles: CSV, Parquet and
    JSON Lines, no model, no side datasets, no FT (see
    :func:`openclarify.backend.why_not_streamed`).
    A job that also wants a report streams only when its data is large; small data
    is loaded so the report can show per-group statistics.
    """
    if backend == "memory" or not plan.bias or plan.needs_model:
        return False
    from .backend import why_not_streamed

    reason = why_not_streamed(config)
    if reason is not None:
        log.info("Bias metrics computed in memory: %s", reason)
        return False
    if plan.report:
        from .data.readers import dataset_files
        from .limits import available_memory, check_dataset_fits

        needed = check_dataset_fits(dataset_files(path), config.dataset_type, available=1 << 62)
        return needed > REPORT_IN_MEMORY_SHARE * available_memory()
    return True


def _analyze_on_spark(
    config: AnalysisConfig, plan: Plan, path: Path, locations: Locations
) -> AnalysisResult:
    """Bias metrics, SHAP and PDP by Spark tasks; the rest is refused (never run elsewhere silently).

    Bias counts come from the files (:mod:`openclarify.backend.spark`); SHAP
    and PDP need the feature rows (baseline, encoding, grids), so the driver
    loads the table and the tasks call the model for their slices of it.
    """
    if plan.needs_predictions:
        raise ConfigError(
            "--backend",
            "the spark backend computes bias metrics (predicted labels read from the data), "
            "SHAP and PDP; predicted labels from the model are not available on it yet",
            "use --backend local for this config",
        )
    from .backend.spark import (
        spark_bias_sections,
        spark_pdp,
        spark_session,
        spark_shap,
        why_no_spark_shap,
    )

    if plan.explain and (reason := why_no_spark_shap(config)) is not None:
        raise ConfigError(
            "--backend",
            f"the spark backend cannot run this analysis exactly: {reason}",
            "use --backend local for it",
        )
    with spark_session() as spark:
        pre = post = None
        if plan.bias:
            started = time.perf_counter()
            pre, post = spark_bias_sections(config, path, spark=spark, log=log)
            log.info("Bias metrics computed in %.2fs (spark)", time.perf_counter() - started)
        if not plan.explain:
            return AnalysisResult(pre_training=pre, post_training=post, config=config)
        from .explain.analysis import Explanations

        started = time.perf_counter()
        table = load_bias_table(config, path, locations)
        log.info(
            "Loaded %d rows for explanations in %.2fs", table.n_rows, time.perf_counter() - started
        )
        shap = pdp = None
        if plan.shap:
            shap = spark_shap(config, table, spark=spark, locations=locations, log=log)
        if plan.pdp:
            pdp = spark_pdp(config, table, spark=spark, shap=shap, log=log)
    return AnalysisResult(
        pre_training=pre,
        post_training=post,
        explanations=Explanations(shap, pdp).section(),
        shap=shap,
        config=config,
    )


def _analyze(
    config: AnalysisConfig,
    dataset: Path | None,
    locations: Locations,
    n_jobs: int | None,
    backend: str = "local",
) -> AnalysisResult:
    config = _locate_model(config, locations)
    plan = plan_analysis(config)
    path = resolve_dataset(config, dataset, locations)

    if backend == "spark":
        return _analyze_on_spark(config, plan, path, locations)
    if _streams(config, plan, path, backend):
        from .backend import stream_bias_sections

        started = time.perf_counter()
        streamed = stream_bias_sections(config, path, log=log)
        if streamed is not None:
            log.info("Bias metrics computed in %.2fs (streamed)", time.perf_counter() - started)
            return AnalysisResult(
                pre_training=streamed[0], post_training=streamed[1], config=config
            )

    started = time.perf_counter()
    table = load_bias_table(config, path, locations)
    log.info(
        "Loaded %d rows, %d columns in %.2fs",
        table.n_rows,
        len(table.frame.columns),
        time.perf_counter() - started,
    )

    explanations = None
    if plan.needs_model:
        # One session for every use of the model: a shadow endpoint is created once
        # and deleted before the metrics are computed.
        from .predict import open_model, predictions_for, with_predictions

        with open_model(config, list(table.feature_columns), log=log) as session:
            if plan.needs_predictions:
                started = time.perf_counter()
                table = with_predictions(table, predictions_for(config, table, session=session))
                log.info("Predictions computed in %.2fs", time.perf_counter() - started)
            if plan.explain:
                from .explain.analysis import explanations_for

                explanations = explanations_for(
                    config,
                    table,
                    session.scores,
                    locations=locations,
                    rows_per_call=session.rows_per_call,
                    log=log,
                )
                stats = session.stats
                log.info(
                    "Model calls for explanations: %d requests, %d rows (%.0f rows per request)",
                    stats.requests,
                    stats.rows,
                    stats.rows_per_request,
                )

    pre_section = post_section = None
    report_stats = None
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
        if plan.report:
            from .report import compute_report_stats

            report_stats = compute_report_stats(table, labels, log=log)  # never raises

    return AnalysisResult(
        pre_training=pre_section,
        post_training=post_section,
        explanations=explanations.section() if explanations is not None else None,
        shap=explanations.shap if explanations is not None else None,
        report_stats=report_stats,
        config=config,
    )


def run(
    config: AnalysisConfig | dict[str, Any] | str | Path,
    dataset: str | Path | None,
    output_dir: str | Path,
    *,
    config_dir: Path | None = None,
    input_root: Path | None = None,
    backend: str = "local",
) -> AnalysisResult:
    """:func:`analyze`, then write every output file atomically to ``output_dir``.

    ``output_dir`` may be ``s3://bucket/prefix``: the files are written to a
    temporary folder first and uploaded once all are complete, ``analysis.json``
    last (:func:`openclarify.storage.upload_folder`).
    """
    if isinstance(output_dir, str) and output_dir.startswith("s3://"):
        from . import storage

        storage.parse_s3_uri(output_dir, "--output")  # a typo fails before the analysis
        with tempfile.TemporaryDirectory(prefix="openclarify-output-") as staging:
            result = run(
                config,
                dataset,
                staging,
                config_dir=config_dir,
                input_root=input_root,
                backend=backend,
            )
            uploaded = storage.upload_folder(Path(staging), output_dir, where="--output")
        log.info("Uploaded %d file(s) to %s", len(uploaded), output_dir)
        return result
    output = Path(output_dir)
    if output.exists() and not output.is_dir():
        raise OutputError(
            str(output), "the output path is a file, expected a folder", "pass a folder path"
        )
    result = analyze(config, dataset, config_dir=config_dir, input_root=input_root, backend=backend)
    # explanations_shap/ before analysis.json: when it exists, the results are complete
    # (reports follow it; a report failure never fails the job).
    if result.shap is not None:
        _write(output / SHAP_DIR / BASELINE_FILE, result.shap.baseline_csv())
        log.info("Wrote baseline used to compute explanations to: %s", output / SHAP_DIR)
        if result.shap.save_local:
            _write(output / SHAP_DIR / LOCAL_FILE, result.shap.local_csv())
            log.info(
                "Wrote %d local explanations to: %s",
                result.shap.local.shape[0],
                output / SHAP_DIR / LOCAL_FILE,
            )
    target = output / ANALYSIS_FILE
    document = result.to_dict()
    _write(target, dumps_analysis(document))
    log.info("Wrote %s", target)
    report = result.config.methods.report if result.config is not None else None
    if report is not None:
        # after analysis.json, as Clarify does: the notebook re-reads it.  A report
        # that cannot be rendered never fails the job; the notes say why.
        from .report import write_reports

        notes = write_reports(
            document,
            output,
            name=report.name or "report",
            title=report.title,
            stats=result.report_stats,
            config=result.config.model_dump(mode="json", exclude_none=True)
            if result.config is not None
            else None,
            log=log,
        )
        result = dataclasses.replace(result, notes=result.notes + tuple(notes))
    return result


def _write(target: Path, text: str) -> None:
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise OutputError(
            str(target.parent),
            f"cannot write {target.name} ({exc.strerror or type(exc).__name__})",
            "check that the output folder is writable and has space",
        ) from exc
