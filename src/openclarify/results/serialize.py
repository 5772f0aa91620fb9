"""Byte-stable, atomic writing of result files."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: The results file every consumer reads (and the last one written and uploaded).
ANALYSIS_FILE = "analysis.json"

#: The open journals (:func:`journal`); every write appends to each of them.
_JOURNALS: list[list[Path]] = []
_JOURNALS_LOCK = threading.Lock()


@contextlib.contextmanager
def journal() -> Iterator[list[Path]]:
    """Record, for the block, every path :func:`write_atomic` creates (in order).

    Folders it had to create, temporary files and final files are all listed, so
    that a stopped run can remove exactly what it wrote — and nothing that another
    process (another host sharing the output folder) or an earlier run wrote.
    The list may be read from another thread while the block runs.
    """
    written: list[Path] = []
    with _JOURNALS_LOCK:
        _JOURNALS.append(written)
    try:
        yield written
    finally:
        with _JOURNALS_LOCK:
            _JOURNALS.remove(written)


def _record(path: Path) -> None:
    with _JOURNALS_LOCK:
        for written in _JOURNALS:
            written.append(path)


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
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):  # outermost first, as mkdir makes them
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            _record(folder)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _record(Path(tmp_name))
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _record(path)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
