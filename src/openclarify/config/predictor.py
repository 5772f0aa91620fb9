"""``predictor``: the model or endpoint to query, and openclarify's own extension of it."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, model_validator

from openclarify.config.base import ConfigModel
from openclarify.config.defaults import (
    ENDPOINT_NAME_PREFIX_MAX_LENGTH,
    ENDPOINT_NAME_PREFIX_PATTERN,
)
from openclarify.config.fields import (
    AcceptTypeField,
    Bool,
    ContentTypeField,
    NameOrIndex,
    NameOrIndexList,
    NonEmptyStr,
    PositiveInt,
    Str,
    expected,
    fail,
)

__all__ = ["LocalPredictorExtension", "PredictorConfig", "TimeSeriesPredictorConfig"]


class TimeSeriesPredictorConfig(ConfigModel):
    """``predictor.time_series_predictor_config`` (SDK ≥ v2.214.0).

    Attributes
    ----------
    forecast:
        JMESPath of the forecast in the model response.
    """

    json_path: ClassVar[str] = "predictor.time_series_predictor_config"

    forecast: Str


def _check_prefix(value: Any) -> str:
    if (
        isinstance(value, str)
        and re.match(ENDPOINT_NAME_PREFIX_PATTERN, value)
        and len(value) <= ENDPOINT_NAME_PREFIX_MAX_LENGTH
    ):
        return value
    expected(
        f"a name prefix matching {ENDPOINT_NAME_PREFIX_PATTERN} of at most "
        f"{ENDPOINT_NAME_PREFIX_MAX_LENGTH} characters",
        value,
        "Start with two letters or digits (hyphens only between them), e.g. 'sm-clarify'.",
    )


def _check_content_template(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return value
    expected("a string (or an object of strings)", value)


_SHADOW_KEYS = ("model_name", "instance_type", "initial_instance_count")


def _check_positive_number(value: Any) -> float:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value > 0:
        return float(value)
    expected("a number > 0", value)


def _check_http_url(value: Any) -> str:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.hostname and not parts.query:
            return value
    expected(
        "an http:// or https:// URL of a model server (without a query string)",
        value,
        "Give the server's base URL, e.g. 'http://127.0.0.1:8080'; "
        "openclarify calls <url>/ping and <url>/invocations.",
    )


PositiveNumber = Annotated[float, Field(gt=0), BeforeValidator(_check_positive_number)]
HttpUrl = Annotated[str, BeforeValidator(_check_http_url)]


class LocalPredictorExtension(ConfigModel):
    """``predictor.openclarify``: openclarify's own predictor settings (not an AWS key).

    SageMaker Clarify only calls SageMaker endpoints.  Everything openclarify
    adds for running outside SageMaker, and its tuning knobs, live in this one
    namespaced object, so that an AWS config stays an AWS config and the AWS
    container would reject (not misread) a config that uses them.

    Example (a local model server speaking the SageMaker inference protocol)::

        "predictor": {
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "openclarify": {"endpoint_url": "http://127.0.0.1:8080", "max_concurrency": 8}
        }

    With ``endpoint_url`` or ``model_path`` the AWS keys ``endpoint_name`` /
    ``model_name`` (+ ``instance_type``, ``initial_instance_count``) are not
    required; when they are present anyway they are *not used* (the local
    target wins), so an SDK-generated config can be pointed at a local model by
    adding this object alone.

    Attributes
    ----------
    endpoint_url:
        Base URL of an HTTP server speaking the SageMaker inference protocol
        (``GET <url>/ping``, ``POST <url>/invocations``), e.g. MLflow's scoring
        server or the SageMaker inference toolkit run locally.
    model_path:
        Local file with a pickled / joblib-dumped scikit-learn estimator or a
        Python callable, called in-process (``predict_proba`` / ``predict``)
        without serialisation.  Unpickling runs code from the file, so it needs
        ``allow_code_execution: true``; it is never the default.
    allow_code_execution:
        Explicit opt-in for ``model_path`` (default false).
    max_concurrency:
        Requests in flight at once (default 4); also applies to SageMaker endpoints.
    max_payload_mb:
        Largest request body in MB of 10**6 bytes (default 6.0, the
        ``InvokeEndpoint`` limit); batches are sized to stay below it.
    timeout_seconds:
        Read timeout of one request in seconds (default 60, the
        ``InvokeEndpoint`` limit for real-time endpoints).
    npy_batch:
        Image datasets with ``content_type: application/x-npy``: send one
        ``(N, H, W, 3)`` array of several images per request instead of one
        ``(H, W, 3)`` image (default false; for models that take a batch).
    """

    json_path: ClassVar[str] = "predictor.openclarify"

    endpoint_url: HttpUrl | None = None
    model_path: NonEmptyStr | None = None
    allow_code_execution: Bool | None = None
    max_concurrency: PositiveInt | None = None
    max_payload_mb: PositiveNumber | None = None
    timeout_seconds: PositiveNumber | None = None
    npy_batch: Bool | None = None

    @model_validator(mode="after")
    def _check_target(self) -> LocalPredictorExtension:
        if self.endpoint_url is not None and self.model_path is not None:
            fail(
                "'endpoint_url' and 'model_path' cannot both be set",
                "Keep 'endpoint_url' to call a model server, or 'model_path' to load a "
                "model in-process.",
            )
        if self.model_path is not None and self.allow_code_execution is not True:
            fail(
                "'model_path' loads a pickled model, which runs code from that file; "
                "'allow_code_execution' must be true",
                'Set "allow_code_execution": true if you trust the file, or serve the '
                "model over HTTP and use 'endpoint_url'.",
                ".allow_code_execution",
            )
        return self

    @property
    def local_target(self) -> bool:
        """True when ``endpoint_url`` or ``model_path`` is set."""
        return self.endpoint_url is not None or self.model_path is not None


class PredictorConfig(ConfigModel):
    """``predictor``: the model or endpoint to query (contract §2.9, §7).

    Either ``endpoint_name`` (an existing endpoint, never deleted), or
    ``model_name`` + ``instance_type`` + ``initial_instance_count`` (a shadow
    endpoint created and deleted by the job) — never both.

    Attributes
    ----------
    endpoint_name, endpoint_name_prefix, model_name, target_model, instance_type,
    initial_instance_count, accelerator_type:
        Where the model runs.
    content_type, accept_type:
        Request / response formats (lower-cased).
    content_template, record_template:
        JSON Lines / JSON request templates.
    custom_attributes:
        Forwarded as ``CustomAttributes``.
    label, probability, label_headers:
        Where to find predicted labels / scores in the response, and class names.
    time_series_predictor_config:
        Where to find the forecast (time series).
    openclarify:
        openclarify's own extension (:class:`LocalPredictorExtension`): a local
        model server or in-process model, concurrency and payload limits.  With
        a local target, ``endpoint_name`` / ``model_name`` are not required.
    """

    json_path: ClassVar[str] = "predictor"

    endpoint_name: NonEmptyStr | None = None
    endpoint_name_prefix: (
        Annotated[
            str,
            Field(max_length=ENDPOINT_NAME_PREFIX_MAX_LENGTH, pattern=ENDPOINT_NAME_PREFIX_PATTERN),
            BeforeValidator(_check_prefix),
        ]
        | None
    ) = None
    model_name: NonEmptyStr | None = None
    target_model: Str | None = None
    instance_type: NonEmptyStr | None = None
    initial_instance_count: PositiveInt | None = None
    accelerator_type: Str | None = None
    content_type: ContentTypeField | None = None
    accept_type: AcceptTypeField | None = None
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: NameOrIndexList | None = None
    content_template: (
        Annotated[str | dict[str, str], BeforeValidator(_check_content_template)] | None
    ) = None
    record_template: Str | None = None
    custom_attributes: Str | None = None
    time_series_predictor_config: TimeSeriesPredictorConfig | None = None
    openclarify: LocalPredictorExtension | None = None

    @model_validator(mode="after")
    def _check_endpoint_or_model(self) -> PredictorConfig:
        if self.endpoint_name is not None:
            for key in (*_SHADOW_KEYS, "endpoint_name_prefix"):
                if getattr(self, key) is not None:
                    fail(
                        f"'endpoint_name' and '{key}' cannot both be set",
                        "Keep 'endpoint_name' to use an existing endpoint, or remove it "
                        "and give 'model_name', 'instance_type' and "
                        "'initial_instance_count' to create a shadow endpoint.",
                    )
            return self
        missing = [key for key in _SHADOW_KEYS if getattr(self, key) is None]
        if missing and not self.uses_local_target:
            fail(
                "expected either 'endpoint_name' or all of 'model_name', 'instance_type' "
                f"and 'initial_instance_count'; missing {', '.join(repr(k) for k in missing)}",
                "Name an existing endpoint with 'endpoint_name', or add the missing keys "
                "to create a shadow endpoint.",
            )
        return self

    @property
    def uses_local_target(self) -> bool:
        """True when ``openclarify.endpoint_url`` or ``openclarify.model_path`` is set."""
        return self.openclarify is not None and self.openclarify.local_target

    @property
    def uses_shadow_endpoint(self) -> bool:
        """True when the job must create (and later delete) an endpoint."""
        return self.endpoint_name is None and not self.uses_local_target
