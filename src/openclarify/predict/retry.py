"""Retrying one request: exponential backoff with full jitter (contract §11.13: our choice).

Policy (:class:`RetryPolicy`):

* :class:`~openclarify.predict.faults.TransientFault` (throttling, 5xx,
  timeouts, connection resets): up to ``max_attempts`` attempts (default 6).
  Before attempt *k* + 1 we sleep ``uniform(0, min(max_delay, base_delay * 2**(k-1)))``
  seconds — "full jitter", so that several workers hitting the same throttled
  endpoint spread out instead of retrying in lock-step.
* :class:`~openclarify.predict.faults.ModelFault` (the model answered with an
  error): ``model_error_attempts`` attempts (default 2) — a model that fails
  on a batch usually fails again — with the same backoff.
* :class:`~openclarify.predict.faults.PayloadTooLarge`: not retried here; the
  batching layer halves the batch.
* :class:`~openclarify.predict.faults.RequestRejected`: not retried.

When retries are exhausted the caller gets ONE
:class:`~openclarify.errors.PredictorError` that quotes the service's or the
model's message (whitespace collapsed, cut to :data:`MESSAGE_CHARS`
characters, with every value of the batch's rows redacted — see :func:`redact`)
and names the batch's first row (1-based, dataset order).

Randomness and sleeping are arguments (``rng``, ``sleep``), so tests are
deterministic and instant.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from ..errors import PredictorError
from .faults import Fault, ModelFault, PayloadTooLarge, RequestRejected, TransientFault

__all__ = ["MESSAGE_CHARS", "REDACTED", "RetryPolicy", "redact", "rows_subject"]

T = TypeVar("T")

#: Longest quote of a model message in an error (characters).
MESSAGE_CHARS: Final = 300
#: What a dataset value in a model message is replaced by.
REDACTED: Final = "<redacted>"

_QUOTED = re.compile(r"""'([^']*)'|"([^"]*)\"""")
_TOKEN = re.compile(r"[^\s,;:()\[\]{}<>=|'\"]+")


def _cell_texts(values: Iterable[Any]) -> set[str]:
    texts: set[str] = set()
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, float):
            if value != value:  # NaN
                continue
            texts.add(repr(value))
            if value.is_integer():
                texts.add(str(int(value)))
        else:
            texts.add(str(value))
    return texts


def _sensitive(text: str) -> bool:
    """Is a cell's text worth hiding?  Small integers (< 100) are not."""
    stripped = text.strip()
    if not stripped:
        return False
    return not (re.fullmatch(r"[+-]?\d{1,2}", stripped) is not None)


def redact(message: str, values: Iterable[Any], limit: int = MESSAGE_CHARS) -> str:
    """A model message made safe to show: no dataset values, one line, at most ``limit`` chars.

    A model's error text may echo what we sent (``could not convert string to
    float: 'Male'``).  Replaced by :data:`REDACTED`:

    * any quoted text (``'…'`` or ``"…"``) that contains a value of the batch;
    * any word of the message equal to a value of the batch, except integers
      of one or two digits (they are in almost every message: "expected 10
      features") — a compromise between safety and a useful message.

    Parameters
    ----------
    message:
        The service's or model's text.
    values:
        The batch's cell values (plain Python values).
    limit:
        Maximum length of the result.
    """
    texts = {t for t in _cell_texts(values) if _sensitive(t)}

    def quoted(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        quote = match.group(0)[0]
        if any(t in inner for t in texts):
            return f"{quote}{REDACTED}{quote}"
        return match.group(0)

    def token(match: re.Match[str]) -> str:
        word = match.group(0)
        return REDACTED if word in texts or word.rstrip(".") in texts else word

    line = " ".join(message.split())
    line = _QUOTED.sub(quoted, line)
    line = _TOKEN.sub(token, line)
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def rows_subject(first_row: int, n_rows: int) -> str:
    """How a batch is named in messages: ``row 7`` or ``the batch of 500 rows starting at row 1``."""
    if n_rows == 1:
        return f"row {first_row}"
    return f"the batch of {n_rows} rows starting at row {first_row}"


@dataclass
class RetryPolicy:
    """How often and how long to retry one request.

    Attributes
    ----------
    max_attempts:
        Attempts for transient faults (throttling, 5xx, timeouts, resets).
    model_error_attempts:
        Attempts when the model itself answered with an error.
    base_delay, max_delay:
        Seconds: the jitter window before attempt *k* + 1 is
        ``[0, min(max_delay, base_delay * 2**(k-1))]``.
    rng:
        Source of jitter (inject a seeded :class:`random.Random` in tests).
    sleep:
        How to wait (inject a recorder in tests).
    """

    max_attempts: int = 6
    model_error_attempts: int = 2
    base_delay: float = 0.5
    max_delay: float = 20.0
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        window = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(0.0, window)

    def call(
        self,
        request: Callable[[], T],
        *,
        target: str,
        subject: str,
        row_values: Callable[[], Iterable[Any]],
    ) -> T:
        """Run ``request`` until it succeeds or the policy gives up.

        Parameters
        ----------
        request:
            One attempt; raises a :class:`~openclarify.predict.faults.Fault`.
        target:
            The model, as named to the user (``endpoint 'x'``).
        subject:
            What the request was for, in messages (:func:`rows_subject`).
        row_values:
            The batch's cell values, read only to redact a message.

        Raises
        ------
        PayloadTooLarge
            Unchanged, for the batching layer.
        PredictorError
            When retries are exhausted or the request was rejected.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return request()
            except PayloadTooLarge:
                raise
            except Fault as fault:
                if isinstance(fault, TransientFault):
                    limit = self.max_attempts
                elif isinstance(fault, ModelFault):
                    limit = self.model_error_attempts
                else:
                    limit = 1
                if attempt >= limit:
                    raise self._give_up(fault, attempt, target, subject, row_values) from None
                self.sleep(self.delay(attempt))

    @staticmethod
    def _give_up(
        fault: Fault,
        attempts: int,
        target: str,
        subject: str,
        row_values: Callable[[], Iterable[Any]],
    ) -> PredictorError:
        quoted = redact(fault.message, row_values())
        status = f" (HTTP {fault.status})" if fault.status is not None else ""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if isinstance(fault, ModelFault):
            problem = f"{target} returned a model error{status} for {subject}{tries}: {quoted}"
            fix = "check that the model accepts predictor.content_type and the feature columns"
        elif isinstance(fault, RequestRejected):
            problem = f"{target} rejected the request{status} for {subject}: {quoted}"
            fix = "check the endpoint name, region and permissions"
        else:
            problem = f"{target} kept failing{status} for {subject}{tries}: {quoted}"
            fix = "check that the model is up and not overloaded, or lower predictor.openclarify.max_concurrency"
        return PredictorError("$.predictor", problem, fix)
