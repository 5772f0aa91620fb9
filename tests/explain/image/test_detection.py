"""Object detection: parsing detections, the objects explained, matching by IoU, context."""

from __future__ import annotations

import numpy as np
import pytest

from openclarify.errors import PredictorError
from openclarify.explain.image.detection import (
    Detection,
    detections,
    explained_objects,
    iou,
    matched_scores,
)
from openclarify.explain.image.explain import explain_detection, original_detections
from openclarify.explain.image.masking import box_pixels, with_context

from .helpers import grid_labels, in_process, settings, smooth


def test_iou_closed_forms() -> None:
    assert iou((0, 0, 1, 1), (0, 0, 1, 1)) == 1.0
    assert iou((0, 0, 1, 1), (0, 0, 0.5, 1)) == 0.5  # exactly representable
    assert iou((0, 0, 0.5, 0.5), (0.5, 0.5, 1, 1)) == 0.0  # touching corners
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0  # empty union
    # |∩| = 0.25, |∪| = 1 + 1 − 0.25 for two unit squares offset by half in x and y
    assert iou((0, 0, 1, 1), (0.5, 0.5, 1.5, 1.5)) == pytest.approx(0.25 / 1.75, abs=1e-15)


def test_match_at_the_threshold_counts_and_below_it_scores_zero() -> None:
    target = Detection(3, 0.9, (0, 0, 1, 1))
    half = Detection(3, 0.7, (0, 0, 0.5, 1))  # IoU exactly 0.5
    assert matched_scores([target], [half], 0.5).tolist() == [0.7]
    assert matched_scores([target], [half], 0.5000001).tolist() == [0.0]  # no match: 0
    assert matched_scores([target], [], 0.5).tolist() == [0.0]
    other_class = Detection(4, 0.8, (0, 0, 1, 1))
    assert matched_scores([target], [other_class], 0.5).tolist() == [0.0]
    # several matches: the best overlap supplies the score (not the highest score)
    best = Detection(3, 0.2, (0, 0, 0.9, 1))
    assert matched_scores([target], [half, best], 0.5).tolist() == [0.2]


def test_objects_below_the_probability_threshold_are_dropped_and_top_k_kept() -> None:
    found = [
        Detection(1, 0.49, (0, 0, 1, 1)),
        Detection(1, 0.5, (0, 0, 0.5, 0.5)),  # at the threshold: kept
        Detection(2, 0.95, (0.5, 0.5, 1, 1)),
        Detection(3, 0.8, (0, 0.5, 0.5, 1)),
        Detection(4, 0.8, (0.5, 0, 1, 0.5)),
    ]
    chosen = explained_objects(found, 0.5, 3)
    assert [d.class_id for d in chosen] == [2, 3, 4]  # ties keep the model's order
    assert [d.score for d in explained_objects(found, 0.5, 10)] == [0.95, 0.8, 0.8, 0.5]
    assert [d.class_id for d in explained_objects(found, 0.5, 10, class_ids=[1])] == [1]
    assert explained_objects(found, 0.99, 3) == []


@pytest.mark.parametrize(
    "value",
    [
        [[1, 0.9, 0, 0, 1, 1]],  # (D, 6)
        [[[1, 0.9, 0, 0, 1, 1]]],  # (1, D, 6): one image
        [[[[1, 0.9, 0, 0, 1, 1]]]],  # (1, 1, D, 6): one image, one batch
    ],
)
def test_detections_read_with_leading_single_axes(value: object) -> None:
    assert detections(value, "a.jpg") == [Detection(1.0, 0.9, (0.0, 0.0, 1.0, 1.0))]


def test_no_detection_and_malformed_detections() -> None:
    assert detections([], "a.jpg") == []
    assert detections([[]], "a.jpg") == []
    for bad in ([[1, 0.9, 0, 0, 1]], [[1, 0.9], [1, 2, 3]], {"x": 1}, [[1, "a", 0, 0, 1, 1]]):
        with pytest.raises(PredictorError) as error:
            detections(bad, "a.jpg")
        assert "a.jpg" in str(error.value)
        assert "[class_id, confidence, xmin, ymin, xmax, ymax]" in str(error.value)


def _detector(batch: np.ndarray) -> list[list[list[float]]]:
    """Class 1 in the top-left quarter (score = its brightness), class 2 fixed."""
    out = []
    for image in batch:
        score = float(image[:24, :32].mean() / 255)
        out.append([[1, score, 0, 0, 0.5, 0.5], [2, 0.3, 0.5, 0.5, 1, 1], [5, 0.1, 0, 0, 1, 1]])
    return out


def test_detection_attributions_match_the_closed_form_and_efficiency() -> None:
    image = smooth(seed=2)
    baseline = np.zeros_like(image)
    labels = grid_labels(48, 64, 2, 4)  # top-left quarter = segments 0 and 1
    call, sent = in_process(_detector)
    found = original_detections(image, call, "a.jpg")
    assert len(found) == 3
    objects = explained_objects(found, 0.25, 3)
    assert [o.class_id for o in objects] == [1, 2] or [o.class_id for o in objects] == [2, 1]
    result = explain_detection(image, baseline, labels, objects, settings(), call)
    by_class = {o.detection.class_id: o for o in result}
    # class 1's score is additive in the segments: exact Shapley values
    quarter = image[:24, :32].astype(np.float64).sum(axis=2) / (24 * 32 * 3 * 255)
    expected = np.zeros(8)
    expected[0] = quarter[:, :16].sum()
    expected[1] = quarter[:, 16:].sum()
    np.testing.assert_allclose(by_class[1].shap, expected, atol=1e-10)
    assert by_class[1].expected_value == 0.0  # black baseline: brightness 0
    # class 2 never changes: a constant score gets nothing
    np.testing.assert_allclose(by_class[2].shap, 0.0, atol=1e-12)
    for item in result:  # efficiency: expected value + Σφ = the object's score
        assert item.expected_value + item.shap.sum() == pytest.approx(
            item.detection.score, abs=1e-12
        )
    # context = 1: both objects from one set of masked images (2^8 − 2 + 2, + the original)
    assert sum(sent) == 1 + 1 + 1 + 2**8 - 2


def test_context_zero_masks_everything_outside_the_box() -> None:
    image = smooth(seed=4)
    baseline = np.full_like(image, 9)
    box = (0.0, 0.0, 0.5, 0.5)
    shown = with_context(image, baseline, box, 0.0)
    inside = box_pixels(box, 48, 64)
    assert inside.sum() == 24 * 32
    assert (shown[inside] == image[inside]).all() and (shown[~inside] == 9).all()
    half = with_context(image, baseline, box, 0.5)
    np.testing.assert_array_equal(
        half[~inside], np.rint((image[~inside].astype(float) + 9) / 2).astype(np.uint8)
    )
    assert with_context(image, baseline, box, 1.0) is image

    def model(batch: np.ndarray) -> list[list[list[float]]]:  # looks at the whole image
        return [[[1, float(img.mean() / 255), 0, 0, 0.5, 0.5]] for img in batch]

    call, _ = in_process(model)
    labels = grid_labels(48, 64, 2, 4)
    objects = [Detection(1, 0.5, box)]
    result = explain_detection(image, baseline, labels, objects, settings(context=0.0), call)
    # segments 2, 3 (top right) and 4-7 (bottom) lie outside the box: exactly 0
    np.testing.assert_allclose(result[0].shap[2:], 0.0, atol=1e-12)
    assert np.abs(result[0].shap[:2]).min() > 1e-4
