"""Our fast path is used exactly when scikit-learn itself would use its k-d tree."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from openclarify.bias.fliptest import sklearn_uses_kd_tree


@pytest.mark.parametrize(
    ("n_rows", "n_features", "k"),
    [
        (50, 3, 5),
        (50, 15, 5),
        (50, 16, 5),
        (10, 2, 5),
        (11, 2, 5),
        (12, 2, 5),
        (3, 1, 1),
        (2, 1, 1),
    ],
)
def test_rule_matches_scikit_learn(n_rows: int, n_features: int, k: int) -> None:
    rng = np.random.default_rng(0)
    knn = KNeighborsClassifier(
        n_neighbors=k, algorithm="auto", leaf_size=30, p=2, metric="minkowski"
    )
    knn.fit(rng.normal(size=(n_rows, n_features)), rng.random(n_rows) < 0.5)
    assert sklearn_uses_kd_tree(n_rows, n_features, k) == (knn._fit_method == "kd_tree")
