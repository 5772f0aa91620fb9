"""The report's charts as inline SVG strings.

The bar charts (label shares per group, metric gaps, SHAP values, comparisons) are
written by :mod:`.svgchart` in the look matplotlib gave them, without importing
matplotlib: a bias report imports no plotting library.  The partial dependence
plots (lines over bars on two y axes) are drawn by matplotlib (:mod:`.figures`,
imported on the first one); so is the figure of ``AnalysisResult.plot()``
(:func:`plot_result`, a matplotlib figure to keep working with).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import flags
from .compare import CompareRow
from .content import MAX_CHART_GROUPS, GroupMetrics, MetricRow, PdpFeature, ShapLabel
from .pdpchart import pdp_svg
from .stats import GroupStats
from .svgchart import BarChart, Bars, Label, VLine

if TYPE_CHECKING:
    from .figures import NotebookFigure

#: Colours of the flags (also used by the HTML stylesheet).
COLOURS = {"fair": "#2e7d32", "notable": "#e0a100", "far": "#c62828", "error": "#9e9e9e"}
POSITIVE = "#1565c0"
NEGATIVE = "#cfd8dc"
#: Bars of metric gaps are drawn within ±this (a longer bar is clipped and marked).
GAP_AXIS = 1.0
WIDTH_IN = 6.4
_GREY = "#757575"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(value: float) -> float:
    return max(-GAP_AXIS, min(GAP_AXIS, value))


def _threshold_lines() -> list[VLine]:
    """Dotted at ± the notable gap, dashed at ± the far gap, then the fair value 0."""
    lines = [
        VLine(sign * x, _GREY, 0.6, "--" if x == flags.FAR_GAP else ":")
        for x in (flags.NOTABLE_GAP, flags.FAR_GAP)
        for sign in (-1, 1)
    ]
    return [*lines, VLine(0.0, "#000000", 0.8)]


def label_distribution(groups: Sequence[GroupStats], label: str, positive: str) -> str:
    """Share of positive labels per facet group, with the group's share of rows.

    At most :data:`~openclarify.report.content.MAX_CHART_GROUPS` groups are
    drawn: the largest by rows, in their original order.
    """
    if len(groups) > MAX_CHART_GROUPS:
        keep = sorted(range(len(groups)), key=lambda i: -groups[i].rows)[:MAX_CHART_GROUPS]
        groups = [groups[i] for i in sorted(keep)]
    rates = [g.positive_label_rate or 0.0 for g in groups]
    ys = [float(i) for i in range(len(groups))]
    labels = []
    for y, group, rate in zip(ys, groups, rates, strict=True):
        text = "no rows" if group.positive_label_rate is None else f"{rate:.1%}"
        labels.append(Label(0.01, y, text, colour="#ffffff"))
        labels.append(Label(1.01, y, f"{group.proportion:.1%} of rows"))
    chart = BarChart(
        0.6 + 0.38 * len(groups),
        [_short(g.value_or_threshold) for g in groups],
        "share of rows in the group",
        xlim=(0.0, 1.0),
        bars=[
            Bars(ys, rates, [POSITIVE] * len(ys)),
            Bars(ys, [1 - r for r in rates], [NEGATIVE] * len(ys), lefts=rates),
        ],
        labels=labels,
        legend=[(POSITIVE, f"{_short(label)} = {_short(positive)}"), (NEGATIVE, "other labels")],
    )
    return chart.svg()


def metric_gaps(group: GroupMetrics) -> str:
    """Each metric's distance from its fair value, coloured by its flag.

    Ratio metrics (fair value 1) are drawn as ``value - 1``.  Dashed lines mark
    the flag thresholds of difference metrics (:mod:`openclarify.report.flags`);
    whiskers the bootstrap interval where there is one (``openclarify.uncertainty``).
    """
    rows = [r for r in group.metrics if r.value is not None]
    ys = [float(i) for i in range(len(rows))]
    widths = []
    for row in rows:
        delta = (row.value if row.value is not None else row.fair_value) - row.fair_value
        widths.append(_clip(delta) if not math.isnan(delta) else 0.0)
    whiskers = []
    labels = []
    for y, row, width in zip(ys, rows, widths, strict=True):
        clipped = row.value is not None and abs(row.value - row.fair_value) > GAP_AXIS
        anchor = width
        if row.interval is not None:  # the label goes past the whisker
            low, high = (_clip(bound - row.fair_value) for bound in row.interval)
            whiskers.append((y, low, high))
            anchor = max(width, high) if width >= 0 else min(width, low)
        labels.append(
            Label(
                anchor + (0.02 if width >= 0 else -0.02),
                y,
                row.shown + (" ▸" if clipped else ""),
                ha="left" if width >= 0 else "right",
                size=7.5,
            )
        )
    chart = BarChart(
        0.7 + 0.26 * max(len(rows), 1),
        [f"{r.code} (fair {r.fair})" for r in rows],
        "value − fair value (clipped to ±1)",
        xlim=(-GAP_AXIS - 0.25, GAP_AXIS + 0.25),
        bars=[Bars(ys, widths, [COLOURS[r.flag] for r in rows])],
        labels=labels,
        lines=_threshold_lines(),
        whiskers=whiskers,
    )
    return chart.svg()


def shap_bars(label: ShapLabel) -> str:
    """The top features by absolute global SHAP value."""
    # a value that is not finite draws no bar (as matplotlib), and does not set the axis
    values = [value if math.isfinite(value) else 0.0 for _, value in label.top]
    chart = BarChart(
        0.7 + 0.28 * max(len(values), 1),
        [_short(name) for name, _ in label.top],
        f"global SHAP value ({_short(label.label)})",
        bars=[
            Bars(
                [float(i) for i in range(len(values))],
                values,
                [POSITIVE if v >= 0 else COLOURS["far"] for v in values],
            )
        ],
        lines=[VLine(0.0, "#000000", 0.8)],
    )
    return chart.svg()


def _clipped_delta(row: MetricRow | None) -> float:
    if row is None or row.value is None or math.isnan(row.value):
        return 0.0
    return _clip(row.value - row.fair_value)


def compare_gaps(rows: Sequence[CompareRow]) -> str:
    """Each metric's distance from fair in run A (grey) and run B (flag colour)."""
    ys = [float(i) for i in range(len(rows))]
    chart = BarChart(
        0.8 + 0.32 * max(len(rows), 1),
        [r.code for r in rows],
        "value − fair value (clipped to ±1); upper bar A, lower bar B",
        xlim=(-GAP_AXIS - 0.1, GAP_AXIS + 0.1),
        bars=[
            Bars(
                [y - 0.2 for y in ys],
                [_clipped_delta(r.a) for r in rows],
                ["#9e9e9e"] * len(rows),
                height=0.38,
            ),
            Bars(
                [y + 0.2 for y in ys],
                [_clipped_delta(r.b) for r in rows],
                [COLOURS[r.b.flag] if r.b is not None else "#ffffff" for r in rows],
                height=0.38,
            ),
        ],
        lines=_threshold_lines(),
    )
    return chart.svg()


