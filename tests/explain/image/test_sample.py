"""``sample_configs/image_classification`` runs offline against its own ``serve.py``."""

from __future__ import annotations

import json
from pathlib import Path

import openclarify
from tests.sample_server import serve_sample

SAMPLE = Path(__file__).resolve().parents[3] / "sample_configs" / "image_classification"


def test_the_sample_explains_its_images_with_its_model(tmp_path: Path) -> None:
    with serve_sample(SAMPLE) as url:
        config = json.loads((SAMPLE / "analysis_config.json").read_text())
        config["predictor"]["openclarify"]["endpoint_url"] = url
        config["methods"].pop("report")  # the report of an image job: test_image_report.py
        result = openclarify.run(config, SAMPLE / "images", tmp_path / "out")
    entries = {e["image"]: e for e in result.to_dict()["explanations"]["kernel_shap_images"]}
    assert sorted(entries) == ["dusk.png", "mixed.png", "sunny.png"]
    assert entries["sunny.png"]["predicted_label"] == "bright"  # a light centre
    assert entries["dusk.png"]["predicted_label"] == "dark"  # a dark centre
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["analysis.json", "shap_dusk.jpeg", "shap_mixed.jpeg", "shap_sunny.jpeg"]
