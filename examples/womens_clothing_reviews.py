"""Synthetic women's e-commerce clothing reviews, shaped like the public Clarify lab's data.

Three columns, as the lab's transformed data: ``sentiment`` (−1, 0, 1), ``review_body``
(free text with commas and quotes) and ``product_category``.  Unbalanced like the real
data: most reviews are positive and a few categories dominate.  Deterministic for a
seed; standard library and pandas only, so that it runs in any environment.
"""

from __future__ import annotations

import random
from typing import Any

import pandas as pd

#: Share of reviews per category.
CATEGORIES = {
    "Dresses": 0.30,
    "Knits": 0.20,
    "Blouses": 0.15,
    "Sweaters": 0.10,
    "Pants": 0.10,
    "Jeans": 0.08,
    "Fine gauge": 0.05,
    "Trend": 0.02,
}
#: P(sentiment = −1, 0, 1) by category (others: 0.1, 0.15, 0.75).
SENTIMENT = {"Trend": (0.3, 0.3, 0.4), "Knits": (0.15, 0.15, 0.7), "Jeans": (0.05, 0.1, 0.85)}
WORDS = ["love", "fits", "true to size", "runs small", "fabric", "color", "returned", "soft"]


def reviews(rows: int = 2000, seed: int = 11, min_per_cell: int = 3) -> pd.DataFrame:
    """``rows`` reviews; every (category, sentiment) cell has at least ``min_per_cell`` rows."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []

    def review(category: str, sentiment: int) -> dict[str, Any]:
        words = rng.sample(WORDS, 3)
        body = f'{words[0].capitalize()}, {words[1]} and "{words[2]}"'
        return {"sentiment": sentiment, "review_body": body, "product_category": category}

    for category in CATEGORIES:
        for sentiment in (-1, 0, 1):
            records += [review(category, sentiment) for _ in range(min_per_cell)]
    names, weights = list(CATEGORIES), list(CATEGORIES.values())
    while len(records) < rows:
        category = rng.choices(names, weights)[0]
        sentiment = rng.choices((-1, 0, 1), SENTIMENT.get(category, (0.1, 0.15, 0.75)))[0]
        records.append(review(category, sentiment))
    rng.shuffle(records)
    return pd.DataFrame.from_records(records)
