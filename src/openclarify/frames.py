"""DataFrames in: :func:`bias` and :func:`explain` on a pandas DataFrame or a pyarrow Table.

Both build an ``analysis_config.json`` document from their arguments, validate it
with the config models (:func:`openclarify.config.load_config`, so an argument
error is the same :class:`~openclarify.errors.ConfigError` a file would give,
naming the JSON path), write the table once as Parquet into a temporary folder and
run the one job path (:func:`openclarify.job.analyze`).  There is no second
pipeline: for the same data and config, the result's ``analysis.json`` is the
file-based job's, byte for byte.

Why Parquet: it keeps the table's column types exactly (int64 stays int64, a
string column stays strings), where CSV would make the reader guess them again.
A model passed as ``model=`` is lent to the job in-process
(:func:`openclarify.predict.inprocess.lent_model`): never pickled, never copied.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, DatasetError

if TYPE_CHECKING:
    from .results import AnalysisResult

__all__ = ["bias", "explain"]

#: The report section the SDK always sends; set so that ``result.report()`` has
#: the statistics a job's report has (they are computed while the table is loaded).
_REPORT = {"name": "report", "title": "Analysis Report"}
_DATA_FILE = "data.parquet"


def _facets(
    facet: str | Sequence[str] | Mapping[str, Sequence[Any] | None],
    facet_values: Sequence[Any] | None,
) -> list[dict[str, Any]]:
    """``$.facet`` from a name, a list of names, or a mapping name → values."""
    if isinstance(facet, Mapping):
        if facet_values is not None:
            raise ConfigError(
                "facet_values",
                "cannot be combined with a facet mapping",
                "put each facet's values in the mapping: facet={'name': [values]}",
            )
        items = list(facet.items())
    elif isinstance(facet, str | int):
        items = [(facet, facet_values)]
    else:
        if facet_values is not None:
            raise ConfigError(
                "facet_values",
                "applies to one facet, but several facets were given",
                "use a mapping: facet={'a': [values], 'b': None}",
            )
        items = [(name, None) for name in facet]
    out = []
    for name, values in items:
        entry: dict[str, Any] = {"name_or_index": name}
        if values is not None:
            entry["value_or_threshold"] = list(values)
        out.append(entry)
    return out


def _split_methods(
    methods: str | Sequence[str], post: bool
) -> tuple[str | list[str] | None, str | list[str] | None]:
    """Pre- and post-training metric lists from one list (each code belongs to one stage)."""
    from .config import POST_TRAINING_METRICS, PRE_TRAINING_METRICS

    if isinstance(methods, str):
        if methods != "all":
            raise ConfigError(
                "methods", f"expected 'all' or a list of metric codes, found {methods!r}"
            )
        return "all", ("all" if post else None)
    pre = [m for m in methods if m in PRE_TRAINING_METRICS]
    post_codes = [m for m in methods if m in POST_TRAINING_METRICS]
    unknown = [m for m in methods if m not in PRE_TRAINING_METRICS + POST_TRAINING_METRICS]
    if unknown:
        raise ConfigError(
            "methods",
            f"unknown metric code(s) {', '.join(map(str, unknown))}",
            f"use codes from {', '.join(PRE_TRAINING_METRICS + POST_TRAINING_METRICS)}",
        )
    if post_codes and not post:
        raise ConfigError(
            "methods",
            f"post-training metrics {', '.join(post_codes)} need predictions",
            "pass predicted_label=<column> or model=<model>",
        )
    return pre or None, post_codes or None


def _write_table(data: Any, folder: Path) -> Path:
    """``data`` (a pandas DataFrame or a pyarrow Table) as one Parquet file in ``folder``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(data, pa.Table):
        table = data
    else:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise DatasetError(
                "data",
                f"expected a pandas DataFrame or a pyarrow Table, found {type(data).__name__}",
                "pass a DataFrame (pd.read_csv(...)) or a pyarrow Table",
            )
        if not all(isinstance(c, str) for c in data.columns):
            raise DatasetError(
                "data",
                "every column name must be a string",
                "rename the columns: df.columns = df.columns.map(str)",
            )
        table = pa.Table.from_pandas(data, preserve_index=False)
    path = folder / _DATA_FILE
    pq.write_table(table, path)
    return path


