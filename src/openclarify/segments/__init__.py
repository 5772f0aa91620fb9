"""``segment_config``: the same analysis for every segment of the rows.

* :mod:`.membership` — which segment each row belongs to (first match, ``__default__``);
* :mod:`.method` — the wrapper that runs each requested method unit per segment.

The output layout (``segment_analysis`` in ``analysis.json``) is described in
:mod:`openclarify.results.segments`.
"""
