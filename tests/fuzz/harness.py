"""What every fuzzed input must satisfy: a result, or one UserError with a location.

Anything else — another exception, a hang — fails the test, and the tally of
what was tried is written to ``$OPENCLARIFY_FUZZ_TALLY`` (a JSON file) when set,
so CI can quote the figures.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openclarify.errors import UserError

#: Seconds one input may take before it counts as a hang (a small dataset runs in ms).
HANG_SECONDS = 30

TALLY: Counter[str] = Counter()


@contextmanager
def no_hang(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail with TimeoutError if the body runs longer than ``seconds`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no result after {seconds}s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(kind: str, action: Callable[[], Any]) -> str:
    """Run ``action``; return ``"ok"`` or ``"user_error"``; raise on anything else.

    A :class:`UserError` must name where the problem is and say what it is, and
    its one-line rendering must fit the container's 1 KB exit message.
    """
    TALLY[f"{kind}.tried"] += 1
    try:
        with no_hang():
            action()
    except UserError as error:
        assert error.where.strip(), f"UserError without a location: {error!r}"
        assert error.problem.strip(), f"UserError without a problem: {error!r}"
        assert len(str(error)) <= 1500, "message far too long"  # 200 + 600 + 600 + glue
        TALLY[f"{kind}.user_error"] += 1
        _flush()
        return "user_error"
    TALLY[f"{kind}.ok"] += 1
    _flush()
    return "ok"


def _flush() -> None:
    target = os.environ.get("OPENCLARIFY_FUZZ_TALLY")
    if target:
        Path(target).write_text(json.dumps(dict(sorted(TALLY.items())), indent=2) + "\n")
