"""Horizontal bar charts written as SVG text, in the look matplotlib gave them.

The report's bar charts (label shares, metric gaps, SHAP values, comparisons) were
drawn by matplotlib; importing it and its constrained layout cost more than the
rest of a report's HTML.  This module writes the same drawing directly: the same
figure size, font (DejaVu Sans, laid out with its own metrics,
:mod:`.fontmetrics`), colours, line widths, tick lengths and paddings
(matplotlib's defaults), tick positions (matplotlib's ``AutoLocator``: the
steps 1, 2, 2.5, 5, 10 and at most 9 intervals), tick labels (``ScalarFormatter``:
as many decimals as the ticks need, ``−`` for minus), autoscaling (5 % margins,
none past a bar's base) and the constrained layout (two passes from matplotlib's
default subplot box: the axes grow until their labels touch the figure's 3 pt
pads).  Every element is a plain ``<rect>``, ``<path>`` or ``<text>``: fewer
nodes than matplotlib's for weasyprint to draw.  Texts are escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from . import fontmetrics

WIDTH = 460.8  # pt: matplotlib's 6.4 in at 72 points an inch
FIGURE_PAD = 3.0  # constrained layout's w_pad/h_pad (3/72 in)
TICK = 3.5  # tick length, outward
TICK_PAD = 3.5  # between tick and tick label
LABEL_PAD = 4.0  # between tick labels and the axis label
FONT_SIZE = 9.0
#: matplotlib's box of a line of text: from 0.76 em above the baseline to 0.24 em
#: below it (the ascent of "l" over the size).
ASCENT = 1556 / 2048
MARGIN = 0.05  # autoscale margin, a share of the data range on each side
_FONT = "'DejaVu Sans'"


@lru_cache(maxsize=1)
def _advances() -> dict[int, int]:
    table: dict[int, int] = {}
    for first, widths in fontmetrics.ADVANCES:
        for offset, width in enumerate(widths):
            if width:
                table[first + offset] = width
    return table


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` at ``size`` as matplotlib lays it out (with kerning)."""
    advances = _advances()
    units = sum(advances.get(ord(c), fontmetrics.MISSING) for c in text)
    units += sum(fontmetrics.KERNING.get(text[i : i + 2], 0) for i in range(len(text) - 1))
    return units * size / fontmetrics.UNITS_PER_EM