@contextlib.contextmanager
def _predictor(model: Any, label_headers: Sequence[Any] | None) -> Iterator[dict[str, Any] | None]:
    """``$.predictor`` for a lent in-process model (``None`` without a model)."""
    if model is None:
        yield None
        return
    from .predict.inprocess import lent_model

    with lent_model(model) as path:
        predictor: dict[str, Any] = {
            "openclarify": {"model_path": path, "allow_code_execution": True}
        }
        if label_headers is not None:
            predictor["label_headers"] = list(label_headers)
        yield predictor


def _run(
    document: dict[str, Any], data: Any, backend: str, progress: bool | None
) -> AnalysisResult:
    from .config import load_config
    from .job import analyze
    from .progress import shown

    config = load_config(document)  # the config models validate every argument
    with tempfile.TemporaryDirectory(prefix="openclarify-frame-") as folder, shown(progress):
        path = _write_table(data, Path(folder))
        return analyze(config, path, config_dir=Path(folder), backend=backend)


def bias(
    data: Any,
    *,
    label: str,
    label_values: Sequence[Any],
    facet: str | Sequence[str] | Mapping[str, Sequence[Any] | None],
    facet_values: Sequence[Any] | None = None,
    methods: str | Sequence[str] = "all",
    predicted_label: str | None = None,
    model: Any = None,
    probability_threshold: float | None = None,
    label_headers: Sequence[Any] | None = None,
    group_variable: str | None = None,
    excluded_columns: Sequence[str] | None = None,
    backend: str = "local",
    progress: bool | None = None,
) -> AnalysisResult:
    """Bias metrics of a table, as a Clarify job computes them.

    Parameters
    ----------
    data:
        A pandas DataFrame or a pyarrow Table (column names are strings).
    label:
        The label column.
    label_values:
        The positive label values, or ``[threshold]`` for a continuous label
        (values ``>`` threshold are positive) — ``label_values_or_threshold``.
    facet:
        The sensitive column; several as a list; with values per facet as a
        mapping ``{"name": [values] or None}``.  Without values every value of the
        facet is analysed against the rest (one-vs-rest, as Clarify does).
    facet_values:
        The values (or ``[threshold]``) of the disadvantaged group ``d`` of a
        single facet.
    methods:
        ``"all"`` or a list of metric codes (``openclarify metrics`` lists them:
        ``CI``, ``DPL``, … pre-training; ``DPPL``, ``DI``, … post-training).
        ``"all"`` means every pre-training metric, and every post-training metric
        when predictions are available (``predicted_label`` or ``model``).
    predicted_label:
        A column of the model's predictions, for post-training metrics.
    model:
        A model called in-process for the predictions when there is no
        ``predicted_label`` column: an estimator with ``predict_proba`` /
        ``predict``, or a callable taking the feature rows (a DataFrame) and
        returning one prediction or score per row.
    probability_threshold:
        Scores ``>`` this are the positive predicted label (default 0.5).
    label_headers:
        Class names of a model's score vector.
    group_variable:
        The subgroup column of CDDL / CDDPL.
    excluded_columns:
        Columns not sent to the model.
    backend:
        ``local`` (default), ``memory`` or ``spark`` (see :func:`openclarify.analyze`).
    progress:
        Draw a progress bar of the model's predictions on standard error
        (:mod:`openclarify.progress`); default: in Jupyter or a terminal.

    Returns
    -------
    AnalysisResult
        ``to_dict()`` is ``analysis.json``; in Jupyter it shows a table,
        ``plot()`` draws it and ``report("out/")`` writes the report files.

    Raises
    ------
    ConfigError
        An argument the config models refuse; ``where`` names the config key.
    DatasetError
        ``data`` is not a table, or a named column is missing.
    """
    has_predictions = predicted_label is not None or model is not None
    pre, post = _split_methods(methods, has_predictions)
    document: dict[str, Any] = {
        "dataset_type": "application/x-parquet",
        "label": label,
        "label_values_or_threshold": list(label_values),
        "facet": _facets(facet, facet_values),
    }
    if predicted_label is not None:
        document["predicted_label"] = predicted_label
    if group_variable is not None:
        document["group_variable"] = group_variable
    if probability_threshold is not None:
        document["probability_threshold"] = probability_threshold
    if excluded_columns is not None:
        document["excluded_columns"] = list(excluded_columns)
    methods_section: dict[str, Any] = {"report": dict(_REPORT)}
    if pre is not None:
        methods_section["pre_training_bias"] = {"methods": pre}
    if post is not None:
        methods_section["post_training_bias"] = {"methods": post}
    document["methods"] = methods_section
    with _predictor(model, label_headers) as predictor:
        if predictor is not None:
            document["predictor"] = predictor
        return _run(document, data, backend, progress)


