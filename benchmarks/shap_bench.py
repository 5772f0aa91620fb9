"""Kernel SHAP benchmark: openclarify against shap.KernelExplainer, in one run.

Setting (issue 4): 100 records, ``nsamples=2048``, a 10-row k-means baseline,
15 numeric features, two in-process models (logistic regression and gradient
boosting).  For each model it prints

* ``ours``: :func:`openclarify.explain.explain` (the estimator the job uses),
  median of ``--repeats`` runs;
* ``ours (job path)``: the same through :func:`openclarify.explain.analysis.explain_records`,
  i.e. with the tabular codec and a DataFrame handed to the model, as a real job does;
* ``shap``: ``shap.KernelExplainer(model, baseline).shap_values(records, nsamples=2048)``,
  median of ``--shap-repeats`` runs (default: ``--repeats``), ``l1_reg=False`` so
  both solve the same problem;
* ``model only``: the model evaluated on exactly the synthetic rows ours sends,
  pre-built, in the same call sizes (median) — the floor any Kernel SHAP
  implementation that calls the model on those rows has to pay;
* the ratios shap/ours, shap/job path, ours/model-only and job path/model-only,
  and the largest absolute difference between the two sets of attributions (a
  sanity check, not an accuracy claim: both sample coalitions, with different
  generators);
* the load average before and after (the machine may be shared: ratios measured
  in one run are comparable, absolute times much less so).

Then, through the SageMaker endpoint emulator (``tests/emulator``, a local
server spoken to with boto3) it explains ``--endpoint-records`` records and
prints the requests made and rows per request (target ≥ 1,000).

    python benchmarks/shap_bench.py                # everything (about a minute)
    python benchmarks/shap_bench.py --skip-shap    # ours only

Targets (issue 21): logistic regression ≥ 15× faster than shap.KernelExplainer and
within 2× of the model-only time; gradient boosting within 1.2× of it.  Machines
are noisy: quote medians and the load average.

``--blas-threads N`` caps OpenBLAS (through threadpoolctl) for the whole run —
ours, shap and the model alike.  On this project's 2-core VM the logistic
regression figures with the default two threads are bimodal from one process to
the next (ours about 0.10 s or about 0.20 s, the model alone unchanged), which a
cap of one thread removes; run both and quote both.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
N_FEATURES = 15
N_RECORDS = 100
N_SAMPLES = 2048
N_BASELINE = 10


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, N_FEATURES))
    w = rng.normal(size=N_FEATURES)
    y = (x @ w + 0.5 * x[:, 0] * x[:, 1] + rng.normal(size=len(x)) > 0).astype(int)
    return x, y


def _models(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    return {
        "logistic regression": LogisticRegression(max_iter=1000).fit(x, y),
        "gradient boosting": GradientBoostingClassifier(
            n_estimators=100, max_depth=3, random_state=0
        ).fit(x, y),
    }


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # not available on this platform
        return "n/a"


def _median_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_model(
    name: str,
    model: Any,
    records: np.ndarray,
    baseline: np.ndarray,
    repeats: int,
    skip_shap: bool,
    shap_repeats: int,
) -> dict[str, Any]:
    import pandas as pd

    from openclarify.explain import explain
    from openclarify.explain.analysis import explain_records

    def predict(rows: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict_proba(rows)[:, 1])

    # the exact arrays ours sends, to time the model alone on them
    sent: list[np.ndarray] = []

    def recording(rows: np.ndarray) -> np.ndarray:
        sent.append(rows.copy())
        return predict(rows)

    ours_phi = explain(recording, records, baseline, num_samples=N_SAMPLES, seed=0).phi[:, :, 0]
    model_rows = sum(len(a) for a in sent)
    model_only = _median_time(lambda: [predict(a) for a in sent], repeats)
    sent.clear()
    ours = _median_time(
        lambda: explain(predict, records, baseline, num_samples=N_SAMPLES, seed=0), repeats
    )

    columns = [f"f{j}" for j in range(N_FEATURES)]
    frame = pd.DataFrame(records, columns=columns)
    base_frame = pd.DataFrame(baseline, columns=columns)

    def scores(rows: pd.DataFrame) -> np.ndarray:
        return np.asarray(model.predict_proba(rows.to_numpy())[:, 1])[:, None]

    quiet = logging.getLogger("openclarify.bench")
    quiet.setLevel(logging.WARNING)
    job_path = _median_time(
        lambda: explain_records(
            frame, base_frame, scores, num_samples=N_SAMPLES, seed=0, log=quiet
        ),
        repeats,
    )

    shap_time = float("nan")
    max_diff = float("nan")
    if not skip_shap:
        import shap

        explainer = shap.KernelExplainer(predict, baseline)
        results: list[Any] = []

        def run_shap() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(
                    explainer.shap_values(records, nsamples=N_SAMPLES, l1_reg=False, silent=True)
                )

        shap_time = _median_time(run_shap, shap_repeats)
        theirs = results[0]
        max_diff = float(np.abs(np.asarray(theirs).reshape(ours_phi.shape) - ours_phi).max())
    return {
        "model": name,
        "ours": ours,
        "job_path": job_path,
        "shap": shap_time,
        "model_only": model_only,
        "model_rows": model_rows,
        "max_diff": max_diff,
    }


def bench_endpoint(n_records: int) -> dict[str, Any]:
    """Explain ``n_records`` rows of the emulator's dataset through its endpoint (CSV)."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from openclarify.config import load_config
    from openclarify.explain.analysis import explain_records
    from openclarify.predict import open_model
    from tests.emulator import start_emulator
    from tests.emulator.model import SklearnModel

    model = SklearnModel(n_features=N_FEATURES, n_rows=max(n_records, 50))
    names = [f"x{j}" for j in range(N_FEATURES)]
    features = pd.DataFrame(np.asarray(model.dataset.X)[:n_records], columns=names)
    baseline = features.iloc[:N_BASELINE].reset_index(drop=True)
    config = load_config(
        {
            "dataset_type": "text/csv",
            "headers": names,
            "predictor": {
                "endpoint_name": "clarify-test-endpoint",
                "content_type": "text/csv",
                "accept_type": "text/csv",
            },
            "methods": {"shap": {"num_samples": N_SAMPLES}},
        }
    )
    quiet = logging.getLogger("openclarify.bench")
    with start_emulator(model=model) as emulator, open_model(config, names, log=quiet) as s:
        started = time.perf_counter()
        explain_records(
            features,
            baseline,
            s.scores,
            num_samples=N_SAMPLES,
            seed=0,
            max_batch_rows=s.rows_per_call,
            log=quiet,
        )
        seconds = time.perf_counter() - started
        requests = len(emulator.invocations)
        rows = sum(r.n_records or 0 for r in emulator.invocations)
    return {"records": n_records, "requests": requests, "rows": rows, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-shap", action="store_true")
    parser.add_argument("--shap-repeats", type=int, default=None, help="default: --repeats")
    parser.add_argument("--endpoint-records", type=int, default=20)
    parser.add_argument("--blas-threads", type=int, default=None, help="cap BLAS threads")
    args = parser.parse_args()
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")

    from sklearn.cluster import KMeans

    x, y = _data()
    baseline = KMeans(N_BASELINE, n_init=10, random_state=0).fit(x).cluster_centers_
    records = x[-N_RECORDS:]
    shap_repeats = args.shap_repeats or args.repeats
    print(
        f"{N_RECORDS} records x {N_FEATURES} features, nsamples={N_SAMPLES}, "
        f"{N_BASELINE}-row k-means baseline; medians of {args.repeats} runs "
        f"(shap: {shap_repeats}); BLAS threads: {args.blas_threads or 'default'}; "
        f"load average {_load()}"
    )
    header = (
        f"{'model':<20} {'ours s':>7} {'job s':>7} {'shap s':>7} {'model s':>7} "
        f"{'shap/ours':>9} {'shap/job':>8} {'ours/model':>10} {'job/model':>9} {'max |diff|':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, model in _models(x, y).items():
        r = bench_model(name, model, records, baseline, args.repeats, args.skip_shap, shap_repeats)
        print(
            f"{r['model']:<20} {r['ours']:>7.3f} {r['job_path']:>7.3f} {r['shap']:>7.2f} "
            f"{r['model_only']:>7.3f} {r['shap'] / r['ours']:>9.1f} "
            f"{r['shap'] / r['job_path']:>8.1f} {r['ours'] / r['model_only']:>10.2f} "
            f"{r['job_path'] / r['model_only']:>9.2f} {r['max_diff']:>10.2e}"
        )
    print(f"(model rows per explanation run: {r['model_rows']:,})")
    print(f"load average after: {_load()}")
    if args.endpoint_records:
        e = bench_endpoint(args.endpoint_records)
        print(
            f"endpoint (emulator, text/csv): {e['records']} records, {e['requests']} requests, "
            f"{e['rows']:,} rows, {e['rows'] / max(e['requests'], 1):,.0f} rows per request, "
            f"{e['seconds']:.2f}s"
        )


if __name__ == "__main__":
    main()
