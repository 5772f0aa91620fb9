"""How a boto3 failure becomes a ``UserError``, and the client scope and pool that raise it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Final, NoReturn

from ..errors import UserError
from .s3 import _FILE_CONCURRENCY, _SCHEME, s3_client

_ACCESS_DENIED: Final = frozenset({"AccessDenied", "403", "AllAccessDisabled", "Forbidden"})
_BAD_CREDENTIALS: Final = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "InvalidClientTokenId",
    }
)
_NOT_FOUND: Final = frozenset({"NoSuchKey", "404", "NotFound"})


def _error_code(exc: BaseException) -> tuple[str, str]:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {}) or {}
    return str(error.get("Code", "")), str(error.get("Message", ""))


def _client_error_in(exc: BaseException) -> BaseException | None:
    """The botocore ``ClientError`` behind ``exc`` (boto3 wraps upload ones)."""
    import botocore.exceptions

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, botocore.exceptions.ClientError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _user_error(
    exc: BaseException,
    *,
    uri: str,
    where: str,
    error: type[UserError],
    action: str,
    permission: str,
) -> UserError | None:
    """Map a boto3/botocore failure to a :class:`UserError`; None if it is not one of ours.

    Parameters
    ----------
    action:
        ``"read"`` or ``"write"``, for the message.
    permission:
        The IAM actions the operation needs, for the access-denied fix.
    """
    import boto3.exceptions
    import botocore.exceptions

    client_error = _client_error_in(exc)
    if client_error is not None:
        code, message = _error_code(client_error)
        bucket = uri[len(_SCHEME) :].partition("/")[0]
        if code == "NoSuchBucket":
            return error(
                where,
                f"the S3 bucket '{bucket}' does not exist",
                "check the bucket name, the AWS account and the region",
            )
        if code in _ACCESS_DENIED:
            return error(
                where,
                f"access denied to {uri} ({code})",
                f"check the credentials/role policy allows {permission} on the bucket",
            )
        if code in _BAD_CREDENTIALS:
            return error(
                where,
                f"S3 rejected the AWS credentials while trying to {action} {uri} ({code})",
                "check the credentials found by the standard boto3 chain "
                "(environment, ~/.aws, instance or container role)",
            )
        if code in _NOT_FOUND:
            return error(where, f"{uri} does not exist", "check the key")
        return error(
            where,
            f"could not {action} {uri}: {code or type(client_error).__name__}: {message[:200]}",
        )
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return error(
            where,
            f"no AWS credentials found to {action} {uri}",
            "provide them through the standard boto3 chain "
            "(environment, ~/.aws, instance or container role)",
        )
    if isinstance(
        exc,
        botocore.exceptions.EndpointConnectionError
        | botocore.exceptions.ConnectTimeoutError
        | botocore.exceptions.ReadTimeoutError
        | botocore.exceptions.ConnectionClosedError,
    ):
        return error(
            where,
            f"could not reach the S3 endpoint to {action} {uri} ({type(exc).__name__})",
            "check the network, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and the region",
        )
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return error(where, f"no AWS region is configured to {action} {uri}", "set AWS_REGION")
    if isinstance(exc, botocore.exceptions.BotoCoreError | boto3.exceptions.Boto3Error):
        return error(where, f"could not {action} {uri}: {type(exc).__name__}")
    return None


def _mapped(
    *, uri: str, where: str, error: type[UserError], action: str, permission: str
) -> Callable[[BaseException], UserError | None]:
    def mapper(exc: BaseException) -> UserError | None:
        return _user_error(
            exc, uri=uri, where=where, error=error, action=action, permission=permission
        )

    return mapper


def _run_all(
    jobs: list[Callable[[], object]], on_error: Callable[[BaseException], UserError | None]
) -> None:
    """Run ``jobs`` on a small thread pool; stop at the first failure and raise it mapped.

    Files not started yet are cancelled; those in progress finish (s3transfer
    aborts an unfinished multipart upload itself, and writes a download to a
    temporary name that is renamed only when complete).
    """
    if not jobs:
        return
    with ThreadPoolExecutor(max_workers=min(_FILE_CONCURRENCY, len(jobs))) as pool:
        futures: list[Future[object]] = [pool.submit(job) for job in jobs]
        try:
            for future in futures:
                future.result()
        except BaseException as exc:
            pool.shutdown(wait=True, cancel_futures=True)
            _raise_mapped(exc, on_error)


def _raise_mapped(
    exc: BaseException, on_error: Callable[[BaseException], UserError | None]
) -> NoReturn:
    """Raise ``exc`` as the :class:`UserError` it maps to, or unchanged."""
    mapped = on_error(exc)
    if mapped is None:
        raise exc
    # The botocore traceback adds nothing the message does not say.
    raise mapped from None


@contextmanager
def _client_scope(
    client: Any, on_error: Callable[[BaseException], UserError | None]
) -> Iterator[Any]:
    """``client`` as given, or a new :func:`s3_client` that is closed afterwards.

    Closing releases the pooled connections at once instead of at garbage
    collection (an unclosed socket is a ``ResourceWarning``).
    """
    if client is not None:
        yield client
        return
    try:
        own = s3_client()
    except Exception as exc:
        _raise_mapped(exc, on_error)
    try:
        yield own
    finally:
        own.close()
