"""Heat-map images: segment attributions over the image, blue positive, red negative.

Each segment ``j`` is tinted with blue (``φ_j > 0``) or red (``φ_j < 0``) at opacity
``MAX_ALPHA · |φ_j| / max_i |φ_i|`` (the strongest segment at ``MAX_ALPHA``, a zero
segment untinted), segment boundaries are drawn in yellow, and for a detected
object its box in green.  Colours follow Clarify's notebook legend ("Shades of
Blue: positive Shapley values … Shades of Red: negative Shapley values").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

from .detection import Box
from .segments import boundaries

__all__ = ["MAX_ALPHA", "boxes_image", "heat_map"]

POSITIVE: Final = np.array([0.0, 0.0, 255.0])
NEGATIVE: Final = np.array([255.0, 0.0, 0.0])
BOUNDARY: Final = np.array([255, 255, 0], dtype=np.uint8)
BOX: Final = np.array([0, 255, 0], dtype=np.uint8)
#: Opacity of the strongest segment: strong enough to read the sign at a glance,
#: weak enough to see what the segment shows.
MAX_ALPHA: Final = 0.6


def _outline(out: NDArray[np.uint8], box: Box, colour: NDArray[np.uint8]) -> None:
    """Draw a box of normalised coordinates in place, 2 pixels wide, clipped to the image."""
    height, width = out.shape[:2]
    x0 = int(np.clip(np.floor(box[0] * width), 0, width - 1))
    x1 = int(np.clip(np.ceil(box[2] * width) - 1, 0, width - 1))
    y0 = int(np.clip(np.floor(box[1] * height), 0, height - 1))
    y1 = int(np.clip(np.ceil(box[3] * height) - 1, 0, height - 1))
    out[y0 : y0 + 2, x0 : x1 + 1] = colour
    out[max(y1 - 1, 0) : y1 + 1, x0 : x1 + 1] = colour
    out[y0 : y1 + 1, x0 : x0 + 2] = colour
    out[y0 : y1 + 1, max(x1 - 1, 0) : x1 + 1] = colour


def heat_map(
    pixels: NDArray[np.uint8],
    labels: NDArray[np.intp],
    values: NDArray[np.float64],
    box: Box | None = None,
) -> NDArray[np.uint8]:
    """The heat map of ``values`` (one per segment of ``labels``) over ``pixels``."""
    values = np.asarray(values, dtype=np.float64)
    scale = float(np.abs(values).max()) if values.size else 0.0
    alpha = MAX_ALPHA * np.abs(values) / scale if scale > 0 else np.zeros_like(values)
    colour = np.where(values[:, None] > 0, POSITIVE[None, :], NEGATIVE[None, :])
    a = alpha[labels][..., None]
    blended = (1.0 - a) * pixels.astype(np.float64) + a * colour[labels]
    out = np.rint(blended).astype(np.uint8)
    out[boundaries(labels)] = BOUNDARY
    if box is not None:
        _outline(out, box, BOX)
    return out


def boxes_image(pixels: NDArray[np.uint8], boxes: Sequence[Box]) -> NDArray[np.uint8]:
    """``pixels`` with every explained object's box drawn (``<stem>_objects.jpeg``)."""
    out = pixels.copy()
    for box in boxes:
        _outline(out, box, BOX)
    return out
