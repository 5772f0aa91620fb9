"""The SHAP baseline computed by clustering when none is given (contract §6.2).

Clarify documents only "K-means for all-numeric data, K-prototypes when
categorical columns exist" and "an optimal number between 1 and 12" (§6.2,
§11); the selection rule is ours and is spelled out here so that it can be
reproduced.

Rules
-----
Column kinds
    A column is *numeric* when its dtype is numeric (int, unsigned, float,
    bool, and their nullable pandas variants) and *categorical* otherwise
    (object, string, category, datetime, ...).  We deliberately do not guess
    that an integer column with few distinct values is categorical: the user
    can declare such a column as a string if they want modes instead of means.
Encoding
    Numeric columns are imputed with the column mean (missing values must not
    pull a centre anywhere, and the mean is the value that leaves the column's
    own centre unchanged) and standardised to z-scores so that a feature in
    dollars does not dominate one in years.  Each categorical column is one-hot
    encoded (missing is a level of its own for the distance) and the block is
    scaled so that its total variance is 1 — the variance of one standardised
    numeric column — so every categorical column weighs like one numeric column
    whatever its number of levels.  This is a K-prototypes-style mixed distance
    solved with ordinary K-means.
Baseline rows
    One row per cluster.  Numeric values are the K-means centres mapped back to
    the original scale; integer (and bool) columns are rounded to the nearest
    value and cast back to their dtype so that the baseline is a valid model
    input, float columns keep the exact centre.  Categorical values are the
    *mode* of the column within the cluster (ties go to the value whose
    ``str`` sorts first; missing values are ignored unless the cluster has
    nothing else), so a categorical column never gets a mean (SageMaker Python
    SDK issue #5131).
Number of clusters when ``num_clusters`` is absent
    For ``k`` in ``2 .. min(MAX_AUTO_CLUSTERS, distinct rows)`` K-means is fitted
    on a deterministic sample of at most ``SILHOUETTE_SAMPLE_ROWS`` rows and
    scored by the silhouette on that sample; the best ``k`` wins (ties go to
    the smaller ``k``).  When even the best silhouette is below
    ``MIN_SILHOUETTE`` the data has no cluster structure worth describing and
    ``k = 1`` (the column-wise centre / mode) is used.
Large data
    Clustering runs on a deterministic sample of ``max_rows`` rows drawn
    without replacement with the given seed; centres of 100,000 rows are
    indistinguishable from those of the full data for a baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from openclarify.errors import AnalysisError, ConfigError

__all__ = [
    "MAX_AUTO_CLUSTERS",
    "MIN_SILHOUETTE",
    "NUM_CLUSTERS_PATH",
    "SILHOUETTE_SAMPLE_ROWS",
    "compute_baseline",
]

MAX_AUTO_CLUSTERS = 12
"""Largest number of clusters tried when ``num_clusters`` is absent (Clarify: 1–12)."""

SILHOUETTE_SAMPLE_ROWS = 5_000
"""Rows used to choose ``k``: the silhouette is O(n²), 5,000 rows keep it sub-second."""

MIN_SILHOUETTE = 0.1
"""Below this best silhouette the data is treated as one cluster (``k = 1``)."""

NUM_CLUSTERS_PATH = "$.methods.shap.num_clusters"
"""JSON path reported in configuration errors about ``num_clusters``."""

_N_INIT = 10  # K-means restarts: enough for stable centres on ≤ 12 clusters


@dataclass(frozen=True)
class _Encoded:
    """The clustering matrix and what is needed to map centres back."""

    matrix: NDArray[np.float64]  # rows × encoded features
    numeric: list[str]  # numeric column names, in matrix order
    categorical: list[str]  # categorical column names
    mean: NDArray[np.float64]  # per numeric column, NaN for an all-missing column
    scale: NDArray[np.float64]  # per numeric column, 1.0 for a constant column


def compute_baseline(
    features: pd.DataFrame,
    *,
    num_clusters: int | None,
    seed: int | None,
    max_rows: int = 100_000,
) -> pd.DataFrame:
    """Compute a SHAP baseline by clustering the features (contract §6.2).

    Parameters
    ----------
    features:
        The feature columns only (no label, join or excluded columns).
    num_clusters:
        Number of baseline rows wanted, or ``None`` to choose ``1 .. 12`` by the
        silhouette rule described in the module docstring.
    seed:
        Seed for the row sample and K-means; ``None`` means ``0`` so that the
        result is always reproducible.
    max_rows:
        Largest number of rows clustered; larger data is sampled down.

    Returns
    -------
    pandas.DataFrame
        One row per cluster, the columns of ``features`` in order with their
        dtypes; index ``0 .. k-1``.

    Raises
    ------
    ConfigError
        ``num_clusters`` is below 1 or above the number of distinct (encoded)
        rows of the clustered data.
    AnalysisError
        ``features`` has no rows or no columns.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    if num_clusters is not None and num_clusters < 1:
        raise ConfigError(
            NUM_CLUSTERS_PATH,
            f"num_clusters must be at least 1, got {num_clusters}",
            "Use a positive number of clusters, or omit it to let openclarify choose.",
        )
    if features.shape[0] == 0 or features.shape[1] == 0:
        raise AnalysisError(
            "dataset",
            f"cannot compute a SHAP baseline from {features.shape[0]} rows and "
            f"{features.shape[1]} feature columns",
            "Provide a non-empty dataset or give methods.shap.baseline explicitly.",
        )
    random_state = 0 if seed is None else seed
    rng = np.random.default_rng(random_state)
    data = _sample(features, max_rows, rng).reset_index(drop=True)
    encoded = _encode(data)
    n_distinct = int(np.unique(encoded.matrix, axis=0).shape[0])

    if num_clusters is None:
        k = _choose_k(encoded.matrix, n_distinct, rng, random_state)
    elif num_clusters > n_distinct:
        raise ConfigError(
            NUM_CLUSTERS_PATH,
            f"num_clusters is {num_clusters} but the data has only {n_distinct} distinct "
            "rows to cluster",
            f"Use at most {n_distinct} clusters, or omit num_clusters to let openclarify choose.",
        )
    else:
        k = num_clusters

    if k == 1:
        # One cluster is the column-wise centre; K-means would only find it slower.
        labels = np.zeros(encoded.matrix.shape[0], dtype=np.intp)
        centres = encoded.matrix.mean(axis=0, keepdims=True)
    else:
        model = KMeans(n_clusters=k, n_init=_N_INIT, random_state=random_state)
        labels = model.fit_predict(encoded.matrix)
        centres = np.asarray(model.cluster_centers_, dtype=np.float64)
    return _baseline_frame(features, data, encoded, labels, centres)


