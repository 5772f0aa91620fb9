"""Bias metrics on Apache Spark: the streaming engine's summaries and counts, per partition.

The only module that imports ``pyspark`` (installed with the ``spark`` extra).
:func:`spark_bias_sections` runs the streaming engine (:mod:`.streaming`) with
its passes spread over Spark tasks, one task per *piece* of the dataset
(:meth:`~openclarify.data.stream.StreamSource.units`: a Parquet row group, or
a whole CSV or JSON Lines file):

1. **dtypes** — Parquet: from the file footers, on the driver; CSV and JSON
   Lines: every file's dtype facts (chunk dtypes, value types) in its own
   task, joined on the driver
   (:meth:`~openclarify.data.stream.StreamSource.settle_file_facts`);
2. **summaries** — each task folds its piece's record batches into
   :class:`~.summary.ColumnSummary` objects; the driver merges them in row
   order with :func:`~.summary.merge_summaries` and takes every whole-column
   decision (:func:`~.streaming.decide_rules`);
3. **counts** — each task applies those rules to its batches
   (:func:`~.streaming.count_batches`); the driver adds the counts
   (:meth:`~.streaming.Totals.merge`) and feeds them to the same metric
   functions (:func:`~.streaming.finish_sections`).

So every count equals the in-memory count and every value is computed by the
same arithmetic: ``analysis.json`` is *equal* to ``--backend memory``'s, key
order included (Clarify's own Spark build sorts keys alphabetically, contract
§4.7; we keep the single-instance order so that outputs are byte-comparable
across backends).

**The Flip Test (FT)** is exact by gathering: the count tasks also return
their rows of the numeric feature columns (float64), the predicted labels and
each row's facet group; the driver concatenates them in row order and runs the
same neighbour search as the in-memory path
(:func:`openclarify.bias.fliptest.flip_test`: k-d tree on all driver cores,
scikit-learn where ties or its brute-force rule need it).  The limit is the
driver's memory: the gathered matrix (``8 × rows × numeric features`` bytes;
10M rows × 10 features ≈ 0.8 GB), one copy of it without the evaluated
facet's column, and a few bytes per row per facet — as for the in-memory path;
a partitioned neighbour search (broadcasting group ``a``'s rows to tasks that
each query part of group ``d``) would lift it and is not done yet.

Only small results travel for the other metrics: summaries are bounded by
distinct values, counts by facet groups.  Executors read the dataset themselves, at the path the driver
sees (local mode, or every host holding the same files: SageMaker's
``FullyReplicated`` input).  Parallelism is one task per Parquet row group or
CSV / JSON Lines file — a single large text file is read by one task (only a
sequential read reproduces pandas' parsing and the readers' line numbers
exactly); split it into part files, or use Parquet, to spread it.

Errors raised in a task (a malformed file, a value the config cannot match)
come back as values and are raised on the driver as the same
:class:`~openclarify.errors.UserError` the local engines raise (the first in
row order).  Spark retries failed or lost tasks itself
(``spark.task.maxFailures``).  What the engine cannot do exactly — whole-file
JSON datasets, side datasets, predictions from a model, columns whose whole-file
dtype cannot be reproduced piece by piece, one-vs-rest facets with more than
:data:`~.summary.ORDER_CAP` values — is a
:class:`~openclarify.errors.ConfigError` naming ``--backend``, never a silent
fallback.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..bias.fliptest import numeric_feature_matrix
from ..data.readers import PARQUET
from ..data.stream import DEFAULT_BATCH_ROWS, StreamSource, Unsupported, open_source
from ..data.table import _names, _resolve
from ..errors import ConfigError, DatasetError, UserError
from .rules import TooManyValues
from .streaming import (
    ColumnPlan,
    Rules,
    Sections,
    Totals,
    checked_plan,
    count_batches,
    decide_rules,
    finish_sections,
    new_summaries,
    require_scalars,
    scalar_columns,
    update_summaries,
    why_not_streamed,
)
from .summary import ColumnSummary, merge_summaries

_log = logging.getLogger("openclarify")

#: ``--backend`` value that selects this module.
BACKEND = "spark"
#: Spark master when none is active and ``OPENCLARIFY_SPARK_MASTER`` is unset.
DEFAULT_MASTER = "local[*]"
MASTER_ENV = "OPENCLARIFY_SPARK_MASTER"

T = TypeVar("T")
U = TypeVar("U")
Unit = tuple[int, int | None]
#: What a task sends back: ("ok", value), ("user", error parts) or ("unsupported", reason).
Outcome = tuple[str, Any]


def why_not_on_spark(config: Any) -> str | None:
    """Why this config cannot run on Spark yet (``None``: it can)."""
    return why_not_streamed(config, neighbours=True)


def _wants_flip_test(plan: ColumnPlan) -> bool:
    return plan.post_specs is not None and any(s.needs == "neighbours" for s in plan.post_specs)


def _feature_columns(config: Any, plan: ColumnPlan, dataset_columns: list[str]) -> list[str]:
    """:attr:`openclarify.data.table.BiasTable.feature_columns` (no side datasets here)."""
    frame = pd.DataFrame(columns=dataset_columns)
    join = None
    if config.joinsource_name_or_index is not None:
        join = _resolve(
            frame, config.joinsource_name_or_index, "$.joinsource_name_or_index", "join"
        )
    excluded = set(_names(frame, config.excluded_columns, "$.excluded_columns", "excluded"))
    not_features = {plan.columns.label, plan.columns.predicted, join, *excluded}
    return [c for c in dataset_columns if c not in not_features]


def _refuse(reason: str) -> ConfigError:
    return ConfigError(
        "--backend",
        f"the spark backend cannot run this analysis exactly: {reason}",
        "use --backend local (or memory) for it",
    )


@contextlib.contextmanager
def spark_session(master: str | None = None) -> Iterator[Any]:
    """The active SparkSession, or a new one stopped on exit.

    A new session uses ``master``, else ``$OPENCLARIFY_SPARK_MASTER``, else
    ``local[*]``; its Python workers run this interpreter (so they import this
    same openclarify), the web UI is off and the console progress bar too
    (it would interleave with the job log).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "--backend",
            "the spark backend needs pyspark, which is not installed",
            "pip install 'openclarify[spark]' (and a Java 17 runtime)",
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    # executors must run the interpreter that has openclarify installed, not
    # whatever "python3" is first on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER)
        .appName("openclarify")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    session = builder.getOrCreate()
    try:
        yield session
    finally:
        session.stop()


