"""``methods.shap.text_config`` as a unit of the job: Kernel SHAP over text units.

Writes ``explanations.kernel_shap`` (with ``global_top_shap_text``),
``explanations_shap/baseline.csv`` and, with ``save_local_shap_values``,
``explanations_shap/out.jsonl`` (no ``out.csv``: Clarify writes none for text).
On the local backends the job's model session is called; on Spark the tasks
call the model (:mod:`openclarify.backend.spark.text`), with the same bytes.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...errors import ConfigError
from ...methods import JobData, Needs
from ...results import AnalysisResult, OutputFile
from ..analysis import model_features
from ..method import check_spark
from ..shap_values import ScoreFn
from .columns import ColumnTypes, column_types
from .masking import DEFAULT_TEXT_BASELINE
from .result import TextShapExplanation
from .shap import explain_text_records
from .units import Segmenter, check_available, segmenter

if TYPE_CHECKING:
    from ...config import AnalysisConfig

SHAP_DIR = "explanations_shap"
BASELINE_FILE = f"{SHAP_DIR}/baseline.csv"
LOCAL_FILE = f"{SHAP_DIR}/out.jsonl"

_log = logging.getLogger("openclarify")


def _baseline(
    config: Any, features: pd.DataFrame, text: list[str], other: list[str], locations: Any, log: Any
) -> pd.DataFrame:
    """The configured baseline, or clusters of the non-text features plus the text default."""
    shap = config.methods.shap
    if shap.baseline is not None:
        from ..baseline_input import baseline_from_config

        baseline = baseline_from_config(
            shap.baseline,
            features,
            dataset_type=config.dataset_type,
            features_expression=config.features,
            locations=locations,
        )
        log.info("Using the given baseline of %d row(s)", len(baseline))
        return baseline.reset_index(drop=True)
    if other:
        from ..baseline import compute_baseline

        rows = compute_baseline(features[other], num_clusters=shap.num_clusters, seed=shap.seed)
        rows = rows.reset_index(drop=True)
    else:
        rows = pd.DataFrame(index=range(1))
    for name in text:
        rows[name] = DEFAULT_TEXT_BASELINE
    log.info(
        "Computed a baseline of %d row(s); absent text units are replaced by %r",
        len(rows),
        DEFAULT_TEXT_BASELINE,
    )
    return rows[list(features.columns)]


@dataclass(frozen=True)
class TextInputs:
    """What every backend explains: the features, their types, the baseline, the splitter."""

    features: pd.DataFrame
    types: ColumnTypes
    baseline: pd.DataFrame
    segmenter: Segmenter


def text_inputs(
    config: Any, table: Any, *, locations: Any = None, log: logging.Logger | None = None
) -> TextInputs:
    """The feature columns, which are free text, and the baseline of ``config`` on ``table``."""
    log = log or _log
    _, features, _ = model_features(table)
    text_config = config.methods.shap.text_config
    split = segmenter(text_config.language, text_config.granularity)
    types = column_types(features)
    log.info(
        "Text columns: %s; other features: %d",
        ", ".join(f"'{c}'" for c in types.text),
        len(types.other),
    )
    baseline = _baseline(config, features, types.text, types.other, locations, log)
    return TextInputs(features, types, baseline, split)


def with_job_settings(config: Any, table: Any, result: TextShapExplanation) -> TextShapExplanation:
    """``result`` with the join column's values and ``save_local_shap_values``."""
    join = table.frame[table.join].reset_index(drop=True) if table.join is not None else None
    save_local = bool(config.methods.shap.save_local_shap_values)
    return dataclasses.replace(result, join=join, save_local=save_local)


def text_shap_for(
    config: Any,
    table: Any,
    scores: ScoreFn,
    *,
    locations: Any = None,
    rows_per_call: int | None = None,
    log: logging.Logger | None = None,
) -> TextShapExplanation:
    """Run ``methods.shap`` with ``text_config`` of ``config`` on ``table``."""
    log = log or _log
    inputs = text_inputs(config, table, locations=locations, log=log)
    shap = config.methods.shap
    result = explain_text_records(
        inputs.features,
        inputs.types,
        inputs.baseline,
        scores,
        inputs.segmenter,
        label_headers=config.predictor.label_headers if config.predictor is not None else None,
        num_samples=shap.num_samples,
        seed=shap.seed,
        agg_method=shap.agg_method or "mean_abs",
        use_logit=bool(shap.use_logit),
        max_top_tokens=shap.text_config.max_top_tokens,
        max_batch_rows=rows_per_call,
        log=log,
    )
    return with_job_settings(config, table, result)


class TextShapMethod:
    """``methods.shap`` with ``text_config``: SHAP values of text units and other features."""

    def needs(self, config: AnalysisConfig) -> Needs:
        return Needs(
            model=True,
            no_predictor=(
                "SHAP explains a model, but $.predictor is not set",
                "describe the model in $.predictor",
            ),
        )

    def check(self, config: AnalysisConfig, backend: str) -> None:
        shap = config.methods.shap
        assert shap is not None and shap.text_config is not None
        if shap.features_to_explain is not None:
            # the SDK's own refusal (SHAPConfig), for configs that bypass it
            raise ConfigError(
                "$.methods.shap.features_to_explain",
                "`features_to_explain` is not supported for datasets containing text features "
                "or images.",
                "remove features_to_explain",
            )
        check_spark(config, backend)  # the tabular rule (shadow endpoints, lent models)
        check_available(shap.text_config.language)

    def run(self, data: JobData, earlier: AnalysisResult) -> AnalysisResult:
        if data.spark is not None:
            from ...backend.spark.text import spark_text_shap

            shap = spark_text_shap(
                data.config, data.table(), spark=data.spark, locations=data.locations, log=data.log
            )
        else:
            assert data.session is not None
            shap = text_shap_for(
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
                    shap.local_jsonl,
                    f"Wrote {shap.n_records} local explanations to: {{target}}",
                )
            )
        return AnalysisResult(
            explanations={"kernel_shap": shap.section()},
            files=tuple(files),
            text_examples=shap.examples(),
        )


TEXT_SHAP = TextShapMethod()
