"""The PDF is printed from a leaner copy of the page: the charts as ``data:`` images of
the same SVG documents, printing to the same pixels as the charts inline."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest

from openclarify.report import html
from openclarify.report.content import build_report
from openclarify.report.pdf import html_to_pdf, print_html

from .conftest import LOG, require_binary, synthetic_document

IMAGE = re.compile(r'<img alt="" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def page() -> str:
    report = build_report(synthetic_document(), title="T", stats=None, config={"k": 1})
    return html.render_html(report, LOG)


def test_charts_become_images_of_the_same_svg(page: str) -> None:
    charts = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(charts) == 4
    lean = print_html(page)
    assert "<svg" not in lean
    images = IMAGE.findall(lean)
    assert [base64.b64decode(data).decode("utf-8") for data in images] == charts
    # Outside the charts nothing changes but the rule that sizes them.
    rule = ".oc-report figure img { max-width: 100%; height: auto; }\n"
    assert IMAGE.sub("", lean).replace(rule, "", 1) == re.sub(
        r"<svg\b.*?</svg>", "", page, flags=re.DOTALL
    )


def test_a_page_without_charts_is_unchanged() -> None:
    page = "<html><head><style>p {}</style></head><body><p>&lt;svg&gt;</p></body></html>"
    assert print_html(page) == page


def test_pdf_pages_equal_those_printed_with_inline_charts(page: str, tmp_path: Path) -> None:
    pdftoppm = require_binary("pdftoppm")
    import weasyprint

    (tmp_path / "inline.pdf").write_bytes(weasyprint.HTML(string=page).write_pdf())
    (tmp_path / "lean.pdf").write_bytes(html_to_pdf(page))
    for name in ("inline", "lean"):
        subprocess.run(
            [pdftoppm, "-r", "72", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    inline = sorted(tmp_path.glob("inline-*.png"))
    lean = sorted(tmp_path.glob("lean-*.png"))
    assert len(inline) == len(lean) >= 1
    for a, b in zip(inline, lean, strict=True):
        assert a.read_bytes() == b.read_bytes(), b.name


def test_the_charts_text_is_in_the_pdf(page: str, tmp_path: Path) -> None:
    pdftotext = require_binary("pdftotext")
    (tmp_path / "r.pdf").write_bytes(html_to_pdf(page))
    text = subprocess.run(
        [pdftotext, str(tmp_path / "r.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert text.count("value − fair value (clipped to ±1)") == 2
    assert "global SHAP value" in text
    assert "model output" in text


def test_no_url_other_than_data_is_fetched(tmp_path: Path) -> None:
    target = tmp_path / "secret.svg"
    target.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    page = f'<html><head><style></style></head><body><img src="{target.as_uri()}"></body></html>'
    from openclarify.report.pdf import _fetcher

    with pytest.raises(ValueError, match=r"disallowed protocol|does not fetch"):
        _fetcher()(target.as_uri())
    assert html_to_pdf(page).startswith(b"%PDF-")
