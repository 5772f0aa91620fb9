"""A review model for the text tests, importable so that joblib pickles it by reference.

Two outputs of a bag of words that *interacts* with the other features, so a
sampled Kernel SHAP estimate depends on every coalition drawn (an additive
game is fitted exactly by any coalitions, and would hide a wrong row offset).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

WORD = re.compile(r"[^\W\d_]+")
WEIGHTS = {
    "love": 0.6, "great": 0.4, "soft": 0.2, "fits": 0.3, "cheap": -0.5,
    "itchy": -0.4, "returned": -0.7, "not": -0.3, "small": -0.2, "perfect": 0.5,
}  # fmt: skip
CITY_EFFECT = {"north": 0.2, "south": -0.1, "east": 0.05}
VOCABULARY = [*WEIGHTS, "the", "dress", "is", "and", "very", "color", "it", "a"]


def _score(text: object) -> float:
    words = {w.lower() for w in WORD.findall(text)} if isinstance(text, str) else set()
    # in sorted order: a set's order changes with each process's string hashing, and
    # so would the rounding of the sum (Spark tasks run in other processes)
    return sum(WEIGHTS.get(w, 0.0) for w in sorted(words))


def review_model(rows: pd.DataFrame) -> np.ndarray:
    """``[tanh(s)·(1 + (age − 40)/50) + city, 0.1·s² − 0.01·age]`` for ``s`` the word score."""
    s = rows["review"].map(_score).to_numpy(dtype=np.float64)
    age = rows["age"].to_numpy(dtype=np.float64)
    city = rows["city"].map(CITY_EFFECT).to_numpy(dtype=np.float64)
    return np.stack([np.tanh(s) * (1.0 + (age - 40.0) / 50.0) + city, 0.1 * s**2 - 0.01 * age], 1)


def batch_sized_review_model(rows: pd.DataFrame) -> np.ndarray:
    """:func:`review_model` plus ``1e-9 × rows in the call``: a model that answers a row
    differently in a batch of another size (as a BLAS product can, in its last bits),
    exaggerated so that any call made of other rows than the local backend's shows."""
    return review_model(rows) + 1e-9 * len(rows)


def reviews(n: int = 24, seed: int = 0) -> pd.DataFrame:
    """``id``, ``review`` (1–3 paragraphs of 1–3 sentences; one empty), ``age``, ``city``, ``label``."""
    rng = np.random.default_rng(seed)

    def sentence() -> str:
        words = list(rng.choice(VOCABULARY, int(rng.integers(3, 7))))
        return " ".join(words).capitalize() + str(rng.choice([".", "!", "?"]))

    def paragraph() -> str:
        return " ".join(sentence() for _ in range(int(rng.integers(1, 4))))

    texts = ["\n\n".join(paragraph() for _ in range(int(rng.integers(1, 4)))) for _ in range(n)]
    texts[5] = ""  # read back as a missing value: a record without units
    data = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "review": texts,
            "age": rng.integers(18, 80, n),
            "city": rng.choice(list(CITY_EFFECT), n),
        }
    )
    data["label"] = (review_model(data.fillna({"review": ""}))[:, 0] > 0).astype(int)
    return data
