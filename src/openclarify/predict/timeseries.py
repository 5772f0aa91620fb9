"""Requests and responses of a forecasting model (time series, contract §6.11, DOC-TSREQ).

A request holds one or several *records*, one per item (or per masked copy of an
item, for the explanations).  ``record_template`` renders a record from the item's
series with four placeholders, each replaced by compact JSON:

``$start_time``
    The item's first timestamp, as written in the dataset (a JSON string when the
    dataset has strings).
``$target_time_series``
    The observed target, a list of numbers (the future steps are not sent); numbers
    in their shortest exact form (``1.0`` is written ``1``, as for tabular requests).
``$related_time_series``
    One list per related series, in config order, over every step including the
    future ones (the covariates the forecast needs).
``$static_covariates``
    The static covariates, one flat list in config order.

``content_template`` holds exactly one ``$record`` (one record per request) or
``$records`` (the JSON array of several records, so that several items travel in
one request; batches are sized by the payload limit as for tabular data).  For
``application/jsonlines`` requests every line is ``content_template`` around one
``$record``, and several lines make a request.

A ``record_template`` that is absent or exactly ``"$record"`` (what
``ModelConfig(record_template="$record")`` writes) is our default record, the
DeepAR request format of the AWS documentation: ``{"start": $start_time,
"target": $target_time_series}`` plus ``"dynamic_feat": $related_time_series``
when related series are configured and ``"cat": $static_covariates`` when static
covariates are.  Clarify's own behaviour for it is not documented; this is the
request its table shows for the same data.

The forecast is ``time_series_predictor_config.forecast``, a JMESPath on the whole
response: for a ``$record`` request it gives that record's forecast (a list of
numbers, e.g. ``predictions.mean``), for ``$records`` one list per record
(``predictions[*].mean``).  Every forecast of a job must have the same length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import jmespath
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from jmespath.exceptions import JMESPathError
from numpy.typing import NDArray

from ..errors import ConfigError, PredictorError
from .parse import ResponseParser
from .serialize import JSON, JSONLINES
from .tokens import JSON_DIALECT, join, token_columns, wrap

if TYPE_CHECKING:
    from ..config import AnalysisConfig, PredictorConfig
    from .output import ModelOutput

__all__ = [
    "RECORD_COLUMN",
    "RecordTemplate",
    "TimeSeriesSerializer",
    "check_time_series_predictor",
    "forecast_matrix",
    "time_series_parser",
    "time_series_serializer",
]

#: The one column of the frames handed to the predictor: rendered records.
RECORD_COLUMN: Final = "record"

_CONTENT = "$.predictor.content_template"
_RECORD = "$.predictor.record_template"
_FORECAST = "$.predictor.time_series_predictor_config.forecast"

START_TIME: Final = "start_time"
TARGET: Final = "target_time_series"
RELATED: Final = "related_time_series"
STATIC: Final = "static_covariates"
_SERIES_WORDS = (START_TIME, TARGET, RELATED, STATIC)
_PLACEHOLDER = re.compile(
    r"\$(?P<word>start_time|target_time_series|related_time_series|static_covariates"
    r"|records|record|features_kvp|feature_names|features)(?![A-Za-z0-9_])"
    r'|"\$\{[^}"]*\}"'
)
_SAMPLE = {
    START_TIME: '"2024-01-01 00:00:00"',
    TARGET: "[1.0,2.0]",
    RELATED: "[[1.0,2.0,3.0]]",
    STATIC: "[0]",
    "record": '{"a":1}',
    "records": '[{"a":1}]',
}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class _Parsed:
    literals: tuple[str, ...]
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> _Parsed:
        literals, words, position = [], [], 0
        for match in _PLACEHOLDER.finditer(text):
            literals.append(text[position : match.start()])
            words.append(match.group("word") or "${Name}")
            position = match.end()
        literals.append(text[position:])
        return cls(tuple(literals), tuple(words))

    def render(self, values: dict[str, str]) -> str:
        pieces = [self.literals[0]]
        for word, literal in zip(self.words, self.literals[1:], strict=True):
            pieces.append(values[word])
            pieces.append(literal)
        return "".join(pieces)


def _check_json(template: _Parsed, path: str) -> None:
    text = template.render(_SAMPLE)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            path,
            f"does not render valid JSON ({exc.msg} at character {exc.pos} of the rendered text)",
            "check quotes and brackets around the placeholders",
        ) from exc


def _default_record(n_related: int, n_static: int) -> str:
    text = '{"start": $start_time, "target": $target_time_series'
    if n_related:
        text += ', "dynamic_feat": $related_time_series'
    if n_static:
        text += ', "cat": $static_covariates'
    return text + "}"


@dataclass(frozen=True)
class RecordTemplate:
    """``record_template`` for one job: renders one record from an item's (masked) series."""

    template: _Parsed

    def render(
        self,
        start: Any,
        target: NDArray[np.float64],
        related: NDArray[np.float64],
        statics: Sequence[Any],
    ) -> str:
        """One record's JSON text (see the module docstring for each placeholder)."""
        cells = np.concatenate([target, related.reshape(-1)])
        shape = (len(target), related.shape[0], related.shape[1])
        present = np.ones((1, len(cells)), dtype=bool)
        return self.render_many(start, cells, cells, present, shape, [tuple(statics)])[0]

    def render_many(
        self,
        start: Any,
        actual: NDArray[np.float64],
        baseline: NDArray[np.float64],
        present: NDArray[np.bool_],
        shape: tuple[int, int, int],
        statics: Sequence[Sequence[Any]],
    ) -> list[str]:
        """The records of one item's masked copies, one per row of ``present``.

        ``actual`` and ``baseline`` are the item's series cells (the target's
        ``T_obs`` steps, then each of the ``R`` related series' ``T`` steps:
        ``shape = (T_obs, R, T)``); a copy takes ``actual`` where ``present``.  Each
        value is written once, by Arrow in C (shortest text that reads back to the
        same double, :mod:`openclarify.predict.tokens`), and the copies are put
        together from those texts: rendering is most of the local work of an
        explanation with many coalitions.
        """
        n_obs, n_series, n_steps = shape
        n, width = present.shape
        values = np.concatenate([actual, baseline])
        (texts,) = token_columns(pd.DataFrame({"v": values}), JSON_DIALECT)
        index = np.where(present, np.arange(width), width + np.arange(width))
        parts: list[pa.Array | str] = [self.template.literals[0]]
        for word, literal in zip(self.template.words, self.template.literals[1:], strict=True):
            if word == START_TIME:
                parts.append(_json(start))
            elif word == TARGET:
                parts.append(_group(pc.take(texts, index[:, :n_obs].reshape(-1)), n, n_obs))
            elif word == RELATED:
                cells = pc.take(texts, index[:, n_obs:].reshape(-1))
                parts.append(_group(_group(cells, n * n_series, n_steps), n, n_series))
            else:
                rows = [_json(list(row)) for row in statics]
                parts.append(rows[0] if len(set(rows)) == 1 else pa.array(rows, pa.string()))
            parts.append(literal)
        parts = [p for p in parts if not (isinstance(p, str) and p == "")]
        if not any(isinstance(p, pa.Array) for p in parts):
            return ["".join(str(p) for p in parts)] * n
        rendered: list[str] = join(parts, "").to_pylist()
        return rendered


