"""Object detection: the detections of a response, the objects explained, their scores.

A detection is ``[class_id, confidence, xmin/w, ymin/h, xmax/w, ymax/h]``
(contract §6.9; EX-OD's server and the built-in algorithm answer lists of such
rows).  The rules (contract modalities §2.2; the parts marked *ours* are
decisions where the documentation is silent):

1. Detections with ``confidence < probability_threshold`` are dropped.
2. The ``max_objects`` with the highest confidence are explained, one Kernel
   SHAP problem each (ties keep the model's order); with
   ``debug.class_ids`` only detections of those classes are candidates.
3. In every masked image the object's score is the confidence of the detection
   that matches it: the same class (*ours*: a box of another class is another
   object) and ``IoU ≥ iou_threshold``; of several, the one with the highest IoU
   (then the highest confidence).  No match scores 0 (*ours*).  Matching
   detections are *not* filtered by ``probability_threshold`` (*ours*: the score
   must fall smoothly as evidence is masked, not jump to 0 at the threshold).

The detections of one image are read from its model output after unwrapping
leading axes of length 1, so ``[[row, …]]`` (one image, EX-OD's server) and
``(images, batch, detections, 6)`` tensors with one image and one batch read as
``[row, …]``.  An empty list is "no detection".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import PredictorError

__all__ = ["Detection", "detections", "explained_objects", "iou", "matched_scores"]

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Detection:
    """One detected object: its class, confidence and normalised box."""

    class_id: float
    score: float
    box: Box


def detections(value: Any, where: str) -> list[Detection]:
    """The detections in one image's model output (``where`` names the image).

    Raises
    ------
    PredictorError
        The output is not a list of 6-number rows.
    """
    fix = (
        "make the model return [class_id, confidence, xmin, ymin, xmax, ymax] rows, or point "
        "predictor.label (or probability) at them"
    )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise PredictorError(
            "$.predictor", f"the model's detections for {where} are not a list of numbers", fix
        ) from None
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.size == 0:
        return []
    if array.ndim != 2 or array.shape[1] != 6:
        raise PredictorError(
            "$.predictor",
            f"the model's detections for {where} have shape {array.shape}, expected (n, 6)",
            fix,
        )
    if np.isnan(array).any():
        raise PredictorError("$.predictor", f"the model's detections for {where} hold NaN", fix)
    return [Detection(float(r[0]), float(r[1]), (r[2], r[3], r[4], r[5])) for r in array.tolist()]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``[x0, y0, x1, y1]`` boxes, in ``[0, 1]``.

    ``|a ∩ b| / (|a| + |b| − |a ∩ b|)``; 0 when the union is empty.
    """
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(width, 0.0) * max(height, 0.0)
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def explained_objects(
    found: Sequence[Detection],
    probability_threshold: float,
    max_objects: int,
    class_ids: Sequence[int] | None = None,
) -> list[Detection]:
    """Rules 1 and 2: the objects to explain, by decreasing confidence."""
    kept = [d for d in found if d.score >= probability_threshold]
    if class_ids is not None:
        wanted = {float(c) for c in class_ids}
        kept = [d for d in kept if d.class_id in wanted]
    order = sorted(range(len(kept)), key=lambda i: -kept[i].score)  # stable: ties in order
    return [kept[i] for i in order[:max_objects]]


def matched_scores(
    objects: Sequence[Detection], found: Sequence[Detection], iou_threshold: float
) -> NDArray[np.float64]:
    """Rule 3: the score of each object in one masked image's detections, ``(K,)``."""
    out = np.zeros(len(objects))
    for k, target in enumerate(objects):
        best: tuple[float, float] | None = None
        for candidate in found:
            if candidate.class_id != target.class_id:
                continue
            overlap = iou(target.box, candidate.box)
            if overlap >= iou_threshold and (best is None or (overlap, candidate.score) > best):
                best = (overlap, candidate.score)
        out[k] = best[1] if best is not None else 0.0
    return out
