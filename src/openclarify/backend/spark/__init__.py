"""``--backend spark``: bias counts, SHAP (tabular, text), PDP and ASV by Spark tasks, merged on the driver.

Imported only when that backend is chosen; ``pyspark`` (the ``spark`` extra)
is imported only when a session is made (:func:`spark_session`), so importing
this package does not import it.  Which module to open for what:

* :mod:`.session` — the SparkSession (the active one, or a new one stopped on
  exit), the ``--backend`` name and the refusal naming it;
* :mod:`.tasks` — how work is spread: one task per unit, errors come back as
  values and the first in row order is raised on the driver; the driver's BLAS
  thread count for tasks that must round as it does;
* :mod:`.bias` — :func:`spark_bias_sections`: the streaming engine's dtype,
  summary and count passes as tasks (what is exact, what is refused);
* :mod:`.fliptest` — the Flip Test's rows gathered from the count tasks and
  the neighbour search on the driver;
* :mod:`.shap` — :func:`spark_shap`: records explained per partition;
* :mod:`.text` — ``spark_text_shap``: text records laid out on the driver,
  explained in runs of whole model calls (imported by the text unit directly);
* :mod:`.pdp` — :func:`spark_pdp`: the grid scored per partition, summed on
  the driver in the local order;
* :mod:`.asv` — ``spark_asymmetric``: time-series items planned on the driver,
  their records forecast per task (imported by the ASV unit directly).
"""

from .bias import spark_bias_sections, why_not_on_spark
from .pdp import _pdp_sums as _pdp_sums
from .pdp import spark_pdp
from .session import BACKEND, spark_session
from .shap import spark_shap, why_no_spark_shap

__all__ = [
    "BACKEND",
    "spark_bias_sections",
    "spark_pdp",
    "spark_session",
    "spark_shap",
    "why_no_spark_shap",
    "why_not_on_spark",
]
