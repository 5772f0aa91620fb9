"""Request bodies by ``content_type`` (contract §7.2).

A batch of rows is a DataFrame holding the model's features only
(:attr:`openclarify.data.table.BiasTable.feature_columns`, in dataset order):
never the label, predicted label, join, excluded or facet-dataset columns.
How single values are written — numbers in their shortest exact form,
strings quoted or escaped, missing values — is in :mod:`openclarify.predict.tokens`.

``text/csv``
    One line per record, values comma-separated, no header.  Strings are
    quoted only when they need it (a comma, a double quote or a line break
    inside, as the :mod:`csv` module's ``QUOTE_MINIMAL``), numbers read back
    exactly, a missing value is an empty field.
``application/jsonlines``
    One line per record: ``content_template`` with ``$features`` replaced by the
    JSON array of the record's values (``{"data":{"features":$features}}`` ⇒
    ``{"data":{"features":[1,2,3,4]}}``); ``$feature_names`` is replaced by the
    JSON array of the feature names.
``application/json``
    ``content_template`` contains ``$records`` (replaced by the JSON array of all
    rendered records) or ``$record`` (exactly one record per request, which
    forces batches of one row).  Each record is ``record_template`` with
    ``$features`` (array of values), ``$feature_names`` (array of names),
    ``$features_kvp`` (one object name → value) or per-feature placeholders
    ``"${Name}"`` — the quotes belong to the placeholder and the whole
    ``"${Name}"`` is replaced by the JSON value, so ``{"age": "${Age}"}`` becomes
    ``{"age": 39}``.  ``content_template`` may use ``$feature_names`` too.

JSON is written compactly (no spaces, UTF-8, not ASCII-escaped); a missing
value (NaN, None, NA) is ``null``.

Templates are checked up front (:func:`check_templates`, before any data is
read; :func:`serializer_for` once the feature names are known): a missing
placeholder, an unknown feature name or a template that does not render valid
JSON is a :class:`~openclarify.errors.ConfigError` naming its JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError
from .images import IMAGE_CONTENT_TYPES, IMAGE_DATASET, ImageSerializer, image_content_type
from .tokens import CSV_DIALECT, JSON_DIALECT, join, join_lines, token_columns, wrap

__all__ = [
    "CSV",
    "JSON",
    "JSONLINES",
    "SUPPORTED_TYPES",
    "Serializer",
    "check_templates",
    "python_rows",
    "request_content_type",
    "serializer_for",
]

CSV: Final = "text/csv"
JSONLINES: Final = "application/jsonlines"
JSON: Final = "application/json"
#: Tabular request and response formats (images: :mod:`openclarify.predict.images`).
SUPPORTED_TYPES: Final = (CSV, JSONLINES, JSON)

_CONTENT_TEMPLATE = "$.predictor.content_template"
_RECORD_TEMPLATE = "$.predictor.record_template"

# Longest alternatives first: "$features" must not eat "$features_kvp".
_PLACEHOLDER = re.compile(
    r'"\$\{(?P<name>[^}"]*)\}"'
    r"|\$(?P<word>features_kvp|feature_names|features|records|record)(?![A-Za-z0-9_])"
)
_UNQUOTED_FIELD = re.compile(r'(?<!")\$\{[^}"]*\}|\$\{[^}"]*\}(?!")')

FEATURES: Final = "features"
FEATURE_NAMES: Final = "feature_names"
FEATURES_KVP: Final = "features_kvp"
RECORD: Final = "record"
RECORDS: Final = "records"
FIELD: Final = "field"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)  # timestamps, decimals: their text form


@dataclass(frozen=True)
class _Template:
    """A template split into literal text and placeholders."""

    literals: tuple[str, ...]  # len(placeholders) + 1 pieces of literal text
    placeholders: tuple[tuple[str, str], ...]  # (kind, feature name or "")

    @classmethod
    def parse(cls, text: str) -> _Template:
        literals: list[str] = []
        placeholders: list[tuple[str, str]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            literals.append(text[position : match.start()])
            if match.group("name") is not None:
                placeholders.append((FIELD, match.group("name")))
            else:
                placeholders.append((match.group("word"), ""))
            position = match.end()
        literals.append(text[position:])
        return cls(tuple(literals), tuple(placeholders))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.placeholders]

    def render(self, values: dict[str, str], fields: Sequence[str] = ()) -> str:
        """Fill every placeholder; ``fields`` are the rendered ``"${Name}"`` values in order."""
        pieces = [self.literals[0]]
        field_values = iter(fields)
        for (kind, _), literal in zip(self.placeholders, self.literals[1:], strict=True):
            pieces.append(next(field_values) if kind == FIELD else values[kind])
            pieces.append(literal)
        return "".join(pieces)


def request_content_type(predictor: Any, dataset_type: str) -> str:
    """``predictor.content_type``, defaulting to the dataset type (contract §7.5).

    Image datasets take ``image/jpeg`` (default), ``image/png`` or
    ``application/x-npy`` (:func:`~openclarify.predict.images.image_content_type`).

    Raises
    ------
    ConfigError
        When the type is not one this version can send, or cannot be defaulted
        (Parquet datasets need an explicit ``content_type``).
    """
    content_type = predictor.content_type
    if dataset_type == IMAGE_DATASET:
        return image_content_type(content_type)
    if content_type is None:
        if dataset_type not in SUPPORTED_TYPES:
            raise ConfigError(
                "$.predictor.content_type",
                f"is required for {dataset_type} datasets (the model cannot be sent that format)",
                "set it to text/csv, application/jsonlines or application/json",
            )
        return dataset_type
    if content_type not in SUPPORTED_TYPES:
        raise ConfigError(
            "$.predictor.content_type",
            f"not supported yet: {content_type} requests",
            "use text/csv, application/jsonlines or application/json",
        )
    return str(content_type)


def _template_text(value: Any, path: str, content_type: str) -> str:
    if value is None:
        raise ConfigError(
            path,
            f"is required when the model is sent {content_type}",
            "set e.g. "
            + (
                '"{\\"features\\":$features}"'
                if path == _CONTENT_TEMPLATE and content_type == JSONLINES
                else '"$records"'
                if path == _CONTENT_TEMPLATE
                else '"$features"'
            ),
        )
    if not isinstance(value, str):
        raise ConfigError(
            path,
            "not supported yet: a template given as an object",
            "give the template as a string",
        )
    if _UNQUOTED_FIELD.search(value):
        raise ConfigError(
            path,
            "has a per-feature placeholder ${Name} without its surrounding quotes",
            'write it as "${Name}" (the quotes belong to the placeholder)',
        )
    return value


def _check_renders_json(template: _Template, path: str, sample: dict[str, str]) -> None:
    fields = ["0" for kind in template.kinds() if kind == FIELD]
    text = template.render(sample, fields)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            path,
            f"does not render valid JSON ({exc.msg} at character {exc.pos} of the rendered text)",
            "check quotes and brackets around the placeholders",
        ) from exc


_SAMPLE = {
    FEATURES: "[0,1]",
    FEATURE_NAMES: '["a","b"]',
    FEATURES_KVP: '{"a":0,"b":1}',
    RECORD: "[0,1]",
    RECORDS: "[[0,1]]",
}


def _check_kinds(template: _Template, path: str, allowed: set[str], what: str) -> None:
    unexpected = sorted({k for k in template.kinds() if k not in allowed})
    if unexpected:
        names = ", ".join("${Name}" if k == FIELD else f"${k}" for k in unexpected)
        raise ConfigError(
            path, f"{what} cannot use {names}", "remove it or move it to the other template"
        )


def check_templates(predictor: Any, content_type: str) -> tuple[_Template | None, _Template | None]:
    """Validate ``content_template`` / ``record_template`` for ``content_type``.

    Parameters
    ----------
    predictor:
        The :class:`~openclarify.config.PredictorConfig`.
    content_type:
        The effective request type (:func:`request_content_type`).

    Returns
    -------
    tuple
        The parsed content and record templates (``None`` where unused).

    Raises
    ------
    ConfigError
        A required template is missing or lacks its placeholder, uses a
        placeholder that does not belong there, or does not render valid JSON.
    """
    if content_type == CSV or content_type in IMAGE_CONTENT_TYPES:
        return None, None
    content = _Template.parse(
        _template_text(predictor.content_template, _CONTENT_TEMPLATE, content_type)
    )
    kinds = content.kinds()
    if content_type == JSONLINES:
        if FEATURES not in kinds:
            raise ConfigError(
                _CONTENT_TEMPLATE,
                "must contain $features for application/jsonlines requests",
                'e.g. "{\\"features\\":$features}"',
            )
        _check_kinds(content, _CONTENT_TEMPLATE, {FEATURES, FEATURE_NAMES}, "a JSON Lines template")
        _check_renders_json(content, _CONTENT_TEMPLATE, _SAMPLE)
        return content, None
    n_record = kinds.count(RECORD) + kinds.count(RECORDS)
    if n_record != 1:
        raise ConfigError(
            _CONTENT_TEMPLATE,
            "must contain exactly one $record or $records for application/json requests"
            + (f" (found {n_record})" if n_record else ""),
            'e.g. "$records" or "{\\"instances\\":$records}"',
        )
    _check_kinds(content, _CONTENT_TEMPLATE, {RECORD, RECORDS, FEATURE_NAMES}, "content_template")
    _check_renders_json(content, _CONTENT_TEMPLATE, _SAMPLE)
    record = _Template.parse(
        _template_text(predictor.record_template, _RECORD_TEMPLATE, content_type)
    )
    record_kinds = record.kinds()
    if not {FEATURES, FEATURES_KVP, FIELD} & set(record_kinds):
        raise ConfigError(
            _RECORD_TEMPLATE,
            'must contain $features, $features_kvp or per-feature placeholders "${Name}"',
            'e.g. "$features" or "$features_kvp"',
        )
    if record_kinds.count(FEATURES_KVP) > 1:
        raise ConfigError(_RECORD_TEMPLATE, "may contain $features_kvp only once")
    _check_kinds(
        record, _RECORD_TEMPLATE, {FEATURES, FEATURE_NAMES, FEATURES_KVP, FIELD}, "record_template"
    )
    _check_renders_json(record, _RECORD_TEMPLATE, _SAMPLE)
    return content, record


def python_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values; missing values become ``None``.

    Column by column ``Series.tolist`` (C speed), so floats are Python floats
    whose ``repr`` round-trips exactly and ints stay ints.
    """
    columns: list[list[Any]] = []
    for name in frame.columns:
        series = frame[name]
        values = series.tolist()
        missing = series.isna().to_numpy()
        if missing.any():
            for i in np.flatnonzero(missing):
                values[i] = None
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else [() for _ in range(len(frame))]


