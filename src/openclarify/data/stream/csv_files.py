"""CSV files in record batches: chunk dtypes joined as pandas' C parser joins a whole file's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DatasetError
from .. import readers
from .common import Unsupported


@dataclass(frozen=True)
class _CsvFile:
    path: Path
    has_header: bool
    skip_first: bool
    n_columns: int


def _csv_file_kinds(
    spec: _CsvFile, columns: list[str], names: Sequence[str], batch_rows: int
) -> tuple[int, dict[str, set[str]]]:
    """Rows of one CSV file and the dtype kinds pandas infers in its chunks."""
    n_rows = 0
    seen: dict[str, set[str]] = {name: set() for name in names}
    # every column on this first pass: a row with too many fields is then the
    # same "is not valid CSV" error as a whole-file read (usecols would let it
    # through silently)
    for chunk in _csv_chunks(spec, columns, names, batch_rows, None, all_columns=True):
        n_rows += len(chunk)
        for name in names:
            seen[name].add(_csv_chunk_kind(chunk[name]))
    return n_rows, seen


def _csv_chunks(
    spec: _CsvFile,
    columns: list[str],
    names: Sequence[str],
    batch_rows: int,
    dtypes: dict[str, Any] | None,
    *,
    all_columns: bool = False,
) -> Iterator[pd.DataFrame]:
    positions = sorted({columns.index(name) for name in names})
    by_position = {columns.index(name): name for name in names}
    dtype_arg = None
    if dtypes is not None:
        dtype_arg = {p: _csv_read_dtype(dtypes[by_position[p]]) for p in positions}
    try:
        reader = pd.read_csv(
            spec.path,
            header=0 if spec.has_header else None,
            skiprows=1 if spec.skip_first else 0,
            usecols=None if all_columns else positions,
            dtype=dtype_arg,
            chunksize=batch_rows,
        )
        with reader:
            for chunk in reader:
                if all_columns:
                    chunk = chunk.iloc[:, positions]
                # usecols returns the columns in file order: name them by position
                chunk.columns = [by_position[p] for p in positions]
                yield chunk
    except pd.errors.EmptyDataError:
        return
    except (pd.errors.ParserError, ValueError) as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(
            f"file {spec.path.name}", f"is not valid CSV: {problem}", "fix the malformed rows"
        ) from exc


def _csv_chunk_kind(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if dtype == np.dtype(np.int64):
        return "int"
    if dtype == np.dtype(np.float64):
        return "float"
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_string_dtype(dtype):
        return "str"
    return f"other:{dtype}"


def _csv_join(name: str, kinds: set[str]) -> Any:
    """The whole-file dtype the C parser infers, given the chunks' inferred dtypes."""
    if not kinds:
        return np.dtype(np.float64)  # no rows: never read again
    if "str" in kinds and not any(k.startswith("other") for k in kinds):
        return pd.StringDtype(na_value=np.nan)
    if kinds == {"int"}:
        return np.dtype(np.int64)
    if kinds <= {"int", "float"}:
        return np.dtype(np.float64)
    if kinds == {"bool"}:
        return np.dtype(bool)
    raise Unsupported(f"column '{name}' mixes {sorted(kinds)} across chunks")


def _csv_read_dtype(dtype: Any) -> Any:
    return str if isinstance(dtype, pd.StringDtype) else dtype


def _csv_columns(
    files: list[Path], headers: Sequence[str] | None
) -> tuple[list[str], list[_CsvFile]]:
    """The column names (``headers`` applied) and how to read each file, reading only headers."""
    specs: list[_CsvFile] = []
    reference: list[str] | None = None
    for file in files:
        first = readers._first_row(file)
        if first is None:
            raise Unsupported(f"empty CSV file {file.name}")
        if headers is not None:
            skip = [cell.strip() for cell in first] == [str(h).strip() for h in headers]
            has_header = False
        else:
            skip = False
            has_header = not any(readers._is_number(cell) for cell in first)
        spec = _CsvFile(file, has_header, skip, len(first))
        try:
            probe = pd.read_csv(
                file, header=0 if has_header else None, skiprows=1 if skip else 0, nrows=1
            )
        except pd.errors.EmptyDataError as exc:
            raise Unsupported(f"CSV file {file.name} has no rows") from exc
        except (pd.errors.ParserError, ValueError) as exc:
            raise Unsupported(f"CSV file {file.name} does not parse") from exc
        if headers is not None:
            if len(probe.columns) != len(headers):
                raise DatasetError(
                    f"file {file.name}",
                    f"has {len(probe.columns)} columns but $.headers names {len(headers)}",
                    "make $.headers list exactly one name per CSV column",
                )
            names = [str(h) for h in headers]
        elif not has_header:
            names = [f"column_{i}" for i in range(len(probe.columns))]
        else:
            names = [str(c) for c in probe.columns]
        if reference is None:
            reference = names
        elif names != reference:
            raise Unsupported("CSV part files with different columns")
        specs.append(spec)
    assert reference is not None
    return reference, specs
