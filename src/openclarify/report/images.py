"""The report's image explanations: one entry per explained image, with its heat maps.

Heat maps are the JPEG files next to ``analysis.json`` named in
``explanations.kernel_shap_images`` (:mod:`openclarify.explain.image.method`);
the report embeds them as ``data:`` URIs so that the HTML page, the notebook
and the PDF are each one self-contained file.  At most :data:`MAX_REPORT_IMAGES`
images are shown (a report of 10,000 embedded images would be hundreds of
megabytes); the rest are counted and stay in the output folder.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["MAX_REPORT_IMAGES", "ImageFigure", "ImageReport", "image_reports"]

MAX_REPORT_IMAGES: Final = 50


@dataclass(frozen=True)
class ImageFigure:
    """One heat map: its file name, caption, and ``data:`` URI (``None``: file not found)."""

    file_name: str
    caption: str
    data_uri: str | None


@dataclass(frozen=True)
class ImageReport:
    """One explained image."""

    image: str
    summary: str
    figures: tuple[ImageFigure, ...]


def _data_uri(folder: Path | None, file_name: str) -> str | None:
    if folder is None:
        return None
    path = folder / file_name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _one(entry: dict[str, Any], folder: Path | None) -> ImageReport:
    name = str(entry.get("image", ""))
    segments = entry.get("segments")
    if "objects" in entry:
        objects = entry.get("objects") or []
        figures = [
            ImageFigure(
                str(o["heat_map"]),
                f"Object {k} ({o.get('label') or o.get('class_id')}, "
                f"confidence {float(o.get('score', 0.0)):.3f}): SHAP values of its segments.",
                _data_uri(folder, str(o["heat_map"])),
            )
            for k, o in enumerate(objects, start=1)
        ]
        boxes = entry.get("objects_image")
        if boxes:
            figures.insert(
                0, ImageFigure(str(boxes), "The explained objects.", _data_uri(folder, str(boxes)))
            )
        summary = f"{len(objects)} object(s) explained over {segments} segments."
    else:
        label = entry.get("predicted_label")
        heat_map = str(entry.get("heat_map", ""))
        figures = [
            ImageFigure(
                heat_map,
                f"SHAP values of the segments for the predicted label {label}.",
                _data_uri(folder, heat_map),
            )
        ]
        score = (entry.get("prediction") or {}).get(str(label))
        shown = f" (score {float(score):.3f})" if isinstance(score, int | float) else ""
        summary = f"Predicted label {label}{shown}, {segments} segments."
    return ImageReport(name, summary, tuple(figures))


def image_reports(
    entries: list[dict[str, Any]], folder: Path | None
) -> tuple[tuple[ImageReport, ...], int]:
    """The first :data:`MAX_REPORT_IMAGES` images, and how many more were explained."""
    shown = tuple(_one(e, folder) for e in entries[:MAX_REPORT_IMAGES] if isinstance(e, dict))
    return shown, max(len(entries) - MAX_REPORT_IMAGES, 0)
