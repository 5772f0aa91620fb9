"""Report benchmark: what writing the three reports costs, a first render and a warm one.

For each case (default: ``pre_training_csv``, bias only, and ``explain_local_model``,
post-training bias + SHAP + PDP against the sample's own model server) the analysis
runs once here; then ``--repeat`` fresh processes each render the reports as
:func:`openclarify.report.write_reports` does, step by step, and print the medians:

* the floor: importing jinja2, matplotlib (as ``report/charts.py`` does), nbformat
  and weasyprint in a fresh process that already has openclarify, numpy and pandas
  (what a job has when it reaches the reports);
* a first render in a fresh process (imports included, as a job pays it): the charts,
  the HTML (sections and page, charts excluded), the notebook and the PDF, printed
  in process (as ``write_reports`` does by default), by a ``PdfPrinter`` (weasyprint
  in a child process) started with the render, and by one started 3 s before it (as
  a job could start it when it starts; "PDF" is then the wait for the child);
* a warm render: the same steps again in that process (``--warm`` times), where
  weasyprint is already imported and the PDF is printed in process.

Wall-clock seconds; "cpu" adds the printer's CPU to the process's own (for the
early printer, its import too).  The machine
is shared, so the load average is printed before and after.

    python benchmarks/report_bench.py
    python benchmarks/report_bench.py --case pre_training_csv --repeat 7
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openclarify  # noqa: E402
from openclarify.results import dumps_analysis  # noqa: E402
from tests.report.conftest import CASES, MODEL_CASES, SAMPLES, case_config, report_stats  # noqa: E402
from tests.sample_server import serve_sample  # noqa: E402

DEFAULT_CASES = ("pre_training_csv", "explain_local_model")

FLOOR = """
import json, time
import numpy, pandas, openclarify.report, openclarify.report.content
times = {}
for name, modules in (
    ("jinja2", ["jinja2"]),
    ("matplotlib", ["matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg",
                    "matplotlib.backends.backend_svg"]),
    ("nbformat", ["nbformat"]),
    ("weasyprint", ["weasyprint"]),
):
    started = time.perf_counter()
    for module in modules:
        __import__(module)
    times[name] = time.perf_counter() - started
print(json.dumps(times))
"""

# One fresh process: a first render (printer as given), then warm renders. Each step
# is what write_reports does; the chart functions are wrapped to time them apart.
RENDER = """
import json, logging, resource, sys, time
from pathlib import Path

folder, mode, warm = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
document = json.loads((folder / "analysis.json").read_text())
raw = json.loads((folder / "config.json").read_text())
stats_raw = json.loads((folder / "stats.json").read_text())
import numpy, pandas, openclarify.report, openclarify.report.content
from openclarify.report import ReportStats
stats = ReportStats.from_dict(stats_raw) if stats_raw is not None else None
log = logging.getLogger("openclarify.bench")
charts_time = [0.0]

def start_printer():
    try:
        from openclarify.report.pdf import PdfPrinter
    except ImportError:  # a version without the printer
        return None
    return PdfPrinter.start()

early = start_printer() if mode == "early" else None
if early is not None:
    time.sleep(3.0)  # the job's analysis, during which the child imports weasyprint

def render(mode):
    t = {}
    cpu = time.process_time()
    started = time.perf_counter()
    printer = early if mode == "early" else start_printer() if mode == "printer" else None
    from openclarify.report import charts, html
    from openclarify.report.content import build_report
    if not getattr(charts, "_bench_timed", False):
        for name in ("label_distribution", "metric_gaps", "shap_bars", "pdp_plot"):
            def timed(*args, _draw=getattr(charts, name)):
                began = time.perf_counter()
                try:
                    return _draw(*args)
                finally:
                    charts_time[0] += time.perf_counter() - began
            setattr(charts, name, timed)
        charts._bench_timed = True
    charts_time[0] = 0.0
    step = time.perf_counter()
    report = build_report(document, title=raw["methods"]["report"].get("title"), stats=stats,
                          config=raw, output_dir=folder)
    parts = html.sections(report, log)
    page = html.render_page(report.title, [p for _, p in parts])
    (folder / "out.html").write_text(page, encoding="utf-8")
    t["charts"] = charts_time[0] + (step - started)  # + importing the rendering modules
    t["HTML"] = time.perf_counter() - step - charts_time[0]
    step = time.perf_counter()
    from openclarify.report.notebook import notebook_text
    text = notebook_text(report, [(k, str(p)) for k, p in parts], html.stylesheet())
    (folder / "out.ipynb").write_text(text, encoding="utf-8")
    t["notebook"] = time.perf_counter() - step
    step = time.perf_counter()
    if printer is not None:
        pdf = printer.print(page)
    else:
        from openclarify.report.pdf import html_to_pdf
        pdf = html_to_pdf(page)
    (folder / "out.pdf").write_bytes(pdf)
    t["PDF"] = time.perf_counter() - step
    t["total"] = time.perf_counter() - started
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    t["cpu"] = time.process_time() - cpu + (child.ru_utime + child.ru_stime if printer else 0.0)
    return t

