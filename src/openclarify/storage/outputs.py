"""Uploads (:func:`upload_folder`): a finished output folder to S3, ``analysis.json`` last."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from ..errors import OutputError
from ..results import ANALYSIS_FILE
from .failures import _client_scope, _mapped, _run_all
from .s3 import (
    _SCHEME,
    DEFAULT_MULTIPART_CHUNKSIZE,
    DEFAULT_MULTIPART_THRESHOLD,
    _transfer_config,
    parse_s3_uri,
)

__all__ = ["COMPLETION_MARKER", "upload_folder"]

#: Uploaded after everything else, so that its presence on S3 means the rest is there.
COMPLETION_MARKER: Final = ANALYSIS_FILE

# Leftovers of an interrupted results.serialize.write_atomic: by definition
# half-written, so never uploaded.
_ATOMIC_TEMP: Final = re.compile(r"\..+\.tmp\Z")


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
