"""The report as plain data: what to say, independent of how it is drawn.

:func:`build_report` reads the ``analysis.json`` document, the optional
:class:`~openclarify.report.stats.ReportStats` and the metric registry and
returns a :class:`Report`: sections, tables, plain-words readings and flags.
The HTML page, the notebook and the PDF all render this one object, so they
cannot disagree.  A metric's range and fair value come from
:data:`openclarify.bias.registry.BY_CODE` only.
"""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bias.registry import BY_CODE
from ..results import BEYOND_KEY, TextExample
from . import flags
from .drift import DriftSection
from .images import ImageReport, image_reports
from .stats import ReportStats

#: Features shown in a SHAP bar chart (the largest absolute global values).
TOP_FEATURES = 10
#: Tokens per label and text column in the report's chart of ``global_top_shap_text``.
TOP_TOKENS = 20
#: Headline findings listed in the summary (the values furthest from fair).
TOP_FINDINGS = 5
#: Facet groups per facet and stage shown with a full table and a chart; further
#: groups (a one-vs-rest facet with many values) share one compact table, so that a
#: report of hundreds of groups stays readable and renders in seconds.
MAX_DETAILED_GROUPS = 8
#: Facet groups drawn in a label-distribution chart (the largest by rows).
MAX_CHART_GROUPS = 30

STAGES = (
    ("pre_training_bias_metrics", "pre_training", "Pre-training bias metrics"),
    ("post_training_bias_metrics", "post_training", "Post-training bias metrics"),
)


def to_float(value: Any) -> float | None:
    """A metric value of ``analysis.json`` as a float (``"Infinity"`` → ``inf``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            return float(value)  # "Infinity", "-Infinity", "NaN"
        except ValueError:
            return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def format_value(value: float | None) -> str:
    """How a metric value is shown: 4 decimals, ``∞`` for infinities, ``—`` for none."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def exact_value(value: Any) -> str:
    """The value exactly as ``analysis.json`` has it (for tooltips and checks)."""
    if isinstance(value, float):
        return repr(value)
    return "null" if value is None else str(value)


def format_fair(fair_value: float) -> str:
    """A fair value as written in the registry (``0``, ``1``)."""
    return f"{fair_value:g}"


@dataclass(frozen=True)
class MetricRow:
    """One metric of one facet group, ready to show."""

    code: str
    description: str
    raw: Any
    value: float | None
    shown: str
    exact: str
    error: str | None
    value_range: str
    fair_value: float
    reading: str
    flag: flags.Flag
    #: With ``openclarify.uncertainty`` (:mod:`.beyond`): the bootstrap interval,
    #: the p-value and the test that gave it.
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    test: str | None = None

    @property
    def fair(self) -> str:
        return format_fair(self.fair_value)


@dataclass(frozen=True)
class GroupMetrics:
    """The metrics of one facet group ``d``."""

    facet: str
    value_or_threshold: str
    metrics: tuple[MetricRow, ...]
    #: With ``openclarify.uncertainty``: the group's reliability flags (``few_rows``, …).
    reliability: tuple[str, ...] = ()

    def by_code(self) -> dict[str, MetricRow]:
        return {row.code: row for row in self.metrics}


@dataclass(frozen=True)
class BiasStage:
    """``pre_training_bias_metrics`` or ``post_training_bias_metrics``, readable."""

    key: str
    title: str
    label: str
    label_value_or_threshold: str
    groups: tuple[GroupMetrics, ...]

    @property
    def facets(self) -> list[str]:
        return list(dict.fromkeys(g.facet for g in self.groups))

    def groups_of(self, facet: str) -> list[GroupMetrics]:
        return [g for g in self.groups if g.facet == facet]

    @staticmethod
    def codes_of(groups: list[GroupMetrics]) -> list[str]:
        """Metric codes of some groups, in order of first appearance."""
        return list(dict.fromkeys(row.code for g in groups for row in g.metrics))


