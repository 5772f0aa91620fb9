"""write_reports never raises, leaves no stale files, and renders explanations."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

import openclarify.report as report_package
from openclarify.report import compute_report_stats, write_comparison, write_reports

from .conftest import LOG, parse_page, synthetic_document


def test_explanations_render_as_charts(tmp_path: Path) -> None:
    document = synthetic_document()
    (tmp_path / "analysis.json").write_text(json.dumps(document))
    assert write_reports(document, tmp_path, name="r", title="T", log=LOG, pdf=False) == []
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    page = parse_page(text)
    assert page.unbalanced == [] and page.scripts == 0
    joined = " ".join(page.text)
    assert "Feature attributions (global SHAP values)" in joined
    assert "Partial dependence plots" in joined
    assert "Error: not supported" in joined  # the PDP of a free-text feature
    # 1 gap chart per facet group and stage, 1 SHAP chart, 1 PDP chart
    assert text.count("<svg") == 2 + 1 + 1
    assert "f13" in text and "0.7000" in text
    # Without the dataset the statistics are absent, and the report says so.
    assert "these need the dataset" in joined


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    document = synthetic_document()
    for folder in ("a", "b"):
        write_reports(document, tmp_path / folder, config={"k": 1}, log=LOG, pdf=False)
    for name in ("report.html", "report.ipynb"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    notebook = nbformat.read(tmp_path / "a" / "report.ipynb", as_version=4)
    assert [cell.id for cell in notebook.cells][:2] == ["cell-00", "cell-01"]


def _forget(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make the next import of ``openclarify.report.<module>`` run again."""
    monkeypatch.delitem(sys.modules, f"openclarify.report.{module}", raising=False)
    monkeypatch.delattr(report_package, module, raising=False)


def test_missing_extra_is_a_note_not_an_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # import jinja2 raises ImportError
    _forget(monkeypatch, "html")
    with caplog.at_level(logging.WARNING):
        notes = write_reports(synthetic_document(), tmp_path, log=LOG)
    assert notes == [
        "report files not written: jinja2 is missing "
        "(install the report extra: pip install 'openclarify[report]')"
    ]
    assert list(tmp_path.iterdir()) == []
    assert "jinja2 is missing" in caplog.text


def test_missing_weasyprint_costs_only_the_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF- from an earlier run")
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    notes = write_reports(synthetic_document(), tmp_path, log=LOG)
    assert notes == ["report.pdf not written: weasyprint is missing"]
    assert (tmp_path / "report.html").exists() and (tmp_path / "report.ipynb").exists()
    assert not (tmp_path / "report.pdf").exists()  # the stale PDF is not left behind


def test_the_notebook_is_written_without_nbformat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nbformat", None)  # import nbformat raises ImportError
    _forget(monkeypatch, "notebook")
    notes = write_reports(synthetic_document(), tmp_path, log=LOG, pdf=False)
    assert notes == []
    monkeypatch.undo()
    notebook = nbformat.read(tmp_path / "report.ipynb", as_version=4)
    nbformat.validate(notebook)


def test_the_notebook_is_the_text_nbformat_writes(tmp_path: Path) -> None:
    from openclarify.report import html
    from openclarify.report.content import build_report
    from openclarify.report.notebook import build_notebook, notebook_text

    report = build_report(synthetic_document(), title="T <b>", config={"k": "ü\nx"})
    parts = [(k, str(p)) for k, p in html.sections(report, LOG)]
    node = nbformat.from_dict(build_notebook(report, parts, html.stylesheet()))
    nbformat.validate(node)
    assert notebook_text(report, parts, html.stylesheet()) == nbformat.writes(node)


def test_unwritable_output_is_a_note(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    notes = write_reports(synthetic_document(), blocker, log=LOG, pdf=False)
    assert notes == ["report.html not written (see the log)"]
    notes = write_comparison(synthetic_document(), synthetic_document(), blocker, log=LOG)
    assert notes == ["comparison.html not written (see the log)"]


def test_broken_document_is_a_note(tmp_path: Path) -> None:
    broken = {"version": "1.0", "pre_training_bias_metrics": {"facets": {"x": [42]}}}
    notes = write_reports(broken, tmp_path, log=LOG, pdf=False)
    assert notes == ["report.html not written (see the log)"]
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ""])
def test_a_name_that_is_not_a_file_name_is_replaced(tmp_path: Path, name: str) -> None:
    notes = write_reports(synthetic_document(), tmp_path / "out", name=name, log=LOG, pdf=False)
    assert notes == ["methods.report.name is not a plain file name; reports are named report.*"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.ipynb"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_stats_failure_returns_none_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        facets = None  # not iterable

    labels = type(
        "L", (), {"positive": type("P", (), {"mask": np.ones(3, bool)}), "predicted": None}
    )
    with caplog.at_level(logging.WARNING):
        assert compute_report_stats(Broken(), labels, log=LOG) is None
    assert "Report statistics could not be computed" in caplog.text


def test_core_imports_none_of_the_report_extra() -> None:
    code = (
        "import sys, openclarify.report, openclarify.report.content, openclarify.cli\n"
        "heavy = {'jinja2', 'matplotlib', 'nbformat', 'weasyprint'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


def test_a_report_imports_no_plotting_library(tmp_path: Path) -> None:
    # The charts are written without matplotlib (but a PDP of several outputs).
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from openclarify.report import write_reports\n"
        "document = json.loads(sys.argv[1])\n"
        "assert write_reports(document, Path(sys.argv[2]), pdf=False) == []\n"
        "print('matplotlib' in sys.modules)\n"
    )
    document = synthetic_document()
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(document), str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert out.strip() == "False"
    assert (tmp_path / "report.html").read_text(encoding="utf-8").count("<svg") == 4


def test_many_facet_groups_share_one_compact_table(tmp_path: Path) -> None:
    from openclarify.report.content import MAX_DETAILED_GROUPS

    groups = [
        {
            "value_or_threshold": f"city{i}",
            "metrics": [
                {"name": "CI", "description": "Class Imbalance (CI)", "value": i / 100},
                {"name": "DPL", "description": "D", "value": -i / 50},
            ],
        }
        for i in range(MAX_DETAILED_GROUPS + 12)
    ]
    document = {
        "version": "1.0",
        "pre_training_bias_metrics": {
            "label": "y",
            "label_value_or_threshold": "1",
            "facets": {"City": groups},
        },
    }
    assert write_reports(document, tmp_path, log=LOG, pdf=False) == []
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    page = parse_page(text)
    expected = [repr(m["value"]) for g in groups for m in g["metrics"]]
    assert [value for value, _ in page.values] == expected
    assert text.count("<svg") == MAX_DETAILED_GROUPS  # one gap chart per detailed group
    assert "City: 12 more groups" in " ".join(page.text)


def test_label_chart_draws_the_largest_groups_only() -> None:
    from openclarify.report.charts import label_distribution
    from openclarify.report.content import MAX_CHART_GROUPS
    from openclarify.report.stats import GroupStats

    groups = [
        GroupStats("City", f"v{i:02d}", rows=i + 1, proportion=0.01, positive_label_rate=0.5)
        for i in range(MAX_CHART_GROUPS + 5)
    ]
    svg = label_distribution(groups, "y", "1")
    assert svg.startswith("<svg")
    for i in range(5):  # the five smallest groups are left out
        assert f">v{i:02d}<" not in svg
    for i in range(5, MAX_CHART_GROUPS + 5):
        assert f">v{i:02d}<" in svg
