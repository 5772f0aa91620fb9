"""Bias metrics on Apache Spark: the streaming engine's summaries and counts, per partition.

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
   decision (:func:`~.decide.decide_rules`);
3. **counts** — each task applies those rules to its batches
   (:func:`~.sections.count_batches`); the driver adds the counts
   (:meth:`~.sections.Totals.merge`) and feeds them to the same metric
   functions (:func:`~.sections.finish_sections`).

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

import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...bias.beyond import CountedGroup
from ...data.readers import PARQUET
from ...data.stream import DEFAULT_BATCH_ROWS, StreamSource, Unsupported, open_source
from ...data.table import _names, _resolve
from ...errors import DatasetError
from ...segments.membership import EmptySegment, SegmentRows
from ..decide import Rules, decide_rules, new_summaries, update_summaries
from ..plan import ColumnPlan, checked_plan, require_scalars, scalar_columns, why_not_streamed
from ..rules import TooManyValues
from ..sections import Sections, Totals, count_batches, finish_sections
from ..summary import ColumnSummary, merge_summaries
from .fliptest import _flip_part, _flip_rows, _FlipPart, _FlipRows, _flips, _joined
from .session import _refuse, spark_session
from .tasks import _map

_log = logging.getLogger("openclarify")

Unit = tuple[int, int | None]


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


def spark_bias_sections(
    config: Any,
    dataset: Path,
    *,
    spark: Any = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    log: logging.Logger | None = None,
    collect: list[CountedGroup] | None = None,
    rows: SegmentRows | None = None,
    on_count: Callable[[int], None] | None = None,
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
    collect:
        When given, receives every facet group's merged counts (the statistics
        beyond Clarify are computed from them on the driver, as locally).
    rows:
        ``segment_config``: compute the sections of this segment's rows only.  Every
        task cuts its record batches to the segment (as the streaming engine does,
        :func:`~openclarify.backend.streaming.stream_segment_sections`), after one
        more pass of tasks that count the segment's rows (given to ``on_count``;
        :class:`~openclarify.segments.membership.EmptySegment` when there are none).

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
            return _run(config, dataset, session, batch_rows, log, collect, rows, on_count)
    return _run(config, dataset, spark, batch_rows, log, collect, rows, on_count)


def _run(
    config: Any,
    dataset: Path,
    spark: Any,
    batch_rows: int,
    log: logging.Logger,
    collect: list[CountedGroup] | None = None,
    segment: SegmentRows | None = None,
    on_count: Callable[[int], None] | None = None,
) -> Sections:
    started = time.perf_counter()
    try:
        source = open_source(config, dataset)
        plan = checked_plan(config, source)
        units = source.units()
        context = spark.sparkContext
        features = _feature_columns(config, plan, source.columns) if _wants_flip_test(plan) else []
        cut = (segment, segment.segmentation.column(source.columns)) if segment else None
        settled = list(dict.fromkeys([*scalar_columns(plan, source), *features]))
        if cut is not None:
            settled = list(dict.fromkeys([*settled, cut[1]]))
        if source.dataset_type != PARQUET:
            # CSV / JSON Lines: each file's dtype facts in its own task, joined here
            files = [(i, None) for i in range(len(source.files))]
            found = _map(
                context,
                files,
                functools.partial(_file_facts, source, settled, batch_rows),
                "Spark dtype pass",
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
        if cut is not None:
            n_rows = sum(
                _map(
                    context,
                    units,
                    functools.partial(_count_segment, source, cut, batch_rows),
                    "Spark segment rows",
                )
            )
            if on_count is not None:
                on_count(n_rows)
            if n_rows == 0:
                raise EmptySegment(cut[0].name)
        dtypes = source.dtypes(plan.names)
        parts = _map(
            context,
            units,
            functools.partial(_summarise, source, plan, dtypes, n_rows, batch_rows, cut),
            "Spark summary pass",
        )
        summaries = {
            name: functools.reduce(merge_summaries, (part[name] for part in parts))
            for name in plan.names
        }
        rules = decide_rules(plan, summaries)
        summarised = time.perf_counter()
        rows = _flip_rows(features, source.dtypes(features)) if _wants_flip_test(plan) else None
        counted = _map(
            context,
            units,
            functools.partial(_count, source, rules, plan, rows, batch_rows, cut),
            "Spark count pass",
        )
        totals = functools.reduce(Totals.merge, (c[0] for c in counted))
    except (Unsupported, TooManyValues) as exc:
        raise _refuse(str(exc)) from exc
    flips = None
    if rows is not None:
        flips = _flips(rules, rows, [c[1] for c in counted if c[1] is not None])
    log.info(
        "Spark bias counts over %d rows in %d task(s) (summaries %.2fs, counts %.2fs)%s",
        n_rows,
        len(units),
        summarised - started,
        time.perf_counter() - summarised,
        f" for segment {cut[0].name!r} of {cut[0].segmentation.path}" if cut else "",
    )
    return finish_sections(plan, rules, totals, flips, collect)


# --- tasks (run on executors; module-level so that they pickle by reference) ---


def _file_facts(source: StreamSource, names: Sequence[str], batch_rows: int, unit: Unit) -> Any:
    return source.file_facts(unit[0], names, batch_rows)


#: ``segment_config``: the segment whose rows a task keeps, and its column's name.
Cut = tuple[SegmentRows, str]


def _batches(
    source: StreamSource, unit: Unit, names: Sequence[str], batch_rows: int, cut: Cut | None
) -> Iterator[pd.DataFrame]:
    """The piece's record batches, cut to the segment's rows when ``cut`` is given."""
    if cut is None:
        yield from source.unit_batches(unit, names, batch_rows)
        return
    rows, column = cut
    for batch in source.unit_batches(unit, list(dict.fromkeys([*names, column])), batch_rows):
        mask = rows.mask(batch[column])
        if mask.any():
            yield batch.loc[mask, list(names)].reset_index(drop=True)


def _count_segment(source: StreamSource, cut: Cut, batch_rows: int, unit: Unit) -> int:
    rows, column = cut
    return sum(
        int(rows.mask(b[column]).sum()) for b in source.unit_batches(unit, [column], batch_rows)
    )


def _summarise(
    source: StreamSource,
    plan: ColumnPlan,
    dtypes: dict[str, Any],
    n_rows: int,
    batch_rows: int,
    cut: Cut | None,
    unit: Unit,
) -> dict[str, ColumnSummary]:
    summaries = new_summaries(plan, dtypes, n_rows)
    for batch in _batches(source, unit, plan.names, batch_rows, cut):
        update_summaries(summaries, batch)
    return summaries


def _count(
    source: StreamSource,
    rules: Rules,
    plan: ColumnPlan,
    rows: _FlipRows | None,
    batch_rows: int,
    cut: Cut | None,
    unit: Unit,
) -> tuple[Totals, _FlipPart | None]:
    if rows is None:
        return count_batches(rules, _batches(source, unit, plan.names, batch_rows, cut)), None
    names = list(dict.fromkeys([*plan.names, *rows.numeric]))
    parts: list[_FlipPart] = []

    def read() -> Iterator[pd.DataFrame]:
        # FT's rows come from the batches that are counted: one read of the piece
        for batch in _batches(source, unit, names, batch_rows, cut):
            parts.append(_flip_part(rules, rows, batch))
            yield batch

    totals = count_batches(rules, read())
    return totals, _joined(parts, len(rows.numeric), len(rules.facets))
