"""Frozen results of one analysis, shaped like Clarify's ``analysis.json``.

:meth:`AnalysisResult.to_dict` gives the exact ``analysis.json`` document
(contract §4): key order ``version``, ``post_training_bias_metrics``,
``pre_training_bias_metrics``, ``explanations``; metric objects
``name, description, value[, error]``; ``±inf`` as ``"Infinity"`` strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .segments import SEGMENT_ANALYSIS_KEY, SegmentationResult, combine_segmentations
from .statistics import ReportStats
from .text import TextExample

if TYPE_CHECKING:
    from ..config import AnalysisConfig
    from ..explain.analysis import ShapExplanation

ANALYSIS_VERSION = "1.0"
#: The one namespaced key of ``analysis.json`` holding what Clarify does not write.
BEYOND_KEY = "openclarify"


def json_value(value: float | int | None) -> float | int | str | None:
    """A metric value as Clarify writes it (``±inf`` → ``"±Infinity"``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    number = float(value)
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


@dataclass(frozen=True)
class MetricResult:
    """One metric of one facet group: a value, or ``None`` and an error."""

    name: str
    description: str
    value: float | int | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "value": json_value(self.value),
        }
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class FacetGroupResult:
    """All metrics for one facet group ``d`` (a value list or an interval)."""

    value_or_threshold: str
    metrics: tuple[MetricResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "value_or_threshold": self.value_or_threshold,
            "metrics": [m.to_dict() for m in self.metrics],
        }


@dataclass(frozen=True)
class BiasSection:
    """``pre_training_bias_metrics`` or ``post_training_bias_metrics``."""

    label: str
    facets: dict[str, tuple[FacetGroupResult, ...]]
    label_value_or_threshold: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "facets": {name: [g.to_dict() for g in groups] for name, groups in self.facets.items()},
            "label_value_or_threshold": self.label_value_or_threshold,
        }