@dataclass(frozen=True)
class Finding:
    """A flagged value, for the summary."""

    stage: str
    facet: str
    value_or_threshold: str
    row: MetricRow

    @property
    def text(self) -> str:
        return (
            f"{self.row.code} = {self.row.shown} for {self.facet} = {self.value_or_threshold} "
            f"({self.stage}): {self.row.reading}"
        )


@dataclass(frozen=True)
class ShapLabel:
    """Global SHAP values of one model output, largest first."""

    label: str
    expected_value: float | None
    top: tuple[tuple[str, float], ...]
    n_features: int


@dataclass(frozen=True)
class PdpFeature:
    """One partial dependence plot (contract §4.4)."""

    feature: str
    data_type: str
    values: tuple[Any, ...]
    distribution: tuple[float, ...]
    predictions: tuple[tuple[float, ...], ...]
    label_headers: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True)
class Report:
    """Everything a report shows, in order."""

    title: str
    summary: str
    findings: tuple[Finding, ...]
    stats: ReportStats | None
    stages: tuple[BiasStage, ...]
    shap: tuple[ShapLabel, ...]
    pdp: tuple[PdpFeature, ...]
    config: dict[str, Any]
    versions: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)
    #: Baseline against current values, when a drift check ran (else None).
    drift: DriftSection | None = None
    #: What the config's ``openclarify`` key added (:mod:`.beyond`); ``None`` without it.
    beyond: Any = None
    #: Explained images with their heat maps (``explanations.kernel_shap_images``).
    images: tuple[ImageReport, ...] = ()
    #: Images explained beyond those shown (see :data:`.images.MAX_REPORT_IMAGES`).
    more_images: int = 0
    #: ``global_top_shap_text``: one entry per (label, text column), largest first.
    text_top: tuple[ShapLabel, ...] = ()
    #: A few records with each text unit's attribution.
    text_examples: tuple[TextExample, ...] = ()
    #: ``segment_analysis``: one table per ``segment_config`` entry (:mod:`.segments`).
    segments: tuple[Any, ...] = ()

    def all_rows(self) -> list[tuple[BiasStage, GroupMetrics, MetricRow]]:
        return [(s, g, r) for s in self.stages for g in s.groups for r in g.metrics]


def reading(value: float | None, error: str | None, value_range: str, fair_value: float) -> str:
    """A plain-words reading of a value, derived from its range and fair value."""
    if error is not None or value is None or math.isnan(value):
        return f"Not computed: {error}" if error else "Not computed."
    fair = format_fair(fair_value)
    level = flags.flag(value, fair_value)
    notable, far = flags.thresholds(fair_value)
    if value == fair_value:
        return f"Exactly the fair value {fair}: no sign of bias by this metric."
    side = "above" if value > fair_value else "below"
    if fair_value == 1.0:
        if value <= 0 or math.isinf(value):
            size = "infinitely far"
        else:
            size = f"a factor {max(value, 1 / value):.2f}"
        where = f"{side} the fair value {fair} by {size}"
        band = f"[{1 / (1 + far):.2f}, {1 + far:.2f}]"
        inner = f"[{1 / (1 + notable):.2f}, {1 + notable:.2f}]"
    else:
        size = "an infinite amount" if math.isinf(value) else f"{abs(value - fair_value):.2f}"
        where = f"{side} the fair value {fair} by {size}"
        band = f"within {far:g} of {fair}"
        inner = f"within {notable:g} of {fair}"
    if level == "far":
        return f"Far from fair: {where} (fair band {band}; range {value_range})."
    if level == "notable":
        return f"Worth a look: {where} (not {inner}; range {value_range})."
    return f"Close to fair: {where} ({inner}; range {value_range})."


def metric_row(entry: dict[str, Any]) -> MetricRow:
    """One metric object of ``analysis.json`` joined with its registry entry."""
    code = str(entry.get("name", ""))
    spec = BY_CODE.get(code)
    raw = entry.get("value")
    value = to_float(raw)
    error = entry.get("error")
    error = None if error is None else str(error)
    value_range = spec.value_range if spec is not None else "unknown"
    fair_value = spec.fair_value if spec is not None else 0.0
    return MetricRow(
        code=code,
        description=str(entry.get("description", spec.description if spec else "")),
        raw=raw,
        value=value,
        shown=format_value(value) if error is None else "error",
        exact=exact_value(raw),
        error=error,
        value_range=value_range,
        fair_value=fair_value,
        reading=reading(value, error, value_range, fair_value),
        flag="error" if error is not None else flags.flag(value, fair_value),
    )


