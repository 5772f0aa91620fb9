"""Whole image jobs against a model served over HTTP, for each request content type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import openclarify
from openclarify.errors import ConfigError, PredictorError
from openclarify.explain.image.explain import SegmentExplanation, explain_classification
from openclarify.explain.image.method import predicted
from openclarify.explain.image.segments import segment
from tests.storage.conftest import S3Server

from .helpers import brightness, in_process, settings, smooth
from .server import image_server

SEGMENTS = 8


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(smooth(seed=i)).save(folder / f"photo{i}.png")
    return folder


def _config(
    url: str, content_type: str, model_type: str = "IMAGE_CLASSIFICATION"
) -> dict[str, Any]:
    return {
        "dataset_type": "application/x-image",
        "predictor": {
            "content_type": content_type,
            "label_headers": ["dark", "bright"],
            "openclarify": {"endpoint_url": url},
        },
        "methods": {
            "shap": {
                "seed": 3,
                "image_config": {"model_type": model_type, "num_segments": SEGMENTS},
            }
        },
    }


def _black(folder: Path) -> Path:
    path = folder / "mask.png"
    Image.fromarray(np.zeros((5, 7, 3), np.uint8)).save(path)
    return path


@pytest.mark.parametrize("content_type", ["image/png", "application/x-npy", "npy batch"])
def test_lossless_requests_give_the_in_process_attributions(
    content_type: str, images: Path, tmp_path: Path
) -> None:
    with image_server(brightness) as server:
        config = _config(server.url, content_type.replace("npy batch", "application/x-npy"))
        if content_type == "npy batch":
            config["predictor"]["openclarify"]["npy_batch"] = True
        config["methods"]["shap"]["baseline"] = str(_black(tmp_path))
        result = openclarify.run(config, images, tmp_path / "out")
    entries = result.to_dict()["explanations"]["kernel_shap_images"]
    assert [e["image"] for e in entries] == ["photo0.png", "photo1.png"]
    call, _ = in_process(brightness)
    for i, entry in enumerate(entries):
        image = smooth(seed=i)
        labels = segment(image, SEGMENTS, 5)
        ours = explain_classification(
            image, np.zeros_like(image), labels, settings(seed=3), call, index=i
        )
        assert entry["segments"] == int(labels.max()) + 1
        # the same coalitions through HTTP: the same floats (PNG and .npy are lossless)
        assert entry["shap_values"]["bright"] == ours.shap[:, 1].tolist()
        assert entry["expected_value"] == {"dark": 1.0, "bright": 0.0}  # black mask
        assert entry["predicted_label"] == ("bright" if ours.prediction[1] > 0.5 else "dark")
        assert entry["heat_map"] == f"shap_photo{i}.jpeg"
        assert (tmp_path / "out" / entry["heat_map"]).read_bytes()[:2] == b"\xff\xd8"
    sent = set(server.content_types)
    assert sent == {content_type.replace("npy batch", "application/x-npy")}
    if content_type == "npy batch":
        assert max(shape[0] for shape in server.shapes) > 1  # batches of images
    else:
        assert {shape[0] for shape in server.shapes} == {1}
    document = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert list(document) == ["version", "explanations"]
    assert list(document["explanations"]) == ["kernel_shap_images"]


def test_jpeg_requests_keep_efficiency_and_write_one_heat_map_per_image(
    images: Path, tmp_path: Path
) -> None:
    with image_server(brightness) as server:
        result = openclarify.run(_config(server.url, "image/jpeg"), images, tmp_path / "out")
    assert set(server.content_types) == {"image/jpeg"}
    for entry in result.to_dict()["explanations"]["kernel_shap_images"]:
        for label in ("dark", "bright"):
            total = entry["expected_value"][label] + sum(entry["shap_values"][label])
            assert total == pytest.approx(entry["prediction"][label], abs=1e-12)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["analysis.json", "shap_photo0.jpeg", "shap_photo1.jpeg"]


def _detector(batch: np.ndarray) -> list[list[list[float]]]:
    out = []
    for image in batch:
        left = float(image[:, :32].mean() / 255)
        out.append(
            [
                [1, left, 0.0, 0.0, 0.5, 1.0],
                [0, 0.9, 0.5, 0.0, 1.0, 1.0],
                [1, 0.2, 0.5, 0.5, 1.0, 1.0],  # below probability_threshold: dropped
            ]
        )
    return out


def test_object_detection_writes_the_observed_file_names(images: Path, tmp_path: Path) -> None:
    with image_server(_detector) as server:
        config = _config(server.url, "image/png", "OBJECT_DETECTION")
        config["probability_threshold"] = 0.3
        result = openclarify.run(config, images, tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "analysis.json",
        "photo0_objects.jpeg",
        "photo1_objects.jpeg",
        "shap_photo0_box1_object.jpeg",
        "shap_photo0_box2_object.jpeg",
        "shap_photo1_box1_object.jpeg",
        "shap_photo1_box2_object.jpeg",
    ]
    entry = result.to_dict()["explanations"]["kernel_shap_images"][0]
    assert entry["objects_image"] == "photo0_objects.jpeg"
    objects = entry["objects"]
    assert [o["class_id"] for o in objects] == [0, 1]  # by confidence; 0.2 dropped
    assert [o["label"] for o in objects] == ["dark", "bright"]
    assert objects[0]["heat_map"] == "shap_photo0_box1_object.jpeg"
    assert objects[0]["shap_values"] == [0.0] * entry["segments"]  # a constant score
    for o in objects:
        assert o["expected_value"] + sum(o["shap_values"]) == pytest.approx(o["score"], abs=1e-12)


def test_an_s3_prefix_of_images(s3_server: S3Server, images: Path, tmp_path: Path) -> None:
    s3 = s3_server.client()
    s3.create_bucket(Bucket="pictures")
    for path in sorted(images.iterdir()):
        s3.put_object(Bucket="pictures", Key=f"in/{path.name}", Body=path.read_bytes())
    s3.put_object(Bucket="pictures", Key="in/_SUCCESS", Body=b"")
    with image_server(brightness) as server:
        config = _config(server.url, "image/png")
        local = openclarify.analyze(config, images)
        config["dataset_uri"] = "s3://pictures/in/"
        remote = openclarify.analyze(config)
    assert remote.to_dict() == local.to_dict()


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (
            {"predictor": {"content_type": "image/jpg"}},
            "$.predictor.content_type",
            "Unsupported content type image/jpg.Please provide one of the valid content_types:"
            "1. image/png,2. image/jpeg,3. application/x-npy",
        ),
        (
            {"predictor": {"content_type": "text/csv"}},
            "$.predictor.content_type",
            "Unsupported content type text/csv",
        ),
        ({"predictor": {"label_headers": None}}, "$.predictor.label_headers", "is required"),
        ({"predictor": None}, "$.predictor", "image explanations explain a model"),
        (
            {
                "predictor": {
                    "openclarify": {
                        "endpoint_url": None,
                        "model_path": "m.joblib",
                        "allow_code_execution": True,
                    }
                }
            },
            "$.predictor.openclarify.model_path",
            "in-process models are not supported for image datasets",
        ),
        (
            {"methods": {"shap": {"image_config": {"model_type": None}}}},
            "$.methods.shap.image_config.model_type",
            "Please set model_type to OBJECT_DETECTION or IMAGE_CLASSIFICATION",
        ),
        (
            {"methods": {"shap": {"image_config": {"feature_extraction_method": "grid"}}}},
            "$.methods.shap.image_config.feature_extraction_method",
            "only segmentation",
        ),
        (
            {"methods": {"pre_training_bias": {"methods": "all"}}},
            "$.methods.pre_training_bias",
            "cannot be computed for application/x-image datasets",
        ),
        (
            {"methods": {"shap": {"baseline": [[1, 2]]}}},
            "$.methods.shap.baseline",
            "must be the URI or path of one image",
        ),
    ],
)
def test_config_errors_before_any_image_is_read(
    change: dict[str, Any], where: str, message: str, tmp_path: Path
) -> None:
    config = _merge(_config("http://127.0.0.1:9", "image/png"), change)
    with pytest.raises(ConfigError) as error:
        openclarify.analyze(config, tmp_path / "no-such-folder")
    assert error.value.where == where
    assert message in error.value.problem


def _merge(document: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``document`` with ``change`` merged in depth; a ``None`` value removes the key."""
    for key, value in change.items():
        if value is None:
            document.pop(key, None)
        elif isinstance(value, dict) and isinstance(document.get(key), dict):
            _merge(document[key], value)
        else:
            document[key] = value
    return document