def spark_bias_sections(
    config: Any,
    dataset: Path,
    *,
    spark: Any = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    log: logging.Logger | None = None,
) -> Sections:
    """Pre- and post-training sections of ``analysis.json``, computed by Spark tasks.

    Parameters
    ----------
    config:
        The validated :class:`~openclarify.config.AnalysisConfig`.
    dataset:
        The dataset file or folder (CSV, Parquet or JSON Lines), readable at this path by
        every executor.
    spark:
        A SparkSession; default: the active one, else a new one
        (:func:`spark_session`).
    batch_rows:
        Rows per record batch inside a task; memory grows with it, results do not.
    log:
        Where to say how the work was done.

    Returns
    -------
    tuple
        ``(pre_training, post_training)`` sections equal to the in-memory ones.

    Raises
    ------
    ConfigError
        The config or data needs something this backend does not do (module
        docstring), naming ``--backend``.
    AnalysisError, DatasetError
        The same errors as the local engines for the same config and data.
    """
    log = log or _log
    reason = why_not_on_spark(config)
    if reason is not None:
        raise _refuse(reason)
    if spark is None:
        with spark_session() as session:
            return _run(config, dataset, session, batch_rows, log)
    return _run(config, dataset, spark, batch_rows, log)


def _run(config: Any, dataset: Path, spark: Any, batch_rows: int, log: logging.Logger) -> Sections:
    started = time.perf_counter()
    try:
        source = open_source(config, dataset)
        plan = checked_plan(config, source)
        units = source.units()
        context = spark.sparkContext
        features = _feature_columns(config, plan, source.columns) if _wants_flip_test(plan) else []
        settled = list(dict.fromkeys([*scalar_columns(plan, source), *features]))
        if source.dataset_type != PARQUET:
            # CSV / JSON Lines: each file's dtype facts in its own task, joined here
            files = [(i, None) for i in range(len(source.files))]
            found = _map(
                context,
                files,
                functools.partial(_file_facts, source, settled, batch_rows),
            )
            source.settle_file_facts(found, settled)
        else:
            source.settle_dtypes(settled, batch_rows)
        n_rows = source.n_rows or 0
        if n_rows == 0:
            raise DatasetError(
                "dataset", "has no rows", "check that the dataset path holds the data"
            )
        require_scalars(plan, source)
        dtypes = source.dtypes(plan.names)
        parts = _map(
            context,
            units,
            functools.partial(_summarise, source, plan, dtypes, n_rows, batch_rows),
        )
        summaries = {
            name: functools.reduce(merge_summaries, (part[name] for part in parts))
            for name in plan.names
        }
        rules = decide_rules(plan, summaries)
        summarised = time.perf_counter()
        rows = _flip_rows(features, source.dtypes(features)) if _wants_flip_test(plan) else None
        counted = _map(
            context, units, functools.partial(_count, source, rules, plan, rows, batch_rows)
        )
        totals = functools.reduce(Totals.merge, (c[0] for c in counted))
    except (Unsupported, TooManyValues) as exc:
        raise _refuse(str(exc)) from exc
    flips = None
    if rows is not None:
        flips = _flips(rules, rows, [c[1] for c in counted if c[1] is not None])
    log.info(
        "Spark bias counts over %d rows in %d task(s) (summaries %.2fs, counts %.2fs)",
        n_rows,
        len(units),
        summarised - started,
        time.perf_counter() - summarised,
    )
    return finish_sections(plan, rules, totals, flips)


