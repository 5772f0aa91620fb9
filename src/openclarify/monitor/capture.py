"""Captured traffic, one event at a time: data capture, merged records and batch-transform output.

The formats, verbatim from the service (monitor contract §2):

* **endpoint data capture** — one JSON object per line::

      {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                          "data": "1,2,3", "encoding": "CSV"},
                       "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                          "data": "0.7", "encoding": "CSV"}},
       "eventMetadata": {"eventId": "…", "inferenceId": "…", "inferenceTime": "2024-01-19T19:27:57Z"},
       "eventVersion": "0"}

* **merged records** (what the service's ground-truth merge job writes) — the same,
  plus ``"groundTruthData": {"data": "1", "encoding": "CSV"}``; batch transform's
  merged records hold ``captureData.batchTransformOutput`` (no content type);
* **batch-transform output** — JSON Lines whose records are the joined input plus
  ``SageMakerOutput`` (and ``SageMakerInferenceId`` / ``SageMakerInferenceTime``),
  or CSV lines ``features…, outputs…[, inference id, inference time]``.

:func:`read_events` walks a folder recursively (the ``yyyy/mm/dd/hh`` layout is
ignored except in the log, monitor contract Q14), reads every file line by line
— never a whole file — and yields one :class:`Event` per record.  A line that is
not JSON, a capture record without ``captureData``, or a payload in another
encoding is a :class:`~openclarify.errors.DatasetError` naming the file and line;
an empty file is skipped (a capture file with no events is valid).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DatasetError

__all__ = [
    "CAPTURE_SUFFIXES",
    "Event",
    "Payload",
    "base_content_type",
    "capture_files",
    "decode_payload",
    "json_record",
    "numbered_lines",
    "read_events",
]

#: File names read from a capture or ground-truth folder (data capture writes ``.jsonl``;
#: batch transform writes ``.out``; users upload ``.json`` / ``.csv``).  Anything else
#: (a ``manifest``, a ``_SUCCESS`` marker) is not a record file.
CAPTURE_SUFFIXES = (".jsonl", ".json", ".out", ".csv", ".txt")

#: ``SageMakerInferenceTime`` / ``inferenceTime`` in a batch CSV line's last column.
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")

#: Capture ``encoding`` values that hold text as it is.
_TEXT_ENCODINGS = frozenset({"CSV", "JSON", "JSONLINES", "TEXT", "NONE", ""})


@dataclass(frozen=True)
class Payload:
    """One captured body: the request, the response, or the ground truth.

    Attributes
    ----------
    text:
        The body as text (BASE64 decoded).
    content_type:
        Base content type (``text/csv``; ``; charset=…`` dropped), or ``None`` when
        the record names none (merged batch records, ground truth: from ``encoding``).
    """

    text: str
    content_type: str | None


@dataclass(frozen=True)
class Event:
    """One captured request (possibly several records) with what came with it.

    Attributes
    ----------
    where:
        ``file <relative path>, line <n>``, for messages.
    event_id:
        The merge key: ``eventMetadata.inferenceId``, else ``eventId``
        (``SageMakerInferenceId`` for batch output); ``None`` when absent.
    inference_time:
        ``eventMetadata.inferenceTime`` (``SageMakerInferenceTime``), as written.
    request, response:
        The captured input and output; for batch output the whole joined record is
        the request and ``response`` is ``None`` (:attr:`batch` says where the
        output sits).
    ground_truth:
        ``groundTruthData`` of a merged record, else ``None``.
    batch:
        ``"json"`` or ``"csv"`` for batch-transform output (joined input and output
        in one record), ``None`` for endpoint capture.
    """

    where: str
    event_id: str | None
    inference_time: str | None
    request: Payload
    response: Payload | None
    ground_truth: Payload | None
    batch: str | None = None


def base_content_type(value: Any) -> str | None:
    """``text/csv; charset=utf-8`` → ``text/csv`` (lower case); ``None`` stays ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.split(";", 1)[0].strip().lower()


