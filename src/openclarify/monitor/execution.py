"""One monitoring execution: capture → dataset → the ordinary analysis → outputs.

The same code path serves the image (:mod:`.layout` finds the inputs the way the
service mounts them) and ``openclarify monitor`` (the inputs are options):

1. the monitoring config is completed (:func:`monitoring_document`): a bias config
   (``facet``, ``label_values_or_threshold``; no ``methods``) asks for pre- and
   post-training bias, every metric, as the bias monitor computes them; every
   execution writes the report, as the service's do (monitor contract §1.4);
2. it is checked before any data is read (schema and plan, on a stand-in dataset
   type);
3. ground truth is indexed (:mod:`.groundtruth`) and the capture streamed into a
   dataset file (:mod:`.dataset`);
4. an explainability config gets its model (monitor Q12): ``predictor.model_name``
   (a shadow endpoint, the existing predictor code) or, without one, the live
   endpoint ``sagemaker_endpoint_name``, called with the captured content types
   unless the config names them, ``InferenceAttribute`` / ``ProbabilityAttribute``
   as ``predictor.label`` / ``predictor.probability``;
5. the ordinary analysis computes and writes ``analysis.json`` and the report
   (:func:`openclarify.job.analyze`, :func:`openclarify.outputs.write_outputs`);
6. :func:`.step.after_analysis` checks it against the baseline, when there is
   one, and writes ``constraint_violations.json`` (and the CloudWatch file when the
   environment enables publishing) — into the same output folder, before an
   ``s3://`` output is uploaded.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import load_config
from ..config.loader import parse_config_json
from ..errors import ConfigError
from ..locations import Locations
from ..methods import plan_analysis
from .attributes import CaptureAttributes, pop_attribute_keys
from .dataset import CaptureDataset, Tally, build_capture_dataset
from .formats import DatasetFormat
from .groundtruth import read_ground_truth
from .window import Window

__all__ = ["MonitoringResult", "MonitoringRun", "monitoring_document", "run_monitoring"]

log = logging.getLogger("openclarify")

#: The report every monitoring execution writes (the SDK's ClarifyCheckStep default).
DEFAULT_REPORT = {"name": "report", "title": "Analysis Report"}
#: The exit message of an execution that was not checked against a baseline.
SUCCESS_MESSAGE = "Completed: openclarify analysis ran successfully"
#: What a bias monitor computes: both stages, every metric (monitor contract §3.2).
BIAS_METHODS = {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}


@dataclass(frozen=True)
class MonitoringRun:
    """Everything one execution reads.

    Attributes
    ----------
    config:
        ``analysis_config.json`` (the job definition's ``ConfigUri`` object).
    capture:
        Capture, merged or batch-output file or folder, or an ``s3://`` URI.
    output:
        Output folder or ``s3://`` prefix.
    ground_truth:
        Ground-truth file or folder (or ``s3://``) for capture not merged yet.
    baseline:
        The baseline ``analysis.json`` (the constraints), when there is one.
    window:
        ``[start_time, end_time)`` on ``inferenceTime``.
    dataset_format:
        The execution's ``dataset_format``.
    env:
        The execution's environment (attributes, ``sagemaker_endpoint_name`` …).
    attributes:
        Explicit capture attributes (win over the environment and the config).
    input_root:
        Container mode: the folder config paths must stay in.
    base_dir:
        The container's base folder (``/opt/ml``): where the CloudWatch metric file
        goes when the environment enables publishing.
    """

    config: Path
    capture: Path | str
    output: Path | str
    ground_truth: Path | str | None = None
    baseline: Path | str | None = None
    window: Window = field(default_factory=Window)
    dataset_format: DatasetFormat = field(default_factory=DatasetFormat)
    env: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    input_root: Path | None = None
    base_dir: Path = Path("/opt/ml")


@dataclass(frozen=True)
class MonitoringResult:
    """What the execution computed and what happened to the captured events.

    Attributes
    ----------
    result:
        The analysis (:class:`~openclarify.results.AnalysisResult`, report notes included).
    tally:
        What happened to the captured events.
    document:
        The analysis config that read the dataset built from the capture.
    outcome:
        The drift check and the files it wrote (:class:`.step.MonitorOutcome`).
    """

    result: Any
    tally: Tally
    document: dict[str, Any]
    outcome: Any

    @property
    def message(self) -> str:
        """The exit message: ``CompletedWithViolations: …`` / ``Completed: …``."""
        text = self.outcome.message or SUCCESS_MESSAGE
        return str(text) + "".join(f"; note: {note}" for note in self.result.notes)


def _needs_model(document: Mapping[str, Any]) -> bool:
    methods = document.get("methods") or {}
    return methods.get("shap") is not None or methods.get("pdp") is not None


def monitoring_document(raw: Any) -> dict[str, Any]:
    """The monitoring config with the analyses it implies (module docstring, step 1)."""
    if not isinstance(raw, dict):
        raise ConfigError(
            "$", "the analysis configuration must be a JSON object", "write a JSON object"
        )
    document = dict(raw)
    methods = document.get("methods")
    if methods is None:
        if "facet" not in document and "label_values_or_threshold" not in document:
            raise ConfigError(
                "$.methods",
                "the monitoring config asks for no analysis: no methods, no facet",
                "give the bias config (facet, label_values_or_threshold, label) or methods.shap",
            )
        methods = dict(BIAS_METHODS)
    if not isinstance(methods, dict):
        raise ConfigError("$.methods", "must be an object")
    if "report" not in methods:
        methods = {**methods, "report": dict(DEFAULT_REPORT)}
    document["methods"] = methods
    return document


def _standin(document: dict[str, Any]) -> dict[str, Any]:
    """The config as it will be, on a stand-in CSV dataset: for checks before any data."""
    standin = {
        k: v
        for k, v in pop_attribute_keys(document).items()
        if k not in ("dataset_type", "dataset_uri", "features", "predicted_label")
    }
    standin["dataset_type"] = "text/csv"
    if (document.get("methods") or {}).get("post_training_bias") is not None:
        standin["predicted_label"] = "predicted_label"
    return standin


def _with_model(
    document: dict[str, Any],
    env: Mapping[str, str],
    tally: Tally,
    attributes: CaptureAttributes,
) -> dict[str, Any]:
    """An explainability config with the model to explain (monitor Q12)."""
    if not _needs_model(document):
        return document
    predictor = dict(document.get("predictor") or {})
    local = predictor.get("openclarify") or {}
    if not any(predictor.get(k) for k in ("model_name", "endpoint_name")) and not (
        isinstance(local, dict) and (local.get("endpoint_url") or local.get("model_path"))
    ):
        endpoint = env.get("sagemaker_endpoint_name")
        if not endpoint:
            raise ConfigError(
                "$.predictor",
                "explainability monitoring needs the model: no predictor.model_name and no "
                "sagemaker_endpoint_name",
                "set $.predictor.model_name (a shadow endpoint) or run with env "
                "sagemaker_endpoint_name (the live endpoint)",
            )
        log.info("Explaining the live endpoint %s (no predictor.model_name)", endpoint)
        predictor = {
            k: v
            for k, v in predictor.items()
            if k not in ("instance_type", "initial_instance_count", "endpoint_name_prefix")
        }
        predictor["endpoint_name"] = endpoint
    for key, captured in (
        ("content_type", tally.request_type),
        ("accept_type", tally.response_type),
    ):
        if predictor.get(key) is None and captured is not None:
            predictor[key] = captured
            log.info("predictor.%s = %s, as captured", key, captured)
    for key, value in (("label", attributes.inference), ("probability", attributes.probability)):
        if predictor.get(key) is None and value is not None:
            predictor[key] = value
    return {**document, "predictor": predictor}


def _local(locations: Locations, where: str, value: Path | str) -> Path:
    return locations.local(str(value), where) if str(value).startswith("s3://") else Path(value)


def check_before_reading(
    document: dict[str, Any], env: Mapping[str, str], attributes: CaptureAttributes
) -> None:
    """Every config refusal, on a stand-in dataset type, before any capture is read."""
    standin = _standin(document)
    if _needs_model(standin):
        standin = _with_model(standin, env, Tally(), attributes)
    plan_analysis(load_config(standin))


def prepare_capture(
    document: dict[str, Any],
    capture: Path,
    scratch: Path,
    *,
    attributes: CaptureAttributes,
    ground_truth: Path | None = None,
    window: Window | None = None,
    dataset_format: DatasetFormat | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[CaptureDataset, dict[str, Any]]:
    """Steps 3-4 of the module docstring: the dataset file and its final config document."""
    env = env or {}
    truth = None
    if ground_truth is not None:
        truth = read_ground_truth(ground_truth)
        log.info("Ground truth: %s", truth.describe())
    dataset = build_capture_dataset(
        document,
        capture,
        scratch,
        attributes=attributes,
        ground_truth=truth,
        window=window,
        dataset_format=dataset_format,
        log=log,
    )
    return dataset, _with_model(dataset.document, env, dataset.tally, attributes)


def run_monitoring(run: MonitoringRun) -> MonitoringResult:
    """Run one execution and write ``analysis.json`` and the report (module docstring).

    Raises
    ------
    UserError
        A config, capture or ground-truth problem (naming the file and line), or
        "No data to analyze".
    """
    from .. import job
    from ..outputs import output_folder, write_outputs
    from .documents import read_analysis_at
    from .step import Baseline, after_analysis, drift_stage

    baseline = None
    if run.baseline is not None:  # read first: a bad baseline fails before any result
        document = read_analysis_at(str(run.baseline), where="--baseline")
        baseline = Baseline(Path(run.baseline), document)
    raw = parse_config_json(_read_bytes(run.config), where=str(run.config))
    attributes = CaptureAttributes.collect(
        run.attributes, run.env, raw if isinstance(raw, dict) else {}
    )
    document = monitoring_document(raw)
    log.info("Capture attributes: %s", attributes.describe())
    log.info("Data: %s; %s", run.dataset_format.describe(), run.window.describe())
    check_before_reading(document, run.env, attributes)
    with tempfile.TemporaryDirectory(prefix="openclarify-monitor-") as scratch:
        locations = Locations(run.config.parent, None, Path(scratch))
        folder = Path(scratch) / "dataset"
        folder.mkdir()
        dataset, final = prepare_capture(
            document,
            _local(locations, "--capture", run.capture),
            folder,
            attributes=attributes,
            ground_truth=(
                _local(locations, "--ground-truth", run.ground_truth)
                if run.ground_truth is not None
                else None
            ),
            window=run.window,
            dataset_format=run.dataset_format,
            env=run.env,
        )
        with output_folder(run.output, log) as output:
            result = job.analyze(
                load_config(final),
                dataset.path,
                config_dir=run.config.parent,
                input_root=run.input_root,
            )
            stage, drift = drift_stage(baseline, run.env, output)
            result = write_outputs(result, output, log, drift=drift)
            outcome = after_analysis(result.to_dict(), run.env, base_dir=run.base_dir, stage=stage)
    return MonitoringResult(result, dataset.tally, final, outcome)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            str(path), "analysis configuration file not found", "check the --config path"
        ) from None
    except OSError as exc:
        raise ConfigError(
            str(path), f"cannot read the analysis configuration ({exc.strerror or exc})"
        ) from None
