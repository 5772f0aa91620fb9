"""Models the emulator serves, and SageMaker-style request/response (de)serialization.

Three kinds of model, all with one method ``invoke(Invocation) -> ModelResponse``:

* :class:`SklearnModel` - a real scikit-learn ``LogisticRegression`` (``random_state=0``)
  trained on a deterministic synthetic dataset (:func:`make_dataset`), binary or multiclass;
* :class:`PredictFnModel` - any Python callable ``rows (2-D ndarray) -> scores``, with the
  same (de)serialization (a null model, a constant model for benchmarks, ...);
* :class:`RawModel` - a callable on the raw request bytes, for full control.

A model signals a failure as the model container would (an HTTP 4xx/5xx of its own) by raising
:class:`ModelInvocationError`; the emulator wraps it as SageMaker's ``ModelError`` (424).

Wire formats (:class:`Codec`):

Requests, by ``Content-Type``
    ``text/csv``: one record per line, no header, RFC 4180 quoting.
    ``application/jsonlines``: one JSON value per line: an object with the features at the
    JMESPath ``features_path`` (default ``features``), an object keyed by feature name, or
    a JSON array of values.
    ``application/json``: a JSON array of records, or an object with the records at the
    JMESPath ``records_path`` (default ``instances``), or one record (an object as in JSON
    Lines). A record is a JSON array of values or an object as in JSON Lines. A JSON array
    of scalars is always *one* record (what ``$record`` with ``$features`` renders).

Responses, by ``Accept`` (binary model: score = probability of class 1)
    ``text/csv``: one line per record: ``score`` (or ``label,score`` with ``csv_label``);
    multiclass: ``p0,p1,...`` (or ``label,p0,p1,...``).
    ``application/jsonlines``: ``{"predicted_label": 1, "score": 0.73}`` per line;
    multiclass: ``{"predicted_label": 2, "labels": [0, 1, 2], "score": [p0, p1, p2]}``.
    ``application/json``: ``{"predictions": [<the JSON Lines objects>]}``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

import jmespath
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

CSV = "text/csv"
JSONLINES = "application/jsonlines"
JSON = "application/json"
SUPPORTED = (CSV, JSONLINES, JSON)
_ALIASES = {
    "application/x-jsonlines": JSONLINES,
    "application/jsonl": JSONLINES,
    "application/x-ndjson": JSONLINES,
    "text/x-csv": CSV,
}

DEFAULT_MODEL_NAME = "clarify-test-model"


def media_type(header: str | None) -> str:
    """``'Text/CSV; charset=utf-8'`` -> ``'text/csv'`` (aliases folded; '' when absent)."""
    if not header:
        return ""
    base = header.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def choose_accept(accept: str | None, content_type: str) -> str:
    """The response type for an ``Accept`` header: the first supported entry; for a missing
    or wildcard header the request's type when supported, else CSV. '' when none fits."""
    entries = [media_type(part) for part in (accept or "").split(",") if part.strip()]
    for entry in entries:
        if entry in SUPPORTED:
            return entry
    if not entries or any(entry in ("*/*", "") for entry in entries):
        request_type = media_type(content_type)
        return request_type if request_type in SUPPORTED else CSV
    return ""


# --------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Dataset:
    """A synthetic tabular dataset: numeric features ``X``, integer labels ``y``."""

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]

    def to_frame(self, label: str = "label") -> pd.DataFrame:
        """Features then the label column."""
        frame = pd.DataFrame(self.X, columns=list(self.feature_names))
        frame[label] = self.y
        return frame


def make_dataset(
    n_rows: int = 400, n_features: int = 4, n_classes: int = 2, seed: int = 0
) -> Dataset:
    """Deterministic data: standard-normal features, labels from a noisy linear rule."""
    if n_features < 1 or n_classes < 2 or n_rows < n_classes:
        raise ValueError("need n_features >= 1, n_classes >= 2 and n_rows >= n_classes")
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n_rows, n_features)), 4)
    weights = rng.normal(size=(n_features, n_classes))
    logits = X @ weights + rng.normal(scale=0.5, size=(n_rows, n_classes))
    if n_classes == 2:
        y = (logits[:, 1] - logits[:, 0] > 0).astype(np.int64)
    else:
        y = logits.argmax(axis=1).astype(np.int64)
    y[:n_classes] = np.arange(n_classes)  # every class present, whatever the seed
    names = tuple(f"x{i}" for i in range(n_features))
    return Dataset(X=X, y=y, feature_names=names)


@lru_cache(maxsize=16)
def _trained(
    n_rows: int, n_features: int, n_classes: int, seed: int
) -> tuple[Dataset, LogisticRegression]:
    data = make_dataset(n_rows, n_features, n_classes, seed)
    estimator = LogisticRegression(random_state=0).fit(data.X, data.y)
    return data, estimator


# --------------------------------------------------------------------------------------
# The model interface


