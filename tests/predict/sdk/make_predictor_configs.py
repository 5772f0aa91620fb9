"""Generate the SDK-produced predictor configs in this folder (run with the real SageMaker SDK).

From the repository root (needs network once for pip)::

    python -m venv .venv-sdk && .venv-sdk/bin/pip install -r tests/sdk_configs/requirements.txt
    .venv-sdk/bin/python tests/predict/sdk/make_predictor_configs.py

For every case, ``<case>/analysis_config.json`` is produced only by
``sagemaker.clarify._AnalysisConfigGenerator`` (validated with
``ANALYSIS_CONFIG_SCHEMA_V1_0``, written with ``json.dump(cfg, f, indent=2)``,
never edited) and ``<case>/sdk_call.txt`` holds the evaluated call.  The
dataset comes from ``tests/predict/data.py`` at test time (its columns are
``HEADERS`` below); the endpoint and model names are the emulator's.
"""

import json
import logging
import os
import textwrap

os.environ["SAGEMAKER_SUPPRESS_V2_WARNING"] = "1"
logging.getLogger("sagemaker.config").setLevel(logging.WARNING)

from sagemaker.clarify import (  # noqa: E402
    ANALYSIS_CONFIG_SCHEMA_V1_0,
    BiasConfig,
    DataConfig,
    ModelConfig,
    ModelPredictedLabelConfig,
    PDPConfig,
    SHAPConfig,
    _AnalysisConfigGenerator,
)

HERE = os.path.dirname(os.path.abspath(__file__))
NAMESPACE = {
    "__builtins__": {},
    "_AnalysisConfigGenerator": _AnalysisConfigGenerator,
    "DataConfig": DataConfig,
    "BiasConfig": BiasConfig,
    "ModelConfig": ModelConfig,
    "ModelPredictedLabelConfig": ModelPredictedLabelConfig,
    "SHAPConfig": SHAPConfig,
    "PDPConfig": PDPConfig,
}

DATA = """DataConfig(
        s3_data_input_path="s3://openclarify-fixtures/predict/data/rows.csv",
        s3_output_path="s3://openclarify-fixtures/predict/output",
        label="label",
        headers=["group", "x0", "x1", "x2", "x3", "label"],
        excluded_columns=["group"],
        dataset_type="text/csv",
    )"""
BIAS = """BiasConfig(
        label_values_or_threshold=[1],
        facet_name="group",
        facet_values_or_threshold=["a"],
    )"""

CASES = {
    "endpoint_csv": """_AnalysisConfigGenerator.bias(
    data_config=%(data)s,
    bias_config=%(bias)s,
    model_config=ModelConfig(
        endpoint_name="clarify-test-endpoint",
        content_type="text/csv",
        accept_type="text/csv",
    ),
    model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.6),
    pre_training_methods="all",
    post_training_methods="all",
)""",
    "shadow_endpoint_jsonlines": """_AnalysisConfigGenerator.bias_post_training(
    data_config=%(data)s,
    bias_config=%(bias)s,
    model_predicted_label_config=ModelPredictedLabelConfig(label="predicted_label", probability="score"),
    methods="all",
    model_config=ModelConfig(
        model_name="clarify-test-model",
        instance_type="ml.m5.xlarge",
        instance_count=1,
        content_type="application/jsonlines",
        accept_type="application/jsonlines",
        content_template='{"features":$features}',
    ),
)""",
    "endpoint_json_probability": """_AnalysisConfigGenerator.bias_post_training(
    data_config=%(data)s,
    bias_config=%(bias)s,
    model_predicted_label_config=ModelPredictedLabelConfig(
        probability="predictions[*].score", probability_threshold=0.4
    ),
    methods="all",
    model_config=ModelConfig(
        endpoint_name="clarify-test-endpoint",
        content_type="application/json",
        accept_type="application/json",
        content_template='{"instances":$records}',
        record_template="$features_kvp",
    ),
)""",
    "shap_endpoint_csv": """_AnalysisConfigGenerator.explainability(
    data_config=%(data)s,
    model_config=ModelConfig(
        endpoint_name="clarify-test-endpoint",
        content_type="text/csv",
        accept_type="text/csv",
    ),
    model_predicted_label_config=None,
    explainability_config=SHAPConfig(
        baseline=[[0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 0.5, 0.25]],
        num_samples=12,
        agg_method="mean_abs",
        seed=7,
        save_local_shap_values=True,
    ),
)""",
    "shap_pdp_shadow_jsonlines": """_AnalysisConfigGenerator.explainability(
    data_config=%(data)s,
    model_config=ModelConfig(
        model_name="clarify-test-model",
        instance_type="ml.m5.xlarge",
        instance_count=1,
        content_type="application/jsonlines",
        accept_type="application/jsonlines",
        content_template='{"features":$features}',
    ),
    model_predicted_label_config=ModelPredictedLabelConfig(probability="score"),
    explainability_config=[
        SHAPConfig(num_clusters=2, seed=3, use_logit=True, agg_method="median"),
        PDPConfig(top_k_features=2, grid_resolution=6),
    ],
)""",
    "pdp_endpoint_json": """_AnalysisConfigGenerator.explainability(
    data_config=%(data)s,
    model_config=ModelConfig(
        endpoint_name="clarify-test-endpoint",
        content_type="application/json",
        accept_type="application/json",
        content_template='{"instances":$records}',
        record_template="$features_kvp",
    ),
    model_predicted_label_config=ModelPredictedLabelConfig(probability="predictions[*].score"),
    explainability_config=PDPConfig(features=["x0", "x2"], grid_resolution=4),
)""",
}


def main() -> None:
    for case, template in CASES.items():
        call = template % {"data": DATA, "bias": BIAS}
        config = eval(call, NAMESPACE)  # our own fixed expressions, no builtins
        ANALYSIS_CONFIG_SCHEMA_V1_0.validate(config)
        folder = os.path.join(HERE, case)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "analysis_config.json"), "w") as handle:
            json.dump(config, handle, indent=2)
            handle.write("\n")
        with open(os.path.join(folder, "sdk_call.txt"), "w") as handle:
            handle.write(textwrap.dedent(call) + "\n")
        print(f"wrote {case}")


if __name__ == "__main__":
    main()
