"""The report's drift section: shown only after a check, violated values marked."""

from __future__ import annotations

import ast
import json
import logging
import math
from pathlib import Path

import pytest

from openclarify.monitor import check_drift
from openclarify.report import write_reports
from openclarify.report.content import build_report
from openclarify.report.drift import DriftSection

from .documents import bias_document, shap_document

pytest.importorskip("jinja2")
pytest.importorskip("nbformat")

LOG = logging.getLogger("openclarify")


def _section() -> tuple[dict[str, object], DriftSection]:
    baseline = bias_document({"AD": 0.1, "TE": 2.0, "DCR": None})
    current = bias_document({"AD": 0.05, "TE": math.inf, "DCR": 0.3})
    check = check_drift(baseline, current)
    return current, DriftSection.from_check(check, "base/analysis.json")


def test_section_rows_and_round_trip() -> None:
    _, section = _section()
    assert [(r.metric, r.baseline, r.current, r.violated) for r in section.rows] == [
        ("AD", "0.1", "0.05", False),
        ("DCR", "—", "0.3", False),
        ("TE", "2", "∞", True),
    ]
    assert section.rows[1].note == "not compared (no value)"
    assert section.violations == (
        "Metric value Infinity doesn't meet the baseline constraint requirement 2.0",
    )
    assert DriftSection.from_dict(json.loads(json.dumps(section.to_dict()))) == section


def test_html_marks_violations_and_only_when_checked() -> None:
    from openclarify.report import html

    document, section = _section()
    plain = dict(html.sections(build_report(document, versions={}), LOG))
    assert "drift" not in plain
    checked = dict(html.sections(build_report(document, versions={}, drift=section), LOG))
    assert list(checked)[:2] == ["summary", "drift"]
    part = str(checked["drift"])
    assert "base/analysis.json" in part and part.count('<tr class="row-far">') == 1
    assert '<span class="flag flag-far">violated</span>' in part


def test_attribution_rows() -> None:
    from openclarify.report import html

    baseline = shap_document({"label0": {"SAT": 0.70, "GPA": 0.50, "Rank": 0.05}})
    current = shap_document({"label0": {"SAT": 0.10, "GPA": 0.20, "Rank": 0.70}})
    section = DriftSection.from_check(check_drift(baseline, current), "b.json")
    first = section.rows[0]
    assert (first.metric, first.current, first.violated) == ("nDCG", "0.6876", True)
    part = str(dict(html.sections(build_report(current, versions={}, drift=section), LOG))["drift"])
    assert "Feature attribution drift 0.68" in part and "SAT" in part


def test_written_reports_carry_the_section(tmp_path: Path) -> None:
    document, section = _section()
    assert write_reports(document, tmp_path, drift=section, pdf=False) == []
    assert "Drift against the baseline" in (tmp_path / "report.html").read_text()
    notebook = json.loads((tmp_path / "report.ipynb").read_text())
    setup = "".join(notebook["cells"][1]["source"])
    assert "DRIFT = json.loads(" in setup and "drift=DRIFT" in setup
    # The stored section renders the same again, as the notebook's first cell does.
    from openclarify.report.notebook import load_report

    (tmp_path / "analysis.json").write_text(json.dumps(document))
    line = next(x for x in setup.splitlines() if x.startswith("DRIFT = json.loads("))
    stored = json.loads(
        ast.literal_eval(line.removeprefix("DRIFT = json.loads(").removesuffix(")"))
    )
    again = load_report(
        tmp_path / "analysis.json", title=None, stats=None, config=None, versions={}, drift=stored
    )
    assert again.report.drift == section
