"""The offline sample (`make run-model`) works and equals precomputed predictions.

``sample_configs/local_model_server/serve.py`` is started as a real process on a
free port; the sample config, pointed at it, must give exactly the metrics of
the same model's predictions written into a column beforehand.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import openclarify
from tests.sample_server import serve_sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_configs" / "local_model_server"
DATA = ROOT / "sample_configs" / "post_training_predicted_label_csv" / "loans_scored.csv"


@pytest.fixture()
def server() -> Iterator[str]:
    with serve_sample(SAMPLE) as url:
        yield url


def test_sample_through_the_model_server_equals_precomputed_predictions(
    server: str, tmp_path: Path
) -> None:
    config = json.loads((SAMPLE / "analysis_config.json").read_text())
    config["predictor"]["openclarify"]["endpoint_url"] = server
    through_model = openclarify.analyze(config, DATA).to_dict()

    spec = importlib.util.spec_from_file_location("sample_serve", SAMPLE / "serve.py")
    assert spec is not None and spec.loader is not None
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    with DATA.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    features = [header.index(n) for n in config["headers"][:8]]
    scores = [serve.approval_probability([r[i] for i in features]) for r in body]
    precomputed = tmp_path / "with_scores.csv"
    with precomputed.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "Score"])
        writer.writerows([*r, repr(s)] for r, s in zip(body, scores, strict=True))
    offline = dict(config)
    offline.pop("predictor")
    offline["headers"] = [*config["headers"], "Score"]
    offline["predicted_label"] = "Score"
    offline["excluded_columns"] = ["Prediction"]
    from_column = openclarify.analyze(offline, precomputed).to_dict()

    assert through_model == from_column  # identical documents, every value bit for bit
    metrics = through_model["post_training_bias_metrics"]["facets"]["Gender"][0]["metrics"]
    assert len(metrics) == 13 and all("error" not in m for m in metrics)