def _num(value: float) -> str:
    """A coordinate as matplotlib's SVG writer spells it (6 decimals, no trailing 0)."""
    text = f"{value:f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_ticks(low: float, high: float, nbins: int = 9) -> list[float]:
    """matplotlib's ``MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10])`` ticks over [low, high].

    The ticks may reach past the range (the axis draws those inside); the step is
    the smallest of the steps times a power of ten giving at most ``nbins`` intervals
    and at least two ticks inside.
    """
    span = high - low
    mean = (high + low) / 2
    offset = 0.0
    if abs(mean) / span >= 100:  # matplotlib's scale_range
        offset = math.copysign(10 ** (math.log10(abs(mean)) // 1), mean)
    scale = 10 ** (math.log10(span / nbins) // 1)
    steps = [s * scale for s in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20)]
    low_, high_ = low - offset, high - offset
    first = next(i for i, step in enumerate(steps) if step >= span / nbins)
    ticks: list[float] = []
    for step in steps[: first + 1][::-1]:
        best = (low_ // step) * step
        # matplotlib's _Edge_integer: a remainder within tol of a step is a whole step
        tol = 1e-10
        if offset:
            tol = min(0.4999, max(1e-10, 10 ** (math.log10(abs(offset) / step) - 12)))
        below, rest = divmod(low_ - best, step)
        first_n = below + 1 if abs(rest / step - 1) < tol else below
        above, rest = divmod(high_ - best, step)
        last_n = above if abs(rest / step) < tol else above + 1
        ticks = [n * step + best + offset for n in range(int(first_n), int(last_n) + 1)]
        if sum(low_ <= t - offset <= high_ for t in ticks) >= 2:
            break
    return ticks


def _inside(ticks: list[float], low: float, high: float) -> list[bool]:
    """Which ticks the axis draws (matplotlib's _interval_contains_close, rtol 1e-10)."""
    slack = (high - low) * 1e-10
    return [low - slack <= t <= high + slack for t in ticks]


def tick_labels(ticks: list[float], low: float, high: float) -> tuple[list[str], str]:
    """matplotlib's ``ScalarFormatter`` labels of ``ticks`` on the view [low, high].

    The fewest decimals that show every tick, ``−`` for minus and, when the largest
    tick shown is below 1e-4 or from 1e6 on, the ticks in units of a power of ten
    given as the offset text (``1e−5``; empty otherwise).  The charts' ranges hold
    0, so matplotlib's other offset (for narrow ranges far from 0) never applies.
    """
    shown = [abs(t) for t, keep in zip(ticks, _inside(ticks, low, high), strict=True) if keep]
    top = max(shown, default=0.0)
    oom = math.floor(math.log10(top)) if top else 0
    power = oom if oom <= -5 or oom >= 6 else 0
    locs = [t / 10**power for t in ticks]
    span = (max(locs) - min(locs)) or max(abs(t) for t in locs) or 1.0
    range_oom = math.floor(math.log10(span))
    decimals = max(0, 3 - range_oom)
    threshold = 1e-3 * 10**range_oom
    while decimals >= 0 and max(abs(t - round(t, decimals)) for t in locs) < threshold:
        decimals -= 1
    decimals += 1
    labels = [f"{0.0 if abs(t) < 1e-8 else t:.{decimals}f}".replace("-", "−") for t in locs]
    return labels, (f"1e{power}".replace("-", "−") if power else "")


@dataclass
class Bars:
    """Horizontal bars: row positions, lengths from ``lefts``, one colour each."""

    ys: list[float]
    widths: list[float]
    colours: list[str]
    height: float = 0.8
    lefts: list[float] | None = None


@dataclass
class Label:
    """A text at data coordinates, vertically centred on ``y``."""

    x: float
    y: float
    text: str
    ha: str = "left"
    size: float = 8.0
    colour: str | None = None


@dataclass
class VLine:
    """A vertical line across the axes at data ``x`` (``dash``: None, ":" or "--")."""

    x: float
    colour: str
    width: float
    dash: str | None = None


@dataclass
class BarChart:
    """One axes of horizontal bars; rows top to bottom, as ``invert_yaxis`` shows them."""

    height_in: float
    rows: list[str]
    xlabel: str
    xlim: tuple[float, float] | None = None
    bars: list[Bars] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[VLine] = field(default_factory=list)
    whiskers: list[tuple[float, float, float]] = field(default_factory=list)  # y, low, high
    legend: list[tuple[str, str]] = field(default_factory=list)  # colour, text; above the axes

    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        spans = [(y - b.height / 2, y + b.height / 2) for b in self.bars for y in b.ys]
        if spans:
            y0, y1 = min(s[0] for s in spans), max(s[1] for s in spans)
            margin = (y1 - y0) * MARGIN
            ylim = (y1 + margin, y0 - margin)  # inverted: the first row on top
        else:
            ylim = (1.0, 0.0)
        if self.xlim is not None:
            return self.xlim, ylim
        ends = [
            v
            for b in self.bars
            for left, width in zip(b.lefts or [0.0] * len(b.widths), b.widths, strict=True)
            for v in (left, left + width)
        ]
        lo, hi = (min(ends), max(ends)) if ends else (0.0, 1.0)
        if lo == hi:  # matplotlib's nonsingular
            lo, hi = (-0.05, 0.05) if lo == 0 else (lo - 0.05 * abs(lo), hi + 0.05 * abs(hi))
        bases = sorted({left for b in self.bars for left in (b.lefts or [0.0] * len(b.widths))})
        margin = (hi - lo) * MARGIN
        tol = 1e-5 * max(abs(lo), abs(hi), hi - lo)
        low = lo - margin
        high = hi + margin
        # A margin never crosses a bar's base (matplotlib's sticky edges).
        below = [s for s in bases if s < lo + tol]
        above = [s for s in bases if s > hi - tol]
        if below:
            low = max(low, below[-1])
        if above:
            high = min(high, above[0])
        return (low, high), ylim

    def svg(self) -> str:
        """The chart as an ``<svg>`` element, laid out as matplotlib's constrained layout."""
        height = self.height_in * 72
        xlim, ylim = self._limits()
        ticks = nice_ticks(*xlim)
        inside = _inside(ticks, *xlim)
        names, offset_text = tick_labels(ticks, *xlim)  # sees every tick, drawn or not
        shown = [t for t, keep in zip(ticks, inside, strict=True) if keep]
        shown_names = [n for n, keep in zip(names, inside, strict=True) if keep]
        # matplotlib's default subplot box, then two layout passes
        box = (0.125 * WIDTH, (1 - 0.88) * height, 0.9 * WIDTH, (1 - 0.11) * height)
        for _ in range(2):
            box = self._fit(box, height, xlim, shown, shown_names)
        return self._draw(box, height, xlim, ylim, shown, shown_names, offset_text)

    def _fit(
        self,
        box: tuple[float, float, float, float],
        height: float,
        xlim: tuple[float, float],
        ticks: list[float],
        names: list[str],
    ) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = box

        def px(x: float) -> float:
            return x0 + (x - xlim[0]) / (xlim[1] - xlim[0]) * (x1 - x0)

        left = x0
        right = x1
        if self.rows:
            left = x0 - TICK - TICK_PAD - max(text_width(r, FONT_SIZE) for r in self.rows)
        for tick, name in zip(ticks, names, strict=True):
            half = text_width(name, FONT_SIZE) / 2
            left, right = min(left, px(tick) - half), max(right, px(tick) + half)
        half = text_width(self.xlabel, FONT_SIZE) / 2
        centre = (x0 + x1) / 2
        left, right = min(left, centre - half), max(right, centre + half)
        for label in self.labels:
            width = text_width(label.text, label.size)
            start = px(label.x) - (width if label.ha == "right" else 0.0)
            left, right = min(left, start), max(right, start + width)
        top = y0
        if self.legend:
            width = self._legend_width()
            left, right = min(left, centre - width / 2), max(right, centre + width / 2)
            top = y0 - 0.5 * FONT_SIZE - self._legend_height()
        bottom = y1 + TICK + TICK_PAD + FONT_SIZE + LABEL_PAD + FONT_SIZE
        return (
            FIGURE_PAD + (x0 - left),
            FIGURE_PAD + (y0 - top),
            WIDTH - FIGURE_PAD - (right - x1),
            height - FIGURE_PAD - (bottom - y1),
        )

    def _legend_entry(self, text: str) -> float:
        # handle 2 em, pad 0.8 em, text
        return 2.0 * FONT_SIZE + 0.8 * FONT_SIZE + text_width(text, FONT_SIZE)

    def _legend_width(self) -> float:
        entries = [self._legend_entry(t) for _, t in self.legend]
        return 2 * 0.4 * FONT_SIZE + sum(entries) + 2.0 * FONT_SIZE * (len(entries) - 1)

    def _legend_height(self) -> float:
        return 2 * 0.4 * FONT_SIZE + FONT_SIZE

    def _draw(
        self,
        box: tuple[float, float, float, float],
        height: float,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
        ticks: list[float],
        names: list[str],
        offset_text: str,
    ) -> str:
        x0, y0, x1, y1 = box

        def px(x: float) -> float:
            return x0 + (x - xlim[0]) / (xlim[1] - xlim[0]) * (x1 - x0)

        def py(y: float) -> float:
            return y0 + (y - ylim[1]) / (ylim[0] - ylim[1]) * (y1 - y0)

        out = [*_svg_open(height), _rect(x0, y0, x1, y1, "#ffffff")]
        for bars in self.bars:
            lefts = bars.lefts or [0.0] * len(bars.widths)
            for y, left, width, colour in zip(
                bars.ys, lefts, bars.widths, bars.colours, strict=True
            ):
                a, b = sorted((px(left), px(left + width)))
                out.append(_rect(a, py(y - bars.height / 2), b, py(y + bars.height / 2), colour))
        tick_style = "stroke: #000000; stroke-width: 0.8"
        for tick, name in zip(ticks, names, strict=True):
            x = px(tick)
            out.append(_path([(x, y1), (x, y1 + TICK)], tick_style))
            out.append(_text(x, y1 + TICK + TICK_PAD + ASCENT * FONT_SIZE, name, "middle"))
        label_top = y1 + TICK + TICK_PAD + FONT_SIZE + LABEL_PAD
        out.append(_text((x0 + x1) / 2, label_top + ASCENT * FONT_SIZE, self.xlabel, "middle"))
        if offset_text:  # right-aligned under the tick labels, 3 pt below them
            top = y1 + TICK + TICK_PAD + FONT_SIZE + 3.0
            out.append(_text(x1, top + ASCENT * FONT_SIZE, offset_text, "end"))
        for i, row in enumerate(self.rows):
            y = py(float(i))
            out.append(_path([(x0 - TICK, y), (x0, y)], tick_style))
            # matplotlib centres y tick labels on the baseline's half height
            out.append(_text(x0 - TICK - TICK_PAD, y + ASCENT * FONT_SIZE / 2, row, "end"))
        for line in self.lines:
            out.append(_vline(px(line.x), y0, y1, line))
        spine = "fill: none; stroke: #000000; stroke-width: 0.8; stroke-linejoin: miter; "
        spine += "stroke-linecap: square"
        out.append(_path([(x0, y1), (x0, y0)], spine))
        out.append(_path([(x0, y1), (x1, y1)], spine))
        whisker = "fill: none; stroke: #000000; stroke-width: 1"
        for y, low, high in self.whiskers:
            out.append(_path([(px(low), py(y)), (px(high), py(y))], whisker))
        for y, low, high in self.whiskers:
            for x in (low, high):
                out.append(_path([(px(x), py(y - 0.2)), (px(x), py(y + 0.2))], whisker))
        for label in self.labels:
            # va="center": the middle of the text's box (1 em high) on y
            baseline = py(label.y) + (ASCENT - 0.5) * label.size
            anchor = "end" if label.ha == "right" else "start"
            out.append(_text(px(label.x), baseline, label.text, anchor, label.size, label.colour))
        if self.legend:
            out.extend(self._draw_legend((x0 + x1) / 2, y0))
        out.append("</svg>")
        return "\n".join(out)

    def _draw_legend(self, centre: float, axes_top: float) -> list[str]:
        bottom = axes_top - 0.5 * FONT_SIZE
        baseline = bottom - 0.4 * FONT_SIZE - (1 - ASCENT) * FONT_SIZE
        x = centre - self._legend_width() / 2 + 0.4 * FONT_SIZE
        out = []
        for colour, text in self.legend:
            out.append(_rect(x, baseline - 0.7 * FONT_SIZE, x + 2.0 * FONT_SIZE, baseline, colour))
            out.append(_text(x + 2.8 * FONT_SIZE, baseline, text, "start"))
            x += self._legend_entry(text) + 2.0 * FONT_SIZE
        return out


def _svg_open(height: float) -> list[str]:
    """A chart's opening lines as matplotlib writes them: the root, its style, the white page."""
    return [
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{_num(WIDTH)}pt" height="{_num(height)}pt" '
        f'viewBox="0 0 {_num(WIDTH)} {_num(height)}" '
        'xmlns="http://www.w3.org/2000/svg" version="1.1">',
        '<defs>\n<style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}'
        "</style>\n</defs>",
        _rect(0, 0, WIDTH, height, "#ffffff"),
    ]


def _rect(x0: float, y0: float, x1: float, y1: float, colour: str) -> str:
    top, bottom = sorted((y0, y1))
    return (
        f'<rect x="{_num(x0)}" y="{_num(top)}" width="{_num(x1 - x0)}" '
        f'height="{_num(bottom - top)}" style="fill: {colour}"/>'
    )


def _path(points: list[tuple[float, float]], style: str) -> str:
    d = " L ".join(f"{_num(x)} {_num(y)}" for x, y in points)
    return f'<path d="M {d}" style="{style}"/>'


def _vline(x: float, top: float, bottom: float, line: VLine) -> str:
    style = "fill: none; "
    if line.dash is not None:
        # matplotlib's dash patterns, scaled by the line width
        on, off = (1.0, 1.65) if line.dash == ":" else (3.7, 1.6)
        style += (
            f"stroke-dasharray: {_num(on * line.width)},{_num(off * line.width)}; "
            "stroke-dashoffset: 0; "
        )
    style += f"stroke: {line.colour}; stroke-width: {_num(line.width)}"
    if line.dash is None:
        style += "; stroke-linecap: square"
    return _path([(x, bottom), (x, top)], style)


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str,
    size: float = FONT_SIZE,
    colour: str | None = None,
) -> str:
    style = f"font-size: {size:g}px; font-family: {_FONT}; text-anchor: {anchor}"
    if colour is not None:
        style += f"; fill: {colour}"
    return f'<text style="{style}" x="{_num(x)}" y="{_num(y)}">{_escape(text)}</text>'
