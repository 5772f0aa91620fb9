"""Generate real SageMaker-SDK-produced ``analysis_config.json`` test fixtures.

How to run (from the repository root; needs network once for pip)::

    python -m venv .venv-sdk && .venv-sdk/bin/pip install sagemaker==2.257.7 && .venv-sdk/bin/python tests/sdk_configs/make_sdk_configs.py

Optional: ``.venv-sdk/bin/pip install pyarrow`` first, so that the Parquet case also
gets its ``.parquet`` dataset (without pyarrow only its ``rows.csv`` copy is written).

For every case a folder ``tests/sdk_configs/cases/<case>/`` is (re)created with:

* ``analysis_config.json`` -- produced ONLY by ``sagemaker.clarify._AnalysisConfigGenerator``
  from real ``DataConfig``/``BiasConfig``/``ModelConfig``/``ModelPredictedLabelConfig``
  objects, validated with ``ANALYSIS_CONFIG_SCHEMA_V1_0`` and written with
  ``json.dump(cfg, f, indent=2)``; never edited by hand;
* ``data/`` -- the dataset, i.e. what a Processing job mounts at
  ``/opt/ml/processing/input/data`` (every file below it is part of the dataset);
* ``sdk_call.txt`` -- the exact Python expression that was evaluated to build the config;
* ``case.md`` -- one line describing what the case covers.

The ``s3://`` URIs in the calls are fake (the SDK requires them; the container ignores
them). Output is deterministic: data come from ``random.Random(seed)`` per case.
Only the standard library and the SDK (plus optional pyarrow) are used.
"""

import csv
import json
import math
import os
import random
import shutil
import sys
import textwrap

os.environ["SAGEMAKER_SUPPRESS_V2_WARNING"] = "1"

import logging

logging.getLogger("sagemaker.config").setLevel(logging.WARNING)

