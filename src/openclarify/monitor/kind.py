"""The data kind ``application/sagemakercapturejson`` in an ordinary analysis config.

A config may name captured traffic as its dataset (``dataset_type``
``application/sagemakercapturejson``, contract §2.2): merged records (capture
plus ``groundTruthData``) for bias, data capture for explanations.  It is read
by turning it into the dataset a monitoring execution analyses
(:func:`.execution.prepare_capture`): the config's own keys say where things are
— ``features`` is ``FeaturesAttribute``, ``predicted_label`` (a column index or a
JMESPath into the captured response) is ``InferenceAttribute``, without it the
whole response is the prediction; ``probability_threshold`` is
``ProbabilityThresholdAttribute``; ``label`` locates the label in the ground truth.

Unmerged capture with separate ground truth, time windows and the remaining
attributes are options of ``openclarify monitor`` (or the image's environment).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config import load_config
from ..locations import Locations, resolve_dataset
from .attributes import CaptureAttributes
from .execution import check_before_reading, prepare_capture

if TYPE_CHECKING:
    from ..config import AnalysisConfig

__all__ = ["read_capture_kind"]


def read_capture_kind(
    config: AnalysisConfig, dataset: Path | None, locations: Locations
) -> tuple[AnalysisConfig, Path]:
    """The config and dataset file that the analysis reads instead (module docstring)."""
    document = config.model_dump(mode="json", exclude_none=True)
    explicit = {}
    if config.predicted_label is not None:
        explicit["inference"] = config.predicted_label
        del document["predicted_label"]
    attributes = CaptureAttributes.collect(explicit, {}, document)
    check_before_reading(document, {}, attributes)
    path = resolve_dataset(config, dataset, locations)
    if locations.scratch is None:  # analyze() always gives one; a direct caller may not
        raise RuntimeError("reading captured traffic needs a scratch folder")
    folder = locations.scratch / "capture-dataset"
    folder.mkdir(parents=True, exist_ok=True)
    built, final = prepare_capture(document, path, folder, attributes=attributes)
    return load_config(final), built.path