first = render(mode)
libraries = [m for m in ("jinja2", "matplotlib", "nbformat", "weasyprint") if m in sys.modules]
warm_runs = [render("in process") for _ in range(warm)]
print(json.dumps({"first": first, "warm": warm_runs, "imported": libraries}))
"""

STEPS = ("charts", "HTML", "notebook", "PDF", "total", "cpu")
MODES = {
    "in process": "first render, PDF in process",
    "printer": "first render, printer started then",
    "early": "first render, printer started 3 s before",
}


def _run(code: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the benchmark step failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f}"


def _row(label: str, runs: list[dict[str, float]], keys: tuple[str, ...]) -> str:
    cells = [f"{k} {_median([r[k] for r in runs])}" for k in keys]
    return f"  {label:34} " + "  ".join(cells)


@contextlib.contextmanager
def _server(case: str) -> Iterator[str | None]:
    if case not in MODEL_CASES:
        yield None
        return
    with serve_sample(SAMPLES / "local_model_server") as url:
        yield url


def _prepare(case: str, folder: Path) -> str:
    with _server(case) as url:
        config = case_config(case, url)
        dataset, config_dir = CASES[case], SAMPLES / case
        document = openclarify.analyze(config, dataset, config_dir=config_dir).to_dict()
        stats = report_stats(config, dataset, config_dir)
    folder.mkdir(parents=True)
    (folder / "analysis.json").write_text(dumps_analysis(document))
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "stats.json").write_text(json.dumps(stats.to_dict() if stats else None))
    rows = stats.rows if stats is not None else 0
    sections = [k for k in ("post_training_bias_metrics", "explanations") if k in document]
    return f"{rows} rows, {len(stats.groups) if stats else 0} facet groups, {sections}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="repeatable")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--warm", type=int, default=3, help="warm renders per process")
    args = parser.parse_args()
    print(f"openclarify from {Path(openclarify.__file__).parent}; n={args.repeat} processes")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    floors = [_run(FLOOR) for _ in range(args.repeat)]
    names = tuple(floors[0])
    total = [sum(f.values()) for f in floors]  # type: ignore[arg-type]
    print(
        "floor, importing the libraries (medians, s): "
        + "  ".join(f"{n} {_median([f[n] for f in floors])}" for n in names)  # type: ignore[misc]
        + f"  all {_median(total)}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.case or DEFAULT_CASES:
            folder = Path(tmp) / case
            print(f"case {case}: {_prepare(case, folder)}")
            runs: dict[str, list[dict[str, object]]] = {m: [] for m in MODES}
            for _ in range(args.repeat):
                for mode in runs:  # alternate, so that load changes hit each alike
                    runs[mode].append(_run(RENDER, str(folder), mode, str(args.warm)))
            for mode, label in MODES.items():
                print(_row(label, [r["first"] for r in runs[mode]], STEPS))  # type: ignore[misc]
            imported = ", ".join(runs["in process"][0]["imported"])  # type: ignore[arg-type]
            print(f"  libraries a first render imports: {imported}")
            warm = [w for r in runs["in process"] for w in r["warm"]]  # type: ignore[attr-defined]
            print(_row(f"warm render (n={len(warm)})", warm, STEPS))
            sizes = {p.suffix[1:]: p.stat().st_size // 1024 for p in folder.glob("out.*")}
            print("  file sizes (KiB): " + ", ".join(f"{k} {v}" for k, v in sorted(sizes.items())))
    print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
