"""The opt-in in the report and the CLI table; without it, the report is read as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import openclarify
from openclarify.cli import main
from openclarify.report.content import build_report

CASE = Path(__file__).parent.parent / "golden" / "cases" / "multiple_facets"
EXTRAS = {
    "uncertainty": {"resamples": 50, "seed": 2, "min_rows": 100},
    "intersections": [
        [{"name_or_index": "Sex"}, {"name_or_index": "Age", "value_or_threshold": [40]}]
    ],
    "group_performance": True,
}


def _raw(extras: bool) -> dict:
    raw = json.loads((CASE / "analysis_config.json").read_text())
    raw["methods"].pop("report")
    if extras:
        raw["openclarify"] = EXTRAS
    return raw


def test_report_shows_intervals_badges_crossings_and_performance() -> None:
    pytest.importorskip("jinja2")
    pytest.importorskip("matplotlib")
    import logging

    from openclarify.report import html

    document = openclarify.analyze(_raw(True), CASE / "data").to_dict()
    report = build_report(document, versions={})
    assert report.beyond is not None and report.beyond.confidence_level == 0.95
    groups = {(g.facet, g.value_or_threshold): g for g in report.stages[0].groups}
    assert ("Sex & Age", "Female & (40, 89]") in groups
    assert groups[("Race", "1,2")].reliability == ("few_rows",)
    dpl = groups[("Sex", "Female")].by_code()["DPL"]
    assert dpl.interval is not None and dpl.interval[0] < dpl.value < dpl.interval[1]
    page = html.render_html(report, logging.getLogger("test"))
    assert "95% interval" in page and "⚠ few rows" in page
    assert "Performance per facet group" in page and "Whiskers" in page
    # the whiskers: the chart with intervals draws more than the same chart without them
    import dataclasses

    from openclarify.report import charts

    group = groups[("Sex", "Female")]
    bare = dataclasses.replace(
        group, metrics=tuple(dataclasses.replace(m, interval=None) for m in group.metrics)
    )
    assert len(charts.metric_gaps(group)) > len(charts.metric_gaps(bare))


def test_report_without_the_key_has_no_extras() -> None:
    document = openclarify.analyze(_raw(False), CASE / "data").to_dict()
    report = build_report(document, versions={})
    assert report.beyond is None
    assert all(r.interval is None for _, _, r in report.all_rows())
    assert all(g.reliability == () for s in report.stages for g in s.groups)


def test_cli_prints_intervals_and_performance(tmp_path: Path, capsys) -> None:
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps(_raw(True)))
    code = main(
        [
            "analyze",
            "--config",
            str(config),
            "--dataset",
            str(CASE / "data"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "confidence intervals (bootstrap), p-values and reliability flags" in printed
    assert "few_rows" in printed
    assert "Per-group performance" in printed and "Sex & Age" in printed
    written = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert list(written)[-1] == "openclarify"
