"""Column names of the captured records: which header is the label, which are features (§3.1).

The monitoring config names every column in ``headers``, but the captured request
holds the features only and the label comes from the ground truth.  The rule
(monitor contract §3.1, consistent with both published layouts — the label last
in the JSON notebooks, first in the CSV one):

* the label column is the header ``label`` names (a name, or a 0-based index into
  ``headers``); when ``label`` is a JMESPath that is no header (``instances[*].label``)
  and ``headers`` has one name more than a record has features, it is the last
  header (the JSON Lines convention: "the last header becomes the header of the
  label column"); when ``headers`` names the features only, the label column is
  named by ``label`` itself, as the JSON readers name it;
* the feature columns are ``headers`` minus the label, in order, matched by
  position to the captured features; without ``headers`` they are ``column_0`` …;
* the predicted label is a column of its own, ``predicted_label`` (suffixed with
  ``_`` until no header has that name).

A count that does not fit is a :class:`~openclarify.errors.DatasetError` naming
``$.headers`` with both counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ConfigError, DatasetError

__all__ = ["CaptureColumns", "capture_columns", "column_name"]

PREDICTED_LABEL = "predicted_label"


@dataclass(frozen=True)
class CaptureColumns:
    """Names of the columns built from captured records.

    Attributes
    ----------
    features:
        Feature names, in captured order.
    label, predicted:
        Label / predicted-label column names (``None`` when not built).
    order:
        Every column in file order: ``headers`` order (the label in its place),
        then the predicted label.
    """

    features: list[str]
    label: str | None
    predicted: str | None
    order: list[str]


def column_name(headers: Sequence[str] | None, item: str | int, where: str) -> str:
    """``item`` (a name, or a 0-based index into ``headers``) as a column name."""
    if isinstance(item, bool) or not isinstance(item, int):
        return str(item)
    names = list(headers) if headers is not None else None
    if names is None:
        return f"column_{item}"
    if not 0 <= item < len(names):
        raise ConfigError(
            where,
            f"index {item} is out of range: $.headers names {len(names)} columns",
            "use a 0-based index into $.headers, or the column name",
        )
    return str(names[item])


def _label_name(headers: list[str] | None, label: str | int | None, n_features: int) -> str:
    if label is None:
        raise ConfigError(
            "$.label",
            "bias monitoring needs the label (the ground truth's column)",
            "set $.label to the label's header (CSV) or its JMESPath in the ground truth (JSON)",
        )
    if isinstance(label, int) and not isinstance(label, bool):
        return column_name(headers, label, "$.label")
    if headers is not None and label in headers:
        return str(label)
    if headers is not None and len(headers) == n_features + 1:
        return headers[-1]
    return str(label)


def capture_columns(
    headers: Sequence[str] | None,
    label: str | int | None,
    n_features: int,
    *,
    with_label: bool,
    with_predicted: bool,
) -> CaptureColumns:
    """The column names for records of ``n_features`` features (module docstring)."""
    names = [str(h) for h in headers] if headers is not None else None
    label_name = _label_name(names, label, n_features) if with_label else None
    if names is None:
        features = [f"column_{i}" for i in range(n_features)]
        order = [*features, *([label_name] if label_name is not None else [])]
    else:
        features = [h for h in names if h != label_name]
        order = list(names) if label_name in names else [*names]
        if label_name is not None and label_name not in names:
            order.append(label_name)
    if len(features) != n_features:
        besides = (
            " besides the label" if label_name is not None and label_name in (names or []) else ""
        )
        raise DatasetError(
            "$.headers",
            f"names {len(features)} feature columns{besides} but the captured records have "
            f"{n_features} features",
            "list one name per captured feature, and the label's name",
        )
    if len(set(order)) != len(order):
        raise DatasetError("$.headers", "names a column twice", "give every column a unique name")
    predicted = None
    if with_predicted:
        predicted = PREDICTED_LABEL
        while predicted in order:
            predicted += "_"
        order.append(predicted)
    return CaptureColumns(features, label_name, predicted, order)
