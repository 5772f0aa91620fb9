"""What can go wrong with one request, sorted by what we do about it.

Transports (:mod:`openclarify.predict.transport`) translate their own errors
(botocore's, urllib's, an in-process model's exceptions) into exactly one of
these; :mod:`openclarify.predict.retry` and :mod:`openclarify.predict.batching`
act on the kind, never on transport details.

==========================  ================================================
fault                       what happens
==========================  ================================================
:class:`TransientFault`     retried with backoff and jitter (throttling, 5xx,
                            timeouts, connection resets)
:class:`ModelFault`         retried a little, then one ``PredictorError``
                            quoting the model's (redacted) message
:class:`PayloadTooLarge`    never retried as is: the batch is halved
:class:`RequestRejected`    not retried: one ``PredictorError`` at once
                            (unknown endpoint, access denied, bad request)
==========================  ================================================

The ``message`` of a fault is text that came from the model or the service; it
may echo parts of our request, so it is redacted before it reaches a user
message (:func:`openclarify.predict.retry.redact`).
"""

from __future__ import annotations

__all__ = [
    "Fault",
    "ModelFault",
    "PayloadTooLarge",
    "RequestRejected",
    "TransientFault",
]


class Fault(Exception):
    """A failed request.

    Parameters
    ----------
    message:
        What the service or model said (may contain request data; redact
        before showing it).
    status:
        HTTP status (or the model's original status) when known.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


class TransientFault(Fault):
    """Throttling, a 5xx, a timeout or a dropped connection: worth retrying."""


class ModelFault(Fault):
    """The model answered with an error (a 4xx with a body, a SageMaker ``ModelError``)."""


class PayloadTooLarge(Fault):
    """The request body is larger than the model or the service accepts."""


class RequestRejected(Fault):
    """The service refused the request for a reason retrying cannot fix."""
