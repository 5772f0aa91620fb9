"""One captured event → its records: features, ground-truth label, predicted label.

What each attribute means is monitor contract §3.1; this module applies it:

* **features** — a CSV request is one record per line (monitor Q10), its cells as
  written (so that the dataset is parsed exactly as the baseline's CSV was); a JSON
  request gives ``FeaturesAttribute`` (or, without it, the whole document): a list
  of values is one record, a list of lists is one record per inner list; a JSON
  Lines request is one record per line.  Batch-transform records hold the joined
  input: for JSON ``FeaturesAttribute`` applies to the top level and the response
  is ``SageMakerOutput``; for CSV the first ``n_features`` cells are the features
  and the rest is the response (monitor Q9).
* **predicted label** — the response is read by the same
  :class:`~openclarify.predict.parse.ResponseParser` that reads a model's answers
  during an ordinary job, with ``InferenceAttribute`` as ``predictor.label`` and
  ``ProbabilityAttribute`` as ``predictor.probability``, and interpreted by
  :func:`~openclarify.predict.output.predicted_column`: a label where one is given
  (the label of the highest score for lists of labels and scores), else the score,
  which the bias analysis turns into a positive prediction with
  ``score > ProbabilityThresholdAttribute`` exactly as for a score column.
* **label** — ``groundTruthData``: CSV data is one label per line; JSON data gives
  ``$.label`` as a JMESPath (``instances[*].label``), or is the label itself when
  the expression finds nothing (``$.label`` is then a header name).

An event whose parts disagree on the number of records (three feature rows, two
labels) is not an error: it is dropped, counted and logged (:class:`Skip`).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..errors import DatasetError, PredictorError
from ..predict.output import ModelOutput, predicted_column
from ..predict.parse import ResponseParser, parse_csv_field
from .attributes import CaptureAttributes
from .capture import Event, Payload

__all__ = ["CSV", "JSON", "JSONLINES", "RowReader", "Skip", "payload_family"]

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
_JSON_TYPES = {JSON, "application/x-json", "text/json"}
_JSONLINES_TYPES = {JSONLINES, "application/x-jsonlines", "application/jsonl"}


class Skip(Exception):
    """This event is left out; ``reason`` (no data values) is counted and logged."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def payload_family(payload: Payload, where: str, what: str) -> str:
    """``text/csv``, ``application/json`` or ``application/jsonlines`` for a payload.

    Raises
    ------
    DatasetError
        Another content type (an image, ``application/x-npy`` …), naming where.
    """
    content_type = payload.content_type
    if content_type is None or content_type == CSV:
        return CSV
    if content_type in _JSON_TYPES:
        return JSON
    if content_type in _JSONLINES_TYPES:
        return JSONLINES
    raise DatasetError(
        where,
        f"{what} has content type '{content_type[:60]}'; monitoring reads text/csv, "
        "application/json and application/jsonlines",
        "send tabular requests as CSV or JSON, or leave this endpoint unmonitored",
    )


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Skip(f"{what} is not JSON ({exc.msg})") from None


def _records(found: Any, what: str) -> list[list[Any]]:
    """A list of values (one record) or a list of lists (several) as records."""
    if isinstance(found, list) and found and all(isinstance(r, list) for r in found):
        return [list(r) for r in found]
    if isinstance(found, list) and not any(isinstance(v, list | dict) for v in found):
        return [list(found)] if found else []
    raise Skip(f"{what} does not give a list of feature values (or a list of such lists)")


