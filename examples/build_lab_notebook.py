"""Build and execute ``detect_data_bias.ipynb``: the public Clarify lab, offline.

    python examples/build_lab_notebook.py [--python PATH] [--site PATH]

The cells are below, in order; the notebook is written from them, executed top to
bottom with nbclient (outputs kept), and saved next to this file.  The kernel is the
Python given (default: this one); it needs the SageMaker SDK (``sagemaker``), moto's
server, and openclarify with the ``report`` and ``mitigation`` extras.  ``--site``
appends a ``site-packages`` folder to the kernel's path, for a kernel whose own
environment has the SDK but not the rest (the repository's ``.venv-sdk``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "detect_data_bias.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        """# Detect data bias — the public Clarify lab, offline

The lab's flow, calls and files: upload reviews to S3, run Clarify's pre-training bias
job, read `analysis.json`, balance the data, run again. Two changes make it run on a
laptop with no AWS account:

* **one import and one line**: `from openclarify import clarify` instead of `from
  sagemaker import clarify` — the SDK's own `DataConfig`, `BiasConfig`, and a
  `SageMakerClarifyProcessor` with the same `run_*` methods that runs the analysis in
  this process — and `clarify.Session(...)` instead of `sagemaker.Session(...)`, so
  that `ProcessingJob.from_processing_name` finds the run;
* **S3 is local**: a moto server on 127.0.0.1 stands in for S3.

Then the library does what the lab did by hand (`openclarify.mitigate.resample`), and
offers reweighing, which keeps every review.

Needs: `pip install 'openclarify[sdk,report,mitigation]' 'moto[server]'`.""",
    ),
    (
        "code",
        """# Offline S3: a moto server on 127.0.0.1, fake credentials (no AWS account involved)
import logging
import os

from moto.server import ThreadedMotoServer

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per S3 request
logging.getLogger("sagemaker.config").setLevel(logging.WARNING)  # no "defaults" notices

s3_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
s3_server.start()
host, port = s3_server.get_host_and_port()
os.environ.update(
    AWS_ENDPOINT_URL_S3=f"http://{host}:{port}",
    AWS_ENDPOINT_URL_STS=f"http://{host}:{port}",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    SAGEMAKER_SUPPRESS_V2_WARNING="1",
)""",
    ),
    (
        "markdown",
        "## The data\n\nSynthetic reviews shaped like the lab's: `sentiment` (−1, 0, 1), `review_body`, `product_category`; most reviews positive, a few categories dominate.",
    ),
    (
        "code",
        """import pandas as pd
from womens_clothing_reviews import reviews

df = reviews(rows=2000, seed=11)
df.to_csv("./womens_clothing_ecommerce_reviews_transformed.csv", index=False)
df.groupby(["product_category", "sentiment"]).size().unstack()""",
    ),
    ("markdown", "## Upload to S3 (the lab's calls)"),
    (
        "code",
        """import boto3

from openclarify import clarify  # was: from sagemaker import clarify

# was: sagemaker.Session(); the same arguments, and it also describes in-process runs
sess = clarify.Session(default_bucket="openclarify-lab")
bucket = sess.default_bucket()
boto3.client("s3").create_bucket(Bucket=bucket)  # the SDK creates it on AWS; moto starts empty
role = "arn:aws:iam::123456789012:role/openclarify-lab"  # sagemaker.get_execution_role() on AWS
region = "us-east-1"

data_s3_uri_unbalanced = sess.upload_data(
    bucket=bucket,
    key_prefix="bias/unbalanced",
    path="./womens_clothing_ecommerce_reviews_transformed.csv",
)
data_s3_uri_unbalanced""",
    ),
    ("markdown", "## Run the bias job — the lab's cells, unchanged"),
    (
        "code",
        """bias_report_unbalanced_output_path = f"s3://{bucket}/bias/generated_bias_report/unbalanced"