def _sample(features: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Return at most ``max_rows`` rows, a seeded sample kept in original order."""
    n = features.shape[0]
    if n <= max_rows:
        return features
    # Sorting keeps the sample in file order, which makes debugging by row easier
    # and does not change K-means (it is order-independent up to ties).
    rows = np.sort(rng.choice(n, size=max_rows, replace=False))
    return features.iloc[rows]


def _is_numeric(series: pd.Series) -> bool:
    """Numeric dtypes (bool included) are clustered by value; the rest by category."""
    return bool(pd.api.types.is_numeric_dtype(series.dtype)) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )


def _encode(data: pd.DataFrame) -> _Encoded:
    """Build the clustering matrix described in the module docstring."""
    numeric = [c for c in data.columns if _is_numeric(data[c])]
    categorical = [c for c in data.columns if c not in numeric]
    blocks: list[NDArray[np.float64]] = []

    means = np.zeros(len(numeric))
    scales = np.ones(len(numeric))
    for j, name in enumerate(numeric):
        values = data[name].to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(values)
        # An all-missing column has no mean; it is constant (0) for the distance
        # and its baseline value stays missing (mean NaN).
        mean = float(values[present].mean()) if present.any() else np.nan
        filled = np.where(present, values, 0.0 if np.isnan(mean) else mean)
        std = float(filled.std())
        scale = std if std > 0 else 1.0  # a constant column: z-score 0, not 0/0
        means[j], scales[j] = mean, scale
        blocks.append(((filled - (0.0 if np.isnan(mean) else mean)) / scale)[:, None])

    for name in categorical:
        codes, _ = pd.factorize(data[name], use_na_sentinel=False)
        one_hot = np.zeros((codes.shape[0], int(codes.max()) + 1))
        one_hot[np.arange(codes.shape[0]), codes] = 1.0
        # Total variance of a one-hot block is 1 - Σ p²; dividing by its square root
        # makes it 1, like a z-scored column.  A constant column carries no distance.
        p = one_hot.mean(axis=0)
        variance = 1.0 - float(np.sum(p * p))
        weight = 1.0 / np.sqrt(variance) if variance > 1e-12 else 0.0
        blocks.append(one_hot * weight)

    return _Encoded(np.hstack(blocks), numeric, categorical, means, scales)


def _choose_k(
    matrix: NDArray[np.float64],
    n_distinct: int,
    rng: np.random.Generator,
    random_state: int,
) -> int:
    """Pick ``k`` by the silhouette rule (module docstring)."""
    n = matrix.shape[0]
    if n > SILHOUETTE_SAMPLE_ROWS:
        sample = matrix[np.sort(rng.choice(n, size=SILHOUETTE_SAMPLE_ROWS, replace=False))]
    else:
        sample = matrix
    # The sample may hold fewer distinct rows than the data; K-means cannot place
    # more clusters than that without duplicating centres.
    k_max = min(MAX_AUTO_CLUSTERS, n_distinct, int(np.unique(sample, axis=0).shape[0]))
    best_k, best_score = 1, -np.inf
    for k in range(2, k_max + 1):
        labels = KMeans(n_clusters=k, n_init=_N_INIT, random_state=random_state).fit_predict(sample)
        n_labels = np.unique(labels).shape[0]
        if not 2 <= n_labels <= sample.shape[0] - 1:
            continue  # the silhouette is undefined (every point its own cluster)
        score = float(silhouette_score(sample, labels))
        if score > best_score:  # strict: ties keep the smaller k
            best_k, best_score = k, score
    return best_k if best_score >= MIN_SILHOUETTE else 1


def _mode(values: pd.Series) -> Any:
    """Most frequent value; ties → first by ``str``; missing only if nothing else."""
    counts = values.value_counts(dropna=True)
    if counts.empty:
        return values.iloc[0] if len(values) else None
    top = counts[counts == counts.max()].index
    return min(top, key=str)


def _baseline_frame(
    features: pd.DataFrame,
    data: pd.DataFrame,
    encoded: _Encoded,
    labels: NDArray[np.intp],
    centres: NDArray[np.float64],
) -> pd.DataFrame:
    """Map cluster centres and within-cluster modes back to typed baseline rows."""
    k = centres.shape[0]
    columns: dict[Any, pd.Series] = {}
    for j, name in enumerate(encoded.numeric):
        values = centres[:, j] * encoded.scale[j] + np.nan_to_num(encoded.mean[j])
        if np.isnan(encoded.mean[j]):
            values = np.full(k, np.nan)
        dtype = features[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            # A bool centre is the share of True; the nearest valid input is ≥ 0.5.
            columns[name] = pd.Series(values >= 0.5, dtype=dtype)
        elif pd.api.types.is_integer_dtype(dtype):
            # Round so the baseline is a value the model can be fed; clip to the
            # dtype's range guards unsigned/narrow types against rounding past it.
            info = np.iinfo(dtype.numpy_dtype if hasattr(dtype, "numpy_dtype") else dtype)
            rounded = np.clip(np.rint(values), info.min, info.max)
            if np.isnan(rounded).any():  # all-missing column: needs a nullable dtype
                columns[name] = pd.Series(rounded).astype("Int64")
            else:
                columns[name] = pd.Series(rounded).astype(dtype)
        else:
            columns[name] = pd.Series(values).astype(dtype)

    for name in encoded.categorical:
        column = data[name]
        modes = []
        for cluster in range(k):
            members = column[labels == cluster]
            if members.empty:
                # K-means relocates empty clusters, but if one survives, use the
                # row nearest to its centre rather than invent a value.
                nearest = int(np.argmin(((encoded.matrix - centres[cluster]) ** 2).sum(axis=1)))
                members = column.iloc[[nearest]]
            modes.append(_mode(members))
        columns[name] = pd.Series(modes, dtype=features[name].dtype)

    return pd.DataFrame({name: columns[name] for name in features.columns})
