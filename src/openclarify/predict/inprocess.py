"""An in-process model: a pickled / joblib-dumped estimator or callable.

Only with ``predictor.openclarify.model_path`` *and*
``predictor.openclarify.allow_code_execution: true`` — unpickling runs code
from the file, so it is never a default and never inferred.

The model is called directly on the feature rows (no serialisation):

* an object with ``predict_proba`` (a scikit-learn classifier): scores.  Two
  classes ⇒ the score of the second class (``classes_[1]``), a single score
  that the bias analysis compares with ``probability_threshold``, as for an
  endpoint returning one probability.  More classes ⇒ the score vector, whose
  arg-max names the label (``label_headers`` when given, else ``classes_``);
* else an object with ``predict``: its output as is (labels or regression values);
* else a callable: ``model(rows)``; a 1-D result is one output per row, a 2-D
  result a score vector per row.

Rows are passed as a DataFrame when the estimator was fitted with feature
names (``feature_names_in_``), else as a NumPy array, so scikit-learn does
not warn about feature names.

A live object (the DataFrame API's ``model=``, :func:`openclarify.explain`) is
lent to the job by :func:`lent_model`: its ``model_path`` is
``python-object:<token>``, a name that only this process can resolve, and only
inside the ``with`` block — the model is neither pickled nor copied, so a
closure, a lambda or an estimator holding a client works as it is.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError, PredictorError
from .faults import ModelFault
from .output import ModelOutput
from .retry import RetryPolicy, rows_subject
from .serialize import python_rows

__all__ = ["LENT_SCHEME", "InProcessPredictor", "is_lent", "lent_model", "load_model"]

_WHERE = "$.predictor.openclarify.model_path"
#: ``model_path`` prefix of a model lent by the caller (see the module docstring).
LENT_SCHEME: Final = "python-object:"
_LENT: dict[str, Any] = {}


@contextlib.contextmanager
def lent_model(model: Any) -> Iterator[str]:
    """Lend a live model to the jobs run inside the block; yields its ``model_path``."""
    token = secrets.token_hex(8)
    _LENT[token] = model
    try:
        yield f"{LENT_SCHEME}{token}"
    finally:
        del _LENT[token]


def is_lent(path: str | Path) -> bool:
    """True when ``path`` names a model lent by :func:`lent_model` (never a file)."""
    return isinstance(path, str) and path.startswith(LENT_SCHEME)


def load_model(path: str | Path, allow_code_execution: bool) -> Any:
    """Load a pickled or joblib-dumped model.

    Raises
    ------
    ConfigError
        When ``allow_code_execution`` is not true (the config loader already
        refuses this; checked again here because this is where code runs).
    PredictorError
        When the file is missing or cannot be loaded.
    """
    if is_lent(path):
        token = str(path)[len(LENT_SCHEME) :]
        if token not in _LENT:
            raise ConfigError(
                _WHERE,
                "names a Python object that is not lent to this job",
                "pass the model object to openclarify.explain / openclarify.bias (model=...)",
            )
        return _LENT[token]
    if allow_code_execution is not True:
        raise ConfigError(
            _WHERE,
            "loading a pickled model runs code from the file",
            'set "allow_code_execution": true',
        )
    file = Path(path)
    if not file.is_file():
        raise PredictorError(_WHERE, f"no model file at {file}", "give the path of the model file")
    import joblib

    try:
        return joblib.load(file)
    except Exception as exc:  # any unpickling failure is the file's, not ours
        raise PredictorError(
            _WHERE,
            f"cannot load the model file {file.name} ({type(exc).__name__})",
            "dump the model with joblib.dump or pickle, with the same library versions",
        ) from exc


class InProcessPredictor:
    """Calls a loaded model on batches of rows.

    Parameters
    ----------
    model:
        Estimator or callable (see the module docstring).
    label_headers:
        Class names for score positions; defaults to ``model.classes_``.
    """

    max_batch_rows: int | None = None

    def __init__(self, model: Any, label_headers: list[Any] | None = None) -> None:
        self.model = model
        self._policy = RetryPolicy(max_attempts=1, model_error_attempts=1)
        classes = getattr(model, "classes_", None)
        self.label_headers = label_headers or (
            [c.item() if isinstance(c, np.generic) else c for c in classes]
            if classes is not None
            else None
        )

    @property
    def description(self) -> str:
        return f"in-process model {type(self.model).__name__}"

    def request_bytes(self, rows: pd.DataFrame) -> int | None:
        return None

    def predict(self, rows: pd.DataFrame, first_row: int) -> ModelOutput:
        return self._policy.call(
            lambda: self._call(rows),
            target=self.description,
            subject=rows_subject(first_row, len(rows)),
            row_values=lambda: [v for row in python_rows(rows) for v in row],
        )

    def _call(self, rows: pd.DataFrame) -> ModelOutput:
        model = self.model
        data: Any = rows if hasattr(model, "feature_names_in_") else rows.to_numpy()
        try:
            if hasattr(model, "predict_proba"):
                scores = np.asarray(model.predict_proba(data), dtype=np.float64)
                if scores.ndim == 2 and scores.shape[1] == 2:
                    return ModelOutput(None, scores[:, 1].tolist())
                return ModelOutput(None, scores.tolist())
            if hasattr(model, "predict"):
                result = np.asarray(model.predict(data))
            elif callable(model):
                result = np.asarray(model(rows))
            else:
                raise PredictorError(
                    _WHERE,
                    f"the loaded {type(model).__name__} has no predict_proba or predict and is not callable",
                )
        except PredictorError:
            raise
        except Exception as exc:
            raise ModelFault(f"{type(exc).__name__}: {exc}") from exc
        if result.ndim not in (1, 2) or len(result) != len(rows):
            raise PredictorError(
                _WHERE,
                f"the in-process model returned {result.size} values for {len(rows)} rows "
                f"(shape {result.shape})",
                "return one prediction (or one score vector) per row",
            )
        if result.ndim == 2:
            return ModelOutput(None, result.tolist())
        return ModelOutput(result.tolist(), None)
