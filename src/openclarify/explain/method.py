"""The explanation methods as units of the job: Kernel SHAP (``methods.shap``) and PDP (``methods.pdp``).

Each needs the model; on the local backends it calls it through the job's model
session, on Spark the tasks call it (:mod:`openclarify.backend.spark`).  SHAP
writes ``explanations.kernel_shap`` and the files under ``explanations_shap/``;
PDP writes ``explanations.pdp`` and ranks its features by the SHAP result before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..methods import JobData, Needs
from ..results import AnalysisResult, OutputFile
from .analysis import kernel_shap_for, pdp_for, segment_explanation

if TYPE_CHECKING:
    from ..config import AnalysisConfig

#: Where the SHAP files go, relative to the output folder (contract §4.1).
SHAP_DIR = "explanations_shap"
BASELINE_FILE = f"{SHAP_DIR}/baseline.csv"
LOCAL_FILE = f"{SHAP_DIR}/out.csv"

_EXPLAIN_NEEDS = Needs(
    model=True,
    no_predictor=(
        "SHAP and PDP explain a model, but $.predictor is not set",
        "describe the model in $.predictor",
    ),
)


def check_spark(config: AnalysisConfig, backend: str) -> None:
    """Refuse on ``--backend spark`` a model the tasks cannot call (shadow endpoint, lent object)."""
    if backend != "spark":
        return
    from ..backend.spark import why_no_spark_shap

    reason = why_no_spark_shap(config)
    if reason is not None:
        raise ConfigError(
            "--backend",
            f"the spark backend cannot run this analysis exactly: {reason}",
            "use --backend local for it",
        )


class KernelShapMethod:
    """``methods.shap`` on tabular data: global and local SHAP values, and the baseline."""

    def needs(self, config: AnalysisConfig) -> Needs:
        return _EXPLAIN_NEEDS

    def check(self, config: AnalysisConfig, backend: str) -> None:
        check_spark(config, backend)

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        if data.spark is not None:
            from ..backend.spark import spark_shap

            shap = spark_shap(
                data.config, data.table(), spark=data.spark, locations=data.locations, log=data.log
            )
        else:
            assert data.session is not None
            shap = kernel_shap_for(
                data.config,
                data.table(),
                data.session.scores,
                locations=data.locations,
                rows_per_call=data.session.rows_per_call,
                log=data.log,
            )
        files = [
            OutputFile(
                BASELINE_FILE,
                shap.baseline_csv,
                "Wrote baseline used to compute explanations to: {folder}",
            )
        ]
        if shap.save_local:
            files.append(
                OutputFile(
                    LOCAL_FILE,
                    shap.local_csv,
                    f"Wrote {shap.local.shape[0]} local explanations to: {{target}}",
                )
            )
        return AnalysisResult(
            explanations={"kernel_shap": shap.section()}, shap=shap, files=tuple(files)
        )

    def run_segment(
        self, data: JobData, earlier: AnalysisResult, whole: AnalysisResult
    ) -> AnalysisResult:
        """SHAP of one segment (``segment_config``): ``whole``'s local values of its rows.

        No model call: a record's local values depend only on the record, the
        baseline, the seed and its row, so with every coalition enumerated the
        segment's records explained alone (with the same baseline) get the same
        values; their ``agg_method`` aggregation is the segment's global SHAP value.
        """
        from ..segments.method import SegmentData

        assert whole.shap is not None and isinstance(data, SegmentData)
        data.table()  # counts the segment's rows (EmptySegment when there are none)
        shap = segment_explanation(whole.shap, data.whole_mask(), data.config.methods.shap)
        return AnalysisResult(explanations={"kernel_shap": shap.section()}, shap=shap)


class PartialDependenceMethod:
    """``methods.pdp``: partial dependence of the listed (or top SHAP) features."""

    def needs(self, config: AnalysisConfig) -> Needs:
        return _EXPLAIN_NEEDS

    def check(self, config: AnalysisConfig, backend: str) -> None:
        pdp = config.methods.pdp
        if pdp is not None and pdp.features is None and config.methods.shap is None:
            raise ConfigError(
                "$.methods.pdp.features",
                "is required when methods.shap is not run (top_k_features ranks by SHAP)",
                "list the features to plot, or add methods.shap",
            )
        shap = config.methods.shap
        if pdp is not None and pdp.features is None and shap is not None and shap.text_config:
            # text SHAP ranks text units, not the tabular features a PDP plots
            raise ConfigError(
                "$.methods.pdp.features",
                "is required with text explanations (top_k_features ranks tabular SHAP values)",
                "list the features to plot",
            )
        check_spark(config, backend)

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        if data.spark is not None:
            from ..backend.spark import spark_pdp

            pdp = spark_pdp(
                data.config, data.table(), spark=data.spark, shap=earlier.shap, log=data.log
            )
        else:
            assert data.session is not None
            pdp = pdp_for(
                data.config, data.table(), data.session.scores, shap=earlier.shap, log=data.log
            )
        return AnalysisResult(explanations={"pdp": pdp})


KERNEL_SHAP = KernelShapMethod()
PDP = PartialDependenceMethod()
