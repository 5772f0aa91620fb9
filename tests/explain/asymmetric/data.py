"""One small time-series dataset, written in each of the three JSON layouts (tests only).

Two items, ``"b"`` listed before ``"a"`` and interleaved in the row layouts; six
steps, the target observed on the first four (``null`` after), two related series,
one numeric static covariate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

ITEMS: dict[str, dict[str, Any]] = {
    "b": {
        "target": [4.0, 7.5, 6.0, 9.25],
        "related": [[1.0, 2.0, 0.5, 3.0, 2.5, 1.5], [10.0, 11.0, 9.0, 12.0, 13.5, 8.0]],
        "static": [2.0],
    },
    "a": {
        "target": [1.5, -2.0, 3.0, 0.5],
        "related": [[0.0, 1.0, 4.0, -1.0, 2.0, 0.25], [5.0, 6.0, 7.0, 5.5, 4.0, 3.0]],
        "static": [-1.0],
    },
}
TIMESTAMPS = [f"2024-01-0{d} 00:00:00" for d in range(1, 7)]
N_OBS = 4
HEADERS = ["item_id", "timestamp", "sales", "price", "promo", "region"]


def target(item: str) -> np.ndarray:
    return np.array(ITEMS[item]["target"])


def related(item: str) -> np.ndarray:
    return np.array(ITEMS[item]["related"])


def statics(item: str) -> list[float]:
    return list(ITEMS[item]["static"])


def timestamp_records() -> list[dict[str, Any]]:
    rows = []
    for t, stamp in enumerate(TIMESTAMPS):
        for item, series in ITEMS.items():  # interleaved: b, a, b, a, ...
            rows.append(
                {
                    "item_id": item,
                    "timestamp": stamp,
                    "sales": series["target"][t] if t < N_OBS else None,
                    "price": series["related"][0][t],
                    "promo": series["related"][1][t],
                    "region": series["static"][0],
                }
            )
    return rows


def columns() -> dict[str, list[Any]]:
    rows = timestamp_records()
    return {key: [row[key] for row in rows] for key in rows[0]}


def item_records() -> list[dict[str, Any]]:
    return [
        {
            "id": item,
            "region": series["static"][0],
            "timeseries": [
                {
                    "timestamp": stamp,
                    "sales": series["target"][t] if t < N_OBS else None,
                    "price": series["related"][0][t],
                    "promo": series["related"][1][t],
                }
                for t, stamp in enumerate(TIMESTAMPS)
            ],
        }
        for item, series in ITEMS.items()
    ]


#: ``time_series_data_config`` per layout, with the JMESPaths the SDK documents.
TS_CONFIGS: dict[str, dict[str, Any]] = {
    "timestamp_records": {
        "item_id": "[].item_id",
        "timestamp": "[].timestamp",
        "target_time_series": "[].sales",
        "related_time_series": ["[].price", "[].promo"],
        "static_covariates": ["[].region"],
        "dataset_format": "timestamp_records",
    },
    "columns": {
        "item_id": "item_id",
        "timestamp": "timestamp",
        "target_time_series": "sales",
        "related_time_series": ["price", "promo"],
        "static_covariates": ["region"],
        "dataset_format": "columns",
    },
    "item_records": {
        "item_id": "[*].id",
        "timestamp": "[*].timeseries[].timestamp",
        "target_time_series": "[*].timeseries[].sales",
        "related_time_series": ["[*].timeseries[].price", "[*].timeseries[].promo"],
        "static_covariates": ["[*].region"],
        "dataset_format": "item_records",
    },
}
DOCUMENTS = {
    "timestamp_records": timestamp_records,
    "columns": columns,
    "item_records": item_records,
}


def write(folder: Path, layout: str) -> Path:
    path = folder / f"{layout}.json"
    path.write_text(json.dumps(DOCUMENTS[layout]()))
    return path


def config(
    url: str,
    layout: str = "timestamp_records",
    *,
    asv: dict[str, Any] | None = None,
    content_template: str = '{"instances": $records}',
    record_template: str = (
        '{"start": $start_time, "target": $target_time_series, '
        '"dynamic_feat": $related_time_series, "cat": $static_covariates}'
    ),
    forecast: str = "predictions[*].mean",
    content_type: str = "application/json",
) -> dict[str, Any]:
    """An analysis config for the dataset in ``layout`` and the model at ``url``."""
    return {
        "dataset_type": "application/json",
        "headers": HEADERS,
        "time_series_data_config": dict(TS_CONFIGS[layout]),
        "predictor": {
            "endpoint_name": "forecaster",
            "content_type": content_type,
            "accept_type": content_type,
            "content_template": content_template,
            "record_template": record_template,
            "time_series_predictor_config": {"forecast": forecast},
            "openclarify": {"endpoint_url": url},
        },
        "methods": {
            "asymmetric_shapley_value": asv
            or {"direction": "chronological", "granularity": "timewise"},
            "report": {"name": "report", "title": "Analysis Report"},
        },
    }