def _group(texts: pa.Array, rows: int, width: int) -> pa.Array:
    """``[t1,...,t_width]`` for every consecutive ``width`` texts."""
    if width == 0:
        return pa.array(["[]"] * rows, pa.string())
    offsets = pa.array(np.arange(0, rows * width + 1, width, dtype=np.int32))
    lists = pa.ListArray.from_arrays(offsets, texts)
    return wrap("[", pc.binary_join(lists, ","), "]")


def _content_type(predictor: PredictorConfig) -> str:
    content_type = predictor.content_type or JSON
    if content_type not in (JSON, JSONLINES):
        raise ConfigError(
            "$.predictor.content_type",
            f"must be {JSON} or {JSONLINES} for time-series explanations, found {content_type}",
            f"set it to {JSON}",
        )
    return str(content_type)


def _accept_type(predictor: PredictorConfig, content_type: str) -> str:
    accept = predictor.accept_type or content_type
    if accept not in (JSON, JSONLINES):
        raise ConfigError(
            "$.predictor.accept_type",
            f"must be {JSON} or {JSONLINES} for time-series explanations, found {accept}",
            "return the forecast as JSON and name it in time_series_predictor_config.forecast",
        )
    return str(accept)


def _templates(config: AnalysisConfig) -> tuple[str, _Parsed, RecordTemplate]:
    predictor = config.predictor
    ts = config.time_series_data_config
    assert predictor is not None and ts is not None
    content_type = _content_type(predictor)
    text = predictor.content_template
    if not isinstance(text, str):
        raise ConfigError(
            _CONTENT,
            "is required as a string for time-series explanations",
            'set e.g. "{\\"instances\\": $records}" or "$record"',
        )
    content = _Parsed.parse(text)
    misplaced = sorted({w for w in content.words if w not in ("record", "records")})
    if misplaced:
        raise ConfigError(
            _CONTENT,
            f"cannot use {', '.join('$' + w if w != '${Name}' else w for w in misplaced)} "
            "(content_template holds $record or $records only)",
            "move the series placeholders to record_template",
        )
    n_records = len(content.words)
    if n_records != 1:
        raise ConfigError(
            _CONTENT,
            f"must contain exactly one $record or $records, found {n_records}",
            'e.g. "$record" or "{\\"instances\\": $records}"',
        )
    if content_type == JSONLINES and content.words[0] == "records":
        raise ConfigError(
            _CONTENT,
            f"cannot use $records for {JSONLINES} requests (one record per line)",
            "use $record; several lines make one request",
        )
    _check_json(content, _CONTENT)
    n_related = len(ts.related_time_series or ())
    n_static = len(ts.static_covariates or ())
    record_text = predictor.record_template
    if record_text is None or record_text.strip() == "$record":
        record_text = _default_record(n_related, n_static)
    record = _Parsed.parse(record_text)
    wrong = sorted({w for w in record.words if w not in _SERIES_WORDS})
    if wrong:
        raise ConfigError(
            _RECORD,
            f"cannot use {', '.join('$' + w if w != '${Name}' else w for w in wrong)} for "
            "time series (record_template takes $start_time, $target_time_series, "
            "$related_time_series, $static_covariates)",
            "put $record / $records in content_template and the series placeholders here",
        )
    if TARGET not in record.words:
        raise ConfigError(
            _RECORD,
            "must contain $target_time_series (the model forecasts from the target)",
            'e.g. "{\\"start\\": $start_time, \\"target\\": $target_time_series}"',
        )
    for word, count, key in (
        (RELATED, n_related, "related_time_series"),
        (STATIC, n_static, "static_covariates"),
    ):
        if word in record.words and count == 0:
            raise ConfigError(
                _RECORD,
                f"uses ${word} but $.time_series_data_config.{key} is not set",
                f"add {key} to time_series_data_config or remove ${word}",
            )
    _check_json(record, _RECORD)
    return content_type, content, RecordTemplate(record)


