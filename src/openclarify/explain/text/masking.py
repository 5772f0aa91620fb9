"""A text with some of its units absent: the record rebuilt span by span.

How Clarify re-joins the units of a masked text is not observed (modalities
contract §1.2).  The rule here:

* the text is cut into ``gap₀ unit₀ gap₁ unit₁ … unitₙ₋₁ gapₙ``: the units
  (:class:`~openclarify.explain.text.units.Unit`) and the characters between
  them exactly as in the original (whitespace, line breaks);
* a present unit keeps its characters, an absent one is replaced by the
  column's *replacement* (its baseline value, :data:`DEFAULT_TEXT_BASELINE`
  when the config gives no baseline); the gaps are kept, so with every unit
  present the rebuilt text *is* the original, character for character;
* with **no** unit present the text is the replacement itself, exactly the
  baseline row's value: the empty coalition is then the baseline row, so the
  attributions of a record add up to ``f(x) − expected_value`` with the
  ``expected_value`` written in ``analysis.json`` (the model's output on the
  baseline rows), as for tabular features;
* a text without units (empty, whitespace only, missing) has nothing to mask:
  it is always sent as it is, and has no attributions.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .units import Unit

__all__ = ["DEFAULT_TEXT_BASELINE", "MaskableText"]

#: Replacement of an absent unit when ``methods.shap.baseline`` is not given.  The two
#: sources disagree (the developer guide: "The baseline defaults to empty strings,
#: meaning SageMaker Clarify drops parts of the input text"; a notebook: "<PAD>"); the
#: developer guide is the reference, so absent units are dropped.
DEFAULT_TEXT_BASELINE = ""


@dataclass(frozen=True)
class MaskableText:
    """One text value, cut into its units and the gaps between them.

    Attributes
    ----------
    value:
        The value as read (a ``str``, or a missing value).
    units:
        The units, in text order.
    gaps:
        ``len(units) + 1`` strings: before the first unit, between units, after the last.
    """

    value: Any
    units: tuple[Unit, ...]
    gaps: tuple[str, ...]

    @staticmethod
    def cut(value: Any, units: list[Unit]) -> MaskableText:
        if not units:
            return MaskableText(value, (), ())
        text = str(value)
        gaps = [text[: units[0].start]]
        for before, after in itertools.pairwise(units):
            gaps.append(text[before.end : after.start])
        gaps.append(text[units[-1].end :])
        return MaskableText(value, tuple(units), tuple(gaps))

    @property
    def n_units(self) -> int:
        return len(self.units)

    def rebuilt_length(self, replacement: str) -> int:
        """An upper bound on the length of any rebuilt text (for batching by size)."""
        if not self.units:
            return len(str(self.value)) if isinstance(self.value, str) else 0
        return sum(map(len, self.gaps)) + sum(
            max(len(u.text), len(replacement)) for u in self.units
        )

    def rebuild(self, present: NDArray[np.bool_], replacement: str) -> list[Any]:
        """The texts for rows of ``present`` (``rows × n_units``: which units are present)."""
        rows = present.shape[0]
        if not self.units:
            return [self.value] * rows
        n = len(self.units)
        pieces = np.empty((rows, 2 * n + 1), dtype=object)
        pieces[:, 0::2] = np.asarray(self.gaps, dtype=object)[None, :]
        texts = np.asarray([u.text for u in self.units], dtype=object)
        pieces[:, 1::2] = np.where(present, texts[None, :], replacement)
        out: list[Any] = ["".join(row) for row in pieces.tolist()]
        for r in np.flatnonzero(~present.any(axis=1)):
            out[r] = replacement
        return out
