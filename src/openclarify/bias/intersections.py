"""Intersectional facets: crossings of two or more facet columns as facet groups.

``openclarify.intersections`` lists crossings, each a list of facet objects
with their own values or threshold (as in ``facet``).  Each facet object gives
its groups by Clarify's rules (:func:`~openclarify.data.selection.facet_groups`);
a crossing's groups are the combinations of one group of each, ``d`` being the
rows in all of them and ``a`` the rest.  The crossed group is then counted and
evaluated exactly like a single facet's group, so its metrics equal those of
a column built by concatenating the facets' groups.

Decisions (Clarify has no intersections):

* the crossing is named by its facet columns joined with :data:`JOINER`
  (``"Sex & Age"``), a group by its parts' ``value_or_threshold`` joined the
  same way (``"0 & (40, 90]"``);
* combinations with no row are left out (a one-vs-rest × one-vs-rest crossing
  would otherwise list every empty product), as a concatenated column would
  not have them either;
* FT of a crossed group uses the feature columns minus *every* crossed column.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..data.kinds import Kind
from ..data.selection import Selection
from ..data.table import BiasTable, FacetColumn, _resolve

if TYPE_CHECKING:
    from ..config.dataset import FacetConfig

JOINER = " & "


@dataclass(frozen=True)
class FacetGroups:
    """The groups of one (single or crossed) facet, ready to count."""

    name: str
    selections: list[Selection]
    #: Columns left out of FT's features for this facet.
    excluded: tuple[str, ...]


def crossing_columns(
    table: BiasTable, crossing: Sequence[FacetConfig], path: str
) -> list[FacetColumn]:
    """The resolved facet columns of one crossing (``path`` = its JSON path)."""
    columns = []
    for j, facet in enumerate(crossing):
        where = f"{path}[{j}]"
        name = _resolve(table.frame, facet.name_or_index, f"{where}.name_or_index", "facet")
        values = list(facet.value_or_threshold) if facet.value_or_threshold else None
        columns.append(FacetColumn(name, table.frame[name], values, where))
    return columns


def crossed_groups(parts: Sequence[list[Selection]]) -> list[Selection]:
    """Every non-empty combination of one group per part, in the parts' order."""
    out = []
    for combination in itertools.product(*parts):
        mask = np.logical_and.reduce([s.mask for s in combination])
        if not mask.any():
            continue
        rendered = JOINER.join(s.rendered for s in combination)
        out.append(Selection(np.asarray(mask, dtype=bool), rendered, Kind.CATEGORICAL))
    return out
