"""The ``dataset_format`` environment variable of a monitoring execution, read.

The service describes the data it mounted with a JSON object (monitor contract
§1.3); keys are accepted in any case (``Csv``/``csv``, ``Line``/``line``):

``{"sagemakerMergeJson": {"captureIndexNames": [...]}}``
    merged records (capture + ``groundTruthData``): the bias monitor's input;
``{"sagemakerCaptureJson": {"captureIndexNames": [...]}}``
    raw endpoint data capture (joined with ground truth here when there is some);
``{"csv": {"header": true|false}}``
    batch-transform CSV output; with ``header`` the first line of every file is
    a header row and is skipped;
``{"json": {"line": true|false}}``
    batch-transform JSON output: JSON Lines, or (``line`` false) one JSON
    document per file (an array of records, or one record);
``{"parquet": {}}``
    refused: batch transform writes its output in the model's response format,
    never Parquet, so there is no captured Parquet to read (a clear error, not a
    guess).

Every kind is read by the same reader (:mod:`.capture`): a line holding
``captureData`` is capture (merged when it also holds ``groundTruthData``), one
holding ``SageMakerOutput`` is batch JSON, any other line is batch CSV — the
format only adds what a line cannot tell (a header row, whole-file JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import ConfigError

__all__ = ["DatasetFormat", "parse_dataset_format"]


@dataclass(frozen=True)
class DatasetFormat:
    """What ``dataset_format`` says about the mounted data.

    Attributes
    ----------
    kind:
        ``merged``, ``capture``, ``csv``, ``json`` or ``none`` (not given).
    csv_header:
        Batch CSV files start with a header row.
    json_lines:
        Batch JSON files hold one record per line (else one document per file).
    """

    kind: str = "none"
    csv_header: bool = False
    json_lines: bool = True

    def describe(self) -> str:
        if self.kind == "csv":
            return f"batch-transform CSV output ({'with' if self.csv_header else 'no'} header row)"
        if self.kind == "json":
            return "batch-transform JSON " + ("Lines output" if self.json_lines else "documents")
        return {
            "merged": "merged capture and ground-truth records",
            "capture": "endpoint data capture",
        }.get(self.kind, "records recognised line by line (no dataset_format)")


def _flag(options: object, name: str, default: bool) -> bool:
    if not isinstance(options, dict):
        return default
    for key, value in options.items():
        if str(key).lower() == name:
            if isinstance(value, str):
                return value.strip().lower() in ("true", "1", "yes")
            return bool(value)
    return default


def parse_dataset_format(text: str | None) -> DatasetFormat:
    """``dataset_format`` (JSON text, or ``None``) as a :class:`DatasetFormat`."""
    if text is None or not text.strip():
        return DatasetFormat()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "env dataset_format", f"is not JSON ({exc.msg})", 'e.g. {"sagemakerMergeJson": {}}'
        ) from None
    if not isinstance(document, dict) or len(document) != 1:
        raise ConfigError(
            "env dataset_format",
            "must be a JSON object with one key (the format)",
            'e.g. {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}',
        )
    ((key, options),) = document.items()
    name = str(key).lower()
    if name == "sagemakermergejson":
        return DatasetFormat("merged")
    if name == "sagemakercapturejson":
        return DatasetFormat("capture")
    if name == "csv":
        return DatasetFormat("csv", csv_header=_flag(options, "header", False))
    if name == "json":
        return DatasetFormat("json", json_lines=_flag(options, "line", True))
    if name == "parquet":
        raise ConfigError(
            "env dataset_format",
            "not supported yet: parquet batch-transform data",
            "capture batch-transform output as CSV or JSON",
        )
    raise ConfigError(
        "env dataset_format",
        f"names an unknown format '{str(key)[:40]}'",
        "use sagemakerMergeJson, sagemakerCaptureJson, csv or json",
    )
