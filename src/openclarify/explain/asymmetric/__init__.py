"""Time-series explanations: asymmetric Shapley values (``methods.asymmetric_shapley_value``).

:mod:`.orderings` (the estimator: time-respecting orderings, exact and sampled),
:mod:`.players` (players, blocks, masked inputs), :mod:`.baseline`,
:mod:`.estimator` (per item, through the model), :mod:`.lines` (``out.jsonl``),
:mod:`.method` (the unit of the job).
"""
