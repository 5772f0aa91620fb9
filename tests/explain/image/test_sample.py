"""``sample_configs/image_classification`` runs offline against its own ``serve.py``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openclarify

SAMPLE = Path(__file__).resolve().parents[3] / "sample_configs" / "image_classification"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_sample_explains_its_images_with_its_model(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(SAMPLE / "serve.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        config = json.loads((SAMPLE / "analysis_config.json").read_text())
        config["predictor"]["openclarify"]["endpoint_url"] = url
        config["methods"].pop("report")  # the report of an image job: test_image_report.py
        result = openclarify.run(config, SAMPLE / "images", tmp_path / "out")
    finally:
        server.terminate()
        server.wait(timeout=30)
    entries = {e["image"]: e for e in result.to_dict()["explanations"]["kernel_shap_images"]}
    assert sorted(entries) == ["dusk.png", "mixed.png", "sunny.png"]
    assert entries["sunny.png"]["predicted_label"] == "bright"  # a light centre
    assert entries["dusk.png"]["predicted_label"] == "dark"  # a dark centre
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["analysis.json", "shap_dusk.jpeg", "shap_mixed.jpeg", "shap_sunny.jpeg"]
