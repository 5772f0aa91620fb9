"""Progress of long work, for a person watching: a text bar in a terminal or in Jupyter.

Long stages call :func:`report` (``task``, units done, units in all): Kernel SHAP
after every chunk of records, the model's predictions after every batch.  Nothing
is shown unless a caller opened :func:`shown` — the DataFrame API does, when it runs
in a Jupyter kernel or with a terminal on standard error; the container and the
command line keep their log lines every few seconds (the SHAP and prediction
progress lines at INFO), which is what a CloudWatch log wants.

The bar is one line redrawn with ``\\r`` (terminals and Jupyter's output areas both
honour it), at most every :data:`MIN_SECONDS`, finished with a newline when the
task completes; no dependency, no thread.  The listener lives in a
:class:`~contextvars.ContextVar`: a worker thread that calls :func:`report` shows
nothing, and concurrent runs do not draw over each other.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import IO

__all__ = ["MIN_SECONDS", "TextBar", "report", "shown"]

#: Seconds between two redraws of the bar.
MIN_SECONDS = 0.25
WIDTH = 30

_LISTENER: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "openclarify_progress", default=None
)


def report(task: str, done: int, total: int) -> None:
    """``done`` of ``total`` units of ``task`` are complete (shown only inside :func:`shown`)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(task, done, total)


class TextBar:
    """``task: [#######.......]  45%  4,500 of 10,000`` on one redrawn line."""

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self._task: str | None = None
        self._last = float("-inf")

    def update(self, task: str, done: int, total: int) -> None:
        now = self.clock()
        finished = done >= total
        if task == self._task and not finished and now - self._last < MIN_SECONDS:
            return
        if self._task is not None and task != self._task:
            self.stream.write("\n")  # a new task starts on its own line
        self._task, self._last = task, now
        share = done / total if total else 1.0
        filled = round(WIDTH * share)
        self.stream.write(
            f"\r{task}: [{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%}  {done:,} of {total:,}"
        )
        if finished:
            self.stream.write("\n")
            self._task = None
        self.stream.flush()

    def close(self) -> None:
        if self._task is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._task = None


def interactive() -> bool:
    """True in a Jupyter kernel, or when standard error is a terminal."""
    if "ipykernel" in sys.modules:
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def shown(enabled: bool | None = None, stream: IO[str] | None = None) -> Iterator[None]:
    """Draw the progress reported inside the block (``None``: when :func:`interactive`)."""
    if enabled is None:
        enabled = interactive()
    if not enabled:
        yield
        return
    bar = TextBar(stream if stream is not None else sys.stderr)
    token = _LISTENER.set(bar.update)
    try:
        yield
    finally:
        _LISTENER.reset(token)
        bar.close()