def _content_type_of_encoding(encoding: str) -> str | None:
    return {
        "CSV": "text/csv",
        "JSON": "application/json",
        "JSONLINES": "application/jsonlines",
    }.get(encoding)


def decode_payload(block: Any, where: str, what: str) -> Payload:
    """A ``{"data", "encoding", "observedContentType"}`` block as a :class:`Payload`.

    ``encoding`` ``BASE64`` is decoded to UTF-8 text; ``CSV`` / ``JSON`` (and no
    encoding) are text already.  Raises :class:`DatasetError` at ``where`` for a
    block that is not an object, has no string ``data``, or another encoding.
    """
    if not isinstance(block, dict) or not isinstance(block.get("data"), str):
        raise DatasetError(
            where,
            f"{what} must be an object with a string 'data'",
            "give data capture, merged or ground-truth records as the service writes them",
        )
    encoding = str(block.get("encoding") or "").upper()
    content_type = base_content_type(block.get("observedContentType"))
    text = block["data"]
    if encoding == "BASE64":
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise DatasetError(
                where,
                f"{what} is BASE64 but does not decode to UTF-8 text",
                "capture tabular content types as text (CaptureContentTypeHeader), "
                "or send CSV or JSON requests",
            ) from None
    elif encoding not in _TEXT_ENCODINGS:
        raise DatasetError(
            where,
            f"{what} has encoding '{encoding[:20]}' (expected CSV, JSON or BASE64)",
            "give records as data capture writes them",
        )
    if content_type is None:
        content_type = _content_type_of_encoding(encoding)
    return Payload(text, content_type)


def _metadata(record: dict[str, Any]) -> tuple[str | None, str | None]:
    meta = record.get("eventMetadata")
    if not isinstance(meta, dict):
        return None, None
    key = meta.get("inferenceId") or meta.get("eventId")
    when = meta.get("inferenceTime")
    return (str(key) if key is not None else None), (str(when) if when is not None else None)


def _batch_json_event(record: dict[str, Any], where: str, truth: Payload | None) -> Event:
    key = record.get("SageMakerInferenceId")
    when = record.get("SageMakerInferenceTime")
    meta_key, meta_when = _metadata(record)
    return Event(
        where,
        str(key) if key is not None else meta_key,
        str(when) if when is not None else meta_when,
        Payload(json.dumps(record), "application/json"),
        None,
        truth,
        batch="json",
    )


def _record_event(record: dict[str, Any], where: str) -> Event:
    """One parsed JSON line as an :class:`Event` (capture, merged or batch record)."""
    truth = None
    if "groundTruthData" in record:
        truth = decode_payload(record["groundTruthData"], where, "groundTruthData")
    capture = record.get("captureData")
    if capture is None:
        if "SageMakerOutput" in record:  # batch transform output, joined with its input
            return _batch_json_event(record, where, truth)
        raise DatasetError(
            where,
            "is not a capture record (no 'captureData'; no 'SageMakerOutput' either)",
            "point the capture location at data capture, merged or batch-transform output",
        )
    if not isinstance(capture, dict):
        raise DatasetError(where, "'captureData' must be an object")
    key, when = _metadata(record)
    if "batchTransformOutput" in capture:
        joined = decode_payload(capture["batchTransformOutput"], where, "batchTransformOutput")
        if (
            joined.content_type == "text/csv"
            or str(capture["batchTransformOutput"].get("encoding", "")).upper() == "CSV"
        ):
            return Event(where, key, when, Payload(joined.text, "text/csv"), None, truth, "csv")
        try:
            inner = json.loads(joined.text)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                where, f"batchTransformOutput data is not JSON ({exc.msg})"
            ) from None
        if not isinstance(inner, dict):
            raise DatasetError(where, "batchTransformOutput data must be a JSON object")
        event = _batch_json_event(inner, where, truth)
        return Event(where, key or event.event_id, when or event.inference_time, *_rest(event))
    if "endpointInput" not in capture:
        raise DatasetError(
            where,
            "'captureData' has no 'endpointInput' (the request)",
            "enable capture of the input (CaptureOptions ['Input', 'Output'])",
        )
    request = decode_payload(capture["endpointInput"], where, "endpointInput")
    response = None
    if "endpointOutput" in capture:
        response = decode_payload(capture["endpointOutput"], where, "endpointOutput")
    return Event(where, key, when, request, response, truth)


