"""Captured traffic → one dataset file and the analysis config that reads it.

:func:`build_capture_dataset` streams the capture (event by event,
:mod:`.capture`), applies the window (:mod:`.window`) and the ground-truth join
(:mod:`.groundtruth`), turns each event into records (:mod:`.rows`), and writes
them, row by row, to a file in the job's scratch folder:

* **CSV** when the requests are CSV: the captured cells are copied as written,
  so the table is parsed by the same reader, with the same dtypes, as the CSV
  dataset the baseline was computed from;
* **JSON Lines** ``{"features": [...], "label": ..., "predicted_label": ...}``
  when they are JSON or JSON Lines: the values keep their JSON types, as the
  baseline's JSON dataset had them.

The config it returns is an ordinary ``text/csv`` / ``application/jsonlines``
analysis config over that file (headers, label, predicted label, facets and
group named by column, ``ProbabilityThresholdAttribute`` as
``probability_threshold``, ``ExcludeFeaturesAttribute`` as ``excluded_columns``),
so the analysis that follows is the ordinary one — streamed over record batches
where the bias engine streams, at any size.  Memory is one event at a time plus
the ground-truth index (:mod:`.groundtruth`).

Events that cannot be used are counted by reason and logged with the first
place each reason occurred; no event left → "No data to analyze" (the service
fails such an execution, monitor contract §1.4).
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import DatasetError
from .attributes import CaptureAttributes, pop_attribute_keys
from .capture import Event, read_events
from .columns import CaptureColumns, capture_columns, column_name
from .formats import DatasetFormat
from .groundtruth import GroundTruth
from .rows import CSV, JSON, RowReader, Skip, payload_family
from .window import Window, parse_time

__all__ = ["NO_DATA", "CaptureDataset", "Tally", "build_capture_dataset"]

#: How the service words an execution with nothing to analyse.
NO_DATA = "No data to analyze"

#: Keys of a baselining config that describe the baseline's dataset, not the capture.
_BASELINE_DATASET_KEYS = (
    "dataset_type",
    "dataset_uri",
    "features",
    "label",
    "headers",
    "predicted_label",
    "facet_dataset_uri",
    "facet_headers",
    "predicted_label_dataset_uri",
    "predicted_label_headers",
    "joinsource_name_or_index",
    "excluded_columns",
)


@dataclass
class Tally:
    """What happened to the captured events (for the log and the "no data" error)."""

    files: set[str] = field(default_factory=set)
    events: int = 0
    used: int = 0
    records: int = 0
    outside_window: int = 0
    without_time: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)
    #: Content types of the first used event's request and response (the live
    #: endpoint is called with them when the config names none, monitor Q12).
    request_type: str | None = None
    response_type: str | None = None

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        self.first.setdefault(reason, where)

    def describe(self) -> str:
        """One paragraph: read, used, outside the window, skipped by reason."""
        parts = [
            f"{self.events} events read from {len(self.files)} files",
            f"{self.used} used ({self.records} records)",
        ]
        if self.outside_window:
            parts.append(f"{self.outside_window} outside the window")
        if self.without_time:
            parts.append(f"{self.without_time} without inferenceTime (kept)")
        for reason, count in self.skipped.most_common():
            parts.append(f"{count} skipped: {reason} (first at {self.first[reason]})")
        return "; ".join(parts)


@dataclass(frozen=True)
class CaptureDataset:
    """The dataset built from the capture, and the config that reads it.

    Attributes
    ----------
    path:
        The CSV or JSON Lines file.
    document:
        The analysis config (a parsed document, not validated yet).
    columns:
        The column names.
    tally:
        What happened to the events.
    """

    path: Path
    document: dict[str, Any]
    columns: CaptureColumns
    tally: Tally


def _cell(value: Any) -> str:
    """A value in a CSV cell: text as it is; numbers in their shortest exact form."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else str(value))
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _wants(document: dict[str, Any]) -> tuple[bool, bool]:
    """(labels, predictions): bias needs the ground truth; post-training bias the predictions."""
    methods = document.get("methods") or {}
    post = methods.get("post_training_bias") is not None
    return methods.get("pre_training_bias") is not None or post, post


