"""``methods.shap.image_config`` as a unit of the job: explain every image of the dataset.

Images are streamed: one is decoded, segmented, explained and drawn, its heat
maps are spooled to a temporary file, and only its attributions (``M × K``
numbers) are kept — a folder of 10,000 images holds one image (and the masked
images of the requests in flight) at a time.

Outputs (contract §4.6, §6.9; modalities §2.3, §2.4):

* heat maps directly under the output folder: detection
  ``shap_<stem>_box<k>_object.jpeg`` (``k`` from 1, one per explained object) and
  ``<stem>_objects.jpeg`` (every explained box), as observed; classification
  ``shap_<stem>.jpeg`` by the same rule (the name was never observed), the map of
  the predicted label (:func:`predicted`);
* ``explanations.kernel_shap_images`` in ``analysis.json`` — our documented
  extension (what Clarify writes for CV was never published; no existing key
  changes): one object per image, see :func:`image_entry` and :func:`objects_entry`.

The baseline (``methods.shap.baseline``) is the URI or path of one image, resized
to each input (bilinear); without it each image gets its own uniform RGB noise
image of its size, drawn from ``default_rng([seed or 0, index])`` so that runs
are reproducible.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from numpy.typing import NDArray

from ...errors import ConfigError
from ...methods import JobData, Needs
from ...predict.images import IMAGE_DATASET
from ...progress import report as report_progress
from ...results import AnalysisResult, OutputFile
from ..kernel_shap import logit
from .detection import Detection
from .explain import (
    ImageSettings,
    ObjectExplanation,
    SegmentExplanation,
    call_session,
    choose_objects,
    explain_classification,
    explain_detection,
    original_detections,
)

if TYPE_CHECKING:
    from ...config import AnalysisConfig

__all__ = ["IMAGE_SHAP", "SECTION", "ImageShapMethod"]

#: The ``explanations`` key of the per-image results (our extension).
SECTION: Final = "kernel_shap_images"
CLASSIFICATION: Final = "IMAGE_CLASSIFICATION"
DETECTION: Final = "OBJECT_DETECTION"
_CONFIG: Final = "$.methods.shap.image_config"

_NEEDS = Needs(
    model=True,
    no_predictor=(
        "image explanations explain a model, but $.predictor is not set",
        "describe the model in $.predictor",
    ),
)


def _settings(config: AnalysisConfig) -> ImageSettings:
    shap = config.methods.shap
    assert shap is not None and shap.image_config is not None and config.predictor is not None
    image = shap.image_config
    debug = image.debug
    return ImageSettings(
        num_samples=shap.num_samples,
        seed=shap.seed,
        use_logit=bool(shap.value_or_default("use_logit")),
        label_headers=tuple(config.predictor.label_headers or ()),
        probability_threshold=config.effective_probability_threshold,
        max_objects=int(image.value_or_default("max_objects")),
        iou_threshold=float(image.value_or_default("iou_threshold")),
        context=float(image.value_or_default("context")),
        class_ids=tuple(debug.class_ids) if debug is not None and debug.class_ids else None,
    )


def _noise(seed: int | None, index: int, height: int, width: int) -> NDArray[np.uint8]:
    rng = np.random.default_rng([0 if seed is None else seed, index])
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def _spool() -> Path:
    """A temporary folder for heat maps until the write stage copies them (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="openclarify-heatmaps-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _reader(path: Path) -> Callable[[], bytes]:
    return path.read_bytes


def _label(headers: tuple[object, ...], class_id: float) -> str | None:
    if class_id.is_integer() and 0 <= class_id < len(headers):
        return str(headers[int(class_id)])
    return None


def _floats(values: NDArray[np.float64]) -> list[float]:
    return [float(v) for v in values]


def predicted(
    explanation: SegmentExplanation, settings: ImageSettings
) -> tuple[int, NDArray[np.float64]]:
    """The index of the predicted label and the attributions its heat map shows.

    With one score per label: the arg-max label and its column.  With one score
    for two labels (the second label's probability): the second label when the
    score is above ``probability_threshold`` (its log-odds with ``use_logit``), else
    the first, whose score ``1 − p`` (or ``−logit p``) has exactly the attributions
    ``−φ``.
    """
    if explanation.shap.shape[1] == len(settings.label_headers):
        index = int(np.argmax(explanation.prediction))
        return index, explanation.shap[:, index]
    threshold = settings.probability_threshold
    cut = float(logit(np.array([threshold]))[0]) if settings.use_logit else threshold
    if float(explanation.prediction[0]) > cut:
        return 1, explanation.shap[:, 0]
    return 0, -explanation.shap[:, 0]


def image_entry(
    name: str,
    segments: int,
    headers: tuple[object, ...],
    explanation: SegmentExplanation,
    predicted_index: int,
    heat_map: str,
) -> dict[str, Any]:
    """The ``analysis.json`` object of one classified image.

    ``{"image", "model_type", "segments", "predicted_label", "heat_map",
    "expected_value": {label: v}, "prediction": {label: v},
    "shap_values": {label: [φ per segment]}}`` — segment ``j`` is label ``j`` of the
    SLIC map; ``expected_value[l] + Σ_j shap_values[l][j] = prediction[l]``.  The
    labels are the explained outputs: every header, or the second alone when the
    model returns one score for two headers.
    """
    names = [str(h) for h in headers]
    explained = names if explanation.shap.shape[1] == len(names) else names[1:]
    return {
        "image": name,
        "model_type": CLASSIFICATION,
        "segments": segments,
        "predicted_label": names[predicted_index],
        "heat_map": heat_map,
        "expected_value": dict(zip(explained, _floats(explanation.expected_value), strict=True)),
        "prediction": dict(zip(explained, _floats(explanation.prediction), strict=True)),
        "shap_values": {
            label: _floats(explanation.shap[:, k]) for k, label in enumerate(explained)
        },
    }


def objects_entry(
    name: str,
    segments: int,
    headers: tuple[object, ...],
    explained: list[ObjectExplanation],
    heat_maps: list[str],
    objects_image: str,
) -> dict[str, Any]:
    """The ``analysis.json`` object of one image with detected objects.

    ``{"image", "model_type", "segments", "objects_image", "objects": [{"box",
    "class_id", "label", "score", "heat_map", "expected_value", "shap_values"}]}``;
    ``label`` is ``label_headers[class_id]`` (``null`` when out of range);
    ``expected_value + Σ shap_values`` is the object's matched score on the image.
    """
    objects = []
    for item, heat_map in zip(explained, heat_maps, strict=True):
        d: Detection = item.detection
        objects.append(
            {
                "box": [float(v) for v in d.box],
                "class_id": int(d.class_id) if d.class_id.is_integer() else d.class_id,
                "label": _label(headers, d.class_id),
                "score": d.score,
                "heat_map": heat_map,
                "expected_value": item.expected_value,
                "shap_values": _floats(item.shap),
            }
        )
    return {
        "image": name,
        "model_type": DETECTION,
        "segments": segments,
        "objects_image": objects_image,
        "objects": objects,
    }


class ImageShapMethod:
    """``methods.shap.image_config``: SLIC segments, Kernel SHAP, heat maps."""

    def needs(self, config: AnalysisConfig) -> Needs:
        return _NEEDS

    def check(self, config: AnalysisConfig, backend: str) -> None:
        from ...data.pixels import require_pillow
        from .segments import require_scikit_image

        shap = config.methods.shap
        assert shap is not None and shap.image_config is not None
        image = shap.image_config
        if config.dataset_type != IMAGE_DATASET:
            raise ConfigError(
                _CONFIG,
                f"explains images, but $.dataset_type is {config.dataset_type}",
                "set $.dataset_type to application/x-image, or remove image_config",
            )
        if backend == "spark":
            # segments differ per image, so there is no shared table to partition;
            # a multi-instance Processing job (which runs on Spark) is refused too
            raise ConfigError(
                "--backend",
                "image explanations run on the local backends only, not on Spark",
                "use --backend local; for a Processing job, one instance (instance_count 1)",
            )
        if image.model_type is None:
            raise ConfigError(
                f"{_CONFIG}.model_type",
                "Clarify SHAP only supports object detection and image classification "
                "methods. Please set model_type to OBJECT_DETECTION or IMAGE_CLASSIFICATION.",
            )
        method = image.value_or_default("feature_extraction_method")
        if method != "segmentation":
            raise ConfigError(
                f"{_CONFIG}.feature_extraction_method",
                "only segmentation (SLIC super-pixels) is supported",
                'set it to "segmentation" or remove it',
            )
        if shap.baseline is not None and not isinstance(shap.baseline, str):
            raise ConfigError(
                "$.methods.shap.baseline",
                "must be the URI or path of one image for image explanations",
                "give an s3:// URI or a path of a JPEG or PNG mask image, or remove it",
            )
        for key in ("num_clusters", "features_to_explain"):
            if getattr(shap, key) is not None:
                raise ConfigError(
                    f"$.methods.shap.{key}",
                    "does not apply to image explanations (the features are segments)",
                    f"remove {key}",
                )
        extension = config.predictor.openclarify if config.predictor is not None else None
        if extension is not None and extension.model_path is not None:
            # an in-process model is called with feature rows; images travel as requests
            raise ConfigError(
                "$.predictor.openclarify.model_path",
                "in-process models are not supported for image datasets",
                "serve the model over HTTP and set predictor.openclarify.endpoint_url",
            )
        if config.predictor is not None and not config.predictor.label_headers:
            raise ConfigError(
                "$.predictor.label_headers",
                "is required for computer vision explainability",
                "name the classes the model's scores (or class ids) stand for",
            )
        require_pillow()
        require_scikit_image()

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        from ...data import pixels
        from ...data.images import image_files
        from .heatmap import boxes_image, heat_map
        from .segments import segment

        config = data.config
        shap = config.methods.shap
        assert shap is not None and shap.image_config is not None
        assert data.session is not None
        image_config = shap.image_config
        settings = _settings(config)
        num_segments = int(image_config.value_or_default("num_segments"))
        compactness = float(image_config.value_or_default("segment_compactness"))
        images = image_files(data.path, data.locations, image_config.debug, data.log)
        mask = None
        if isinstance(shap.baseline, str):
            where = "$.methods.shap.baseline"
            mask = pixels.read_image(data.locations.local(shap.baseline, where), where)
        session = data.session
        call = call_session(lambda rows: session.outputs(rows, verbose=False))
        spool = _spool()
        entries: list[dict[str, Any]] = []
        files: list[OutputFile] = []

        def spooled(file_name: str, image: NDArray[np.uint8]) -> None:
            path = spool / file_name
            path.write_bytes(pixels.encode(image, "JPEG"))
            files.append(OutputFile(file_name, _reader(path), "Wrote heat map {target}"))

        detection = image_config.model_type == DETECTION
        data.log.info(
            "Explaining %d images (%s, about %d segments each)",
            len(images),
            image_config.model_type,
            num_segments,
        )
        for index, item in enumerate(images):
            image = item.pixels()
            height, width = image.shape[:2]
            baseline = (
                pixels.resize(mask, height, width)
                if mask is not None
                else _noise(settings.seed, index, height, width)
            )
            labels = segment(image, num_segments, compactness)
            m = int(labels.max()) + 1
            if not detection:
                explanation = explain_classification(
                    image, baseline, labels, settings, call, index=index, name=item.name
                )
                file_name = f"shap_{item.stem}.jpeg"
                index_of_label, shown = predicted(explanation, settings)
                spooled(file_name, heat_map(image, labels, shown))
                entries.append(
                    image_entry(
                        item.name, m, settings.label_headers, explanation, index_of_label, file_name
                    )
                )
            else:
                objects = choose_objects(original_detections(image, call, item.name), settings)
                explained = explain_detection(
                    image, baseline, labels, objects, settings, call, index=index, name=item.name
                )
                names = []
                for k, one in enumerate(explained, start=1):
                    names.append(f"shap_{item.stem}_box{k}_object.jpeg")
                    spooled(names[-1], heat_map(image, labels, one.shap, one.detection.box))
                objects_name = f"{item.stem}_objects.jpeg"
                spooled(objects_name, boxes_image(image, [o.box for o in objects]))
                entries.append(
                    objects_entry(
                        item.name, m, settings.label_headers, explained, names, objects_name
                    )
                )
            data.log.info(
                "Explained image %d of %d (%s): %d segments", index + 1, len(images), item.name, m
            )
            # the bar only: the line above is this loop's log line (an image takes seconds)
            report_progress("SHAP images", index + 1, len(images))
        return AnalysisResult(explanations={SECTION: entries}, files=tuple(files))


IMAGE_SHAP = ImageShapMethod()