data_config_unbalanced = clarify.DataConfig(
    s3_data_input_path=data_s3_uri_unbalanced,
    s3_output_path=bias_report_unbalanced_output_path,
    label="sentiment",
    headers=df.columns.to_list(),
    dataset_type="text/csv",
)
bias_config_unbalanced = clarify.BiasConfig(
    label_values_or_threshold=[1],
    facet_name="product_category",
)
clarify_processor_unbalanced = clarify.SageMakerClarifyProcessor(
    role=role,
    instance_count=1,
    instance_type="ml.m5.large",
    sagemaker_session=sess,
)
clarify_processor_unbalanced.run_pre_training_bias(
    data_config=data_config_unbalanced,
    data_bias_config=bias_config_unbalanced,
    methods=["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"],
    wait=False,
    logs=False,
)
run_unbalanced_bias_processing_job_name = clarify_processor_unbalanced.latest_job.job_name
run_unbalanced_bias_processing_job_name""",
    ),
    (
        "code",
        """from sagemaker.processing import ProcessingJob

running_processor = ProcessingJob.from_processing_name(
    processing_job_name=run_unbalanced_bias_processing_job_name, sagemaker_session=sess
)
running_processor.wait(logs=False)
running_processor.describe()["ProcessingJobStatus"]""",
    ),
    ("markdown", "## The output prefix (`aws s3 ls`): the five files of the lab"),
    (
        "code",
        """s3 = boto3.client("s3")


def ls(prefix):
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    return sorted(o["Key"][len(prefix) + 1 :] for o in listed.get("Contents", []))


ls("bias/generated_bias_report/unbalanced")""",
    ),
    ("markdown", "## Read `analysis.json`: CI and DPL per category"),
    (
        "code",
        """import json


def metrics_table(prefix):
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}/analysis.json")["Body"].read()
    groups = json.loads(body)["pre_training_bias_metrics"]["facets"]["product_category"]
    return pd.DataFrame(
        {g["value_or_threshold"]: {m["name"]: m["value"] for m in g["metrics"]} for g in groups}
    ).T


metrics_table("bias/generated_bias_report/unbalanced").round(4)""",
    ),
    (
        "markdown",
        "The same analysis straight from the DataFrame — the same `analysis.json`, shown as a table, and plotted (each metric's distance from its fair value):",
    ),
    (
        "code",
        """import openclarify
from openclarify.results import dumps_analysis

result = openclarify.bias(
    df,
    label="sentiment",
    label_values=[1],
    facet="product_category",
    methods=["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"],
)
uploaded = s3.get_object(Bucket=bucket, Key="bias/generated_bias_report/unbalanced/analysis.json")
assert uploaded["Body"].read().decode() == dumps_analysis(result.to_dict())
result""",
    ),
    ("code", "result.plot()"),
    (
        "markdown",
        "## Balance the data (the lab, by hand)\n\nEvery (category, sentiment) group down to the smallest group's size. With pandas ≥ 3, `groupby(...).sample(n=...)` keeps every column (`apply(lambda g: g.sample(n))` would drop the grouping columns).",
    ),
    (
        "code",
        """df_grouped_by = df.groupby(["product_category", "sentiment"])
df_balanced = df_grouped_by.sample(n=int(df_grouped_by.size().min()), random_state=42)
df_balanced.to_csv("./womens_clothing_ecommerce_reviews_balanced.csv", index=False)
len(df_balanced)""",
    ),
    (
        "code",
        """data_s3_uri_balanced = sess.upload_data(
    bucket=bucket,
    key_prefix="bias/balanced",
    path="./womens_clothing_ecommerce_reviews_balanced.csv",
)
bias_report_balanced_output_path = f"s3://{bucket}/bias/generated_bias_report/balanced"
data_config_balanced = clarify.DataConfig(
    s3_data_input_path=data_s3_uri_balanced,
    s3_output_path=bias_report_balanced_output_path,
    label="sentiment",
    headers=df_balanced.columns.to_list(),
    dataset_type="text/csv",
)
bias_config_balanced = clarify.BiasConfig(
    label_values_or_threshold=[1],
    facet_name="product_category",
)
clarify_processor_balanced = clarify.SageMakerClarifyProcessor(
    role=role,
    instance_count=1,
    instance_type="ml.m5.large",
    sagemaker_session=sess,
)
clarify_processor_balanced.run_pre_training_bias(
    data_config=data_config_balanced,
    data_bias_config=bias_config_balanced,
    methods=["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"],
    wait=False,
    logs=False,
)
clarify_processor_balanced.latest_job.wait(logs=False)
ls("bias/generated_bias_report/balanced")""",
    ),
    ("markdown", "After balancing, CI is the same for every category and DPL is 0:"),
    (
        "code",
        """balanced = metrics_table("bias/generated_bias_report/balanced")