def bias_stage(stage: str, title: str, section: dict[str, Any]) -> BiasStage:
    """One bias section of analysis.json as a :class:`BiasStage`."""
    groups = []
    for facet, facet_groups in (section.get("facets") or {}).items():
        for group in facet_groups:
            groups.append(
                GroupMetrics(
                    facet=str(facet),
                    value_or_threshold=str(group.get("value_or_threshold", "")),
                    metrics=tuple(metric_row(m) for m in group.get("metrics", [])),
                )
            )
    return BiasStage(
        key=stage,
        title=title,
        label=str(section.get("label", "")),
        label_value_or_threshold=str(section.get("label_value_or_threshold", "")),
        groups=tuple(groups),
    )


def shap_labels(kernel_shap: dict[str, Any]) -> tuple[ShapLabel, ...]:
    out = []
    for label, entry in kernel_shap.items():
        values = {
            str(k): v for k, v in (entry.get("global_shap_values") or {}).items() if v is not None
        }
        ranked = sorted(values.items(), key=lambda kv: -abs(float(kv[1])))
        out.append(
            ShapLabel(
                label=str(label),
                expected_value=to_float(entry.get("expected_value")),
                top=tuple((k, float(v)) for k, v in ranked[:TOP_FEATURES]),
                n_features=len(values),
            )
        )
    return tuple(out)


def text_top_tokens(kernel_shap: dict[str, Any]) -> tuple[ShapLabel, ...]:
    """``global_top_shap_text`` of every label and text column, the top :data:`TOP_TOKENS`."""
    out = []
    for label, entry in kernel_shap.items():
        for column, tokens in (entry.get("global_top_shap_text") or {}).items():
            ranked = [(str(k), float(v)) for k, v in tokens.items() if v is not None]
            out.append(
                ShapLabel(
                    label=f"{label} · {column}",
                    expected_value=to_float(entry.get("expected_value")),
                    top=tuple(ranked[:TOP_TOKENS]),
                    n_features=len(ranked),
                )
            )
    return tuple(out)


def pdp_features(pdp: list[dict[str, Any]]) -> tuple[PdpFeature, ...]:
    out = []
    for entry in pdp:
        out.append(
            PdpFeature(
                feature=str(entry.get("feature_name", "")),
                data_type=str(entry.get("data_type", "")),
                values=tuple(entry.get("feature_values") or ()),
                distribution=tuple(float(v) for v in entry.get("data_distribution") or ()),
                predictions=tuple(
                    tuple(float(v) for v in row) for row in entry.get("model_predictions") or ()
                ),
                label_headers=tuple(str(h) for h in entry.get("label_headers") or ()),
                error=None if entry.get("error") is None else str(entry["error"]),
            )
        )
    return tuple(out)


def default_versions() -> dict[str, str]:
    """Versions of what computed and rendered the report."""
    import numpy
    import pandas

    from .. import __version__

    return {
        "openclarify": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
    }


def _methods_run(document: dict[str, Any], stages: tuple[BiasStage, ...]) -> list[str]:
    done = []
    for stage in stages:
        codes = sorted({r.code for g in stage.groups for r in g.metrics})
        done.append(f"{stage.title.lower()} ({len(codes)} metrics)")
    explanations = document.get("explanations") or {}
    if "kernel_shap" in explanations:
        done.append("SHAP feature attributions")
    if "pdp" in explanations:
        done.append("partial dependence plots")
    return done


