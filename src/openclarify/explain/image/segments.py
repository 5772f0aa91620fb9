"""SLIC super-pixels: the one module that imports scikit-image (the ``image`` extra).

Each segment of an image is one player of Kernel SHAP (contract §6.9: "Each
segment of the image is considered a feature").
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import ConfigError

__all__ = ["boundaries", "require_scikit_image", "segment"]


def _skimage_segmentation() -> Any:
    try:
        from skimage import segmentation
    except ImportError as exc:
        from ...data.pixels import EXTRA_FIX

        raise ConfigError(
            "$.methods.shap.image_config",
            "image explanations need scikit-image, which is not installed",
            EXTRA_FIX,
        ) from exc
    return segmentation


def require_scikit_image() -> None:
    """Raise the "install the image extra" :class:`ConfigError` when scikit-image is missing."""
    _skimage_segmentation()


def segment(pixels: NDArray[np.uint8], num_segments: int, compactness: float) -> NDArray[np.intp]:
    """The SLIC label map of an RGB image: ``labels[y, x]`` in ``0 … M − 1``.

    ``skimage.segmentation.slic(pixels, n_segments=num_segments,
    compactness=segment_compactness, start_label=0)`` on the RGB array (SLIC
    converts it to CIELAB itself), then renumbered so that the labels used are
    exactly ``0 … M − 1`` in order of first appearance in raster order — SLIC may
    leave numbers unused, and a player without a pixel would get attribution for
    nothing.  ``M`` is near, not equal to, ``num_segments`` ("approximate
    number of segments").
    """
    segmentation = _skimage_segmentation()
    raw = np.asarray(
        segmentation.slic(
            pixels, n_segments=num_segments, compactness=float(compactness), start_label=0
        )
    )
    _, first, inverse = np.unique(raw.reshape(-1), return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # rank of each label by first appearance
    return np.asarray(order[inverse].reshape(raw.shape), dtype=np.intp)


def boundaries(labels: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Pixels on a boundary between two segments (``find_boundaries``, mode ``inner``)."""
    segmentation = _skimage_segmentation()
    return np.asarray(segmentation.find_boundaries(labels, mode="inner"), dtype=bool)
