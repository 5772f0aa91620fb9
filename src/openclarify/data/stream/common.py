"""What every streamed format shares: the batch size, :class:`Unsupported`, joined dtypes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Rows per batch when the caller does not say: ~8 bytes × a few columns × 1M
#: rows keeps each batch in the tens of megabytes.
DEFAULT_BATCH_ROWS = 1_000_000


class Unsupported(Exception):
    """This dataset cannot be streamed with whole-column semantics (reason in ``str``)."""


def _same_across_files(per_file: list[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """The dtype ``pd.concat`` of the part files gives, when it is exactly reproducible."""
    out: dict[str, Any] = {}
    for name in names:
        found = {str(d[name]): d[name] for d in per_file}
        if len(found) == 1:
            out[name] = next(iter(found.values()))
        elif set(found) == {"int64", "float64"}:
            out[name] = np.dtype(np.float64)  # concat of int64 and float64 parts is float64
        else:
            raise Unsupported(f"column '{name}' has different dtypes in different files")
    return out