def _rest(event: Event) -> tuple[Payload, Payload | None, Payload | None, str | None]:
    return event.request, event.response, event.ground_truth, event.batch


def _csv_batch_event(line: str, where: str) -> Event:
    """A batch-transform CSV output line: ``features…, outputs…[, id, time]`` (monitor Q9)."""
    cells = line.rstrip("\r\n").rsplit(",", 2)
    key = when = None
    if len(cells) == 3 and _ISO_TIME.fullmatch(cells[2].strip()):
        key, when = cells[1].strip(), cells[2].strip()
        line = cells[0]
    return Event(where, key, when, Payload(line.rstrip("\r\n"), "text/csv"), None, None, "csv")


def capture_files(root: Path) -> list[Path]:
    """Every record file under ``root`` (a file, or a folder walked recursively), sorted.

    Names starting with ``.`` or ``_`` are skipped (``_SUCCESS``, ``.crc``) as the
    dataset readers skip them; so are files with other suffixes (manifests).
    """
    if root.is_file():
        return [root]
    if not root.exists():
        raise DatasetError(str(root), "the capture location does not exist", "check the path")
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in CAPTURE_SUFFIXES
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )


def relative_name(file: Path, root: Path) -> str:
    try:
        return str(file.relative_to(root)) if root.is_dir() else file.name
    except ValueError:
        return file.name


def numbered_lines(file: Path, name: str) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines, read incrementally; a file that is not UTF-8 is an error."""
    with file.open(encoding="utf-8", newline="") as handle:
        number = 0
        while True:
            try:
                line = handle.readline()
            except UnicodeDecodeError:
                raise DatasetError(
                    f"file {name}, line {number + 1}", "is not UTF-8 text", "save it as UTF-8"
                ) from None
            if not line:
                return
            number += 1
            if line.strip():
                yield number, line


def read_events(
    root: Path, *, csv_header: bool = False, whole_file_json: bool = False
) -> Iterator[Event]:
    """Every captured event under ``root``, in file then line order (module docstring).

    A whole-file JSON array of records is accepted too: a file whose first line
    starts with ``[`` (or every file, with ``whole_file_json``) is read as one
    document.  A CSV line (it does not start with ``{``) is batch-transform CSV
    output; ``csv_header`` skips the first line of every file.
    """
    for file in capture_files(root):
        name = relative_name(file, root)
        for number, line in numbered_lines(file, name):
            where = f"file {name}, line {number}"
            stripped = line.lstrip()
            if number == 1 and (whole_file_json or stripped.startswith("[")):
                yield from _array_events(file, name)
                break
            if number == 1 and csv_header:
                continue
            if not stripped.startswith("{"):
                yield _csv_batch_event(line, where)
                continue
            yield _record_event(json_record(line, where), where)


def json_record(line: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            where,
            f"is not valid JSON ({exc.msg}, column {exc.colno}); the file may be truncated",
            "remove or repair the line; capture files hold one JSON object per line",
        ) from None
    except RecursionError:
        raise DatasetError(where, "is nested too deeply") from None
    if not isinstance(record, dict):
        raise DatasetError(where, f"is a JSON {type(record).__name__}, expected an object")
    return record


def _array_events(file: Path, name: str) -> Iterator[Event]:
    where = f"file {name}"
    try:
        records = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(where, f"is not valid UTF-8 JSON ({type(exc).__name__})") from None
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        raise DatasetError(where, "is not a JSON array of records (or one record)")
    for index, record in enumerate(records):
        here = f"{where}, record {index + 1}"
        if not isinstance(record, dict):
            raise DatasetError(here, f"is a JSON {type(record).__name__}, expected an object")
        yield _record_event(record, here)