from sagemaker.clarify import (  # noqa: E402
    ANALYSIS_CONFIG_SCHEMA_V1_0,
    BiasConfig,
    DataConfig,
    ModelConfig,
    ModelPredictedLabelConfig,
    _AnalysisConfigGenerator,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
S3 = "s3://openclarify-fixtures"

# Names available to the call expressions in sdk_call.txt (nothing else is).
SDK_NAMESPACE = {
    "__builtins__": {},
    "_AnalysisConfigGenerator": _AnalysisConfigGenerator,
    "DataConfig": DataConfig,
    "BiasConfig": BiasConfig,
    "ModelConfig": ModelConfig,
    "ModelPredictedLabelConfig": ModelPredictedLabelConfig,
}


# --------------------------------------------------------------------------------------
# Synthetic populations (deliberately biased so that the bias metrics are non-trivial)
# --------------------------------------------------------------------------------------


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _clamp(x, lo, hi):
    return max(lo, min(hi, x))


EDUCATION_NAMES = {1: "HighSchool", 2: "Bachelor", 3: "Master", 4: "Doctorate"}


def loan_applicants(seed, n):
    """Loan applications: the label ``Approved`` is biased against women and applicants
    over 55; the model prediction adds an extra penalty for women (so post-training
    metrics differ from pre-training ones)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        age = rng.randint(21, 69)
        female = rng.random() < 0.42
        edu = rng.choices([1, 2, 3, 4], weights=[30, 40, 22, 8])[0]
        income = rng.gauss(30000 + 9000 * edu + 450 * (age - 21), 11000)
        if female:
            income *= 0.86
        income = float(round(_clamp(income, 12000, 250000), -2))
        credit = round(_clamp(rng.gauss(610 + 1.6 * (age - 21) + 12 * edu, 55), 300, 850))
        loan = float(round(income * rng.uniform(0.1, 0.7), -2))
        employment = int(_clamp(round(rng.gauss((age - 21) * 0.45, 3)), 0, 45))
        merit = (
            0.028 * (credit - 660)
            + 0.00004 * (income - 52000)
            - 3.2 * (loan / income - 0.4)
            + 0.05 * employment
        )
        bias = -0.9 * female - 0.7 * (age > 55)
        approved = int(rng.random() < _sigmoid(merit + bias + 0.2))
        model_logit = merit + bias - 0.5 * female + 0.3 + rng.gauss(0, 0.6)
        p = _sigmoid(model_logit)
        rows.append(
            {
                "Age": age,
                "Gender": "Female" if female else "Male",
                "GenderCode": 1 if female else 0,
                "EducationLevel": edu,
                "Education": EDUCATION_NAMES[edu],
                "Income": income,
                "CreditScore": credit,
                "LoanAmount": loan,
                "EmploymentYears": employment,
                "Approved": approved,
                "PredictedApproved": int(p > 0.5),
                "ApprovalProbability": round(p, 4),
            }
        )
    return rows


def job_candidates(seed, n):
    """Hiring pipeline: 4-class ``Outcome`` (Hired/Shortlisted/Rejected/Withdrawn) and a
    continuous ``OfferedSalary``; women and non-binary candidates are disadvantaged."""
    rng = random.Random(seed)
    outcomes = ["Hired", "Shortlisted", "Rejected", "Withdrawn"]
    rows = []
    for _ in range(n):
        gender = rng.choices(["Male", "Female", "Non-binary"], weights=[52, 43, 5])[0]
        age = rng.randint(22, 64)
        edu = rng.choices([1, 2, 3, 4], weights=[20, 45, 27, 8])[0]
        years = int(_clamp(round(rng.gauss((age - 22) * 0.6, 3)), 0, 40))
        interview = round(_clamp(rng.gauss(6.2 + 0.3 * edu, 1.5), 0, 10), 1)
        penalty = 0.0 if gender == "Male" else (0.8 if gender == "Female" else 1.1)
        merit = 0.7 * (interview - 6.5) + 0.06 * years + 0.25 * (edu - 2)
        s = merit - penalty + rng.gauss(0, 0.9)
        if rng.random() < 0.07:
            outcome = "Withdrawn"
        elif s > 0.8:
            outcome = "Hired"
        elif s > -0.2:
            outcome = "Shortlisted"
        else:
            outcome = "Rejected"
        sp = merit - 1.2 * penalty + rng.gauss(0, 0.7)
        predicted = "Hired" if sp > 0.8 else ("Shortlisted" if sp > -0.2 else "Rejected")
        salary = 42000 + 2600 * years + 7000 * edu + 3500 * (interview - 6) - 14000 * penalty
        salary = float(round(_clamp(salary + rng.gauss(0, 6000), 30000, 250000), -2))
        rows.append(
            {
                "Age": age,
                "Gender": gender,
                "EducationLevel": edu,
                "YearsExperience": years,
                "InterviewScore": interview,
                "Outcome": outcome,
                "PredictedOutcome": predicted,
                "OfferedSalary": salary,
            }
        )
    assert set(r["Outcome"] for r in rows) == set(outcomes)
    return rows


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def _write_csv(path, rows, columns, header=True):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        if header:
            w.writerow(columns)
        for r in rows:
            w.writerow([r[c] for c in columns])


def _write_jsonl(path, rows, features, label, predicted_label):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            rec = {
                "features": [r[c] for c in features],
                "label": r[label],
                "predicted_label": r[predicted_label],
            }
            f.write(json.dumps(rec) + "\n")


def _write_parquet(path, rows, columns):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        print(
            f"  WARNING: pyarrow not importable; {os.path.relpath(path, HERE)} not written "
            "(pip install pyarrow into the SDK venv and re-run)",
            file=sys.stderr,
        )
        return False
    table = pa.table({c: [r[c] for r in rows] for c in columns})
    pq.write_table(table, path, compression="snappy")
    return True


# --------------------------------------------------------------------------------------
# Cases. Each case: name, seed, description, a builder writing data/ files, and the
# SDK call expression (a string that is eval()-ed verbatim and saved to sdk_call.txt).
# --------------------------------------------------------------------------------------


def _uri(case, suffix):
    return f"{S3}/{case}/{suffix}"


def case_pre_csv_header(case, data_dir):
    cols = ["Age", "Gender", "Education", "Income", "CreditScore", "LoanAmount", "Approved"]
    rows = loan_applicants(seed=101, n=1000)
    _write_csv(os.path.join(data_dir, "loan_applications.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias_pre_training(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_applications.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Approved",
                headers={cols!r},
                dataset_type="text/csv",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name="Gender",
                facet_values_or_threshold=["Female"],
            ),
            methods="all",
        )
    """
    checks = dict(rows=rows, label=("Approved", [1]), facets=[("Gender", ["Female"])])
    return (
        "loan_applications.csv",
        "Pre-training bias only, CSV with header row + `headers`, string categorical "
        'facet Gender=["Female"], int 0/1 label [1], methods "all" (no group: CDDL '
        "expected as an error entry).",
        call,
        checks,
    )


def case_post_predicted_label(case, data_dir):
    rows = loan_applicants(seed=202, n=800)
    for r in rows:
        r["Gender"] = r["GenderCode"]  # numeric facet codes: 1 = female, 0 = male
    cols = [
        "Age",
        "Gender",
        "Income",
        "CreditScore",
        "LoanAmount",
        "EmploymentYears",
        "Approved",
        "PredictedApproved",
    ]
    _write_csv(os.path.join(data_dir, "loan_predictions.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias_post_training(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_predictions.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Approved",
                headers={cols!r},
                dataset_type="text/csv",
                predicted_label="PredictedApproved",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name="Gender",
                facet_values_or_threshold=[1],
            ),
            model_predicted_label_config=None,
            methods="all",
            model_config=None,
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        facets=[("Gender", [1])],
        predicted="PredictedApproved",
        numeric_features=[c for c in cols if c not in ("Gender", "Approved", "PredictedApproved")],
    )
    return (
        "loan_predictions.csv",
        "Post-training bias only from a predicted-label column (no ModelConfig), numeric "
        'facet codes Gender=[1], all other features numeric so FT is computable, methods "all".',
        call,
        checks,
    )


def case_pre_and_post(case, data_dir):
    rows = loan_applicants(seed=303, n=600)
    cols = [
        "Age",
        "Gender",
        "Income",
        "CreditScore",
        "LoanAmount",
        "Approved",
        "PredictedApproved",
    ]
    _write_csv(os.path.join(data_dir, "loan_scored.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_scored.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Approved",
                headers={cols!r},
                dataset_type="text/csv",
                predicted_label="PredictedApproved",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name="Age",
                facet_values_or_threshold=[40],
            ),
            model_config=None,
            model_predicted_label_config=None,
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        continuous_facets=[("Age", 40)],
        predicted="PredictedApproved",
    )
    return (
        "loan_scored.csv",
        'Pre- and post-training bias (`bias(...)`, both "all") with a predicted-label '
        "column and a continuous int facet Age threshold [40] (d = Age > 40); the string "
        "Gender feature makes FT an error entry (non-numeric column).",
        call,
        checks,
    )


def case_multi_facet_group(case, data_dir):
    rows = loan_applicants(seed=404, n=700)
    for r in rows:
        r["Gender"] = r["GenderCode"]
    cols = [
        "Age",
        "Gender",
        "EducationLevel",
        "Income",
        "CreditScore",
        "LoanAmount",
        "Approved",
        "PredictedApproved",
    ]
    _write_csv(os.path.join(data_dir, "loan_outcomes.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_outcomes.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Approved",
                headers={cols!r},
                dataset_type="text/csv",
                predicted_label="PredictedApproved",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name=["Gender", "Age"],
                facet_values_or_threshold=[None, [40]],
                group_name="EducationLevel",
            ),
            model_config=None,
            model_predicted_label_config=None,
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        facets=[("Gender", [0]), ("Gender", [1])],
        continuous_facets=[("Age", 40)],
        predicted="PredictedApproved",
        group="EducationLevel",
        numeric_features=[c for c in cols if c not in ("Approved", "PredictedApproved")],
    )
    return (
        "loan_outcomes.csv",
        "Two facets: Gender (0/1 codes, no value => one result per value, one-vs-rest) and "
        "Age threshold [40]; group_variable EducationLevel for CDDL/CDDPL; predicted-label "
        'column; pre and post "all"; all features numeric.',
        call,
        checks,
    )


def case_headerless_by_index(case, data_dir):
    rows = loan_applicants(seed=505, n=500)
    for r in rows:
        r["Gender"] = r["GenderCode"]
    # 0 Gender, 1 Age, 2 Income, 3 CreditScore, 4 EducationLevel, 5 Approved (label),
    # 6 PredictedApproved. Facet at index 0 (falsy!) and the label not in last position.
    cols = [
        "Gender",
        "Age",
        "Income",
        "CreditScore",
        "EducationLevel",
        "Approved",
        "PredictedApproved",
    ]
    _write_csv(os.path.join(data_dir, "loan_noheader.csv"), rows, cols, header=False)
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_noheader.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label=5,
                dataset_type="text/csv",
                predicted_label=6,
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name=0,
                facet_values_or_threshold=[1],
                group_name=4,
            ),
            model_config=None,
            model_predicted_label_config=None,
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        facets=[("Gender", [1])],
        predicted="PredictedApproved",
        group="EducationLevel",
        numeric_features=["Age", "Income", "CreditScore", "EducationLevel"],
    )
    return (
        "loan_noheader.csv",
        "CSV without header row and no `headers`: label=5, facet=0 (index 0, value [1]), "
        'predicted_label=6, group_variable=4 as 0-based column indices; pre and post "all" '
        "(columns become column_0..column_6).",
        call,
        checks,
    )


