"""The in-process processor under the real SDK objects; run with ``.venv-sdk/bin/python``.

    PYTHONPATH=src .venv-sdk/bin/python tests/sdk_inprocess/driver.py WORK [--endpoint-url URL --bucket B]

``test_inprocess_processor.py`` runs it as a subprocess (the SDK is not in the main
environment). Three things are written under ``WORK``:

* ``cases/<case>/``: each ``tests/sdk_configs`` case's ``sdk_call.txt`` evaluated with
  the SDK's own ``DataConfig`` / ``BiasConfig`` / … and, in place of
  ``_AnalysisConfigGenerator.<method>``, the matching ``run_*`` method of
  ``openclarify.clarify.SageMakerClarifyProcessor`` (local data folder, local output
  folder) — plus ``generated.json``, what the SDK's generator returns for the same
  objects;
* ``explain/``: ``run_explainability`` with ``SHAPConfig`` and ``PDPConfig`` and a live
  model (``model=``), and ``generated.json``;
* ``lab/<run>/``: with ``--endpoint-url``, the public lab's calls on S3 (moto), unchanged
  but for the import and ``clarify.Session`` for ``sagemaker.Session``: upload under
  ``bias/unbalanced/``, ``run_pre_training_bias(..., wait=False, logs=False)``,
  ``ProcessingJob.from_processing_name(...).wait(logs=False)``, then balance with
  ``groupby(...).sample(n=smallest)`` and repeat under ``bias/balanced/``; the output
  prefix's keys in ``keys.json``;
* ``from_processing_name.json``: with ``--from-processing-name``, what
  ``ProcessingJob.from_processing_name`` gives for an in-process run through
  ``clarify.Session``, and what it does for another name and with the SDK's own
  ``sagemaker.Session``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
# The SDK's venv has the SDK and openclarify's core needs but not scipy / scikit-learn
# (the Flip Test's neighbour search).  The test passes the main venv's site-packages
# here: appended, so that every package the SDK's venv has (numpy, pandas, …) wins.
if os.environ.get("OPENCLARIFY_FALLBACK_SITE"):
    sys.path.append(os.environ["OPENCLARIFY_FALLBACK_SITE"])

import logging

logging.getLogger("sagemaker").setLevel(logging.WARNING)
logging.getLogger("sagemaker.config").setLevel(logging.WARNING)

from sagemaker.clarify import _AnalysisConfigGenerator  # noqa: E402

from openclarify import clarify  # noqa: E402

HERE = Path(__file__).parent
CASES = HERE.parent / "sdk_configs" / "cases"
sys.path.insert(0, str(HERE.parents[1]))
from tests.sdk_inprocess.linear_model import score  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/openclarify-local"


def _case(case: Path, work: Path) -> None:
    out = work / "cases" / case.name
    out.mkdir(parents=True)
    data = case / "data"
    files = [p for p in data.rglob("*") if p.is_file()]
    source = str(files[0] if len(files) == 1 else data)

    def data_config(**kwargs: Any) -> clarify.DataConfig:
        kwargs.update(s3_data_input_path=source, s3_output_path=str(out / "output"))
        return clarify.DataConfig(**kwargs)

    processor = clarify.SageMakerClarifyProcessor(
        role=ROLE, instance_count=1, instance_type="ml.m5.large"
    )

    class Generator:
        """``_AnalysisConfigGenerator`` as the call names it: runs the processor instead."""

        @staticmethod
        def bias(**kw: Any) -> None:
            generated = _AnalysisConfigGenerator.bias(**kw)
            processor.run_bias(
                kw["data_config"],
                kw["bias_config"],
                kw["model_config"],
                kw["model_predicted_label_config"],
                pre_training_methods=kw["pre_training_methods"],
                post_training_methods=kw["post_training_methods"],
            )
            (out / "generated.json").write_text(json.dumps(generated))

        @staticmethod
        def bias_pre_training(**kw: Any) -> None:
            generated = _AnalysisConfigGenerator.bias_pre_training(**kw)
            processor.run_pre_training_bias(
                data_config=kw["data_config"],
                data_bias_config=kw["bias_config"],
                methods=kw["methods"],
                wait=False,
                logs=False,
            )
            (out / "generated.json").write_text(json.dumps(generated))

        @staticmethod
        def bias_post_training(**kw: Any) -> None:
            generated = _AnalysisConfigGenerator.bias_post_training(**kw)
            processor.run_post_training_bias(
                data_config=kw["data_config"],
                data_bias_config=kw["bias_config"],
                model_config=kw["model_config"],
                model_predicted_label_config=kw["model_predicted_label_config"],
                methods=kw["methods"],
            )
            (out / "generated.json").write_text(json.dumps(generated))

    namespace = {
        "__builtins__": {},
        "_AnalysisConfigGenerator": Generator,
        "DataConfig": data_config,
        "BiasConfig": clarify.BiasConfig,
        "ModelConfig": clarify.ModelConfig,
        "ModelPredictedLabelConfig": clarify.ModelPredictedLabelConfig,
    }
    eval((case / "sdk_call.txt").read_text(), namespace)  # the fixture's own SDK call
    (out / "job_name.txt").write_text(processor.latest_job.job_name)


def _explain(work: Path) -> None:
    out = work / "explain"
    out.mkdir(parents=True)
    dataset = CASES / "pre_csv_header" / "data"
    source = next(p for p in dataset.rglob("*.csv"))
    header = source.read_text().splitlines()[0].split(",")
    data_config = clarify.DataConfig(
        s3_data_input_path=str(source),
        s3_output_path=str(out / "output"),
        label="Approved",
        headers=header,
        dataset_type="text/csv",
        excluded_columns=[c for c in header if c not in ("Age", "CreditScore", "Approved")],
    )
    model_config = clarify.ModelConfig(
        model_name="loan-model",
        instance_type="ml.m5.large",
        instance_count=1,
        accept_type="text/csv",
    )
    shap_config = clarify.SHAPConfig(
        baseline=[[40, 650]], num_samples=8, agg_method="mean_abs", seed=3
    )
    pdp_config = clarify.PDPConfig(features=["Age"], grid_resolution=5)
    generated = _AnalysisConfigGenerator.explainability(
        data_config, model_config, None, [shap_config, pdp_config]
    )
    processor = clarify.SageMakerClarifyProcessor(
        role=ROLE, instance_count=1, instance_type="ml.m5.large", model=score
    )
    result = processor.run_explainability(
        data_config=data_config,
        model_config=model_config,
        explainability_config=[shap_config, pdp_config],
    )
    assert result.explanations is not None
    (out / "generated.json").write_text(json.dumps(generated))
    (out / "dataset.txt").write_text(str(source))


def _lab(work: Path, endpoint_url: str, bucket: str, dataset: Path) -> None:
    """The lab's cells, in order; only the import and the Session class differ."""
    import boto3
    import pandas as pd
    import sagemaker
    from sagemaker.processing import ProcessingJob

    # the lab's sagemaker.Session(): clarify.Session also describes in-process jobs
    sess = clarify.Session(boto_session=boto3.Session(), default_bucket=bucket)
    assert isinstance(sess, sagemaker.Session)
    role = ROLE
    s3 = boto3.client("s3", endpoint_url=endpoint_url)

    for run, path in (("unbalanced", dataset), ("balanced", work / "balanced.csv")):
        if run == "balanced":
            df = pd.read_csv(dataset)
            df_grouped_by = df.groupby(["product_category", "sentiment"])
            df_balanced = df_grouped_by.sample(n=int(df_grouped_by.size().min()), random_state=42)
            df_balanced.to_csv(path, index=False)
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
        clarify_processor = clarify.SageMakerClarifyProcessor(
            role=role, instance_count=1, instance_type="ml.m5.large", sagemaker_session=sess
        )
        clarify_processor.run_pre_training_bias(
            data_config=data_config,
            data_bias_config=data_bias_config,
            methods=["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"],
            wait=False,
            logs=False,
        )
        running_processor = ProcessingJob.from_processing_name(
            processing_job_name=clarify_processor.latest_job.job_name, sagemaker_session=sess
        )
        running_processor.wait(logs=False)
        prefix = f"bias/generated_bias_report/{run}/"
        keys = sorted(
            o["Key"][len(prefix) :]
            for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        )
        folder = work / "lab" / run
        folder.mkdir(parents=True)
        for key in keys:
            s3.download_file(bucket, prefix + key, str(folder / key))
        (folder / "keys.json").write_text(json.dumps(keys))
        (folder / "dataset.txt").write_text(str(path))
        (folder / "status.txt").write_text(running_processor.describe()["ProcessingJobStatus"])


