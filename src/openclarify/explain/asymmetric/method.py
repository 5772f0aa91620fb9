"""``methods.asymmetric_shapley_value`` as a unit of the job (contract §2.8, §4.5, §6.11).

Writes ``explanations.asymmetric_shapley_value`` = ``{"direction", "granularity",
"explanation_results_path"}`` and the file
``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``.  Clarify writes
the S3 URI of that file; a run does not know where its output folder will be
uploaded, so ``explanation_results_path`` is the file's path relative to the
folder holding ``analysis.json`` (our choice, the same on every backend).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...errors import ConfigError
from ...methods import JobData, Needs
from ...results import AnalysisResult, OutputFile

if TYPE_CHECKING:
    from ...config import AnalysisConfig, AsymmetricShapleyValueConfig

__all__ = ["ASYMMETRIC_SHAPLEY", "AsymmetricShapleyMethod", "results_path"]

_KEY = "$.methods.asymmetric_shapley_value"
_NEEDS = Needs(
    model=True,
    no_predictor=(
        "asymmetric Shapley values explain a forecasting model, but $.predictor is not set",
        "describe the model in $.predictor (with time_series_predictor_config)",
    ),
)


def _asv(config: AnalysisConfig) -> AsymmetricShapleyValueConfig:
    asv = config.methods.asymmetric_shapley_value
    assert asv is not None
    return asv


def results_path(asv: AsymmetricShapleyValueConfig) -> str:
    """``asymmetric_shapley_value/<granularity>_<direction>/out.jsonl``."""
    return f"asymmetric_shapley_value/{asv.granularity}_{asv.direction}/out.jsonl"


class AsymmetricShapleyMethod:
    """Asymmetric Shapley values of a forecasting model, per item and forecast step."""

    def needs(self, config: AnalysisConfig) -> Needs:
        return _NEEDS

    def check(self, config: AnalysisConfig, backend: str) -> None:
        from ...data.timeseries import check_time_series_config
        from .baseline import check_baseline

        if config.time_series_data_config is None:
            raise ConfigError(
                "$.time_series_data_config",
                "is required for methods.asymmetric_shapley_value (where the series are)",
                "describe the item id, timestamp and target paths in time_series_data_config",
            )
        if backend == "spark":
            from ...backend.spark import why_no_spark_shap

            reason = why_no_spark_shap(config)  # the same rule: no shadow endpoint per task
            if reason is not None:
                raise ConfigError(
                    "--backend",
                    f"the spark backend cannot run this analysis exactly: {reason}",
                    "use --backend local for it",
                )
        check_time_series_config(config)
        check_baseline(_asv(config), len(config.time_series_data_config.static_covariates or ()))

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        from ...predict.timeseries import RECORD_COLUMN, forecast_matrix, record_template
        from .estimator import explain_items
        from .lines import out_jsonl

        config = data.config
        asv = _asv(config)
        dataset = data.time_series()
        if data.spark is not None:
            from ...backend.spark.asv import spark_asymmetric

            explanations = spark_asymmetric(config, dataset, spark=data.spark, log=data.log)
        else:
            session = data.session
            assert session is not None
            horizon: list[int] = []

            def forecaster(records: list[str]) -> NDArray[np.float64]:
                output = session.outputs(pd.DataFrame({RECORD_COLUMN: records}), verbose=False)
                values = forecast_matrix(output, len(records), horizon[0] if horizon else None)
                horizon[:1] = [values.shape[1]]
                return values

            explanations = explain_items(
                dataset, asv, record_template(config), forecaster, log=data.log
            )
        path = results_path(asv)
        section = {
            "direction": asv.direction,
            "granularity": asv.granularity,
            "explanation_results_path": path,
        }
        text = out_jsonl(explanations, dataset)
        return AnalysisResult(
            explanations={"asymmetric_shapley_value": section},
            files=(
                OutputFile(path, lambda: text, f"Wrote {len(explanations)} lines to {{target}}"),
            ),
        )


ASYMMETRIC_SHAPLEY = AsymmetricShapleyMethod()
