"""Request bodies for image models: ``image/jpeg``, ``image/png``, ``application/x-npy`` (§7.2).

A batch is a DataFrame with one column, :data:`IMAGE_COLUMN`, whose cells are
objects with a ``pixels()`` method returning the RGB ``uint8`` array
``(height, width, 3)`` to send (:class:`openclarify.explain.image.masking.MaskedImage`):
the masked images of a Kernel SHAP run are materialised one request at a time, so
a call of thousands of coalitions holds masks, not images.

``image/jpeg``, ``image/png``
    One encoded image per request (JPEG quality
    :data:`~openclarify.data.pixels.JPEG_QUALITY`) — what Clarify sends ("converts
    the raw RGB data of an image into a compatible image format, such as JPEG …
    before it sends the data to the endpoint").
``application/x-npy``
    ``numpy.save`` bytes of the ``uint8`` array: one ``(H, W, 3)`` image per
    request by default (every server style accepts it: EX-OD's server adds the
    batch axis itself), or, with ``predictor.openclarify.npy_batch: true``, one
    ``(N, H, W, 3)`` batch per request for models that take a batch (then the
    response must hold one prediction per image, as for tabular batches).

The response is parsed like any other (``accept_type`` default
``application/json`` for image datasets, contract modalities §2.1).
"""

from __future__ import annotations

import io
from typing import Final

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = [
    "IMAGE_COLUMN",
    "IMAGE_CONTENT_TYPES",
    "IMAGE_DATASET",
    "ImageSerializer",
    "image_content_type",
]

IMAGE_DATASET: Final = "application/x-image"
JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
NPY: Final = "application/x-npy"
IMAGE_CONTENT_TYPES: Final = (PNG, JPEG, NPY)
#: The one "feature" column of an image batch.
IMAGE_COLUMN: Final = "image"
_WHERE: Final = "$.predictor.content_type"


def image_content_type(content_type: str | None) -> str:
    """``predictor.content_type`` of an image dataset (default ``image/jpeg``).

    Raises
    ------
    ConfigError
        Any other type; ``image/jpg`` (accepted by older SDKs) with the words of
        Clarify's own error (contract modalities §2.1).
    """
    if content_type is None:
        return JPEG
    if content_type not in IMAGE_CONTENT_TYPES:
        valid = ",".join(f"{i}. {t}" for i, t in enumerate(IMAGE_CONTENT_TYPES, start=1))
        raise ConfigError(
            _WHERE,
            f"Unsupported content type {content_type}.Please provide one of the valid "
            f"content_types:{valid}",
            "use image/jpeg, image/png or application/x-npy for application/x-image datasets",
        )
    return content_type


class ImageSerializer:
    """Turns a batch of images into one request body (see the module docstring).

    Parameters
    ----------
    content_type:
        ``image/jpeg``, ``image/png`` or ``application/x-npy``.
    npy_batch:
        Send ``application/x-npy`` batches as one ``(N, H, W, 3)`` array.
    """

    def __init__(self, content_type: str, npy_batch: bool = False) -> None:
        self.content_type = content_type
        self.npy_batch = npy_batch and content_type == NPY
        #: One image per request unless batches of arrays were asked for.
        self.one_record_per_request = not self.npy_batch

    def serialize(self, rows: pd.DataFrame) -> bytes:
        """The request body for ``rows`` (one image, or a batch of arrays)."""
        cells = rows[IMAGE_COLUMN].tolist()
        if self.one_record_per_request and len(cells) != 1:
            raise ValueError(f"{self.content_type} takes one image per request, got {len(cells)}")
        if self.content_type == NPY:
            array = np.stack([c.pixels() for c in cells]) if self.npy_batch else cells[0].pixels()
            out = io.BytesIO()
            np.save(out, np.ascontiguousarray(array, dtype=np.uint8), allow_pickle=False)
            return out.getvalue()
        from ..data.pixels import encode

        return encode(cells[0].pixels(), "JPEG" if self.content_type == JPEG else "PNG")