# --- the Flip Test: rows gathered on the driver ---


@dataclass(frozen=True)
class _FlipRows:
    """The feature columns FT reads: all of them, and which are numeric or bool.

    FT's matrix for a facet holds every feature column but that facet
    (:class:`openclarify.bias.analysis._FlipTestRows`); when one of them is not
    numeric, FT fails with smclarify's message, as in memory.
    """

    features: list[str]
    numeric: list[str]  # the numeric / bool ones, gathered to the driver


def _flip_rows(features: list[str], dtypes: dict[str, Any]) -> _FlipRows:
    empty = pd.DataFrame({name: pd.Series([], dtype=dtypes[name]) for name in features})
    numeric = set(empty.select_dtypes([np.number, bool]).columns)
    return _FlipRows(features, [name for name in features if name in numeric])


@dataclass
class _FlipPart:
    matrix: npt.NDArray[np.float64]  # one task's rows of the numeric feature columns
    yhat: npt.NDArray[np.bool_]
    groups: list[npt.NDArray[np.int64]]  # per facet: the facet group of every row (-1: none)


def _flip_part(rules: Rules, rows: _FlipRows, batch: pd.DataFrame) -> _FlipPart:
    """FT's rows of one batch."""
    matrix = numeric_feature_matrix(batch[rows.numeric])
    assert matrix is not None  # numeric by the whole-dataset dtypes
    prediction, predicted = rules.prediction, rules.columns.predicted
    if prediction is not None and prediction.mask is not None and predicted is not None:
        yhat = prediction.mask(batch[predicted])
    else:  # a failed prediction rule: FT is never computed (finish_sections)
        yhat = np.zeros(len(batch), dtype=bool)
    groups = []
    for facet in rules.facets:
        column = batch[facet.name]
        if facet.mask is not None:
            groups.append(np.where(facet.mask(column), 0, -1).astype(np.int64))
            continue
        assert facet.codes is not None
        codes = facet.codes(column)
        # group g holds the rows whose code is groups[g].code; the missing-value
        # group holds none (NaN never equals NaN, as in memory)
        index = np.full(facet.n_values + 1, -1, dtype=np.int64)
        for g, group in enumerate(facet.groups):
            if group.code is not None and group.code >= 0:
                index[group.code] = g
        groups.append(index[np.where(codes >= 0, codes, facet.n_values)])
    return _FlipPart(matrix, yhat, groups)


