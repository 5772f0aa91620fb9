"""Bias metrics over a dataset larger than memory: record batches, merged counts.

:func:`stream_bias_sections` computes the pre- and post-training sections of
``analysis.json`` without ever holding the table.  It reads only the label,
predicted-label, group-variable and facet columns, in two passes over record
batches (plus one for CSV and JSON Lines, see :mod:`openclarify.data.stream`):

1. **summaries** — per column, the whole-column facts smclarify decides from
   (:mod:`.summary`): kind, maximum, distinct values in order of first
   appearance, probability range, whether configured values match directly;
2. **counts** — per batch, the positive-label and positive-prediction masks and
   the facet groups (:mod:`.rules`) become :class:`~openclarify.bias.counts.ConfusionCounts`
   and :class:`~openclarify.bias.counts.GroupedCounts`, merged by addition.

The merged counts go to the same :func:`~openclarify.bias.engine.evaluate_group`
and metric functions as the in-memory path, so every count equals the
in-memory count and every value is computed by the same arithmetic.

Peak memory is one batch of the used columns plus the summaries (bounded by
distinct values, see :mod:`.summary`), independent of the number of rows.

Not handled — :func:`stream_bias_sections` returns ``None`` and says why in
the log, and the caller reads the table into memory:

* the Flip Test (FT) — it needs every row's features at once for its
  neighbour search;
* whole-file JSON datasets (each file is one document, parsed whole), and
  facet / predicted-label side datasets (they are joined to the main table);
* post-training bias without a predicted-label column (predictions come from
  the model);
* columns whose whole-file dtype cannot be reproduced batch by batch
  (:class:`~openclarify.data.stream.Unsupported`), and one-vs-rest facets or
  group variables with more than :data:`~.summary.ORDER_CAP` distinct values.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..bias.beyond import CountedGroup
from ..data.stream import DEFAULT_BATCH_ROWS, Unsupported, open_source
from ..errors import DatasetError
from ..segments.membership import EmptySegment, SegmentRows
from .decide import decide_rules, new_summaries, update_summaries
from .plan import checked_plan, require_scalars, scalar_columns, why_not_streamed
from .rules import TooManyValues
from .sections import Sections, count_batches, finish_sections

_log = logging.getLogger("openclarify")


def stream_bias_sections(
    config: Any,
    dataset: Path,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    log: logging.Logger | None = None,
    collect: list[CountedGroup] | None = None,
) -> Sections | None:
    """Pre- and post-training sections of ``analysis.json``, reading record batches.

    Parameters
    ----------
    config:
        The validated :class:`~openclarify.config.AnalysisConfig`.
    dataset:
        The dataset file or folder (CSV, Parquet or JSON Lines).
    batch_rows:
        Rows per record batch; memory grows with it, results do not change.
    log:
        Where to say how the work was done (and why it was not, when it was not).
    collect:
        When given, receives every facet group's merged counts
        (:class:`~openclarify.bias.beyond.CountedGroup`), for the statistics
        beyond Clarify; they equal the in-memory counts.

    Returns
    -------
    tuple or None
        ``(pre_training, post_training)`` sections equal to
        :func:`openclarify.bias.analysis.bias_sections` on the loaded table, or
        ``None`` when this config needs the table in memory (module docstring;
        the reason is logged).

    Raises
    ------
    AnalysisError, DatasetError, ConfigError
        The same errors as the in-memory path for the same config and data.
    """
    return _declined_or(config, dataset, None, None, batch_rows, log or _log, collect)


def stream_segment_sections(
    config: Any,
    dataset: Path,
    rows: SegmentRows,
    on_count: Callable[[int], None],
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    log: logging.Logger | None = None,
) -> Sections | None:
    """:func:`stream_bias_sections` of one segment's rows (``segment_config``).

    Every record batch is read with the segment column and cut to the rows of
    segment ``rows`` before the summaries and the counts, so the sections equal
    :func:`openclarify.bias.analysis.bias_sections` on the loaded table restricted
    to those rows (same dtypes: they are settled on the whole files).  One more
    pass, over the segment column only, counts the rows first (the summaries
    need the number of rows) and gives the number to ``on_count``.

    Raises
    ------
    EmptySegment
        No row of the dataset is in the segment.
    """
    return _declined_or(config, dataset, rows, on_count, batch_rows, log or _log)


def _declined_or(
    config: Any,
    dataset: Path,
    rows: SegmentRows | None,
    on_count: Callable[[int], None] | None,
    batch_rows: int,
    log: logging.Logger,
    collect: list[CountedGroup] | None = None,
) -> Sections | None:
    reason = why_not_streamed(config)
    if reason is not None:
        log.info("Bias metrics computed in memory: %s", reason)
        return None
    try:
        return _stream(config, dataset, rows, on_count, batch_rows, log, collect)
    except (Unsupported, TooManyValues) as exc:
        log.info("Bias metrics computed in memory: %s", exc)
        return None


def _stream(
    config: Any,
    dataset: Path,
    rows: SegmentRows | None,
    on_count: Callable[[int], None] | None,
    batch_rows: int,
    log: logging.Logger,
    collect: list[CountedGroup] | None = None,
) -> Sections:
    started = time.perf_counter()
    source = open_source(config, dataset)
    plan = checked_plan(config, source)
    segment = rows.segmentation.column(source.columns) if rows is not None else None
    settled = scalar_columns(plan, source)
    if segment is not None:
        settled = list(dict.fromkeys([*settled, segment]))
    source.settle_dtypes(settled, batch_rows)
    n_rows = source.n_rows or 0
    if n_rows == 0:
        raise DatasetError("dataset", "has no rows", "check that the dataset path holds the data")
    require_scalars(plan, source)

    def batches() -> Iterator[pd.DataFrame]:
        if rows is None or segment is None:
            yield from source.batches(plan.names, batch_rows)
            return
        read = list(dict.fromkeys([*plan.names, segment]))
        for batch in source.batches(read, batch_rows):
            mask = rows.mask(batch[segment])
            if mask.any():
                yield batch.loc[mask, plan.names].reset_index(drop=True)

    if rows is not None and segment is not None:
        n_rows = sum(
            int(rows.mask(b[segment]).sum()) for b in source.batches([segment], batch_rows)
        )
        if n_rows == 0:
            raise EmptySegment(rows.name)
    summaries = new_summaries(plan, source.dtypes(plan.names), n_rows)
    for batch in batches():
        update_summaries(summaries, batch)
    rules = decide_rules(plan, summaries)
    summarised = time.perf_counter()

    totals = count_batches(rules, batches())
    log.info(
        "Streamed bias counts over %d rows in batches of %d (summaries %.2fs, counts %.2fs)%s",
        n_rows,
        batch_rows,
        summarised - started,
        time.perf_counter() - summarised,
        f" for segment {rows.name!r} of {rows.segmentation.path}" if rows is not None else "",
    )
    return finish_sections(plan, rules, totals, collect=collect)