def pdp_plot(feature: PdpFeature) -> str:
    """Model output against the feature's value, over the data distribution.

    Written by :mod:`.pdpchart`; matplotlib draws what that module declines (several
    model outputs, tick labels with an offset or a power of ten).
    """
    categorical = feature.data_type == "categorical"
    xs: list[float] = [float(i) for i in range(len(feature.values))]
    if not categorical:
        try:
            xs = [float(v) for v in feature.values]
        except (TypeError, ValueError):
            categorical = True
    width = 0.8 if categorical or len(xs) < 2 else (max(xs) - min(xs)) / len(xs) * 0.9
    svg = pdp_svg(
        xs,
        [_short(str(v), 16) for v in feature.values] if categorical else None,
        [float(d) for d in feature.distribution],
        feature.predictions,
        _short(feature.feature),
        width,
    )
    if svg is not None:
        return svg
    from .figures import pdp_plot as draw

    return draw(feature)


def metrics_figure(groups: Sequence[tuple[str, GroupMetrics]]) -> NotebookFigure:
    """:func:`.figures.metrics_figure`: one matplotlib panel of metric gaps per facet group."""
    from .figures import metrics_figure as draw

    return draw(groups)


def plot_result(document: dict[str, Any]) -> NotebookFigure:
    """:func:`.figures.plot_result`: the metric gaps of an ``analysis.json`` document."""
    from .figures import plot_result as draw

    return draw(document)
