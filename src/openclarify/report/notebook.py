"""The report as a Jupyter notebook (nbformat 4.5 JSON, written with :mod:`json`).

The notebook carries the same sections as the HTML page, pre-rendered as
outputs, so it reads complete without running.  Run top to bottom (Jupyter,
``nbclient``) it re-reads ``analysis.json`` from its own folder and renders the
sections again with this package; what cannot come from ``analysis.json`` —
the statistics that need the dataset, the configuration and the versions of
the run — is stored in the first code cell.

The file is the text ``nbformat.writes`` gives for the same notebook (the tests
compare them byte for byte and validate it against nbformat's schema), written
without importing nbformat: its import and schema validation were a tenth of a
first render, for cells whose shape is fixed here.
"""

from __future__ import annotations

import html as html_lib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..results import ANALYSIS_FILE, TextExample
from .content import Report, build_report
from .drift import DriftSection
from .stats import ReportStats

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

_TITLES = {
    "summary": "Summary",
    "drift": "Drift against the baseline",
    "statistics": "Basic statistics per facet value",
    "pre_training": "Pre-training bias metrics",
    "post_training": "Post-training bias metrics",
    "performance": "Model performance",
    "group-performance": "Performance per facet group",
    "shap": "Feature attributions (SHAP)",
    "text": "Text attributions",
    "pdp": "Partial dependence plots",
    "images": "Image explanations (heat maps)",
    "segments": "Segments",
    "thresholds": "How values are flagged",
    "configuration": "Configuration and versions",
}


@dataclass(frozen=True)
class NotebookReport:
    """A report with its sections rendered once, for the notebook's cells."""

    report: Report
    sections: dict[str, str]


def load_report(
    analysis: str | Path = ANALYSIS_FILE,
    *,
    title: str | None,
    stats: dict[str, Any] | None,
    config: dict[str, Any] | None,
    versions: dict[str, str] | None,
    drift: dict[str, Any] | None = None,
    text_examples: list[dict[str, Any]] | None = None,
) -> NotebookReport:
    """Build and render the report from ``analysis.json`` (the notebook's first cell).

    ``drift`` is the stored drift section (:meth:`DriftSection.to_dict`) of a
    checked run: the baseline it compares with is not in ``analysis.json``.
    """
    from . import html

    document = json.loads(Path(analysis).read_text(encoding="utf-8"))
    report = build_report(
        document,
        title=title,
        stats=ReportStats.from_dict(stats) if stats is not None else None,
        config=config,
        versions=versions,
        drift=DriftSection.from_dict(drift) if drift is not None else None,
        output_dir=Path(analysis).parent,
        text_examples=tuple(TextExample.from_dict(e) for e in text_examples or ()),
    )
    log = logging.getLogger("openclarify")
    return NotebookReport(report, {key: str(part) for key, part in html.sections(report, log)})


def show(notebook_report: NotebookReport, section: str) -> None:
    """Display one section (inside a notebook kernel)."""
    from IPython.display import HTML, display

    from .html import fragment

    display(HTML(fragment(notebook_report.sections[section])))


def _setup_source(report: Report) -> str:
    stats = None if report.stats is None else report.stats.to_dict()
    texts = [e.to_dict() for e in report.text_examples]

    def literal(value: Any) -> str:
        # JSON text inside a Python string literal: always valid source, and
        # NaN/inf never appear (allow_nan=False would fail the write instead).
        return f"json.loads({json.dumps(value, ensure_ascii=False, default=str)!r})"

    # A checked run also stores its drift section (the baseline is not in analysis.json);
    # an unchecked one gets exactly the cell it always had.
    drift_line = [] if report.drift is None else [f"DRIFT = {literal(report.drift.to_dict())}"]
    drift_arg = "" if report.drift is None else ", drift=DRIFT"
    # likewise the explained texts of a text-explanations run (not in analysis.json)
    text_line = [f"TEXTS = {literal(texts)}"] if texts else []
    text_arg = ", text_examples=TEXTS" if texts else ""
    return "\n".join(
        [
            "# Re-renders the report from analysis.json in this folder. The statistics that",
            "# need the dataset, the configuration and the versions of the run are stored here.",
            "import json",
            "",
            "from openclarify.report.html import stylesheet",
            "from openclarify.report.notebook import load_report, show",
            "from IPython.display import HTML, display",
            "",
            f"STATS = {literal(stats)}",
            f"CONFIG = {literal(report.config)}",
            f"VERSIONS = {literal(report.versions)}",
            *drift_line,
            *text_line,
            f"REPORT = load_report({ANALYSIS_FILE!r}, title={report.title!r}, stats=STATS, "
            f"config=CONFIG, versions=VERSIONS{drift_arg}{text_arg})",
            'display(HTML(f"<style>{stylesheet()}</style>"))',
        ]
    )


def _lines(text: str) -> list[str]:
    # Multi-line strings are stored as lists of lines, as nbformat writes them.
    return text.splitlines(True)


def _html_output(text: str, plain: str) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"text/html": _lines(text), "text/plain": _lines(plain)},
        "metadata": {},
    }


def _code_cell(index: int, source: str, output: dict[str, Any]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": f"cell-{index:02d}",  # stable ids: the same analysis gives the same file
        "metadata": {},
        "outputs": [output],
        "source": _lines(source),
    }


def build_notebook(report: Report, sections: list[tuple[str, str]], css: str) -> dict[str, Any]:
    """The notebook (nbformat 4.5): markdown heading, code cells and pre-rendered outputs."""
    from .html import fragment

    title = {
        "cell_type": "markdown",
        "id": "cell-00",
        "metadata": {},
        "source": _lines(
            f"# {html_lib.escape(report.title)}\n\n"
            "Rendered from `analysis.json` in this folder; run all cells to render it again."
        ),
    }
    cells = [title, _code_cell(1, _setup_source(report), _html_output(f"<style>{css}</style>", ""))]
    for key, part in sections:
        output = _html_output(fragment(part), f"<{_TITLES.get(key, key)}>")
        cells.append(_code_cell(len(cells), f"show(REPORT, {key!r})", output))
    return {
        "cells": cells,
        "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def notebook_text(report: Report, sections: list[tuple[str, str]], css: str) -> str:
    """The ``.ipynb`` file's text, as ``nbformat.writes`` spells it."""
    return json.dumps(
        build_notebook(report, sections, css),
        indent=1,
        sort_keys=True,
        separators=(",", ": "),
        ensure_ascii=False,
    )