class _Writer:
    """Records → the dataset file, one line each (CSV or JSON Lines)."""

    def __init__(self, path: Path, family: str, columns: CaptureColumns) -> None:
        self.path = path
        self.family = family
        self.columns = columns
        self.handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self.handle, lineterminator="\n") if family == CSV else None
        self._label_at: int | None = None
        if self._csv is not None:
            self._csv.writerow(columns.order)
            # CSV records are the captured cells (text), in order; the label sits at its
            # header's position and the predicted label comes last (CaptureColumns.order)
            self._label_at = (
                columns.order.index(columns.label) if columns.label is not None else None
            )

    def write(self, features: list[Any], label: Any, predicted: Any) -> None:
        if self._csv is not None:
            row = list(features)
            if self._label_at is not None:
                row.insert(self._label_at, _cell(label))
            if self.columns.predicted is not None:
                row.append(_cell(predicted))
            self._csv.writerow(row)
            return
        record: dict[str, Any] = {"features": features}
        if self.columns.label is not None:
            record["label"] = label
        if self.columns.predicted is not None:
            record["predicted_label"] = predicted
        self.handle.write(json.dumps(record, separators=(",", ":")) + "\n")

    def close(self) -> None:
        self.handle.close()


def _in_window(event: Event, window: Window, tally: Tally) -> bool:
    if not window.bounded:
        return True
    if event.inference_time is None:
        tally.without_time += 1
        return True
    moment = parse_time(event.inference_time)
    if moment is None:
        tally.skip("inferenceTime is not an ISO 8601 time", event.where)
        return False
    if not window.contains(moment):
        tally.outside_window += 1
        return False
    return True


def _config_document(
    document: dict[str, Any],
    columns: CaptureColumns,
    family: str,
    attributes: CaptureAttributes,
) -> dict[str, Any]:
    """The analysis config over the built file (module docstring)."""
    headers = document.get("headers")
    derived = {
        k: v for k, v in pop_attribute_keys(document).items() if k not in _BASELINE_DATASET_KEYS
    }
    for i, facet in enumerate(derived.get("facet") or []):
        if isinstance(facet, dict) and "name_or_index" in facet:
            name = column_name(headers, facet["name_or_index"], f"$.facet[{i}].name_or_index")
            derived["facet"] = [
                *derived["facet"][:i],
                {**facet, "name_or_index": name},
                *derived["facet"][i + 1 :],
            ]
    if derived.get("group_variable") is not None:
        derived["group_variable"] = column_name(
            headers, derived["group_variable"], "$.group_variable"
        )
    excluded = [
        column_name(headers, item, f"$.excluded_columns[{i}]")
        for i, item in enumerate(document.get("excluded_columns") or [])
    ]
    for item in attributes.exclude:
        if isinstance(item, int):
            if not 0 <= item < len(columns.features):
                raise DatasetError(
                    "ExcludeFeaturesAttribute",
                    f"position {item} is out of range: the records have "
                    f"{len(columns.features)} features",
                )
            excluded.append(columns.features[item])
        else:
            excluded.append(item)
    if excluded:
        derived["excluded_columns"] = list(dict.fromkeys(excluded))
    if attributes.threshold is not None:
        derived["probability_threshold"] = attributes.threshold
    if family == CSV:
        derived.update(dataset_type="text/csv", headers=columns.order)
        if columns.label is not None:
            derived["label"] = columns.label
        if columns.predicted is not None:
            derived["predicted_label"] = columns.predicted
    else:
        extracted = [n for n in (columns.label, columns.predicted) if n is not None]
        derived.update(
            dataset_type="application/jsonlines",
            features="features",
            headers=[*columns.features, *extracted],
        )
        if columns.label is not None:
            derived["label"] = "label"
        if columns.predicted is not None:
            derived["predicted_label"] = "predicted_label"
    return derived


def _n_features_for_batch_csv(document: dict[str, Any], with_label: bool) -> int | None:
    """Features per batch CSV line (monitor Q9): ``headers`` minus the label, if any."""
    headers = document.get("headers")
    if headers is None:
        return None
    return len(headers) - 1 if with_label else len(headers)


def build_capture_dataset(
    document: dict[str, Any],
    capture: Path,
    scratch: Path,
    *,
    attributes: CaptureAttributes,
    ground_truth: GroundTruth | None = None,
    window: Window | None = None,
    dataset_format: DatasetFormat | None = None,
    log: logging.Logger | None = None,
) -> CaptureDataset:
    """Stream the capture under ``capture`` into a dataset file in ``scratch`` (module docstring).

    Parameters
    ----------
    document:
        The analysis config as parsed (with ``methods``; headers, label, facets as
        the monitoring config names them).
    capture:
        A capture, merged or batch-output file, or a folder of them (recursive).
    scratch:
        Folder for the dataset file.
    attributes:
        Where features, predictions and scores sit in the payloads.
    ground_truth:
        Labels by event id, for capture that is not merged yet.
    window:
        ``[start, end)`` on ``inferenceTime``.
    dataset_format:
        What the execution's ``dataset_format`` says (a header row, whole-file JSON).

    Raises
    ------
    DatasetError
        A malformed file or line (naming it); "No data to analyze" when no event
        is left (with what happened to them).
    """
    log = log or logging.getLogger("openclarify")
    fmt = dataset_format or DatasetFormat()
    builder = _Builder(document, scratch, attributes, ground_truth, window or Window())
    try:
        events = read_events(
            capture,
            csv_header=fmt.kind == "csv" and fmt.csv_header,
            whole_file_json=fmt.kind == "json" and not fmt.json_lines,
        )
        for event in events:
            builder.add(event)
        builder.flush()
    finally:
        if builder.writer is not None:
            builder.writer.close()
    tally, writer = builder.tally, builder.writer
    log.info("Capture: %s", tally.describe())
    if writer is None:
        hint = (
            "give the ground truth (--ground-truth, env ground_truth_source) or merged records"
            if builder.with_label and ground_truth is None and tally.skipped
            else "check the capture location, the time window and the ground truth"
        )
        raise DatasetError(str(capture), f"{NO_DATA}: {tally.describe()}", hint)
    derived = _config_document(document, writer.columns, writer.family, attributes)
    return CaptureDataset(writer.path, derived, writer.columns, tally)