def _forecast_path(config: AnalysisConfig) -> str:
    predictor = config.predictor
    assert predictor is not None
    ts = predictor.time_series_predictor_config
    if ts is None:
        raise ConfigError(
            "$.predictor.time_series_predictor_config",
            "is required for time-series explanations (where the forecast is in the response)",
            'add {"forecast": "predictions[*].mean"} or the JMESPath your model needs',
        )
    try:
        jmespath.compile(ts.forecast)
    except JMESPathError as exc:
        raise ConfigError(
            _FORECAST, f"is not a valid JMESPath ({type(exc).__name__})", "e.g. predictions[*].mean"
        ) from exc
    return ts.forecast


def check_time_series_predictor(config: AnalysisConfig) -> None:
    """Check the templates, types and forecast path before any data is read.

    Raises
    ------
    ConfigError
        With the JSON path of the first problem.
    """
    predictor = config.predictor
    assert predictor is not None
    if predictor.openclarify is not None and predictor.openclarify.model_path is not None:
        raise ConfigError(
            "$.predictor.openclarify.model_path",
            "not supported yet: in-process forecasting models",
            "serve the model over HTTP and set predictor.openclarify.endpoint_url",
        )
    content_type, _, _ = _templates(config)
    _accept_type(predictor, content_type)
    _forecast_path(config)


