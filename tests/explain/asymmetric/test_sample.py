"""``sample_configs/time_series`` runs offline against its own ``serve.py``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

import openclarify

SAMPLE = Path(__file__).resolve().parents[3] / "sample_configs" / "time_series"


def _serve_module() -> Any:
    spec = importlib.util.spec_from_file_location("time_series_sample_serve", SAMPLE / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sample_runs_and_is_efficient(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, str(SAMPLE / "serve.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]
        cfg = json.loads((SAMPLE / "analysis_config.json").read_text())
        cfg["predictor"]["openclarify"]["endpoint_url"] = url
        openclarify.run(cfg, SAMPLE / "sales.json", tmp_path)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
    out = tmp_path / "asymmetric_shapley_value" / "fine_grained_chronological" / "out.jsonl"
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["item_id"] for line in lines] == ["store_east", "store_north", "store_south"]
    rows = json.loads((SAMPLE / "sales.json").read_text())
    forecast = _serve_module().forecast
    for line in lines:
        mine = [r for r in rows if r["item_id"] == line["item_id"]]
        record = {
            "target": [r["sales"] for r in mine if r["sales"] is not None],
            "dynamic_feat": [[r["price"] for r in mine], [r["promo"] for r in mine]],
            "cat": [mine[0]["region"]],
        }
        total = np.array(line["offset"]) + np.sum([e["scores"] for e in line["explanations"]], 0)
        # offset + Σ scores = forecast: sums of ~40 floats of size ~50
        np.testing.assert_allclose(total, forecast(record), atol=1e-9)
    assert not list(tmp_path.glob("report*"))  # no report for time series
