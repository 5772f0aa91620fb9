"""The dataset as a :class:`StreamSource`: dtypes settled once, then record batches, per format."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import readers
from .common import DEFAULT_BATCH_ROWS, Unsupported, _same_across_files
from .csv_files import _csv_chunks, _csv_columns, _csv_file_kinds, _csv_join, _CsvFile
from .jsonlines_files import (
    JsonFacts,
    _json_batches,
    _json_dtypes,
    _json_file_facts,
    _JsonLines,
    _jsonlines_columns,
)
from .parquet_files import _open_parquet, _parquet_batches, _parquet_columns, _parquet_file_dtypes


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
        """Whole-dataset pandas dtype of each named column (see :mod:`openclarify.data.stream`).

        Also sets :attr:`n_rows`.  Raises :class:`Unsupported` when the dtype
        cannot be reproduced batch by batch.
        """
        if self.dataset_type == readers.PARQUET:
            per_file, self.n_rows = _parquet_file_dtypes(
                self.files, self.columns, self._arrow_names, names
            )
            self._dtypes = _same_across_files(per_file, names)
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
        assert self._json is not None
        return _json_file_facts(self.files[index], self._json, self.columns, names)

    def settle_json_facts(self, found: Sequence[JsonFacts], names: Sequence[str]) -> dict[str, Any]:
        """Whole-dataset dtypes (and :attr:`n_rows`) from every file's :meth:`json_file_facts`."""
        self._nested = {}
        dtypes = _json_dtypes(found, names, self._nested)
        self.n_rows = sum(facts.n_rows for facts in found)
        self._dtypes = dtypes
        return dict(dtypes)

    # --- CSV -----------------------------------------------------------------
    def csv_file_kinds(
        self, index: int, names: Sequence[str], batch_rows: int
    ) -> tuple[int, dict[str, set[str]]]:
        """Rows of CSV file ``index`` and the dtype kinds pandas infers in its chunks.

        The per-file half of :meth:`settle_dtypes` (a partitioned backend runs
        it where the file is read, then :meth:`settle_csv_kinds` on one side).
        """
        return _csv_file_kinds(self._csv[index], self.columns, names, batch_rows)

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
            yield from _parquet_batches(
                [self.files[index]],
                self.columns,
                self._arrow_names,
                names,
                dtypes,
                batch_rows,
                row_group=group,
            )
        elif self.dataset_type == readers.JSONLINES:
            assert self._json is not None
            yield from _json_batches(
                self.files[index], self._json, self.columns, names, batch_rows, dtypes
            )
        else:
            yield from _csv_chunks(self._csv[index], self.columns, names, batch_rows, dtypes)

    # --- batches -----------------------------------------------------------
    def batches(self, names: Sequence[str], batch_rows: int) -> Iterator[pd.DataFrame]:
        """Frames of at most ``batch_rows`` rows holding the named columns.

        :meth:`settle_dtypes` must have been called with (a superset of) ``names``.
        """
        dtypes = {name: self._dtypes[name] for name in names}
        if self.dataset_type == readers.PARQUET:
            yield from _parquet_batches(
                self.files, self.columns, self._arrow_names, names, dtypes, batch_rows
            )
            return
        for index in range(len(self.files)):
            yield from self.unit_batches((index, None), names, batch_rows)


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
        columns, arrow_names = _parquet_columns(files, headers)
        return StreamSource(columns, files, readers.PARQUET, _arrow_names=arrow_names)
    if config.dataset_type == readers.CSV:
        columns, specs = _csv_columns(files, headers)
        return StreamSource(columns, files, readers.CSV, _csv=specs)
    if config.dataset_type == readers.JSONLINES:
        columns, spec = _jsonlines_columns(config, files)
        return StreamSource(columns, files, readers.JSONLINES, _json=spec)
    raise Unsupported(f"dataset_type {config.dataset_type}")