def case_jsonlines(case, data_dir):
    rows = loan_applicants(seed=606, n=700)
    for r in rows:
        r["Gender"] = r["GenderCode"]
    features = ["Age", "Gender", "Income", "CreditScore"]
    headers = [*features, "Approved", "PredictedApproved"]
    _write_jsonl(
        os.path.join(data_dir, "loan_applications.jsonl"),
        rows,
        features,
        "Approved",
        "PredictedApproved",
    )
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_applications.jsonl")!r},
                s3_output_path={_uri(case, "output")!r},
                features="features",
                label="label",
                headers={headers!r},
                dataset_type="application/jsonlines",
                predicted_label="predicted_label",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name="Gender",
                facet_values_or_threshold=[1],
            ),
            model_config=None,
            model_predicted_label_config=None,
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        facets=[("Gender", [1])],
        predicted="PredictedApproved",
        numeric_features=["Age", "Income", "CreditScore"],
    )
    return (
        "loan_applications.jsonl",
        "SageMaker dense JSON Lines: features/label/predicted_label as per-line JMESPaths, "
        "`headers` = feature names then label then predicted label; facet Gender=[1]; "
        'pre and post "all".',
        call,
        checks,
    )


def case_pre_post_parquet(case, data_dir):
    rows = loan_applicants(seed=707, n=1200)
    cols = [
        "Age",
        "Gender",
        "Education",
        "Income",
        "CreditScore",
        "LoanAmount",
        "Approved",
        "PredictedApproved",
    ]
    # A CSV copy of the exact rows, OUTSIDE data/ (everything in data/ is the dataset).
    _write_csv(os.path.join(os.path.dirname(data_dir), "rows.csv"), rows, cols, header=True)
    wrote = _write_parquet(os.path.join(data_dir, "loan_applications.parquet"), rows, cols)
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_applications.parquet")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Approved",
                dataset_type="application/x-parquet",
                predicted_label="PredictedApproved",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name="Gender",
                facet_values_or_threshold=["Female"],
                group_name="Education",
            ),
            model_config=None,
            model_predicted_label_config=None,
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        facets=[("Gender", ["Female"])],
        predicted="PredictedApproved",
        group="Education",
    )
    return (
        "loan_applications.parquet" if wrote else "(loan_applications.parquet: pyarrow missing)",
        "Parquet dataset (columns by name only, no `headers`: names come from the Parquet "
        'schema), string facet Gender=["Female"], string group Education, predicted-label '
        'column, pre and post "all"; ../rows.csv is a CSV copy of the same rows.',
        call,
        checks,
    )