def explain(
    data: Any,
    model: Any,
    *,
    label: str | None = None,
    shap: bool | Mapping[str, Any] = True,
    pdp: bool | Mapping[str, Any] = False,
    label_headers: Sequence[Any] | None = None,
    excluded_columns: Sequence[str] | None = None,
    backend: str = "local",
    progress: bool | None = None,
) -> AnalysisResult:
    """Kernel SHAP (and PDP) explanations of a model on a table.

    Parameters
    ----------
    data:
        A pandas DataFrame or a pyarrow Table; every column other than ``label``
        and ``excluded_columns`` is a feature sent to the model.
    model:
        Called in-process: an estimator with ``predict_proba`` (the score of the
        second class for two classes) or ``predict``, or a callable taking the
        feature rows (a DataFrame) and returning one output or score vector per row.
    label:
        The label column, if ``data`` has one (it is never sent to the model).
    shap:
        ``True`` for Clarify's defaults, or the keys of ``methods.shap``
        (``baseline``, ``num_samples``, ``agg_method``, ``use_logit``, ``seed``,
        ``num_clusters``, ``save_local_shap_values``, ``features_to_explain``);
        ``False`` for none.
    pdp:
        ``True`` or the keys of ``methods.pdp`` (``features``, ``grid_resolution``,
        ``top_k_features``); ``False`` (default) for none.
    label_headers:
        Class names of the model's score vector.
    excluded_columns:
        Columns not sent to the model.
    backend:
        ``local`` (default) or ``memory``.
    progress:
        Draw a progress bar of the SHAP records on standard error
        (:mod:`openclarify.progress`); default: in Jupyter or a terminal.

    Returns
    -------
    AnalysisResult
        Its ``explanations`` are ``analysis.json``'s; ``shap`` holds the local
        SHAP values.

    Raises
    ------
    ConfigError
        An argument the config models refuse, or neither ``shap`` nor ``pdp``.
    """
    methods_section: dict[str, Any] = {"report": dict(_REPORT)}
    if shap:
        methods_section["shap"] = dict(shap) if isinstance(shap, Mapping) else {}
    if pdp:
        methods_section["pdp"] = dict(pdp) if isinstance(pdp, Mapping) else {}
    if "shap" not in methods_section and "pdp" not in methods_section:
        raise ConfigError("shap", "nothing to compute: shap and pdp are both off", "set shap=True")
    document: dict[str, Any] = {"dataset_type": "application/x-parquet", "methods": methods_section}
    if label is not None:
        document["label"] = label
    if excluded_columns is not None:
        document["excluded_columns"] = list(excluded_columns)
    with _predictor(model, label_headers) as predictor:
        document["predictor"] = predictor
        return _run(document, data, backend, progress)
