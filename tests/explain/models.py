"""Models for the explanation tests, importable so that joblib can pickle them by reference."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Weights of :func:`additive_model` per numeric feature, and its per-city effects.
WEIGHTS = {"age": 0.03, "income": -0.02, "score": 1.5}
CITY_EFFECT = {"north": 0.4, "south": -0.25, "east": 0.1}


def additive_model(rows: pd.DataFrame) -> np.ndarray:
    """``f(x) = Σ_j w_j x_j + c[city]``: its exact Shapley values are known in closed form."""
    total = sum(w * rows[name].to_numpy(dtype=np.float64) for name, w in WEIGHTS.items())
    return np.asarray(total + rows["city"].map(CITY_EFFECT).to_numpy(dtype=np.float64))


def two_output_model(rows: pd.DataFrame) -> np.ndarray:
    """Two additive outputs (``f`` and ``−2f + 1``): one SHAP section per output."""
    f = additive_model(rows)
    return np.stack([f, -2.0 * f + 1.0], axis=1)


def probability_model(rows: pd.DataFrame) -> np.ndarray:
    """A logistic model: a probability in (0, 1) for ``use_logit``."""
    return np.asarray(1.0 / (1.0 + np.exp(-(additive_model(rows) - 1.0))))


def additive_shap(records: pd.DataFrame, baseline: pd.DataFrame) -> np.ndarray:
    """Exact Shapley values of :func:`additive_model`: ``φ_j = f_j(x_j) − mean_b f_j(b_j)``.

    Columns in the order age, income, score, city (the dataset order of :func:`frame`).
    """
    out = []
    for name, w in WEIGHTS.items():
        out.append(w * (records[name].to_numpy(float) - baseline[name].to_numpy(float).mean()))
    city = records["city"].map(CITY_EFFECT).to_numpy(float)
    out.insert(3, city - baseline["city"].map(CITY_EFFECT).to_numpy(float).mean())
    return np.stack(out, axis=1)


def frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Features ``age`` (int), ``income`` (float), ``score`` (float), ``city`` (text), and a label."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50.0, 12.0, n).round(3),
            "score": rng.random(n).round(4),
            "city": rng.choice(list(CITY_EFFECT), n),
        }
    )
    data["label"] = (additive_model(data) > 1.0).astype(int)
    return data


def wide_model(rows: pd.DataFrame) -> np.ndarray:
    """``f(x) = Σ_j (j + 1) x_j / 10`` over every column: a model of many features.

    Summed column by column, so each row's output is the same in any batch (a BLAS
    product could round a row differently by where it falls in the batch).
    """
    total = np.zeros(len(rows))
    for j, name in enumerate(rows.columns):
        total = total + (j + 1) / 10.0 * rows[name].to_numpy(dtype=np.float64)
    return total