def _from_processing_name(work: Path) -> None:
    """``ProcessingJob.from_processing_name`` of an in-process run, and of other names.

    ``AWS_ENDPOINT_URL_SAGEMAKER`` is a closed port (set by the test): whatever
    reaches the SageMaker API fails at once instead of reaching AWS.
    """
    import sagemaker
    from botocore.exceptions import BotoCoreError, ClientError
    from sagemaker.processing import ProcessingJob

    data = work / "data.csv"
    data.write_text("y,g,x\n" + "".join(f"{i % 2},{'ab'[i % 3 == 0]},{i}\n" for i in range(30)))
    processor = clarify.SageMakerClarifyProcessor(
        role=ROLE, instance_count=1, instance_type="ml.m5.large"
    )
    processor.run_pre_training_bias(
        data_config=clarify.DataConfig(
            s3_data_input_path=str(data),
            s3_output_path=str(work / "output"),
            label="y",
            headers=["y", "g", "x"],
            dataset_type="text/csv",
        ),
        data_bias_config=clarify.BiasConfig(label_values_or_threshold=[1], facet_name="g"),
        methods=["CI"],
        wait=False,
        logs=False,
    )
    assert processor.latest_job is not None
    name = processor.latest_job.job_name
    sess = clarify.Session()
    job = ProcessingJob.from_processing_name(sagemaker_session=sess, processing_job_name=name)
    job.wait(logs=False)
    job.wait(logs=True)
    out: dict[str, Any] = {
        "job_name": job.job_name,
        "latest_job": name,
        "describe": job.describe(),
        "latest_describe": processor.latest_job.describe(),
        "outputs": [(o.output_name, o.source, o.destination) for o in job.outputs],
    }
    for key, session in (("unknown_name", sess), ("sdk_session", sagemaker.Session())):
        which = "not-run-in-this-process" if key == "unknown_name" else name
        try:
            ProcessingJob.from_processing_name(sagemaker_session=session, processing_job_name=which)
        except (BotoCoreError, ClientError) as exc:
            out[key] = type(exc).__name__
        else:
            out[key] = "answered"
    (work / "from_processing_name.json").write_text(json.dumps(out))


def main(argv: list[str]) -> int:
    work = Path(argv[0])
    if "--from-processing-name" in argv:
        _from_processing_name(work)
        return 0
    if "--endpoint-url" in argv:
        endpoint = argv[argv.index("--endpoint-url") + 1]
        bucket = argv[argv.index("--bucket") + 1]
        dataset = Path(argv[argv.index("--dataset") + 1])
        _lab(work, endpoint, bucket, dataset)
        return 0
    for case in sorted(p.parent for p in CASES.glob("*/sdk_call.txt")):
        _case(case, work)
    _explain(work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
