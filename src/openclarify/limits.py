"""Fail early, with an estimate, when a job cannot fit in this machine's memory.

Two checks run before the work they protect:

* :func:`check_dataset_fits` — before reading: the data will take at least as
  many bytes in memory as it has on disk (CSV / JSON text parses into values that
  are no smaller than their text; Parquet is measured from its footers: rows ×
  width for fixed-width columns, the uncompressed size for the others), so a dataset whose lower bound already exceeds the
  available memory is refused instead of being read until the kernel kills us.
* :func:`check_shap_fits` — before explaining: one record's synthetic rows
  (``coalitions × baseline rows × features`` floats) must fit, because the
  estimator evaluates at least one record per model call.  ``num_samples: 10^9``
  is refused with the memory it would take and the largest value that fits.

Both are lower bounds on what is needed, so they never refuse a job that would
have fit; they turn the hopeless ones into one clear message.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError, DatasetError

__all__ = [
    "MEMORY_SHARE",
    "available_memory",
    "check_dataset_fits",
    "check_shap_fits",
]

#: Share of the available memory one structure may claim (the rest is for copies
#: made while computing, the model and the interpreter).
MEMORY_SHARE = 0.5
_GB = 1024**3


def available_memory() -> int:
    """Bytes of memory available now: ``MemAvailable`` (Linux), else physical memory.

    The cgroup limit (containers, SageMaker instances) applies when it is lower.
    """
    candidates = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
                break
    except OSError:
        pass
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            candidates.append(int(text))
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            return 1 << 62  # unknown: never refuse
    return min(candidates)


def _gb(n: float) -> str:
    return f"{n / _GB:.1f} GB"


def _parquet_bytes(files: Sequence[Path]) -> int:
    import pyarrow.parquet as pq

    total = 0
    for file in files:
        try:
            meta = pq.ParquetFile(file).metadata
        except Exception:  # unreadable footers are reported by the reader, with the file name
            total += file.stat().st_size
            continue
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            for j in range(group.num_columns):
                column = group.column(j)
                width = _FIXED_WIDTH.get(column.physical_type)
                # fixed-width values take their width per row once decoded, however well
                # they were encoded (a column of zeros is a few bytes on disk); variable
                # ones at least their uncompressed encoded size
                total += group.num_rows * width if width else column.total_uncompressed_size
    return total


_FIXED_WIDTH = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 12}


def check_dataset_fits(
    files: Sequence[Path], dataset_type: str, available: int | None = None
) -> int:
    """Refuse a dataset whose smallest possible in-memory size exceeds the memory available.

    Returns the lower bound (bytes).

    Raises
    ------
    DatasetError
        With the estimate, the memory available and what to do.
    """
    if dataset_type == "application/x-parquet":
        needed = _parquet_bytes(files)
    else:
        needed = sum(f.stat().st_size for f in files)
    available = available_memory() if available is None else available
    if needed > available:
        raise DatasetError(
            "dataset",
            f"needs at least {_gb(needed)} of memory once read ({len(files)} file(s)), "
            f"but only {_gb(available)} is available",
            "run on an instance with more memory, or analyse a sample of the rows",
        )
    return needed


def check_shap_fits(
    num_coalitions: int,
    baseline_rows: int,
    n_features: int,
    n_records: int,
    available: int | None = None,
) -> int:
    """Refuse SHAP settings whose single record cannot be held in memory.

    Parameters
    ----------
    num_coalitions:
        Coalitions per record after capping at ``2^M − 2``.
    baseline_rows, n_features, n_records:
        The baseline's rows, the model's features, the records explained.

    Returns
    -------
    int
        Model rows the whole explanation will evaluate (for the log).

    Raises
    ------
    ConfigError
        At ``$.methods.shap.num_samples`` with the memory one record needs and
        the largest ``num_samples`` that fits.
    """
    per_coalition = baseline_rows * n_features * 8 + n_features + 8  # rows, mask, weight
    needed = num_coalitions * per_coalition
    budget = int(MEMORY_SHARE * (available_memory() if available is None else available))
    if needed > budget:
        fits = max(1, budget // per_coalition)
        raise ConfigError(
            "$.methods.shap.num_samples",
            f"{num_coalitions:,} coalitions x {baseline_rows} baseline row(s) x {n_features} "
            f"features need {_gb(needed)} of memory for a single record "
            f"({_gb(budget)} may be used here)",
            f"use num_samples <= {fits:,}, or fewer baseline rows (num_clusters)",
        )
    return n_records * (num_coalitions * baseline_rows + 1) + baseline_rows
