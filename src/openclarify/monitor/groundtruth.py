"""Ground truth uploaded by the user, and the inner join with captured events (monitor Q2).

Ground-truth records (monitor contract §2.2) are JSON Lines::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the capture's inferenceId, else its eventId>"},
     "eventVersion": "0"}

or, for batch transform, one JSON array of such objects per file.  The merge is
the service's: capture ``eventMetadata.inferenceId`` (else ``eventId``; for batch
output ``SageMakerInferenceId``) ⇔ ground truth ``eventMetadata.eventId``, inner
join — a captured event without ground truth is left out and counted, ground
truth without a captured event is ignored (it may belong to another hour).

The index of ground truth is held in memory (one entry per labelled event: a
day of hourly traffic is tens of megabytes at most); the capture it is joined
with is streamed.  When the same id is labelled twice, the record read last
wins (files are read in sorted path order, i.e. by upload hour) and the
duplicates are counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from .capture import (
    Payload,
    capture_files,
    decode_payload,
    json_record,
    numbered_lines,
    relative_name,
)

__all__ = ["GroundTruth", "read_ground_truth"]


@dataclass
class GroundTruth:
    """Ground-truth payloads by event id."""

    labels: dict[str, Payload] = field(default_factory=dict)
    files: int = 0
    duplicates: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def find(self, event_id: str | None) -> Payload | None:
        """The ground truth of ``event_id`` (``None`` when there is none)."""
        if event_id is None:
            return None
        return self.labels.get(event_id)

    def describe(self) -> str:
        extra = f", {self.duplicates} ids labelled more than once (the last wins)"
        return f"{len(self.labels)} ground-truth labels from {self.files} files" + (
            extra if self.duplicates else ""
        )


def _add(truth: GroundTruth, record: Any, where: str) -> None:
    if not isinstance(record, dict):
        raise DatasetError(where, f"is a JSON {type(record).__name__}, expected an object")
    meta = record.get("eventMetadata")
    key = meta.get("eventId") if isinstance(meta, dict) else None
    if key is None or "groundTruthData" not in record:
        raise DatasetError(
            where,
            "is not a ground-truth record (expected 'groundTruthData' and 'eventMetadata.eventId')",
            "upload ground truth as the Model Monitor documentation shows",
        )
    payload = decode_payload(record["groundTruthData"], where, "groundTruthData")
    if str(key) in truth.labels:
        truth.duplicates += 1
    truth.labels[str(key)] = payload


def read_ground_truth(root: Path) -> GroundTruth:
    """Every ground-truth record under ``root`` (a file or a folder, recursively)."""
    truth = GroundTruth()
    for file in capture_files(root):
        truth.files += 1
        name = relative_name(file, root)
        for number, line in numbered_lines(file, name):
            where = f"ground truth file {name}, line {number}"
            if number == 1 and line.lstrip().startswith("["):
                try:
                    records = json.loads(file.read_text(encoding="utf-8"))
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise DatasetError(
                        f"ground truth file {name}",
                        f"is not valid UTF-8 JSON ({type(exc).__name__})",
                    ) from None
                if not isinstance(records, list):
                    raise DatasetError(f"ground truth file {name}", "is not a JSON array")
                for index, record in enumerate(records):
                    _add(truth, record, f"ground truth file {name}, record {index + 1}")
                break
            _add(truth, json_record(line, where), where)
    return truth
