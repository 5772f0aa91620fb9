"""Read a CSV or Parquet dataset in record batches with whole-column dtypes.

The in-memory readers (:mod:`.readers`) let pandas infer each column's dtype
from the *whole* file, and Clarify's kind inference depends on that dtype.  A
batch of rows, read on its own, can infer differently (a column of integers
whose only missing value lies in a later batch is ``int64`` in the first batch
but ``float64`` in the whole file).  So a :class:`StreamSource` first settles
every needed column's dtype exactly as the whole-file read would, then yields
batches converted to those dtypes:

* Parquet: the dtype is Arrow's pandas conversion of the file's schema, with
  integer columns that hold a null anywhere in the file turned into
  ``float64`` and boolean ones into ``object`` (what ``Table.to_pandas`` does
  to the whole file).  Null counts come from the footer statistics, or from a
  scan of those columns when a writer left them out.
* CSV: one extra pass reads the needed columns in chunks with pandas' own
  inference and joins the chunk dtypes the way the C parser decides for the
  whole file (``int64`` + ``float64`` → ``float64``; text anywhere → ``str``);
  the later passes read the chunks with that dtype.  The header rules of
  :func:`.readers.read_csv` apply unchanged.
* JSON Lines: lines are parsed and the ``features`` / ``label`` /
  ``predicted_label`` JMESPaths applied exactly as
  :func:`.readers.read_jsonlines` does (same column names, same errors, in
  the same order).  ``pd.DataFrame`` of Python values infers each column's
  dtype from the *set of value types* in it (``int`` with ``None`` is
  ``float64``, ``str`` with ``None`` or NaN is ``str``, ``bool`` with
  anything else is ``object``, …) and from the integer range (beyond
  ``int64``), so one pass records per column one value of each type and the
  smallest and largest integer; the dtype pandas gives those few values is
  the whole-file dtype.  Batches are built from the parsed values with that
  dtype (``object`` columns keep the Python values, as the whole-file frame
  does).

Whatever cannot be reproduced exactly — part files whose dtypes differ,
Arrow dictionary / nested / temporal columns, a boolean column mixed with
anything else, unsigned 64-bit overflow (a CSV, Parquet or JSON Lines
column of integers beyond ``int64``), whole-file JSON (one document per file,
concatenated with ``pd.concat``'s own dtype promotions) — raises
:class:`Unsupported`, and the
caller falls back to reading the table into memory, which then behaves as
documented there.  Only the columns the caller names are read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DatasetError
from . import readers
from .table import json_reader_paths

#: Rows per batch when the caller does not say: ~8 bytes × a few columns × 1M
#: rows keeps each batch in the tens of megabytes.
DEFAULT_BATCH_ROWS = 1_000_000


class Unsupported(Exception):
    """This dataset cannot be streamed with whole-column semantics (reason in ``str``)."""


@dataclass(frozen=True)
class _CsvFile:
    path: Path
    has_header: bool
    skip_first: bool
    n_columns: int


@dataclass(frozen=True)
class _JsonLines:
    """How rows are taken from the JSON Lines records (see :func:`.readers.read_jsonlines`)."""

    features: str
    label: str | None
    predicted: str | None
    width: int  # features per record: the first record's (every other must match)


#: The value types that decide a JSON column's dtype (``float`` excludes NaN, which
#: pandas treats as missing next to strings but as a float next to numbers).
_JSON_TYPES = ("bool", "int", "float", "nan", "str", "none", "other")


@dataclass
class JsonFacts:
    """What one JSON Lines file tells about the columns read (mergeable, small).

    Attributes
    ----------
    n_rows:
        Records in the file.
    examples:
        Per column: one value of each type found (:data:`_JSON_TYPES`), and the
        smallest (``int_min``) and largest (``int_max``) integer.
    nested:
        Per column: the file row (0-based) of its first JSON list or object.
    """

    n_rows: int = 0
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    nested: dict[str, int] = field(default_factory=dict)


@dataclass
class StreamSource:
    """The files of one dataset and the column names the in-memory table would have.

    Attributes
    ----------
    columns:
        Column names in dataset order (``headers`` applied, as strings).
    files:
        The data files, in the order the in-memory reader concatenates them.
    dataset_type:
        ``text/csv``, ``application/x-parquet`` or ``application/jsonlines``.
    """

    columns: list[str]
    files: list[Path]
    dataset_type: str
    _csv: list[_CsvFile] = field(default_factory=list)
    _arrow_names: list[str] = field(default_factory=list)
    _json: _JsonLines | None = None
    _dtypes: dict[str, Any] = field(default_factory=dict)
    _nested: dict[str, int] = field(default_factory=dict)
    n_rows: int | None = None

    # --- dtypes ------------------------------------------------------------
    def settle_dtypes(self, names: Sequence[str], batch_rows: int) -> dict[str, Any]:
        """Whole-dataset pandas dtype of each named column (see module docstring).

        Also sets :attr:`n_rows`.  Raises :class:`Unsupported` when the dtype
        cannot be reproduced batch by batch.
        """
        if self.dataset_type == readers.PARQUET:
            self._dtypes = self._parquet_dtypes(names)
            return dict(self._dtypes)
        found = [self.file_facts(i, names, batch_rows) for i in range(len(self.files))]
        return self.settle_file_facts(found, names)

    def file_facts(self, index: int, names: Sequence[str], batch_rows: int) -> Any:
        """The per-file half of :meth:`settle_dtypes` for CSV and JSON Lines.

        A partitioned backend runs it where file ``index`` is read, then
        :meth:`settle_file_facts` on one side.  Raises the file's first error
        (the one a whole-file read raises first).
        """
        if self.dataset_type == readers.JSONLINES:
            return self.json_file_facts(index, names)
        return self.csv_file_kinds(index, names, batch_rows)

    def settle_file_facts(self, found: Sequence[Any], names: Sequence[str]) -> dict[str, Any]:
        """Whole-dataset dtypes (and :attr:`n_rows`) from every file's :meth:`file_facts`."""
        if self.dataset_type == readers.JSONLINES:
            return self.settle_json_facts(found, names)
        return self.settle_csv_kinds(found, names)

    def check_files(self) -> None:
        """Read every file once, raising its first error (no-op for Parquet).

        The in-memory readers parse the whole dataset before anything else is
        checked, so a caller about to raise a column or ``headers`` error calls
        this first: a malformed file is then reported first, as in memory.
        """
        if self.dataset_type != readers.PARQUET:
            for index in range(len(self.files)):
                self.file_facts(index, [], DEFAULT_BATCH_ROWS)

    def first_nested_row(self, name: str) -> int | None:
        """The dataset row (1-based) of column ``name``'s first JSON list or object."""
        row = self._nested.get(name)
        return None if row is None else row + 1

    # --- JSON Lines ----------------------------------------------------------
    def json_file_facts(self, index: int, names: Sequence[str]) -> JsonFacts:
        """Records of JSON Lines file ``index`` and the value types of the named columns."""
        positions = [(name, self.columns.index(name)) for name in names]
        facts = JsonFacts(examples={name: {} for name in names})
        for row in self._json_rows(index):
            for name, position in positions:
                value = row[position]
                kind = _json_type(value)
                found = facts.examples[name]
                if kind == "int":
                    found["int_min"] = min(found.get("int_min", value), value)
                    found["int_max"] = max(found.get("int_max", value), value)
                else:
                    found.setdefault(kind, value)
                    if kind == "other":
                        facts.nested.setdefault(name, facts.n_rows)
            facts.n_rows += 1
        return facts

    def settle_json_facts(self, found: Sequence[JsonFacts], names: Sequence[str]) -> dict[str, Any]:
        """Whole-dataset dtypes (and :attr:`n_rows`) from every file's :meth:`json_file_facts`."""
        dtypes: dict[str, Any] = {}
        self._nested = {}
        for name in names:
            examples: dict[str, Any] = {}
            offset = 0
            for facts in found:
                for kind, value in facts.examples[name].items():
                    if kind == "int_min":
                        examples[kind] = min(examples.get(kind, value), value)
                    elif kind == "int_max":
                        examples[kind] = max(examples.get(kind, value), value)
                    else:
                        examples.setdefault(kind, value)
                if name in facts.nested and name not in self._nested:
                    self._nested[name] = offset + facts.nested[name]
                offset += facts.n_rows
            dtypes[name] = _json_dtype(name, list(examples.values()))
        self.n_rows = sum(facts.n_rows for facts in found)
        self._dtypes = dtypes
        return dict(dtypes)

    def _json_rows(self, index: int) -> Iterator[list[Any]]:
        """Every record's row of file ``index`` (features, label, predicted label)."""
        assert self._json is not None
        return _json_rows(self.files[index], self._json)

    def _json_batches(
        self, index: int, names: Sequence[str], batch_rows: int, dtypes: dict[str, Any]
    ) -> Iterator[pd.DataFrame]:
        positions = [self.columns.index(name) for name in names]
        rows: list[list[Any]] = []
        for row in self._json_rows(index):
            rows.append([row[p] for p in positions])
            if len(rows) == batch_rows:
                yield _json_frame(rows, names, dtypes)
                rows = []
        if rows:
            yield _json_frame(rows, names, dtypes)

    def _parquet_dtypes(self, names: Sequence[str]) -> dict[str, Any]:
        import pyarrow as pa

        per_file: list[dict[str, Any]] = []
        n_rows = 0
        for file in self.files:
            handle = _open_parquet(file)
            schema = handle.schema_arrow
            n_rows += handle.metadata.num_rows
            empty = schema.empty_table().to_pandas()
            dtypes: dict[str, Any] = {}
            for name in names:
                arrow_name = self._arrow_names[self.columns.index(name)]
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
                    base = (
                        np.dtype(np.float64)
                        if pa.types.is_integer(arrow_type)
                        else np.dtype(object)
                    )
                if pa.types.is_unsigned_integer(arrow_type) and arrow_type.bit_width == 64:
                    raise Unsupported(f"column '{name}' is uint64")
                dtypes[name] = base
            per_file.append(dtypes)
        self.n_rows = n_rows
        return _same_across_files(per_file, names)

    def csv_file_kinds(
        self, index: int, names: Sequence[str], batch_rows: int
    ) -> tuple[int, dict[str, set[str]]]:
        """Rows of CSV file ``index`` and the dtype kinds pandas infers in its chunks.

        The per-file half of :meth:`settle_dtypes` (a partitioned backend runs
        it where the file is read, then :meth:`settle_csv_kinds` on one side).
        """
        spec = self._csv[index]
        n_rows = 0
        seen: dict[str, set[str]] = {name: set() for name in names}
        # every column on this first pass: a row with too many fields is then the
        # same "is not valid CSV" error as a whole-file read (usecols would let it
        # through silently)
        for chunk in self._csv_chunks(spec, names, batch_rows, None, all_columns=True):
            n_rows += len(chunk)
            for name in names:
                seen[name].add(_csv_chunk_kind(chunk[name]))
        return n_rows, seen

    def settle_csv_kinds(
        self, found: Sequence[tuple[int, dict[str, set[str]]]], names: Sequence[str]
    ) -> dict[str, Any]:
        """Whole-dataset dtypes (and :attr:`n_rows`) from every file's :meth:`csv_file_kinds`."""
        per_file = [{name: _csv_join(name, kinds[name]) for name in names} for _, kinds in found]
        self.n_rows = sum(n for n, _ in found)
        self._dtypes = _same_across_files(per_file, names)
        return dict(self._dtypes)

    def dtypes(self, names: Sequence[str]) -> dict[str, Any]:
        """The settled dtypes of the named columns (after :meth:`settle_dtypes`)."""
        return {name: self._dtypes[name] for name in names}

    # --- units of work (partitioned backends) --------------------------------
    def units(self) -> list[tuple[int, int | None]]:
        """Independent pieces of the dataset, in row order: ``(file, row group)``.

        Parquet files split into their row groups; a CSV or JSON Lines file is
        one piece (``None``), because only a sequential read of the whole file
        reproduces pandas' parsing (quoted newlines, header rules) and the
        readers' error line numbers.
        """
        if self.dataset_type != readers.PARQUET:
            return [(i, None) for i in range(len(self.files))]
        pieces: list[tuple[int, int | None]] = []
        for i, file in enumerate(self.files):
            groups = _open_parquet(file).metadata.num_row_groups
            pieces.extend((i, group) for group in range(groups))
        return pieces

    def unit_batches(
        self, unit: tuple[int, int | None], names: Sequence[str], batch_rows: int
    ) -> Iterator[pd.DataFrame]:
        """:meth:`batches` restricted to one piece of :meth:`units`."""
        index, group = unit
        dtypes = {name: self._dtypes[name] for name in names}
        if self.dataset_type == readers.PARQUET:
            yield from self._parquet_batches(
                names, dtypes, batch_rows, files=[self.files[index]], row_group=group
            )
        elif self.dataset_type == readers.JSONLINES:
            yield from self._json_batches(index, names, batch_rows, dtypes)
        else:
            yield from self._csv_chunks(self._csv[index], names, batch_rows, dtypes)

    # --- batches -----------------------------------------------------------
    def batches(self, names: Sequence[str], batch_rows: int) -> Iterator[pd.DataFrame]:
        """Frames of at most ``batch_rows`` rows holding the named columns.

        :meth:`settle_dtypes` must have been called with (a superset of) ``names``.
        """
        dtypes = {name: self._dtypes[name] for name in names}
        if self.dataset_type == readers.PARQUET:
            yield from self._parquet_batches(names, dtypes, batch_rows)
            return
        for index in range(len(self.files)):
            yield from self.unit_batches((index, None), names, batch_rows)

    def _parquet_batches(
        self,
        names: Sequence[str],
        dtypes: dict[str, Any],
        batch_rows: int,
        *,
        files: Sequence[Path] | None = None,
        row_group: int | None = None,
    ) -> Iterator[pd.DataFrame]:
        arrow_names = [self._arrow_names[self.columns.index(name)] for name in names]
        groups = None if row_group is None else [row_group]
        for file in self.files if files is None else files:
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

    def _csv_chunks(
        self,
        spec: _CsvFile,
        names: Sequence[str],
        batch_rows: int,
        dtypes: dict[str, Any] | None,
        *,
        all_columns: bool = False,
    ) -> Iterator[pd.DataFrame]:
        positions = sorted({self.columns.index(name) for name in names})
        by_position = {self.columns.index(name): name for name in names}
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


