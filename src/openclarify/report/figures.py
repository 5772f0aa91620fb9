"""Charts drawn by matplotlib (imported only here): the figure of
``AnalysisResult.plot()`` (:func:`metrics_figure`) and the PDP plots that
:mod:`.pdpchart` declines (several model outputs; tick labels with an offset).

The report's other charts are written without matplotlib (:mod:`.charts`), so a
report imports this module only for such a PDP.  Figures are built with
:class:`matplotlib.figure.Figure` on an Agg canvas — never ``pyplot`` — so no
display, no global figure registry and no state shared with a notebook kernel's
own backend.  Output is deterministic (fixed SVG id salt, no date) and text stays
text (``svg.fonttype = "none"``), so the values in a chart can be searched and
are escaped by matplotlib's SVG writer.  Mathtext is off: a ``$`` in a facet
value is shown as a ``$``.

The SVG is trimmed of what draws nothing (:func:`lean_svg`): the RDF metadata,
the groups that carry only an ``id`` and the ``rotate(-0 …)`` of unrotated text.
That is a third of its elements, which weasyprint would otherwise cascade one
by one, and it draws the same pixels (the tests compare the printed pages).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import flags
from .charts import COLOURS, GAP_AXIS, NEGATIVE, WIDTH_IN, _clip, _short
from .content import MAX_CHART_GROUPS, GroupMetrics, MetricRow, PdpFeature, build_report

# Typed as Any: matplotlib's stubs only accept a dict keyed by literal rc names.
_RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "openclarify-report",
    "text.parse_math": False,
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@contextmanager
def _figure(height: float) -> Iterator[Figure]:
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(WIDTH_IN, height), layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def _svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), ready to inline."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return lean_svg(text[text.index("<svg") :])


_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
#: The transform matplotlib gives every text, rotated or not; ``-0`` degrees is none.
_NO_ROTATION = re.compile(r' transform="rotate\(-0 [-+0-9.e]+ [-+0-9.e]+\)"')
_GROUP_TAG = re.compile(r"<g\b[^>]*>|</g>")
_BARE_GROUP = re.compile(r'<g(?: id="[^"<>]*")?\s*(/?)>')
#: Blank lines and indentation before a tag (never inside a text: matplotlib writes
#: each text on its tag's line).
_INDENT = re.compile(r"\n\s*(?=<)")


def lean_svg(svg: str) -> str:
    """matplotlib's SVG without what draws nothing: metadata, bare groups, null rotations.

    A group with no attribute but ``id`` applies no style, transform or clip, so
    its children draw the same without it; ``id`` s of groups are referenced by
    nothing (``<use>`` and ``clip-path`` point at ``<path>`` and ``<clipPath>``
    elements, which are kept).
    """
    svg = _NO_ROTATION.sub("", _METADATA.sub("", svg))
    out: list[str] = []
    kept: list[bool] = []  # per open group: is its start tag (so its end tag) kept?
    position = 0
    for tag in _GROUP_TAG.finditer(svg):
        out.append(svg[position : tag.start()])
        position = tag.end()
        text = tag.group(0)
        bare = _BARE_GROUP.fullmatch(text)
        if text == "</g>":
            if kept.pop():
                out.append(text)
        elif bare is None:  # a group with a style, transform or clip: kept
            out.append(text)
            if not text.endswith("/>"):
                kept.append(True)
        elif not bare.group(1):  # an open bare group: dropped with its end tag
            kept.append(False)
    out.append(svg[position:])
    # one element a line, without the indentation of the dropped groups
    return _INDENT.sub("\n", "".join(out))


def _draw_metric_gaps(ax: Any, rows: Sequence[MetricRow]) -> None:
    ys = list(range(len(rows)))
    widths = []
    for row in rows:
        delta = (row.value if row.value is not None else row.fair_value) - row.fair_value
        widths.append(max(-GAP_AXIS, min(GAP_AXIS, delta)) if not math.isnan(delta) else 0.0)
    ax.barh(ys, widths, color=[COLOURS[r.flag] for r in rows])
    if any(r.interval is not None for r in rows):  # openclarify.uncertainty only
        _whiskers(ax, ys, rows)
    for y, row, width in zip(ys, rows, widths, strict=True):
        clipped = row.value is not None and abs(row.value - row.fair_value) > GAP_AXIS
        text = row.shown + (" ▸" if clipped else "")
        anchor = width
        if row.interval is not None:  # the label goes past the whisker
            low, high = (_clip(bound - row.fair_value) for bound in row.interval)
            anchor = max(width, high) if width >= 0 else min(width, low)
        ax.text(
            anchor + (0.02 if width >= 0 else -0.02),
            y,
            text,
            va="center",
            ha="left" if width >= 0 else "right",
            fontsize=7.5,
        )
    for x in (flags.NOTABLE_GAP, flags.FAR_GAP):
        for sign in (-1, 1):
            ax.axvline(sign * x, color="#757575", lw=0.6, ls="--" if x == flags.FAR_GAP else ":")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(ys, [f"{r.code} (fair {r.fair})" for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(-GAP_AXIS - 0.25, GAP_AXIS + 0.25)
    ax.set_xlabel("value − fair value (clipped to ±1)")


def _whiskers(ax: Any, ys: Sequence[int], rows: Sequence[MetricRow]) -> None:
    """The bootstrap interval of each value as a whisker (minus the fair value, clipped)."""
    for y, row in zip(ys, rows, strict=True):
        if row.interval is None:
            continue
        low, high = (_clip(bound - row.fair_value) for bound in row.interval)
        ax.hlines(y, low, high, color="black", lw=1.0, zorder=3)
        ax.vlines([low, high], y - 0.2, y + 0.2, color="black", lw=1.0, zorder=3)


class NotebookFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that Jupyter shows as inline SVG.

    The report's figures live on an Agg canvas, outside ``pyplot``, so IPython has
    no formatter for them; ``_repr_svg_`` gives it one (the same deterministic SVG
    as the report's charts) without touching the kernel's matplotlib state.
    """

    def _repr_svg_(self) -> str:
        return _svg(self)


