"""Generate the runnable sample cases under sample_configs/ (run once; output is committed).

    python sample_configs/make_samples.py            # rewrite every case
    python sample_configs/make_samples.py --check    # regenerate in memory, compare with the files

Every case is a synthetic loan-approval data set drawn from
``numpy.random.default_rng(seed)`` with a fixed seed per case, so the files are
byte-for-byte reproducible with the pinned numpy/pandas/pyarrow of
container/requirements.lock. Each case folder gets ``analysis_config.json``
(keys in the order the SageMaker Python SDK writes them), the data file and a
README.md.

The data carry a deliberate, visible bias: a merit score built from credit score,
debt-to-income ratio, income and employment decides most of the outcome, and a
group term pushes the sensitive group d down (the historical decisions in the
label) and a little further in the model's predictions (the model learned and
amplified it). Label noise (a few flipped decisions) and feature noise in the
model keep the numbers realistic. The design properties the metrics depend on
are asserted below, so a careless edit cannot silently produce a case where,
say, ``Age`` is inferred as categorical.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

# Clarify infers an integer column as continuous only when #distinct / #rows >= 0.05
# (contract §5.1); a threshold facet such as Age [40] needs that.
UNIQUENESS_THRESHOLD = 0.05

REPORT = {"name": "report", "title": "Analysis Report"}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Applicants:
    """Numeric applicant features shared by every case."""

    age: np.ndarray
    years_employed: np.ndarray
    education_level: np.ndarray  # 1 high school, 2 bachelor, 3 master, 4 doctorate
    annual_income: np.ndarray
    debt_to_income: np.ndarray
    credit_score: np.ndarray
    loan_amount: np.ndarray

    def merit(self) -> np.ndarray:
        """Log-odds of approval from the legitimate features alone."""
        return (
            0.011 * (self.credit_score - 680)
            - 4.5 * (self.debt_to_income - 0.30)
            + 0.6 * np.log(self.annual_income / 55_000)
            - 0.5 * np.log(self.loan_amount / 20_000)
            + 0.03 * np.minimum(self.years_employed, 15)
            + 0.45
        )


def draw_applicants(rng: np.random.Generator, n: int, income_shift: np.ndarray) -> Applicants:
    """Draw ``n`` applicants; ``income_shift`` (log scale, per row) models pay gaps."""
    age = np.clip(np.rint(rng.normal(41, 12.5, n)), 18, 79).astype(np.int64)
    education = rng.choice([1, 2, 3, 4], size=n, p=[0.38, 0.37, 0.19, 0.06]).astype(np.int64)
    max_years = np.maximum(age - 16 - 2 * (education - 1), 0)
    years_employed = np.rint(max_years * rng.beta(2.2, 1.8, n)).astype(np.int64)
    log_income = (
        np.log(38_000)
        + 0.17 * education
        + 0.018 * np.minimum(years_employed, 30)
        + income_shift
        + rng.normal(0, 0.33, n)
    )
    annual_income = (np.rint(np.exp(log_income) / 100) * 100).astype(np.int64)
    debt_to_income = np.round(np.clip(rng.beta(2.4, 5.5, n) * 0.9, 0.02, 0.75), 2)
    credit_score = np.clip(
        np.rint(rng.normal(675, 62, n) + 1.1 * (age - 41) + 8 * (education - 2)), 300, 850
    ).astype(np.int64)
    loan_amount = np.maximum(
        np.rint(annual_income * rng.uniform(0.15, 0.75, n) / 500) * 500, 1_000
    ).astype(np.int64)
    return Applicants(
        age, years_employed, education, annual_income, debt_to_income, credit_score, loan_amount
    )


def decide(
    rng: np.random.Generator,
    people: Applicants,
    label_penalty: np.ndarray,
    model_penalty: np.ndarray,
    flip_rate: float = 0.03,
) -> tuple[np.ndarray, np.ndarray]:
    """Historical decisions (label) and a model's 0/1 predictions.

    The label is a Bernoulli draw from the merit score plus ``label_penalty``,
    with ``flip_rate`` of the decisions flipped (clerical noise). The model
    sees the features with measurement noise, slightly mis-weights them and
    applies ``model_penalty``; it predicts 1 when its probability is > 0.5.
    """
    n = len(people.age)
    merit = people.merit()
    label = rng.random(n) < _sigmoid(merit + label_penalty)
    flip = rng.random(n) < flip_rate
    label = np.where(flip, ~label, label)
    model_logit = 1.15 * merit + rng.normal(0, 0.55, n) + model_penalty
    prediction = _sigmoid(model_logit) > 0.5
    return label.astype(np.int64), prediction.astype(np.int64)


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    name: str
    data_file: str
    config: Mapping[str, Any]
    readme: str
    payload: bytes  # the data file's bytes


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _rate(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean())


def _check_continuous(column: np.ndarray, name: str) -> None:
    uniqueness = len(np.unique(column)) / len(column)
    assert uniqueness >= UNIQUENESS_THRESHOLD, (
        f"{name}: {uniqueness:.3f} distinct ratio < 0.05; Clarify would treat it as categorical"
    )


def _check_bias(values: np.ndarray, d: np.ndarray, what: str) -> None:
    favoured, sensitive = _rate(values, ~d), _rate(values, d)
    assert favoured > sensitive + 0.05, (
        f"{what}: no visible bias ({favoured:.3f} vs {sensitive:.3f})"
    )


def _readme(title: str, shows: str, case: str, data_file: str, notes: str) -> str:
    return (
        f"# {title}\n\n"
        f"Shows: {shows}\n\n"
        "```sh\n"
        f"openclarify analyze --config sample_configs/{case}/analysis_config.json "
        f"--dataset sample_configs/{case}/{data_file} --output out/{case}\n"
        "```\n\n"
        f"{notes}\n\n"
        "Generated by `python sample_configs/make_samples.py`; do not edit by hand.\n"
    )


def pre_training_csv() -> Case:
    """Loan decisions (no model yet): pre-training bias by gender and by age."""
    rng = np.random.default_rng(20240101)
    n = 1000
    gender = rng.choice(["Female", "Male", "Non-binary"], size=n, p=[0.44, 0.53, 0.03])
    female = gender == "Female"
    people = draw_applicants(rng, n, income_shift=np.where(female, -0.12, 0.0))
    marital = rng.choice(
        ["Single", "Married", "Divorced", "Widowed"], size=n, p=[0.36, 0.46, 0.14, 0.04]
    )
    education = np.array(["HighSchool", "Bachelor", "Master", "Doctorate"])[
        people.education_level - 1
    ]
    income_band = np.where(
        people.annual_income < 45_000,
        "Low",
        np.where(people.annual_income < 80_000, "Middle", "High"),
    )
    approved, _ = decide(
        rng, people, label_penalty=np.where(female, -0.75, 0.0), model_penalty=np.zeros(n)
    )

    _check_continuous(people.age, "Age")
    _check_bias(approved, female, "Approved by Gender")
    frame = pd.DataFrame(
        {
            "Age": people.age,
            "Gender": gender,
            "MaritalStatus": marital,
            "Education": education,
            "YearsEmployed": people.years_employed,
            "AnnualIncome": people.annual_income,
            "IncomeBand": income_band,
            "CreditScore": people.credit_score,
            "LoanAmount": people.loan_amount,
            "Approved": approved,
        }
    )
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "Approved",
        "label_values_or_threshold": [1],
        "facet": [
            {"name_or_index": "Gender", "value_or_threshold": ["Female"]},
            {"name_or_index": "Age", "value_or_threshold": [40]},
        ],
        "group_variable": "IncomeBand",
        "methods": {"report": REPORT, "pre_training_bias": {"methods": "all"}},
    }
    readme = _readme(
        "pre_training_csv",
        "pre-training bias (all 8 metrics) of historical loan decisions in a CSV with a header "
        "row, for a categorical string facet (`Gender` = `Female`) and a continuous facet "
        "(`Age` > 40), with `IncomeBand` as the group variable for CDDL.",
        "pre_training_csv",
        "loans.csv",
        f"{n} rows. Women's applications were approved less often than men's at the same merit, "
        "and their incomes are lower on average, so DPL and CDDL are positive for `Female`; "
        "older applicants have better credit, so DPL is negative for `Age` > 40.",
    )
    return Case("pre_training_csv", "loans.csv", config, readme, _csv_bytes(frame))


def post_training_predicted_label_csv() -> Case:
    """A model's predictions stored beside the labels: pre- and post-training bias."""
    rng = np.random.default_rng(20240202)
    n = 1200
    gender = rng.choice(["Female", "Male"], size=n, p=[0.45, 0.55])
    female = gender == "Female"
    people = draw_applicants(rng, n, income_shift=np.where(female, -0.10, 0.0))
    approved, prediction = decide(
        rng,
        people,
        label_penalty=np.where(female, -0.55, 0.0),
        model_penalty=np.where(female, -0.85, 0.0),
    )
    _check_bias(approved, female, "Approved by Gender")
    _check_bias(prediction, female, "Prediction by Gender")
    frame = pd.DataFrame(
        {
            "Gender": gender,
            "Age": people.age,
            "EducationLevel": people.education_level,
            "YearsEmployed": people.years_employed,
            "AnnualIncome": people.annual_income,
            "DebtToIncome": people.debt_to_income,
            "CreditScore": people.credit_score,
            "LoanAmount": people.loan_amount,
            "Approved": approved,
            "Prediction": prediction,
        }
    )
    # The Flip Test needs every column other than facet, label and prediction numeric.
    rest = frame.drop(columns=["Gender", "Approved", "Prediction"])
    assert all(pd.api.types.is_numeric_dtype(t) for t in rest.dtypes), rest.dtypes
    config = {
        "dataset_type": "text/csv",
        "headers": list(frame.columns),
        "label": "Approved",
        "predicted_label": "Prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Gender", "value_or_threshold": ["Female"]}],
        "group_variable": "EducationLevel",
        "methods": {
            "report": REPORT,
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    readme = _readme(
        "post_training_predicted_label_csv",
        "pre- and post-training bias (all 21 metrics, Flip Test included) from a CSV whose "
        "`Prediction` column holds a model's 0/1 predicted label, so no model or endpoint is "
        "needed (`predicted_label`).",
        "post_training_predicted_label_csv",
        "loans_scored.csv",
        f"{n} rows. Every feature other than the facet `Gender` is numeric, so FT runs; "
        "`EducationLevel` (1-4) is the group variable for CDDL and CDDPL. The model penalises "
        "women more than the historical decisions did: DPPL > DPL and FT < 0.",
    )
    return Case(
        "post_training_predicted_label_csv", "loans_scored.csv", config, readme, _csv_bytes(frame)
    )


def jsonlines() -> Case:
    """SageMaker dense JSON Lines: features array, label and predicted label per line."""
    rng = np.random.default_rng(20240303)
    n = 800
    people = draw_applicants(rng, n, income_shift=np.zeros(n))
    older = people.age > 40
    approved, prediction = decide(
        rng,
        people,
        label_penalty=np.where(older, -0.8, 0.0),
        model_penalty=np.where(older, -0.9, 0.0),
    )
    _check_continuous(people.age, "Age")
    _check_bias(approved, older, "label by Age > 40")
    _check_bias(prediction, older, "predicted_label by Age > 40")
    feature_names = ["Age", "YearsEmployed", "AnnualIncome", "DebtToIncome", "CreditScore"]
    columns = (
        people.age,
        people.years_employed,
        people.annual_income,
        people.debt_to_income,
        people.credit_score,
    )
    lines = [
        json.dumps(
            {
                "features": [value.item() for value in row],
                "label": int(label),
                "predicted_label": int(pred),
            }
        )
        for *row, label, pred in zip(*columns, approved, prediction, strict=True)
    ]
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    config = {
        "dataset_type": "application/jsonlines",
        "features": "features",
        "headers": [*feature_names, "Approved", "PredictedApproved"],
        "label": "label",
        "predicted_label": "predicted_label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "Age", "value_or_threshold": [40]}],
        "methods": {
            "report": REPORT,
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    readme = _readme(
        "jsonlines",
        "pre- and post-training bias from SageMaker dense JSON Lines (`application/jsonlines`): "
        "one object per line with a `features` array, a `label` and a `predicted_label`, named "
        "by `headers` (features, then label, then predicted label); facet `Age` > 40.",
        "jsonlines",
        "applications.jsonl",
        f"{n} lines. Older applicants were approved less often and the model follows suit. "
        "There is no `group_variable`, so CDDL and CDDPL come out as `value: null` with "
        "the error `Group variable is empty or not provided`, as in the AWS container.",
    )
    return Case("jsonlines", "applications.jsonl", config, readme, payload)


def parquet() -> Case:
    """Parquet, string labels, and a categorical facet evaluated one value at a time."""
    rng = np.random.default_rng(20240404)
    n = 1500
    statuses = np.array(["Married", "Single", "Divorced", "Widowed"])
    marital = rng.choice(statuses, size=n, p=[0.45, 0.36, 0.14, 0.05])
    people = draw_applicants(rng, n, income_shift=np.zeros(n))
    co_applicant = ((marital == "Married") & (rng.random(n) < 0.6)).astype(np.int64)
    branch = rng.integers(1, 9, size=n).astype(np.int64)
    effect = {"Married": 0.35, "Single": 0.0, "Divorced": -0.6, "Widowed": -0.4}
    label_penalty = np.vectorize(effect.get)(marital).astype(float) + 0.3 * co_applicant
    approved, prediction = decide(rng, people, label_penalty, model_penalty=1.25 * label_penalty)
    for status in ("Divorced", "Widowed"):
        _check_bias(approved, marital == status, f"LoanStatus for {status}")
    frame = pd.DataFrame(
        {
            "MaritalStatus": marital,
            "Age": people.age,
            "YearsEmployed": people.years_employed,
            "AnnualIncome": people.annual_income,
            "DebtToIncome": people.debt_to_income,
            "CreditScore": people.credit_score,
            "LoanAmount": people.loan_amount,
            "HasCoApplicant": co_applicant,
            "BranchId": branch,
            "LoanStatus": np.where(approved == 1, "Approved", "Rejected"),
            "PredictedStatus": np.where(prediction == 1, "Approved", "Rejected"),
        }
    )
    rest = frame.drop(columns=["MaritalStatus", "LoanStatus", "PredictedStatus"])
    assert all(pd.api.types.is_numeric_dtype(t) for t in rest.dtypes), rest.dtypes
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False, compression="snappy")
    config = {
        "dataset_type": "application/x-parquet",
        "label": "LoanStatus",
        "predicted_label": "PredictedStatus",
        "label_values_or_threshold": ["Approved"],
        "facet": [{"name_or_index": "MaritalStatus"}],
        "group_variable": "BranchId",
        "methods": {
            "report": REPORT,
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    readme = _readme(
        "parquet",
        "pre- and post-training bias from Parquet (`application/x-parquet`, column names from "
        "the file's schema) with string labels (`Approved`/`Rejected`) and a categorical facet "
        "with no `value_or_threshold`, so each `MaritalStatus` value is evaluated against all "
        "the others (one-vs-rest).",
        "parquet",
        "loans.parquet",
        f"{n} rows. Married applicants (often with a co-applicant) are favoured, divorced and "
        "widowed applicants disfavoured, and the model amplifies both; `BranchId` is the "
        "group variable. Facet values are reported in order of first appearance.",
    )
    return Case("parquet", "loans.parquet", config, readme, buffer.getvalue())


def segments_csv() -> Case:
    """The scored loans again, with ``segment_config``: the same analysis per age band."""
    scored = post_training_predicted_label_csv()
    config = dict(scored.config)
    config["segment_config"] = [
        {
            "name_or_index": "Age",
            "segments": [["[18, 35]"], ["(35, 50]"]],
            "config_name": "age_bands",
            "display_aliases": ["18-35", "36-50", "over 50"],
        },
        {"name_or_index": "EducationLevel", "segments": [[1, 2], [3]]},
    ]
    readme = _readme(
        "segments_csv",
        "`segment_config`: the 21 bias metrics of `post_training_predicted_label_csv` again "
        "for every segment — three age bands (interval strings, display aliases; the last "
        "alias names `__default__`, the ages outside both intervals) and education levels "
        "1-2, 3 and the rest (`__default__`) — under `segment_analysis` in `analysis.json` "
        "and in the report's Segments section.",
        "segments_csv",
        "loans_scored.csv",
        "The same rows as `post_training_predicted_label_csv`; the whole-dataset sections "
        "of `analysis.json` are those of that case, byte for byte.",
    )
    return Case("segments_csv", "loans_scored.csv", config, readme, scored.payload)


CASES: tuple[Callable[[], Case], ...] = (
    pre_training_csv,
    post_training_predicted_label_csv,
    jsonlines,
    parquet,
    segments_csv,
)


def _files(case: Case) -> dict[Path, bytes]:
    folder = HERE / case.name
    return {
        folder / "analysis_config.json": (json.dumps(case.config, indent=2) + "\n").encode(),
        folder / case.data_file: case.payload,
        folder / "README.md": case.readme.encode(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files; write nothing"
    )
    args = parser.parse_args(argv)
    stale = []
    for make in CASES:
        case = make()
        for path, content in _files(case).items():
            if args.check:
                if not path.exists() or path.read_bytes() != content:
                    stale.append(path.relative_to(HERE))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        print(f"{case.name}: {case.data_file}")
    if stale:
        print("out of date: " + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
