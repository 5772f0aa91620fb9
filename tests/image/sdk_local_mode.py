"""Clarify jobs through the real SageMaker Python SDK in local mode, against our image.

Run with the side environment that holds the pinned SDK (``make .venv-sdk/.installed``),
never with the main one::

    .venv-sdk/bin/python tests/image/sdk_local_mode.py --endpoint-url http://127.0.0.1:PORT \\
        --image openclarify:dev --bucket NAME --work DIR --container-root DIR JOB ...

``tests/image/test_sdk_local_mode.py`` and ``tests/image/test_multi_instance.py`` run it
as a subprocess. S3 is whatever answers at ``--endpoint-url`` (the tests start moto's
server); credentials and the region come from the environment, as for any SDK user.

Each JOB is written the way an SDK user writes it — ``sagemaker.local.LocalSession``,
``SageMakerClarifyProcessor(instance_type="local")`` with ``image_uri`` set to our image,
``DataConfig`` / ``BiasConfig`` / ``ModelConfig`` / ``SHAPConfig`` / ``PDPConfig`` and
the processor's ``run_*`` methods:

* ``lab``: the public "detect data bias" lab, calls unchanged: upload under
  ``bias/unbalanced/``, ``run_pre_training_bias(..., wait=False, logs=False)``,
  ``ProcessingJob.from_processing_name(...).wait(logs=False)``, list the output prefix;
  then balance with ``groupby([...]).sample(n=smallest)`` and repeat under ``bias/balanced/``;
* ``post-training``: ``run_post_training_bias`` on predicted labels in the data
  (``DataConfig(predicted_label=...)``);
* ``bias``: ``run_bias`` (pre- and post-training) on the same data;
* ``explain``: ``run_explainability`` with ``SHAPConfig`` and ``PDPConfig`` against a model
  server reached through the ``predictor.openclarify.endpoint_url`` extension.

``--instance-count 2`` runs a multi-instance job (two compose services); ``--stop-signal``
sets the SDK's ``local.container_config`` ``stop_signal`` for it (see
``test_multi_instance.py``). Everything the tests check is written under ``--work``: ``result.json`` (one entry per
job: names, status, S3 keys, timings, the dataset file uploaded) and every object of each
job's output prefix, downloaded under ``<work>/<run>/``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

import boto3
import pandas as pd
from sagemaker import clarify
from sagemaker.local import LocalSession
from sagemaker.processing import ProcessingJob

#: Local mode never checks the role; the SDK requires one.
ROLE = "arn:aws:iam::123456789012:role/openclarify-local"
#: The SDK's own config: no telemetry call (it would try to reach AWS).
SDK_CONFIG = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
LAB_METHODS = ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"]


def session(args: argparse.Namespace) -> tuple[LocalSession, Any]:
    """A local-mode session whose S3 is ``--endpoint-url``, and an S3 client for checks.

    ``boto_session`` is passed explicitly: ``LocalSession(s3_endpoint_url=...)`` without
    one fails in sagemaker 2.257.7 (``_initialize`` calls ``.resource`` on the
    ``boto_session`` argument, which is ``None``, instead of ``self.boto_session``).
    """
    boto_session = boto3.Session()
    sess = LocalSession(
        boto_session=boto_session,
        s3_endpoint_url=args.endpoint_url,
        default_bucket=args.bucket,
        sagemaker_config=SDK_CONFIG,
    )
    # Where local mode puts its compose file and job folders (the tests clean up there).
    local: dict[str, Any] = {"container_root": str(args.container_root)}
    if args.stop_signal:
        # merged into every compose service: the signal that `docker-compose up
        # --abort-on-container-exit` stops the other hosts with once one has exited
        local["container_config"] = {"stop_signal": args.stop_signal}
    sess.config = {"local": local}
    return sess, boto_session.client("s3", endpoint_url=args.endpoint_url)


def processor(
    sess: LocalSession, args: argparse.Namespace, **kwargs: Any
) -> clarify.SageMakerClarifyProcessor:
    proc = clarify.SageMakerClarifyProcessor(
        role=ROLE,
        instance_count=args.instance_count,
        instance_type="local",
        sagemaker_session=sess,
        **kwargs,
    )
    proc.image_uri = args.image
    return proc


def collect(
    s3: Any, output_uri: str, work: Path, run: str, dataset: Path, job_name: str, seconds: float
) -> dict[str, Any]:
    """List the job's output prefix (as ``aws s3 ls`` does) and download every object."""
    bucket, _, prefix = output_uri.removeprefix("s3://").partition("/")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    keys = sorted(item["Key"][len(prefix) + 1 :] for item in listed.get("Contents", []))
    folder = work / run
    for key in keys:
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, f"{prefix}/{key}", str(target))
    return {
        "run": run,
        "job_name": job_name,
        "output_uri": output_uri,
        "keys": keys,
        "folder": str(folder),
        "dataset": str(dataset),
        "seconds": round(seconds, 2),
    }


