"""Text SHAP results: ``explanations.kernel_shap``, ``out.jsonl`` and ``baseline.csv``.

Layouts are Clarify's (modalities contract §1.3); where they are not observed:

* ``global_shap_values[<text column>]``: ``agg_method`` over the records of the
  *sum* of the column's unit attributions in each record (what the observed
  numbers are consistent with); other columns as in tabular SHAP.
* ``global_top_shap_text[<text column>]``: token level for every granularity
  (observed): each token of a unit inherits the unit's attribution, every
  occurrence of a token string (case-sensitive) in the dataset is one value,
  ``agg_method`` aggregates them; the ``max_top_tokens`` (default 50) largest,
  in descending order, ties in order of first occurrence (record order, then
  text order: a stable sort).  Punctuation is kept, as nothing shows it is
  filtered; whitespace is not a token.
* ``out.jsonl``: one line per record, keys sorted (the observed file is in
  alphabetical order at every level), Python's ``json.dumps`` separators; the
  features in dataset order; a non-text feature is
  ``{"attributions": [{"attribution": [...]}], "data_type": ..., "feature_name": ...}``;
  ``join_source_value`` only when the dataset has a join column.
* ``baseline.csv``: the baseline rows without header, text columns holding
  their replacement string (the form ``methods.shap.baseline`` accepts back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...results import TextExample
from ..aggregate import aggregate
from .columns import FREE_TEXT, ColumnTypes
from .masking import MaskableText
from .units import Segmenter

__all__ = ["DEFAULT_MAX_TOP_TOKENS", "TextShapExplanation", "top_tokens"]

#: ``text_config.max_top_tokens`` when absent (contract §2.8).
DEFAULT_MAX_TOP_TOKENS = 50
#: Records per text column the report shows with their units coloured.
REPORT_EXAMPLES = 3
#: Characters of each such record the report shows.
REPORT_EXAMPLE_CHARS = 1500


def top_tokens(
    occurrences: list[tuple[str, NDArray[np.float64]]], agg_method: str, limit: int
) -> list[dict[str, float]]:
    """Per label: ``{token: aggregated attribution}`` of the ``limit`` largest (module docstring).

    ``occurrences`` are ``(token, attribution[K])`` in dataset order.
    """
    by_token: dict[str, list[NDArray[np.float64]]] = {}
    for token, value in occurrences:
        by_token.setdefault(token, []).append(value)
    if not by_token:
        return []
    tokens = list(by_token)
    values = np.stack(
        [aggregate(np.stack(v)[:, None, :], agg_method)[0] for v in by_token.values()]
    )
    out = []
    for k in range(values.shape[1]):
        order = np.argsort(-values[:, k], kind="stable")[:limit]
        out.append({tokens[j]: float(values[j, k]) for j in order})
    return out


@dataclass(frozen=True)
class TextShapExplanation:
    """Kernel SHAP results of a dataset with free-text columns.

    Attributes
    ----------
    labels:
        Output label names.
    features:
        Every feature column, in dataset order.
    types:
        Their ``data_type``.
    texts:
        Per text column, per record: the text cut into units.
    local_other:
        Per non-text feature: ``(n, K)`` attributions.
    local_units:
        Per text column, per record: ``(units, K)`` attributions.
    expected_value:
        ``(K,)`` model output on the baseline rows (log-odds with ``use_logit``).
    global_values:
        Per feature: ``(K,)`` aggregated attribution.
    top_text:
        Per text column, per label: the ``global_top_shap_text`` entries.
    baseline:
        The baseline rows used (text columns hold the replacement string).
    join, save_local:
        The join column's values and ``save_local_shap_values``.
    """

    labels: tuple[str, ...]
    features: tuple[str, ...]
    types: ColumnTypes
    texts: dict[str, list[MaskableText]]
    local_other: dict[str, NDArray[np.float64]]
    local_units: dict[str, list[NDArray[np.float64]]]
    expected_value: NDArray[np.float64]
    global_values: dict[str, NDArray[np.float64]]
    top_text: dict[str, list[dict[str, float]]]
    baseline: pd.DataFrame
    join: pd.Series | None = None
    save_local: bool = False
    n_records: int = field(default=0)

    @staticmethod
    def build(
        *,
        labels: tuple[str, ...],
        features: tuple[str, ...],
        types: ColumnTypes,
        texts: dict[str, list[MaskableText]],
        local_other: dict[str, NDArray[np.float64]],
        local_units: dict[str, list[NDArray[np.float64]]],
        expected_value: NDArray[np.float64],
        baseline: pd.DataFrame,
        segmenter: Segmenter,
        agg_method: str,
        max_top_tokens: int | None,
    ) -> TextShapExplanation:
        """Aggregate the local values into the global ones (module docstring)."""
        k = len(labels)
        n = len(next(iter(texts.values()))) if texts else 0
        global_values: dict[str, NDArray[np.float64]] = {}
        top_text: dict[str, list[dict[str, float]]] = {}
        for name in features:
            if name in local_units:
                sums = np.stack([u.sum(axis=0) for u in local_units[name]]) if n else None
                global_values[name] = (
                    aggregate(sums[:, None, :], agg_method)[0] if sums is not None else np.zeros(k)
                )
                occurrences = []
                for text, phi in zip(texts[name], local_units[name], strict=True):
                    occurrences.extend(_token_values(text, phi, segmenter))
                limit = max_top_tokens if max_top_tokens is not None else DEFAULT_MAX_TOP_TOKENS
                top_text[name] = top_tokens(occurrences, agg_method, limit) or [{}] * k
            else:
                values = local_other[name]
                global_values[name] = (
                    aggregate(values[:, None, :], agg_method)[0] if n else np.zeros(k)
                )
        return TextShapExplanation(
            labels=labels,
            features=features,
            types=types,
            texts=texts,
            local_other=local_other,
            local_units=local_units,
            expected_value=expected_value,
            global_values=global_values,
            top_text=top_text,
            baseline=baseline,
            n_records=n,
        )

    def section(self) -> dict[str, Any]:
        """``explanations.kernel_shap``: per label ``global_shap_values``, ``expected_value``,
        ``global_top_shap_text`` (in that order, as Clarify writes them)."""
        return {
            label: {
                "global_shap_values": {
                    name: float(self.global_values[name][k]) for name in self.features
                },
                "expected_value": float(self.expected_value[k]),
                "global_top_shap_text": {name: self.top_text[name][k] for name in self.top_text},
            }
            for k, label in enumerate(self.labels)
        }

    def local_record(self, i: int) -> dict[str, Any]:
        """The ``out.jsonl`` object of record ``i``."""
        entries = []
        for name in self.features:
            kind = self.types.types[name]
            if kind == FREE_TEXT:
                text = self.texts[name][i]
                phi = self.local_units[name][i]
                attributions = [
                    {
                        "attribution": [float(v) for v in phi[j]],
                        "description": {"partial_text": unit.text, "start_idx": unit.start},
                    }
                    for j, unit in enumerate(text.units)
                ]
            else:
                attributions = [{"attribution": [float(v) for v in self.local_other[name][i]]}]
            entries.append({"attributions": attributions, "data_type": kind, "feature_name": name})
        line: dict[str, Any] = {"explanations": entries}
        if self.join is not None:
            value = self.join.iloc[i]
            line["join_source_value"] = value.item() if hasattr(value, "item") else value
        return line

    def local_jsonl(self) -> str:
        """``explanations_shap/out.jsonl``: one JSON object per record, keys sorted."""
        return "".join(
            json.dumps(self.local_record(i), sort_keys=True) + "\n" for i in range(self.n_records)
        )

    def examples(
        self, count: int = REPORT_EXAMPLES, max_chars: int = REPORT_EXAMPLE_CHARS
    ) -> tuple[TextExample, ...]:
        """The first ``count`` records with text units, per text column, for the report.

        Attributions are those of the first output label; a text longer than
        ``max_chars`` is cut there (and its units after the cut left out).
        """
        out = []
        for name in self.top_text:
            shown = 0
            for i, text in enumerate(self.texts[name]):
                if shown == count:
                    break
                if not text.units:
                    continue
                full = str(text.value)
                phi = self.local_units[name][i][:, 0]
                spans = tuple(
                    (u.start, u.end, float(phi[j]))
                    for j, u in enumerate(text.units)
                    if u.end <= max_chars
                )
                out.append(
                    TextExample(
                        feature=name,
                        label=self.labels[0],
                        record=i,
                        text=full[:max_chars],
                        spans=spans,
                        truncated=len(full) > max_chars,
                    )
                )
                shown += 1
        return tuple(out)

    def baseline_csv(self) -> str:
        """``baseline.csv``: the baseline rows as CSV without a header."""
        return str(self.baseline.to_csv(index=False, header=False, lineterminator="\n"))


def _token_values(
    text: MaskableText, phi: NDArray[np.float64], segmenter: Segmenter
) -> list[tuple[str, NDArray[np.float64]]]:
    if not text.units:
        return []
    if segmenter.granularity == "token":
        return [(unit.text, phi[j]) for j, unit in enumerate(text.units)]
    starts = np.array([u.start for u in text.units])
    out = []
    for token in segmenter.tokens(str(text.value)):
        j = int(np.searchsorted(starts, token.start, side="right")) - 1
        if j >= 0 and token.start < text.units[j].end:
            out.append((token.text, phi[j]))
    return out
