"""Backends: how the bias counts are produced (the metrics are the same everywhere).

* :mod:`.choice` — which backend a job runs on (``local``, ``memory``, ``spark``),
  opened by the job for its whole run;

* :mod:`.streaming` — the default local engine for CSV, Parquet and JSON Lines: record
  batches, mergeable counts, memory independent of the number of rows;
* :mod:`.spark` (``--backend spark``, imported only when chosen) — the same
  summaries and counts as Spark tasks, merged on the driver; :mod:`.cluster`
  forms a Spark cluster over the hosts of a multi-instance container job;
* the in-memory table (:mod:`openclarify.bias.analysis`) — the oracle, used
  when a method needs all rows at once (FT) or the data cannot be streamed.

The streaming engine's parts, which the Spark backend runs as tasks:

* :mod:`.plan` — what a config needs from a dataset (the used columns,
  resolved with the in-memory table's errors; why a config cannot be streamed);
* :mod:`.summary` — whole-column facts gathered batch by batch;
  :mod:`.decide` — the summary pass and every whole-column decision taken from it;
  :mod:`.rules` — the per-batch row rules those decisions produce;
* :mod:`.sections` — the count pass, merged counts, and the sections computed
  from them by the in-memory metric functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .plan import why_not_streamed
    from .streaming import stream_bias_sections, stream_segment_sections

__all__ = ["stream_bias_sections", "stream_segment_sections", "why_not_streamed"]

# Imported on first use: .choice and .cluster are read by every job before it knows
# whether it streams anything, and .plan/.streaming bring pandas with them.
_LAZY = {
    "why_not_streamed": "plan",
    "stream_bias_sections": "streaming",
    "stream_segment_sections": "streaming",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