# --- JSON Lines ------------------------------------------------------------


def _json_type(value: Any) -> str:
    """Which of :data:`_JSON_TYPES` a parsed JSON value is (``bool`` before ``int``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else "float"
    if isinstance(value, str):
        return "str"
    return "other"  # a JSON list or object


#: Whole-file dtypes whose batches convert exactly (others: uint64 from huge integers).
_JSON_DTYPES = ("int64", "float64", "bool", "object", "str")


def _json_dtype(name: str, examples: list[Any]) -> Any:
    """The dtype ``pd.DataFrame`` gives a column holding the value types of ``examples``.

    pandas decides from which types occur (and whether an integer leaves the
    ``int64`` range), not from how many or where, so a column of one example of
    each type, with the extreme integers, gets the whole column's dtype.
    """
    if not examples:
        return np.dtype(np.float64)  # no rows: never read again
    dtype = pd.DataFrame([[value] for value in examples]).dtypes.iloc[0]
    if str(dtype) not in _JSON_DTYPES:
        raise Unsupported(f"column '{name}' would be {dtype} (integers beyond int64)")
    return dtype


def _json_frame(
    rows: list[list[Any]], names: Sequence[str], dtypes: dict[str, Any]
) -> pd.DataFrame:
    """A batch with the whole-file dtypes, built from the parsed values."""
    out = {}
    for position, name in enumerate(names):
        values = np.empty(len(rows), dtype=object)
        # element by element: a value that is itself a list must stay one cell
        for i, row in enumerate(rows):
            values[i] = row[position]
        dtype = dtypes[name]
        # object columns keep the Python values (None stays None), as pd.DataFrame does
        out[name] = pd.Series(values, dtype=dtype, copy=False)
    return pd.DataFrame(out, copy=False)


def _utf8_error(file: Path) -> DatasetError:
    return DatasetError(f"file {file.name}", "is not UTF-8 text", "save it as UTF-8")


@functools.lru_cache(maxsize=32)
def _compiled(expression: str, path: str) -> Any:
    return readers._compile(expression, path)


def _json_rows(file: Path, spec: _JsonLines, width: int | None = -1) -> Iterator[list[Any]]:
    """Every record's row of a JSON Lines file: features, then label and predicted label.

    Parses and checks each line as :func:`.readers.read_jsonlines` does, with
    the same errors.  That reader decodes the whole file before it parses a
    line, so a line's error is raised only once the rest of the file is known
    to decode (otherwise the file's UTF-8 error wins, as in memory).
    ``width``: the features every record must have (default: ``spec.width``;
    ``None``: not checked).
    """
    expected = spec.width if width == -1 else width
    features = _compiled(spec.features, "$.features")
    extra = [
        _compiled(expression, path)
        for expression, path in ((spec.label, "$.label"), (spec.predicted, "$.predicted_label"))
        if expression is not None
    ]
    with file.open(encoding="utf-8") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = _json_row(line, f"file {file.name}, line {number}", spec, features, extra)
                    if expected is not None and len(row) - len(extra) != expected:
                        raise DatasetError(
                            f"file {file.name}, line {number}",
                            f"has {len(row) - len(extra)} features, earlier lines have {expected}",
                        )
                except DatasetError:
                    for _ in handle:  # the rest of the file must decode first
                        pass
                    raise
                yield row
        except UnicodeDecodeError as exc:
            raise DatasetError(
                f"file {file.name}", "is not UTF-8 text", "save it as UTF-8"
            ) from exc


def _json_row(
    line: str, where: str, spec: _JsonLines, features: Any, extra: list[Any]
) -> list[Any]:
    record, values = readers.jsonlines_record(line, where, spec.features, features)
    row = list(values)
    row.extend(readers._search(expression, record, where) for expression in extra)
    return row


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


def open_source(config: Any, dataset: Path) -> StreamSource:
    """The column names and files of a CSV or Parquet dataset, reading only headers.

    Raises the same :class:`~openclarify.errors.DatasetError` as the in-memory
    reader for a wrong number of ``headers``; :class:`Unsupported` for other
    dataset types and for files that the in-memory reader would concatenate
    with a promotion or reject.
    """
    files = readers.dataset_files(dataset)
    headers = config.headers
    if config.dataset_type == readers.PARQUET:
        return _open_parquet_source(files, headers)
    if config.dataset_type == readers.CSV:
        return _open_csv_source(files, headers)
    if config.dataset_type == readers.JSONLINES:
        return _open_jsonlines_source(config, files)
    raise Unsupported(f"dataset_type {config.dataset_type}")


def _open_parquet_source(files: list[Path], headers: Sequence[str] | None) -> StreamSource:
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
    return StreamSource(columns, files, readers.PARQUET, _arrow_names=arrow_names)


def _open_csv_source(files: list[Path], headers: Sequence[str] | None) -> StreamSource:
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
    return StreamSource(reference, files, readers.CSV, _csv=specs)


def _open_jsonlines_source(config: Any, files: list[Path]) -> StreamSource:
    """Column names from the first record, with :func:`.readers.read_jsonlines`' errors."""
    # what openclarify.data.table.read_main_table passes to the reader
    label, predicted = json_reader_paths(config)
    # compiled first, in the reader's order: a bad expression fails before any file is read
    _compiled(config.features, "$.features")
    if label is not None:
        _compiled(label, "$.label")
    if predicted is not None:
        _compiled(predicted, "$.predicted_label")
    n_extra = (label is not None) + (predicted is not None)
    unchecked = _JsonLines(config.features, label, predicted, 0)
    width = None
    for file in files:
        # the first record sets the width; an earlier bad line is the reader's first error
        for row in _json_rows(file, unchecked, width=None):
            width = len(row) - n_extra
            break
        if width is not None:
            break
    spec = _JsonLines(config.features, label, predicted, width or 0)
    try:
        names = readers._json_column_names(width or 0, label, predicted, config.headers)
    except DatasetError:
        # the reader names the columns after reading every line: a bad line comes first
        StreamSource([], files, readers.JSONLINES, _json=spec).check_files()
        raise
    if width is None:
        if len(set(names)) != len(names):
            raise Unsupported("a JSON Lines dataset without records")  # duplicates come first
        raise DatasetError("dataset", "has no rows", "check that the dataset path holds the data")
    return StreamSource(names, files, readers.JSONLINES, _json=spec)


__all__ = ["DEFAULT_BATCH_ROWS", "StreamSource", "Unsupported", "open_source"]
