"""Model Monitor job definitions built by the real SageMaker Python SDK (no AWS needed).

Run with the side environment that holds the pinned SDK, never with the main one::

    .venv-sdk/bin/python tests/monitor_capture/sdk_job_definitions.py --bucket NAME

``AWS_ENDPOINT_URL_SAGEMAKER`` points the SDK at a control-plane stub (the test's),
``AWS_ENDPOINT_URL_S3`` at moto's S3 server, where the SDK uploads the analysis
config its job definition's ``ConfigUri`` names.  Each monitor is written the way
the published notebooks write it (``ModelBiasMonitor`` with ``BiasAnalysisConfig``
and an ``EndpointInput`` holding the attributes; ``ModelExplainabilityMonitor``
with ``ExplainabilityAnalysisConfig``), with no baselining job, so every attribute
is the user's.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import boto3
from sagemaker import Session, clarify
from sagemaker.model_monitor import (
    BiasAnalysisConfig,
    CronExpressionGenerator,
    EndpointInput,
    ExplainabilityAnalysisConfig,
    ModelBiasMonitor,
    ModelExplainabilityMonitor,
)

ROLE = "arn:aws:iam::123456789012:role/openclarify-monitor"
SDK_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
HEADERS = ["Target", "Age", "Sex", "Income"]
FEATURES = ["x0", "x1", "x2"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--model-name", default="loans-model")
    args = parser.parse_args()
    session = Session(
        boto_session=boto3.Session(),
        default_bucket=args.bucket,
        sagemaker_config=SDK_CONFIG,
    )
    bias_config = clarify.BiasConfig(
        label_values_or_threshold=[1],
        facet_name="Sex",
        facet_values_or_threshold=[0],
        group_name="Age",
    )
    bias_monitor = ModelBiasMonitor(
        role=ROLE, sagemaker_session=session, max_runtime_in_seconds=1800
    )
    bias_monitor.create_monitoring_schedule(
        analysis_config=BiasAnalysisConfig(bias_config, headers=HEADERS, label="Target"),
        endpoint_input=EndpointInput(
            endpoint_name="loans-endpoint",
            destination="/opt/ml/processing/input/endpoint",
            probability_attribute="0",
            probability_threshold_attribute=0.6,
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
        ),
        ground_truth_input=f"s3://{args.bucket}/ground-truth",
        output_s3_uri=f"s3://{args.bucket}/monitoring/bias",
        constraints=f"s3://{args.bucket}/baseline/analysis.json",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )
    explain_monitor = ModelExplainabilityMonitor(role=ROLE, sagemaker_session=session)
    shap = clarify.SHAPConfig(
        baseline=[[0.0, 0.0, 0.0]], num_samples=20, agg_method="mean_abs", seed=1
    )
    model = clarify.ModelConfig(
        model_name=args.model_name,
        instance_type="ml.m5.xlarge",
        instance_count=1,
        content_type="text/csv",
        accept_type="text/csv",
    )
    explain_monitor.create_monitoring_schedule(
        analysis_config=ExplainabilityAnalysisConfig(shap, model, headers=FEATURES),
        endpoint_input=EndpointInput(
            endpoint_name="loans-endpoint",
            destination="/opt/ml/processing/input/endpoint",
            inference_attribute="0",
        ),
        output_s3_uri=f"s3://{args.bucket}/monitoring/explainability",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )


if __name__ == "__main__":
    main()
