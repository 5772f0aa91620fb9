"""A model both environments can import: a fixed logistic score on two numeric features."""

from __future__ import annotations

import math
from typing import Any

WEIGHTS = {"Age": 0.04, "CreditScore": 0.01}
OFFSET = -8.0


def score(rows: Any) -> list[float]:
    """P(approved) of each row of a DataFrame with the columns of :data:`WEIGHTS`."""
    return [
        1.0 / (1.0 + math.exp(-(OFFSET + sum(w * float(r[c]) for c, w in WEIGHTS.items()))))
        for _, r in rows.iterrows()
    ]
