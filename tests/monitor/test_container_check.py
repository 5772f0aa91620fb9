"""The container with a baseline: ClarifyCheckStep / monitoring execution outputs (Q13)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openclarify.container import run_container
from openclarify.monitor.violations import VIOLATIONS_FILE
from tests.test_container import CASE, contract_config, layout, message, output_files

MONITOR_ENV = (
    "baseline_constraints",
    "publish_cloudwatch_metrics",
    "sagemaker_endpoint_name",
    "sagemaker_monitoring_schedule_name",
    "metric_time",
    "start_time",
    "end_time",
    "OPENCLARIFY_DI_CENTRED",
    "OPENCLARIFY_NDCG_THRESHOLD",
)


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in MONITOR_ENV:
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("openclarify")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture(scope="module")
def baseline_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The analysis.json of an ordinary run: the baseline a ClarifyCheckStep registers."""
    config = contract_config()
    del config["methods"]["report"]
    base = layout(tmp_path_factory.mktemp("baseline"), config, CASE / "data")
    assert run_container(base) == 0
    document: dict[str, Any] = json.loads(
        (base / "processing" / "output" / "analysis.json").read_text()
    )
    return document


def _without_report() -> dict[str, Any]:
    """The contract case without reports: the PDF is the slow part, checked once below."""
    config = contract_config()
    del config["methods"]["report"]
    return config


def _mount(base: Path, document: dict[str, Any], name: str = "analysis.json") -> Path:
    folder = base / "processing" / "baseline" / "constraints"
    folder.mkdir(parents=True)
    (folder / name).write_text(json.dumps(document))
    return folder / name


def _lowered(document: dict[str, Any], code: str) -> dict[str, Any]:
    """A copy with one pre-training metric's baseline set near 0 (the SDK's bad case)."""
    changed = json.loads(json.dumps(document))
    for group in changed["pre_training_bias_metrics"]["facets"]["f"]:
        for metric in group["metrics"]:
            if metric["name"] == code:
                metric["value"] = 1e-9
    return changed


def test_same_baseline_no_violations(tmp_path: Path, baseline_document: dict[str, Any]) -> None:
    base = layout(tmp_path, contract_config(), CASE / "data")
    _mount(base, baseline_document)
    assert run_container(base) == 0
    assert message(base) == "Completed: Job completed successfully with no violations."
    assert output_files(base) == ["analysis.json", "report.html", "report.ipynb", "report.pdf"]
    html = (base / "processing" / "output" / "report.html").read_text()
    assert "Drift against the baseline" in html and "no violations" in html
    notebook = json.loads((base / "processing" / "output" / "report.ipynb").read_text())
    assert "DRIFT = " in "".join(notebook["cells"][1]["source"])
    assert not (base / "output" / "metrics").exists()  # publishing is off


def test_violations_file_message_and_cloudwatch(
    tmp_path: Path, baseline_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = layout(tmp_path, _without_report(), CASE / "data")
    path = tmp_path / "elsewhere" / "constraints.json"
    path.parent.mkdir()
    path.write_text(json.dumps(_lowered(baseline_document, "KS")))
    monkeypatch.setenv("baseline_constraints", str(path))
    monkeypatch.setenv("publish_cloudwatch_metrics", "ENABLED")
    monkeypatch.setenv("sagemaker_endpoint_name", "ep")
    monkeypatch.setenv("sagemaker_monitoring_schedule_name", "hourly")
    monkeypatch.setenv("start_time", "2026-12-06T21:00:00Z")
    monkeypatch.setenv("metric_time", "2026-12-06T22:00:00Z")
    assert run_container(base) == 0  # violations are not a failure of the job (Q7)
    violations = json.loads((base / "processing" / "output" / VIOLATIONS_FILE).read_text())
    assert [(v["facet"], v["metric_name"]) for v in violations["violations"]] == [("f", "KS")]
    assert message(base) == "CompletedWithViolations: " + violations["violations"][0]["description"]
    assert VIOLATIONS_FILE in output_files(base)
    lines = (
        (base / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl")
        .read_text()
        .splitlines()
    )
    records = [json.loads(line) for line in lines]
    assert {r["Timestamp"] for r in records} == {"2026-12-06T22:00:00Z"}
    assert records[0]["Dimensions"][:3] == [
        {"Name": "Endpoint", "Value": "ep"},
        {"Name": "MonitoringSchedule", "Value": "hourly"},
        {"Name": "BiasStage", "Value": "Post-Training"},
    ]


def test_baseline_of_another_config_fails_and_leaves_nothing(
    tmp_path: Path, baseline_document: dict[str, Any]
) -> None:
    other = json.loads(json.dumps(baseline_document).replace('"f"', '"other_facet"'))
    base = layout(tmp_path, _without_report(), CASE / "data")
    _mount(base, other)
    assert run_container(base) == 4
    text = message(base)
    assert (
        text.startswith("ClientError: ")
        and "analysis.json" in text
        and "nothing can be checked" in text
    )
    assert output_files(base) == []


def test_missing_named_baseline_fails_before_the_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = layout(tmp_path, _without_report(), CASE / "data")
    monkeypatch.setenv("baseline_constraints", str(tmp_path / "nope.json"))
    assert run_container(base) == 4
    assert "baseline_constraints" in message(base)
    assert output_files(base) == []


def test_no_baseline_publishing_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = layout(tmp_path, _without_report(), CASE / "data")
    monkeypatch.setenv("publish_cloudwatch_metrics", "Enabled")
    assert run_container(base) == 0
    assert message(base) == "Completed: openclarify analysis ran successfully"
    assert VIOLATIONS_FILE not in output_files(base)
    assert (
        base / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl"
    ).stat().st_size > 0
