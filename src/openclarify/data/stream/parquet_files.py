"""Parquet files in record batches: dtypes from the file footers, batches converted to them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DatasetError
from .common import Unsupported


def _parquet_file_dtypes(
    files: Sequence[Path], columns: list[str], column_arrow_names: list[str], names: Sequence[str]
) -> tuple[list[dict[str, Any]], int]:
    """Every file's pandas dtype of each named column, and the rows of all files.

    Raises :class:`Unsupported` for a column whose dtype cannot be reproduced
    batch by batch; the caller joins the files' dtypes (``_same_across_files``).
    """
    import pyarrow as pa

    per_file: list[dict[str, Any]] = []
    n_rows = 0
    for file in files:
        handle = _open_parquet(file)
        schema = handle.schema_arrow
        n_rows += handle.metadata.num_rows
        empty = schema.empty_table().to_pandas()
        dtypes: dict[str, Any] = {}
        for name in names:
            arrow_name = column_arrow_names[columns.index(name)]
            arrow_type = schema.field(arrow_name).type
            base = empty[arrow_name].dtype
            if not (
                pa.types.is_integer(arrow_type)
                or pa.types.is_floating(arrow_type)
                or pa.types.is_boolean(arrow_type)
                or pa.types.is_string(arrow_type)
                or pa.types.is_large_string(arrow_type)
            ):
                raise Unsupported(f"column '{name}' has Arrow type {arrow_type}")
            nullable = pa.types.is_integer(arrow_type) or pa.types.is_boolean(arrow_type)
            if nullable and _parquet_null_count(handle, arrow_name) > 0:
                # Table.to_pandas: integers with nulls become float64,
                # booleans with nulls become object (True/False/None).
                base = np.dtype(np.float64) if pa.types.is_integer(arrow_type) else np.dtype(object)
            if pa.types.is_unsigned_integer(arrow_type) and arrow_type.bit_width == 64:
                raise Unsupported(f"column '{name}' is uint64")
            dtypes[name] = base
        per_file.append(dtypes)
    return per_file, n_rows


def _parquet_batches(
    files: Sequence[Path],
    columns: list[str],
    column_arrow_names: list[str],
    names: Sequence[str],
    dtypes: dict[str, Any],
    batch_rows: int,
    *,
    row_group: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Frames of at most ``batch_rows`` rows of the named columns, in ``dtypes``."""
    arrow_names = [column_arrow_names[columns.index(name)] for name in names]
    groups = None if row_group is None else [row_group]
    for file in files:
        # pre_buffer=False: with pre-buffering, the reader keeps every row group's
        # buffers until the iterator ends, so memory would grow with the file.
        handle = _open_parquet(file, pre_buffer=False)
        batches = handle.iter_batches(
            batch_size=batch_rows, row_groups=groups, columns=list(arrow_names)
        )
        for batch in batches:
            frame = batch.to_pandas()
            out = {}
            for name, arrow_name in zip(names, arrow_names, strict=True):
                series = frame[arrow_name]
                if series.dtype != dtypes[name]:
                    series = series.astype(dtypes[name])
                out[name] = series
            yield pd.DataFrame(out, copy=False)


def _open_parquet(file: Path, pre_buffer: bool = True) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(file, pre_buffer=pre_buffer)
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(
            f"file {file.name}", f"is not a readable Parquet file ({type(exc).__name__})"
        ) from exc


def _parquet_null_count(handle: Any, arrow_name: str) -> int:
    """Nulls of one column, from the footer statistics when every row group has them."""
    index = handle.schema_arrow.get_field_index(arrow_name)
    metadata = handle.metadata
    total = 0
    for group in range(metadata.num_row_groups):
        statistics = metadata.row_group(group).column(index).statistics
        if statistics is None or not statistics.has_null_count:
            break
        total += statistics.null_count
    else:
        return total
    return sum(batch.column(0).null_count for batch in handle.iter_batches(columns=[arrow_name]))


def _parquet_columns(
    files: list[Path], headers: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """The column names (``headers`` applied) and the Arrow field names, reading only footers."""
    reference: list[str] | None = None
    arrow_names: list[str] = []
    for file in files:
        handle = _open_parquet(file)
        frame_columns = list(handle.schema_arrow.empty_table().to_pandas().columns)
        if not all(isinstance(c, str) and c in handle.schema_arrow.names for c in frame_columns):
            raise Unsupported("Parquet columns that are not plain named fields")
        if reference is None:
            reference, arrow_names = [str(c) for c in frame_columns], list(frame_columns)
        elif [str(c) for c in frame_columns] != reference:
            raise Unsupported("Parquet part files with different columns")
    assert reference is not None  # dataset_files never returns an empty list
    columns = reference
    if headers is not None:
        if len(headers) != len(columns):
            raise DatasetError(
                "$.headers",
                f"names {len(headers)} columns but the Parquet data has {len(columns)}",
            )
        columns = [str(h) for h in headers]
    return columns, arrow_names