def case_multiclass_label(case, data_dir):
    rows = job_candidates(seed=808, n=900)
    cols = [
        "Age",
        "Gender",
        "EducationLevel",
        "YearsExperience",
        "InterviewScore",
        "Outcome",
        "PredictedOutcome",
    ]
    _write_csv(os.path.join(data_dir, "hiring_outcomes.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/hiring_outcomes.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Outcome",
                headers={cols!r},
                dataset_type="text/csv",
                predicted_label="PredictedOutcome",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=["Hired", "Shortlisted"],
                facet_name="Gender",
                facet_values_or_threshold=["Female"],
            ),
            model_config=None,
            model_predicted_label_config=None,
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Outcome", ["Hired", "Shortlisted"]),
        facets=[("Gender", ["Female"])],
        predicted="PredictedOutcome",
        numeric_features=["Age", "EducationLevel", "YearsExperience", "InterviewScore"],
    )
    return (
        "hiring_outcomes.csv",
        '4-class string label Outcome with two positive values ["Hired", "Shortlisted"] '
        'and a string predicted-label column; 3-valued string facet Gender=["Female"]; '
        'pre and post "all".',
        call,
        checks,
    )


def case_probability_column(case, data_dir):
    rows = loan_applicants(seed=909, n=700)
    for r in rows:
        r["Gender"] = r["GenderCode"]
    cols = [
        "Age",
        "Gender",
        "Income",
        "CreditScore",
        "LoanAmount",
        "Approved",
        "ApprovalProbability",
    ]
    _write_csv(os.path.join(data_dir, "loan_scores.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/loan_scores.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="Approved",
                headers={cols!r},
                dataset_type="text/csv",
                predicted_label="ApprovalProbability",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[1],
                facet_name="Gender",
                facet_values_or_threshold=[1],
            ),
            model_config=None,
            model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.7),
            pre_training_methods="all",
            post_training_methods="all",
        )
    """
    checks = dict(
        rows=rows,
        label=("Approved", [1]),
        facets=[("Gender", [1])],
        predicted="ApprovalProbability",
        probability_threshold=0.7,
    )
    return (
        "loan_scores.csv",
        "Predicted-label column holding probabilities in [0,1] plus ModelPredictedLabelConfig"
        "(probability_threshold=0.7) and no ModelConfig => only top-level "
        "probability_threshold 0.7 (how the container binarises the column is [INF]).",
        call,
        checks,
    )


def case_pre_continuous_label(case, data_dir):
    rows = job_candidates(seed=1010, n=400)
    cols = [
        "Age",
        "Gender",
        "EducationLevel",
        "YearsExperience",
        "InterviewScore",
        "OfferedSalary",
    ]
    _write_csv(os.path.join(data_dir, "salary_offers.csv"), rows, cols, header=True)
    call = f"""
        _AnalysisConfigGenerator.bias_pre_training(
            data_config=DataConfig(
                s3_data_input_path={_uri(case, "data/salary_offers.csv")!r},
                s3_output_path={_uri(case, "output")!r},
                label="OfferedSalary",
                headers={cols!r},
                dataset_type="text/csv",
            ),
            bias_config=BiasConfig(
                label_values_or_threshold=[90000.0],
                facet_name="Gender",
                facet_values_or_threshold=["Female", "Non-binary"],
                group_name="EducationLevel",
            ),
            methods=["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"],
        )
    """
    checks = dict(
        rows=rows,
        continuous_label=("OfferedSalary", 90000.0),
        facets=[("Gender", ["Female", "Non-binary"])],
        group="EducationLevel",
    )
    return (
        "salary_offers.csv",
        "Pre-training only with a continuous float label OfferedSalary threshold [90000.0] "
        '(positive = (90000.0, max]), multi-value facet Gender=["Female","Non-binary"] '
        "OR-ed into one group, group EducationLevel, explicit method list.",
        call,
        checks,
    )


CASES = [
    ("pre_csv_header", case_pre_csv_header),
    ("post_predicted_label", case_post_predicted_label),
    ("pre_and_post", case_pre_and_post),
    ("multi_facet_group", case_multi_facet_group),
    ("headerless_by_index", case_headerless_by_index),
    ("jsonlines", case_jsonlines),
    ("pre_post_parquet", case_pre_post_parquet),
    ("multiclass_label", case_multiclass_label),
    ("probability_column", case_probability_column),
    ("pre_continuous_label", case_pre_continuous_label),
]


# --------------------------------------------------------------------------------------
# Sanity checks on the synthetic data (stdlib only): every group non-empty, both label
# outcomes present, continuous facets really continuous under smclarify's uniqueness
# rule (#distinct/#rows >= 0.05), predicted labels with positives, FT features numeric.
# --------------------------------------------------------------------------------------


def check_data(case, checks):
    rows = checks["rows"]
    notes = []
    threshold = checks.get("probability_threshold")

    def label_sets():
        if "label" in checks:
            col, pos = checks["label"]
            yield "label", col, (lambda r: r[col] in pos)
            if "predicted" in checks:
                p = checks["predicted"]
                if threshold is not None:
                    yield "pred", p, (lambda r: r[p] > threshold)
                else:
                    yield "pred", p, (lambda r: r[p] in pos)
        else:
            col, t = checks["continuous_label"]
            yield "label", col, (lambda r: r[col] > t)

    groups = [(f"{n}={v}", (lambda r, n=n, v=v: r[n] in v)) for n, v in checks.get("facets", [])]
    for n, t in checks.get("continuous_facets", []):
        uniq = len({r[n] for r in rows}) / len(rows)
        assert uniq >= 0.05, f"{case}: facet {n} would be categorical (uniqueness {uniq:.3f})"
        groups.append((f"{n}>{t}", (lambda r, n=n, t=t: r[n] > t)))
    for kind, col, is_pos in label_sets():
        npos = sum(1 for r in rows if is_pos(r))
        assert 0 < npos < len(rows), f"{case}: {kind} {col} has a single outcome"
        parts = []
        for gname, in_d in groups:
            n_d = sum(1 for r in rows if in_d(r))
            n_a = len(rows) - n_d
            assert n_d > 0 and n_a > 0, f"{case}: empty group for {gname}"
            pd_ = sum(1 for r in rows if in_d(r) and is_pos(r)) / n_d
            pa_ = sum(1 for r in rows if not in_d(r) and is_pos(r)) / n_a
            assert sum(1 for r in rows if in_d(r) and is_pos(r)) > 0, f"{case}: no positives in d"
            parts.append(f"{gname}: n_d={n_d} q_a-q_d={pa_ - pd_:+.3f}")
        notes.append(f"{kind} {col} pos={npos}/{len(rows)}; " + "; ".join(parts))
    for c in checks.get("numeric_features", []):
        assert all(isinstance(r[c], (int, float)) for r in rows), f"{case}: {c} not numeric"
    if "group" in checks:
        g = checks["group"]
        notes.append(f"group {g}: {len({r[g] for r in rows})} values")
    return notes


# --------------------------------------------------------------------------------------


def build_case(name, builder):
    case_dir = os.path.join(CASES_DIR, name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    data_dir = os.path.join(case_dir, "data")
    os.makedirs(data_dir)

    data_file, description, call, checks = builder(name, data_dir)
    call = textwrap.dedent(call).strip() + "\n"

    cfg = eval(compile(call, f"<sdk_call {name}>", "eval"), dict(SDK_NAMESPACE))
    ANALYSIS_CONFIG_SCHEMA_V1_0.validate(cfg)

    with open(os.path.join(case_dir, "analysis_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(case_dir, "sdk_call.txt"), "w", encoding="utf-8") as f:
        f.write(call)
    with open(os.path.join(case_dir, "case.md"), "w", encoding="utf-8") as f:
        f.write(description + "\n")

    notes = check_data(name, checks)
    print(f"{name}: data/{data_file} ({len(checks['rows'])} rows)")
    for n in notes:
        print(f"    {n}")


def main(argv):
    selected = set(argv[1:])
    unknown = selected - {n for n, _ in CASES}
    if unknown:
        sys.exit(f"unknown case(s): {sorted(unknown)}")
    os.makedirs(CASES_DIR, exist_ok=True)
    for name, builder in CASES:
        if not selected or name in selected:
            build_case(name, builder)


if __name__ == "__main__":
    main(sys.argv)