def upload(sess: LocalSession, dataset: Path, key_prefix: str) -> str:
    """``sess.upload_data`` of a file (its URI) or of a folder of part files (the prefix)."""
    uri: str = sess.upload_data(str(dataset), bucket=sess.default_bucket(), key_prefix=key_prefix)
    return uri


def lab(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The lab's two runs: the data as it comes, then balanced by hand."""
    sess, s3 = session(args)
    bucket = sess.default_bucket()
    runs = [_lab_run(args, sess, s3, bucket, "unbalanced", args.dataset)]

    df = pd.read_csv(args.dataset)
    df_grouped_by = df.groupby(["product_category", "sentiment"])
    df_balanced = df_grouped_by.sample(n=int(df_grouped_by.size().min()), random_state=42)
    balanced_path = args.work / "womens_clothing_ecommerce_reviews_balanced.csv"
    df_balanced.to_csv(balanced_path, index=False)
    runs.append(_lab_run(args, sess, s3, bucket, "balanced", balanced_path))
    return runs


def _lab_run(
    args: argparse.Namespace, sess: LocalSession, s3: Any, bucket: str, run: str, path: Path
) -> dict[str, Any]:
    df = pd.read_csv(path)
    data_s3_uri = sess.upload_data(path=str(path), bucket=bucket, key_prefix=f"bias/{run}")
    bias_report_output_path = f"s3://{bucket}/bias/generated_bias_report/{run}"
    data_config = clarify.DataConfig(
        s3_data_input_path=data_s3_uri,
        s3_output_path=bias_report_output_path,
        label="sentiment",
        headers=df.columns.to_list(),
        dataset_type="text/csv",
    )
    data_bias_config = clarify.BiasConfig(
        label_values_or_threshold=[1],
        facet_name="product_category",
    )
    clarify_processor = processor(sess, args)
    started = time.perf_counter()
    clarify_processor.run_pre_training_bias(
        data_config=data_config,
        data_bias_config=data_bias_config,
        methods=LAB_METHODS,
        wait=False,
        logs=False,
    )
    run_pre_training_bias_processing_job_name = clarify_processor.latest_job.job_name
    running_processor = ProcessingJob.from_processing_name(
        processing_job_name=run_pre_training_bias_processing_job_name,
        sagemaker_session=sess,
    )
    running_processor.wait(logs=False)
    seconds = time.perf_counter() - started
    entry = collect(
        s3,
        bias_report_output_path,
        args.work,
        run,
        path,
        run_pre_training_bias_processing_job_name,
        seconds,
    )
    entry["status"] = running_processor.describe()["ProcessingJobStatus"]
    return entry


def loans_data_config(args: argparse.Namespace, data_uri: str, output: str) -> clarify.DataConfig:
    headers = _headers(args)
    return clarify.DataConfig(
        s3_data_input_path=data_uri,
        s3_output_path=output,
        label="Approved",
        predicted_label="Prediction",
        headers=headers,
        dataset_type="text/csv",
    )


def _headers(args: argparse.Namespace) -> list[str]:
    if args.headers:
        return list(args.headers.split(","))
    return pd.read_csv(args.dataset, nrows=0).columns.to_list()


def loans_bias_config() -> clarify.BiasConfig:
    return clarify.BiasConfig(
        label_values_or_threshold=[1],
        facet_name="Gender",
        facet_values_or_threshold=["Female"],
        group_name="EducationLevel",
    )


def post_training(args: argparse.Namespace) -> list[dict[str, Any]]:
    return _bias_job(args, "post-training")


def bias(args: argparse.Namespace) -> list[dict[str, Any]]:
    return _bias_job(args, "bias")


def _bias_job(args: argparse.Namespace, run: str) -> list[dict[str, Any]]:
    sess, s3 = session(args)
    bucket = sess.default_bucket()
    data_uri = upload(sess, args.dataset, f"{run}/data")
    output = f"s3://{bucket}/{run}/report"
    data_config = loans_data_config(args, data_uri, output)
    proc = processor(sess, args)
    started = time.perf_counter()
    if run == "bias":
        proc.run_bias(
            data_config=data_config,
            bias_config=loans_bias_config(),
            pre_training_methods="all",
            post_training_methods="all",
            wait=True,
            logs=False,
        )
    else:
        proc.run_post_training_bias(
            data_config=data_config,
            data_bias_config=loans_bias_config(),
            methods="all",
            wait=True,
            logs=False,
        )
    seconds = time.perf_counter() - started
    entry = collect(s3, output, args.work, run, args.dataset, proc.latest_job.job_name, seconds)
    entry["status"] = proc.latest_job.describe()["ProcessingJobStatus"]
    return [entry]


def explain(args: argparse.Namespace) -> list[dict[str, Any]]:
    """SHAP and PDP through a model server the processing container can reach.

    ``ModelConfig`` needs an ``endpoint_name`` (or a ``model_name``); with the
    ``openclarify`` object in the predictor it is not used. The SDK's schema does not
    know that object, so the processor skips its early validation (the container still
    validates the whole config).
    """
    sess, s3 = session(args)
    bucket = sess.default_bucket()
    data_uri = upload(sess, args.dataset, "explain/data")
    output = f"s3://{bucket}/explain/report"
    data_config = clarify.DataConfig(
        s3_data_input_path=data_uri,
        s3_output_path=output,
        label="Approved",
        headers=_headers(args),
        excluded_columns=["Prediction"],
        dataset_type="text/csv",
    )
    model_config = clarify.ModelConfig(
        endpoint_name="local-model",
        content_type="text/csv",
        accept_type="text/csv",
    )
    model_config.predictor_config["openclarify"] = {"endpoint_url": args.model_url}
    shap_config = clarify.SHAPConfig(seed=7, num_clusters=2)
    pdp_config = clarify.PDPConfig(features=["Age", "CreditScore"], grid_resolution=5)
    proc = processor(sess, args, skip_early_validation=True)
    started = time.perf_counter()
    proc.run_explainability(
        data_config=data_config,
        model_config=model_config,
        explainability_config=[shap_config, pdp_config],
        wait=True,
        logs=False,
    )
    seconds = time.perf_counter() - started
    entry = collect(
        s3, output, args.work, "explain", args.dataset, proc.latest_job.job_name, seconds
    )
    entry["status"] = proc.latest_job.describe()["ProcessingJobStatus"]
    return [entry]


JOBS = {"lab": lab, "post-training": post_training, "bias": bias, "explain": explain}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--endpoint-url", required=True, help="S3 endpoint (moto's server)")
    parser.add_argument("--image", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--container-root", type=Path, required=True)
    parser.add_argument("--dataset", type=Path, required=True, help="a CSV file or a folder")
    parser.add_argument("--headers", help="comma-separated column names (for headerless parts)")
    parser.add_argument("--instance-count", type=int, default=1)
    parser.add_argument("--model-url", help="the model server as the container sees it")
    parser.add_argument("--stop-signal", help="local.container_config stop_signal, e.g. SIGKILL")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.work.mkdir(parents=True, exist_ok=True)
    args.container_root.mkdir(parents=True, exist_ok=True)
    runs = JOBS[args.job](args)
    (args.work / "result.json").write_text(json.dumps({"runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
