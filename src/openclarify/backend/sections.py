"""The count pass and the sections: merged counts fed to the same metric functions as in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..bias.beyond import CountedGroup
from ..bias.counts import ConfusionCounts, GroupedCounts, RowKeys
from ..bias.engine import evaluate_group, failed_group
from ..bias.registry import MetricSpec
from ..data.selection import NO_POSITIVE_PREDICTION
from ..results import BiasSection, FacetGroupResult
from .decide import Rules, _LabelRule
from .plan import ColumnPlan
from .rules import FacetRule

Counts = tuple[ConfusionCounts, GroupedCounts | None]
Sections = tuple[BiasSection | None, BiasSection | None]
#: ``flips[facet][group]``: computes FT for that facet group.
Flips = Sequence[Sequence[Callable[[], Any]]]


def finish_sections(
    plan: ColumnPlan,
    rules: Rules,
    totals: Totals,
    flips: Flips | None = None,
    collect: list[CountedGroup] | None = None,
) -> Sections:
    """The sections from merged counts, through the same metric functions as in memory.

    ``flips[facet][group]`` computes FT for that group (a backend that gathers
    the feature rows gives them; without, FT is never requested here).
    ``collect``, when given, receives every facet group's merged counts (for the
    statistics beyond Clarify, :mod:`openclarify.bias.beyond`), in output order.
    """
    failure = None
    if rules.prediction is not None:
        failure = rules.prediction.failure or (
            NO_POSITIVE_PREDICTION if totals.positive_predictions == 0 else None
        )
    return _sections(
        plan.pre_specs,
        plan.post_specs,
        plan.columns.label,
        rules.label,
        rules.facets,
        totals,
        failure,
        flips,
        collect,
    )


@dataclass
class Totals:
    """Merged counts: ``groups[facet][group]`` and the number of positive predictions."""

    groups: list[list[Counts | None]]
    positive_predictions: int = 0

    def merge(self, other: Totals) -> Totals:
        """Counts of both parts (addition: any order, any grouping)."""
        groups = [
            [_add_optional(a, b) for a, b in zip(mine, theirs, strict=True)]
            for mine, theirs in zip(self.groups, other.groups, strict=True)
        ]
        return Totals(groups, self.positive_predictions + other.positive_predictions)


def _add_optional(left: Counts | None, right: Counts | None) -> Counts | None:
    return left if right is None else _add(left, right)


def _add(left: Counts | None, right: Counts) -> Counts:
    if left is None:
        return right
    grouped = None
    if left[1] is not None and right[1] is not None:
        # same whole-column keys in every batch: cells add position by position
        grouped = GroupedCounts(left[1].keys, left[1].cells + right[1].cells)
    return left[0].merge(right[0]), grouped


def count_batches(rules: Rules, batches: Iterable[pd.DataFrame]) -> Totals:
    """Counts of every facet group over the batches, merged by addition."""
    columns, label, prediction, group = rules.columns, rules.label, rules.prediction, rules.group
    facets = rules.facets
    totals = Totals([[None] * len(f.groups) for f in facets])
    use_yhat = prediction is not None and prediction.mask is not None
    for batch in batches:
        y = label.mask(batch[columns.label])
        yhat = None
        if use_yhat:
            assert prediction is not None and prediction.mask is not None and columns.predicted
            yhat = prediction.mask(batch[columns.predicted])
            totals.positive_predictions += int(np.count_nonzero(yhat))
        codes = group.codes(batch[columns.group]) if group and columns.group else None
        keys = RowKeys.build(y, yhat, codes, group.keys if group else None)
        for i, facet in enumerate(facets):
            column = batch[facet.name]
            if facet.mask is not None:
                counted = [keys.counts_for(facet.mask(column))]
            else:
                assert facet.codes is not None
                by_code = keys.counts_one_vs_rest(facet.codes(column), facet.n_values)
                empty = keys.counts_for(np.zeros(len(column), dtype=bool))
                counted = [
                    by_code[g.code] if g.code is not None and g.code >= 0 else empty
                    for g in facet.groups
                ]
            totals.groups[i] = [
                _add(total, part) for total, part in zip(totals.groups[i], counted, strict=True)
            ]
    return totals


def _sections(
    pre_specs: Sequence[MetricSpec] | None,
    post_specs: Sequence[MetricSpec] | None,
    label_name: str,
    label: _LabelRule,
    facets: list[FacetRule],
    totals: Totals,
    failure: str | None,
    flips: Flips | None = None,
    collect: list[CountedGroup] | None = None,
) -> Sections:
    pre_facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    post_facets: dict[str, tuple[FacetGroupResult, ...]] = {}
    for i, (facet, counted) in enumerate(zip(facets, totals.groups, strict=True)):
        merged = [c for c in counted if c is not None]
        if len(merged) != len(facet.groups):  # pragma: no cover - n_rows > 0 was checked
            raise AssertionError("every facet group is counted in every batch")
        rendered = [g.rendered for g in facet.groups]
        if collect is not None:
            collect.extend(
                CountedGroup(facet.name, r, *c) for r, c in zip(rendered, merged, strict=True)
            )
        if pre_specs is not None:
            pre_facets[facet.name] = tuple(
                evaluate_group(pre_specs, r, *c) for r, c in zip(rendered, merged, strict=True)
            )
        if post_specs is None:
            continue
        if failure is not None:
            post_facets[facet.name] = tuple(failed_group(post_specs, r, failure) for r in rendered)
            continue
        flip: Sequence[Callable[[], Any] | None] = (
            flips[i] if flips is not None else [None] * len(merged)
        )
        post_facets[facet.name] = tuple(
            evaluate_group(post_specs, r, *c, f)
            for r, c, f in zip(rendered, merged, flip, strict=True)
        )
    pre = BiasSection(label_name, pre_facets, label.rendered) if pre_specs is not None else None
    post = BiasSection(label_name, post_facets, label.rendered) if post_specs is not None else None
    return pre, post