class RowReader:
    """Turns events into records (module docstring).

    Parameters
    ----------
    attributes:
        The capture attributes.
    label:
        ``$.label`` of the analysis config (a JMESPath for JSON ground truth).
    n_features:
        Features per record, when known (batch CSV output needs it to split the
        line into features and response).
    typed:
        CSV label text becomes numbers (the records go to a JSON Lines file);
        ``False`` keeps the text (they go to a CSV file, parsed as the baseline's was).
    """

    def __init__(
        self,
        attributes: CaptureAttributes,
        label: str | int | None,
        n_features: int | None,
        typed: bool,
    ) -> None:
        import jmespath

        self.attributes = attributes
        self.n_features = n_features
        self.typed = typed
        self._features = (
            jmespath.compile(attributes.features) if attributes.features is not None else None
        )
        self._label = jmespath.compile(label) if isinstance(label, str) else None
        self._parsers: dict[tuple[str, bool], ResponseParser] = {}

    # ----------------------------------------------------------------- features
    def features(self, event: Event, family: str) -> list[list[Any]]:
        """The event's feature records (a list of value lists)."""
        text = event.request.text
        if event.batch == "csv":
            return [self._batch_csv_split(event)[0]]
        if family == CSV:
            return _csv_rows(text)
        if family == JSONLINES:
            records: list[list[Any]] = []
            for line in text.splitlines():
                if line.strip():
                    records.extend(self._json_features(_json(line, "a request line")))
            return records
        return self._json_features(_json(text, "the request"))

    def _json_features(self, document: Any) -> list[list[Any]]:
        found = self._features.search(document) if self._features is not None else document
        what = (
            f"FeaturesAttribute '{self.attributes.features}'"
            if self._features is not None
            else "the request (no FeaturesAttribute)"
        )
        return _records(found, what)

    def _batch_csv_split(self, event: Event) -> tuple[list[str], str]:
        cells = next(csv.reader(io.StringIO(event.request.text)), [])
        if self.n_features is None:
            raise DatasetError(
                event.where,
                "batch-transform CSV output joins features and model output in one line; "
                "the number of features is unknown",
                "list the feature names (and the label) in $.headers",
            )
        if len(cells) <= self.n_features:
            raise Skip(
                f"batch CSV line has {len(cells)} columns, expected {self.n_features} "
                "features followed by the model output"
            )
        return cells[: self.n_features], _csv_line(cells[self.n_features :])

    # ------------------------------------------------------------ predictions
    def _parser(self, accept: str, one: bool) -> ResponseParser:
        key = (accept, one)
        if key not in self._parsers:
            label, probability = self.attributes.inference, self.attributes.probability
            if accept == CSV:
                for value, name in (
                    (label, "InferenceAttribute"),
                    (probability, "ProbabilityAttribute"),
                ):
                    if isinstance(value, str):
                        raise DatasetError(
                            name,
                            f"must be a 0-based column index for {CSV} responses, found a JMESPath",
                            "give the column of the response as an integer, e.g. 0",
                        )
            self._parsers[key] = ResponseParser(accept, label, probability, one)
        return self._parsers[key]

    def _response(self, event: Event) -> tuple[str, str]:
        """``(accept type, body)`` of the event's response."""
        if event.batch == "csv":
            return CSV, self._batch_csv_split(event)[1]
        if event.batch == "json":
            record = json.loads(event.request.text)
            return JSON, json.dumps(record.get("SageMakerOutput"))
        if event.response is None:
            raise DatasetError(
                event.where,
                "has no 'endpointOutput' (the response), which holds the predictions",
                "enable capture of the output (CaptureOptions ['Input', 'Output'])",
            )
        return payload_family(event.response, event.where, "endpointOutput"), event.response.text

    def _output(self, accept: str, body: str, n_records: int) -> ModelOutput:
        parser = self._parser(accept, n_records == 1 and accept == JSON)
        return parser.parse(body.encode("utf-8"), n_records, 1)

    def _csv_outputs(self, bodies: list[tuple[int, str, int]]) -> dict[int, ModelOutput]:
        """CSV responses of many events read in one pass, when that equals reading each.

        It does when every body holds exactly its event's number of lines and no
        quote (a quoted field could hold a line break): the lines are then the same
        lines in the same order, and the parser reads each line on its own.
        """
        eligible = [
            (i, body, n)
            for i, body, n in bodies
            if '"' not in body and sum(1 for line in body.splitlines() if line.strip()) == n
        ]
        if len(eligible) < 2:
            return {}
        total = sum(n for _, _, n in eligible)
        try:
            output = self._output(CSV, "\n".join(body for _, body, _ in eligible), total)
        except PredictorError:
            return {}  # read one by one, so that the failing event is the one skipped
        outputs, start = {}, 0
        for i, _, n in eligible:
            outputs[i] = ModelOutput(
                output.labels[start : start + n] if output.labels is not None else None,
                output.scores[start : start + n] if output.scores is not None else None,
            )
            start += n
        return outputs

    def predictions(self, items: list[tuple[Event, int]]) -> list[list[Any] | Skip]:
        """One predicted label (or score) per record of each event, from its captured response.

        ``items`` are ``(event, number of records)``; the answer for an event whose
        response cannot be read is a :class:`Skip`.  Many events are read at once
        (CSV bodies in one parse, every output in one :func:`predicted_column`),
        which gives what reading each on its own gives, at a fraction of the cost.
        """
        found: list[list[Any] | Skip | None] = [None] * len(items)
        bodies: list[tuple[int, str, str, int]] = []
        for i, (event, n) in enumerate(items):
            try:
                accept, body = self._response(event)
            except Skip as skip:
                found[i] = skip
                continue
            bodies.append((i, accept, body, n))
        outputs = self._csv_outputs([(i, b, n) for i, a, b, n in bodies if a == CSV])
        for i, accept, body, n in bodies:
            if i not in outputs:
                try:
                    outputs[i] = self._output(accept, body, n)
                except PredictorError as exc:
                    found[i] = Skip(f"response: {exc.problem}")
        order = sorted(outputs)
        try:
            column = predicted_column(ModelOutput.concat([outputs[i] for i in order]), None)
            values = column.tolist()
            start = 0
            for i in order:
                n = items[i][1]
                found[i] = values[start : start + n]
                start += n
        except PredictorError:  # one by one: only the events that fail are skipped
            for i in order:
                try:
                    found[i] = list(predicted_column(outputs[i], None).tolist())
                except PredictorError as exc:
                    found[i] = Skip(f"response: {exc.problem}")
        return [value if value is not None else Skip("no response") for value in found]

    # ------------------------------------------------------------------ labels
    def labels(self, truth: Payload, n_records: int) -> list[Any]:
        """One ground-truth label per record (monitor Q10: counts must match)."""
        if truth.content_type in (None, CSV):
            rows = _csv_rows(truth.text)
            if any(len(row) != 1 for row in rows):
                raise Skip("ground truth CSV data must hold one label per line")
            values: list[Any] = [
                parse_csv_field(row[0]) if self.typed else row[0].strip() for row in rows
            ]
        else:
            document = _json(truth.text, "ground truth data")
            found = self._label.search(document) if self._label is not None else None
            if found is None:
                found = document
            values = found if isinstance(found, list) else [found]
        if len(values) != n_records:
            raise Skip(f"ground truth has {len(values)} labels for {n_records} records")
        if any(isinstance(v, list | dict) or v is None for v in values):
            raise Skip("ground truth label is null, a list or an object")
        return values
