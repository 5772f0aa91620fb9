"""Cleanup actions that must run however the job ends.

Resources the job creates outside this process (a shadow endpoint and its
endpoint config) register a cleanup action here for as long as they exist.
Normal code releases them in ``finally`` blocks and unregisters; the container
adapter calls :func:`run_all` when SIGTERM arrives, because it then ends the
process with ``os._exit`` without unwinding the worker thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("openclarify")

_lock = threading.Lock()
_actions: dict[int, tuple[str, Callable[[], None]]] = {}
_next_id = 0


def register(description: str, action: Callable[[], None]) -> int:
    """Register ``action``; returns a handle for :func:`unregister`."""
    global _next_id
    with _lock:
        _next_id += 1
        _actions[_next_id] = (description, action)
        return _next_id


def unregister(handle: int) -> None:
    """Forget an action (it was run, or is no longer needed)."""
    with _lock:
        _actions.pop(handle, None)


def run_all() -> None:
    """Run every registered action once, newest first; errors are logged, not raised."""
    with _lock:
        pending = sorted(_actions.items(), reverse=True)
        _actions.clear()
    for _, (description, action) in pending:
        try:
            log.info("Cleaning up: %s", description)
            action()
        except Exception:
            log.exception("Cleanup failed: %s", description)
