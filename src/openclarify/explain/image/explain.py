"""Kernel SHAP over the super-pixels of one image (classification or detection).

The players are the ``M`` SLIC segments.  The record is "every segment shown"
(``z = 1``), the one baseline row "every segment replaced by the baseline image"
(``z = 0``), and a coalition ``z`` is evaluated on the masked image ``h(z)``
(:mod:`.masking`), so the project's estimator (:func:`openclarify.explain.kernel_shap.explain`)
solves exactly the image problem: with ``num_samples ≥ 2^M − 2`` (the default
for ``M ≤ 11``) the values are the exact Shapley values of
``v(z) = f(h(z))``, and always ``v(0) + Σ_j φ_j = v(1)`` (efficiency: the baseline
image's score plus the attributions is the image's score).

Classification explains every score the model returns (one column per label of
``predictor.label_headers``).  Detection explains, for each object of
:func:`~.detection.explained_objects`, the confidence of its match
(:func:`~.detection.matched_scores`); with ``context = 1`` all objects share the
same masked images (one model call per coalition for all of them), otherwise each
object is its own problem on its own image (:func:`~.masking.with_context`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...errors import PredictorError
from ...predict.images import IMAGE_COLUMN
from ...predict.output import ModelOutput, score_matrix
from .. import kernel_shap
from .detection import Detection, detections, explained_objects, matched_scores
from .masking import MaskedImage, with_context

__all__ = [
    "ImageSettings",
    "ObjectExplanation",
    "SegmentExplanation",
    "explain_classification",
    "explain_detection",
]

#: Sends masked images to the model: ``call(cells) -> outputs``, one per cell, in order.
ModelCall = Callable[[list[MaskedImage]], ModelOutput]


@dataclass(frozen=True)
class ImageSettings:
    """The settings of ``methods.shap`` and ``image_config`` one image needs (defaults applied)."""

    num_samples: int | None
    seed: int | None
    use_logit: bool
    label_headers: tuple[object, ...]
    probability_threshold: float = 0.5
    max_objects: int = 3
    iou_threshold: float = 0.5
    context: float = 1.0
    class_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class SegmentExplanation:
    """The Kernel SHAP result of one image, all explained outputs at once.

    Attributes
    ----------
    shap : ndarray, shape (M, K)
        Attribution of segment ``j`` to output ``k`` (in link space).
    expected_value : ndarray, shape (K,)
        ``g(f(baseline image))``.
    prediction : ndarray, shape (K,)
        ``g(f(image))`` = ``expected_value + shap.sum(axis=0)``.
    """

    shap: NDArray[np.float64]
    expected_value: NDArray[np.float64]

    @property
    def prediction(self) -> NDArray[np.float64]:
        return np.asarray(self.expected_value + self.shap.sum(axis=0), dtype=np.float64)


@dataclass(frozen=True)
class ObjectExplanation:
    """One detected object and its segment attributions (``shap`` of shape ``(M,)``)."""

    detection: Detection
    shap: NDArray[np.float64]
    expected_value: float


def _segment_shap(
    score: Callable[[NDArray[np.bool_]], NDArray[np.float64]],
    m: int,
    settings: ImageSettings,
    index: int,
) -> SegmentExplanation:
    """Kernel SHAP of ``score(masks[S, M]) -> scores[S, K]`` over ``M`` segments."""

    def predict(rows: NDArray[np.float64]) -> NDArray[np.float64]:
        return score(np.asarray(rows) > 0.5)

    result = kernel_shap.explain(
        predict,
        np.ones((1, m)),
        np.zeros((1, m)),
        num_samples=settings.num_samples,
        seed=settings.seed,
        row_offset=index,
        use_logit=settings.use_logit,
    )
    return SegmentExplanation(result.phi[0], result.expected_value)


def explain_classification(
    image: NDArray[np.uint8],
    baseline: NDArray[np.uint8],
    labels: NDArray[np.intp],
    settings: ImageSettings,
    call: ModelCall,
    *,
    index: int = 0,
    name: str = "the image",
) -> SegmentExplanation:
    """Attributions of every score of a classifier to the segments of ``image``.

    Raises
    ------
    PredictorError
        The model returns a number of scores other than ``len(label_headers)`` (one
        score with two headers is the score of the second, the positive class).
    """
    m = int(labels.max()) + 1
    expected = len(settings.label_headers)

    def score(masks: NDArray[np.bool_]) -> NDArray[np.float64]:
        cells = [MaskedImage(image, baseline, labels, mask) for mask in masks]
        scores = score_matrix(call(cells))
        # one score with two label headers: the positive class's score, as for tabular data
        if scores.shape[1] != expected and not (scores.shape[1] == 1 and expected == 2):
            raise PredictorError(
                "$.predictor.label_headers",
                f"the model returned {scores.shape[1]} scores for {name} but "
                f"label_headers names {expected} classes",
                "give one label header per score (point predictor.probability at the scores)",
            )
        return scores

    return _segment_shap(score, m, settings, index)


def _detections_of(output: ModelOutput, n: int, name: str) -> list[list[Detection]]:
    values = output.scores if output.scores is not None else output.labels
    if values is None or len(values) != n:
        raise PredictorError(
            "$.predictor",
            f"the model returned {0 if values is None else len(values)} detection lists for "
            f"{n} images of {name}",
            "return one list of detections per image",
        )
    return [detections(v, name) for v in values]


def original_detections(image: NDArray[np.uint8], call: ModelCall, name: str) -> list[Detection]:
    """The model's detections on the unmasked image."""
    everything = np.ones(1, dtype=bool)
    cell = MaskedImage(image, image, np.zeros(image.shape[:2], dtype=np.intp), everything)
    return _detections_of(call([cell]), 1, name)[0]


