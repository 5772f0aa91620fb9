"""Capture, merged and ground-truth records in the service's formats (monitor contract §2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def capture_line(
    request: str,
    response: str | None,
    *,
    event_id: str,
    inference_id: str | None = None,
    time: str | None = "2024-01-19T19:27:57Z",
    content_type: str = "text/csv",
    accept: str | None = None,
    encoding: str | None = None,
    truth: dict[str, Any] | None = None,
) -> str:
    """One data capture (or, with ``truth``, merged) JSON line."""
    text_encoding = "CSV" if content_type == "text/csv" else "JSON"

    def block(data: str, mode: str, observed: str) -> dict[str, Any]:
        used = encoding or text_encoding
        if used == "BASE64":
            data = base64.b64encode(data.encode()).decode()
        return {"observedContentType": observed, "mode": mode, "data": data, "encoding": used}

    capture: dict[str, Any] = {"endpointInput": block(request, "INPUT", content_type)}
    if response is not None:
        capture["endpointOutput"] = block(response, "OUTPUT", accept or content_type)
    meta: dict[str, Any] = {"eventId": event_id}
    if inference_id is not None:
        meta["inferenceId"] = inference_id
    if time is not None:
        meta["inferenceTime"] = time
    record: dict[str, Any] = {"captureData": capture, "eventMetadata": meta, "eventVersion": "0"}
    if truth is not None:
        record = {"eventVersion": "0", "groundTruthData": truth, **record}
    return json.dumps(record)


def truth_line(event_id: str, data: str, encoding: str = "CSV") -> str:
    """One ground-truth JSON line."""
    return json.dumps(
        {
            "groundTruthData": {"data": data, "encoding": encoding},
            "eventMetadata": {"eventId": event_id},
            "eventVersion": "0",
        }
    )


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def csv_row(values: Sequence[Any]) -> str:
    return ",".join(str(v) for v in values)
