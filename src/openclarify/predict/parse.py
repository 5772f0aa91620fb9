"""Model responses by ``accept_type``, read into a :class:`~openclarify.predict.output.ModelOutput`.

Reading a response (:class:`ResponseParser`) gives, for every record of the
request, what was found at ``predictor.label`` and at ``predictor.probability``:

``text/csv``
    One line per record.  ``label`` / ``probability`` are 0-based column
    indices (a string of digits is read as an index).  With neither, a lone
    value is *the* output (a score or a label, decided by
    :mod:`~openclarify.predict.output`) and several values are a score
    vector.  A field written as a JSON array (``"[0.1,0.9]"``) is a vector.
    Leniency: a request of *n* > 1 records answered by a single line of
    exactly *n* values (older built-in XGBoost) is one value per record.
``application/jsonlines``
    One JSON value per line; ``label`` / ``probability`` are JMESPaths applied
    to each line (an integer indexes a line that is a JSON array).  With
    neither, the whole line is the output.
``application/json``
    ``label`` / ``probability`` are JMESPaths applied to the whole body and
    must give a list with one entry per record (``predictions[*].score``); with
    neither, the body itself must be that list.  For a ``$record`` request
    (one record) the result *is* that record's output.

Every response must hold exactly one prediction per record: anything else is
a :class:`~openclarify.errors.PredictorError`, never padded or truncated.

What the outputs mean (the predicted label, the scores) is
:mod:`openclarify.predict.output`.
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from ..errors import ConfigError, PredictorError
from .images import IMAGE_CONTENT_TYPES
from .output import _WHERE, ModelOutput, predicted_column, score_matrix
from .serialize import CSV, JSON, JSONLINES, SUPPORTED_TYPES

# ModelOutput, predicted_column and score_matrix are defined in .output, re-exported here.
__all__ = [
    "ModelOutput",
    "ResponseParser",
    "parse_csv_field",
    "parser_for",
    "predicted_column",
    "response_accept_type",
    "score_matrix",
]

_INT = re.compile(r"[+-]?\d+")


def response_accept_type(predictor: Any, content_type: str) -> str:
    """``predictor.accept_type``, defaulting to the request type (contract §7.5).

    Image requests default to ``application/json`` responses (contract modalities §2.1).
    """
    default = JSON if content_type in IMAGE_CONTENT_TYPES else content_type
    accept = predictor.accept_type if predictor.accept_type is not None else default
    if accept not in SUPPORTED_TYPES:
        raise ConfigError(
            "$.predictor.accept_type",
            f"not supported yet: {accept} responses",
            "use text/csv, application/jsonlines or application/json",
        )
    return str(accept)


def _location(value: str | int | None, key: str, accept: str) -> str | int | None:
    """Validate a ``label`` / ``probability`` location for ``accept``."""
    path = f"$.predictor.{key}"
    if value is None:
        return None
    if accept == CSV:
        if isinstance(value, str):
            if not value.strip().isdigit():
                raise ConfigError(
                    path,
                    f"must be a 0-based column index for {CSV} responses, found a JMESPath",
                    "give the column of the response line as an integer, e.g. 0",
                )
            return int(value)
        if value < 0:
            raise ConfigError(path, "must be a 0-based column index (>= 0)")
        return value
    if isinstance(value, int):
        return value
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ConfigError(
            path, f"is not a valid JMESPath ({type(exc).__name__})", "e.g. predictions[*].score"
        ) from exc
    return value


def _numeric_csv_columns(text: str) -> list[list[Any]] | None:
    """The columns of a CSV response whose every field is a number (Arrow, C speed).

    ``None`` when Arrow cannot read it or any column is not all ints or all
    floats (strings, empty fields, ragged lines, JSON arrays in fields): the
    Python reader handles those, cell by cell.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not text.strip():
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                null_values=[], strings_can_be_null=False, true_values=[], false_values=[]
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not all(pa.types.is_integer(c.type) or pa.types.is_floating(c.type) for c in table.columns):
        return None
    return [c.to_pylist() for c in table.columns]


