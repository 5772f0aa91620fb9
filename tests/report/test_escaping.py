"""Strings from the data and the config reach the reports escaped, never as markup."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pandas as pd

import openclarify
from openclarify.report import write_reports
from openclarify.results import dumps_analysis

from .conftest import LOG, parse_page, report_stats, require_binary

ALERT = "<script>alert(1)</script>"
#: Would mark <body> if it ever ran; a browser's DOM dump shows whether it did.
MARKER = "<script>document.body.setAttribute('data-pwned','yes')</script>"
TITLE = "Report <b>bold</b> & <img src=x onerror=alert(2)>"


def _hostile_run(folder: Path) -> tuple[Path, dict[str, object]]:
    rows = 60
    frame = pd.DataFrame(
        {
            "Group": [ALERT, MARKER, "plain"] * (rows // 3),
            "Score": list(range(rows)),
            "Label <i>": [1, 0, 1, 1, 0, 0] * (rows // 6),
        }
    )
    data = folder / "data.csv"
    frame.to_csv(data, index=False, header=False)
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "Label <i>",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Group"}],
        "methods": {
            "report": {"name": "report", "title": TITLE},
            "pre_training_bias": {"methods": ["CI", "DPL"]},
        },
    }
    document = openclarify.analyze(config, data).to_dict()
    (folder / "analysis.json").write_text(dumps_analysis(document))
    notes = write_reports(
        document,
        folder,
        name="report",
        title=TITLE,
        stats=report_stats(config, data, folder),
        config=config,
        log=LOG,
        pdf=False,
    )
    assert notes == []
    return folder / "report.html", document


def test_facet_values_labels_and_title_are_escaped(tmp_path: Path) -> None:
    page, document = _hostile_run(tmp_path)
    text = page.read_text(encoding="utf-8")
    groups = [
        g["value_or_threshold"] for g in document["pre_training_bias_metrics"]["facets"]["Group"]
    ]
    assert ALERT in groups and MARKER in groups  # the analysis keeps the values as they are
    for raw in (ALERT, MARKER, "<b>bold</b>", "<img src=x", "Label <i>"):
        assert raw not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    parsed = parse_page(text)
    assert parsed.scripts == 0 and parsed.external == []
    joined = " ".join(parsed.text)
    assert ALERT in joined and TITLE in joined  # shown to the reader as text


def test_notebook_outputs_and_title_are_escaped(tmp_path: Path) -> None:
    _hostile_run(tmp_path)
    notebook = nbformat.read(tmp_path / "report.ipynb", as_version=4)
    assert "<b>" not in notebook.cells[0].source and "&lt;b&gt;" in notebook.cells[0].source
    html = "".join(
        output.get("data", {}).get("text/html", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert ALERT not in html and MARKER not in html
    assert parse_page(html).scripts == 0


def test_chromium_does_not_run_a_facet_value(tmp_path: Path) -> None:
    chromium = require_binary("chromium")
    page, _ = _hostile_run(tmp_path)
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "<main" in dom and "&lt;script&gt;" in dom  # the page loaded, value shown as text
    assert "data-pwned" not in dom.split("<main")[0]  # <body> was not touched
    assert 'data-pwned="yes"' not in dom


def test_config_json_in_the_report_is_escaped(tmp_path: Path) -> None:
    page, _ = _hostile_run(tmp_path)
    text = page.read_text(encoding="utf-8")
    shown = json.dumps(TITLE, ensure_ascii=False)
    assert shown not in text  # raw quotes/brackets never appear unescaped
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
