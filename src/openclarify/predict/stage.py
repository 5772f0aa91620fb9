"""The job's predict stage: one model session for every method that needs the model."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

from ..methods import JobData


@contextlib.contextmanager
def model_stage(data: JobData, *, needs_predictions: bool, log: logging.Logger) -> Iterator[None]:
    """Open the model, add its predictions to the table if asked, and keep it open.

    Every method run inside the block finds the session in ``data.session``: a
    shadow endpoint is created once, and deleted when the block ends — when the
    last method that needs the model is done, before the others run.  On Spark
    (``data.spark`` set) the tasks call the model themselves and nothing is opened.
    """
    if data.spark is not None:
        yield
        return
    from . import open_model, predictions_for, with_predictions
    from .images import IMAGE_COLUMN, IMAGE_DATASET

    if data.config.is_time_series:  # items, not a table: the method renders its records
        from .timeseries import RECORD_COLUMN

        data.time_series()  # read (and checked) before a shadow endpoint is created
        features = [RECORD_COLUMN]
    elif data.config.dataset_type == IMAGE_DATASET:
        # an image dataset is no table: its one "feature" is the image (read by its method)
        features = [IMAGE_COLUMN]
    else:
        features = list(data.table().feature_columns)
    with open_model(data.config, features, log=log) as session:
        if needs_predictions:
            started = time.perf_counter()
            table = data.table()
            data.replace_table(
                with_predictions(table, predictions_for(data.config, table, session=session))
            )
            log.info("Predictions computed in %.2fs", time.perf_counter() - started)
        data.session = session
        try:
            yield
        finally:
            data.session = None
        stats = session.stats
        if stats.requests:
            log.info(
                "Model calls: %d requests, %d rows (%.0f rows per request)",
                stats.requests,
                stats.rows,
                stats.rows_per_request,
            )
