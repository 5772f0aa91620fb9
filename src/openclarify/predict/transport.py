"""How request bytes reach a model, and how its failures are sorted.

Two transports, one interface (:class:`Transport`: ``invoke(body) -> bytes``):

:class:`SageMakerRuntimeTransport`
    ``sagemaker-runtime`` ``InvokeEndpoint`` through boto3 (the only module that
    imports boto3 for invocations).  ``ContentType``, ``Accept`` and, when set,
    ``CustomAttributes`` and ``TargetModel`` are sent with every call
    (contract §7.2).  botocore's own retries are switched off
    (``total_max_attempts=1``) because :mod:`openclarify.predict.retry` retries
    with jitter and counts attempts itself.  boto3 reads
    ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` like any AWS SDK, so a local
    emulator needs no patching.
:class:`HttpTransport`
    Any server speaking the SageMaker inference protocol: ``GET <url>/ping``
    (checked once before the first batch) and ``POST <url>/invocations``, with
    the headers SageMaker forwards to containers
    (``X-Amzn-SageMaker-Custom-Attributes``, ``X-Amzn-SageMaker-Target-Model``).
    MLflow's scoring server and the SageMaker inference toolkit speak it.

Failures become exactly one :mod:`~openclarify.predict.faults` kind:

=============================================  ===========================
what happened                                  fault
=============================================  ===========================
HTTP 429, ``ThrottlingException``, 5xx,        ``TransientFault``
``ServiceUnavailable``, ``InternalFailure``,
``ModelNotReadyException``, timeouts,
connection refused/reset/closed
HTTP 413; ``ValidationError`` about the        ``PayloadTooLarge``
payload size; ``ModelError`` whose original
status is 413
``ModelError`` (HTTP 424: the model container  ``ModelFault``
answered with an error); other 4xx with a body
(HTTP server)
other ``ValidationError``, ``AccessDenied``,   ``RequestRejected``
no credentials
=============================================  ===========================
"""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from typing import Any, Final, Protocol

from ..errors import PredictorError
from .faults import Fault, ModelFault, PayloadTooLarge, RequestRejected, TransientFault

__all__ = [
    "CONNECT_TIMEOUT",
    "HttpTransport",
    "SageMakerRuntimeTransport",
    "Transport",
    "classify_client_error",
]

#: Seconds to open a connection.
CONNECT_TIMEOUT: Final = 10.0

_PAYLOAD_TEXT = re.compile(r"payload|too large|exceed|content.length", re.IGNORECASE)
_THROTTLING = frozenset(
    {"ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException"}
)
_TRANSIENT = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "InternalDependencyException",
        "ModelNotReadyException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


