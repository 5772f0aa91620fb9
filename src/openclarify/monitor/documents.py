"""Reading an ``analysis.json`` document from a file, a folder or an ``s3://`` URI."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from ..results import ANALYSIS_FILE

__all__ = ["read_analysis", "read_analysis_at"]

_FIX = "give an analysis.json written by openclarify or SageMaker Clarify"


def read_analysis(path: Path) -> dict[str, Any]:
    """An ``analysis.json`` document (``path`` may be its folder); one-line errors.

    Raises
    ------
    DatasetError
        Missing, unreadable, not JSON, or not a JSON object with ``"version"``.
    """
    if path.is_dir():
        path = path / ANALYSIS_FILE
    if not path.is_file():
        raise DatasetError(str(path), "file not found", "give the path of a run's analysis.json")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(
            str(path), f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", _FIX
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(str(path), f"cannot be read ({type(exc).__name__})") from None
    if not isinstance(document, dict) or "version" not in document:
        raise DatasetError(
            str(path),
            'is not an analysis.json document (expected a JSON object with "version")',
            _FIX,
        )
    return document


def read_analysis_at(location: str, *, where: str) -> dict[str, Any]:
    """:func:`read_analysis` of a local path or of an ``s3://`` object or prefix.

    An S3 prefix (``s3://bucket/run/``) means the ``analysis.json`` under it, as a
    local folder does.  ``where`` (``--baseline``) names the argument in errors.
    """
    from .. import storage

    if not storage.is_s3_uri(location):
        return read_analysis(Path(location))
    uri = location
    bucket, key = storage.parse_s3_uri(location, where)
    if not key or key.endswith("/"):
        uri = f"s3://{bucket}/{key}{ANALYSIS_FILE}"
    with tempfile.TemporaryDirectory(prefix="openclarify-analysis-") as scratch:
        local = storage.download(uri, Path(scratch), where=where)
        try:
            return read_analysis(local)
        except DatasetError as exc:
            # Name the URI the user gave, not the temporary copy.
            raise DatasetError(uri, exc.problem, exc.fix) from None
