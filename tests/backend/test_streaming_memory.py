"""Peak memory of a streamed analysis does not grow with the number of rows.

Fresh subprocesses analyse generated Parquet files of 200k and 3M rows in
batches of 20k rows and report ``ru_maxrss``.  Holding the used columns of the
3M-row table alone takes more than 3M × 4 int64 columns × 8 bytes = 96 MB (plus
the text facet); the allowed growth of 24 MB is well above the few MB that
allocator noise moves a run by and well below that.  A control run that does
load those columns must exceed the allowance, so the test is known to fail
for an engine that holds the table.  Peaks are the children's own ``VmHWM``:
``ru_maxrss`` survives ``exec`` on Linux, so a child of a large pytest process
would report its parent's peak.  No timing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_GROWTH_MB = 24

CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from scale_bench import config, peak_rss_mb
from openclarify.backend import stream_bias_sections
from openclarify.config import load_config
if sys.argv[2] == "load":  # control: what holding the used columns costs
    import pyarrow.parquet as pq
    table = pq.read_table(sys.argv[1], columns=["sex", "age", "region", "label", "prediction"])
    frame = table.to_pandas()
sections = stream_bias_sections(load_config(config(False)), Path(sys.argv[1]), batch_rows=20_000)
assert sections is not None
print(json.dumps({{"rss_mb": peak_rss_mb(),
                  "groups": sum(len(v) for v in sections[0].facets.values())}}))
"""


def _peak(data: Path, mode: str = "stream") -> dict[str, float]:
    code = CHILD.format(bench=str(ROOT / "benchmarks"))
    out = subprocess.run(
        [sys.executable, "-c", code, str(data), mode], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_peak_rss_does_not_grow_with_rows(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from scale_bench import make_parquet
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    small, large = tmp_path / "small.parquet", tmp_path / "large.parquet"
    make_parquet(200_000, small)
    make_parquet(3_000_000, large)
    peak_small, peak_large = _peak(small), _peak(large)
    assert peak_small["groups"] == peak_large["groups"] == 12
    assert peak_large["rss_mb"] - peak_small["rss_mb"] < ALLOWED_GROWTH_MB, (
        peak_small,
        peak_large,
    )
    control = _peak(large, "load")
    assert control["rss_mb"] - peak_small["rss_mb"] > ALLOWED_GROWTH_MB, (peak_small, control)
