"""The SageMaker SDK's Clarify objects, run in-process: change one import.

::

    from openclarify import clarify            # was: from sagemaker import clarify

    data_config = clarify.DataConfig(s3_data_input_path=..., s3_output_path=..., label="y", ...)
    bias_config = clarify.BiasConfig(label_values_or_threshold=[1], facet_name="group")
    processor = clarify.SageMakerClarifyProcessor(role=role, instance_count=1,
                                                  instance_type="ml.m5.large",
                                                  sagemaker_session=sess)
    processor.run_pre_training_bias(data_config=data_config, data_bias_config=bias_config,
                                    methods=["CI", "DPL"])

``DataConfig``, ``BiasConfig``, ``ModelConfig``, ``ModelPredictedLabelConfig``,
``SHAPConfig`` and ``PDPConfig`` are the SDK's own classes, re-exported.  The
processor has the SDK processor's ``run_*`` methods with the same arguments; each
builds ``analysis_config.json`` with the SDK's own ``_AnalysisConfigGenerator``
(validated with the SDK's schema unless ``skip_early_validation``), as the SDK
would, and runs the job here, in this process — no container, no Processing job:

* the dataset is ``DataConfig.s3_data_input_path``: ``s3://`` (downloaded through
  boto3, like any S3 input; ``AWS_ENDPOINT_URL_S3`` reaches another S3 server) or
  a local file or folder (``file://`` allowed);
* the outputs go to ``s3_output_path`` (``s3://``, uploaded once complete,
  ``analysis.json`` last) or a local folder: ``analysis_config.json`` (as the SDK
  uploads it: ``json.dump`` of the generated config, into
  ``s3_analysis_config_output_path`` when set), ``analysis.json``, the reports and
  the methods' files — the files the container writes;
* a model (``ModelConfig``) is reached as the container reaches it (a SageMaker
  endpoint or a shadow endpoint, through boto3), or, offline, through the
  processor's ``model=`` (a live estimator or callable, called in-process) or
  ``endpoint_url=`` (a model server speaking the SageMaker inference protocol).
  Both go into ``predictor.openclarify`` of the config the job runs; the
  ``analysis_config.json`` written stays the SDK's.

The role, instance type and count, volume, KMS keys, network and tags are
accepted and not used (nothing is provisioned).  ``wait`` and ``logs`` are
accepted; the job always runs to completion before the call returns, and
``processor.latest_job`` describes it (``job_name``, ``wait()``, ``describe()``,
``outputs``).

``sagemaker.processing.ProcessingJob.from_processing_name(sagemaker_session,
name)`` calls ``sagemaker_session.describe_processing_job(job_name=name)``, which a
``sagemaker.Session`` sends to the SageMaker API (boto3's
``describe_processing_job``): the API knows no job that ran in this process, and
answering for it would take patching boto3 or a fake SageMaker server.  Instead,
:class:`Session` is a ``sagemaker.Session`` whose ``sagemaker_client`` answers
``DescribeProcessingJob`` for the in-process runs of this process (the SDK's
constructor argument for its client, as its own local mode uses it) and passes
every other call, and every other job name, to the boto3 client.  With
``sess = clarify.Session()``, ``ProcessingJob.from_processing_name(sess,
name)`` and its ``describe()`` and ``wait()`` work offline.

Needs the SageMaker Python SDK: ``pip install 'openclarify[sdk]'``; without it,
importing this module raises an ImportError that says so.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from sagemaker import utils as _sdk_utils
    from sagemaker.clarify import (
        ANALYSIS_CONFIG_SCHEMA_V1_0,
        BiasConfig,
        DataConfig,
        ModelConfig,
        ModelPredictedLabelConfig,
        PDPConfig,
        SHAPConfig,
        _AnalysisConfigGenerator,
    )
    from sagemaker.session import Session as _SdkSession
except ImportError as exc:  # pragma: no cover - exercised in the main environment's tests
    raise ImportError(
        "openclarify.clarify needs the SageMaker Python SDK (the 'sagemaker' package), "
        "which is not installed: pip install 'openclarify[sdk]'",
        name=exc.name,
    ) from exc

from .errors import ConfigError
from .results import ANALYSIS_FILE, AnalysisResult

__all__ = [
    "BiasConfig",
    "DataConfig",
    "ModelConfig",
    "ModelPredictedLabelConfig",
    "PDPConfig",
    "ProcessingRun",
    "SHAPConfig",
    "SageMakerClarifyProcessor",
    "Session",
]

log = logging.getLogger("openclarify")

#: The file the SDK uploads next to the outputs (``_upload_analysis_config``).
CONFIG_FILE = "analysis_config.json"


def _local(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri


@dataclass
class ProcessingRun:
    """A finished in-process run: what ``processor.latest_job`` is for the SDK.

    Attributes
    ----------
    job_name:
        The name the SDK would have given the Processing job.
    analysis_config:
        The generated ``analysis_config.json`` document.
    outputs:
        Where the outputs went (``s3_output_path`` or the local folder).
    result:
        The :class:`~openclarify.results.AnalysisResult` of the run.
    """

    job_name: str
    analysis_config: dict[str, Any]
    outputs: str
    result: AnalysisResult = field(repr=False)

    def wait(self, logs: bool = True) -> None:
        """Return at once: the run finished before ``run_*`` returned."""

    def describe(self) -> dict[str, Any]:
        """The fields of ``DescribeProcessingJob`` that an in-process run has."""
        return {
            "ProcessingJobName": self.job_name,
            "ProcessingJobStatus": "Completed",
            "ExitMessage": "Completed: openclarify analysis ran successfully",
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "analysis_result",
                        "S3Output": {
                            "S3Uri": self.outputs,
                            "LocalPath": "/opt/ml/processing/output",
                        },
                    }
                ]
            },
        }


#: ``DescribeProcessingJob`` answers of this process's in-process runs, by job name
#: (the description only: a run's result can be large and is not kept here).
_DESCRIBED: dict[str, dict[str, Any]] = {}


class _InProcessJobsClient:
    """A SageMaker client: this process's in-process runs, else the wrapped boto3 client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def describe_processing_job(
        self,
        ProcessingJobName: str,  # boto3's parameter name
        **kwargs: Any,
    ) -> dict[str, Any]:
        described = _DESCRIBED.get(ProcessingJobName)
        if described is None:
            return dict(
                self._client.describe_processing_job(ProcessingJobName=ProcessingJobName, **kwargs)
            )
        return json.loads(json.dumps(described))  # a copy the caller may change

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class Session(_SdkSession):
    """``sagemaker.Session`` that also knows the in-process runs of this process.

    Takes the SDK's arguments.  Its ``sagemaker_client`` answers
    ``describe_processing_job`` for a job this process ran (the same dict as
    ``processor.latest_job.describe()``: status ``Completed``, the output path) and
    sends everything else to the boto3 client the SDK made or was given, so real
    jobs are described by the SageMaker API as before.  ``logs_for_processing_job``
    of an in-process run has nothing to fetch: its log lines went to this process's
    ``openclarify`` logger while it ran.
    """

    sagemaker_client: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sagemaker_client = _InProcessJobsClient(self.sagemaker_client)

    def logs_for_processing_job(self, job_name: str, wait: bool = False, poll: int = 10) -> None:
        if job_name not in _DESCRIBED:
            super().logs_for_processing_job(job_name, wait=wait, poll=poll)
            return
        log.info("%s ran in this process: its log lines are above, no CloudWatch stream", job_name)


