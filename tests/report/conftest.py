"""Shared helpers of the report tests: run a sample case, parse and look at the outputs."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import openclarify
from openclarify.bias.analysis import resolve_labels
from openclarify.config import load_config
from openclarify.data.table import load_bias_table
from openclarify.report import ReportStats, compute_report_stats, write_reports
from openclarify.results import dumps_analysis
from tests.sample_server import serve_sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_configs"
LOG = logging.getLogger("openclarify.tests.report")

#: Each sample case and its dataset (local_model_server reuses the scored loans).
CASES = {
    "pre_training_csv": SAMPLES / "pre_training_csv" / "loans.csv",
    "post_training_predicted_label_csv": SAMPLES
    / "post_training_predicted_label_csv"
    / "loans_scored.csv",
    "jsonlines": SAMPLES / "jsonlines" / "applications.jsonl",
    "parquet": SAMPLES / "parquet" / "loans.parquet",
    "local_model_server": SAMPLES / "post_training_predicted_label_csv" / "loans_scored.csv",
    "explain_local_model": SAMPLES / "post_training_predicted_label_csv" / "loans_scored.csv",
    "segments_csv": SAMPLES / "segments_csv" / "loans_scored.csv",
}
#: Cases whose model is ``local_model_server/serve.py``.
MODEL_CASES = ("local_model_server", "explain_local_model")

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


def require_binary(name: str) -> str:
    """The binary's path; fails under CI (``CI`` set), skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def model_server() -> Iterator[str]:
    """``sample_configs/local_model_server/serve.py`` on a free port."""
    with serve_sample(SAMPLES / "local_model_server") as url:
        yield url


def case_config(case: str, server: str | None = None) -> dict[str, Any]:
    config = json.loads((SAMPLES / case / "analysis_config.json").read_text())
    if server is not None and "predictor" in config:
        config["predictor"]["openclarify"]["endpoint_url"] = server
    return config


def report_stats(config: dict[str, Any], dataset: Path, config_dir: Path) -> ReportStats | None:
    """What the job computes for the report, from the same table and labels."""
    parsed = load_config(config)
    table = load_bias_table(parsed, dataset, config_dir)
    post = parsed.methods.post_training_bias is not None
    if post and table.predicted_label is None:
        from openclarify.predict import open_model, predictions_for, with_predictions

        with open_model(parsed, list(table.feature_columns), log=LOG) as session:
            table = with_predictions(table, predictions_for(parsed, table, session=session))
    labels = resolve_labels(
        table,
        list(parsed.label_values_or_threshold or []),
        parsed.probability_threshold if parsed.probability_threshold is not None else 0.5,
        need_predictions=post,
    )
    return compute_report_stats(table, labels, log=LOG)


@dataclass(frozen=True)
class Rendered:
    case: str
    folder: Path
    document: dict[str, Any]
    stats: ReportStats | None
    notes: list[str]

    @property
    def html(self) -> Path:
        return self.folder / "report.html"

    @property
    def pdf(self) -> Path:
        return self.folder / "report.pdf"

    @property
    def ipynb(self) -> Path:
        return self.folder / "report.ipynb"


def render_case(
    case: str, folder: Path, server: str | None = None, *, pdf: bool = True
) -> Rendered:
    """Run the case's analysis into ``folder`` and write its reports next to analysis.json."""
    config = case_config(case, server)
    dataset = CASES[case]
    config_dir = SAMPLES / case
    document = openclarify.analyze(config, dataset, config_dir=config_dir).to_dict()
    (folder / "analysis.json").write_text(dumps_analysis(document))
    stats = report_stats(config, dataset, config_dir)
    report = config["methods"]["report"]
    notes = write_reports(
        document,
        folder,
        name=report["name"],
        title=report.get("title"),
        stats=stats,
        config=config,
        log=LOG,
        pdf=pdf,
    )
    return Rendered(case, folder, document, stats, notes)


def document_metrics(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric object of an analysis.json, in document order of the report (pre, post)."""
    out = []
    for key in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for groups in (document.get(key) or {}).get("facets", {}).values():
            for group in groups:
                out.extend(group["metrics"])
    return out


def exact(value: Any) -> str:
    """analysis.json's value as the report's ``data-value`` spells it."""
    if isinstance(value, float):
        return repr(value)
    return "null" if value is None else str(value)


class PageParser(HTMLParser):
    """Collects value cells, tags that would load or run something, and tag balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: list[tuple[str, str]] = []
        self.scripts = 0
        self.external: list[str] = []
        self.stack: list[str] = []
        self.unbalanced: list[str] = []
        self._in_value: str | None = None
        self._text: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href"):
            target = attributes.get(name)
            if target is not None and not target.startswith("#"):
                self.external.append(target)
        if tag == "link":
            self.external.append(str(attributes.get("href")))
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "td" and "value" in (attributes.get("class") or "").split():
            self._in_value = attributes.get("data-value") or ""
            self._text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # self-closing (SVG): balanced by construction

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.unbalanced.append(tag)
        else:
            self.stack.pop()
        if tag == "td" and self._in_value is not None:
            self.values.append((self._in_value, "".join(self._text).strip()))
            self._in_value = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_value is not None:
            self._text.append(data)


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def png_is_not_blank(path: Path) -> None:
    """A rendered page shows something: many colours and a fair share of non-white pixels."""
    from PIL import Image

    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    non_white = np.any(pixels < 245, axis=2).mean()
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert non_white > 0.001, f"{path.name}: only {non_white:.2%} non-white pixels"
    assert colours > 16, f"{path.name}: only {colours} colours"


def synthetic_document() -> dict[str, Any]:
    """A small analysis.json with both stages, an error, SHAP and PDP (no model needed)."""

    def group(value: str, metrics: list[dict[str, object]]) -> dict[str, object]:
        return {"value_or_threshold": value, "metrics": metrics}

    return {
        "version": "1.0",
        "pre_training_bias_metrics": {
            "label": "y",
            "label_value_or_threshold": "1",
            "facets": {
                "Sex": [
                    group(
                        "F",
                        [
                            {"name": "CI", "description": "Class Imbalance (CI)", "value": 0.05},
                            {"name": "DPL", "description": "D", "value": -0.4},
                        ],
                    )
                ]
            },
        },
        "post_training_bias_metrics": {
            "label": "y",
            "label_value_or_threshold": "1",
            "facets": {
                "Sex": [
                    group(
                        "F",
                        [
                            {"name": "DI", "description": "Disparate Impact (DI)", "value": 0.5},
                            {"name": "AD", "description": "A", "value": 0.15},
                            {"name": "FT", "description": "F", "value": None, "error": "boom"},
                        ],
                    )
                ]
            },
        },
        "explanations": {
            "kernel_shap": {
                "label0": {
                    "global_shap_values": {f"f{i}": (i - 6) / 10 for i in range(14)},
                    "expected_value": 0.25,
                }
            },
            "pdp": [
                {
                    "feature_name": "Age",
                    "data_type": "numerical",
                    "feature_values": [20.0, 40.0, 60.0],
                    "data_distribution": [0.2, 0.5, 0.3],
                    "model_predictions": [[0.1, 0.4, 0.7]],
                    "label_headers": ["label0"],
                },
                {"feature_name": "Notes", "data_type": "free_text", "error": "not supported"},
            ],
        },
    }
