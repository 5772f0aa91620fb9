"""Byte-stable, atomic writing of result files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def dumps_analysis(document: dict[str, Any]) -> str:
    """``analysis.json`` text: 4-space indent, key order kept, no bare NaN.

    ``allow_nan=False`` guarantees we never write the invalid JSON tokens
    ``NaN``/``Infinity``; infinities are already strings by then.
    """
    return json.dumps(document, indent=4, allow_nan=False) + "\n"


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``path`` through a temporary file in the same folder + rename.

    Readers see either the old file or the complete new one, never a prefix —
    also when the process is killed half-way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
