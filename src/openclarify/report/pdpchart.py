"""Partial dependence plots written as SVG text, in the look matplotlib gave them.

The model's output (a line with round markers, left axis) over the feature's
distribution (grey bars, right axis), as :mod:`.svgchart` writes the bar charts:
matplotlib's ticks, labels, margins, twin axes and constrained layout, without
matplotlib.  :func:`pdp_svg` returns ``None`` where the look would need more of
matplotlib than this module has — several model outputs (a legend placed where
the lines leave room), or tick labels with an offset or a power of ten — and the
caller draws those with matplotlib.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from .svgchart import (
    _FONT,
    ASCENT,
    FIGURE_PAD,
    FONT_SIZE,
    LABEL_PAD,
    MARGIN,
    TICK,
    TICK_PAD,
    WIDTH,
    _escape,
    _inside,
    _num,
    _path,
    _rect,
    _svg_open,
    _text,
    nice_ticks,
    text_width,
    tick_labels,
)

#: matplotlib's first colour (tab10 blue), of the one output's line and markers.
LINE = "#1f77b4"
HEIGHT_IN = 2.6
ROTATION = 30.0  # degrees, of categorical tick labels
_TICK_STYLE = "stroke: #000000; stroke-width: 0.8"
_SPINE = (
    "fill: none; stroke: #000000; stroke-width: 0.8; stroke-linejoin: miter; stroke-linecap: square"
)


def _autoscale(low: float, high: float, sticky_low: bool = False) -> tuple[float, float]:
    """matplotlib's view limits of data [low, high]: nonsingular, then 5 % margins."""
    if high - low <= max(abs(low), abs(high)) * 1e-15:
        low, high = (
            (-0.05, 0.05) if low == high == 0 else (low - 0.05 * abs(low), high + 0.05 * abs(high))
        )
    margin = (high - low) * MARGIN
    return (max(low - margin, 0.0) if sticky_low else low - margin), high + margin


