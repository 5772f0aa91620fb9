"""What a model returned (:class:`ModelOutput`), and the predicted label and scores it gives.

:mod:`openclarify.predict.parse` reads a response body into a :class:`ModelOutput`
(an in-process model builds one directly); this module says what the outputs mean.

The predicted label (:func:`predicted_column`), in this order of preference
(contract §7.4; the order is our decision where the contract marks it [INF]):

1. ``label`` gives one value per record ⇒ those values, as the model wrote
   them (also when ``probability`` is given: the model's own decision wins).
2. ``label`` gives a list per record and ``probability`` a list of scores ⇒
   the label at the arg-max of the scores.
3. A score vector per record — from ``probability``, from the whole output, or
   from ``label`` alone (the SDK stores a bare ``model_scores`` as
   ``predictor.label``, contract §3.2) ⇒ ``label_headers[argmax]``, or the
   arg-max index when there are no ``label_headers``.  Ties go to the first
   maximum.  A vector of one score is a single score.
4. A single score per record from ``probability`` ⇒ the score itself, as a
   float column: the bias analysis turns it into a positive prediction with
   ``score > probability_threshold`` when the label is categorical
   (:func:`openclarify.bias.analysis.resolve_labels`), exactly as it does for a
   precomputed probability column.  A single value from ``label`` alone (or
   the whole output) is kept as written: a float in [0, 1] next to a
   categorical label is then also a score compared with the threshold, a
   class value is a label.
5. Regression: the numeric prediction is kept as is and judged with the
   label's threshold interval by the bias analysis.

So the column this module returns is exactly the column a user would have put
into the dataset and named in ``predicted_label``; a job with a predictor and
the same job with that column give identical bias results.

A ``null`` prediction, a non-numeric score, a score vector whose length
differs from ``label_headers`` and a record whose output mixes kinds are
errors naming the row (1-based, in dataset order) — never a data value.

The scores that SHAP and PDP explain: :func:`score_matrix`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import PredictorError

__all__ = ["ModelOutput", "predicted_column", "score_matrix"]

_WHERE = "$.predictor"


@dataclass(frozen=True)
class ModelOutput:
    """What a model returned for consecutive records.

    Attributes
    ----------
    labels:
        One entry per record from ``predictor.label`` (or the whole output when
        neither ``label`` nor ``probability`` is configured); scalars or lists.
    scores:
        One entry per record from ``predictor.probability``; scalars or lists.
    """

    labels: list[Any] | None
    scores: list[Any] | None

    def __len__(self) -> int:
        values = self.labels if self.labels is not None else self.scores
        return len(values) if values is not None else 0

    @staticmethod
    def concat(parts: Sequence[ModelOutput]) -> ModelOutput:
        """Join outputs of consecutive batches, in order."""

        def join(values: list[list[Any] | None]) -> list[Any] | None:
            if all(v is None for v in values):
                return None
            joined: list[Any] = []
            for v in values:
                joined.extend(v if v is not None else [])
            return joined

        return ModelOutput(join([p.labels for p in parts]), join([p.scores for p in parts]))


# ------------------------------------------------------------ predicted label


def _row_error(row: int, problem: str, fix: str | None = None) -> PredictorError:
    return PredictorError(_WHERE, f"the model's output for row {row} {problem}", fix)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _flatten(value: Any) -> Any:
    """A one-element list is its element (a vector of one score is a score)."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def _scores(vector: list[Any], row: int) -> list[float]:
    out = []
    for value in vector:
        if _is_number(value):
            out.append(float(value))
            continue
        if isinstance(value, str):
            try:
                out.append(float(value))
                continue
            except ValueError:
                pass
        raise _row_error(
            row,
            "has a non-numeric score",
            "point predictor.probability (or predictor.label) at the scores",
        )
    if any(math.isnan(v) for v in out):
        raise _row_error(row, "has a NaN score")
    return out


def _argmax(values: list[float]) -> int:
    best = 0
    for i, value in enumerate(values):
        if value > values[best]:
            best = i
    return best


def _scalar(value: Any, row: int, what: str) -> Any:
    if value is None:
        raise _row_error(row, f"has no {what} (null or missing)")
    if isinstance(value, dict):
        raise _row_error(
            row,
            f"has an object where the {what} should be",
            "point predictor.label or predictor.probability at the value",
        )
    return value


_SCALARS = frozenset({int, float, str, bool})


def _fast_column(output: ModelOutput) -> pd.Series | None:
    """The common cases without a per-row loop; ``None`` sends the rest to the careful path.

    Rule 1 with every label a plain scalar, or rule 4 with every score a
    number (and no NaN).  Anything else — lists, nulls, mixed kinds — goes
    through the per-row rules, which also name the offending row.
    """
    if output.labels is not None:
        kinds = set(map(type, output.labels))
        if kinds <= _SCALARS and (len(kinds) <= 1 or kinds <= {int, float}):
            return pd.Series(output.labels)
        return None
    if output.scores is not None and set(map(type, output.scores)) <= {int, float}:
        values = np.asarray(output.scores, dtype=np.float64)
        if not np.isnan(values).any():
            return pd.Series(values)
    return None