def _field_chain(node: Any) -> list[str] | None:
    """``["a", "b"]`` for the JMESPath ``a.b`` (plain fields only), else ``None``."""
    if node.get("type") == "field":
        return [str(node["value"])]
    if node.get("type") == "subexpression":
        chain: list[str] = []
        for child in node.get("children", []):
            part = _field_chain(child)
            if part is None:
                return None
            chain.extend(part)
        return chain
    return None


def _number(text: str) -> Any:
    """A CSV field as int, float, JSON array or string (public as :func:`parse_csv_field`)."""
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    try:
        return float(text)
    except ValueError:
        return text


#: A CSV field as int, float, JSON array or string — how response cells are read
#: (captured ground-truth labels are read the same way).
parse_csv_field = _number


class ResponseParser:
    """Reads one response body into a :class:`ModelOutput`.

    Parameters
    ----------
    accept_type:
        ``text/csv``, ``application/jsonlines`` or ``application/json``.
    label, probability:
        Validated locations (see the module docstring).
    one_record_per_request:
        True for ``$record`` JSON requests.
    """

    def __init__(
        self,
        accept_type: str,
        label: str | int | None,
        probability: str | int | None,
        one_record_per_request: bool = False,
    ) -> None:
        self.accept_type = accept_type
        self.label = label
        self.probability = probability
        self.one_record_per_request = one_record_per_request
        self._compiled = {
            key: jmespath.compile(value)
            for key, value in (("label", label), ("probability", probability))
            if isinstance(value, str) and accept_type != CSV
        }
        self._fields = {
            key: fields
            for key, compiled in self._compiled.items()
            if (fields := _field_chain(compiled.parsed)) is not None
        }

    def parse(self, body: bytes, n_records: int, first_row: int) -> ModelOutput:
        """Parse ``body``, the answer to ``n_records`` records starting at ``first_row``.

        Raises
        ------
        PredictorError
            When the body cannot be read as ``accept_type`` or does not hold
            exactly one prediction per record.
        """
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise self._error(first_row, n_records, "is not UTF-8 text") from exc
        if self.accept_type == CSV:
            return self._csv(text, n_records, first_row)
        if self.accept_type == JSONLINES:
            return self._jsonlines(text, n_records, first_row)
        return self._json(text, n_records, first_row)

    def _error(self, first_row: int, n_records: int, problem: str) -> PredictorError:
        last = first_row + n_records - 1
        rows = f"row {first_row}" if n_records == 1 else f"rows {first_row}-{last}"
        return PredictorError(
            _WHERE,
            f"the model's {self.accept_type} response to {rows} {problem}",
            "check predictor.accept_type, label and probability against what the model returns",
        )

    def _count(self, found: int, n_records: int, first_row: int) -> None:
        if found != n_records:
            raise self._error(
                first_row,
                n_records,
                f"has {found} predictions for {n_records} records (must be one per record)",
            )

    # ---------------------------------------------------------------- CSV
    def _csv(self, text: str, n_records: int, first_row: int) -> ModelOutput:
        columns = _numeric_csv_columns(text)
        if columns is not None:  # every field a number: columns straight from Arrow
            n_lines = len(columns[0])
            widths = [len(columns)] * n_lines
        else:
            lines = [line for line in text.splitlines() if line.strip()]
            rows = [[_number(f) for f in fields] for fields in csv.reader(lines)]
            n_lines = len(rows)
            widths = [len(row) for row in rows]
            columns = None
        if (
            n_lines == 1
            and n_records > 1
            and widths[0] == n_records
            and self.label is None
            and self.probability is None
        ):
            # one line of n values (older built-in XGBoost): one value per record
            values = [c[0] for c in columns] if columns is not None else rows[0]
            return ModelOutput(list(values), None)
        self._count(n_lines, n_records, first_row)

        def column(index: int | str | None, key: str) -> list[Any] | None:
            if index is None:
                return None
            assert isinstance(index, int)
            short = next((w for w in widths if index >= w), None)
            if short is not None:
                raise self._error(
                    first_row,
                    n_records,
                    f"has a line with {short} values; predictor.{key} is column {index}",
                )
            if columns is not None:
                return columns[index]
            return [row[index] for row in rows]

        labels = column(self.label, "label")
        scores = column(self.probability, "probability")
        if labels is None and scores is None:
            if columns is not None:
                labels = (
                    columns[0]
                    if len(columns) == 1
                    else [list(r) for r in zip(*columns, strict=True)]
                )
            else:
                labels = [row[0] if len(row) == 1 else row for row in rows]
        return ModelOutput(labels, scores)

    # ---------------------------------------------------------- JSON Lines
    def _jsonlines(self, text: str, n_records: int, first_row: int) -> ModelOutput:
        lines = [line for line in text.splitlines() if line.strip()]
        try:  # one C-speed parse of all lines as one array
            records = json.loads("[" + ",".join(lines) + "]")
            if len(records) != len(lines):  # a line held two values ("1,2")
                raise ValueError
        except ValueError:
            records = []
            for line in lines:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise self._error(
                        first_row, n_records, f"has a line that is not JSON ({exc.msg})"
                    ) from exc
        self._count(len(records), n_records, first_row)
        labels = self._each(records, "label", first_row, n_records)
        scores = self._each(records, "probability", first_row, n_records)
        if labels is None and scores is None:
            labels = records
        return ModelOutput(labels, scores)

    def _each(
        self, records: list[Any], key: str, first_row: int, n_records: int
    ) -> list[Any] | None:
        location = getattr(self, key)
        if location is None:
            return None
        fields = self._fields.get(key)
        if fields is not None:  # a plain field path: dict lookups, no JMESPath machinery
            found = []
            for record in records:
                value = record
                for name in fields:
                    value = value.get(name) if isinstance(value, dict) else None
                found.append(value)
            return found
        return [self._find(record, key, first_row, n_records) for record in records]

    def _find(self, document: Any, key: str, first_row: int, n_records: int) -> Any:
        location = getattr(self, key)
        if isinstance(location, int):
            if not isinstance(document, list) or not -len(document) <= location < len(document):
                raise self._error(
                    first_row, n_records, f"has no element {location} for predictor.{key}"
                )
            return document[location]
        return self._compiled[key].search(document)

    # ---------------------------------------------------------------- JSON
    def _json(self, text: str, n_records: int, first_row: int) -> ModelOutput:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._error(first_row, n_records, f"is not JSON ({exc.msg})") from exc

        def per_record(key: str | None) -> list[Any] | None:
            if key is not None and getattr(self, key) is None:
                return None
            if self.one_record_per_request:
                found = document if key is None else self._find(document, key, first_row, 1)
                return [found]
            if key is None:
                found = document
            elif isinstance(getattr(self, key), int):
                if not isinstance(document, list):
                    raise self._error(first_row, n_records, "is not a list of records")
                found = [self._find(item, key, first_row, n_records) for item in document]
            else:
                found = self._find(document, key, first_row, n_records)
            if not isinstance(found, list):
                what = f"predictor.{key}" if key else "the response"
                raise self._error(
                    first_row,
                    n_records,
                    f"gives no list at {what} (must give one entry per record)",
                )
            self._count(len(found), n_records, first_row)
            return found

        labels = per_record("label")
        scores = per_record("probability")
        if labels is None and scores is None:
            labels = per_record(None)
        return ModelOutput(labels, scores)


def parser_for(predictor: Any, content_type: str, one_record_per_request: bool) -> ResponseParser:
    """Build the :class:`ResponseParser` a predictor config asks for (validating it)."""
    accept = response_accept_type(predictor, content_type)
    return ResponseParser(
        accept,
        _location(predictor.label, "label", accept),
        _location(predictor.probability, "probability", accept),
        one_record_per_request,
    )