def _joined(parts: list[_FlipPart], n_features: int, n_facets: int) -> _FlipPart:
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return _FlipPart(np.empty((0, n_features)), np.empty(0, dtype=bool), [empty] * n_facets)
    return _FlipPart(
        np.concatenate([p.matrix for p in parts]),
        np.concatenate([p.yhat for p in parts]),
        [np.concatenate([p.groups[i] for p in parts]) for i in range(n_facets)],
    )


def _flips(rules: Rules, rows: _FlipRows, parts: list[_FlipPart]) -> list[list[Callable[[], Any]]]:
    """FT per facet group: :func:`openclarify.bias.fliptest.flip_test` on the driver."""
    from ..bias.fliptest import flip_test

    joined = _joined(parts, len(rows.numeric), len(rules.facets))
    yhat, whole = joined.yhat, joined.matrix
    out: list[list[Callable[[], Any]]] = []
    for i, facet in enumerate(rules.facets):
        groups = joined.groups[i]
        others = [name for name in rows.features if name != facet.name]
        matrix = None
        if all(name in rows.numeric for name in others):
            keep = [j for j, name in enumerate(rows.numeric) if name != facet.name]
            matrix = np.ascontiguousarray(whole[:, keep])
        out.append(
            [
                functools.partial(flip_test, matrix, groups == g, yhat, n_jobs=-1)
                for g in range(len(facet.groups))
            ]
        )
    return out


# --- tasks (run on executors; module-level so that they pickle by reference) ---


def _file_facts(source: StreamSource, names: Sequence[str], batch_rows: int, unit: Unit) -> Any:
    return source.file_facts(unit[0], names, batch_rows)


def _summarise(
    source: StreamSource,
    plan: ColumnPlan,
    dtypes: dict[str, Any],
    n_rows: int,
    batch_rows: int,
    unit: Unit,
) -> dict[str, ColumnSummary]:
    summaries = new_summaries(plan, dtypes, n_rows)
    for batch in source.unit_batches(unit, plan.names, batch_rows):
        update_summaries(summaries, batch)
    return summaries


def _count(
    source: StreamSource,
    rules: Rules,
    plan: ColumnPlan,
    rows: _FlipRows | None,
    batch_rows: int,
    unit: Unit,
) -> tuple[Totals, _FlipPart | None]:
    if rows is None:
        return count_batches(rules, source.unit_batches(unit, plan.names, batch_rows)), None
    names = list(dict.fromkeys([*plan.names, *rows.numeric]))
    parts: list[_FlipPart] = []

    def read() -> Iterator[pd.DataFrame]:
        # FT's rows come from the batches that are counted: one read of the piece
        for batch in source.unit_batches(unit, names, batch_rows):
            parts.append(_flip_part(rules, rows, batch))
            yield batch

    totals = count_batches(rules, read())
    return totals, _joined(parts, len(rows.numeric), len(rules.facets))


def _guarded(work: Callable[[U], T], unit: U) -> Outcome:
    """Run one task's work; errors come back as values (UserError does not pickle)."""
    try:
        return ("ok", work(unit))
    except UserError as exc:
        return ("user", (type(exc), exc.where, exc.problem, exc.fix))
    except (Unsupported, TooManyValues) as exc:
        return ("unsupported", (type(exc), str(exc)))