def predicted_column(
    output: ModelOutput, label_headers: Sequence[Any] | None, first_row: int = 1
) -> pd.Series:
    """The predicted-label (or score) column, by the preference order of the module docstring.

    Parameters
    ----------
    output:
        The model outputs of all rows, in dataset order.
    label_headers:
        ``predictor.label_headers``: class names for score positions.
    first_row:
        Row number (1-based) of ``output``'s first record, for messages.

    Returns
    -------
    pandas.Series
        One value per record, with a default ``RangeIndex``.
    """
    fast = _fast_column(output)
    if fast is not None:
        return fast
    labels = [_flatten(v) for v in output.labels] if output.labels is not None else None
    scores = [_flatten(v) for v in output.scores] if output.scores is not None else None
    headers = list(label_headers) if label_headers else None
    n = len(output)
    values: list[Any] = []
    rules: set[str] = set()  # which rule each record used: they must agree
    for i in range(n):
        row = first_row + i
        label = labels[i] if labels is not None else None
        score = scores[i] if scores is not None else None
        if labels is not None and not isinstance(label, list):  # rule 1
            values.append(_scalar(label, row, "predicted label"))
            rules.add("value")
        elif isinstance(label, list) and isinstance(score, list):  # rule 2
            rules.add("argmax")
            vector = _scores(score, row)
            if len(vector) != len(label):
                raise _row_error(
                    row, f"has {len(label)} labels but {len(vector)} scores", "they must pair up"
                )
            values.append(_scalar(label[_argmax(vector)], row, "predicted label"))
        elif isinstance(label, list) and score is not None:
            raise _row_error(
                row,
                "has a list of labels but a single score",
                "point predictor.probability at the list of scores",
            )
        else:  # rule 3 / 4: scores
            vector_or_score = label if isinstance(label, list) else score
            if isinstance(vector_or_score, list):
                rules.add("argmax")
                vector = _scores(vector_or_score, row)
                if headers is not None:
                    if len(headers) != len(vector):
                        raise _row_error(
                            row,
                            f"has {len(vector)} scores but predictor.label_headers names "
                            f"{len(headers)} classes",
                            "give one label header per score",
                        )
                    values.append(headers[_argmax(vector)])
                else:
                    values.append(_argmax(vector))
            else:
                value = _scalar(vector_or_score, row, "score")
                values.append(_scores([value], row)[0])
                rules.add("score")
    if len(rules) > 1:
        raise PredictorError(
            _WHERE,
            "the model's outputs mix single values with lists (score vectors)",
            "point predictor.label or predictor.probability at one kind of output",
        )
    kinds = {type(v) for v in values}
    if len(kinds) > 1 and not kinds <= {int, float}:
        raise PredictorError(
            _WHERE,
            "the model's predicted labels mix types ("
            + ", ".join(sorted(k.__name__ for k in kinds))
            + ")",
            "make the model return one type of label",
        )
    return pd.Series(values, dtype="float64" if rules == {"score"} else None)


# ------------------------------------------------------------ scores for SHAP / PDP


def score_matrix(output: ModelOutput, first_row: int = 1) -> NDArray[np.float64]:
    """The model scores that SHAP and PDP explain, one row per record (contract §6.4).

    The scores are what ``predictor.probability`` found; when only
    ``predictor.label`` is set (or neither, so the whole output was kept) that
    value is used instead, as Clarify does.  A single number per record gives
    one column; a vector of ``K`` numbers gives ``K`` columns (one explained
    output per class).  Numbers written as strings (``"0.73"`` in CSV) are read.

    Parameters
    ----------
    output:
        The model outputs of consecutive records.
    first_row:
        1-based number of the first record, for messages.

    Returns
    -------
    numpy.ndarray
        ``float64`` of shape ``(n, K)``.

    Raises
    ------
    PredictorError
        A record without a numeric score, a NaN score, or records whose score
        vectors differ in length — naming the first such row, never its value.
    """
    values = output.scores if output.scores is not None else output.labels
    if values is None or len(values) == 0:
        return np.zeros((0, 1))
    kinds = set(map(type, values))
    if kinds <= {int, float}:  # the common case: one number per record
        flat = np.asarray(values, dtype=np.float64)
        if not np.isnan(flat).any():
            return flat[:, None]
    rows: list[list[float]] = []
    for i, value in enumerate(values):
        row = first_row + i
        value = _flatten(value)
        vector = value if isinstance(value, list) else [_scalar(value, row, "score")]
        scores = _scores([_flatten(v) for v in vector], row)
        if rows and len(scores) != len(rows[0]):
            raise _row_error(
                row,
                f"has {len(scores)} scores, earlier records have {len(rows[0])}",
                "make the model return the same number of scores for every record",
            )
        rows.append(scores)
    if rows and not rows[0]:
        raise _row_error(first_row, "has an empty list of scores")
    return np.asarray(rows, dtype=np.float64)
