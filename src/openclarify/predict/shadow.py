"""Shadow endpoints for ``predictor.model_name``, and the status check of an existing one.

Lifecycle (contract §7.1), as :class:`ShadowEndpoint` (a context manager):

1. ``CreateEndpointConfig`` named ``sm-clarify-config-<epoch>-<4 hex>``: one
   production variant ``AllTraffic`` with the model, ``initial_instance_count``,
   ``instance_type`` and, when set, ``accelerator_type``.
2. ``CreateEndpoint`` named ``<prefix>-<model name>-<epoch>-<4 hex>``, the model
   name cut so that the name has at most 63 characters
   (:func:`shadow_endpoint_name`).
3. ``DescribeEndpoint`` until ``InService`` (polling every 1 s, doubling up to
   ``max_poll_seconds``; ``Failed`` ⇒ :class:`~openclarify.errors.PredictorError`
   quoting ``FailureReason``; no ``InService`` within ``timeout_seconds`` ⇒ the same).
4. On leaving the ``with`` block — success, user error, model error — delete
   the endpoint, then the endpoint config.

While anything exists, a cleanup action is registered with
:mod:`openclarify.cleanup`, so that a SIGTERM (the container ends the process
with ``os._exit`` then) still deletes it; it is unregistered once deleted.
Deletion is idempotent and thread-safe (the signal handler and the worker
may both get there).  Only names this object created are ever deleted.

For ``predictor.endpoint_name`` (an endpoint we did not create),
:func:`check_endpoint` only calls ``DescribeEndpoint`` — never a delete.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

from .. import cleanup
from ..errors import PredictorError, UserError

__all__ = [
    "ENDPOINT_NAME_MAX",
    "ShadowEndpoint",
    "check_endpoint",
    "control_client",
    "endpoint_config_name",
    "shadow_endpoint_name",
]

#: Longest SageMaker endpoint name.
ENDPOINT_NAME_MAX: Final = 63
#: Endpoint states in which an existing endpoint serves requests.
SERVING: Final = frozenset({"InService", "Updating", "SystemUpdating", "RollingBack"})
#: States worth waiting for.
STARTING: Final = frozenset({"Creating"})

_WHERE = "$.predictor"
_log = logging.getLogger("openclarify")


def _suffix(epoch: int, rng: random.Random) -> str:
    return f"{epoch}-{rng.getrandbits(16):04x}"


def endpoint_config_name(epoch: int, rng: random.Random) -> str:
    """``sm-clarify-config-<epoch>-<4 hex>``."""
    return f"sm-clarify-config-{_suffix(epoch, rng)}"


def shadow_endpoint_name(prefix: str, model_name: str, epoch: int, rng: random.Random) -> str:
    """``<prefix>-<model name cut to fit>-<epoch>-<4 hex>``, at most 63 characters.

    The model name is cut (from the end) so that the whole name has exactly
    63 characters when the model name is long enough, as the AWS container
    does (``sm-clarify-DEMO-clarify-xgb-model-08-02-2023-05-1675833110-6197``).
    """
    suffix = _suffix(epoch, rng)
    room = ENDPOINT_NAME_MAX - len(prefix) - len(suffix) - 2
    model = model_name[: max(room, 0)]
    return f"{prefix}-{model}-{suffix}"


#: Seconds to wait for a TCP connection to the control plane (each attempt).
CONNECT_TIMEOUT_SECONDS = 10.0


def control_client(read_timeout: float = 60.0, max_attempts: int = 5) -> Any:
    """A ``sagemaker`` (control plane) boto3 client; botocore retries its few calls.

    ``max_attempts`` (five) attempts in botocore's ``standard`` mode (connection errors, timeouts,
    throttling and 5xx are retried with backoff), each bounded by
    :data:`CONNECT_TIMEOUT_SECONDS` to connect and ``read_timeout`` to answer, so an
    unreachable or hanging service ends the job in minutes, never hours.
    """
    import boto3
    import botocore.config
    import botocore.exceptions

    try:
        return boto3.client(
            "sagemaker",
            config=botocore.config.Config(
                retries={"max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=read_timeout,
            ),
        )
    except botocore.exceptions.NoRegionError as exc:
        raise PredictorError(
            _WHERE, "no AWS region is configured for SageMaker", "set AWS_REGION"
        ) from exc


def unreachable(operation: str, exc: Exception) -> tuple[str, str]:
    """``(problem, fix)`` for a control-plane call that never got an answer.

    ``exc`` is a ``botocore`` error raised before any response: no connection,
    DNS failure, timeout, or no usable credentials (expired credentials are an
    answer, a ``ClientError``, and are reported as such).
    """
    kind = type(exc).__name__
    if "Credential" in kind or "Token" in kind or "SSO" in kind:
        return (
            f"{operation} could not be signed: {kind}: {str(exc)[:200]}",
            "give the job AWS credentials through the standard chain (role, environment, profile)",
        )
    return (
        f"{operation} could not reach the SageMaker API after retries: {kind}: {str(exc)[:200]}",
        "check the network path to SageMaker (region, AWS_ENDPOINT_URL_SAGEMAKER, VPC "
        "endpoint, proxy) and try again",
    )


def _client_error(exc: Exception) -> tuple[str, str]:
    response = getattr(exc, "response", {}) or {}
    error = response.get("Error", {}) or {}
    return str(error.get("Code", type(exc).__name__)), str(error.get("Message", exc))


class _DescribeDenied(PredictorError):
    """``DescribeEndpoint`` is not allowed for the job's role."""


