"""Progress of long work: a text bar for a person watching, a log line for a container log.

Long stages report (``task``, units done, units in all) through a :class:`Tracker`,
which does both things at once:

* :func:`report` — the bar.  Nothing is drawn unless a caller opened :func:`shown`:
  the DataFrame API does, when it runs in a Jupyter kernel or with a terminal on
  standard error;
* a log line at INFO on the ``openclarify`` logger every :data:`LOG_SECONDS` and
  when the task is complete, always — what the container and the command line
  show (no terminal there; a CloudWatch log wants lines, not ``\\r`` redraws).

Who reports: Kernel SHAP (tabular and text) after every chunk of records, image
SHAP after every image, PDP after every model call, asymmetric Shapley values
after every chunk of items, the bias bootstrap after every facet group, Spark
jobs as their tasks complete (:mod:`openclarify.backend.spark.tasks`), and the
model's predictions after every batch (:mod:`openclarify.predict.batching`, which
logs rows/s itself).  Progress never touches a result: outputs are the same with
or without a bar.

The bar is one line redrawn with ``\\r`` (terminals and Jupyter's output areas both
honour it), at most every :data:`MIN_SECONDS`, finished with a newline when the
task completes; no dependency, no thread of its own.  The listener lives in a
:class:`~contextvars.ContextVar`: a worker thread that calls :func:`report` shows
nothing, and concurrent runs do not draw over each other.  The one thread that
does report — the Spark poller, while the driver's thread waits for the job —
runs in a copy of the caller's context on purpose, and is joined before the
caller reports again, so the bar is never drawn from two threads at once.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import IO

__all__ = ["LOG_SECONDS", "MIN_SECONDS", "TextBar", "Tracker", "listening", "report", "shown"]

#: Seconds between two redraws of the bar.
MIN_SECONDS = 0.25
#: Seconds between two log lines of one task.
LOG_SECONDS = 10.0
WIDTH = 30

_LISTENER: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "openclarify_progress", default=None
)


def report(task: str, done: int, total: int) -> None:
    """``done`` of ``total`` units of ``task`` are complete (shown only inside :func:`shown`)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(task, done, total)


class Tracker:
    """Progress of one task: the bar (:func:`report`) and a log line every ``seconds``.

    ``Tracker("PDP", 3000, "model rows").update(1500)`` draws
    ``PDP model rows: [###...]  50%  1,500 of 3,000`` inside :func:`shown` and
    logs ``PDP: 1500 of 3000 model rows (50%), 4.2s`` when ``seconds`` have
    passed since the last line; the line for ``done == total`` is always logged,
    once.

    Parameters
    ----------
    task:
        What runs (``"SHAP"``, ``"PDP"``, ``"Spark bias counts"``).
    total:
        Units in all (``≥ 0``; with 0 nothing is shown or logged).
    unit:
        What is counted, plural (``"records"``, ``"tasks"``).
    log:
        Where the lines go (default: the ``openclarify`` logger).
    seconds:
        Seconds between two lines (default :data:`LOG_SECONDS`).
    clock:
        Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        task: str,
        total: int,
        unit: str,
        *,
        log: logging.Logger | None = None,
        seconds: float = LOG_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.task, self.total, self.unit = task, total, unit
        self.log = log or logging.getLogger("openclarify")
        self.seconds, self.clock = seconds, clock
        self.started = self._last = clock()
        self._finished = False

    def update(self, done: int, detail: str = "") -> None:
        """``done`` of ``total`` units are complete; ``detail`` ends the log line (``", …"``)."""
        if self.total <= 0:
            return  # nothing to do: no bar, no line
        done = min(done, self.total)
        report(f"{self.task} {self.unit}", done, self.total)
        now = self.clock()
        finished = done >= self.total
        if finished and self._finished:
            return
        if finished or now - self._last >= self.seconds:
            self._last, self._finished = now, finished
            share = done / self.total if self.total else 1.0
            self.log.info(
                "%s: %d of %d %s (%.0f%%)%s, %.1fs",
                *(self.task, done, self.total, self.unit, 100 * share, detail),
                now - self.started,
            )


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
    try:
        with listening(bar.update):
            yield
    finally:
        bar.close()


@contextlib.contextmanager
def listening(listener: Callable[[str, int, int], None]) -> Iterator[None]:
    """Send the progress reported inside the block to ``listener(task, done, total)``.

    What :func:`shown` uses for its bar; another display (a widget, a test's
    record) plugs in the same way.  Replaces an outer listener for the block.
    """
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
