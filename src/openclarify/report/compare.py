"""Two runs side by side: every metric of A and B and how it changed.

Typical use: the same analysis on an unbalanced and on a re-balanced
dataset, or before and after a model change.  Metrics are matched by
(stage, facet, facet group, code); a metric present in only one run is shown
with the other side empty.  "Closer to fair" compares the flag gaps of
:mod:`openclarify.report.flags`, so it agrees with the flags in each report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from . import flags
from .content import STAGES, MetricRow, bias_stage, format_value

Verdict = Literal["closer", "further", "unchanged", "only A", "only B", "n/a"]

VERDICT_TEXT: dict[str, str] = {
    "closer": "closer to fair",
    "further": "further from fair",
    "unchanged": "unchanged",
    "only A": "only in A",
    "only B": "only in B",
    "n/a": "not comparable",
}


@dataclass(frozen=True)
class CompareRow:
    """One metric of one facet group in both runs."""

    stage: str
    facet: str
    value_or_threshold: str
    code: str
    a: MetricRow | None
    b: MetricRow | None
    change: float | None
    verdict: Verdict

    @property
    def change_shown(self) -> str:
        if self.change is None:
            return "—"
        return ("+" if self.change > 0 else "") + format_value(self.change)

    @property
    def verdict_text(self) -> str:
        return VERDICT_TEXT[self.verdict]


@dataclass(frozen=True)
class Comparison:
    """The comparison of two ``analysis.json`` documents."""

    title: str
    name_a: str
    name_b: str
    rows: tuple[CompareRow, ...]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict)

    @property
    def summary(self) -> str:
        return (
            f"{len(self.rows)} metric values compared: {self.count('closer')} closer to fair in B, "
            f"{self.count('further')} further from fair, {self.count('unchanged')} unchanged"
            + (
                f", {self.count('only A') + self.count('only B')} in one run only"
                if self.count("only A") + self.count("only B")
                else ""
            )
            + (f", {self.count('n/a')} not comparable" if self.count("n/a") else "")
            + "."
        )


def _verdict(a: MetricRow, b: MetricRow) -> tuple[float | None, Verdict]:
    if a.value is None or b.value is None:
        return None, "n/a"
    change = None
    if not (math.isinf(a.value) or math.isinf(b.value)):
        change = b.value - a.value
    gap_a, gap_b = flags.gap(a.value, a.fair_value), flags.gap(b.value, b.fair_value)
    # 1e-12: equal values computed in a different row order are "unchanged".
    if gap_a == gap_b or abs(gap_a - gap_b) <= 1e-12:
        return change, "unchanged"
    return change, "closer" if gap_b < gap_a else "further"


def _rows(document: dict[str, Any]) -> dict[tuple[str, str, str, str], MetricRow]:
    out: dict[tuple[str, str, str, str], MetricRow] = {}
    for key, stage, title in STAGES:
        if not isinstance(document.get(key), dict):
            continue
        for group in bias_stage(stage, title, document[key]).groups:
            for row in group.metrics:
                out[(title, group.facet, group.value_or_threshold, row.code)] = row
    return out


def build_comparison(
    document_a: dict[str, Any],
    document_b: dict[str, Any],
    *,
    name_a: str = "A",
    name_b: str = "B",
    title: str | None = None,
) -> Comparison:
    """Match the metrics of two runs; A's order first, then B's extra metrics."""
    rows_a, rows_b = _rows(document_a), _rows(document_b)
    rows = []
    for key in list(rows_a) + [k for k in rows_b if k not in rows_a]:
        a, b = rows_a.get(key), rows_b.get(key)
        change: float | None = None
        verdict: Verdict
        if a is None:
            verdict = "only B"
        elif b is None:
            verdict = "only A"
        else:
            change, verdict = _verdict(a, b)
        rows.append(CompareRow(*key, a=a, b=b, change=change, verdict=verdict))
    return Comparison(title or "Comparison of two analyses", name_a, name_b, tuple(rows))