class ModelInvocationError(Exception):
    """What a model container answers with an HTTP error of its own (wrapped as ModelError)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Invocation:
    """One InvokeEndpoint request as the model container sees it."""

    body: bytes
    content_type: str
    accept: str | None = None
    custom_attributes: str | None = None
    target_model: str | None = None
    endpoint_name: str = ""


@dataclass(frozen=True)
class ModelResponse:
    body: bytes
    content_type: str
    custom_attributes: str | None = None


@runtime_checkable
class Model(Protocol):
    def invoke(self, invocation: Invocation) -> ModelResponse: ...


@dataclass(frozen=True)
class Codec:
    """Request decoding and response encoding (see the module docstring)."""

    feature_names: tuple[str, ...] | None = None
    features_path: str = "features"
    records_path: str = "instances"
    csv_label: bool = False
    trailing_newline: bool = True

    # -- requests ---------------------------------------------------------------------
    def decode(self, body: bytes, content_type: str | None) -> list[list[Any]]:
        """The records of a request, each a list of feature values (floats where they parse)."""
        kind = media_type(content_type)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ModelInvocationError(400, f"request body is not UTF-8: {error}") from None
        if kind == CSV:
            try:
                rows = [row for row in csv.reader(io.StringIO(text)) if row]
            except csv.Error as error:
                raise ModelInvocationError(400, f"invalid CSV: {error}") from None
            return [[_number(value) for value in row] for row in rows]
        if kind == JSONLINES:
            lines = [line for line in text.splitlines() if line.strip()]
            return [self._record(_loads(line)) for line in lines]
        if kind == JSON:
            return self._records(_loads(text))
        raise ModelInvocationError(415, f"unsupported content type {content_type!r}")

    def count(self, body: bytes, content_type: str | None) -> int | None:
        """Records in a request (CSV, JSON Lines: non-blank lines), or None where a JSON
        body cannot be read."""
        if media_type(content_type) in (CSV, JSONLINES):
            return sum(1 for line in body.splitlines() if line.strip())
        try:
            return len(self.decode(body, content_type))
        except ModelInvocationError:
            return None

    def _records(self, value: Any) -> list[list[Any]]:
        if isinstance(value, list):
            if all(_is_scalar(item) for item in value):
                return [value]
            return [self._record(item) for item in value]
        if isinstance(value, dict):
            records = jmespath.search(self.records_path, value)
            if isinstance(records, list):
                return self._records(records)
            return [self._record(value)]
        raise ModelInvocationError(400, f"cannot read records from a JSON {type(value).__name__}")

    def _record(self, value: Any) -> list[Any]:
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            features = jmespath.search(self.features_path, value)
            if isinstance(features, list):
                return features
            names = self.feature_names
            if names and all(name in value for name in names):
                return [value[name] for name in names]
            raise ModelInvocationError(
                400,
                f"record has no features at {self.features_path!r}"
                + (" nor all feature names" if names else ""),
            )
        raise ModelInvocationError(400, f"a record must be a JSON array or object, got {value!r}")

    # -- responses --------------------------------------------------------------------
    def encode(self, scores: np.ndarray, labels: Sequence[Any], accept: str) -> ModelResponse:
        """Encode per-record ``scores`` (1-D: binary/regression; 2-D: one vector per record)."""
        classes = list(range(scores.shape[1])) if scores.ndim == 2 else None
        if accept == CSV:
            lines = []
            for label, score in zip(labels, scores, strict=True):
                values = [float(v) for v in np.atleast_1d(score)]
                cells = ([_plain(label)] if self.csv_label else []) + [repr(v) for v in values]
                lines.append(",".join(str(cell) for cell in cells))
            return ModelResponse(self._join(lines), CSV)
        objects = []
        for label, score in zip(labels, scores, strict=True):
            item: dict[str, Any] = {"predicted_label": _plain(label)}
            if classes is not None:
                item["labels"] = classes
                item["score"] = [float(v) for v in score]
            else:
                item["score"] = float(score)
            objects.append(item)
        if accept == JSONLINES:
            return ModelResponse(self._join([json.dumps(item) for item in objects]), JSONLINES)
        if accept == JSON:
            return ModelResponse(json.dumps({"predictions": objects}).encode(), JSON)
        raise ModelInvocationError(406, f"unsupported accept type {accept!r}")

    def _join(self, lines: list[str]) -> bytes:
        text = "\n".join(lines)
        return (text + "\n" if self.trailing_newline and lines else text).encode()


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelInvocationError(400, f"invalid JSON: {error}") from None


def _number(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, list | dict)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars (for JSON and CSV)."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------
# Models


PredictFn = Callable[[np.ndarray], Any]


@dataclass
class PredictFnModel:
    """Serves ``predict(rows) -> scores`` with :class:`Codec` (de)serialization.

    ``rows`` is a float ``(n, k)`` array (``object`` when ``numeric=False``). ``scores`` of
    shape ``(n,)`` are binary/regression scores (label ``1`` when ``score > threshold``);
    ``(n, c)`` with ``c >= 2`` are class scores (label = ``classes[argmax]``).
    """

    predict: PredictFn
    codec: Codec = field(default_factory=Codec)
    classes: Sequence[Any] | None = None
    threshold: float = 0.5
    numeric: bool = True

    def invoke(self, invocation: Invocation) -> ModelResponse:
        accept = choose_accept(invocation.accept, invocation.content_type)
        if not accept:
            raise ModelInvocationError(406, f"unsupported accept type {invocation.accept!r}")
        records = self.codec.decode(invocation.body, invocation.content_type)
        scores = self.scores(records)
        return self.codec.encode(scores, self.labels(scores), accept)

    def scores(self, records: list[list[Any]]) -> np.ndarray:
        """What the model computes for decoded records (ModelInvocationError on bad input)."""
        if not records:
            raise ModelInvocationError(400, "the request holds no records")
        try:
            rows = np.asarray(records, dtype=float if self.numeric else object)
            if rows.ndim != 2:
                raise ValueError("records have different numbers of values")
            scores = np.asarray(self.predict(rows), dtype=float)
        except (ValueError, TypeError) as error:
            raise ModelInvocationError(400, str(error)) from None
        if scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores[:, 0]
        if scores.ndim not in (1, 2) or scores.shape[0] != len(records):
            raise ModelInvocationError(
                500, f"model returned scores of shape {scores.shape} for {len(records)} records"
            )
        return scores

    def labels(self, scores: np.ndarray) -> list[Any]:
        if scores.ndim == 1:
            return [int(score > self.threshold) for score in scores]
        classes = list(self.classes) if self.classes is not None else None
        return [
            classes[index] if classes else int(index) for index in scores.argmax(axis=1).tolist()
        ]


class SklearnModel(PredictFnModel):
    """``LogisticRegression(random_state=0)`` fitted on :func:`make_dataset`.

    Binary: the endpoint returns the probability of class 1. Multiclass (``n_classes > 2``):
    the probability vector. ``estimator`` and ``dataset`` are exposed so that tests can
    compute expected predictions without the endpoint (:meth:`expected_scores`).
    """

    def __init__(
        self,
        *,
        n_features: int = 4,
        n_classes: int = 2,
        n_rows: int = 400,
        seed: int = 0,
        csv_label: bool = False,
        features_path: str = "features",
        records_path: str = "instances",
    ) -> None:
        self.dataset, self.estimator = _trained(n_rows, n_features, n_classes, seed)
        codec = Codec(
            feature_names=self.dataset.feature_names,
            features_path=features_path,
            records_path=records_path,
            csv_label=csv_label,
        )
        super().__init__(predict=self.expected_scores, codec=codec, classes=None)

    @property
    def multiclass(self) -> bool:
        return len(self.estimator.classes_) > 2

    def expected_scores(self, rows: Any) -> np.ndarray:
        """What the endpoint returns for ``rows`` (an ``(n, k)`` array-like)."""
        probabilities: np.ndarray = self.estimator.predict_proba(np.asarray(rows, dtype=float))
        return probabilities if self.multiclass else probabilities[:, 1]


@dataclass
class RawModel:
    """A model on raw bytes: ``handler(invocation)`` returns a ModelResponse or the body
    (then sent with the request's media type)."""

    handler: Callable[[Invocation], ModelResponse | bytes]

    def invoke(self, invocation: Invocation) -> ModelResponse:
        result = self.handler(invocation)
        if isinstance(result, ModelResponse):
            return result
        return ModelResponse(result, media_type(invocation.content_type) or CSV)


def as_model(model: Model | PredictFn) -> Model:
    """A Model as is; a bare callable becomes a :class:`PredictFnModel`."""
    if isinstance(model, Model):
        return model
    return PredictFnModel(predict=model)


def change_prediction_count(body: bytes, content_type: str, delta: int) -> bytes:
    """Drop (``delta < 0``) or repeat (``delta > 0``) the last predictions of a response:
    the first list in a JSON body (the body itself or a top-level value such as
    ``predictions``), else the last lines."""
    if media_type(content_type) == JSON:
        try:
            value = json.loads(body)
        except json.JSONDecodeError:
            value = None
        target = value if isinstance(value, list) else None
        if isinstance(value, dict):
            target = next((v for v in value.values() if isinstance(v, list)), None)
        if target is not None:
            _resize(target, delta)
            return json.dumps(value).encode()
    text = body.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    _resize(lines, delta)
    out = "\n".join(lines)
    return (out + "\n" if text.endswith("\n") and lines else out).encode()


def _resize(items: list[Any], delta: int) -> None:
    if delta < 0:
        del items[max(len(items) + delta, 0) :]
    elif items:
        items.extend([items[-1]] * delta)
