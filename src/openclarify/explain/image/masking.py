"""Masked images: a coalition of segments shown, the others replaced by the baseline.

For an image ``x``, a baseline image ``b`` of the same size (the configured mask
image resized to ``x``, or noise), the SLIC label map ``L`` and a coalition
``z ∈ {0, 1}^M`` the model is sent

.. math:: h(z)[p] = x[p] \\text{ if } z_{L[p]} = 1 \\text{ else } b[p]

for every pixel ``p`` (contract §6.9: "an absent segment's pixels are taken from
the baseline image").  :class:`MaskedImage` holds the coalition, not the pixels:
they are built when the request is serialised, so a Kernel SHAP call of
thousands of coalitions holds one mask vector per coalition and only the images
of the requests in flight.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["MaskedImage", "box_pixels", "with_context"]


class MaskedImage:
    """One coalition of one image (a cell of an image request batch).

    Parameters
    ----------
    image, baseline:
        ``uint8`` arrays ``(H, W, 3)`` (shared, never modified).
    labels:
        Segment of each pixel, ``(H, W)`` in ``0 … M − 1``.
    present:
        ``(M,)`` bool: the segments taken from ``image``.
    """

    __slots__ = ("baseline", "image", "labels", "present")

    def __init__(
        self,
        image: NDArray[np.uint8],
        baseline: NDArray[np.uint8],
        labels: NDArray[np.intp],
        present: NDArray[np.bool_],
    ) -> None:
        self.image = image
        self.baseline = baseline
        self.labels = labels
        self.present = present

    def pixels(self) -> NDArray[np.uint8]:
        """``h(z)``: the image where the coalition has its segments, the baseline elsewhere."""
        keep = self.present[self.labels]
        return np.where(keep[..., None], self.image, self.baseline)

    def __repr__(self) -> str:  # never the pixels (messages must not carry data)
        return f"MaskedImage({int(self.present.sum())} of {len(self.present)} segments)"


def box_pixels(
    box: tuple[float, float, float, float], height: int, width: int
) -> NDArray[np.bool_]:
    """Pixels inside a box of normalised ``[xmin/w, ymin/h, xmax/w, ymax/h]`` coordinates.

    A pixel is inside when its centre ``((x + ½)/w, (y + ½)/h)`` is in the closed
    box: a box covering the image covers every pixel, a degenerate box none.
    """
    x0, y0, x1, y1 = box
    xs = (np.arange(width) + 0.5) / width
    ys = (np.arange(height) + 0.5) / height
    inside_x = (xs >= x0) & (xs <= x1)
    inside_y = (ys >= y0) & (ys <= y1)
    return inside_y[:, None] & inside_x[None, :]


def with_context(
    image: NDArray[np.uint8],
    baseline: NDArray[np.uint8],
    box: tuple[float, float, float, float],
    context: float,
) -> NDArray[np.uint8]:
    """The image explained for one detected object, given ``image_config.context``.

    Inside the box the image is unchanged; outside it each pixel is
    ``context · x + (1 − context) · b`` (rounded to the nearest integer): ``1``
    keeps the whole image (the default), ``0`` replaces everything outside the
    box by the baseline, so segments entirely outside it cannot change the
    model's answer and get exactly 0.  The documentation only fixes the ends
    ("``0`` to mask everything, or ``1`` to mask nothing"); the linear blend in
    between is our choice.
    """
    if context >= 1.0:
        return image
    inside = box_pixels(box, image.shape[0], image.shape[1])
    blended = np.rint(
        context * image.astype(np.float64) + (1.0 - context) * baseline.astype(np.float64)
    ).astype(np.uint8)
    return np.where(inside[..., None], image, blended)
