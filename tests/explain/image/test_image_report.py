"""The report of an image job shows every heat map, in HTML, notebook and PDF."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from PIL import Image

import openclarify
from openclarify.report.images import MAX_REPORT_IMAGES, image_reports

from .helpers import brightness, smooth
from .server import image_server


def test_html_notebook_and_pdf_embed_each_heat_map(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(smooth(seed=i)).save(folder / f"pic{i}.png")
    with image_server(brightness) as server:
        config = {
            "dataset_type": "application/x-image",
            "predictor": {
                "content_type": "image/png",
                "label_headers": ["dark", "bright"],
                "openclarify": {"endpoint_url": server.url},
            },
            "methods": {
                "shap": {"image_config": {"model_type": "IMAGE_CLASSIFICATION", "num_segments": 6}},
                "report": {"name": "report"},
            },
        }
        result = openclarify.run(config, folder, tmp_path / "out")
    out = tmp_path / "out"
    assert result.notes == ()
    page = (out / "report.html").read_text()
    assert '<section id="images">' in page
    embedded = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    heat_maps = [(out / f"shap_pic{i}.jpeg").read_bytes() for i in range(2)]
    assert [base64.b64decode(e) for e in embedded] == heat_maps  # the files, in order
    assert "Predicted label" in page and "pic1.png" in page
    notebook = json.loads((out / "report.ipynb").read_text())
    cells = json.dumps(notebook["cells"])
    assert cells.count("data:image/jpeg;base64,") == 2
    assert "Image explanations (heat maps)" in cells
    # weasyprint writes each embedded picture as an image XObject
    assert (out / "report.pdf").read_bytes().count(b"/Subtype /Image") >= 2


def test_a_long_run_shows_the_first_images_and_counts_the_rest(tmp_path: Path) -> None:
    entries = [
        {"image": f"{i}.png", "segments": 3, "predicted_label": "a", "heat_map": f"shap_{i}.jpeg"}
        for i in range(MAX_REPORT_IMAGES + 7)
    ]
    shown, more = image_reports(entries, tmp_path)
    assert len(shown) == MAX_REPORT_IMAGES and more == 7
    assert shown[0].figures[0].data_uri is None  # file absent: named, not embedded
