"""Generate ``analysis_config.json`` files with SageMaker SDK releases from 2020 to today.

How to run (from the repository root; needs the package index once per release)::

    python tests/sdk_generations/make_configs.py            # every release below
    python tests/sdk_generations/make_configs.py 2.19.0     # some releases only

For each release in ``RELEASES`` a side venv ``.venv-sdkgen/<version>`` is created (once;
``.venv-*`` is gitignored), the SDK is installed there with the pins that release needs
on Python 3.11, and this same file runs inside that venv (``--worker``). The worker
builds real ``DataConfig`` / ``BiasConfig`` / ``ModelConfig`` / ``ModelPredictedLabelConfig``
/ ``SHAPConfig`` / ``PDPConfig`` objects, calls the processor's ``run_*`` methods of that
release on a ``SageMakerClarifyProcessor`` whose ``sagemaker_session`` is a stand-in
for the SDK's ``Session`` (``RecordingSession``): every upload and the
CreateProcessingJob request are recorded, nothing reaches AWS. The
``analysis_config.json`` the processor uploaded is what is kept, as
``cases/<version>/<case>.json`` (re-indented; keys, order and values untouched), so
every step of the release's own code path is in it: config building inside ``run_*``
(releases before ``_AnalysisConfigGenerator``), the ``report`` method ``_run`` adds,
the schema validation of later releases.

``manifest.json`` lists, per release, the install command, the installed SDK packages
and, per case, the ``run_*`` method, the exact call (evaluated verbatim) and the
dataset under ``data/`` the case's Processing job would mount. The datasets are written
by the orchestrator (standard library, fixed seed) in the shape of the project's sample
loan data: the eight features ``sample_configs/local_model_server/serve.py`` scores,
the label ``Approved`` and a predicted label ``Prediction``.

The ``s3://`` URIs, model and endpoint names and the role are fake; the configs never
contain them except ``predictor.model_name`` / ``endpoint_name``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = HERE / "cases"
DATA = HERE / "data"
MANIFEST = HERE / "manifest.json"
VENVS = ROOT / ".venv-sdkgen"

# --------------------------------------------------------------------------------------
# The releases. ``install`` is a list of pip invocations (arguments after ``pip install``)
# run in order in a fresh venv; the last one installs the SDK itself.
# --------------------------------------------------------------------------------------

RELEASES: list[dict[str, Any]] = [
    {
        "version": "2.19.0",
        "why": "first release with sagemaker.clarify (December 2020): config built inside "
        "run_*, one facet, ModelConfig(model_name) only, SHAP needs a baseline",
        # the generated *_pb2 modules of 2020 need the pure protobuf 3 runtime
        "install": [["sagemaker==2.19.0", "protobuf<3.21"]],
    },
    {
        "version": "2.67.0",
        "why": "PDPConfig, SHAP seed / num_clusters, joinsource, lists of explainability "
        "configs (November 2021)",
        "install": [["sagemaker==2.67.0", "protobuf<3.21"]],
    },
    {
        "version": "2.101.1",
        "why": "predicted_label, excluded_columns, facet / predicted-label datasets; the last "
        "generation that builds the config inside run_* (July 2022; 2.101.0 is not on PyPI)",
        "install": [["sagemaker==2.101.1"]],
    },
    {
        "version": "2.110.0",
        "why": "_AnalysisConfigGenerator, ModelConfig(endpoint_name), "
        "run_bias_and_explainability, ANALYSIS_CONFIG_SCHEMA_V1_0 (September 2022)",
        "install": [["sagemaker==2.110.0"]],
    },
    {
        "version": "2.146.0",
        "why": "application/json datasets (2.137) and JSON model input with record_template "
        "(April 2023)",
        # it pins PyYAML==5.4.1, which has no Python 3.11 wheel and whose sdist only builds
        # with Cython < 3 (hence no build isolation)
        "install": [
            ["cython<3", "wheel"],
            ["--no-build-isolation", "PyYAML==5.4.1"],
            ["sagemaker==2.146.0"],
        ],
    },
    {
        "version": "2.172.0",
        "why": "segment_config (SegmentationConfig, 2.169) and features_to_explain (July 2023)",
        "install": [["sagemaker==2.172.0"]],
    },
    {
        "version": "2.214.0",
        "why": "time series: TimeSeriesDataConfig, TimeSeriesModelConfig, "
        "AsymmetricShapleyValueConfig (March 2024)",
        "install": [["sagemaker==2.214.0"]],
    },
    {
        "version": "2.257.7",
        "why": "the last v2 release; the project's pinned SDK (tests/sdk_configs) and the "
        "reference the other generations are compared with",
        "install": [["sagemaker==2.257.7"]],
    },
    {
        "version": "3.27.0",
        "why": "SDK v3: the same module as sagemaker.core.clarify in sagemaker-core 2.x "
        "(installed by sagemaker 3.x), processor on sagemaker-core's Processor",
        "install": [["sagemaker==3.27.0"]],
    },
]

REFERENCE = "2.257.7"

# --------------------------------------------------------------------------------------
# Datasets (orchestrator side, standard library only)
# --------------------------------------------------------------------------------------

FEATURES = [
    "Gender",
    "Age",
    "EducationLevel",
    "YearsEmployed",
    "AnnualIncome",
    "DebtToIncome",
    "CreditScore",
    "LoanAmount",
]
LABEL = "Approved"
PREDICTION = "Prediction"
ROWS = 240
SEED = 20201208  # the day sagemaker 2.19.0 (the first Clarify release) was published


def loan_rows(seed: int = SEED, n: int = ROWS) -> list[dict[str, Any]]:
    """Loan applications in the shape of ``sample_configs`` (deliberately biased)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        female = rng.random() < 0.45
        age = rng.randint(21, 69)
        education = rng.choices([1, 2, 3, 4], weights=[30, 40, 22, 8])[0]
        years = max(0, min(45, round(rng.gauss((age - 21) * 0.45, 3))))
        income = round(max(12_000, rng.gauss(30_000 + 9_000 * education, 12_000)), -2)
        if female:
            income = round(income * 0.88, -2)
        dti = round(min(0.95, max(0.02, rng.gauss(0.35, 0.12))), 2)
        credit = round(min(850, max(300, rng.gauss(660 + 1.4 * (age - 21), 55))))
        loan = round(income * rng.uniform(0.05, 0.6), -2)
        merit = (credit - 680) / 60 + (income - 50_000) / 40_000 - 3.0 * (dti - 0.35)
        bias = -0.8 * female
        approved = int(rng.random() < 1 / (1 + math.exp(-(merit + bias + 0.3))))
        predicted = int(merit + bias - 0.4 * female + rng.gauss(0, 0.7) > -0.2)
        rows.append(
            {
                "Gender": "Female" if female else "Male",
                "Age": age,
                "EducationLevel": education,
                "YearsEmployed": years,
                "AnnualIncome": int(income),
                "DebtToIncome": dti,
                "CreditScore": credit,
                "LoanAmount": int(loan),
                LABEL: approved,
                PREDICTION: predicted,
            }
        )
    return rows


