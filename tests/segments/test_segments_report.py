"""The report's Segments section: one table per ``segment_config`` entry, and the files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import openclarify
from openclarify.report.content import build_report
from openclarify.report.segments import segment_tables

DATA = Path(__file__).resolve().parents[1] / "sdk_generations" / "data"


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "dataset_type": "text/csv",
        "label": "Approved",
        "predicted_label": "Prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Gender", "value_or_threshold": ["Female"]}],
        "methods": {
            "pre_training_bias": {"methods": ["CI", "DPL"]},
            "post_training_bias": {"methods": ["DPPL"]},
            "report": {"name": "report", "title": "Segments"},
        },
        "segment_config": [
            {"name_or_index": "Age", "segments": [["[21, 40]"]], "config_name": "age"},
            {"name_or_index": "Gender", "segments": [["Nobody"]]},
        ],
        **extra,
    }


def test_one_table_per_entry_whole_dataset_first() -> None:
    document = openclarify.analyze(_config(), DATA / "loans_scored.csv").to_dict()
    age, empty = segment_tables(document)
    assert (age.title, age.column, age.segments) == ("age", "Age", ("[21, 40]", "__default__"))
    assert empty.title == "segment_config[1]" and empty.segments == ("Nobody", "__default__")
    records, *metrics = age.lines
    assert [c.shown for c in records.cells] == ["all", "100", "140"]
    assert [line.name for line in metrics] == [
        "CI · Gender = Female",
        "DPL · Gender = Female",
        "DPPL · Gender = Female",
    ]
    assert [line.kind for line in metrics] == ["Pre-training", "Pre-training", "Post-training"]
    ci = build_report(document).stages[0].groups[0].metrics[0]
    assert ci.code == "CI" and metrics[0].cells[0].shown == ci.shown
    # an empty segment shows its error, the default segment the whole dataset's values
    _, *empty_metrics = empty.lines
    for line in empty_metrics:
        first, none, default = line.cells
        assert none.flag == "error" and none.title.endswith("Segment is empty")
        assert default.shown == first.shown


def test_the_report_files_carry_the_section(tmp_path: Path) -> None:
    pytest.importorskip("jinja2")
    openclarify.run(_config(), DATA / "loans_scored.csv", tmp_path)
    page = (tmp_path / "report.html").read_text()
    section = page[page.index('<section id="segments">') :]
    section = section[: section.index("</section>")]
    assert len(re.findall(r"<table", section)) == 2
    assert "<th>All rows</th><th>[21, 40]</th><th>__default__</th>" in section
    notebook = json.loads((tmp_path / "report.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert "show(REPORT, 'segments')" in sources
    document = json.loads((tmp_path / "analysis.json").read_text())
    assert list(document)[-1] == "segment_analysis"


def test_no_section_without_segments() -> None:
    cfg = _config()
    cfg.pop("segment_config")
    document = openclarify.analyze(cfg, DATA / "loans_scored.csv").to_dict()
    assert build_report(document).segments == ()