def _task(work: Callable[[U], T], indexed: Iterable[tuple[int, U]]) -> list[Any]:
    return [(index, _guarded(work, unit)) for index, unit in indexed]


def _map(context: Any, units: Sequence[U], work: Callable[[U], T]) -> list[T]:
    """``work`` on every unit, one Spark task each; results in unit (row) order.

    The first error in row order is raised here, as the local engine would
    have raised it reading the pieces one after the other.
    """
    if not units:
        return []
    indexed = list(enumerate(units))
    rdd = context.parallelize(indexed, len(indexed))
    results = sorted(rdd.mapPartitions(functools.partial(_task, work)).collect(), key=_first)
    values = []
    for _, (status, value) in results:
        if status == "user":
            raise _rebuild(*value)
        if status == "unsupported":
            kind, reason = value
            raise kind(reason)
        values.append(value)
    return values


def _first(item: tuple[int, Any]) -> int:
    return item[0]


def _rebuild(kind: type[UserError], where: str, problem: str, fix: str | None) -> UserError:
    """The task's error with its exact text (no second round of shortening)."""
    error = kind.__new__(kind)
    error.where, error.problem, error.fix = where, problem, fix
    Exception.__init__(error, error.render())
    return error


__all__ = [
    "BACKEND",
    "spark_bias_sections",
    "spark_session",
    "why_not_on_spark",
]


# --- SHAP: records explained per partition ---


def why_no_spark_shap(config: Any) -> str | None:
    """Why ``methods.shap`` of this config cannot run on Spark (``None``: it can)."""
    predictor = config.predictor
    extension = predictor.openclarify if predictor is not None else None
    local = extension is not None and extension.local_target
    if predictor is not None and predictor.model_name is not None and not local:
        # every task would create (and delete) its own shadow endpoint
        return "a shadow endpoint ($.predictor.model_name) is created by the local backend only"
    return None


@dataclass(frozen=True)
class _ShapTask:
    """Everything a task needs to explain its records with the job's settings."""

    config: Any
    feature_names: list[str]
    codec: Any  # explain.tabular.TabularCodec
    background: npt.NDArray[np.float64]
    num_samples: int | None
    seed: int
    positions: list[int] | None
    use_logit: bool