class Serializer:
    """Turns a batch of feature rows into one request body.

    Parameters
    ----------
    content_type:
        ``text/csv``, ``application/jsonlines`` or ``application/json``.
    feature_names:
        The feature columns, in the order sent.
    content_template, record_template:
        Parsed templates (see :func:`check_templates`).

    Attributes
    ----------
    one_record_per_request:
        True for a ``$record`` template: every batch must be one row.
    """

    def __init__(
        self,
        content_type: str,
        feature_names: Sequence[str],
        content_template: _Template | None = None,
        record_template: _Template | None = None,
    ) -> None:
        self.content_type = content_type
        self.feature_names = list(feature_names)
        self._content = content_template
        self._record = record_template
        self._names_json = _json(self.feature_names)
        # '"name":' prefixes of $features_kvp members
        self._keys = [_json(name) + ":" for name in self.feature_names]
        index = {name: i for i, name in enumerate(self.feature_names)}
        self._field_index: list[int] = []
        if record_template is not None:
            for kind, name in record_template.placeholders:
                if kind != FIELD:
                    continue
                if name not in index:
                    shown = ", ".join(repr(n) for n in self.feature_names[:12])
                    raise ConfigError(
                        _RECORD_TEMPLATE,
                        f'placeholder "${{{name}}}" names no feature (features: {shown}'
                        + (" …)" if len(self.feature_names) > 12 else ")"),
                        "use the feature column names exactly as in the dataset headers",
                    )
                self._field_index.append(index[name])
        self.one_record_per_request = (
            content_type == JSON
            and content_template is not None
            and RECORD in content_template.kinds()
        )

    def serialize(self, rows: pd.DataFrame) -> bytes:
        """The request body for ``rows`` (UTF-8 bytes)."""
        if self.content_type == CSV:
            tokens = token_columns(rows, CSV_DIALECT)
            if len(tokens) == 1:  # a lone empty field would make an empty line
                tokens = [pc.if_else(pc.equal(tokens[0], ""), '""', tokens[0])]
            return join_lines(join(tokens, ","), "\n") + b"\n" if len(rows) else b""
        assert self._content is not None  # checked by serializer_for
        tokens = token_columns(rows, JSON_DIALECT)
        features = wrap("[", join(tokens, ","), "]")
        if self.content_type == JSONLINES:
            lines = self._render(self._content, {FEATURES: features}, tokens)
            return join_lines(lines, "\n") + b"\n" if len(rows) else b""
        records = self._render(self._record, {FEATURES: features}, tokens)  # type: ignore[arg-type]
        if self.one_record_per_request:
            if len(rows) != 1:
                raise ValueError(f"a $record template takes one row per request, got {len(rows)}")
            body = self._content.render(
                {RECORD: records[0].as_py(), FEATURE_NAMES: self._names_json}
            )
        else:
            joined = "[" + join_lines(records, ",").decode("utf-8") + "]"
            body = self._content.render({RECORDS: joined, FEATURE_NAMES: self._names_json})
        return body.encode("utf-8")

    def _render(
        self, template: _Template, values: dict[str, pa.Array], tokens: list[pa.Array]
    ) -> pa.Array:
        """``template`` for every row: literal text, constants and per-row columns."""
        parts: list[pa.Array | str] = [template.literals[0]]
        fields = iter(self._field_index)
        for (kind, _), literal in zip(template.placeholders, template.literals[1:], strict=True):
            if kind == FIELD:
                parts.append(tokens[next(fields)])
            elif kind == FEATURE_NAMES:
                parts.append(self._names_json)
            elif kind == FEATURES_KVP:
                members = [
                    wrap(key, token, "") for key, token in zip(self._keys, tokens, strict=True)
                ]
                parts.append(wrap("{", join(members, ","), "}"))
            else:
                parts.append(values[kind])
            parts.append(literal)
        parts = [p for p in parts if not (isinstance(p, str) and p == "")]
        if not any(isinstance(p, pa.Array) for p in parts):  # a constant template
            n = len(tokens[0]) if tokens else 0
            return pa.array(["".join(str(p) for p in parts)] * n, type=pa.string())
        return join(parts, "")


def serializer_for(
    predictor: Any, dataset_type: str, feature_names: Sequence[str]
) -> Serializer | ImageSerializer:
    """Build the :class:`Serializer` (an :class:`ImageSerializer` for images) a config asks for.

    Raises
    ------
    ConfigError
        See :func:`request_content_type`, :func:`check_templates`; also when a
        ``"${Name}"`` placeholder names no feature column.
    """
    content_type = request_content_type(predictor, dataset_type)
    if dataset_type == IMAGE_DATASET:
        extension = predictor.openclarify
        batch = extension is not None and extension.npy_batch is True
        return ImageSerializer(content_type, npy_batch=batch)
    content, record = check_templates(predictor, content_type)
    return Serializer(content_type, feature_names, content, record)
