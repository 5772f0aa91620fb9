"""Partial dependence for one feature (contract §2.8 ``pdp``, §4.4, §6.10).

The single entry point, :func:`partial_dependence`, returns exactly one element of the
``explanations.pdp`` list of ``analysis.json``. It is a pure function: the model is a
batch callable, nothing is cached between calls, and the output holds only plain
Python ``float``/``int``/``str``/``bool`` values so that it serialises with ``json``.

Decisions (contract §11 leaves them open)
-----------------------------------------
* **Type detection** is by pandas dtype: ``bool`` and ``category`` columns are
  categorical; other integer/float columns (nullable ``Int64``/``Float64`` included) are
  numerical; ``object``/``string`` columns are categorical unless they look like free
  text (:func:`is_free_text`); every other dtype (datetimes, timedeltas, complex, …) is
  unsupported and yields the ``free_text`` error object, which is the only
  "unsupported" shape Clarify documents.
* **Missing values** (``NaN``/``None``/``pd.NA``, and ``±inf`` for numeric columns) are
  not a bucket or category: they are left out of the range, of the distinct values and
  of the denominator of ``data_distribution`` (so the shares sum to 1 over the rows that
  have a value). The *predictions* still average over **all** rows, because the feature
  is overwritten with the grid value in every row, so a missing original value does not
  matter there.
* A column with no usable value (or an empty frame) gives empty ``feature_values`` and
  ``data_distribution`` and one empty list per label; the model is not called.
* **Last bucket closed on the right**: rows equal to the maximum fall into the last
  bucket. One Clarify run dropped them (a missing last bucket and shares summing to
  0.999, §6.10); we treat that as an upstream quirk and do not reproduce it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MAX_ROWS_PER_CALL",
    "FREE_TEXT_ERROR",
    "FREE_TEXT_MIN_DISTINCT_SHARE",
    "FREE_TEXT_MIN_MEDIAN_TOKENS",
    "PdpPredictFn",
    "detect_data_type",
    "is_free_text",
    "partial_dependence",
    "pdp_grid",
]

#: ``predict(frame[rows, columns]) -> scores[rows, K]`` (a 1-D result is read as K = 1).
PdpPredictFn = Callable[[pd.DataFrame], Any]

#: Largest number of synthetic rows sent to ``predict`` in one call.
DEFAULT_MAX_ROWS_PER_CALL = 1_000_000

#: The message Clarify writes for a column that is neither numerical nor categorical (§4.4).
FREE_TEXT_ERROR = (
    "Detected data type is not supported for PDP. "
    "PDP can only be computed for numerical or categorical columns"
)

#: An object/string column is free text when the median value has at least this many
#: whitespace-separated tokens …
FREE_TEXT_MIN_MEDIAN_TOKENS = 3
#: … and more than this share of its non-missing values are distinct.
FREE_TEXT_MIN_DISTINCT_SHARE = 0.5


def is_free_text(column: pd.Series) -> bool:
    """Whether an object/string column holds free text rather than categories.

    Rule: over the non-missing values ``v_1..v_m`` (``m ≥ 1``),

    ``median_i |split(str(v_i))| ≥ 3``  and  ``|{v_i}| / m > 0.5``.

    Both conditions are needed: short repeated labels ("New York") are categories even
    if they contain spaces, and many distinct single tokens (IDs, codes) are high
    cardinality categories, not text. An all-missing column is not free text.

    Parameters
    ----------
    column : pandas.Series
        Any column; only its non-missing values are looked at.

    Returns
    -------
    bool
    """
    values = column.dropna()
    if len(values) == 0:
        return False
    tokens = np.fromiter((len(str(v).split()) for v in values), dtype=np.int64, count=len(values))
    distinct_share = values.astype(str).nunique() / len(values)
    return bool(
        np.median(tokens) >= FREE_TEXT_MIN_MEDIAN_TOKENS
        and distinct_share > FREE_TEXT_MIN_DISTINCT_SHARE
    )


def detect_data_type(column: pd.Series) -> str:
    """Classify a column as ``"numerical"``, ``"categorical"`` or ``"free_text"``.

    See the module docstring for the rule; ``"free_text"`` stands for every unsupported
    type, as in Clarify's output.

    Parameters
    ----------
    column : pandas.Series

    Returns
    -------
    str
    """
    dtype = column.dtype
    # bool is numeric to pandas, but a 2-point "range" split into buckets is meaningless.
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return "numerical"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "free_text" if is_free_text(column) else "categorical"
    return "free_text"


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar ``json`` can write; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _numeric_grid(column: pd.Series, grid_resolution: int) -> tuple[list[float], list[float]]:
    """Bucket mid-points and row shares for a numerical column (missing/inf excluded)."""
    x = column.to_numpy(dtype=np.float64, na_value=np.nan)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return [], []
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        # A constant column has no width to split; one bucket holding every row.
        return [lo], [1.0]
    # np.histogram uses equal-width bins over [lo, hi] with the last bin closed on the
    # right, so rows at the maximum are counted (unlike the upstream quirk in §6.10).
    counts, edges = np.histogram(x, bins=grid_resolution, range=(lo, hi))
    mids = (edges[:-1] + edges[1:]) / 2.0
    shares = counts / x.size
    return [float(v) for v in mids], [float(s) for s in shares]


def _categorical_grid(column: pd.Series) -> tuple[list[Any], list[float]]:
    """Distinct values by descending frequency (ties: first appearance) and their shares."""
    values = column.dropna()
    if len(values) == 0:
        return [], []
    # pd.unique keeps first-appearance order; a stable sort on -count keeps it for ties
    # (value_counts' own tie order is not guaranteed across pandas versions).
    uniques = list(pd.unique(values.to_numpy(dtype=object)))
    vc = values.value_counts(sort=False, dropna=True)
    # A dict lookup avoids Series.__getitem__'s label/position ambiguity on int labels.
    counts = {key: int(c) for key, c in zip(vc.index, vc.to_numpy(), strict=True)}
    order = sorted(range(len(uniques)), key=lambda i: -counts[uniques[i]])
    total = len(values)
    grid = [_plain(uniques[i]) for i in order]
    shares = [counts[uniques[i]] / total for i in order]
    return grid, shares


def pdp_grid(column: pd.Series, grid_resolution: int) -> tuple[str, list[Any], list[float]]:
    """``(data_type, grid values, data_distribution)`` of one column, as :func:`partial_dependence` uses.

    The rules are those of :func:`partial_dependence`; a ``"free_text"`` column has an
    empty grid.  Computing the grids first tells how many model rows a PDP needs
    (``len(grid) × rows`` per feature) before any is scored.
    """
    data_type = detect_data_type(column)
    if data_type == "free_text":
        return data_type, [], []
    if data_type == "numerical":
        return (data_type, *_numeric_grid(column, int(grid_resolution)))
    return (data_type, *_categorical_grid(column))


def _replacement(column: pd.Series, grid: Sequence[Any], data_type: str) -> pd.Series:
    """The grid as a Series whose dtype the model can take in place of ``column``."""
    if data_type == "numerical":
        # Mid-points are fractional even for integer columns; never truncate them.
        return pd.Series(np.asarray(grid, dtype=np.float64))
    values = pd.Series(list(grid), dtype=object)
    if isinstance(column.dtype, pd.CategoricalDtype):
        return values.astype(column.dtype)
    try:
        # Keep bool/string dtypes as the model saw them in the data.
        return values.astype(column.dtype)
    except (TypeError, ValueError):  # pragma: no cover - object dtype never fails
        return values


def _as_scores(out: Any, rows: int) -> NDArray[np.float64]:
    scores = np.asarray(out, dtype=np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or scores.shape[0] != rows:
        raise ValueError(
            f"predict must return one row of scores per input row: sent {rows} rows, "
            f"got shape {scores.shape}"
        )
    return scores


def partial_dependence(
    predict: PdpPredictFn,
    features: pd.DataFrame,
    feature: Hashable,
    *,
    grid_resolution: int,
    label_headers: Sequence[str],
    max_rows_per_call: int = DEFAULT_MAX_ROWS_PER_CALL,
    grid: tuple[str, list[Any], list[float]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Partial dependence of every model output on one feature (one §4.4 object).

    For grid values ``v_1..v_G`` of feature ``s`` and the ``n`` rows ``x_i`` of
    ``features``, output ``k``'s partial dependence is

    ``PD_k(v_j) = (1/n) Σ_i f_k(x_i with x_is := v_j)``.

    The grid is:

    * numerical: ``[min, max]`` cut into ``grid_resolution`` equal-width buckets of width
      ``w = (max − min)/G``; ``v_j = min + (j + ½)·w`` (the mid-points) and
      ``data_distribution[j] = #{i: x_is in bucket j} / #{i: x_is present}``, with the
      last bucket closed on the right so the shares sum to 1. A constant column gives
      one bucket, ``[min]``, share ``1``.
    * categorical: the distinct present values in descending frequency (ties: order of
      first appearance), with their shares.

    All ``G·n`` synthetic rows are evaluated in ``ceil(G·n / max_rows_per_call)`` calls
    of ``predict``, each on a frame of at most ``max_rows_per_call`` rows (the copies of
    the data, one per grid value, stacked; a copy is split across calls when
    ``n > max_rows_per_call``).

    Parameters
    ----------
    predict : callable
        ``predict(frame) -> scores[rows, K]`` (1-D is read as ``K = 1``). ``frame`` has
        the columns and dtypes of ``features`` and a fresh ``RangeIndex``; the
        replaced column is ``float64`` for a numerical feature (mid-points are
        fractional) and keeps its dtype for a categorical one.
    features : pandas.DataFrame
        The records (features only, no label column).
    feature : hashable
        Column of ``features`` to vary; written back as ``feature_name``.
    grid_resolution : int
        Number of buckets for a numerical feature (``≥ 1``); ignored for categoricals.
    label_headers : sequence of str
        One name per model output; ``len(label_headers)`` must equal ``K``.
    max_rows_per_call : int, default 1,000,000
        Row budget for one ``predict`` call (``≥ 1``).
    grid : tuple, optional
        ``pdp_grid(features[feature], grid_resolution)`` when the caller computed it
        already (it is not computed twice).
    progress : callable, optional
        ``progress(rows_done)`` after every ``predict`` call: synthetic rows scored
        so far, up to ``len(grid) × len(features)``.

    Returns
    -------
    dict
        ``{"feature_name", "data_type", "feature_values", "data_distribution",
        "model_predictions", "label_headers"}`` with ``model_predictions[k][j] =
        PD_k(v_j)``; or, for an unsupported column, ``{"feature_name", "data_type":
        "free_text", "error": FREE_TEXT_ERROR}``. Missing values: see the module
        docstring.

    Raises
    ------
    KeyError
        ``feature`` is not a column of ``features``.
    ValueError
        Bad ``grid_resolution``/``max_rows_per_call``, a ``predict`` result of the wrong
        shape, or ``K != len(label_headers)``.
    """
    if isinstance(grid_resolution, bool) or not isinstance(grid_resolution, int | np.integer):
        raise ValueError(f"grid_resolution must be an integer, got {grid_resolution!r}")
    if grid_resolution < 1:
        raise ValueError(f"grid_resolution must be >= 1, got {grid_resolution}")
    if max_rows_per_call < 1:
        raise ValueError(f"max_rows_per_call must be >= 1, got {max_rows_per_call}")
    if feature not in features.columns:
        raise KeyError(f"PDP feature {feature!r} is not a column of the dataset")

    column = features[feature]
    data_type, values, shares = grid if grid is not None else pdp_grid(column, grid_resolution)
    if data_type == "free_text":
        return {"feature_name": feature, "data_type": "free_text", "error": FREE_TEXT_ERROR}

    headers = [str(h) for h in label_headers]
    n, g_count = len(features), len(values)
    if n == 0 or g_count == 0:
        # Nothing to vary or average over: an empty curve per label, no model call.
        return {
            "feature_name": feature,
            "data_type": data_type,
            "feature_values": values,
            "data_distribution": shares,
            "model_predictions": [[] for _ in headers],
            "label_headers": headers,
        }

    base = features.reset_index(drop=True)
    replacement = _replacement(column, values, data_type)
    col_pos = features.columns.get_loc(feature)
    sums: NDArray[np.float64] | None = None
    total = g_count * n
    for start in range(0, total, max_rows_per_call):
        # Flat synthetic row index t ↦ (grid value t // n, record t % n): stacking whole
        # copies when the budget allows, splitting a copy when n exceeds it.
        t = np.arange(start, min(start + max_rows_per_call, total))
        g_idx = t // n
        frame = base.take(t - g_idx * n).reset_index(drop=True)
        new_col = replacement.take(g_idx).reset_index(drop=True)
        if isinstance(col_pos, int):
            frame.isetitem(col_pos, new_col.array)
        else:  # duplicated column name: replace every copy
            frame[feature] = new_col
        scores = _as_scores(predict(frame), len(t))
        if sums is None:
            if scores.shape[1] != len(headers):
                raise ValueError(
                    f"predict returned {scores.shape[1]} outputs but {len(headers)} "
                    f"label_headers were given"
                )
            sums = np.zeros((g_count, scores.shape[1]))
        elif scores.shape[1] != sums.shape[1]:
            raise ValueError(
                f"predict returned {scores.shape[1]} outputs, earlier calls {sums.shape[1]}"
            )
        # Grid indices within a chunk are sorted, so bincount sums each copy's rows.
        for k in range(sums.shape[1]):
            sums[:, k] += np.bincount(g_idx, weights=scores[:, k], minlength=g_count)
        if progress is not None:
            progress(int(t[-1]) + 1)
    assert sums is not None  # total > 0, so the loop ran
    means = sums / n
    return {
        "feature_name": feature,
        "data_type": data_type,
        "feature_values": values,
        "data_distribution": shares,
        "model_predictions": [[float(v) for v in means[:, k]] for k in range(means.shape[1])],
        "label_headers": headers,
    }
