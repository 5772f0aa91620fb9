"""The SVG of the charts matplotlib still draws is trimmed of what draws nothing and
prints the same pixels; the charts written directly are as lean."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from openclarify.report import figures, html
from openclarify.report.content import Report, build_report
from openclarify.report.figures import lean_svg
from openclarify.report.pdf import html_to_pdf

from .conftest import LOG, require_binary, synthetic_document


def test_bare_groups_metadata_and_null_rotations_go_the_rest_stays() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg">\n <metadata>\n  <x/>\n </metadata>\n'
        ' <g id="figure_1">\n  <g id="axes_1" clip-path="url(#p1)">\n   <g>\n'
        '    <text x="1" y="2" transform="rotate(-0 1 2)">a &lt;g&gt;</text>\n'
        '    <text x="1" y="2" transform="rotate(-30 1 2)">b</text>\n   </g>\n'
        '   <g id="empty"/>\n   <g style="fill: red"/>\n  </g>\n </g>\n</svg>'
    )
    assert lean_svg(svg) == (
        '<svg xmlns="http://www.w3.org/2000/svg">\n<g id="axes_1" clip-path="url(#p1)">\n'
        '<text x="1" y="2">a &lt;g&gt;</text>\n'
        '<text x="1" y="2" transform="rotate(-30 1 2)">b</text>\n'
        '<g style="fill: red"/>\n</g>\n</svg>'
    )


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(synthetic_document(), title="T", stats=None, config={"k": 1})


def test_charts_are_well_formed_and_lean(report: Report) -> None:
    page = html.render_html(report, LOG)
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)
        assert not root.findall(".//{http://www.w3.org/2000/svg}metadata")
        for group in root.iter("{http://www.w3.org/2000/svg}g"):
            assert set(group.attrib) - {"id"}, "a group that only carries an id"
        assert "rotate(-0 " not in svg


def test_lean_charts_print_the_pixels_of_matplotlibs_svg(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # matplotlib draws the PDP plots of several outputs and AnalysisResult.plot()
    pdftoppm = require_binary("pdftoppm")
    feature = dataclasses.replace(report.pdp[0], predictions=((0.1, 0.4, 0.7), (0.9, 0.6, 0.3)))
    group = report.stages[1].groups[0]

    def page() -> str:
        charts = figures.pdp_plot(feature) + figures._svg(figures.metrics_figure([("S", group)]))
        return f"<html><head><style></style></head><body>{charts}</body></html>"

    (tmp_path / "lean.pdf").write_bytes(html_to_pdf(page()))
    monkeypatch.setattr(figures, "lean_svg", lambda svg: svg)
    full = page()
    assert full.count("<metadata>") == 2
    (tmp_path / "full.pdf").write_bytes(html_to_pdf(full))
    for name in ("full", "lean"):
        subprocess.run(
            [pdftoppm, "-r", "96", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    full_pages = sorted(tmp_path.glob("full-*.png"))
    lean_pages = sorted(tmp_path.glob("lean-*.png"))
    assert len(full_pages) == len(lean_pages) >= 1
    for a, b in zip(full_pages, lean_pages, strict=True):
        assert a.read_bytes() == b.read_bytes(), b.name
