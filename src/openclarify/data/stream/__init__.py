"""Read a CSV, Parquet or JSON Lines dataset in record batches with whole-column dtypes.

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

Which module to open for what:

* :mod:`.source` — :class:`StreamSource` (settling dtypes, units of work,
  batches: what every format goes through) and :func:`open_source`;
* :mod:`.csv_files`, :mod:`.parquet_files`, :mod:`.jsonlines_files` — one
  format each: how its column names are found, its dtypes settled and its
  batches read;
* :mod:`.common` — :class:`Unsupported`, the default batch size, and how
  part files' dtypes join.
"""

from .common import DEFAULT_BATCH_ROWS, Unsupported
from .source import StreamSource, open_source

__all__ = ["DEFAULT_BATCH_ROWS", "StreamSource", "Unsupported", "open_source"]
