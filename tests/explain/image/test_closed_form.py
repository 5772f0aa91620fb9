"""Known answers for Kernel SHAP over segments: closed forms, efficiency, symmetry, shap.

A classifier whose score is the mean brightness of a fixed region ``R`` is
additive in the coalition: ``v(z) = Σ_j [z_j Σ_{p ∈ R∩S_j} x_p + (1 − z_j) Σ_{p ∈ R∩S_j} b_p]
/ (3·255·|R|)``, so its Shapley values are exactly
``φ_j = Σ_{p ∈ R∩S_j} (x_p − b_p) / (3·255·|R|)`` — zero for segments outside ``R``,
proportional to the overlap for flat colours.
"""

from __future__ import annotations

import numpy as np
import pytest
import shap

from openclarify.explain.image.explain import explain_classification
from openclarify.explain.image.masking import MaskedImage
from openclarify.explain.image.segments import segment

from .helpers import REGION, blocks, brightness, grid_labels, in_process, settings, smooth

# Closed forms and exact enumeration agree up to float64 rounding of sums of a few
# thousand terms of size ~1 (the least-squares solve of 2^M − 2 rows): 1e-10 is far
# below any difference a bug would make (a wrong segment is off by ≥ 1e-3 here).
EXACT = 1e-10


def closed_form(image: np.ndarray, baseline: np.ndarray, labels: np.ndarray) -> np.ndarray:
    m = int(labels.max()) + 1
    region = np.zeros(labels.shape, dtype=bool)
    region[REGION] = True
    diff = (image.astype(np.float64) - baseline.astype(np.float64)).sum(axis=2)
    size = region.sum() * 3 * 255.0
    return np.array([diff[region & (labels == j)].sum() / size for j in range(m)])


def test_region_brightness_gets_exact_attributions_proportional_to_overlap() -> None:
    image = blocks()
    baseline = np.zeros_like(image)
    labels = grid_labels(48, 64, 3, 4)  # 12 segments, every coalition enumerated
    call, sent = in_process(brightness)
    every = settings(num_samples=2**12 - 2)
    result = explain_classification(image, baseline, labels, every, call)
    expected = closed_form(image, baseline, labels)
    np.testing.assert_allclose(result.shap[:, 1], expected, atol=EXACT)
    np.testing.assert_allclose(result.shap[:, 0], -expected, atol=EXACT)
    # segments with no pixel in R get exactly nothing; all others something
    region = np.zeros(labels.shape, dtype=bool)
    region[REGION] = True
    inside = {int(j) for j in np.unique(labels[region])}
    for j in range(12):
        assert (abs(result.shap[j, 1]) > 1e-6) == (j in inside and expected[j] != 0)
    # with a flat-grey image, φ_j ∝ |R ∩ S_j| (the overlap)
    grey = np.full_like(image, 200)
    flat = explain_classification(grey, baseline, labels, every, call)
    overlap = np.array([(region & (labels == j)).sum() for j in range(12)], dtype=np.float64)
    np.testing.assert_allclose(flat.shap[:, 1], overlap / overlap.sum() * 200 / 255, atol=EXACT)
    assert sum(sent) == 2 * (1 + 1 + 2**12 - 2)  # baseline, image, every coalition; twice


def test_efficiency_on_every_image_with_slic_segments_and_sampling() -> None:
    # 5 images, SLIC segments (≈ 20: sampled, not enumerated), a non-linear model
    def model(batch: np.ndarray) -> list[list[float]]:
        p = batch[:, :24, :32].mean(axis=(1, 2, 3)) / 255.0
        q = batch[:, 24:, 20:].std(axis=(1, 2, 3)) / 128.0
        s = 1 / (1 + np.exp(-(3 * p - 2 * q * p)))
        return [[float(1 - v), float(v)] for v in s]

    call, _ = in_process(model)
    for seed in range(5):
        image = smooth(seed=seed)
        baseline = np.random.default_rng(seed).integers(0, 256, image.shape, dtype=np.uint8)
        labels = segment(image, 20, 5)
        assert int(labels.max()) + 1 >= 12  # 2^M − 2 > 64: sampled, efficiency imposed
        result = explain_classification(image, baseline, labels, settings(num_samples=64), call)
        full = np.asarray(model(image[None].astype(np.float64))[0])
        empty = np.asarray(model(baseline[None].astype(np.float64))[0])
        # efficiency holds to rounding (a constrained solve): 1e-12 on scores in [0, 1]
        np.testing.assert_allclose(result.expected_value, empty, atol=1e-12)
        np.testing.assert_allclose(
            result.expected_value + result.shap.sum(axis=0), full, atol=1e-12
        )


def test_segment_permutation_permutes_the_attributions() -> None:
    def model(batch: np.ndarray) -> list[list[float]]:
        a = batch[:, :24, :32].mean(axis=(1, 2, 3)) / 255.0
        b = batch[:, 24:, 32:].mean(axis=(1, 2, 3)) / 255.0
        return [[float(v)] for v in a * b + 0.3 * np.sqrt(a)]  # interactions

    image = blocks(seed=3)
    baseline = np.full_like(image, 17)
    labels = grid_labels(48, 64, 2, 4)
    permutation = np.random.default_rng(1).permutation(8)
    relabelled = permutation[labels]
    call, _ = in_process(model)
    one = explain_classification(image, baseline, labels, settings(label_headers=("s",)), call)
    two = explain_classification(image, baseline, relabelled, settings(label_headers=("s",)), call)
    np.testing.assert_allclose(two.shap[permutation, 0], one.shap[:, 0], atol=EXACT)


def test_agrees_with_shap_kernel_explainer_on_the_same_coalition_problem() -> None:
    # shap's KernelExplainer on v(z) = f(h(z)) with background z = 0, explaining z = 1:
    # both enumerate all 2^M − 2 coalitions for M = 9, so both are exact.
    def model(batch: np.ndarray) -> list[list[float]]:
        a = batch[:, :24, :32].mean(axis=(1, 2, 3)) / 255.0
        b = batch[:, 16:40, 20:60].max(axis=(1, 2, 3)) / 255.0
        return [[float(v)] for v in np.tanh(2 * a * b) + a**2]

    image = blocks(seed=5)
    baseline = np.random.default_rng(9).integers(0, 256, image.shape, dtype=np.uint8)
    labels = grid_labels(48, 64, 3, 3)
    call, _ = in_process(model)
    ours = explain_classification(image, baseline, labels, settings(label_headers=("s",)), call)

    def coalition_value(z: np.ndarray) -> np.ndarray:
        cells = [MaskedImage(image, baseline, labels, row > 0.5) for row in z]
        batch = np.stack([c.pixels() for c in cells]).astype(np.float64)
        return np.asarray(model(batch))[:, 0]

    explainer = shap.KernelExplainer(coalition_value, np.zeros((1, 9)))
    theirs = explainer.shap_values(np.ones((1, 9)), nsamples=2**9 - 2, silent=True)
    np.testing.assert_allclose(ours.shap[:, 0], np.asarray(theirs).reshape(-1), atol=1e-9)
    assert float(explainer.expected_value) == pytest.approx(
        float(ours.expected_value[0]), abs=1e-12
    )
