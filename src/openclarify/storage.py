"""Amazon S3 input and output through boto3, for runs outside a Processing job.

Inside a SageMaker Processing job, SageMaker itself copies the dataset to
``/opt/ml/processing/input/data`` and the results from
``/opt/ml/processing/output`` (contract §1.1).  Run anywhere else, the config's
``dataset_uri``, ``facet_dataset_uri``, ``predicted_label_dataset_uri`` and a
SHAP ``baseline`` may be ``s3://`` URIs, and ``openclarify analyze --output``
may name an S3 prefix.  This module is the only place that talks to S3:

* :func:`download` copies an object, or every object under a prefix, into a
  local folder that the ordinary file readers then read.
* :func:`upload_folder` copies a finished local output folder to a prefix,
  ``analysis.json`` last.
* :func:`s3_client` builds the client both use.

Credentials, region and endpoint come from the standard boto3 chain
(environment, shared config/credentials files, container or instance role);
``AWS_ENDPOINT_URL_S3`` (or ``AWS_ENDPOINT_URL``) points boto3 at an
S3-compatible server.  ``boto3`` is imported inside the functions only, so that
``import openclarify`` stays fast and a run that never touches S3 never loads it.

Errors
------
Every failure the user can fix becomes a :class:`~openclarify.errors.UserError`
whose ``where`` is the place the URI came from (a JSON path such as
``$.dataset_uri``, or ``--output``).  A malformed URI is a
:class:`~openclarify.errors.ConfigError`; a download failure (missing bucket,
missing object, empty prefix, access denied, rejected or missing credentials,
unreachable endpoint) is, by default, a :class:`~openclarify.errors.DatasetError`
— the URI was well formed, the data behind it cannot be read — and the caller
may choose another class (``error=``); an upload failure is an
:class:`~openclarify.errors.OutputError`.  Messages name the URI and the S3
error code, never a data value and never a credential: server messages are
quoted only for error codes we do not recognise, cut short.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Final, NoReturn

from .errors import ConfigError, DatasetError, OutputError, UserError

__all__ = [
    "COMPLETION_MARKER",
    "DEFAULT_MULTIPART_CHUNKSIZE",
    "DEFAULT_MULTIPART_THRESHOLD",
    "download",
    "is_s3_uri",
    "parse_s3_uri",
    "s3_client",
    "upload_folder",
]

#: Files at least this large are uploaded/downloaded in parts, concurrently.
DEFAULT_MULTIPART_THRESHOLD: Final = 64 * 1024 * 1024
#: Size of one part.  S3 needs at least 5 MiB per part (except the last);
#: s3transfer grows it when a file would need more than 10 000 parts.
DEFAULT_MULTIPART_CHUNKSIZE: Final = 16 * 1024 * 1024
#: Uploaded after everything else, so that its presence on S3 means the rest is there.
COMPLETION_MARKER: Final = "analysis.json"

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
# Leftovers of an interrupted results.serialize.write_atomic: by definition
# half-written, so never uploaded.
_ATOMIC_TEMP: Final = re.compile(r"\..+\.tmp\Z")

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
    import boto3.session
    import botocore.config

    # A fresh session, not boto3's process-wide default one: the default
    # session keeps the first credentials it resolved for the life of the
    # process, while each call here should see the chain as it is now.
    return boto3.session.Session().client(
        "s3",
        config=botocore.config.Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=_MAX_POOL_CONNECTIONS,
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


# --------------------------------------------------------------------------- errors


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


# ------------------------------------------------------------------------- download


def _skipped(relative: PurePosixPath) -> bool:
    """The local folder rule of ``data.readers.dataset_files``: no hidden or ``_`` parts."""
    return any(part.startswith((".", "_")) for part in relative.parts)


def _safe_target(root: Path, relative: PurePosixPath) -> Path | None:
    """``root / relative``, or None when the key would land outside ``root``."""
    if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts):
        return None
    return root.joinpath(*relative.parts)


def _list_keys(client: Any, bucket: str, prefix: str) -> Iterator[str]:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            yield str(item["Key"])


def _object_exists(client: Any, bucket: str, key: str) -> bool:
    import botocore.exceptions

    try:
        client.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as exc:
        # HEAD answers carry no body: a missing object is a bare "404" (also
        # for a missing bucket, which the listing that follows then names).
        if _error_code(exc)[0] in _NOT_FOUND:
            return False
        raise
    return True


def download(
    uri: str,
    destination: Path,
    *,
    where: str,
    client: Any = None,
    error: type[UserError] = DatasetError,
    multipart_threshold_bytes: int = DEFAULT_MULTIPART_THRESHOLD,
    multipart_chunksize_bytes: int = DEFAULT_MULTIPART_CHUNKSIZE,
) -> Path:
    """Download an S3 object, or every object under an S3 prefix, into ``destination``.

    * ``s3://bucket/path/file.csv`` naming an object: the object becomes
      ``destination/file.csv``, which is returned.
    * ``s3://bucket/path/`` (trailing ``/``), ``s3://bucket``, or a key that is
      not an object: every object under ``path/`` is downloaded to
      ``destination/<key relative to path/>`` and ``destination`` is returned.
      Like a Processing job's ``S3Prefix`` input, but on whole path segments:
      ``s3://bucket/data`` means the folder ``data/``, never ``data-old.csv``.
      Folder markers (keys ending in ``/``) and keys with a path segment
      starting with ``.`` or ``_`` (``_SUCCESS``, ``.crc`` files) are skipped,
      as the local folder reader skips them.

    Large objects are fetched in parts concurrently; each file is written under
    a temporary name and renamed when complete, so a failed run never leaves a
    partial file behind under the final name.

    Parameters
    ----------
    uri:
        ``s3://bucket/key`` or ``s3://bucket/prefix/``.
    destination:
        Local folder, created if needed.  Use a fresh folder per URI: a prefix
        is read back as the whole folder.
    where:
        Where the URI came from (``$.dataset_uri``, ``$.facet_dataset_uri``,
        ``$.methods.shap.baseline``), used as the error location.
    client:
        A boto3 S3 client; default :func:`s3_client`.
    error:
        The :class:`UserError` subclass raised when the data cannot be read
        (default :class:`DatasetError`).
    multipart_threshold_bytes, multipart_chunksize_bytes:
        Objects at least the threshold are fetched in ranges of the chunk size.

    Returns
    -------
    Path
        The local file (object) or folder (prefix) to read.

    Raises
    ------
    ConfigError
        The URI is malformed.
    DatasetError
        (or ``error``) Missing bucket; no object and no objects under the
        prefix; access denied; credentials missing or rejected; endpoint
        unreachable.
    """
    bucket, key = parse_s3_uri(uri, where)
    on_error = _mapped(
        uri=uri,
        where=where,
        error=error,
        action="read",
        permission="s3:GetObject and s3:ListBucket",
    )
    config = _transfer_config(multipart_threshold_bytes, multipart_chunksize_bytes)
    with _client_scope(client, on_error) as s3:
        try:
            if key and not key.endswith("/") and _object_exists(s3, bucket, key):
                target = _safe_target(destination, PurePosixPath(PurePosixPath(key).name))
                if target is None:
                    raise error(where, f"the key of {uri} has no file name", "name the object")
                destination.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target), Config=config)
                return target
            prefix = f"{key.rstrip('/')}/" if key.strip("/") else ""
            keys = list(_list_keys(s3, bucket, prefix))
        except UserError:
            raise
        except Exception as exc:
            _raise_mapped(exc, on_error)

        folder_uri = f"{_SCHEME}{bucket}/{prefix}"
        if not keys:
            problem = f"no objects under {folder_uri}"
            if key and not key.endswith("/"):
                problem = f"no object {uri} and no objects under {folder_uri}"
            raise error(where, problem, "check the bucket, the key or prefix, and the region")
        wanted = _wanted(keys, prefix, destination, folder_uri=folder_uri, where=where, error=error)
        destination.mkdir(parents=True, exist_ok=True)
        for _, target in wanted:
            target.parent.mkdir(parents=True, exist_ok=True)

        def fetch(source: str, target: Path) -> Callable[[], object]:
            return lambda: s3.download_file(bucket, source, str(target), Config=config)

        _run_all([fetch(source, target) for source, target in wanted], on_error)
    return destination


def _wanted(
    keys: list[str],
    prefix: str,
    destination: Path,
    *,
    folder_uri: str,
    where: str,
    error: type[UserError],
) -> list[tuple[str, Path]]:
    """The listed keys worth downloading, each with its local target."""
    wanted: list[tuple[str, Path]] = []
    for found in keys:
        if found.endswith("/"):
            continue  # a folder marker, as the S3 console and Hadoop/Spark write them
        relative = PurePosixPath(found[len(prefix) :])
        if _skipped(relative):
            continue
        target = _safe_target(destination, relative)
        if target is None:
            raise error(
                where,
                f"an object key under {folder_uri} is not a safe relative path",
                "rename objects whose keys contain '.', '..' or empty segments",
            )
        wanted.append((found, target))
    if not wanted:
        raise error(
            where,
            f"no data objects under {folder_uri} (only folder markers and '.'/'_' files)",
            "put the dataset file(s) under the prefix",
        )
    return wanted


# --------------------------------------------------------------------------- upload


def _output_files(local_dir: Path) -> list[tuple[Path, str]]:
    """Every regular file under ``local_dir`` with its relative POSIX path, sorted."""
    files: list[tuple[Path, str]] = []
    for path in sorted(local_dir.rglob("*")):
        if path.is_file() and not _ATOMIC_TEMP.fullmatch(path.name):
            files.append((path, path.relative_to(local_dir).as_posix()))
    return files


def upload_folder(
    local_dir: Path,
    uri: str,
    *,
    where: str = "--output",
    client: Any = None,
    multipart_threshold_bytes: int = DEFAULT_MULTIPART_THRESHOLD,
    multipart_chunksize_bytes: int = DEFAULT_MULTIPART_CHUNKSIZE,
) -> list[str]:
    """Upload every file under ``local_dir`` to ``s3://bucket/prefix/<relative path>``.

    Call it after every result file has been written locally.  Each S3 object
    appears only once complete (a PUT is atomic; a multipart upload becomes
    visible when completed and is aborted on failure), so nothing half-written
    is ever visible.  The top-level ``analysis.json`` is uploaded last, after
    every other upload has finished, and not at all when one of them failed:
    its presence under the prefix means the rest is there.  Temporary files
    left by an interrupted atomic write (``.<name>.*.tmp``) are not uploaded.
    Existing objects under the prefix are overwritten, never deleted.

    Parameters
    ----------
    local_dir:
        The finished output folder.
    uri:
        ``s3://bucket/prefix`` (a trailing ``/`` is optional; ``s3://bucket``
        uploads to the bucket's top level).
    where:
        Where the URI came from, for errors.
    client:
        A boto3 S3 client; default :func:`s3_client`.
    multipart_threshold_bytes:
        Files at least this large go up as multipart uploads, parts in parallel.
    multipart_chunksize_bytes:
        Part size (S3 needs at least 5 MiB per part but the last).

    Returns
    -------
    list of str
        The ``s3://`` URIs written, ``analysis.json`` last.

    Raises
    ------
    ConfigError
        The URI is malformed.
    OutputError
        Missing bucket, access denied, credentials missing or rejected,
        endpoint unreachable.
    """
    bucket, key = parse_s3_uri(uri, where)
    prefix = f"{key.rstrip('/')}/" if key.strip("/") else ""
    files = _output_files(local_dir)
    last = [item for item in files if item[1] == COMPLETION_MARKER]
    first = [item for item in files if item[1] != COMPLETION_MARKER]
    on_error = _mapped(
        uri=uri, where=where, error=OutputError, action="write", permission="s3:PutObject"
    )
    config = _transfer_config(multipart_threshold_bytes, multipart_chunksize_bytes)
    with _client_scope(client, on_error) as s3:

        def put(path: Path, relative: str) -> Callable[[], object]:
            return lambda: s3.upload_file(str(path), bucket, prefix + relative, Config=config)

        # Two rounds: analysis.json starts only once every other file is on S3.
        _run_all([put(path, relative) for path, relative in first], on_error)
        _run_all([put(path, relative) for path, relative in last], on_error)
    return [f"{_SCHEME}{bucket}/{prefix}{relative}" for _, relative in first + last]
