"""Heat maps as a user sees them: a rendered known case, decoded, pixel by pixel."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from openclarify.data import pixels
from openclarify.explain.image.heatmap import BOUNDARY, BOX, MAX_ALPHA, boxes_image, heat_map

from .helpers import grid_labels


def test_positive_is_blue_negative_red_zero_untouched_and_boundaries_yellow() -> None:
    grey = np.full((40, 60, 3), 128, dtype=np.uint8)
    labels = grid_labels(40, 60, 1, 3)  # three vertical strips of 20 columns
    out = heat_map(grey, labels, np.array([0.5, -1.0, 0.0]))
    # rendered to PNG and read back, as a user's viewer would
    decoded = np.asarray(Image.open(io.BytesIO(pixels.encode(out, "PNG"))))
    positive, negative, zero = decoded[20, 8], decoded[20, 28], decoded[20, 48]
    # strongest |φ| (strip 2) at MAX_ALPHA, strip 1 at half of it, towards blue / red
    a = MAX_ALPHA / 2
    assert positive.tolist() == [round(128 * (1 - a))] * 2 + [round(128 * (1 - a) + 255 * a)]
    b = MAX_ALPHA
    assert negative.tolist() == [round(128 * (1 - b) + 255 * b), round(128 * (1 - b))] * 1 + [
        round(128 * (1 - b))
    ]
    assert zero.tolist() == [128, 128, 128]
    assert decoded[20, 20].tolist() == BOUNDARY.tolist()  # first column of strip 2
    # and as a JPEG (lossy): the colours still read the right way round
    jpeg = np.asarray(Image.open(io.BytesIO(pixels.encode(out, "JPEG")))).astype(int)
    assert jpeg[20, 8, 2] > jpeg[20, 8, 0] + 40 and jpeg[20, 28, 0] > jpeg[20, 28, 2] + 80


def test_all_zero_attributions_leave_the_image_and_boxes_are_drawn() -> None:
    image = np.full((40, 40, 3), 50, dtype=np.uint8)
    labels = np.zeros((40, 40), dtype=np.intp)
    assert (heat_map(image, labels, np.zeros(1)) == image).all()
    boxed = boxes_image(image, [(0.25, 0.25, 0.75, 0.75)])
    assert boxed[10, 20].tolist() == BOX.tolist() and boxed[29, 20].tolist() == BOX.tolist()
    assert boxed[20, 20].tolist() == [50, 50, 50] and boxed[5, 5].tolist() == [50, 50, 50]
    assert (image == 50).all()  # drawn on a copy