#: Events whose responses are read together (:meth:`RowReader.predictions`).
CHUNK_EVENTS = 512


class _Builder:
    """The state of one pass over the capture (see :func:`build_capture_dataset`)."""

    def __init__(
        self,
        document: dict[str, Any],
        scratch: Path,
        attributes: CaptureAttributes,
        ground_truth: GroundTruth | None,
        window: Window,
    ) -> None:
        self.document = document
        self.scratch = scratch
        self.ground_truth = ground_truth
        self.window = window
        self.with_label, self.with_predicted = _wants(document)
        self.attributes = attributes
        self.tally = Tally()
        self.writer: _Writer | None = None
        self.reader: RowReader | None = None
        self.family: str | None = None
        self.width: int | None = None
        self.pending: list[tuple[Event, list[list[Any]], list[Any]]] = []

    def add(self, event: Event) -> None:
        tally = self.tally
        tally.files.add(event.where.split(", line")[0].split(", record")[0])
        tally.events += 1
        if not _in_window(event, self.window, tally):
            return
        family = (
            JSON
            if event.batch == "json"
            else payload_family(event.request, event.where, "endpointInput")
        )
        if self.reader is None:
            self.family = family
            self.reader = RowReader(
                self.attributes,
                self.document.get("label"),
                _n_features_for_batch_csv(self.document, self.with_label),
                family != CSV,
            )
        elif (family == CSV) != (self.family == CSV):
            raise DatasetError(
                event.where,
                f"is a {family} request; earlier requests were {self.family}",
                "analyse CSV and JSON traffic in separate executions",
            )
        try:
            features = self.reader.features(event, family)
            if not features:
                raise Skip("the request holds no records")
            widths = {len(r) for r in features}
            if len(widths) > 1:
                raise Skip("the records of one request differ in length")
            if self.width is None:
                self.width = next(iter(widths))
            if widths != {self.width}:
                raise Skip(f"records do not have {self.width} features like the first event")
            labels: list[Any] = [None] * len(features)
            if self.with_label:
                truth = event.ground_truth
                if truth is None and self.ground_truth is not None:
                    truth = self.ground_truth.find(event.event_id)
                if truth is None:
                    raise Skip("no ground truth for the event's inference id")
                labels = self.reader.labels(truth, len(features))
        except Skip as skip:
            tally.skip(skip.reason, event.where)
            return
        self.pending.append((event, features, labels))
        if len(self.pending) >= CHUNK_EVENTS:
            self.flush()

    def flush(self) -> None:
        """Read the pending events' responses and write their records."""
        if not self.pending:
            return
        assert self.reader is not None and self.family is not None and self.width is not None
        predicted: list[list[Any] | Skip]
        if self.with_predicted:
            predicted = self.reader.predictions([(e, len(f)) for e, f, _ in self.pending])
        else:
            predicted = [[None] * len(f) for _, f, _ in self.pending]
        for (event, features, labels), values in zip(self.pending, predicted, strict=True):
            if isinstance(values, Skip):
                self.tally.skip(values.reason, event.where)
                continue
            if self.writer is None:
                self.writer = self._open(event)
            for row, label, value in zip(features, labels, values, strict=True):
                self.writer.write(row, label, value)
            self.tally.used += 1
            self.tally.records += len(features)
        self.pending.clear()

    def _open(self, event: Event) -> _Writer:
        assert self.family is not None and self.width is not None
        columns = capture_columns(
            self.document.get("headers"),
            self.document.get("label"),
            self.width,
            with_label=self.with_label,
            with_predicted=self.with_predicted,
        )
        self.tally.request_type = event.request.content_type
        if event.response is not None:
            self.tally.response_type = event.response.content_type
        suffix = ".csv" if self.family == CSV else ".jsonl"
        return _Writer(self.scratch / f"capture{suffix}", self.family, columns)