@dataclass(frozen=True)
class OutputFile:
    """A result file next to ``analysis.json`` (e.g. ``explanations_shap/out.csv``).

    Written before ``analysis.json``, so that when ``analysis.json`` exists every
    file of the run is complete.

    Attributes
    ----------
    path:
        Relative to the output folder, ``/``-separated.
    content:
        Renders the file's text (or bytes: heat-map images) when it is written
        (large files are not held twice).
    note:
        The log line once written; ``{target}`` is the file, ``{folder}`` its folder.
    """

    path: str
    content: Callable[[], str | bytes] = field(compare=False)
    note: str = "Wrote {target}"


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one run computed.

    Use :meth:`to_dict` for ``analysis.json`` and :meth:`metrics_frame` for a
    pandas table of every bias metric.  In a notebook it shows itself as a
    table (``_repr_html_``), :meth:`plot` draws the metrics and :meth:`report`
    writes the job's report files.
    """

    pre_training: BiasSection | None = None
    post_training: BiasSection | None = None
    explanations: dict[str, Any] | None = None
    #: Local SHAP values and the baseline, for ``explanations_shap/`` (not in the JSON).
    shap: ShapExplanation | None = None
    #: Per-facet-group statistics and model performance, for the report (not in the JSON).
    report_stats: ReportStats | None = None
    #: A few explained texts with their unit attributions, for the report (not in the JSON).
    text_examples: tuple[TextExample, ...] = field(default=())
    #: The validated config the run used.
    config: AnalysisConfig | None = None
    notes: tuple[str, ...] = field(default=())
    #: Files written next to ``analysis.json``, in this order, before it.
    files: tuple[OutputFile, ...] = field(default=())
    #: The opt-in statistics beyond Clarify (config key ``openclarify``), written as
    #: the last key of ``analysis.json``, :data:`BEYOND_KEY`; ``None`` when not asked for.
    beyond: dict[str, Any] | None = None
    #: Per-segment results (``segment_config``), one per entry, written before
    #: :attr:`beyond` (after every key Clarify writes).
    segments: tuple[SegmentationResult, ...] = field(default=())

    @classmethod
    def combine(
        cls, parts: Iterable[AnalysisResult], config: AnalysisConfig | None = None
    ) -> AnalysisResult:
        """One result from the partial results of the methods, in the methods' order.

        Each part sets the fields of its own method; a field set by two parts is
        an internal error.  ``explanations`` sections are merged key by key in
        order (``kernel_shap`` before ``pdp`` when the table lists them so),
        ``files`` and ``notes`` are concatenated, and ``segments`` are combined
        segment by segment the same way.
        """
        single: dict[str, Any] = {}
        explanations: dict[str, Any] = {}
        files: list[OutputFile] = []
        notes: list[str] = []
        examples: list[TextExample] = []
        segments: list[tuple[SegmentationResult, ...]] = []
        for part in parts:
            for name in ("pre_training", "post_training", "shap", "report_stats", "beyond"):
                value = getattr(part, name)
                if value is not None:
                    if name in single:
                        raise RuntimeError(f"two methods produced {name}")
                    single[name] = value
            for key, section in (part.explanations or {}).items():
                if key in explanations:
                    raise RuntimeError(f"two methods produced explanations.{key}")
                explanations[key] = section
            files.extend(part.files)
            notes.extend(part.notes)
            examples.extend(part.text_examples)
            segments.append(part.segments)
        return cls(
            **single,
            explanations=explanations or None,
            config=config,
            notes=tuple(notes),
            files=tuple(files),
            text_examples=tuple(examples),
            segments=combine_segmentations(segments),
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``analysis.json`` document."""
        out: dict[str, Any] = {"version": ANALYSIS_VERSION}
        if self.post_training is not None:
            out["post_training_bias_metrics"] = self.post_training.to_dict()
        if self.pre_training is not None:
            out["pre_training_bias_metrics"] = self.pre_training.to_dict()
        if self.explanations:
            out["explanations"] = self.explanations
        if self.segments:
            out[SEGMENT_ANALYSIS_KEY] = [s.to_dict() for s in self.segments]
        if self.beyond is not None:
            out[BEYOND_KEY] = self.beyond
        return out

    def metrics_frame(self) -> Any:
        """Long pandas table: one row per (stage, facet, group, metric).

        Columns: ``stage, facet, value_or_threshold, metric, description,
        value, error`` (``value`` is a float; ``±inf`` kept as floats).  With
        ``openclarify.intersections`` the crossed groups follow (facet
        ``"Sex & Age"``); with ``openclarify.uncertainty`` the columns
        ``ci_low, ci_high, p_value, test, flags`` follow (``flags``: the
        group's reliability flags joined by ``,``; ``""`` when none).
        """
        import pandas as pd

        from .beyond import group_records, intersection_groups, metric_statistics, number

        rows: list[dict[str, Any]] = []
        for stage, section in (
            ("pre_training", self.pre_training),
            ("post_training", self.post_training),
        ):
            if section is None:
                continue
            for facet, groups in section.facets.items():
                for group in groups:
                    for metric in group.metrics:
                        rows.append(
                            {
                                "stage": stage,
                                "facet": facet,
                                "value_or_threshold": group.value_or_threshold,
                                "metric": metric.name,
                                "description": metric.description,
                                "value": float("nan")
                                if metric.value is None
                                else float(metric.value),
                                "error": metric.error,
                            }
                        )
        for stage in ("pre_training", "post_training"):
            for crossed_stage, facet, entry in intersection_groups(self.beyond):
                if crossed_stage != stage:
                    continue
                for metric in entry.get("metrics") or []:
                    rows.append(
                        {
                            "stage": stage,
                            "facet": facet,
                            "value_or_threshold": entry.get("value_or_threshold"),
                            "metric": metric.get("name"),
                            "description": metric.get("description"),
                            "value": number(metric.get("value")),
                            "error": metric.get("error"),
                        }
                    )
        columns = [
            "stage",
            "facet",
            "value_or_threshold",
            "metric",
            "description",
            "value",
            "error",
        ]
        statistics = metric_statistics(self.beyond)
        if statistics:
            records = group_records(self.beyond)
            for row in rows:
                key = (str(row["stage"]), str(row["facet"]), str(row["value_or_threshold"]))
                found = statistics.get((*key, str(row["metric"])), {})
                interval = found.get("confidence_interval") or [None, None]
                row["ci_low"], row["ci_high"] = number(interval[0]), number(interval[1])
                row["p_value"] = number(found.get("p_value"))
                row["test"] = found.get("test")
                row["flags"] = ",".join(records.get(key, {}).get("flags") or [])
            columns += ["ci_low", "ci_high", "p_value", "test", "flags"]
        return pd.DataFrame(rows, columns=columns)

    def group_performance_frame(self) -> Any:
        """Per-group performance (``openclarify.group_performance``) as a pandas table.

        One row per facet group: ``facet, value_or_threshold, rows`` and, for each
        of ``base_rate, acceptance_rate, tpr, fpr, precision, accuracy``, the value
        and its interval (``<rate>_low``, ``<rate>_high``); NaN where undefined.
        Empty without the opt-in.
        """
        import pandas as pd

        from .beyond import performance_rows

        return pd.DataFrame(performance_rows(self.beyond))

    def _repr_html_(self) -> str:
        """A table per stage (facet group × metric) and the top global SHAP values."""
        from .display import result_html

        return result_html(self)

    def plot(self) -> Any:
        """Bars of every bias metric's distance from its fair value, one panel per facet group.

        The report's chart (:func:`openclarify.report.charts.metrics_figure`; the
        ``report`` extra); a value at 0 is fair, dotted and dashed lines mark the
        report's "notable" and "far" thresholds.

        Returns
        -------
        matplotlib.figure.Figure
            Shown inline by Jupyter; ``fig.savefig("metrics.png")`` saves it.
        """
        from ..report.charts import plot_result  # on call: results stays below report

        return plot_result(self.to_dict())

    def report(self, output_dir: Any, *, title: str | None = None) -> AnalysisResult:
        """Write the files a job writes into ``output_dir``: ``analysis.json`` and the reports.

        The same files, written the same way, as ``openclarify analyze`` with
        ``methods.report`` (``report.html``, ``report.ipynb``, ``report.pdf``, plus
        any method files such as ``explanations_shap/out.csv``).  ``output_dir``
        may be a folder or ``s3://bucket/prefix``.

        Returns
        -------
        AnalysisResult
            This result with notes on any report file that could not be rendered.
        """
        import dataclasses
        import logging

        from ..config import AnalysisConfig, ReportConfig  # on call: results stays below config
        from ..outputs import output_folder, write_outputs

        config = self.config or AnalysisConfig.model_validate(
            {"dataset_type": "text/csv", "methods": {}}
        )
        report = config.methods.report or ReportConfig(name="report", title="Analysis Report")
        if title is not None:
            report = report.model_copy(update={"title": title})
        methods = config.methods.model_copy(update={"report": report})
        result = dataclasses.replace(self, config=config.model_copy(update={"methods": methods}))
        log = logging.getLogger("openclarify")
        with output_folder(str(output_dir), log) as output:
            return write_outputs(result, output, log)