def _summary(
    document: dict[str, Any],
    stages: tuple[BiasStage, ...],
    stats: ReportStats | None,
    config: dict[str, Any],
    counts: dict[str, int],
) -> str:
    parts = []
    dataset = config.get("dataset_uri") or config.get("dataset")
    kind = config.get("dataset_type")
    described = "The dataset"
    if dataset:
        described += f" {dataset}"
    if kind:
        described += f" ({kind})"
    if stats is not None:
        described += f" has {stats.rows:,} rows"
    parts.append(described + ".")
    if stages:
        first = stages[0]
        parts.append(
            f"The label is {first.label}, with positive value(s) {first.label_value_or_threshold}."
        )
        facets = []
        for name in dict.fromkeys(f for s in stages for f in s.facets):
            groups = dict.fromkeys(
                g.value_or_threshold for s in stages for g in s.groups if g.facet == name
            )
            facets.append(f"{name} ({'; '.join(groups)})")
        parts.append("Facets (group d compared with the rest): " + ", ".join(facets) + ".")
    run = _methods_run(document, stages)
    parts.append("Computed: " + (", ".join(run) if run else "nothing") + ".")
    if counts.get("values"):
        parts.append(
            f"Of {counts['values']} metric values, {counts['far']} "
            f"{'is' if counts['far'] == 1 else 'are'} far from fair, "
            f"{counts['notable']} worth a look and {counts['fair']} close to fair"
            + (f"; {counts['error']} could not be computed" if counts["error"] else "")
            + "."
        )
    return " ".join(parts)


def segment_tables(document: dict[str, Any]) -> tuple[Any, ...]:
    """The Segments section's tables (:func:`openclarify.report.segments.segment_tables`)."""
    from .segments import segment_tables as tables

    return tables(document)


def build_report(
    document: dict[str, Any],
    *,
    title: str | None = None,
    stats: ReportStats | None = None,
    config: dict[str, Any] | None = None,
    versions: dict[str, str] | None = None,
    drift: DriftSection | None = None,
    output_dir: Path | None = None,
    text_examples: tuple[TextExample, ...] = (),
) -> Report:
    """The report of one ``analysis.json`` document (its drift check and texts, if any).

    ``output_dir`` is the folder of ``analysis.json``, where the heat maps of an
    image job are read from (without it, their figures show only file names).
    """
    stages = tuple(
        bias_stage(stage, stage_title, document[key])
        for key, stage, stage_title in STAGES
        if isinstance(document.get(key), dict)
    )
    extras = None
    if isinstance(document.get(BEYOND_KEY), dict):
        from .beyond import read_beyond

        stages, extras = read_beyond(document[BEYOND_KEY], stages)
    explanations = document.get("explanations") or {}
    rows = [(s, g, r) for s in stages for g in s.groups for r in g.metrics]
    counts = {level: 0 for level in ("fair", "notable", "far", "error")}
    for _, _, row in rows:
        counts[row.flag] += 1
    counts["values"] = len(rows)
    flagged = [
        (s, g, r)
        for s, g, r in rows
        if r.flag == "far" or (r.flag == "notable" and r.value is not None)
    ]
    # Furthest from fair first; ties keep the document's order (stable sort).
    flagged.sort(
        key=lambda sgr: (
            sgr[2].flag != "far",
            -flags.gap(sgr[2].value or 0.0, sgr[2].fair_value),
        )
    )
    findings = tuple(
        Finding(s.title.split(" bias")[0].lower(), g.facet, g.value_or_threshold, r)
        for s, g, r in flagged[:TOP_FINDINGS]
    )
    config = dict(config or {})
    images, more_images = image_reports(explanations.get("kernel_shap_images") or [], output_dir)
    return Report(
        title=title or "Analysis Report",
        summary=_summary(document, stages, stats, config, counts),
        findings=findings,
        stats=stats,
        stages=stages,
        shap=shap_labels(explanations.get("kernel_shap") or {}),
        pdp=pdp_features(explanations.get("pdp") or []),
        config=config,
        versions=dict(versions) if versions is not None else default_versions(),
        counts=counts,
        drift=drift,
        beyond=extras,
        images=images,
        more_images=more_images,
        text_top=text_top_tokens(explanations.get("kernel_shap") or {}),
        text_examples=tuple(text_examples),
        segments=segment_tables(document),
    )