def record_template(config: AnalysisConfig) -> RecordTemplate:
    """The job's :class:`RecordTemplate` (checked)."""
    return _templates(config)[2]


class TimeSeriesSerializer:
    """Request bodies from frames of rendered records (column :data:`RECORD_COLUMN`).

    Same interface as :class:`~openclarify.predict.serialize.Serializer`, so the
    batching, retries and transports are the tabular ones.
    """

    def __init__(self, content_type: str, content: _Parsed) -> None:
        self.content_type = content_type
        self._content = content
        self.one_record_per_request = content_type == JSON and content.words[0] == "record"

    def serialize(self, rows: pd.DataFrame) -> bytes:
        records = [str(r) for r in rows[RECORD_COLUMN].tolist()]
        word = self._content.words[0]
        if self.content_type == JSONLINES:
            lines = [self._content.render({word: r}) for r in records]
            return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
        if self.one_record_per_request:
            if len(records) != 1:
                raise ValueError(
                    f"a $record template takes one record per request, got {len(records)}"
                )
            return self._content.render({word: records[0]}).encode("utf-8")
        return self._content.render({word: "[" + ",".join(records) + "]"}).encode("utf-8")


def time_series_serializer(config: AnalysisConfig) -> TimeSeriesSerializer:
    """The request side of a forecasting model (checked)."""
    content_type, content, _ = _templates(config)
    return TimeSeriesSerializer(content_type, content)


class ForecastParser(ResponseParser):
    """The tabular parser with the forecast path as its ``label``; errors name the forecast."""

    def _error(self, first_row: int, n_records: int, problem: str) -> PredictorError:
        problem = problem.replace("predictor.label", "the forecast path")
        problem = problem.replace("predictions for", "forecasts for")
        return PredictorError(
            _FORECAST,
            f"the model's {self.accept_type} response to a request of {n_records} "
            f"record(s) {problem}",
            "check time_series_predictor_config.forecast and accept_type against what the "
            "model returns (for $records it must give one forecast per record)",
        )


def time_series_parser(config: AnalysisConfig, serializer: TimeSeriesSerializer) -> ResponseParser:
    """The response side: the forecast JMESPath, read as the tabular parser reads ``label``."""
    predictor = config.predictor
    assert predictor is not None
    accept = _accept_type(predictor, serializer.content_type)
    return ForecastParser(accept, _forecast_path(config), None, serializer.one_record_per_request)


def forecast_matrix(
    output: ModelOutput, n_records: int, horizon: int | None
) -> NDArray[np.float64]:
    """Forecasts as ``float64`` of shape ``(n_records, H)``; every forecast as long.

    Raises
    ------
    PredictorError
        A forecast that is not a non-empty list of numbers, or of another length.
    """
    forecasts = output.labels or []
    width = horizon
    out = None
    for i, forecast in enumerate(forecasts):
        where = f"record {i + 1} of {n_records}"
        if (
            not isinstance(forecast, list)
            or not forecast
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in forecast)
        ):
            found = "nothing" if forecast is None else type(forecast).__name__
            if isinstance(forecast, list):
                found = "a list that is empty or holds non-numbers"
            raise PredictorError(
                _FORECAST,
                f"must give a list of numbers for every record; for {where} it gives {found}",
                "check the JMESPath against the model's response",
            )
        if out is None:
            width = width or len(forecast)
            out = np.empty((n_records, width), dtype=np.float64)
        if len(forecast) != width:
            raise PredictorError(
                _FORECAST,
                f"gives forecasts of {width} and {len(forecast)} steps (must all be as long)",
                "return the same forecast horizon for every request",
            )
        assert out is not None
        out[i] = forecast
    if out is None:
        return np.zeros((0, width or 0))
    return out
