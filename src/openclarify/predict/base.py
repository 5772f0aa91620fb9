"""The one interface the batching layer and the job see: :class:`Predictor`."""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from .output import ModelOutput

__all__ = ["ModelOutput", "Predictor"]


class Predictor(Protocol):
    """Turns batches of feature rows into model outputs.

    Implementations: :class:`openclarify.predict.remote.RemotePredictor`
    (serialise, send, parse) and
    :class:`openclarify.predict.inprocess.InProcessPredictor` (call a loaded
    model directly).
    """

    @property
    def description(self) -> str:
        """The model as named to the user (``endpoint 'x'``)."""
        ...

    @property
    def max_batch_rows(self) -> int | None:
        """Most rows one call takes (1 for ``$record`` templates); ``None``: no limit."""
        ...

    def request_bytes(self, rows: pd.DataFrame) -> int | None:
        """Size of the request ``rows`` would make; ``None`` when no payload limit applies."""
        ...

    def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
        """Outputs for ``rows`` (``first_row`` is the 1-based row number of the first).

        Raises
        ------
        openclarify.predict.faults.PayloadTooLarge
            When the batch must be split (the batching layer halves it).
        openclarify.errors.PredictorError
            When the model cannot give the outputs.
        """
        ...
