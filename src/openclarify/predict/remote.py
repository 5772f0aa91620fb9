"""A model behind a transport: serialise a batch, send it (with retries), parse the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .faults import PayloadTooLarge
from .images import ImageSerializer
from .output import ModelOutput
from .parse import ResponseParser
from .retry import RetryPolicy, rows_subject
from .serialize import Serializer, python_rows
from .transport import Transport

if TYPE_CHECKING:
    from .timeseries import TimeSeriesSerializer

__all__ = ["RemotePredictor"]


class RemotePredictor:
    """:class:`~openclarify.predict.base.Predictor` for an endpoint or model server.

    Parameters
    ----------
    serializer, parser, transport:
        Request format, response format, and the way bytes travel.
    policy:
        Retries of one request.
    max_payload_bytes:
        Largest request body sent; a larger batch raises
        :class:`~openclarify.predict.faults.PayloadTooLarge` before sending.
    """

    def __init__(
        self,
        serializer: Serializer | TimeSeriesSerializer | ImageSerializer,
        parser: ResponseParser,
        transport: Transport,
        policy: RetryPolicy,
        max_payload_bytes: int,
    ) -> None:
        self.serializer = serializer
        self.parser = parser
        self.transport = transport
        self.policy = policy
        self.max_payload_bytes = max_payload_bytes

    @property
    def description(self) -> str:
        return self.transport.description

    @property
    def max_batch_rows(self) -> int | None:
        return 1 if self.serializer.one_record_per_request else None

    def request_bytes(self, rows: pd.DataFrame) -> int | None:
        return len(self.serializer.serialize(rows))

    def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
        body = self.serializer.serialize(rows)
        if len(body) > self.max_payload_bytes:
            raise PayloadTooLarge(
                f"request of {len(body)} bytes is above the limit of {self.max_payload_bytes}"
            )

        def values() -> list[Any]:
            return [v for row in python_rows(rows) for v in row]

        raw = self.policy.call(
            lambda: self.transport.invoke(body),
            target=self.transport.description,
            subject=rows_subject(first_row, len(rows)),
            row_values=values,
        )
        return self.parser.parse(raw, len(rows), first_row)
