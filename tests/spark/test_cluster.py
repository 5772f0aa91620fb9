"""Multi-instance container jobs: two simulated hosts on 127.0.0.1 form a Spark cluster.

Each "host" is a base directory with its own ``config/resourceconfig.json``
and the same processing inputs, and runs the real container entrypoint
(``python -m openclarify container``) in its own process.  ``algo-1`` starts
a standalone master and a worker and runs the analysis; ``algo-2`` starts a
worker that joins it and ends when the leader's job is over.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import openclarify
from openclarify.backend.cluster import ClusterError, Hosts, read_hosts, run_follower
from openclarify.errors import ConfigError

pytestmark = pytest.mark.spark

CASE = Path(__file__).resolve().parents[1] / "golden" / "cases" / "contract_vector"
HOSTS = ["algo-1", "algo-2"]
#: Hang guard only (never a performance assertion): JVM start-up on a loaded
#: 2-core machine takes tens of seconds, a hung cluster would never end.
HANG_GUARD_S = 600


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((CASE / "analysis_config.json").read_text())
    config["methods"]["post_training_bias"] = {"methods": ["DPPL", "DI", "AD", "TE"]}  # no FT
    config["methods"].pop("report", None)
    config["dataset_type"] = "application/x-parquet"
    config.pop("headers", None)
    return config


def _host(root: Path, name: str, config: dict[str, Any], data: Path) -> Path:
    base = root / name
    (base / "config").mkdir(parents=True)
    (base / "config" / "resourceconfig.json").write_text(
        json.dumps({"current_host": name, "hosts": HOSTS, "network_interface_name": "eth0"})
    )
    (base / "processing" / "input" / "config").mkdir(parents=True)
    (base / "processing" / "input" / "config" / "analysis_config.json").write_text(
        json.dumps(config)
    )
    (base / "processing" / "input" / "data").mkdir(parents=True)
    (base / "processing" / "input" / "data" / data.name).write_bytes(data.read_bytes())
    return base


def _environment(port: int, join_timeout: str) -> dict[str, str]:
    return dict(
        os.environ,
        OPENCLARIFY_HOST_ADDRESSES="algo-1=127.0.0.1,algo-2=127.0.0.1",
        OPENCLARIFY_SPARK_MASTER_PORT=str(port),
        OPENCLARIFY_CLUSTER_JOIN_TIMEOUT=join_timeout,
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON=sys.executable,
    )


def test_two_hosts_write_one_correct_analysis_json(tmp_path: Path) -> None:
    headers = json.loads((CASE / "analysis_config.json").read_text())["headers"]
    frame = pd.read_csv(CASE / "data" / "contract_vector.csv", header=0, names=headers)
    data = tmp_path / "contract_vector.parquet"
    frame.to_parquet(data, index=False, row_group_size=10)  # 10 tasks for 2 workers
    config = _config()
    bases = [_host(tmp_path / "hosts", name, config, data) for name in HOSTS]
    env = _environment(_free_port(), join_timeout="300")
    command = [sys.executable, "-m", "openclarify", "container", "--base-dir"]
    processes = [
        subprocess.Popen(
            [*command, str(base)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for base in bases
    ]
    logs = [process.communicate(timeout=HANG_GUARD_S)[0] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], "\n".join(log[-3000:] for log in logs)

    leader, follower = bases
    expected = openclarify.analyze(config, data, backend="memory").to_dict()
    written = json.loads((leader / "processing" / "output" / "analysis.json").read_text())
    assert written == expected
    assert not (follower / "processing" / "output" / "analysis.json").exists()
    assert "ran Spark tasks for algo-1" in (follower / "output" / "message").read_text()
    assert "Spark workers of all 2 hosts joined" in logs[0]
    assert "Spark bias counts over 100 rows in 10 task(s)" in logs[0]


def test_follower_names_the_unreachable_leader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENCLARIFY_HOST_ADDRESSES", "algo-1=127.0.0.1")
    monkeypatch.setenv("OPENCLARIFY_SPARK_MASTER_PORT", str(_free_port()))  # nobody listens
    monkeypatch.setenv("OPENCLARIFY_CLUSTER_JOIN_TIMEOUT", "1")
    with pytest.raises(ClusterError, match=r"^algo-2: cannot reach the leader algo-1 \(127\.0\.0"):
        run_follower(Hosts("algo-2", ("algo-1", "algo-2")))


def test_resource_config(tmp_path: Path) -> None:
    assert read_hosts(tmp_path) is None  # single-instance jobs may have none
    (tmp_path / "config").mkdir()
    path = tmp_path / "config" / "resourceconfig.json"
    path.write_text(json.dumps({"current_host": "algo-3", "hosts": ["algo-3", "algo-1"]}))
    hosts = read_hosts(tmp_path)
    assert hosts is not None and hosts.distributed
    assert hosts.leader == "algo-1" and not hosts.is_leader
    path.write_text(json.dumps({"current_host": "algo-9", "hosts": ["algo-1"]}))
    with pytest.raises(ConfigError, match="current_host 'algo-9' is not in hosts"):
        read_hosts(tmp_path)