def metrics_figure(groups: Sequence[tuple[str, GroupMetrics]]) -> NotebookFigure:
    """One panel per facet group: the metric bars of :func:`metric_gaps`, fair value at 0.

    ``groups`` are ``(stage title, group)`` pairs; at most
    :data:`~openclarify.report.content.MAX_CHART_GROUPS` panels are drawn.
    """
    groups = list(groups)[:MAX_CHART_GROUPS]
    heights = [0.9 + 0.26 * max(sum(r.value is not None for r in g.metrics), 1) for _, g in groups]
    with matplotlib.rc_context(_RC):
        fig = NotebookFigure(figsize=(WIDTH_IN, max(sum(heights), 1.0)), layout="constrained")
        FigureCanvasAgg(fig)
        if not groups:
            fig.text(0.5, 0.5, "no bias metrics in this result", ha="center", va="center")
            return fig
        axes = fig.subplots(len(groups), 1, squeeze=False, height_ratios=heights)[:, 0]
        for ax, (stage, group) in zip(axes, groups, strict=True):
            _draw_metric_gaps(ax, [r for r in group.metrics if r.value is not None])
            ax.set_title(
                f"{stage}: {_short(group.facet)} = {_short(group.value_or_threshold)}",
                fontsize=9,
                loc="left",
            )
    return fig


def plot_result(document: dict[str, Any]) -> NotebookFigure:
    """:func:`metrics_figure` of every facet group of an ``analysis.json`` document."""
    report = build_report(document)
    return metrics_figure(
        [(stage.title, group) for stage in report.stages for group in stage.groups]
    )


def pdp_plot(feature: PdpFeature) -> str:
    """Model output against the feature's value, over the data distribution."""
    with _figure(2.6) as fig:
        ax = fig.add_subplot()
        categorical = feature.data_type == "categorical"
        xs: list[float] = list(range(len(feature.values)))
        if not categorical:
            try:
                xs = [float(v) for v in feature.values]
            except (TypeError, ValueError):
                categorical = True
        share = ax.twinx()
        share.spines["right"].set_visible(True)
        width = 0.8 if categorical or len(xs) < 2 else (max(xs) - min(xs)) / len(xs) * 0.9
        share.bar(xs, feature.distribution, width=width, color=NEGATIVE, zorder=0)
        share.set_ylabel("share of rows")
        ax.set_zorder(share.get_zorder() + 1)
        ax.patch.set_visible(False)
        headers = feature.label_headers or tuple(
            f"label{i}" for i in range(len(feature.predictions))
        )
        for header, predictions in zip(headers, feature.predictions, strict=False):
            ax.plot(xs, predictions, marker="o", ms=3, label=_short(header))
        if categorical:
            ax.set_xticks(xs, [_short(str(v), 16) for v in feature.values], rotation=30)
        ax.set_xlabel(_short(feature.feature))
        ax.set_ylabel("model output")
        if len(feature.predictions) > 1:
            ax.legend(frameon=False, fontsize=7)
        return _svg(fig)