class Transport(Protocol):
    """Sends one request body to a model and returns the response body."""

    @property
    def description(self) -> str:
        """The model as named to the user (``endpoint 'x'``)."""
        ...

    def invoke(self, body: bytes) -> bytes:
        """One request; raises a :class:`~openclarify.predict.faults.Fault` on failure."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


# ------------------------------------------------------------- SageMaker runtime


def classify_client_error(error: Any) -> Fault:
    """Sort a botocore ``ClientError`` into a fault kind (see the module table)."""
    response = getattr(error, "response", {}) or {}
    details = response.get("Error", {}) or {}
    code = str(details.get("Code", ""))
    message = str(details.get("Message", "")) or str(error)
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    original = response.get("OriginalStatusCode")
    if code == "ModelError":
        text = str(response.get("OriginalMessage") or message)
        if original == 413:
            return PayloadTooLarge(text, 413)
        return ModelFault(text, int(original) if original is not None else status)
    if status == 413 or (code.startswith("Validation") and _PAYLOAD_TEXT.search(message)):
        return PayloadTooLarge(message, status)
    if code in _THROTTLING or status == 429:
        return TransientFault(f"{code}: {message}", status)
    if code in _TRANSIENT or (isinstance(status, int) and status >= 500):
        return TransientFault(f"{code}: {message}", status)
    return RequestRejected(f"{code}: {message}" if code else message, status)


class SageMakerRuntimeTransport:
    """``InvokeEndpoint`` on an existing (or shadow) SageMaker endpoint.

    Parameters
    ----------
    endpoint_name:
        The endpoint.
    content_type, accept:
        Sent as ``ContentType`` and ``Accept``.
    custom_attributes, target_model:
        Sent as ``CustomAttributes`` / ``TargetModel`` when not ``None``.
    timeout:
        Read timeout in seconds.
    max_connections:
        Connection-pool size (at least the number of requests in flight).
    client:
        A ``sagemaker-runtime`` client to use instead of creating one (tests);
        it is not closed by :meth:`close`.
    """

    def __init__(
        self,
        endpoint_name: str,
        *,
        content_type: str,
        accept: str,
        custom_attributes: str | None = None,
        target_model: str | None = None,
        timeout: float = 60.0,
        max_connections: int = 10,
        client: Any = None,
    ) -> None:
        self.endpoint_name = endpoint_name
        self._kwargs: dict[str, str] = {
            "EndpointName": endpoint_name,
            "ContentType": content_type,
            "Accept": accept,
        }
        if custom_attributes is not None:
            self._kwargs["CustomAttributes"] = custom_attributes
        if target_model is not None:
            self._kwargs["TargetModel"] = target_model
        self._owns_client = client is None
        self._client = client if client is not None else runtime_client(timeout, max_connections)
        import botocore.exceptions as boto_errors

        self._errors = boto_errors

    @property
    def description(self) -> str:
        return f"endpoint '{self.endpoint_name}'"

    def invoke(self, body: bytes) -> bytes:
        errors = self._errors
        try:
            response = self._client.invoke_endpoint(Body=body, **self._kwargs)
            stream = response["Body"]
            try:
                data: bytes = stream.read()
            finally:
                stream.close()
            return data
        except errors.ClientError as exc:
            raise classify_client_error(exc) from None
        except (errors.NoCredentialsError, errors.PartialCredentialsError) as exc:
            raise RequestRejected(f"no usable AWS credentials ({type(exc).__name__})") from None
        except (
            errors.ConnectionError,
            errors.HTTPClientError,
            errors.IncompleteReadError,
        ) as exc:
            raise TransientFault(f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """Close the client if this transport created it."""
        if self._owns_client:
            self._client.close()


def runtime_client(timeout: float, max_connections: int) -> Any:
    """A ``sagemaker-runtime`` boto3 client without botocore retries.

    Raises
    ------
    PredictorError
        When no AWS region is configured.
    """
    import boto3
    import botocore.config
    import botocore.exceptions

    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=timeout,
        max_pool_connections=max_connections,
        tcp_keepalive=True,
    )
    try:
        return boto3.client("sagemaker-runtime", config=config)
    except botocore.exceptions.NoRegionError as exc:
        raise PredictorError(
            "$.predictor", "no AWS region is configured for the SageMaker runtime", "set AWS_REGION"
        ) from exc


# --------------------------------------------------------------------- HTTP


class HttpTransport:
    """``POST <url>/invocations`` on a server speaking the SageMaker inference protocol.

    Parameters
    ----------
    url:
        Base URL (``http://127.0.0.1:8080``).
    content_type, accept:
        ``Content-Type`` and ``Accept`` headers.
    custom_attributes, target_model:
        ``X-Amzn-SageMaker-Custom-Attributes`` / ``X-Amzn-SageMaker-Target-Model``
        when not ``None``.
    timeout:
        Socket timeout in seconds.
    """

    def __init__(
        self,
        url: str,
        *,
        content_type: str,
        accept: str,
        custom_attributes: str | None = None,
        target_model: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Content-Type": content_type, "Accept": accept}
        if custom_attributes is not None:
            self._headers["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
        if target_model is not None:
            self._headers["X-Amzn-SageMaker-Target-Model"] = target_model

    @property
    def description(self) -> str:
        return f"model server {self.url}"

    def ping(self) -> None:
        """``GET /ping``; raises a fault unless the server answers 200."""
        self._request(urllib.request.Request(f"{self.url}/ping", method="GET"))

    def invoke(self, body: bytes) -> bytes:
        request = urllib.request.Request(
            f"{self.url}/invocations", data=body, headers=self._headers, method="POST"
        )
        return self._request(request)

    def _request(self, request: urllib.request.Request) -> bytes:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as exc:
            with exc:
                text = exc.read().decode("utf-8", errors="replace")
            raise _http_fault(exc.code, text or str(exc.reason)) from None
        except urllib.error.URLError as exc:
            raise TransientFault(f"cannot reach {self.url}: {exc.reason}") from None
        except TimeoutError as exc:
            raise TransientFault(
                f"no answer from {self.url} within {self.timeout:g}s ({exc})"
            ) from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise TransientFault(f"connection to {self.url} failed: {type(exc).__name__}") from None

    def close(self) -> None:
        """Nothing to release: every request uses its own connection."""


def _http_fault(status: int, text: str) -> Fault:
    if status == 413:
        return PayloadTooLarge(text, status)
    if status == 429 or status >= 500:
        return TransientFault(text, status)
    if status in (401, 403):
        return RequestRejected(text, status)
    return ModelFault(text, status)
