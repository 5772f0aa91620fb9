"""Datasets: reading every content type and resolving the configured columns (contract §2.2–2.3).

Which module to open for what:

* :mod:`.readers` — whole-file readers by content type (CSV, JSON Lines, JSON,
  Parquet), part-file folders, the JSON headers conventions;
* :mod:`.stream` — the same formats as record batches (the streaming engine);
* :mod:`.table` — the :class:`~openclarify.data.table.BiasTable`: label, predicted
  label, facets, group, join and side datasets resolved with located errors;
* :mod:`.kinds` — whether a column is categorical or continuous;
* :mod:`.selection` — facet groups and label masks.
"""
