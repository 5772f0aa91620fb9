"""S3 URIs (:func:`parse_s3_uri`), the boto3 client and the transfer settings."""

from __future__ import annotations

import re
from typing import Any, Final

from ..errors import ConfigError

__all__ = [
    "DEFAULT_MULTIPART_CHUNKSIZE",
    "DEFAULT_MULTIPART_THRESHOLD",
    "aws_client",
    "is_s3_uri",
    "parse_s3_uri",
    "s3_client",
]

#: Files at least this large are uploaded/downloaded in parts, concurrently.
DEFAULT_MULTIPART_THRESHOLD: Final = 64 * 1024 * 1024
#: Size of one part.  S3 needs at least 5 MiB per part (except the last);
#: s3transfer grows it when a file would need more than 10 000 parts.
DEFAULT_MULTIPART_CHUNKSIZE: Final = 16 * 1024 * 1024

#: Threads copying different files at once; each large file also uses
#: ``_PART_CONCURRENCY`` threads for its parts.
_FILE_CONCURRENCY: Final = 8
_PART_CONCURRENCY: Final = 4
#: Enough pooled connections for every thread above, so urllib3 never discards one.
_MAX_POOL_CONNECTIONS: Final = _FILE_CONCURRENCY * _PART_CONCURRENCY + 4

_SCHEME: Final = "s3://"
# Bucket naming rules (3-63 characters: lower-case letters, digits, '.', '-';
# starting and ending with a letter or digit).  Checked here so that a typo is
# reported as a config problem instead of an opaque botocore validation error.
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


def is_s3_uri(text: object) -> bool:
    """Whether ``text`` is a string that starts with ``s3://`` (any letter case).

    Parameters
    ----------
    text:
        Any value from a config or the command line.

    Returns
    -------
    bool
        True for ``s3://...``; the URI may still be malformed
        (:func:`parse_s3_uri` checks it).
    """
    return isinstance(text, str) and text[: len(_SCHEME)].lower() == _SCHEME


def parse_s3_uri(uri: str, where: str) -> tuple[str, str]:
    """Split ``s3://bucket/key-or-prefix`` into the bucket and the rest.

    Parameters
    ----------
    uri:
        The URI as the user wrote it.
    where:
        Where it came from (``$.dataset_uri``, ``--output``), for the error.

    Returns
    -------
    tuple of str
        ``(bucket, key_or_prefix)``; the second part is ``""`` for a whole
        bucket and keeps a trailing ``/``.

    Raises
    ------
    ConfigError
        Not an ``s3://`` URI, no bucket, or a bucket name S3 does not allow.
    """
    if not is_s3_uri(uri):
        raise ConfigError(
            where, "expected an S3 URI starting with 's3://'", "write it as s3://bucket/key"
        )
    rest = uri[len(_SCHEME) :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise ConfigError(where, f"the S3 URI '{uri}' has no bucket", "write it as s3://bucket/key")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(
            where,
            f"'{bucket}' in '{uri}' is not a valid S3 bucket name",
            "use 3-63 lower-case letters, digits, '.' or '-'",
        )
    return bucket, key


def s3_client(
    *, connect_timeout: float = 10.0, read_timeout: float = 60.0, max_attempts: int = 5
) -> Any:
    """The boto3 S3 client that :func:`download` and :func:`upload_folder` use by default.

    Region, credentials and endpoint come from the standard boto3 chain
    (``AWS_ENDPOINT_URL_S3`` is honoured by botocore ≥ 1.31).

    Parameters
    ----------
    connect_timeout, read_timeout:
        Seconds; finite so that an unreachable or stuck endpoint fails the job
        instead of hanging it.
    max_attempts:
        Total attempts per request, including the first.  Standard retry mode
        retries throttling, 5xx answers and broken connections with back-off.

    Returns
    -------
    botocore.client.S3
    """
    return aws_client(
        "s3",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_attempts=max_attempts,
        max_pool_connections=_MAX_POOL_CONNECTIONS,
    )


def aws_client(
    service: str,
    *,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    max_attempts: int = 5,
    max_pool_connections: int = 10,
) -> Any:
    """A boto3 client for ``service`` (``"s3"``, ``"cloudwatch"``), built one way.

    Region, credentials and endpoint come from the standard boto3 chain
    (``AWS_ENDPOINT_URL_<SERVICE>`` or ``AWS_ENDPOINT_URL`` point it at a
    compatible server).  Timeouts are finite and retries use the standard mode,
    as for :func:`s3_client`.
    """
    import boto3.session
    import botocore.config

    # A fresh session, not boto3's process-wide default one: the default
    # session keeps the first credentials it resolved for the life of the
    # process, while each call here should see the chain as it is now.
    return boto3.session.Session().client(
        service,
        config=botocore.config.Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=max_pool_connections,
        ),
    )


def _transfer_config(threshold: int, chunksize: int) -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(
        multipart_threshold=threshold,
        multipart_chunksize=chunksize,
        max_concurrency=_PART_CONCURRENCY,
        use_threads=True,
    )
