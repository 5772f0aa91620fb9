"""Predictions from a model, the way Clarify gets them (contract §2.9, §7).

The job calls :func:`check_predictor_config` while planning (before any data
is read) and :func:`predictions_for` once, when a method needs predictions that
the dataset does not hold; :func:`with_predictions` adds them to the table as
``_aws_sagemaker_xai_predicted_labels_<n>`` (contract §7.4; ``<n>`` is the
first number that does not collide with a user column).

Where the model is (first match wins):

1. ``predictor.openclarify.model_path`` (+ ``allow_code_execution: true``):
   an in-process model (:mod:`~openclarify.predict.inprocess`);
2. ``predictor.openclarify.endpoint_url``: an HTTP server speaking the
   SageMaker inference protocol (:class:`~openclarify.predict.transport.HttpTransport`);
3. ``predictor.endpoint_name``: an existing SageMaker endpoint (checked with
   ``DescribeEndpoint``, never deleted);
4. ``predictor.model_name``: a shadow endpoint created for the job and deleted
   in every outcome (:class:`~openclarify.predict.shadow.ShadowEndpoint`).

Modules: :mod:`~openclarify.predict.serialize` (request bodies),
:mod:`~openclarify.predict.parse` (responses),
:mod:`~openclarify.predict.output` (model outputs, predicted label, scores),
:mod:`~openclarify.predict.transport` (boto3 / HTTP),
:mod:`~openclarify.predict.retry` (backoff with jitter),
:mod:`~openclarify.predict.batching` (batch sizes, concurrency, order),
:mod:`~openclarify.predict.shadow` (endpoint lifecycle),
:mod:`~openclarify.predict.faults` (what can go wrong).

boto3 is imported only when a SageMaker endpoint is used.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from ..errors import ConfigError
from .base import ModelOutput, Predictor
from .batching import BatchStats
from .parse import parser_for
from .retry import RetryPolicy
from .serialize import check_templates, request_content_type, serializer_for
from .session import ModelSession

if TYPE_CHECKING:
    from ..config import AnalysisConfig, PredictorConfig
    from ..data.table import BiasTable
    from .images import ImageSerializer
    from .serialize import Serializer
    from .timeseries import TimeSeriesSerializer

__all__ = [
    "PREDICTED_LABEL_PREFIX",
    "BatchStats",
    "ModelOutput",
    "ModelSession",
    "PredictRuntime",
    "Predictor",
    "check_predictor_config",
    "open_model",
    "open_predictor",
    "predicted_label_name",
    "predictions_for",
    "rows_per_call",
    "with_predictions",
]

#: Name of the predicted-label column the job adds (contract §7.4), plus ``<n>``.
PREDICTED_LABEL_PREFIX: Final = "_aws_sagemaker_xai_predicted_labels_"
_MB: Final = 1_000_000
#: Rows per SHAP / PDP call to a remote model: ~30 full requests at 27k CSV rows.
REMOTE_ROWS_PER_CALL: Final = 2**20

_log = logging.getLogger("openclarify")


@dataclass
class PredictRuntime:
    """Everything about *how* predictions run that is not in the config (tests inject these).

    Attributes
    ----------
    rng:
        Jitter and shadow-endpoint name suffixes.
    sleep:
        Waiting between retries and polls.
    clock:
        Monotonic clock for timeouts and progress.
    progress_seconds:
        Seconds between progress lines.
    sagemaker_client, runtime_client:
        boto3 clients to use instead of new ones.
    endpoint_timeout_seconds, max_poll_seconds:
        Waiting for an endpoint to be ``InService``.
    retry_base_delay, retry_max_delay:
        Backoff window (see :class:`~openclarify.predict.retry.RetryPolicy`).
    stats:
        Filled with the last run's :class:`~openclarify.predict.batching.BatchStats`.
    """

    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    progress_seconds: float = 10.0
    sagemaker_client: Any = None
    runtime_client: Any = None
    endpoint_timeout_seconds: float = 1800.0
    max_poll_seconds: float = 15.0
    retry_base_delay: float = 0.5
    retry_max_delay: float = 20.0
    stats: BatchStats | None = None

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            base_delay=self.retry_base_delay,
            max_delay=self.retry_max_delay,
            rng=self.rng,
            sleep=self.sleep,
        )


def _predictor(config: AnalysisConfig) -> PredictorConfig:
    if config.predictor is None:
        raise ConfigError("$.predictor", "is required to get predictions from a model")
    return config.predictor


def _setting(predictor: PredictorConfig, name: str) -> Any:
    from ..config.defaults import DEFAULTS

    extension = predictor.openclarify
    value = getattr(extension, name) if extension is not None else None
    return value if value is not None else DEFAULTS[f"predictor.openclarify.{name}"]


def rows_per_call(config: AnalysisConfig) -> int | None:
    """Rows of one SHAP / PDP call to the model of ``config`` (``None``: the caller's own).

    The :attr:`~openclarify.predict.session.ModelSession.rows_per_call` of the
    session :func:`open_model` opens, known without opening it: an in-process
    model (``model_path``) takes the estimator's default, a remote one
    :data:`REMOTE_ROWS_PER_CALL`.
    """
    extension = _predictor(config).openclarify
    in_process = extension is not None and extension.model_path is not None
    return None if in_process else REMOTE_ROWS_PER_CALL


def check_predictor_config(config: AnalysisConfig) -> None:
    """Check everything about the predictor that can be checked before reading data.

    Request and response types, templates (placeholders, valid JSON), the
    ``label`` / ``probability`` locations and, for an in-process model, that
    the file exists.

    Raises
    ------
    ConfigError
        With the JSON path of the first problem.
    """
    predictor = _predictor(config)
    if config.is_time_series:
        from .timeseries import check_time_series_predictor

        check_time_series_predictor(config)
        return
    extension = predictor.openclarify
    if extension is not None and extension.model_path is not None:
        from .inprocess import is_lent

        if not is_lent(extension.model_path) and not Path(extension.model_path).is_file():
            raise ConfigError(
                "$.predictor.openclarify.model_path",
                f"no model file at {extension.model_path}",
                "give the path of a joblib or pickle file",
            )
        return
    content_type = request_content_type(predictor, config.dataset_type)
    content, _ = check_templates(predictor, content_type)
    one_record = content is not None and "record" in content.kinds()
    parser_for(predictor, content_type, one_record)


@contextmanager
def open_predictor(
    config: AnalysisConfig,
    feature_names: list[str],
    *,
    runtime: PredictRuntime | None = None,
    log: logging.Logger | None = None,
) -> Iterator[Predictor]:
    """The predictor a config asks for; resources (a shadow endpoint) live inside the ``with``.

    Raises
    ------
    ConfigError
        Invalid predictor settings.
    PredictorError
        The model cannot be reached, loaded or started.
    """
    runtime = runtime or PredictRuntime()
    log = log or _log
    predictor = _predictor(config)
    extension = predictor.openclarify
    if extension is not None and extension.model_path is not None:
        from .inprocess import InProcessPredictor, load_model

        log.info("Loading in-process model from %s", extension.model_path)
        model = load_model(extension.model_path, extension.allow_code_execution is True)
        headers = list(predictor.label_headers) if predictor.label_headers else None
        yield InProcessPredictor(model, headers)
        return

    from .remote import RemotePredictor
    from .transport import HttpTransport, SageMakerRuntimeTransport, Transport

    serializer: Serializer | TimeSeriesSerializer | ImageSerializer
    if config.is_time_series:  # records rendered by the caller (predict/timeseries.py)
        from .timeseries import time_series_parser, time_series_serializer

        serializer = time_series_serializer(config)
        parser = time_series_parser(config, serializer)
    else:
        serializer = serializer_for(predictor, config.dataset_type, feature_names)
        parser = parser_for(predictor, serializer.content_type, serializer.one_record_per_request)
    concurrency = int(_setting(predictor, "max_concurrency"))
    timeout = float(_setting(predictor, "timeout_seconds"))
    payload = int(float(_setting(predictor, "max_payload_mb")) * _MB)
    policy = runtime.policy()
    request_headers: dict[str, Any] = {
        "content_type": serializer.content_type,
        "accept": parser.accept_type,
        "custom_attributes": predictor.custom_attributes,
        "target_model": predictor.target_model,
    }
    with ExitStack() as stack:
        transport: Transport
        if extension is not None and extension.endpoint_url is not None:
            http = HttpTransport(extension.endpoint_url, timeout=timeout, **request_headers)
            log.info("Using model server %s", http.url)
            policy.call(http.ping, target=http.description, subject="GET /ping", row_values=list)
            transport = http
        else:
            from .shadow import ShadowEndpoint, check_endpoint, control_client

            client = runtime.sagemaker_client
            if client is None:
                client = control_client(read_timeout=timeout)
                stack.callback(client.close)
            if predictor.endpoint_name is not None:
                endpoint = predictor.endpoint_name
                check_endpoint(
                    client,
                    endpoint,
                    timeout_seconds=runtime.endpoint_timeout_seconds,
                    max_poll_seconds=runtime.max_poll_seconds,
                    sleep=runtime.sleep,
                    clock=runtime.clock,
                    log=log,
                )
            else:
                assert predictor.model_name and predictor.instance_type
                assert predictor.initial_instance_count
                endpoint = stack.enter_context(
                    ShadowEndpoint(
                        client,
                        predictor.model_name,
                        predictor.instance_type,
                        predictor.initial_instance_count,
                        accelerator_type=predictor.accelerator_type,
                        prefix=predictor.value_or_default("endpoint_name_prefix"),
                        timeout_seconds=runtime.endpoint_timeout_seconds,
                        max_poll_seconds=runtime.max_poll_seconds,
                        rng=runtime.rng,
                        sleep=runtime.sleep,
                        clock=runtime.clock,
                        log=log,
                    )
                )
            transport = SageMakerRuntimeTransport(
                endpoint,
                timeout=timeout,
                max_connections=max(10, concurrency),
                client=runtime.runtime_client,
                **request_headers,
            )
        stack.callback(transport.close)
        yield RemotePredictor(serializer, parser, transport, policy, payload)


def predicted_label_name(columns: Any) -> str:
    """``_aws_sagemaker_xai_predicted_labels_<n>`` for the first ``n`` not among ``columns``."""
    taken = {str(c) for c in columns}
    n = 0
    while f"{PREDICTED_LABEL_PREFIX}{n}" in taken:
        n += 1
    return f"{PREDICTED_LABEL_PREFIX}{n}"


@contextmanager
def open_model(
    config: AnalysisConfig,
    feature_names: list[str],
    *,
    log: logging.Logger | None = None,
    runtime: PredictRuntime | None = None,
) -> Iterator[ModelSession]:
    """The model of ``$.predictor``, open for the whole ``with`` block.

    Open it once per job: every method that needs the model (predicted labels
    for post-training bias, SHAP, PDP) uses the same session, so a shadow
    endpoint is created once and deleted when the block ends.  On exit
    ``runtime.stats`` holds the session's totals
    (:attr:`~openclarify.predict.session.ModelSession.stats`).

    Raises
    ------
    ConfigError
        Invalid predictor settings, or no feature columns to send.
    PredictorError
        The model cannot be reached, loaded or started.
    """
    runtime = runtime or PredictRuntime()
    log = log or _log
    predictor_config = _predictor(config)
    if not feature_names:
        raise ConfigError(
            "$.excluded_columns",
            "no feature columns are left to send to the model (every column is the label, "
            "the join column, a facet-dataset column or excluded)",
            "keep the model's feature columns out of $.excluded_columns",
        )
    with open_predictor(config, feature_names, runtime=runtime, log=log) as predictor:
        session = ModelSession(
            predictor,
            max_payload_bytes=int(float(_setting(predictor_config, "max_payload_mb")) * _MB),
            max_concurrency=int(_setting(predictor_config, "max_concurrency")),
            label_headers=(
                list(predictor_config.label_headers) if predictor_config.label_headers else None
            ),
            log=log,
            progress_seconds=runtime.progress_seconds,
            clock=runtime.clock,
            rows_per_call=rows_per_call(config),
        )
        try:
            yield session
        finally:
            runtime.stats = session.stats


def predictions_for(
    config: AnalysisConfig,
    table: BiasTable,
    *,
    log: logging.Logger | None = None,
    runtime: PredictRuntime | None = None,
    session: ModelSession | None = None,
) -> pd.Series:
    """The model's predicted labels (or scores) for every row of ``table``.

    Only the feature columns (:attr:`~openclarify.data.table.BiasTable.feature_columns`)
    are sent.  Call once per job and reuse the column.

    Parameters
    ----------
    config:
        The analysis config (``predictor`` must be set).
    table:
        The loaded dataset.
    log:
        Logger for progress lines.
    runtime:
        Injectables (tests); defaults are right for real runs.
    session:
        An already open model (:func:`open_model`); without one, the model is
        opened for this call only.

    Returns
    -------
    pandas.Series
        Aligned with ``table.frame`` (same index), named by
        :func:`predicted_label_name`; what each value means is documented in
        :mod:`openclarify.predict.parse`.

    Raises
    ------
    ConfigError, PredictorError
        Invalid predictor settings; a model that cannot give the predictions.
    """
    features = list(table.feature_columns)
    if session is None:
        with open_model(config, features, log=log, runtime=runtime) as opened:
            return predictions_for(config, table, session=opened)
    column = session.predicted_labels(table.frame[features])
    column.index = table.frame.index
    column.name = predicted_label_name(table.frame.columns)
    return column


def with_predictions(table: BiasTable, predictions: pd.Series) -> BiasTable:
    """``table`` with ``predictions`` added as its predicted-label column."""
    name = str(predictions.name)
    frame = table.frame.assign(**{name: predictions.to_numpy()})
    return dataclasses.replace(table, frame=frame, predicted_label=name)
