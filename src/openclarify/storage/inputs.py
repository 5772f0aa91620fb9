"""Downloads (:func:`download`): an S3 object, or every object under a prefix, to a folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import DatasetError, UserError
from .failures import _NOT_FOUND, _client_scope, _error_code, _mapped, _raise_mapped, _run_all
from .s3 import (
    _SCHEME,
    DEFAULT_MULTIPART_CHUNKSIZE,
    DEFAULT_MULTIPART_THRESHOLD,
    _transfer_config,
    parse_s3_uri,
)

__all__ = ["download"]


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
