"""Images, models and model calls for the image-explanation tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from openclarify.explain.image.explain import ImageSettings, ModelCall
from openclarify.explain.image.masking import MaskedImage
from openclarify.predict.output import ModelOutput

#: The region a "brightness" classifier looks at: rows 0-23, columns 0-31.
REGION = (slice(0, 24), slice(0, 32))


def blocks(height: int = 48, width: int = 64, seed: int = 0) -> NDArray[np.uint8]:
    """An image of flat rectangles of random colours (SLIC finds them reliably)."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    for top in range(0, height, 16):
        for left in range(0, width, 16):
            image[top : top + 16, left : left + 16] = rng.integers(0, 256, 3)
    return image


def smooth(height: int = 48, width: int = 64, seed: int = 0) -> NDArray[np.uint8]:
    """A smooth colour pattern (sines): SLIC gives it about the segments asked for.

    (SLIC's connectivity step merges the fragments of noisy or flat images into very
    few segments; photographs and smooth patterns segment as asked.)
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    channels = [
        127
        + 120
        * np.sin(2 * np.pi * (rng.uniform(0.5, 2) * x + rng.uniform(0.5, 2) * y + rng.uniform()))
        for _ in range(3)
    ]
    return np.stack(channels, axis=-1).astype(np.uint8)


def grid_labels(height: int, width: int, rows: int, cols: int) -> NDArray[np.intp]:
    """A label map of ``rows × cols`` rectangles (segments without SLIC)."""
    y = np.minimum(np.arange(height) * rows // height, rows - 1)
    x = np.minimum(np.arange(width) * cols // width, cols - 1)
    return np.asarray(y[:, None] * cols + x[None, :], dtype=np.intp)


def brightness(batch: NDArray[np.float64]) -> list[list[float]]:
    """Scores ``[1 − p, p]`` with ``p`` the mean brightness of :data:`REGION` in [0, 1]."""
    p = batch[:, REGION[0], REGION[1]].mean(axis=(1, 2, 3)) / 255.0
    return [[float(1 - v), float(v)] for v in p]


def in_process(model: Callable[[NDArray[np.float64]], list[object]]) -> tuple[ModelCall, list[int]]:
    """A :data:`ModelCall` applying ``model`` to the masked images; counts images sent."""
    sent: list[int] = []

    def call(cells: list[MaskedImage]) -> ModelOutput:
        batch = np.stack([c.pixels() for c in cells]).astype(np.float64)
        sent.append(len(cells))
        return ModelOutput(list(model(batch)), None)

    return call, sent


def settings(**changes: object) -> ImageSettings:
    values: dict[str, object] = {
        "num_samples": None,
        "seed": 7,
        "use_logit": False,
        "label_headers": ("dark", "bright"),
    }
    values.update(changes)
    return ImageSettings(**values)  # type: ignore[arg-type]
