"""A local emulator of SageMaker Runtime (InvokeEndpoint) and the endpoint control plane.

One threaded HTTP server on 127.0.0.1 answers both protocols that real boto3 clients speak
when ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` / ``AWS_ENDPOINT_URL_SAGEMAKER`` point at it:

* REST-JSON ``POST /endpoints/{EndpointName}/invocations`` (``sagemaker-runtime``), headers
  ``Content-Type``, ``Accept``, ``X-Amzn-SageMaker-Custom-Attributes``,
  ``X-Amzn-SageMaker-Target-Model``; the body goes to the endpoint's model.
* JSON 1.1 ``POST /`` with ``X-Amz-Target: SageMaker.<Operation>`` (``sagemaker``):
  Create/Describe/DeleteEndpointConfig, Create/Describe/DeleteEndpoint, ListEndpoints,
  Create/Describe/DeleteModel.

Errors use the AWS wire shapes, so botocore raises its modelled exceptions (see README.md
for the table). Faults are injected with :meth:`Emulator.inject`; every request is kept in
:attr:`Emulator.requests`. Nothing here patches boto3.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import socket
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from typing import Any, Literal, get_args
from urllib.parse import unquote, urlsplit

from .model import (
    DEFAULT_MODEL_NAME,
    Codec,
    Invocation,
    Model,
    ModelInvocationError,
    PredictFn,
    SklearnModel,
    as_model,
    change_prediction_count,
    media_type,
)

DEFAULT_ENDPOINT_NAME = "clarify-test-endpoint"
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
#: InvokeEndpoint's request limit is documented as 6 MB; we use 6 MiB.
DEFAULT_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
CUSTOM_ATTRIBUTES_LIMIT = 1024

FaultKind = Literal[
    "throttle",
    "server_error",
    "model_error",
    "model_not_ready",
    "error",
    "slow",
    "reset",
    "wrong_count",
    "bad_response",
    "endpoint_failure",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
_INVOKE_ONLY = {"model_error", "model_not_ready", "wrong_count", "bad_response"}
_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_MODEL_NAME_PATTERN = r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?"

#: Variables the fixtures remove so that no real credentials or profiles are used.
UNSET_ENV_VARS = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
)


# --------------------------------------------------------------------------------------
# Public records


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it (``status`` None: connection closed, no answer)."""

    operation: str
    endpoint_name: str | None
    content_type: str | None
    accept: str | None
    body_bytes: int
    n_records: int | None
    custom_attributes: str | None
    target_model: str | None
    timestamp: float
    status: int | None
    error_code: str | None = None
    fault: str | None = None
    duration_s: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    arn: str
    config_name: str
    status: str
    failure_reason: str | None
    creation_time: float
    describe_count: int


@dataclass(frozen=True)
class EndpointConfigInfo:
    name: str
    arn: str
    production_variants: tuple[Mapping[str, Any], ...]
    creation_time: float