def test_a_model_answer_that_does_not_fit_is_a_predictor_error(
    images: Path, tmp_path: Path
) -> None:
    def three_scores(batch: np.ndarray) -> list[list[float]]:
        return [[0.2, 0.3, 0.5] for _ in batch]

    def not_detections(batch: np.ndarray) -> list[list[float]]:
        return [[0.2, 0.3] for _ in batch]

    with image_server(three_scores) as server, pytest.raises(PredictorError) as error:
        openclarify.run(_config(server.url, "image/png"), images, tmp_path / "a")
    assert error.value.where == "$.predictor.label_headers"
    assert "3 scores for photo0.png but label_headers names 2 classes" in error.value.problem
    with image_server(not_detections) as server:
        config = _config(server.url, "image/png", "OBJECT_DETECTION")
        with pytest.raises(
            PredictorError,
            match=r"detections for photo0\.png have shape \(1, 2\), expected \(n, 6\)",
        ):
            openclarify.run(config, images, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b" / "analysis.json").exists()


def test_spark_is_refused_for_images() -> None:
    config = _config("http://127.0.0.1:9", "image/png")
    with pytest.raises(ConfigError, match="image explanations run on the local backends only"):
        openclarify.job.plan_analysis(openclarify.config.load_config(config), "spark")


def test_one_score_with_two_headers_explains_the_second_label(images: Path, tmp_path: Path) -> None:
    def one_score(batch: np.ndarray) -> list[float]:
        return [float(image[:24, :32].mean() / 255) for image in batch]

    with image_server(one_score) as server:
        result = openclarify.run(_config(server.url, "image/png"), images, tmp_path / "out")
    for entry in result.to_dict()["explanations"]["kernel_shap_images"]:
        assert list(entry["shap_values"]) == ["bright"]
        p = entry["prediction"]["bright"]
        assert entry["predicted_label"] == ("bright" if p > 0.5 else "dark")
        assert entry["expected_value"]["bright"] + sum(entry["shap_values"]["bright"]) == (
            pytest.approx(p, abs=1e-12)
        )


def test_the_heat_map_of_the_first_of_two_labels_shows_minus_phi() -> None:
    phi = np.array([[0.25], [-0.5]])
    low = SegmentExplanation(phi, np.array([0.1]))  # prediction 0.1 + (−0.25) < 0.5
    index, shown = predicted(low, settings())
    assert index == 0 and shown.tolist() == [-0.25, 0.5]
    high = SegmentExplanation(phi, np.array([0.9]))
    index, shown = predicted(high, settings())
    assert index == 1 and shown.tolist() == [0.25, -0.5]
    # with use_logit the threshold is compared in log-odds: 0.5 ↔ 0
    index, _ = predicted(SegmentExplanation(phi, np.array([0.3])), settings(use_logit=True))
    assert index == 1
