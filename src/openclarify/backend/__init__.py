"""Backends: how the bias counts are produced (the metrics are the same everywhere).

* :mod:`.streaming` — the default local engine for CSV, Parquet and JSON Lines: record
  batches, mergeable counts, memory independent of the number of rows;
* :mod:`.spark` (``--backend spark``, imported only when chosen) — the same
  summaries and counts as Spark tasks, merged on the driver; :mod:`.cluster`
  forms a Spark cluster over the hosts of a multi-instance container job;
* the in-memory table (:mod:`openclarify.bias.analysis`) — the oracle, used
  when a method needs all rows at once (FT) or the data cannot be streamed.
"""

from .streaming import stream_bias_sections, why_not_streamed

__all__ = ["stream_bias_sections", "why_not_streamed"]
