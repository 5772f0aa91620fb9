"""The bar charts written without matplotlib put every text and bar where matplotlib
put them (the oracle: the same chart drawn by matplotlib, as the report drew it)."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from openclarify.report import charts, figures, flags
from openclarify.report.compare import CompareRow
from openclarify.report.content import GroupMetrics, PdpFeature, ShapLabel, build_report
from openclarify.report.stats import GroupStats
from openclarify.report.svgchart import _inside, nice_ticks, text_width, tick_labels

from .conftest import synthetic_document

#: Positions agree to this many points: the charts' numbers are rounded to 1e-6 and
#: matplotlib's text widths come from 26.6 fixed point at 100 px (1/6400 px).
TOLERANCE = 0.02

TEXT = re.compile(r'<text style="([^"]*)" x="([-0-9.]+)" y="([-0-9.]+)"[^>]*>([^<]*)</text>')
MPL_BAR = re.compile(
    r'<path d="M ([-0-9.]+) ([-0-9.]+) \nL ([-0-9.]+) [-0-9.]+ \nL [-0-9.]+ ([-0-9.]+) \n'
    r'L [-0-9.]+ [-0-9.]+ \nz\n" clip-path="[^"]*" style="fill: (#[0-9a-f]{6})"'
)
RECT = re.compile(
    r'<rect x="([-0-9.]+)" y="([-0-9.]+)" width="([-0-9.]+)" height="([-0-9.]+)" '
    r'style="fill: (#[0-9a-f]{6})"/>'
)


def _texts(svg: str) -> list[tuple[str, str, float, float]]:
    return sorted((t, style, float(x), float(y)) for style, x, y, t in TEXT.findall(svg))


def _mpl_bars(svg: str) -> list[tuple[str, float, float, float, float]]:
    out = []
    for x0, y0, x1, y1, colour in MPL_BAR.findall(svg):
        (a, b), (c, d) = sorted((float(x0), float(x1))), sorted((float(y0), float(y1)))
        out.append((colour, a, c, b, d))
    return sorted(out)


def _bars(
    svg: str, legend: int, backgrounds: int = 2
) -> list[tuple[str, float, float, float, float]]:
    rects = [
        (colour, float(x), float(y), float(x) + float(w), float(y) + float(h))
        for x, y, w, h, colour in RECT.findall(svg)
    ]
    # after the figure's and the axes' backgrounds, before the legend's handles
    return sorted(rects[backgrounds : len(rects) - legend])


def assert_same_chart(ours: str, matplotlib_svg: str, legend: int = 0) -> None:
    assert (
        ours.split(">")[0].split(" width=")[1] == matplotlib_svg.split(">")[0].split(" width=")[1]
    )
    want, got = _texts(matplotlib_svg), _texts(ours)
    assert [(t, s) for t, s, _, _ in got] == [(t, s) for t, s, _, _ in want]
    for (text, _, x, y), (_, _, x2, y2) in zip(got, want, strict=True):
        assert abs(x - x2) < TOLERANCE and abs(y - y2) < TOLERANCE, (text, x, y, x2, y2)
    want_bars, got_bars = _mpl_bars(matplotlib_svg), _bars(ours, legend)
    assert len(got_bars) == len(want_bars)
    for a, b in zip(got_bars, want_bars, strict=True):
        assert a[0] == b[0] and all(
            abs(p - q) < TOLERANCE for p, q in zip(a[1:], b[1:], strict=True)
        ), (a, b)


@contextmanager
def _axes(height: float) -> Iterator[tuple[Figure, Any]]:
    with figures._figure(height) as fig:
        yield fig, fig.add_subplot()


def test_text_widths_are_matplotlibs() -> None:
    # (kerning is tabulated for ASCII pairs: "ÄÖ" would be 0.16 pt wider than matplotlib's)
    path = TextToPath()
    for text in [
        "Female",
        "Ave. Tex. Wavy",
        "value − fair value (clipped to ±1)",
        "Ä Ö Ü ß ÿ",
        "Τάξη",
    ]:
        for size in (7.5, 8.0, 9.0):
            want = path.get_text_width_height_descent(
                text, FontProperties(family="DejaVu Sans", size=size), ismath=False
            )[0]
            assert abs(text_width(text, size) - want) < 0.01, (text, size)


def test_ticks_and_labels_are_matplotlibs() -> None:
    rng = random.Random(7)
    ranges = [(-1.25, 1.25), (0.0, 1.0), (-1.1, 1.1), (0.0, 0.1672), (-0.03, 0.0), (0, 3e-5)]
    ranges += [(0.0, rng.uniform(0, 10) * 10 ** rng.randint(-6, 7)) for _ in range(150)]
    ranges += [(-rng.uniform(0, 10) * 10 ** rng.randint(-6, 7), 0.0) for _ in range(100)]
    ranges += [(-rng.uniform(0, 5), rng.uniform(0, 5)) for _ in range(100)]
    with _axes(2.0) as (_, ax):
        for low, high in ranges:
            ax.set_xlim(low, high)
            locator = MaxNLocator(nbins=9, steps=[1, 2, 2.5, 5, 10])
            formatter = ScalarFormatter()
            locator.set_axis(ax.xaxis)
            formatter.set_axis(ax.xaxis)
            want = [float(t) for t in locator.tick_values(low, high)]
            ticks = nice_ticks(low, high)
            assert ticks == pytest.approx(want, abs=1e-12 * (high - low))
            names, offset = tick_labels(ticks, low, high)
            labels = formatter.format_ticks(want)
            inside = _inside(ticks, low, high)
            assert [n for n, k in zip(names, inside, strict=True) if k] == [
                n for n, k in zip(labels, inside, strict=True) if k
            ]
            assert offset == formatter.get_offset()


def _group(values: list[float | None], intervals: bool = False) -> GroupMetrics:
    report = build_report(synthetic_document())
    template = report.stages[1].groups[0]
    rows = []
    for i, value in enumerate(values):
        base = template.metrics[i % 2]
        interval = (value - 0.1, value + 0.3) if intervals and value is not None else None
        shown = "error" if value is None else f"{value:.4f}"
        rows.append(dataclasses.replace(base, value=value, interval=interval, shown=shown))
    return dataclasses.replace(template, metrics=tuple(rows))


@pytest.mark.parametrize(
    ("values", "intervals"),
    [([0.05, -0.4, 0.5, 1.8, -3.0, None, 0.0], False), ([0.05, -0.4, 0.9, 1.5], True)],
)
def test_metric_gaps(values: list[float | None], intervals: bool) -> None:
    group = _group(values, intervals)
    rows = [r for r in group.metrics if r.value is not None]
    with _axes(0.7 + 0.26 * max(len(rows), 1)) as (fig, ax):
        figures._draw_metric_gaps(ax, rows)
        oracle = figures._svg(fig)
    assert_same_chart(charts.metric_gaps(group), oracle)


def _mpl_shap(label: ShapLabel) -> str:
    values = [v for _, v in label.top]
    with _axes(0.7 + 0.28 * max(len(values), 1)) as (fig, ax):
        ys = list(range(len(values)))
        colours = [charts.POSITIVE if v >= 0 else charts.COLOURS["far"] for v in values]
        ax.barh(ys, values, color=colours)
        ax.set_yticks(ys, [charts._short(n) for n, _ in label.top])
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"global SHAP value ({charts._short(label.label)})")
        return figures._svg(fig)


@pytest.mark.parametrize(
    "values",
    [
        [0.159, 0.1, 0.09, 0.077],
        [0.4, -0.25, 0.12, -0.6, 0.01],
        [-2.5e-6, -1e-6],
        [3.2e6, 1.1e6, 250000.0],
        [0.0],
    ],
)
def test_shap_bars(values: list[float]) -> None:
    top = tuple(
        (f"feature number {i} with a long name" * (i % 2 + 1), v) for i, v in enumerate(values)
    )
    label = ShapLabel(label="approved <label>", top=top, n_features=len(values), expected_value=0.5)
    assert_same_chart(charts.shap_bars(label), _mpl_shap(label))


def test_label_distribution() -> None:
    groups = [
        GroupStats("Sex", "Female", rows=534, proportion=0.445, positive_label_rate=0.569),
        GroupStats("Sex", "rest & <others>", rows=666, proportion=0.555, positive_label_rate=0.653),
        GroupStats("Sex", "none", rows=0, proportion=0.0, positive_label_rate=None),
    ]
    with _axes(0.6 + 0.38 * len(groups)) as (fig, ax):
        rates = [g.positive_label_rate or 0.0 for g in groups]
        ys = list(range(len(groups)))
        ax.barh(ys, rates, color=charts.POSITIVE, label="y <i> = 1")
        ax.barh(ys, [1 - r for r in rates], left=rates, color=charts.NEGATIVE, label="other labels")
        for y, group, rate in zip(ys, groups, rates, strict=True):
            text = "no rows" if group.positive_label_rate is None else f"{rate:.1%}"
            ax.text(0.01, y, text, va="center", ha="left", color="white", fontsize=8)
            ax.text(1.01, y, f"{group.proportion:.1%} of rows", va="center", fontsize=8)
        ax.set_yticks(ys, [g.value_or_threshold for g in groups])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of rows in the group")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
        oracle = figures._svg(fig)
    svg = charts.label_distribution(groups, "y <i>", "1")
    assert "&lt;others&gt;" in svg and "<others>" not in svg
    assert_same_chart(svg, oracle, legend=2)


def test_compare_gaps() -> None:
    group = _group([0.05, -0.4, 0.5, 1.8])
    rows = [
        CompareRow("pre", "Sex", "F", m.code, a, m, None, "unchanged")
        for m, a in zip(group.metrics, [*group.metrics[1:], None], strict=True)
    ]
    with _axes(0.8 + 0.32 * len(rows)) as (fig, ax):
        ys = list(range(len(rows)))
        ax.barh(
            [y - 0.2 for y in ys],
            [charts._clipped_delta(r.a) for r in rows],
            height=0.38,
            color="#9e9e9e",
        )
        colours = [charts.COLOURS[r.b.flag] if r.b is not None else "#ffffff" for r in rows]
        ax.barh(
            [y + 0.2 for y in ys],
            [charts._clipped_delta(r.b) for r in rows],
            height=0.38,
            color=colours,
        )
        for x in (flags.NOTABLE_GAP, flags.FAR_GAP):
            for sign in (-1, 1):
                ax.axvline(
                    sign * x, color="#757575", lw=0.6, ls="--" if x == flags.FAR_GAP else ":"
                )
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ys, [r.code for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(-1.1, 1.1)
        ax.set_xlabel("value − fair value (clipped to ±1); upper bar A, lower bar B")
        oracle = figures._svg(fig)
    assert_same_chart(charts.compare_gaps(rows), oracle)


ROTATED = re.compile(
    r'<text style="([^"]*?)(?:; text-anchor: start)?" transform="translate\(([-0-9.]+) '
    r'([-0-9.]+)\) rotate\(-30\)">([^<]*)</text>'
)


def _pdp_texts(svg: str) -> list[tuple[str, str, float, float]]:
    texts = _texts(svg)  # with the axis labels turned 90° (their x, y: the turn's centre)
    texts += sorted((t, style, float(x), float(y)) for style, x, y, t in ROTATED.findall(svg))
    return texts


def _line(svg: str) -> list[tuple[float, float]]:
    match = re.search(r'<path d="(M [^"]*)"[^>]*stroke: #1f77b4; stroke-width: 1.5', svg)
    assert match is not None
    numbers = [float(v) for v in re.findall(r"-?[0-9.]+", match.group(1))]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _pdp(values: tuple[object, ...], predictions: tuple[float, ...], kind: str) -> PdpFeature:
    share = tuple(1 / len(values) for _ in values)
    return PdpFeature("Feature <x>", kind, values, share, (predictions,), ("approved",))


@pytest.mark.parametrize(
    "feature",
    [
        _pdp(
            tuple(500.0 + 36 * i for i in range(10)),
            (0.1, 0.13, 0.2, 0.3, 0.36, 0.43, 0.5, 0.53, 0.55, 0.56),
            "numerical",
        ),
        _pdp(("Female", "Male", "a much longer category name"), (0.62, 0.55, 0.6), "categorical"),
        _pdp((2.0e4, 5.0e4, 8.0e4, 1.5e5), (-1.5, -0.2, 0.7, 2.3), "numerical"),
        _pdp(("low", "high"), (3.0, 3.0), "numerical"),  # not numbers: drawn as categories
    ],
)
def test_pdp_plots(feature: PdpFeature) -> None:
    ours, oracle = charts.pdp_plot(feature), figures.pdp_plot(feature)
    assert "<circle" in ours  # written here, not by matplotlib
    want, got = _pdp_texts(oracle), _pdp_texts(ours)
    assert [t for t, *_ in got] == [t for t, *_ in want]
    for (text, _, x, y), (_, _, x2, y2) in zip(got, want, strict=True):
        assert abs(x - x2) < TOLERANCE and abs(y - y2) < TOLERANCE, (text, x, y, x2, y2)
    for a, b in zip(_line(ours), _line(oracle), strict=True):
        assert a == pytest.approx(b, abs=TOLERANCE)
    want_bars, got_bars = _mpl_bars(oracle), _bars(ours, 0, backgrounds=1)
    assert len(got_bars) == len(want_bars) == len(feature.values)
    for a, b in zip(got_bars, want_bars, strict=True):
        assert a[0] == b[0] and a[1:] == pytest.approx(b[1:], abs=TOLERANCE)


def test_pdp_plots_matplotlib_still_draws() -> None:
    several = dataclasses.replace(
        _pdp((1.0, 2.0), (0.2, 0.4), "numerical"), predictions=((0.2, 0.4), (0.8, 0.6))
    )
    narrow = _pdp((1000.0, 1000.001, 1000.002), (0.2, 0.4, 0.5), "numerical")  # offset labels
    for feature in (several, narrow):
        svg = charts.pdp_plot(feature)
        assert "<circle" not in svg and "<use" in svg  # matplotlib's markers