@dataclass
class Fault:
    """A pending injected fault (see :meth:`Emulator.inject`)."""

    kind: str
    times: int | None
    after: int = 0
    operation: str = "InvokeEndpoint"
    endpoint: str | None = None
    min_records: int | None = None
    status: int | None = None
    message: str | None = None
    code: str | None = None
    seconds: float = 0.0
    delta: int = -1
    body: bytes = b""
    fired: int = 0

    def matches(self, operation: str, endpoint: str | None, n_records: int | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.operation not in ("*", operation):
            return False
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        return self.min_records is None or (n_records or 0) >= self.min_records

    def fire(self) -> bool:
        """Count one matching request; True when the fault applies to it."""
        if self.after > 0:
            self.after -= 1
            return False
        if self.times is not None:
            self.times -= 1
        self.fired += 1
        return True


# --------------------------------------------------------------------------------------
# Internals


class _ApiError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = dict(extra or {})


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    error_code: str | None = None


@dataclass
class _Endpoint:
    name: str
    arn: str
    config_name: str
    created: float
    created_monotonic: float
    status: str
    final_status: str
    failure_reason: str | None
    creating_describes: int
    creating_seconds: float
    describes: int = 0
    modified: float = 0.0

    def settle(self, *, describing: bool) -> None:
        if self.status != "Creating":
            return
        waited = time.monotonic() - self.created_monotonic >= self.creating_seconds
        if self.describes >= self.creating_describes and waited:
            self.status = self.final_status
            self.modified = time.time()
        if describing:
            self.describes += 1

    def info(self) -> EndpointInfo:
        return EndpointInfo(
            name=self.name,
            arn=self.arn,
            config_name=self.config_name,
            status=self.status,
            failure_reason=self.failure_reason if self.status == "Failed" else None,
            creation_time=self.created,
            describe_count=self.describes,
        )


@dataclass
class _Trace:
    n_records: int | None = None
    fault: str | None = None


def _json_reply(status: int, payload: Mapping[str, Any]) -> _Reply:
    return _Reply(
        status,
        json.dumps(payload).encode(),
        {"Content-Type": "application/x-amz-json-1.1"},
    )


# --------------------------------------------------------------------------------------
# The emulator


class Emulator:
    """SageMaker Runtime + endpoint control plane on a local port.

    Create with :func:`start_emulator` (or the ``emulator`` pytest fixture). State is
    guarded by one lock; request handlers run on their own threads.
    """

    def __init__(
        self,
        *,
        model: Model | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        creating_describes: int = 1,
        creating_seconds: float = 0.0,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        self.region = region
        self.account_id = account_id
        #: DescribeEndpoint calls that answer ``Creating`` after CreateEndpoint.
        self.creating_describes = creating_describes
        #: Seconds after CreateEndpoint before the endpoint can leave ``Creating``.
        self.creating_seconds = creating_seconds
        #: Larger InvokeEndpoint bodies get HTTP 413 (see README.md).
        self.max_payload_bytes = max_payload_bytes
        self.codec = Codec()
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._models: dict[str, Model] = {}
        self._configs: dict[str, EndpointConfigInfo] = {}
        self._endpoints: dict[str, _Endpoint] = {}
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._server_errors: list[str] = []
        self._clients: list[Any] = []
        self._in_flight = 0
        self._peak_in_flight = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._on_stop: list[Callable[[], None]] = []
        self._default_model = model
        if model is not None:
            self.add_model(DEFAULT_MODEL_NAME, model)
            self.add_endpoint(DEFAULT_ENDPOINT_NAME, DEFAULT_MODEL_NAME)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._stopping.clear()
        self._server = _Server((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"sagemaker-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close client connections and boto3 clients made by :meth:`client`.
        Idempotent."""
        server, self._server = self._server, None
        self._stopping.set()
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.join_handlers(timeout=5.0)
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        callbacks, self._on_stop = self._on_stop, []
        for callback in reversed(callbacks):
            callback()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def environment(self, config_dir: Path) -> dict[str, str]:
        """The variables that point boto3 here with dummy credentials; writes empty AWS
        config and credentials files into ``config_dir``."""
        config_dir.mkdir(parents=True, exist_ok=True)
        config = config_dir / "aws_config"
        credentials = config_dir / "aws_credentials"
        config.write_text("")
        credentials.write_text("")
        return {
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": self.url,
            "AWS_ENDPOINT_URL_SAGEMAKER": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(
        self,
        service: Literal["sagemaker-runtime", "sagemaker"],
        *,
        max_attempts: int = 1,
        read_timeout: float = 60.0,
    ) -> Any:
        """A boto3 client bound to this emulator (explicit endpoint, dummy credentials;
        no retries by default so faults surface). Closed by :meth:`stop`."""
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            read_timeout=read_timeout,
            connect_timeout=5,
        )
        with _SESSION_LOCK:
            client = _shared_session().client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=config,
            )
        with self._lock:
            self._clients.append(client)
        return client

    def call_on_stop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the server stopped (last registered runs first)."""
        self._on_stop.append(callback)

    # -- models and endpoints ---------------------------------------------------------------
    def add_model(self, name: str, model: Model | PredictFn) -> None:
        """Register a SageMaker model name served by ``model`` (a Model or a bare
        ``rows -> scores`` callable). CreateEndpointConfig can then reference it."""
        with self._lock:
            self._models[name] = as_model(model)

    def add_endpoint(
        self,
        name: str,
        model: str | Model | PredictFn,
        *,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        variant_name: str = "AllTraffic",
    ) -> EndpointInfo:
        """An ``InService`` endpoint (with config ``<name>-config``) serving ``model`` (a
        registered model name, or a model registered here as ``<name>-model``)."""
        if isinstance(model, str):
            model_name = model
        else:
            model_name = f"{name}-model"
            self.add_model(model_name, model)
        variant = {
            "VariantName": variant_name,
            "ModelName": model_name,
            "InitialInstanceCount": instance_count,
            "InstanceType": instance_type,
            "InitialVariantWeight": 1.0,
        }
        config_name = f"{name}-config"
        with self._lock:
            self._create_endpoint_config(
                {
                    "EndpointConfigName": config_name,
                    "ProductionVariants": [variant],
                }
            )
            self._create_endpoint(
                {"EndpointName": name, "EndpointConfigName": config_name},
                failure=None,
                immediate=True,
            )
            return self._endpoints[name].info()

    @property
    def models(self) -> dict[str, Model]:
        with self._lock:
            return dict(self._models)

    @property
    def endpoints(self) -> dict[str, EndpointInfo]:
        """Current endpoints (a snapshot)."""
        with self._lock:
            return {name: endpoint.info() for name, endpoint in self._endpoints.items()}

    @property
    def endpoint_configs(self) -> dict[str, EndpointConfigInfo]:
        """Current endpoint configs (a snapshot)."""
        with self._lock:
            return dict(self._configs)

    # -- faults -----------------------------------------------------------------------------
    def inject(
        self,
        kind: FaultKind,
        *,
        times: int | None = 1,
        after: int = 0,
        operation: str | None = None,
        endpoint: str | None = None,
        min_records: int | None = None,
        status: int | None = None,
        message: str | None = None,
        code: str | None = None,
        seconds: float = 0.0,
        delta: int = -1,
        body: bytes = b"",
    ) -> Fault:
        """Make the next ``times`` matching requests fail (``times=None``: all of them).

        A request matches on ``operation`` (default ``InvokeEndpoint``; ``CreateEndpoint``
        for ``endpoint_failure``; ``"*"`` for any), ``endpoint`` (EndpointName) and
        ``min_records`` (at least that many records in the body). The first ``after``
        matching requests pass unharmed. Kinds:

        ``throttle``          400 ThrottlingException ("Rate exceeded").
        ``server_error``      ``status`` (500) InternalFailure; 503 ServiceUnavailable.
        ``model_error``       424 ModelError, OriginalStatusCode ``status`` (500) and
                              OriginalMessage ``message``.
        ``model_not_ready``   429 ModelNotReadyException.
        ``error``             any error: ``code``, ``status`` (400), ``message``.
        ``slow``              wait ``seconds`` first, then answer normally (combines with others).
        ``reset``             close the connection without an answer.
        ``wrong_count``       ``delta`` (-1) predictions too many; the last ones are dropped or repeated.
        ``bad_response``      200 with ``body`` instead of the model's answer.
        ``endpoint_failure``  CreateEndpoint: the endpoint ends ``Failed`` with FailureReason
                              ``message``.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        default_operation = "CreateEndpoint" if kind == "endpoint_failure" else "InvokeEndpoint"
        operation = operation or default_operation
        if kind in _INVOKE_ONLY and operation != "InvokeEndpoint":
            raise ValueError(f"fault {kind!r} applies to InvokeEndpoint only")
        if kind == "endpoint_failure" and operation != "CreateEndpoint":
            raise ValueError("fault 'endpoint_failure' applies to CreateEndpoint only")
        if kind == "error" and not code:
            raise ValueError("fault 'error' needs code=")
        fault = Fault(
            kind=kind,
            times=times,
            after=after,
            operation=operation,
            endpoint=endpoint,
            min_records=min_records,
            status=status,
            message=message,
            code=code,
            seconds=seconds,
            delta=delta,
            body=body,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """Faults that can still fire."""
        with self._lock:
            return [f for f in self._faults if f.times is None or f.times > 0]

    def _take_faults(
        self, operation: str, endpoint: str | None, n_records: int | None
    ) -> tuple[float, Fault | None]:
        """Seconds to wait (``slow`` faults) and the fault that decides the answer."""
        delay = 0.0
        decisive: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(operation, endpoint, n_records):
                    continue
                if fault.kind == "slow":
                    if fault.fire():
                        delay += fault.seconds
                elif decisive is None and fault.fire():
                    decisive = fault
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
        return delay, decisive

    # -- records ----------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in the order they completed."""
        with self._lock:
            return list(self._requests)

    @property
    def invocations(self) -> list[RecordedRequest]:
        """The InvokeEndpoint requests."""
        return [r for r in self.requests if r.operation == "InvokeEndpoint"]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._peak_in_flight = self._in_flight

    @property
    def peak_concurrency(self) -> int:
        """Most InvokeEndpoint requests in progress at once (since the last clear)."""
        with self._lock:
            return self._peak_in_flight

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of unexpected errors inside the server (should stay empty)."""
        with self._lock:
            return list(self._server_errors)

    def _note_server_error(self, text: str) -> None:
        with self._lock:
            self._server_errors.append(text)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # -- dispatch ---------------------------------------------------------------------------
    def _dispatch(self, path: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        route = urlsplit(path).path
        prefix, suffix = "/endpoints/", "/invocations"
        if (
            route.startswith(prefix)
            and route.endswith(suffix)
            and len(route) > len(prefix + suffix)
        ):
            return self._invoke(unquote(route[len(prefix) : -len(suffix)]), headers, body)
        target = headers.get("X-Amz-Target")
        if route == "/" and target:
            return self._control(target, headers, body)
        return self._runtime_error(
            _ApiError("UnknownOperationException", f"no operation at POST {route}", 404)
        )

    # -- runtime ----------------------------------------------------------------------------
    def _invoke(self, name: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        started, clock = time.time(), time.monotonic()
        trace = _Trace()
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            reply = self._invoke_reply(name, headers, body, trace)
        finally:
            with self._lock:
                self._in_flight -= 1
        self._record(
            RecordedRequest(
                operation="InvokeEndpoint",
                endpoint_name=name,
                content_type=headers.get("Content-Type"),
                accept=headers.get("Accept"),
                body_bytes=len(body),
                n_records=trace.n_records,
                custom_attributes=headers.get("X-Amzn-SageMaker-Custom-Attributes"),
                target_model=headers.get("X-Amzn-SageMaker-Target-Model"),
                timestamp=started,
                status=None if reply.reset else reply.status,
                error_code=reply.error_code,
                fault=trace.fault,
                duration_s=time.monotonic() - clock,
            )
        )
        return reply

    def _invoke_reply(
        self, name: str, headers: Mapping[str, str], body: bytes, trace: _Trace
    ) -> _Reply:
        content_type = headers.get("Content-Type") or ""
        custom_attributes = headers.get("X-Amzn-SageMaker-Custom-Attributes")
        target_model = headers.get("X-Amzn-SageMaker-Target-Model")
        with self._lock:
            endpoint = self._endpoints.get(name)
            if endpoint is not None:
                endpoint.settle(describing=False)
            model = self._endpoint_model(endpoint) if endpoint is not None else None
            if target_model and target_model in self._models:
                model = self._models[target_model]
            in_service = endpoint is not None and endpoint.status == "InService"
        codec = getattr(model, "codec", None)
        trace.n_records = (codec if isinstance(codec, Codec) else self.codec).count(
            body, content_type
        )
        if len(body) > self.max_payload_bytes:
            # The real front end answers a bare 413 (no error type): botocore's code is "413".
            message = f"HTTP content length exceeded {self.max_payload_bytes} bytes."
            return _Reply(
                413,
                json.dumps({"message": message}).encode(),
                {"Content-Type": "application/json"},
                error_code="413",
            )
        fault: Fault | None = None
        try:
            if custom_attributes is not None and len(custom_attributes) > CUSTOM_ATTRIBUTES_LIMIT:
                raise _ApiError(
                    "ValidationError",
                    "1 validation error detected: Value at 'customAttributes' failed to satisfy"
                    f" constraint: Member must have length less than or equal to"
                    f" {CUSTOM_ATTRIBUTES_LIMIT}",
                )
            if not in_service or model is None:
                raise _ApiError(
                    "ValidationError", f"Endpoint {name} of account {self.account_id} not found."
                )
            delay, fault = self._take_faults("InvokeEndpoint", name, trace.n_records)
            if delay:
                trace.fault = "slow"
                self._stopping.wait(delay)
            if fault is not None:
                trace.fault = fault.kind
                early = self._fault_reply(
                    fault, runtime=True, endpoint=name, accept=headers.get("Accept")
                )
                if early is not None:
                    return early
            invocation = Invocation(
                body=body,
                content_type=content_type,
                accept=headers.get("Accept"),
                custom_attributes=custom_attributes,
                target_model=target_model,
                endpoint_name=name,
            )
            try:
                response = model.invoke(invocation)
            except ModelInvocationError as error:
                raise self._model_error(name, error.status, error.message) from None
            except Exception as error:  # a model bug is the model's 500, as in a container
                raise self._model_error(name, 500, f"{type(error).__name__}: {error}") from None
        except _ApiError as error:
            return self._runtime_error(error)
        out = response.body
        if fault is not None and fault.kind == "wrong_count":
            out = change_prediction_count(out, response.content_type, fault.delta)
        reply_headers = {
            "Content-Type": response.content_type,
            "x-Amzn-Invoked-Production-Variant": self._variant_name(name),
        }
        if response.custom_attributes is not None:
            reply_headers["X-Amzn-SageMaker-Custom-Attributes"] = response.custom_attributes
        return _Reply(200, out, reply_headers)

    def _endpoint_model(self, endpoint: _Endpoint) -> Model | None:
        config = self._configs.get(endpoint.config_name)
        if config is None or not config.production_variants:
            return None
        model_name = config.production_variants[0].get("ModelName")
        return self._models.get(str(model_name))

    def _variant_name(self, endpoint_name: str) -> str:
        with self._lock:
            endpoint = self._endpoints.get(endpoint_name)
            config = self._configs.get(endpoint.config_name) if endpoint else None
        if config is None or not config.production_variants:
            return "AllTraffic"
        return str(config.production_variants[0].get("VariantName", "AllTraffic"))

    def _model_error(self, endpoint: str, status: int, message: str) -> _ApiError:
        side = "client" if status < 500 else "server"
        log_group = f"/aws/sagemaker/Endpoints/{endpoint}"
        return _ApiError(
            "ModelError",
            f'Received {side} error ({status}) from primary with message "{message}". See'
            f" https://{self.region}.console.aws.amazon.com/cloudwatch/home?region="
            f"{self.region}#logEventViewer:group={log_group} in account"
            f" {self.account_id} for more information.",
            424,
            extra={
                "ErrorCode": f"{side.upper()}_ERROR_FROM_MODEL",
                "LogStreamArn": (
                    f"arn:aws:logs:{self.region}:{self.account_id}:log-group:{log_group}"
                ),
                "OriginalMessage": message,
                "OriginalStatusCode": status,
            },
        )

    def _fault_reply(
        self, fault: Fault, *, runtime: bool, endpoint: str | None, accept: str | None = None
    ) -> _Reply | None:
        """The reply a decisive fault forces, or None when the request goes on."""
        error: _ApiError | None = None
        if fault.kind == "throttle":
            error = _ApiError("ThrottlingException", fault.message or "Rate exceeded", 400)
        elif fault.kind == "server_error":
            status = fault.status or 500
            code = "ServiceUnavailable" if status == 503 else "InternalFailure"
            error = _ApiError(code, fault.message or f"{code} ({status})", status)
        elif fault.kind == "model_not_ready":
            error = _ApiError(
                "ModelNotReadyException", fault.message or "Model is not ready yet.", 429
            )
        elif fault.kind == "error":
            error = _ApiError(
                str(fault.code), fault.message or str(fault.code), fault.status or 400
            )
        elif fault.kind == "model_error":
            error = self._model_error(
                endpoint or "", fault.status or 500, fault.message or "model failure"
            )
        elif fault.kind == "reset":
            return _Reply(0, reset=True, error_code="reset")
        elif fault.kind == "bad_response":
            return _Reply(200, fault.body, {"Content-Type": media_type(accept) or "text/csv"})
        if error is None:
            return None
        return self._runtime_error(error) if runtime else self._control_error(error)

    def _runtime_error(self, error: _ApiError) -> _Reply:
        payload: dict[str, Any] = {"message": error.message}
        payload.update(error.extra)
        return _Reply(
            error.status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", "x-amzn-ErrorType": error.code},
            error_code=error.code,
        )

    # -- control plane ----------------------------------------------------------------------
    def _control(self, target: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        started, clock = time.time(), time.monotonic()
        operation = target.split(".", 1)[1] if target.startswith("SageMaker.") else target
        trace = _Trace()
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise ValueError("not an object")
        except ValueError:
            params = {}
            reply = self._control_error(_ApiError("SerializationException", "invalid JSON body"))
        else:
            reply = self._control_reply(operation, params, trace)
        endpoint_name = params.get("EndpointName")
        self._record(
            RecordedRequest(
                operation=operation,
                endpoint_name=endpoint_name if isinstance(endpoint_name, str) else None,
                content_type=headers.get("Content-Type"),
                accept=headers.get("Accept"),
                body_bytes=len(body),
                n_records=None,
                custom_attributes=None,
                target_model=None,
                timestamp=started,
                status=None if reply.reset else reply.status,
                error_code=reply.error_code,
                fault=trace.fault,
                duration_s=time.monotonic() - clock,
                params=params,
            )
        )
        return reply

    def _control_reply(self, operation: str, params: dict[str, Any], trace: _Trace) -> _Reply:
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "CreateEndpointConfig": self._create_endpoint_config,
            "DescribeEndpointConfig": self._describe_endpoint_config,
            "DeleteEndpointConfig": self._delete_endpoint_config,
            "DescribeEndpoint": self._describe_endpoint,
            "DeleteEndpoint": self._delete_endpoint,
            "ListEndpoints": self._list_endpoints,
            "CreateModel": self._create_model,
            "DescribeModel": self._describe_model,
            "DeleteModel": self._delete_model,
        }
        endpoint = params.get("EndpointName")
        delay, fault = self._take_faults(
            operation, endpoint if isinstance(endpoint, str) else None, None
        )
        if delay:
            trace.fault = "slow"
            self._stopping.wait(delay)
        failure: str | None = None
        if fault is not None:
            trace.fault = fault.kind
            if fault.kind == "endpoint_failure":
                failure = fault.message or (
                    "The primary container for production variant AllTraffic did not pass"
                    " the ping health check."
                )
            else:
                early = self._fault_reply(fault, runtime=False, endpoint=None)
                if early is not None:
                    return early
        try:
            with self._lock:
                if operation == "CreateEndpoint":
                    result = self._create_endpoint(params, failure=failure, immediate=False)
                elif operation in handlers:
                    result = handlers[operation](params)
                else:
                    raise _ApiError(
                        "UnknownOperationException", f"operation {operation} is not emulated"
                    )
        except _ApiError as error:
            return self._control_error(error)
        except (KeyError, TypeError) as error:
            return self._control_error(
                _ApiError("ValidationException", f"malformed request: {error!r}")
            )
        return _json_reply(200, result)

    def _control_error(self, error: _ApiError) -> _Reply:
        reply = _json_reply(error.status, {"__type": error.code, "message": error.message})
        reply.error_code = error.code
        return reply

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name.lower()}"

    def _check_name(self, value: Any, member: str, pattern: str = _NAME_PATTERN) -> str:
        if not isinstance(value, str):
            raise _ApiError("ValidationException", f"{member} must be a string")
        problem = None
        if len(value) > 63:
            problem = "Member must have length less than or equal to 63"
        elif not re.fullmatch(pattern.lstrip("^"), value):
            problem = f"Member must satisfy regular expression pattern: {pattern}"
        if problem:
            raise _ApiError(
                "ValidationException",
                f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy"
                f" constraint: {problem}",
            )
        return value

    def _create_endpoint_config(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._check_name(params["EndpointConfigName"], "endpointConfigName")
        arn = self._arn("endpoint-config", name)
        if name in self._configs:
            raise _ApiError(
                "ValidationException",
                f'Cannot create already existing endpoint configuration "{arn}".',
            )
        variants = params["ProductionVariants"]
        if not isinstance(variants, list) or not variants:
            raise _ApiError("ValidationException", "ProductionVariants must not be empty")
        for variant in variants:
            model_name = variant.get("ModelName")
            if model_name not in self._models:
                raise _ApiError(
                    "ValidationException",
                    f'Could not find model "{self._arn("model", str(model_name))}".',
                )
        self._configs[name] = EndpointConfigInfo(
            name=name,
            arn=arn,
            production_variants=tuple(dict(v) for v in variants),
            creation_time=time.time(),
        )
        return {"EndpointConfigArn": arn}

    def _config(self, params: dict[str, Any]) -> EndpointConfigInfo:
        name = str(params["EndpointConfigName"])
        config = self._configs.get(name)
        if config is None:
            raise _ApiError(
                "ValidationException",
                f'Could not find endpoint configuration "{self._arn("endpoint-config", name)}".',
            )
        return config

    def _describe_endpoint_config(self, params: dict[str, Any]) -> dict[str, Any]:
        config = self._config(params)
        return {
            "EndpointConfigName": config.name,
            "EndpointConfigArn": config.arn,
            "ProductionVariants": [dict(v) for v in config.production_variants],
            "CreationTime": config.creation_time,
        }

    def _delete_endpoint_config(self, params: dict[str, Any]) -> dict[str, Any]:
        del self._configs[self._config(params).name]
        return {}

    def _create_endpoint(
        self, params: dict[str, Any], *, failure: str | None, immediate: bool
    ) -> dict[str, Any]:
        name = self._check_name(params["EndpointName"], "endpointName")
        arn = self._arn("endpoint", name)
        if name in self._endpoints:
            raise _ApiError(
                "ValidationException", f'Cannot create already existing endpoint "{arn}".'
            )
        config = self._config(params)
        now = time.time()
        final = "Failed" if failure else "InService"
        self._endpoints[name] = _Endpoint(
            name=name,
            arn=arn,
            config_name=config.name,
            created=now,
            created_monotonic=time.monotonic(),
            status=final if immediate else "Creating",
            final_status=final,
            failure_reason=failure,
            creating_describes=self.creating_describes,
            creating_seconds=self.creating_seconds,
            modified=now,
        )
        return {"EndpointArn": arn}

    def _endpoint(self, params: dict[str, Any]) -> _Endpoint:
        name = str(params["EndpointName"])
        endpoint = self._endpoints.get(name)
        if endpoint is None:
            raise _ApiError(
                "ValidationException",
                f'Could not find endpoint "{self._arn("endpoint", name)}".',
            )
        return endpoint

    def _describe_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        endpoint = self._endpoint(params)
        endpoint.settle(describing=True)
        config = self._configs.get(endpoint.config_name)
        variants = config.production_variants if config else ()
        result: dict[str, Any] = {
            "EndpointName": endpoint.name,
            "EndpointArn": endpoint.arn,
            "EndpointConfigName": endpoint.config_name,
            "EndpointStatus": endpoint.status,
            "CreationTime": endpoint.created,
            "LastModifiedTime": endpoint.modified,
            "ProductionVariants": [
                {
                    "VariantName": v.get("VariantName", "AllTraffic"),
                    "CurrentWeight": v.get("InitialVariantWeight", 1.0),
                    "DesiredWeight": v.get("InitialVariantWeight", 1.0),
                    "CurrentInstanceCount": v.get("InitialInstanceCount", 1),
                    "DesiredInstanceCount": v.get("InitialInstanceCount", 1),
                }
                for v in variants
            ],
        }
        if endpoint.status == "Failed" and endpoint.failure_reason:
            result["FailureReason"] = endpoint.failure_reason
        return result

    def _delete_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        del self._endpoints[self._endpoint(params).name]
        return {}

    def _list_endpoints(self, params: dict[str, Any]) -> dict[str, Any]:
        for endpoint in self._endpoints.values():
            endpoint.settle(describing=False)
        items = list(self._endpoints.values())
        if params.get("NameContains"):
            items = [e for e in items if str(params["NameContains"]) in e.name]
        if params.get("StatusEquals"):
            items = [e for e in items if e.status == params["StatusEquals"]]
        sort_by = params.get("SortBy", "CreationTime")
        keys: dict[str, Callable[[_Endpoint], Any]] = {
            "Name": lambda e: e.name,
            "Status": lambda e: e.status,
            "CreationTime": lambda e: e.created,
        }
        items.sort(key=keys.get(sort_by, keys["CreationTime"]))
        if params.get("SortOrder", "Descending") == "Descending":
            items.reverse()
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 10)
        page = items[start : start + size]
        result: dict[str, Any] = {
            "Endpoints": [
                {
                    "EndpointName": e.name,
                    "EndpointArn": e.arn,
                    "CreationTime": e.created,
                    "LastModifiedTime": e.modified,
                    "EndpointStatus": e.status,
                }
                for e in page
            ]
        }
        if start + size < len(items):
            result["NextToken"] = str(start + size)
        return result

    def _create_model(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._check_name(params["ModelName"], "modelName", _MODEL_NAME_PATTERN)
        if name in self._models:
            raise _ApiError(
                "ValidationException",
                f'Cannot create already existing model "{self._arn("model", name)}".',
            )
        default = self._models.get(DEFAULT_MODEL_NAME) or self._default_model
        if default is None:
            raise _ApiError("ValidationException", "the emulator has no default model to serve")
        self._models[name] = default
        return {"ModelArn": self._arn("model", name)}

    def _model_entry(self, params: dict[str, Any]) -> str:
        name = str(params["ModelName"])
        if name not in self._models:
            raise _ApiError(
                "ValidationException", f'Could not find model "{self._arn("model", name)}".'
            )
        return name

    def _describe_model(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._model_entry(params)
        return {"ModelName": name, "ModelArn": self._arn("model", name), "CreationTime": 0.0}

    def _delete_model(self, params: dict[str, Any]) -> dict[str, Any]:
        del self._models[self._model_entry(params)]
        return {}


# --------------------------------------------------------------------------------------
# HTTP


class _Server(ThreadingHTTPServer):
    """Tracks each connection and its thread so that :meth:`Emulator.stop` can close idle
    keep-alive connections (boto3 pools them) and join every handler."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._tracking = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True
        )
        with self._tracking:
            self._connections.add(request)
            self._handler_threads.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._tracking:
                self._connections.discard(request)
                self._handler_threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away mid-request: its side reports that
        self.emulator._note_server_error(traceback.format_exc())

    def close_connections(self) -> None:
        with self._tracking:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def join_handlers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._tracking:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms ACK stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator records requests itself."""

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/ping":
            self._send(_Reply(200, b"", {"Content-Type": "text/plain"}))
        else:
            self._send(_Reply(404, b"", {"Content-Type": "text/plain"}))

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        headers = _CaseInsensitive(dict(self.headers.items()))
        self._send(self.server.emulator._dispatch(self.path, headers, body))

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(_Reply(400, b"bad Content-Length", {"Content-Type": "text/plain"}))
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, reply: _Reply) -> None:
        if reply.reset:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout)


class _CaseInsensitive(dict[str, str]):
    """Header lookup that ignores case (HTTP header names are case-insensitive)."""

    def __init__(self, items: Mapping[str, str]) -> None:
        super().__init__({key.lower(): value for key, value in items.items()})

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


_SESSION_LOCK = threading.Lock()


@functools.cache
def _shared_session() -> Any:
    """One boto3 session for :meth:`Emulator.client`: it caches the parsed service models
    (a new session spends ~0.2 s loading the SageMaker model). Sessions are not
    thread-safe, hence the lock around client creation."""
    import boto3

    return boto3.session.Session()


# --------------------------------------------------------------------------------------
# Entry point


def start_emulator(
    *,
    model: Model | None = None,
    n_features: int = 4,
    n_classes: int = 2,
    csv_label: bool = False,
    creating_describes: int = 1,
    creating_seconds: float = 0.0,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    port: int = 0,
    patch_env: bool = True,
) -> Emulator:
    """Start an emulator serving ``model`` (default: :class:`SklearnModel` with
    ``n_features``/``n_classes``/``csv_label``) as model ``clarify-test-model`` behind
    endpoint ``clarify-test-endpoint``. Use as a context manager (``with start_emulator()
    as emu:``) or call :meth:`Emulator.stop`.

    ``patch_env``: set the AWS variables of :meth:`Emulator.environment` (empty config files
    in a temp dir) and remove :data:`UNSET_ENV_VARS` in ``os.environ`` until ``stop()``.
    The pytest fixture passes False and uses monkeypatch instead.
    """
    served = model or SklearnModel(n_features=n_features, n_classes=n_classes, csv_label=csv_label)
    emu = Emulator(
        model=served,
        port=port,
        region=region,
        account_id=account_id,
        creating_describes=creating_describes,
        creating_seconds=creating_seconds,
        max_payload_bytes=max_payload_bytes,
    ).start()
    if patch_env:
        try:
            _patch_environ(emu)
        except BaseException:
            emu.stop()
            raise
    return emu


def _patch_environ(emu: Emulator) -> None:
    temp = tempfile.TemporaryDirectory(prefix="sagemaker-emulator-")
    emu.call_on_stop(temp.cleanup)
    values = emu.environment(Path(temp.name))
    saved = {key: os.environ.get(key) for key in (*values, *UNSET_ENV_VARS)}

    def restore() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    emu.call_on_stop(restore)
    for key in UNSET_ENV_VARS:
        os.environ.pop(key, None)
    os.environ.update(values)


def subprocess_env(emu: Emulator, config_dir: Path) -> dict[str, str]:
    """``os.environ`` plus the variables that reach ``emu``, minus :data:`UNSET_ENV_VARS`:
    for ``subprocess.run(..., env=...)`` (e.g. the openclarify CLI against the emulator)."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV_VARS}
    env.update(emu.environment(config_dir))
    return env