def _describe(client: Any, name: str) -> dict[str, Any]:
    import botocore.exceptions

    try:
        result: dict[str, Any] = client.describe_endpoint(EndpointName=name)
        return result
    except botocore.exceptions.ClientError as exc:
        code, message = _client_error(exc)
        if "AccessDenied" in code:
            raise _DescribeDenied(
                _WHERE,
                f"not allowed to describe endpoint '{name}'",
                "grant sagemaker:DescribeEndpoint",
            ) from None
        if code.startswith("Validation") and "not find" in message.lower():
            raise PredictorError(
                _WHERE,
                f"endpoint '{name}' does not exist",
                "check predictor.endpoint_name and the AWS region",
            ) from None
        raise PredictorError(
            _WHERE, f"DescribeEndpoint '{name}' failed: {code}: {message[:300]}"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        problem, fix = unreachable(f"DescribeEndpoint '{name}'", exc)
        raise PredictorError(_WHERE, problem, fix) from None


def _wait_in_service(
    client: Any,
    name: str,
    *,
    accept: frozenset[str],
    timeout_seconds: float,
    max_poll_seconds: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    log: logging.Logger,
) -> None:
    started = clock()
    delay = 1.0
    last_status = None
    while True:
        description = _describe(client, name)
        status = str(description.get("EndpointStatus", ""))
        if status != last_status:
            log.info("Endpoint %s is %s", name, status)
            last_status = status
        if status in accept:
            return
        if status == "Failed":
            reason = str(description.get("FailureReason", "no reason given"))[:300]
            raise PredictorError(
                _WHERE,
                f"endpoint '{name}' failed to start: {reason}",
                "check the model, instance type and account limits in the SageMaker console",
            )
        if status not in STARTING and status != "Updating":
            raise PredictorError(
                _WHERE,
                f"endpoint '{name}' is {status}, not InService",
                "use an endpoint that is InService",
            )
        if clock() - started >= timeout_seconds:
            raise PredictorError(
                _WHERE,
                f"endpoint '{name}' is still {status} after {timeout_seconds:.0f}s",
                "try again later or check the endpoint in the SageMaker console",
            )
        sleep(delay)
        delay = min(delay * 2, max_poll_seconds)


def check_endpoint(
    client: Any,
    name: str,
    *,
    timeout_seconds: float = 1800.0,
    max_poll_seconds: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    log: logging.Logger | None = None,
) -> None:
    """Check that an existing endpoint serves (waiting while it is ``Creating``).

    Only ``DescribeEndpoint`` is called; an endpoint we did not create is
    never changed or deleted.  ``AccessDenied`` on ``DescribeEndpoint`` is
    logged and ignored (``InvokeEndpoint`` will tell).
    """
    try:
        _wait_in_service(
            client,
            name,
            accept=SERVING,
            timeout_seconds=timeout_seconds,
            max_poll_seconds=max_poll_seconds,
            sleep=sleep,
            clock=clock,
            log=log or _log,
        )
    except _DescribeDenied:
        (log or _log).warning("Not allowed to describe endpoint %s; invoking it anyway", name)


class ShadowEndpoint:
    """Creates an endpoint for ``predictor.model_name`` and always deletes it.

    Parameters
    ----------
    client:
        ``sagemaker`` control-plane client.
    model_name, instance_type, initial_instance_count, accelerator_type:
        The production variant.
    prefix:
        ``endpoint_name_prefix`` (default ``sm-clarify``).
    timeout_seconds, max_poll_seconds:
        Waiting for ``InService``.
    rng, sleep, clock:
        Injectable name suffix source, sleep and clock (tests).
    log:
        Logger.

    Examples
    --------
    >>> with ShadowEndpoint(client, "my-model", "ml.m5.xlarge", 1) as name:  # doctest: +SKIP
    ...     invoke(name)
    """

    def __init__(
        self,
        client: Any,
        model_name: str,
        instance_type: str,
        initial_instance_count: int,
        *,
        accelerator_type: str | None = None,
        prefix: str = "sm-clarify",
        timeout_seconds: float = 1800.0,
        max_poll_seconds: float = 15.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger | None = None,
    ) -> None:
        self.client = client
        self.model_name = model_name
        self.instance_type = instance_type
        self.initial_instance_count = initial_instance_count
        self.accelerator_type = accelerator_type
        self.prefix = prefix
        self.timeout_seconds = timeout_seconds
        self.max_poll_seconds = max_poll_seconds
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._clock = clock
        self._log = log or _log
        self._lock = threading.Lock()
        self.config_name: str | None = None
        self.endpoint_name: str | None = None
        self._handle: int | None = None
        #: What :meth:`delete` could not delete (``"endpoint 'name'"``), with the reason.
        self.left_behind: list[str] = []

    def __enter__(self) -> str:
        import botocore.exceptions

        epoch = int(time.time())
        config_name = endpoint_config_name(epoch, self._rng)
        endpoint_name = shadow_endpoint_name(self.prefix, self.model_name, epoch, self._rng)
        variant: dict[str, Any] = {
            "VariantName": "AllTraffic",
            "ModelName": self.model_name,
            "InitialInstanceCount": self.initial_instance_count,
            "InstanceType": self.instance_type,
        }
        if self.accelerator_type:
            variant["AcceleratorType"] = self.accelerator_type
        operation = "CreateEndpointConfig"
        try:
            self._handle = cleanup.register(
                f"delete shadow endpoint for {self.model_name}", self.delete
            )
            self._log.info("Creating endpoint config %s", config_name)
            with self._lock:
                self.config_name = config_name
            operation = f"CreateEndpointConfig '{config_name}'"
            self.client.create_endpoint_config(
                EndpointConfigName=config_name, ProductionVariants=[variant]
            )
            self._log.info("Creating shadow endpoint %s", endpoint_name)
            with self._lock:
                self.endpoint_name = endpoint_name
            operation = f"CreateEndpoint '{endpoint_name}'"
            self.client.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)
            _wait_in_service(
                self.client,
                endpoint_name,
                accept=frozenset({"InService"}),
                timeout_seconds=self.timeout_seconds,
                max_poll_seconds=self.max_poll_seconds,
                sleep=self._sleep,
                clock=self._clock,
                log=self._log,
            )
        except botocore.exceptions.ClientError as exc:
            self.delete()
            code, message = _client_error(exc)
            raise PredictorError(
                _WHERE,
                f"cannot create a shadow endpoint for model '{self.model_name}': {code}: "
                f"{message[:300]}{self._left_behind_note()}",
                "check predictor.model_name, instance_type, and the job role's SageMaker permissions",
            ) from None
        except botocore.exceptions.BotoCoreError as exc:
            self.delete()
            problem, fix = unreachable(operation, exc)
            raise PredictorError(_WHERE, problem + self._left_behind_note(), fix) from None
        except UserError as exc:
            self.delete()
            if not self.left_behind:
                raise
            raise self._naming_left_behind(exc) from None
        except BaseException:
            self.delete()
            raise
        return endpoint_name

    def _naming_left_behind(self, exc: UserError) -> UserError:
        """``exc`` again (same class, place and fix), its problem naming what is left behind."""
        return type(exc)(exc.where, exc.problem + self._left_behind_note(), exc.fix)

    def _left_behind_note(self) -> str:
        if not self.left_behind:
            return ""
        return "; and could not delete " + ", ".join(self.left_behind) + ": delete it yourself"

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Delete what was created; when that fails, say which resources are left behind.

        A job whose shadow endpoint could not be deleted fails (exit 5) even when its
        analysis succeeded: an endpoint bills by the hour, and a failed job is what
        pipelines and alarms notice.  The message names the endpoint to delete.
        """
        self.delete()
        if not self.left_behind:
            return
        if exc is None:
            raise PredictorError(
                _WHERE,
                "the analysis finished but the shadow endpoint could not be deleted: "
                + ", ".join(self.left_behind),
                "delete it yourself (aws sagemaker delete-endpoint --endpoint-name NAME, "
                "then delete-endpoint-config)",
            )
        if isinstance(exc, UserError):
            raise self._naming_left_behind(exc) from None

    def delete(self) -> None:
        """Delete the endpoint and the endpoint config this object created (idempotent).

        Failures are logged, never raised: cleanup must not hide the job's outcome.
        """
        import botocore.exceptions

        with self._lock:
            endpoint, config = self.endpoint_name, self.config_name
            self.endpoint_name = self.config_name = None
            handle, self._handle = self._handle, None
        for kind, name, call in (
            ("endpoint", endpoint, "delete_endpoint"),
            ("endpoint config", config, "delete_endpoint_config"),
        ):
            if name is None:
                continue
            key = "EndpointName" if kind == "endpoint" else "EndpointConfigName"
            try:
                getattr(self.client, call)(**{key: name})
                self._log.info("Deleted %s %s", kind, name)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                code, message = _client_error(exc)
                if "not find" in message.lower() or "does not exist" in message.lower():
                    continue  # never created, or already gone
                self._log.error("Could not delete %s %s: %s: %s", kind, name, code, message[:300])
                self.left_behind.append(f"{kind} '{name}' ({code})")
        if handle is not None:
            cleanup.unregister(handle)
