"""``make run SAMPLE=model_monitor_bias``: a day of capture becomes violations and a report."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "model_monitor_bias"


@pytest.mark.slow  # a day of traffic and two report renderings: about half a minute
def test_the_sample_day_drifts_into_violations(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("model_monitor_bias_run", SAMPLE / "run.py")
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    assert run.main(str(tmp_path)) == 0
    execution = tmp_path / "execution"
    violations = json.loads((execution / "constraint_violations.json").read_text())
    flagged = {(v["facet"], v["metric_name"]) for v in violations["violations"]}
    # the afternoon's score shift against Gender = 0 is a post-training drift ...
    assert {("Gender", "DPPL"), ("Gender", "CDDPL")} <= flagged
    # ... that the literal |current| > |baseline| rule misses for DI, whose fair value is 1:
    # DI falls from about 0.9 towards 0 (OPENCLARIFY_DI_CENTRED measures it from 1)
    assert ("Gender", "DI") not in flagged
    assert {p.name for p in execution.iterdir()} >= {"report.html", "report.pdf", "report.ipynb"}