def _has_offset(ticks: list[float], low: float, high: float) -> bool:
    """Whether matplotlib's ScalarFormatter would label these ticks with an offset."""
    shown = [t for t, keep in zip(ticks, _inside(ticks, low, high), strict=True) if keep]
    if not shown or min(shown) <= 0 <= max(shown) or min(shown) == max(shown):
        return False
    abs_min, abs_max = sorted((abs(min(shown)), abs(max(shown))))
    top = math.ceil(math.log10(abs_max))
    oom = 1 + next(o for o in itertools.count(top, -1) if abs_min // 10**o != abs_max // 10**o)
    if (abs_max - abs_min) / 10**oom <= 1e-2:
        oom = 1 + next(
            o for o in itertools.count(top, -1) if abs_max // 10**o - abs_min // 10**o > 1
        )
    return abs_max // 10**oom >= 10**3  # matplotlib's offset_threshold 4: saves 4 digits


def _axis(low: float, high: float, nbins: int) -> tuple[list[float], list[str]] | None:
    """The ticks drawn on [low, high] and their labels; None if they need an offset."""
    ticks = nice_ticks(low, high, nbins)
    names, power = tick_labels(ticks, low, high)
    if power or _has_offset(ticks, low, high):
        return None
    inside = _inside(ticks, low, high)
    return (
        [t for t, keep in zip(ticks, inside, strict=True) if keep],
        [n for n, keep in zip(names, inside, strict=True) if keep],
    )


def _rotated_box(width: float) -> tuple[float, float, float, float]:
    """Corners' bounds (x0, y0, x1, y1, y up) of a 30° text about its baseline start."""
    angle = math.radians(ROTATION)
    corners = [(0.0, -0.24 * FONT_SIZE), (width, -0.24 * FONT_SIZE), (0.0, ASCENT * FONT_SIZE)]
    corners.append((width, ASCENT * FONT_SIZE))
    xs = [x * math.cos(angle) - y * math.sin(angle) for x, y in corners]
    ys = [x * math.sin(angle) + y * math.cos(angle) for x, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def pdp_svg(
    xs: Sequence[float],
    categories: Sequence[str] | None,
    distribution: Sequence[float],
    predictions: Sequence[Sequence[float]],
    xlabel: str,
    width: float,
) -> str | None:
    """The plot as an ``<svg>`` element, or ``None`` where matplotlib must draw it.

    ``categories`` are the tick labels of a categorical feature (at ``xs`` 0, 1, …),
    ``None`` for a numeric one; ``width`` is the bars' width in data units.
    """
    if len(predictions) != 1 or not xs or len(predictions[0]) != len(xs):
        return None
    line = [float(v) for v in predictions[0]]
    if not all(math.isfinite(v) for v in [*line, *distribution, *xs]):
        return None  # matplotlib leaves gaps in the line there
    height = HEIGHT_IN * 72
    xlim = _autoscale(min(xs) - width / 2, max(xs) + width / 2)
    left_lim = _autoscale(min(line), max(line))
    right_lim = _autoscale(0.0, max(max(distribution), 0.0), sticky_low=True)
    box = (0.125 * WIDTH, (1 - 0.88) * height, 0.9 * WIDTH, (1 - 0.11) * height)
    axes = None
    for _ in range(2):  # the constrained layout's two passes
        axes = _layout(box, height, xs, categories, xlim, left_lim, right_lim, xlabel)
        if axes is None:
            return None
        box = axes[0]
    assert axes is not None
    box, x_axis, left_axis, right_axis = axes
    x0, y0, x1, y1 = box

    def px(x: float) -> float:
        return x0 + (x - xlim[0]) / (xlim[1] - xlim[0]) * (x1 - x0)

    def py(y: float, lim: tuple[float, float]) -> float:
        return y1 - (y - lim[0]) / (lim[1] - lim[0]) * (y1 - y0)

    out = _svg_open(height)
    # the twin axes (share of rows) first: matplotlib draws it below the output's
    for x, share in zip(xs, distribution, strict=True):
        a, b = px(x - width / 2), px(x + width / 2)
        out.append(_rect(a, py(share, right_lim), b, py(0.0, right_lim), "#cfd8dc"))
    for tick, name in zip(*right_axis, strict=True):
        y = py(tick, right_lim)
        out.append(_path([(x1, y), (x1 + TICK, y)], _TICK_STYLE))
        out.append(_text(x1 + TICK + TICK_PAD, y + ASCENT * FONT_SIZE / 2, name, "start"))
    widest = max((text_width(n, FONT_SIZE) for n in right_axis[1]), default=0.0)
    label_x = x1 + TICK + TICK_PAD + widest + LABEL_PAD + ASCENT * FONT_SIZE
    out.append(_vertical(label_x, (y0 + y1) / 2, "share of rows"))
    for spine in ([(x0, y1), (x0, y0)], [(x1, y1), (x1, y0)], [(x0, y1), (x1, y1)]):
        out.append(_path(spine, _SPINE))
    # the output's axes
    points = [(px(x), py(v, left_lim)) for x, v in zip(xs, line, strict=True)]
    line_style = f"fill: none; stroke: {LINE}; stroke-width: 1.5; stroke-linecap: square"
    for tick, name in zip(*x_axis, strict=True):
        x = px(tick)
        out.append(_path([(x, y1), (x, y1 + TICK)], _TICK_STYLE))
        if categories is None:
            out.append(_text(x, y1 + TICK + TICK_PAD + ASCENT * FONT_SIZE, name, "middle"))
        else:
            out.append(_rotated(x, y1 + TICK + TICK_PAD, name))
    label_top = y1 + _x_labels_depth(x_axis[1], categories is not None) + LABEL_PAD
    out.append(_text((x0 + x1) / 2, label_top + ASCENT * FONT_SIZE, xlabel, "middle"))
    for tick, name in zip(*left_axis, strict=True):
        y = py(tick, left_lim)
        out.append(_path([(x0 - TICK, y), (x0, y)], _TICK_STYLE))
        out.append(_text(x0 - TICK - TICK_PAD, y + ASCENT * FONT_SIZE / 2, name, "end"))
    widest = max((text_width(n, FONT_SIZE) for n in left_axis[1]), default=0.0)
    label_x = x0 - TICK - TICK_PAD - widest - LABEL_PAD - (1 - ASCENT) * FONT_SIZE
    out.append(_vertical(label_x, (y0 + y1) / 2, "model output"))
    out.append(_path(points, line_style))
    for x, y in points:
        out.append(
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="1.5" style="fill: {LINE}; stroke: {LINE}"/>'
        )
    for spine in ([(x0, y1), (x0, y0)], [(x0, y1), (x1, y1)]):
        out.append(_path(spine, _SPINE))
    out.append("</svg>")
    return "\n".join(out)


def _x_labels_depth(names: list[str], rotated: bool) -> float:
    """From the axes' bottom to the bottom of the x tick labels."""
    if not rotated:
        return TICK + TICK_PAD + FONT_SIZE
    heights = [_rotated_box(text_width(n, FONT_SIZE)) for n in names]
    return TICK + TICK_PAD + max((y1 - y0 for _, y0, _, y1 in heights), default=0.0)


def _layout(
    box: tuple[float, float, float, float],
    height: float,
    xs: Sequence[float],
    categories: Sequence[str] | None,
    xlim: tuple[float, float],
    left_lim: tuple[float, float],
    right_lim: tuple[float, float],
    xlabel: str,
) -> (
    tuple[
        tuple[float, float, float, float],
        tuple[list[float], list[str]],
        tuple[list[float], list[str]],
        tuple[list[float], list[str]],
    ]
    | None
):
    """The axes' box after one constrained-layout pass from ``box``, and the 3 axes' ticks."""
    x0, y0, x1, y1 = box
    x_bins = max(1, min(9, math.floor((x1 - x0) / (FONT_SIZE * 3))))
    y_bins = max(1, min(9, math.floor((y1 - y0) / (FONT_SIZE * 2))))
    x_axis = _axis(*xlim, x_bins) if categories is None else (list(xs), list(categories))
    left_axis = _axis(*left_lim, y_bins)
    right_axis = _axis(*right_lim, y_bins)
    if x_axis is None or left_axis is None or right_axis is None:
        return None

    def px(x: float) -> float:
        return x0 + (x - xlim[0]) / (xlim[1] - xlim[0]) * (x1 - x0)

    def py(y: float, lim: tuple[float, float]) -> float:
        return y1 - (y - lim[0]) / (lim[1] - lim[0]) * (y1 - y0)

    widest_left = max((text_width(n, FONT_SIZE) for n in left_axis[1]), default=0.0)
    widest_right = max((text_width(n, FONT_SIZE) for n in right_axis[1]), default=0.0)
    left = x0 - TICK - TICK_PAD - widest_left - LABEL_PAD - FONT_SIZE
    right = x1 + TICK + TICK_PAD + widest_right + LABEL_PAD + FONT_SIZE
    top = y0
    for ticks, lim in ((left_axis[0], left_lim), (right_axis[0], right_lim)):
        for tick in ticks:  # a label centred on a tick near the top reaches above it
            top = min(top, py(tick, lim) - ASCENT * FONT_SIZE / 2)
    for tick, name in zip(*x_axis, strict=True):
        w = text_width(name, FONT_SIZE)
        if categories is None:
            a, b = px(tick) - w / 2, px(tick) + w / 2
        else:
            bx0, _, bx1, _ = _rotated_box(w)
            a, b = px(tick) - (bx1 - bx0) / 2, px(tick) + (bx1 - bx0) / 2
        left, right = min(left, a), max(right, b)
    half = text_width(xlabel, FONT_SIZE) / 2
    left, right = min(left, (x0 + x1) / 2 - half), max(right, (x0 + x1) / 2 + half)
    bottom = y1 + _x_labels_depth(x_axis[1], categories is not None) + LABEL_PAD + FONT_SIZE
    new_box = (
        FIGURE_PAD + (x0 - left),
        FIGURE_PAD + (y0 - top),
        WIDTH - FIGURE_PAD - (right - x1),
        height - FIGURE_PAD - (bottom - y1),
    )
    return new_box, x_axis, left_axis, right_axis


def _vertical(x: float, y: float, text: str) -> str:
    """An axis label turned 90° (reading upwards), its baseline at ``x``, centred on ``y``."""
    svg = _text(x, y, text, "middle")
    return svg.replace(">", f' transform="rotate(-90 {_num(x)} {_num(y)})">', 1)


def _rotated(x: float, top: float, text: str) -> str:
    """A tick label turned 30°, its bounding box centred under ``x`` from ``top`` down.

    As matplotlib writes rotated text: the baseline's start translated, then turned.
    """
    bx0, _, bx1, by1 = _rotated_box(text_width(text, FONT_SIZE))
    left, baseline = x - (bx0 + bx1) / 2, top + by1
    return (
        f'<text style="font-size: {FONT_SIZE:g}px; font-family: {_FONT}" '
        f'transform="translate({_num(left)} {_num(baseline)}) rotate(-{ROTATION:g})">'
        f"{_escape(text)}</text>"
    )
