"""Both JSON Lines header conventions give the same analysis, in memory and streamed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import openclarify

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "jsonlines"


def _config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((SAMPLE / "analysis_config.json").read_text())
    config["methods"].pop("report", None)
    config.update(changes)
    return config


@pytest.mark.parametrize("backend", ["memory", "local"])
def test_headers_without_the_predicted_label_equal_full_headers(backend: str) -> None:
    full = _config()
    assert full["headers"][-1] == "PredictedApproved"  # features, label, predicted label
    short = _config(headers=full["headers"][:-1])  # features, label: the published convention
    data = SAMPLE / "applications.jsonl"
    want = openclarify.analyze(full, data, backend=backend).to_dict()
    got = openclarify.analyze(short, data, backend=backend).to_dict()
    assert "post_training_bias_metrics" in want
    assert got == want
