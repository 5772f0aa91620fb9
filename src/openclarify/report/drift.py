"""The report's drift section: baseline against current values, violations marked.

Shown only when a Model Monitor check ran (``openclarify check``, a monitoring
execution, a ClarifyCheckStep with a baseline); a report without a check is
byte-identical to one rendered before this section existed.  The section is
plain data (:meth:`DriftSection.to_dict` / :meth:`from_dict`) so that the
notebook can store it in its first cell: re-running the notebook re-reads
``analysis.json``, which does not hold the baseline.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..monitor.drift import DriftCheck

__all__ = ["DriftRow", "DriftSection"]

_STAGE_TITLES = {
    "pre_training_bias_metrics": "pre-training",
    "post_training_bias_metrics": "post-training",
}


def _shown(raw: Any) -> str:
    """A value for the table: 6 significant digits, ∞ for infinities, — for none."""
    if raw is None or isinstance(raw, bool):
        return "—"
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.6g}"


@dataclass(frozen=True)
class DriftRow:
    """One compared value: where it is, both values as shown, and the verdict."""

    check: str  # "bias" or "attribution"
    stage: str  # "pre-training" / "post-training" for bias; the label for attribution
    group: str  # "Sex = 0" for bias; "" for attribution
    metric: str  # the metric code, "nDCG", or a feature name
    baseline: str
    current: str
    violated: bool
    note: str = ""


@dataclass(frozen=True)
class DriftSection:
    """What the drift section shows."""

    baseline: str
    summary: str
    rules: tuple[str, ...]
    rows: tuple[DriftRow, ...]
    violations: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftSection:
        return cls(
            baseline=str(data["baseline"]),
            summary=str(data["summary"]),
            rules=tuple(data["rules"]),
            rows=tuple(DriftRow(**row) for row in data["rows"]),
            violations=tuple(data["violations"]),
            notes=tuple(data.get("notes", ())),
        )

    @classmethod
    def from_check(cls, check: DriftCheck, baseline: str) -> DriftSection:
        """The section of one :class:`~openclarify.monitor.drift.DriftCheck`."""
        rows: list[DriftRow] = []
        for pair in check.bias:
            rows.append(
                DriftRow(
                    check="bias",
                    stage=_STAGE_TITLES.get(pair.stage, pair.stage),
                    group=f"{pair.facet} = {pair.facet_value}",
                    metric=pair.metric,
                    baseline=_shown(pair.baseline),
                    current=_shown(pair.current),
                    violated=pair.violated,
                    note="" if pair.checked else "not compared (no value)",
                )
            )
        for scored in check.attribution:
            rows.append(
                DriftRow(
                    check="attribution",
                    stage=scored.label,
                    group="",
                    metric="nDCG",
                    baseline=f"≥ {check.ndcg_threshold:g}",
                    current=f"{scored.score:.4f}",
                    violated=scored.violated,
                )
            )
            for feature, base, now in scored.features:
                rows.append(
                    DriftRow(
                        "attribution", scored.label, "", feature, _shown(base), _shown(now), False
                    )
                )
        rules = []
        if check.bias:
            rules.append(
                "Bias: a metric is violated when its current value is farther from "
                + ("1 (DI) or 0 (the others)" if check.di_centred else "0")
                + " than its baseline value; equal values pass; missing values are not compared."
            )
        if check.attribution:
            rules.append(
                "Feature attribution: per label, the nDCG of the current global SHAP values "
                "against the baseline's; violated below "
                f"{check.ndcg_threshold:g}. Rows below it are the two SHAP vectors."
            )
        violated = len(check.violations)
        summary = f"Compared with the baseline {baseline}: {check.compared} value(s) compared, " + (
            f"{violated} violation(s)." if violated else "no violations."
        )
        return cls(
            baseline=baseline,
            summary=summary,
            rules=tuple(rules),
            rows=tuple(rows),
            violations=tuple(v.description for v in check.violations),
            notes=check.notes,
        )
