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


def current_umask() -> int:
    """The process umask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting and
    restoring it (``os.umask`` has no read-only form).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``path`` through a temporary file in the same folder + rename.

    Readers see either the old file or the complete new one, never a prefix —
    also when the process is killed half-way.  The file gets the mode a plain
    ``open(path, "w")`` would give it (``0o666`` less the umask: ``0644`` under the
    usual ``022``), not the ``0600`` of the temporary file: results are read by the
    user who mounted the folder, who is often not the one the job ran as.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