def time_series_records() -> list[dict[str, Any]]:
    """Two items, 12 days each, ``timestamp_records`` layout (one object per observation)."""
    rng = random.Random(SEED + 1)
    records: list[dict[str, Any]] = []
    for item in ("store_1", "store_2"):
        level = 100.0 if item == "store_1" else 60.0
        for day in range(1, 13):
            price = round(rng.uniform(8, 12), 2)
            level += rng.gauss(0, 3) - 0.8 * (price - 10)
            records.append(
                {
                    "item_id": item,
                    "timestamp": f"2024-01-{day:02d}",
                    "target": round(level, 2),
                    "price": price,
                    "region": 1 if item == "store_1" else 2,
                }
            )
    return records


def write_datasets() -> dict[str, int]:
    """Write ``data/`` (every file a case names); returns rows per file."""
    if DATA.is_dir():
        shutil.rmtree(DATA)
    DATA.mkdir(parents=True)
    rows = loan_rows()

    def write_csv(name: str, columns: list[str], header: bool = True) -> None:
        with open(DATA / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            if header:
                writer.writerow(columns)
            for r in rows:
                writer.writerow([r[c] for c in columns])

    write_csv("loans.csv", [*FEATURES, LABEL])
    write_csv("loans_noheader.csv", [*FEATURES, LABEL], header=False)
    write_csv("loans_scored.csv", [*FEATURES, LABEL, PREDICTION])
    with open(DATA / "loans.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"features": [r[c] for c in FEATURES], "label": r[LABEL]}) + "\n")
    document = {
        "instances": [{"features": [r[c] for c in FEATURES], "label": r[LABEL]} for r in rows]
    }
    (DATA / "loans.json").write_text(json.dumps(document) + "\n", encoding="utf-8")
    series = time_series_records()
    (DATA / "sales_timeseries.json").write_text(json.dumps(series, indent=1) + "\n")
    return {
        "loans.csv": len(rows),
        "loans_noheader.csv": len(rows),
        "loans_scored.csv": len(rows),
        "loans.jsonl": len(rows),
        "loans.json": len(rows),
        "sales_timeseries.json": len(series),
    }


# --------------------------------------------------------------------------------------
# Orchestrator: venvs, workers, manifest
# --------------------------------------------------------------------------------------


def _python311() -> str:
    """The interpreter for the venvs: Python 3.11, the one the committed cases used."""
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if found is None:
        sys.exit("python3.11 is needed for the SDK venvs (sagemaker 2.19.0 predates 3.12)")
    return found


def _pip(venv: Path, args: list[str]) -> None:
    command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args]
    print("   ", " ".join(command[3:]), flush=True)
    subprocess.run(command, check=True)


def ensure_venv(release: dict[str, Any]) -> Path:
    """``.venv-sdkgen/<version>`` with the release installed (kept between runs)."""
    version = str(release["version"])
    venv = VENVS / version
    stamp = venv / ".installed"
    wanted = json.dumps(release["install"])
    if stamp.is_file() and stamp.read_text() == wanted:
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    print(f"  creating {venv.relative_to(ROOT)}", flush=True)
    subprocess.run([_python311(), "-m", "venv", str(venv)], check=True)
    for args in release["install"]:
        _pip(venv, list(args))
    stamp.write_text(wanted)
    return venv


def _installed(venv: Path) -> dict[str, str]:
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    keep = {"sagemaker", "sagemaker-core", "boto3", "numpy", "pandas", "protobuf", "schema"}
    return {p["name"]: p["version"] for p in json.loads(listed.stdout) if p["name"].lower() in keep}


def run_release(release: dict[str, Any]) -> dict[str, Any]:
    version = str(release["version"])
    venv = ensure_venv(release)
    python = venv / "bin" / "python"
    out = CASES / version
    if out.is_dir():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_"))}
    env.update(
        {
            "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--worker", version, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        sys.exit(f"worker for sagemaker {version} failed:\n{done.stdout}\n{done.stderr}")
    cases = json.loads(done.stdout.strip().splitlines()[-1])
    installs = [" ".join(["pip install", *args]) for args in release["install"]]
    return {
        "why": release["why"],
        "install": installs,
        "installed": _installed(venv),
        "cases": cases,
    }


def main_orchestrator(selected: list[str]) -> None:
    known = [str(r["version"]) for r in RELEASES]
    unknown = sorted(set(selected) - set(known))
    if unknown:
        sys.exit(f"unknown release(s) {unknown}; known: {known}")
    rows = write_datasets()
    releases: dict[str, Any] = {}
    if MANIFEST.is_file() and selected:
        releases = json.loads(MANIFEST.read_text()).get("releases", {})
    for release in RELEASES:
        version = str(release["version"])
        if selected and version not in selected:
            continue
        print(f"sagemaker {version}", flush=True)
        releases[version] = run_release(release)
        for name, case in releases[version]["cases"].items():
            print(f"    {name}: {case['method']}")
    ordered = {v: releases[v] for v in known if v in releases}
    manifest = {"reference": REFERENCE, "datasets": rows, "releases": ordered}
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    total = sum(len(r["cases"]) for r in ordered.values())
    print(f"{total} configs in {CASES.relative_to(ROOT)}, manifest {MANIFEST.relative_to(ROOT)}")


# --------------------------------------------------------------------------------------
# Worker: runs inside a release's venv; imports only that SDK and the standard library
# --------------------------------------------------------------------------------------

S3 = "s3://openclarify-fixtures/sdk-generations"
ROLE = "arn:aws:iam::111122223333:role/ClarifyProcessingRole"
BASELINE = [["Male", 40, 2, 10, 50000, 0.35, 680, 15000]]


class RecordingSession:
    """Stands in for the SDK's ``Session``: records uploads and job requests, calls nothing.

    Only what ``SageMakerClarifyProcessor`` and its ``Processor`` base use is defined; any
    other attribute raises, so a release that needs more fails loudly here.
    """

    boto_region_name = "us-east-1"
    local_mode = False
    sagemaker_config = None
    default_bucket_prefix = None

    def __init__(self) -> None:
        self.uploads: list[tuple[str, bytes]] = []
        self.jobs: list[dict[str, Any]] = []

    def default_bucket(self) -> str:
        return "openclarify-fixtures"

    def upload_data(
        self, path: str, bucket: str | None = None, key_prefix: str = "data", **_: object
    ) -> str:
        with open(path, "rb") as f:
            body = f.read()
        uri = f"s3://{bucket}/{key_prefix}/{os.path.basename(path)}"
        self.uploads.append((uri, body))
        return uri

    def upload_string_as_file_body(
        self, body: str, bucket: str, key: str, kms_key: str | None = None
    ) -> str:
        uri = f"s3://{bucket}/{key}"
        self.uploads.append((uri, body.encode("utf-8")))
        return uri

    def process(self, **request: object) -> None:  # v2: Session.process(...)
        self.jobs.append(request)

    def _intercept_create_request(
        self, request: dict[str, object], create: object, func_name: object = None
    ) -> None:
        self.jobs.append(request)  # v3: the serialized CreateProcessingJob request

    def expand_role(self, role: str) -> str:
        return role

    def __getattr__(self, name: str) -> object:
        raise AttributeError(f"RecordingSession has no attribute {name!r}")


def _import_clarify() -> Any:
    """The Clarify module of the running release."""
    import logging

    logging.disable(logging.WARNING)  # "sagemaker.config INFO - Not applying SDK defaults ..."
    try:
        import sagemaker.core.clarify as clarify  # v3
    except ImportError:
        import sagemaker.clarify as clarify  # v2
    return clarify


def _params(cls: Any) -> set[str]:
    import inspect

    return set(inspect.signature(cls.__init__).parameters)


def capabilities(clarify: Any) -> dict[str, bool]:
    """What this release's API offers, found from the API itself (not from version numbers)."""
    c = clarify
    data = _params(c.DataConfig)
    model = _params(c.ModelConfig)

    def accepts_dataset_type(kind: str) -> bool:
        try:
            c.DataConfig(
                s3_data_input_path=S3, s3_output_path=S3, features="features", dataset_type=kind
            )
        except ValueError:
            return False
        return True

    validates_types = not accepts_dataset_type("application/x-openclarify-bogus")
    facets = c.BiasConfig(
        label_values_or_threshold=[1],
        facet_name=["Gender", "Age"],
        facet_values_or_threshold=[["Female"], [40]],
    ).get_config()["facet"]
    return {
        "pdp": hasattr(c, "PDPConfig"),
        "facet_list": len(facets) == 2,
        "seed": "seed" in _params(c.SHAPConfig),
        "predicted_label": "predicted_label" in data,
        "excluded_columns": "excluded_columns" in data,
        "endpoint_name": "endpoint_name" in model,
        "bias_and_explainability": hasattr(
            c.SageMakerClarifyProcessor, "run_bias_and_explainability"
        ),
        "json_dataset": validates_types and accepts_dataset_type("application/json"),
        "record_template": "record_template" in model,
        "segments": "segmentation_config" in data,
        "time_series": hasattr(c, "TimeSeriesDataConfig"),
    }


def _data(dataset: str, **extra: str) -> str:
    """A ``DataConfig(...)`` expression for one of the datasets."""
    if dataset in ("loans.csv", "loans_noheader.csv"):
        args = {
            "label": repr(LABEL),
            "headers": repr([*FEATURES, LABEL]),
            "dataset_type": "'text/csv'",
        }
    elif dataset == "loans_scored.csv":
        args = {
            "label": repr(LABEL),
            "headers": repr([*FEATURES, LABEL, PREDICTION]),
            "dataset_type": "'text/csv'",
        }
    elif dataset == "loans.jsonl":
        args = {
            "features": "'features'",
            "label": "'label'",
            "headers": repr([*FEATURES, LABEL]),
            "dataset_type": "'application/jsonlines'",
        }
    elif dataset == "loans.json":
        args = {
            "features": "'instances[*].features'",
            "label": "'instances[*].label'",
            "headers": repr([*FEATURES, LABEL]),
            "dataset_type": "'application/json'",
        }
    else:
        raise AssertionError(dataset)
    args.update(extra)
    inner = ",\n".join(
        [f"s3_data_input_path={S3 + '/data/' + dataset!r}", f"s3_output_path={S3 + '/output'!r}"]
        + [f"{k}={v}" for k, v in args.items()]
    )
    return "DataConfig(\n" + textwrap.indent(inner, "    ") + ",\n)"


BIAS = (
    "BiasConfig(label_values_or_threshold=[1], facet_name='Gender', "
    "facet_values_or_threshold=['Female'], group_name='EducationLevel')"
)
MODEL_NAME = (
    "ModelConfig(model_name='loan-approval-model', instance_count=1, "
    "instance_type='ml.m5.xlarge', content_type='text/csv', accept_type='text/csv')"
)
ENDPOINT_NAME = (
    "ModelConfig(endpoint_name='loan-approval-endpoint', content_type='text/csv', "
    "accept_type='text/csv')"
)
PREDICTED_LABEL = "ModelPredictedLabelConfig(probability_threshold=0.6)"
PDP = "PDPConfig(features=['Age', 'CreditScore'], grid_resolution=5)"
PDP_TOP_K = "PDPConfig(top_k_features=2, grid_resolution=5)"
MODEL_JSONLINES = (
    "ModelConfig(model_name='loan-approval-model', instance_count=1, "
    "instance_type='ml.m5.xlarge', content_type='application/jsonlines', "
    "accept_type='application/jsonlines', content_template='{\"features\":$features}')"
)
# ``record_template`` is filled in per case (str.format, hence the doubled braces)
MODEL_JSON = (
    "ModelConfig(endpoint_name='loan-approval-endpoint', content_type='application/json', "
    "accept_type='application/json', content_template='{{\"instances\":$records}}', "
    "record_template='{record}')"
)


def _shap(caps: dict[str, bool], baseline: object = BASELINE) -> str:
    seed = ", seed=7" if caps["seed"] else ""
    return (
        f"SHAPConfig(baseline={baseline!r}, num_samples=64, agg_method='mean_abs', "
        f"save_local_shap_values=True{seed})"
    )


def _call(method: str, **kwargs: str) -> str:
    inner = ",\n".join(f"{k}={v}" for k, v in kwargs.items())
    return (
        f"processor.{method}(\n"
        + textwrap.indent(inner, "    ")
        + ",\n    wait=False,\n    logs=False,\n)"
    )


def cases(clarify: Any, caps: dict[str, bool]) -> list[tuple[str, str, str, str, str | None]]:
    """(case, run_* method, call expression, dataset, model) for this release; ``model``
    is the request format the case's model must speak (None: no model is called)."""
    out: list[tuple[str, str, str, str, str | None]] = []

    def add(name: str, method: str, dataset: str, model: bool | str, **kwargs: str) -> None:
        kind = "text/csv" if model is True else (model or None)
        out.append((name, method, _call(method, **kwargs), dataset, kind))

    pre = "run_pre_training_bias"
    post = "run_post_training_bias"
    both = "run_bias"
    explain = "run_explainability"

    add(
        "pre_training_bias",
        pre,
        "loans.csv",
        False,
        data_config=_data("loans.csv"),
        data_bias_config=BIAS,
        methods="'all'",
    )
    add(
        "pre_training_bias_jsonlines",
        pre,
        "loans.jsonl",
        False,
        data_config=_data("loans.jsonl"),
        data_bias_config=BIAS,
        methods="'all'",
    )
    add(
        "pre_training_bias_headerless",
        pre,
        "loans_noheader.csv",
        False,
        data_config=_data("loans_noheader.csv"),
        data_bias_config=BIAS,
        methods="'all'",
    )
    if caps["facet_list"]:
        add(
            "pre_training_bias_facets",
            pre,
            "loans.csv",
            False,
            data_config=_data("loans.csv"),
            data_bias_config=(
                "BiasConfig(label_values_or_threshold=[1], facet_name=['Gender', 'Age'], "
                "facet_values_or_threshold=[['Female'], [40]], group_name='EducationLevel')"
            ),
            methods="'all'",
        )
    if caps["json_dataset"]:
        add(
            "pre_training_bias_json",
            pre,
            "loans.json",
            False,
            data_config=_data("loans.json"),
            data_bias_config=BIAS,
            methods="'all'",
        )
    if caps["segments"]:
        segments = (
            "[SegmentationConfig(name_or_index='Age', segments=[['[21, 40]'], ['(40, 69]']], "
            "config_name='age_bands')]"
        )
        add(
            "pre_training_bias_segments",
            pre,
            "loans.csv",
            False,
            data_config=_data("loans.csv", segmentation_config=segments),
            data_bias_config=BIAS,
            methods="'all'",
        )
    add(
        "post_training_bias_model_name",
        post,
        "loans.csv",
        True,
        data_config=_data("loans.csv"),
        data_bias_config=BIAS,
        model_config=MODEL_NAME,
        model_predicted_label_config=PREDICTED_LABEL,
        methods="'all'",
    )
    if caps["endpoint_name"]:
        add(
            "post_training_bias_endpoint_name",
            post,
            "loans.csv",
            True,
            data_config=_data("loans.csv"),
            data_bias_config=BIAS,
            model_config=ENDPOINT_NAME,
            model_predicted_label_config=PREDICTED_LABEL,
            methods="'all'",
        )
    if caps["predicted_label"]:
        scored = _data("loans_scored.csv", predicted_label=repr(PREDICTION))
        # model_config became optional with a predicted-label column in 2.133; before, a
        # ModelConfig (and for run_post_training_bias a ModelPredictedLabelConfig) was
        # required and ends up in the config next to predicted_label
        model, label = _least_model(
            clarify, post, data_config=scored, data_bias_config=BIAS, methods="'all'"
        )
        add(
            "post_training_bias_predicted_label",
            post,
            "loans_scored.csv",
            False,
            data_config=scored,
            data_bias_config=BIAS,
            model_config=model,
            model_predicted_label_config=label,
            methods="'all'",
        )
    add(
        "bias_model_name",
        both,
        "loans.csv",
        True,
        data_config=_data("loans.csv"),
        bias_config=BIAS,
        model_config=MODEL_NAME,
        model_predicted_label_config=PREDICTED_LABEL,
        pre_training_methods="'all'",
        post_training_methods="'all'",
    )
    if caps["predicted_label"]:
        scored = _data("loans_scored.csv", predicted_label=repr(PREDICTION))
        model, label = _least_model(clarify, both, data_config=scored, bias_config=BIAS)
        add(
            "bias_predicted_label",
            both,
            "loans_scored.csv",
            False,
            data_config=scored,
            bias_config=BIAS,
            model_config=model,
            model_predicted_label_config=label,
            pre_training_methods="'all'",
            post_training_methods="'all'",
        )
    if caps["excluded_columns"]:
        add(
            "bias_excluded_columns",
            both,
            "loans_scored.csv",
            True,
            data_config=_data("loans_scored.csv", excluded_columns=repr([PREDICTION])),
            bias_config=BIAS,
            model_config=MODEL_NAME,
            model_predicted_label_config=PREDICTED_LABEL,
            pre_training_methods="'all'",
            post_training_methods="'all'",
        )
    add(
        "explainability_shap_model_name",
        explain,
        "loans.csv",
        True,
        data_config=_data("loans.csv"),
        model_config=MODEL_NAME,
        explainability_config=_shap(caps),
    )
    if caps["endpoint_name"]:
        add(
            "explainability_shap_endpoint_name",
            explain,
            "loans.csv",
            True,
            data_config=_data("loans.csv"),
            model_config=ENDPOINT_NAME,
            explainability_config=_shap(caps),
        )
    if caps["pdp"]:
        add(
            "explainability_pdp",
            explain,
            "loans.csv",
            True,
            data_config=_data("loans.csv"),
            model_config=MODEL_NAME,
            explainability_config=PDP,
        )
        add(
            "explainability_shap_pdp",
            explain,
            "loans.csv",
            True,
            data_config=_data("loans.csv"),
            model_config=MODEL_NAME,
            explainability_config=f"[{_shap(caps)}, {PDP_TOP_K}]",
            model_scores=PREDICTED_LABEL,
        )
    if caps["bias_and_explainability"]:
        add(
            "bias_and_explainability",
            "run_bias_and_explainability",
            "loans.csv",
            True,
            data_config=_data("loans.csv"),
            model_config=MODEL_NAME,
            explainability_config=f"[{_shap(caps)}, {PDP}]",
            bias_config=BIAS,
            pre_training_methods="'all'",
            post_training_methods="'all'",
            model_predicted_label_config=PREDICTED_LABEL,
        )
    add(
        "post_training_bias_jsonlines_model",
        post,
        "loans.jsonl",
        "application/jsonlines",
        data_config=_data("loans.jsonl"),
        data_bias_config=BIAS,
        model_config=MODEL_JSONLINES,
        model_predicted_label_config=(
            "ModelPredictedLabelConfig(probability='score', probability_threshold=0.6)"
        ),
        methods="'all'",
    )
    add(
        "explainability_shap_jsonlines_model",
        explain,
        "loans.jsonl",
        "application/jsonlines",
        data_config=_data("loans.jsonl"),
        model_config=MODEL_JSONLINES,
        explainability_config=_shap(caps, baseline=[{"features": BASELINE[0]}]),
        model_scores="'score'",
    )
    if caps["record_template"]:
        add(
            "post_training_bias_json_model",
            post,
            "loans.csv",
            "application/json",
            data_config=_data("loans.csv"),
            data_bias_config=BIAS,
            model_config=MODEL_JSON.format(record="$features_kvp"),
            model_predicted_label_config=(
                "ModelPredictedLabelConfig(probability='predictions[*].score', "
                "probability_threshold=0.6)"
            ),
            methods="'all'",
        )
    if caps["record_template"] and caps["json_dataset"]:
        add(
            "explainability_shap_json_dataset",
            explain,
            "loans.json",
            "application/json",
            data_config=_data("loans.json"),
            model_config=MODEL_JSON.format(record="$features"),
            explainability_config=_shap(caps),
            model_scores="'predictions[*].score'",
        )
    if caps["time_series"]:
        ts_data = (
            "DataConfig(\n"
            f"    s3_data_input_path={S3 + '/data/sales_timeseries.json'!r},\n"
            f"    s3_output_path={S3 + '/output'!r},\n"
            "    dataset_type='application/json',\n"
            "    headers=['item_id', 'timestamp', 'target', 'price', 'region'],\n"
            "    time_series_data_config=TimeSeriesDataConfig(\n"
            "        target_time_series='[].target',\n"
            "        item_id='[].item_id',\n"
            "        timestamp='[].timestamp',\n"
            "        related_time_series=['[].price'], static_covariates=['[].region'],\n"
            "        dataset_format=TimeSeriesJSONDatasetFormat.TIMESTAMP_RECORDS,\n"
            "    ),\n"
            ")"
        )
        ts_model = (
            "ModelConfig(endpoint_name='sales-forecast-endpoint', content_type='application/json', "
            "accept_type='application/json', content_template='{\"instances\": $records}', "
            "record_template='$record', "
            "time_series_model_config=TimeSeriesModelConfig(forecast='predictions[*].mean'))"
        )
        add(
            "explainability_time_series",
            explain,
            "sales_timeseries.json",
            "application/json",
            data_config=ts_data,
            model_config=ts_model,
            explainability_config=(
                "AsymmetricShapleyValueConfig(direction='chronological', granularity='timewise')"
            ),
        )
    return out


def _least_model(clarify: Any, method: str, **kwargs: str) -> tuple[str, str]:
    """The least model description this release's ``method`` accepts for a dataset that
    holds its predictions: (model_config, model_predicted_label_config) expressions."""
    variants = [("None", "None"), (MODEL_NAME, "None"), (MODEL_NAME, "ModelPredictedLabelConfig()")]
    for model, label in variants:
        call = _call(method, **kwargs, model_config=model, model_predicted_label_config=label)
        try:
            eval(compile(call, "<probe>", "eval"), _namespace(clarify, RecordingSession()))
        except (AttributeError, TypeError, ValueError):
            continue
        return model, label
    raise AssertionError(f"{method} accepts none of {variants}")


def _namespace(clarify: Any, session: RecordingSession) -> dict[str, Any]:
    """The names a call expression may use: the release's config classes and a processor."""
    names = [
        "DataConfig",
        "BiasConfig",
        "ModelConfig",
        "ModelPredictedLabelConfig",
        "SHAPConfig",
        "PDPConfig",
        "SegmentationConfig",
        "TimeSeriesDataConfig",
        "TimeSeriesJSONDatasetFormat",
        "TimeSeriesModelConfig",
        "AsymmetricShapleyValueConfig",
    ]
    namespace: dict[str, Any] = {"__builtins__": {}}
    for name in names:
        if hasattr(clarify, name):
            namespace[name] = getattr(clarify, name)
    namespace["processor"] = clarify.SageMakerClarifyProcessor(
        role=ROLE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        sagemaker_session=session,
    )
    return namespace


def main_worker(version: str, out: Path) -> None:
    from importlib.metadata import version as installed_version

    clarify = _import_clarify()
    package = "sagemaker"
    assert installed_version(package) == version, (installed_version(package), version)
    caps = capabilities(clarify)
    result: dict[str, Any] = {}
    for name, method, call, dataset, model in cases(clarify, caps):
        session = RecordingSession()
        namespace = _namespace(clarify, session)
        eval(compile(call, f"<{version} {name}>", "eval"), namespace)
        uploads = [(u, b) for u, b in session.uploads if u.endswith("/analysis_config.json")]
        assert len(uploads) == 1, (name, [uri for uri, _ in session.uploads])
        assert len(session.jobs) == 1, (name, len(session.jobs))
        uri, body = uploads[0]
        # the job that was submitted reads this very upload as its config input
        assert uri in json.dumps(session.jobs[0], default=str), (name, uri)
        config = json.loads(body)
        with open(out / f"{name}.json", "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        result[name] = {
            "method": method,
            "dataset": dataset,
            "model": model,
            "call": call,
        }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", help="releases to regenerate (default: all)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        main_worker(args.worker, args.out)
    else:
        main_orchestrator(args.versions)


if __name__ == "__main__":
    main()