class SageMakerClarifyProcessor:
    """``sagemaker.clarify.SageMakerClarifyProcessor``, running the analysis in this process.

    Parameters
    ----------
    role, instance_count, instance_type, volume_size_in_gb, volume_kms_key, output_kms_key,
    max_runtime_in_seconds, sagemaker_session, env, tags, network_config, version:
        The SDK's arguments, accepted and not used (nothing is provisioned).
    job_name_prefix:
        Prefix of the job names (default: the SDK's, e.g. ``Clarify-Pretraining-Bias``).
    skip_early_validation:
        Skip the SDK's schema check of the generated config, as in the SDK.
    model:
        A live model (estimator with ``predict_proba`` / ``predict``, or a callable
        on a DataFrame of feature rows) to call in-process instead of the
        ``ModelConfig``'s endpoint.
    endpoint_url:
        A model server (``POST /invocations``) to call instead of the
        ``ModelConfig``'s endpoint.
    backend:
        ``local`` (default), ``memory`` or ``spark`` (:func:`openclarify.analyze`).
    """

    def __init__(
        self,
        role: str | None = None,
        instance_count: int | None = None,
        instance_type: str | None = None,
        volume_size_in_gb: int = 30,
        volume_kms_key: str | None = None,
        output_kms_key: str | None = None,
        max_runtime_in_seconds: int | None = None,
        sagemaker_session: Any = None,
        env: dict[str, str] | None = None,
        tags: Any = None,
        network_config: Any = None,
        job_name_prefix: str | None = None,
        version: str | None = None,
        skip_early_validation: bool = False,
        *,
        model: Any = None,
        endpoint_url: str | None = None,
        backend: str = "local",
    ) -> None:
        if model is not None and endpoint_url is not None:
            raise ConfigError(
                "SageMakerClarifyProcessor", "model and endpoint_url cannot both be set"
            )
        self.role = role
        self.instance_count = instance_count
        self.instance_type = instance_type
        self.sagemaker_session = sagemaker_session
        self.job_name_prefix = job_name_prefix
        self.skip_early_validation = skip_early_validation
        self.model = model
        self.endpoint_url = endpoint_url
        self.backend = backend
        self.latest_job: ProcessingRun | None = None
        self._last_analysis_config: dict[str, Any] | None = None
        self._lent_path: str | None = None  # model_path of the lent model, during a run

    # ---- the SDK's run methods -------------------------------------------------------

    def run_pre_training_bias(
        self,
        data_config: DataConfig,
        data_bias_config: BiasConfig,
        methods: str | list[str] = "all",
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> AnalysisResult:
        """Pre-training bias metrics (``methods``: ``"all"`` or codes such as ``CI``, ``DPL``)."""
        config = _AnalysisConfigGenerator.bias_pre_training(data_config, data_bias_config, methods)
        return self._run(data_config, config, job_name, "Clarify-Pretraining-Bias")

    def run_post_training_bias(
        self,
        data_config: DataConfig,
        data_bias_config: BiasConfig,
        model_config: ModelConfig | None = None,
        model_predicted_label_config: ModelPredictedLabelConfig | None = None,
        methods: str | list[str] = "all",
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> AnalysisResult:
        """Post-training bias metrics, from the model's predictions or a predicted-label column."""
        config = _AnalysisConfigGenerator.bias_post_training(
            data_config, data_bias_config, model_predicted_label_config, methods, model_config
        )
        return self._run(data_config, config, job_name, "Clarify-Posttraining-Bias")

    def run_bias(
        self,
        data_config: DataConfig,
        bias_config: BiasConfig,
        model_config: ModelConfig | None = None,
        model_predicted_label_config: ModelPredictedLabelConfig | None = None,
        pre_training_methods: str | list[str] = "all",
        post_training_methods: str | list[str] = "all",
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> AnalysisResult:
        """Pre- and post-training bias metrics in one run."""
        config = _AnalysisConfigGenerator.bias(
            data_config,
            bias_config,
            model_config,
            model_predicted_label_config,
            pre_training_methods,
            post_training_methods,
        )
        return self._run(data_config, config, job_name, "Clarify-Bias")

    def run_explainability(
        self,
        data_config: DataConfig,
        model_config: ModelConfig,
        explainability_config: Any,
        model_scores: int | str | ModelPredictedLabelConfig | None = None,
        wait: bool = True,
        logs: bool = True,
        job_name: str | None = None,
        kms_key: str | None = None,
        experiment_config: dict[str, str] | None = None,
    ) -> AnalysisResult:
        """Kernel SHAP and / or PDP (``SHAPConfig``, ``PDPConfig`` or a list of both)."""
        config = _AnalysisConfigGenerator.explainability(
            data_config, model_config, model_scores, explainability_config
        )
        return self._run(data_config, config, job_name, "Clarify-Explainability")

    # ---- the run ---------------------------------------------------------------------

    def _job_config(self, analysis_config: dict[str, Any]) -> dict[str, Any]:
        """The config the job runs: the SDK's, with the local model in ``predictor.openclarify``."""
        if self.model is None and self.endpoint_url is None:
            return analysis_config
        if "predictor" not in analysis_config:
            return analysis_config  # no method needs a model
        extension = (
            {"endpoint_url": self.endpoint_url}
            if self.endpoint_url is not None
            else {"model_path": self._lent_path, "allow_code_execution": True}
        )
        predictor = {**analysis_config["predictor"], "openclarify": extension}
        return {**analysis_config, "predictor": predictor}

    def _run(
        self,
        data_config: DataConfig,
        analysis_config: dict[str, Any],
        job_name: str | None,
        default_prefix: str,
    ) -> AnalysisResult:
        import contextlib

        from .job import analyze
        from .outputs import output_folder, write_outputs
        from .results import write_atomic

        self._last_analysis_config = analysis_config
        if not self.skip_early_validation:
            ANALYSIS_CONFIG_SCHEMA_V1_0.validate(analysis_config)
        job_name = job_name or _sdk_utils.name_from_base(self.job_name_prefix or default_prefix)
        output = _local(data_config.s3_output_path)
        config_output = _local(data_config.s3_analysis_config_output_path or output)
        source = _local(data_config.s3_data_input_path)
        log.info("In-process Clarify job %s: %s -> %s", job_name, source, output)
        with contextlib.ExitStack() as stack:
            if self.model is not None:
                from .predict.inprocess import lent_model

                self._lent_path = stack.enter_context(lent_model(self.model))
                stack.callback(setattr, self, "_lent_path", None)
            job_config = self._job_config(analysis_config)
            dataset: Path | None = None
            if source.startswith("s3://"):
                job_config = {**job_config, "dataset_uri": source}
            else:
                dataset = Path(source)
            folder = stack.enter_context(output_folder(output, log))
            if config_output.rstrip("/") == output.rstrip("/"):
                config_folder = folder
            else:
                config_folder = stack.enter_context(output_folder(config_output, log))
            # as the SDK uploads it: json.dump of the generated document, no indent
            write_atomic(config_folder / CONFIG_FILE, json.dumps(analysis_config))
            result = analyze(
                job_config, dataset, config_dir=Path(os.getcwd()), backend=self.backend
            )
            result = write_outputs(result, folder, log)
        log.info("Wrote %s to %s", ANALYSIS_FILE, output)
        self.latest_job = ProcessingRun(job_name, analysis_config, output, result)
        _DESCRIBED[job_name] = self.latest_job.describe()
        return result
