"""How a result shows itself in Jupyter: plain HTML tables, no dependency above ``results``.

One table per bias stage — a row per facet group, a column per metric, the value
to 4 decimals with the exact value as a tooltip — and the top global SHAP values
per label.  Everything shown is escaped: facet values come from the data.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import AnalysisResult, BiasSection

__all__ = ["result_html"]

#: Features listed per label in the SHAP table (the largest absolute global values).
TOP_FEATURES = 10


def _shown(value: float | int | None) -> str:
    if value is None:
        return "—"
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if math.isnan(number):
        return "—"
    text = f"{number:.4f}"
    return "0.0000" if text == "-0.0000" else text


def _bias_table(title: str, section: BiasSection) -> str:
    codes = list(
        dict.fromkeys(
            m.name for groups in section.facets.values() for g in groups for m in g.metrics
        )
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in codes)
    rows = []
    for facet, groups in section.facets.items():
        for group in groups:
            by_code = {m.name: m for m in group.metrics}
            cells = []
            for code in codes:
                metric = by_code.get(code)
                if metric is None:
                    cells.append("<td></td>")
                    continue
                tip = metric.error if metric.error is not None else repr(metric.value)
                cells.append(
                    f'<td title="{html.escape(metric.description)}: {html.escape(tip)}">'
                    f"{_shown(metric.value)}</td>"
                )
            rows.append(
                f"<tr><th>{html.escape(facet)}</th>"
                f"<th>{html.escape(group.value_or_threshold)}</th>{''.join(cells)}</tr>"
            )
    caption = (
        f"{title} — label {html.escape(section.label)} = "
        f"{html.escape(section.label_value_or_threshold)}"
    )
    return (
        f"<table><caption>{caption}</caption><thead><tr><th>facet</th><th>value</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _shap_tables(explanations: dict[str, Any]) -> list[str]:
    kernel = explanations.get("kernel_shap")
    if not isinstance(kernel, dict):
        return []
    out = []
    for label, section in kernel.items():
        values = (section or {}).get("global_shap_values") or {}
        top = sorted(values.items(), key=lambda kv: -abs(float(kv[1])))[:TOP_FEATURES]
        rows = "".join(
            f"<tr><th>{html.escape(str(name))}</th><td>{_shown(float(value))}</td></tr>"
            for name, value in top
        )
        out.append(
            f"<table><caption>Global SHAP values — {html.escape(str(label))}</caption>"
            f"<thead><tr><th>feature</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return out


def result_html(result: AnalysisResult) -> str:
    """The result as HTML tables (what ``_repr_html_`` returns)."""
    parts = []
    for title, section in (
        ("Pre-training bias", result.pre_training),
        ("Post-training bias", result.post_training),
    ):
        if section is not None:
            parts.append(_bias_table(title, section))
    parts.extend(_shap_tables(result.explanations or {}))
    if not parts:
        parts.append("<p>No results.</p>")
    for note in result.notes:
        parts.append(f"<p>Note: {html.escape(note)}</p>")
    return f'<div class="openclarify-result">{"".join(parts)}</div>'
