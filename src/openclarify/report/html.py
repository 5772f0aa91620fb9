"""The report as one self-contained HTML page (jinja2; imported only here).

Inline CSS, inline SVG charts, no script, no external resource: the page
opens the same offline, in a browser, in Studio and in weasyprint.  Autoescape
is on for every template, so headers, facet values, titles and error texts
from the data or the config are always escaped; the only strings marked safe
are the SVG documents written by matplotlib (which escapes its own text).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..results import TextExample
from . import charts, flags
from .beyond import RATES, RELIABILITY_NAMES
from .compare import CompareRow, Comparison
from .content import (
    MAX_CHART_GROUPS,
    MAX_DETAILED_GROUPS,
    TOP_FEATURES,
    TOP_TOKENS,
    Report,
    format_value,
)

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("openclarify.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["f4"] = lambda value: f"{float(value):.4f}"
_ENV.globals.update(
    flag_names={
        "fair": "fair",
        "notable": "worth a look",
        "far": "far from fair",
        "error": "error",
    },
    notable_gap=flags.NOTABLE_GAP,
    far_gap=flags.FAR_GAP,
    notable_ratio=flags.NOTABLE_RATIO,
    far_ratio=flags.FAR_RATIO,
    top_features=TOP_FEATURES,
    top_tokens=TOP_TOKENS,
    max_detailed=MAX_DETAILED_GROUPS,
    max_chart_groups=MAX_CHART_GROUPS,
    format_value=format_value,
    reliability_names=RELIABILITY_NAMES,
    performance_rates=RATES,
)

CHART_MISSING = Markup('<p class="note">Chart not available.</p>')


class _Charts:
    """The chart functions as the templates call them; a failing chart becomes a note."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log

    def _draw(self, draw: Callable[..., str], *args: Any) -> Markup:
        try:
            return Markup(draw(*args))
        except Exception:  # one chart must not cost the whole report
            self._log.warning("A report chart could not be drawn; the report shows a note instead")
            self._log.debug("Chart failure", exc_info=True)
            return CHART_MISSING

    def label_distribution(self, *args: Any) -> Markup:
        return self._draw(charts.label_distribution, *args)

    def metric_gaps(self, *args: Any) -> Markup:
        return self._draw(charts.metric_gaps, *args)

    def shap_bars(self, *args: Any) -> Markup:
        return self._draw(charts.shap_bars, *args)

    def pdp_plot(self, *args: Any) -> Markup:
        return self._draw(charts.pdp_plot, *args)

    def compare_gaps(self, *args: Any) -> Markup:
        return self._draw(charts.compare_gaps, *args)


#: Colours of a unit that raises (green) or lowers (red) the output, as RGB.
_RAISES, _LOWERS = (26, 150, 65), (215, 48, 39)


def text_pieces(
    example: TextExample, shown: tuple[TextExample, ...]
) -> list[tuple[str, float | None, str]]:
    """``example``'s text as ``(piece, attribution or None, background colour)``.

    Gaps between units have no attribution; a unit's colour is green when it
    raises the output and red when it lowers it, with an opacity of
    ``|attribution| / max |attribution|`` over every unit of the texts shown with
    the same label (so colours compare across the records shown), at most 0.85
    so the text stays readable.
    """
    same = [v for e in shown if e.label == example.label for _, _, v in e.spans]
    scale = max((abs(v) for v in same), default=0.0) or 1.0
    pieces: list[tuple[str, float | None, str]] = []
    position = 0
    for start, end, value in example.spans:
        if start > position:
            pieces.append((example.text[position:start], None, ""))
        red, green, blue = _RAISES if value >= 0 else _LOWERS
        alpha = round(0.85 * min(1.0, abs(value) / scale), 3)
        pieces.append((example.text[start:end], value, f"rgba({red}, {green}, {blue}, {alpha})"))
        position = end
    if position < len(example.text):
        pieces.append((example.text[position:], None, ""))
    return pieces


def stylesheet() -> str:
    """The report's CSS (scoped to ``.oc-report``)."""
    source, _, _ = _ENV.loader.get_source(_ENV, "report.css")  # type: ignore[union-attr]
    return source


def config_json(report: Report) -> str:
    """The run's configuration as indented JSON (escaped by the template)."""
    return json.dumps(report.config, indent=2, ensure_ascii=False, default=str)


def sections(report: Report, log: logging.Logger) -> list[tuple[str, Markup]]:
    """The report's sections in order, as ``(id, HTML fragment)``."""
    macros = _ENV.get_template("sections.html.j2").module
    drawn = _Charts(log)
    out: list[tuple[str, Markup]] = [("summary", macros.summary(report))]  # type: ignore[attr-defined]
    if report.drift is not None:
        out.append(("drift", macros.drift(report.drift)))  # type: ignore[attr-defined]
    if report.stages:
        out.append(("statistics", macros.statistics(report, drawn)))  # type: ignore[attr-defined]
    for stage in report.stages:
        out.append((stage.key, macros.stage(report, stage, drawn)))  # type: ignore[attr-defined]
    has_post = any(s.key == "post_training" for s in report.stages)
    if has_post or (report.stats is not None and report.stats.performance is not None):
        out.append(("performance", macros.performance(report)))  # type: ignore[attr-defined]
    if report.beyond is not None and report.beyond.performance:
        out.append(("group-performance", macros.group_performance(report)))  # type: ignore[attr-defined]
    if report.shap:
        out.append(("shap", macros.shap(report, drawn)))  # type: ignore[attr-defined]
    if report.text_top or report.text_examples:
        pieces = [(e, text_pieces(e, report.text_examples)) for e in report.text_examples]
        out.append(("text", macros.text(report, drawn, pieces)))  # type: ignore[attr-defined]
    if report.pdp:
        out.append(("pdp", macros.pdp(report, drawn)))  # type: ignore[attr-defined]
    if report.images:
        out.append(("images", macros.images(report)))  # type: ignore[attr-defined]
    if report.segments:
        out.append(("segments", macros.segments(report)))  # type: ignore[attr-defined]
    if report.stages:
        out.append(("thresholds", macros.thresholds()))  # type: ignore[attr-defined]
    out.append(("configuration", macros.configuration(report, config_json(report))))  # type: ignore[attr-defined]
    return out


def fragment(html: Markup | str) -> str:
    """One section wrapped so that the report's scoped CSS applies (notebook outputs)."""
    return f'<div class="oc-report">{html}</div>'


def render_page(title: str, parts: list[Markup]) -> str:
    """A complete page around already rendered section fragments."""
    return _ENV.get_template("report.html.j2").render(
        title=title, sections=parts, version=__version__
    )


def render_html(report: Report, log: logging.Logger) -> str:
    """The whole report as one self-contained HTML document."""
    return render_page(report.title, [html for _, html in sections(report, log)])


def render_comparison(comparison: Comparison, log: logging.Logger) -> str:
    """Two runs side by side as one self-contained HTML document."""
    groups: dict[tuple[str, str, str], list[CompareRow]] = {}
    for row in comparison.rows:
        groups.setdefault((row.stage, row.facet, row.value_or_threshold), []).append(row)
    return _ENV.get_template("compare.html.j2").render(
        comparison=comparison,
        groups=list(groups.items()),
        charts=_Charts(log),
        version=__version__,
    )