balanced[["CI", "DPL"]]""",
    ),
    (
        "markdown",
        "## The same, as a library call\n\n`openclarify.mitigate.resample` balances every cell (seeded) and reports the metrics before and after:",
    ),
    (
        "code",
        """from openclarify import mitigate

resampled = mitigate.resample(
    df, label="sentiment", facet="product_category", label_values=[1], seed=42
)
cells = ["product_category", "sentiment"]
assert resampled.data.groupby(cells).size().equals(df_balanced.groupby(cells).size())
resampled.summary().query("metric in ['CI', 'DPL']").round(4)""",
    ),
    (
        "markdown",
        """## Reweighing: the better alternative

Undersampling threw most reviews away. Reweighing (Kamiran & Calders) keeps every row
and adds a weight `w(a, y) = P(a)·P(y) / P(a, y)`; in the weighted data category and
sentiment are independent, so the weighted DPL is 0 — and CI keeps its value, since no
category loses rows. Train with the column as `sample_weight`.""",
    ),
    (
        "code",
        """reweighed = mitigate.reweigh(df, label="sentiment", facet="product_category", label_values=[1])
print(len(reweighed.data), "rows kept of", len(df), "- resampling kept", len(resampled.data))
reweighed.summary().query("metric in ['CI', 'DPL']").round(6)""",
    ),
    ("code", """reweighed.data.head()"""),
]


def build() -> Any:
    """The notebook, unexecuted."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for kind, source in CELLS:
        maker = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(maker(source))
    return notebook


def write_kernel_spec(folder: Path, python: str, site: str | None, env: dict[str, str]) -> None:
    """A kernel spec named ``lab`` under ``folder/kernels`` for ``python`` (``site`` appended)."""
    start = "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
    if site:
        start = f"import sys; sys.path.append({site!r}); {start}"
    spec = folder / "kernels" / "lab"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [python, "-c", start, "-f", "{connection_file}"],
                "display_name": "lab",
                "language": "python",
                "env": env,
            }
        )
    )


def execute(
    notebook: Any, workdir: Path, python: str, site: str | None, env: dict[str, str]
) -> Any:
    """Run every cell in ``workdir`` (which gets the data files); outputs kept in place.

    The kernel spec is found through ``JUPYTER_PATH`` (set for the call only), so that
    nbclient starts, owns and shuts down the kernel itself.
    """
    from nbclient import NotebookClient

    saved = os.environ.get("JUPYTER_PATH")
    with tempfile.TemporaryDirectory(prefix="openclarify-kernel-") as folder:
        write_kernel_spec(Path(folder), python, site, env)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [folder, saved]))
        try:
            NotebookClient(
                notebook,
                timeout=600,
                kernel_name="lab",
                resources={"metadata": {"path": str(workdir)}},
            ).execute()
        finally:
            if saved is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = saved
    return notebook


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the kernel's Python")
    parser.add_argument("--site", help="a site-packages folder appended to the kernel's path")
    args = parser.parse_args()
    import nbformat

    env = {"PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), str(HERE)])}
    with tempfile.TemporaryDirectory(prefix="openclarify-lab-") as work:
        notebook = execute(build(), Path(work), args.python, args.site, env)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NOTEBOOK.write_text(nbformat.writes(notebook), encoding="utf-8")
    print(f"Wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