def _explain_part(task: _ShapTask, part: tuple[int, npt.NDArray[np.float64]]) -> Any:
    """Kernel SHAP of one partition's records, with their global row offset."""
    from ..explain.analysis import _scores_checked
    from ..explain.kernel_shap import DEFAULT_MAX_BATCH_ROWS, explain
    from ..predict import open_model

    offset, records = part
    with open_model(task.config, task.feature_names) as session:
        model = _scores_checked(session.scores, task.use_logit)

        def predict(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return model(task.codec.decode(matrix))

        return explain(
            predict,
            records,
            task.background,
            num_samples=task.num_samples,
            seed=task.seed,
            row_offset=offset,
            max_batch_rows=session.rows_per_call or DEFAULT_MAX_BATCH_ROWS,
            features_to_explain=task.positions,
            use_logit=task.use_logit,
        )


def spark_shap(
    config: Any,
    table: Any,
    *,
    spark: Any,
    locations: Any = None,
    log: logging.Logger | None = None,
) -> Any:
    """``methods.shap`` with the records explained by Spark tasks.

    The driver prepares what the local backend prepares
    (:func:`openclarify.explain.analysis.explanations_for`: the feature
    columns, the baseline, the encoding); the records are split into
    partitions that keep their global row offset, and each task runs
    :func:`~openclarify.explain.kernel_shap.explain` with that ``row_offset``:
    record ``i`` draws its coalitions from ``default_rng([seed, i])`` wherever
    it runs, so the values equal the local backend's.  Each task opens the
    model itself (an in-process model is loaded per task; an endpoint is
    called from the executors, at most ``max_concurrency`` requests per task).

    Returns
    -------
    ShapExplanation
        As :func:`~openclarify.explain.analysis.explanations_for` builds it.
    """
    from ..explain.aggregate import aggregate
    from ..explain.analysis import ShapExplanation, model_features, output_labels, shap_setup
    from ..explain.kernel_shap import default_num_samples
    from ..explain.tabular import TabularCodec
    from ..limits import check_shap_fits

    log = log or _log
    reason = why_no_spark_shap(config)
    if reason is not None:
        raise _refuse(reason)
    shap = config.methods.shap
    names, features, others = model_features(table)
    to_explain, baseline = shap_setup(config, features, others, locations, log)
    explained = list(to_explain) if to_explain is not None else names
    coalitions = (
        shap.num_samples
        if shap.num_samples is not None
        else default_num_samples(max(len(explained), 1))
    )
    if len(explained) < 63:
        coalitions = min(coalitions, 2 ** len(explained) - 2)
    check_shap_fits(coalitions, len(baseline), len(names), len(features))
    codec = TabularCodec.fit(features, baseline)
    records = codec.encode(features)
    positions = sorted(names.index(name) for name in explained)
    # no seed: one draw for the whole job, so that all partitions share it
    seed = shap.seed if shap.seed is not None else int(np.random.default_rng().integers(2**62))
    task = _ShapTask(
        config,
        names,
        codec,
        codec.encode(baseline),
        shap.num_samples,
        seed,
        positions if to_explain is not None else None,
        bool(shap.use_logit),
    )
    n = len(records)
    slices = max(1, min(n, spark.sparkContext.defaultParallelism * 4))
    bounds = np.linspace(0, n, slices + 1).astype(int)
    parts = [(int(a), records[a:b]) for a, b in itertools.pairwise(bounds) if b > a]
    started = time.perf_counter()
    results = _map(spark.sparkContext, parts, functools.partial(_explain_part, task))
    phi = np.concatenate([r.phi for r in results])
    local = phi[:, positions, :]
    log.info(
        "SHAP on Spark: %d records in %d task(s) in %.2fs",
        n,
        len(parts),
        time.perf_counter() - started,
    )
    label_headers = config.predictor.label_headers if config.predictor is not None else None
    return ShapExplanation(
        labels=tuple(output_labels(phi.shape[2], label_headers)),
        features=tuple(names[j] for j in positions),
        local=local,
        expected_value=np.asarray(results[0].expected_value, dtype=np.float64),
        global_values=aggregate(local, shap.agg_method or "mean_abs"),
        baseline=baseline,
        num_samples=shap.num_samples,
        join=table.frame[table.join].reset_index(drop=True) if table.join is not None else None,
        save_local=bool(shap.save_local_shap_values),
    )


# --- PDP: the grid evaluated per partition, summed on the driver ---


@dataclass(frozen=True)
class _PdpTask:
    """What a task needs to score its rows of one PDP feature at every grid value."""

    config: Any
    feature_names: list[str]
    feature: str
    replacement: pd.Series  # the grid, in the dtype the model takes (pdp._replacement)
    max_rows_per_call: int


def _pdp_scores(task: _PdpTask, part: pd.DataFrame) -> Any:
    """The scores of ``part``'s synthetic rows, ``(G·len(part), K)`` in grid-major order.

    Row ``t`` is record ``t % len(part)`` with the feature set to grid value
    ``t // len(part)``: the order :func:`~openclarify.explain.pdp.partial_dependence`
    scores the whole table in, restricted to this part.  The model is called
    as there, on stacked copies of at most ``max_rows_per_call`` rows.  A
    malformed result comes back as ``("error", message)`` (a ``ValueError``
    would fail the Spark job instead of being raised on the driver).
    """
    from ..explain.pdp import _as_scores
    from ..predict import open_model

    n, g_count = len(part), len(task.replacement)
    base = part.reset_index(drop=True)
    col_pos = base.columns.get_loc(task.feature)
    total = g_count * n
    chunks: list[npt.NDArray[np.float64]] = []
    with open_model(task.config, task.feature_names) as session:
        for start in range(0, total, task.max_rows_per_call):
            t = np.arange(start, min(start + task.max_rows_per_call, total))
            g_idx = t // n
            frame = base.take(t - g_idx * n).reset_index(drop=True)
            new_col = task.replacement.take(g_idx).reset_index(drop=True)
            if isinstance(col_pos, int):
                frame.isetitem(col_pos, new_col.array)
            else:  # duplicated column name: replace every copy, as pdp does
                frame[task.feature] = new_col
            try:
                scores = _as_scores(session.scores(frame), len(t))
            except ValueError as exc:
                return ("error", str(exc))
            if chunks and scores.shape[1] != chunks[0].shape[1]:
                return (
                    "error",
                    f"predict returned {scores.shape[1]} outputs, "
                    f"earlier calls {chunks[0].shape[1]}",
                )
            chunks.append(scores)
    return ("ok", np.concatenate(chunks))


def _pdp_sums(
    parts: list[npt.NDArray[np.float64]], sizes: list[int], g_count: int, max_rows_per_call: int
) -> npt.NDArray[np.float64]:
    """Per grid value and output, the sum of the scores, added in the local order.

    Floating-point addition is not associative, so per-part sums added on the
    driver would differ from the local result in the last bits.  The parts'
    scores are put back into the whole table's synthetic-row order and summed
    by the same ``np.bincount`` calls over the same chunks of
    ``max_rows_per_call`` rows as :func:`~openclarify.explain.pdp.partial_dependence`:
    the sums, and so ``model_predictions``, are bit-identical.
    """
    n = sum(sizes)
    k_count = parts[0].shape[1]
    whole = np.concatenate(
        [p.reshape(g_count, size, k_count) for p, size in zip(parts, sizes, strict=True)], axis=1
    ).reshape(g_count * n, k_count)
    sums = np.zeros((g_count, k_count))
    total = g_count * n
    for start in range(0, total, max_rows_per_call):
        t = np.arange(start, min(start + max_rows_per_call, total))
        g_idx = t // n
        for k in range(k_count):
            sums[:, k] += np.bincount(g_idx, weights=whole[t, k], minlength=g_count)
    return sums


def _pdp_feature(
    config: Any,
    features: pd.DataFrame,
    feature: str,
    labels: list[str],
    grid_resolution: int,
    context: Any,
    slices: list[pd.DataFrame],
) -> dict[str, Any]:
    """One ``explanations.pdp`` object, equal to :func:`~openclarify.explain.pdp.partial_dependence`'s."""
    from ..explain.pdp import (
        DEFAULT_MAX_ROWS_PER_CALL,
        FREE_TEXT_ERROR,
        _categorical_grid,
        _numeric_grid,
        _replacement,
        detect_data_type,
    )

    column = features[feature]
    data_type = detect_data_type(column)
    if data_type == "free_text":
        return {"feature_name": feature, "data_type": "free_text", "error": FREE_TEXT_ERROR}
    grid: list[Any]
    if data_type == "numerical":
        grid, shares = _numeric_grid(column, grid_resolution)
    else:
        grid, shares = _categorical_grid(column)
    result: dict[str, Any] = {
        "feature_name": feature,
        "data_type": data_type,
        "feature_values": grid,
        "data_distribution": shares,
        "model_predictions": [[] for _ in labels],
        "label_headers": labels,
    }
    if not slices or not grid:
        return result  # nothing to vary or average over: no model call, as locally
    task = _PdpTask(
        config,
        [str(c) for c in features.columns],
        feature,
        _replacement(column, grid, data_type),
        DEFAULT_MAX_ROWS_PER_CALL,
    )
    parts = []
    for status, value in _map(context, slices, functools.partial(_pdp_scores, task)):
        if status == "error":
            raise ValueError(value)
        parts.append(value)
    k_count = parts[0].shape[1]
    if k_count != len(labels):
        raise ValueError(
            f"predict returned {k_count} outputs but {len(labels)} label_headers were given"
        )
    for part in parts:
        if part.shape[1] != k_count:
            raise ValueError(f"predict returned {part.shape[1]} outputs, earlier calls {k_count}")
    sums = _pdp_sums(parts, [len(s) for s in slices], len(grid), DEFAULT_MAX_ROWS_PER_CALL)
    means = sums / len(features)
    result["model_predictions"] = [[float(v) for v in means[:, k]] for k in range(k_count)]
    return result


def spark_pdp(
    config: Any,
    table: Any,
    *,
    spark: Any,
    shap: Any = None,
    log: logging.Logger | None = None,
) -> list[dict[str, Any]]:
    """``explanations.pdp`` with the grid evaluated by Spark tasks.

    The driver chooses the features (``pdp.features``, else the
    ``top_k_features`` of ``shap``'s ranking) and computes every feature's
    grid and ``data_distribution`` from the whole column with the functions of
    :mod:`openclarify.explain.pdp`.  The records are split into slices; each
    task opens the model (:func:`openclarify.predict.open_model`) and scores
    its slice's synthetic rows for every grid value, one Spark job per
    feature.  The driver adds the scores up in the local order
    (:func:`_pdp_sums`), so the result equals the local backend's.

    Memory: the driver holds the feature table (as for SHAP) and, for one
    feature at a time, the gathered scores: ``8 × G × rows × K`` bytes for
    ``G`` grid values and ``K`` outputs (1M rows, 15 values, 1 output: 120 MB).

    Parameters
    ----------
    config:
        The validated :class:`~openclarify.config.AnalysisConfig`.
    table:
        The loaded :class:`~openclarify.data.table.BiasTable`.
    spark:
        The SparkSession.
    shap:
        The job's :class:`~openclarify.explain.analysis.ShapExplanation`, for
        ``top_k_features``; ``None`` when SHAP is not run.
    log:
        Where to say how long it took.

    Returns
    -------
    list of dict
        One §4.4 object per chosen feature, in the chosen order.

    Raises
    ------
    ConfigError
        A shadow endpoint (``$.predictor.model_name``), or features that are
        not features of the table.
    """
    from ..explain.analysis import (
        DEFAULT_GRID_RESOLUTION,
        model_features,
        output_labels,
        pdp_features,
    )
    from ..predict import open_model

    log = log or _log
    reason = why_no_spark_shap(config)
    if reason is not None:
        raise _refuse(reason)
    pdp = config.methods.pdp
    names, features, others = model_features(table)
    chosen = pdp_features(pdp, names, others, shap)
    if not chosen:
        return []
    # the number of outputs from one record, on the driver, as the local backend asks it
    with open_model(config, names, log=log) as session:
        n_outputs = session.scores(features.iloc[:1]).shape[1]
    label_headers = config.predictor.label_headers if config.predictor is not None else None
    labels = output_labels(n_outputs, label_headers)
    n = len(features)
    context = spark.sparkContext
    count = max(1, min(n, context.defaultParallelism * 4))
    bounds = np.linspace(0, n, count + 1).astype(int)
    slices = [features.iloc[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    grid_resolution = pdp.grid_resolution or DEFAULT_GRID_RESOLUTION
    started = time.perf_counter()
    plots = [
        _pdp_feature(config, features, name, labels, grid_resolution, context, slices)
        for name in chosen
    ]
    log.info(
        "PDP on Spark: %d feature(s) over %d rows in %d task(s) each in %.2fs",
        len(chosen),
        n,
        len(slices),
        time.perf_counter() - started,
    )
    return plots