def explain_detection(
    image: NDArray[np.uint8],
    baseline: NDArray[np.uint8],
    labels: NDArray[np.intp],
    objects: Sequence[Detection],
    settings: ImageSettings,
    call: ModelCall,
    *,
    index: int = 0,
    name: str = "the image",
) -> list[ObjectExplanation]:
    """Attributions of each object's matched confidence to the segments of ``image``."""
    m = int(labels.max()) + 1
    if not objects:
        return []

    def run(shown: NDArray[np.uint8], targets: Sequence[Detection]) -> SegmentExplanation:
        def score(masks: NDArray[np.bool_]) -> NDArray[np.float64]:
            cells = [MaskedImage(shown, baseline, labels, mask) for mask in masks]
            found = _detections_of(call(cells), len(cells), name)
            return np.stack([matched_scores(targets, f, settings.iou_threshold) for f in found])

        return _segment_shap(score, m, settings, index)

    if settings.context >= 1.0:
        together = run(image, objects)
        return [
            ObjectExplanation(o, together.shap[:, k], float(together.expected_value[k]))
            for k, o in enumerate(objects)
        ]
    out = []
    for target in objects:
        one = run(with_context(image, baseline, target.box, settings.context), [target])
        out.append(ObjectExplanation(target, one.shap[:, 0], float(one.expected_value[0])))
    return out


def choose_objects(found: Sequence[Detection], settings: ImageSettings) -> list[Detection]:
    """The objects to explain (:func:`~.detection.explained_objects` with the settings)."""
    return explained_objects(
        found, settings.probability_threshold, settings.max_objects, settings.class_ids
    )


def call_session(outputs: Callable[[pd.DataFrame], ModelOutput]) -> ModelCall:
    """A :data:`ModelCall` through a model session's ``outputs`` (batched, retried)."""

    def call(cells: list[MaskedImage]) -> ModelOutput:
        return outputs(pd.DataFrame({IMAGE_COLUMN: pd.Series(cells, dtype=object)}))

    return call
