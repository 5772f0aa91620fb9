"""The command's fast exit (``openclarify.cli.exit_now``) keeps what an orderly exit does.

It skips only the interpreter's teardown: the exit code, the ``atexit`` handlers,
everything written to stdout and stderr, and waiting for a running non-daemon
thread stay as Python's own exit has them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from openclarify.bias.registry import METRICS
from openclarify.errors import ConfigError


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    # buffered streams (the image sets PYTHONUNBUFFERED; a user's shell may not)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return _run(sys.executable, "-c", code)


def test_the_exit_code_and_the_atexit_handlers_run_in_registration_order() -> None:
    done = _python(
        "import atexit\n"
        "from openclarify.cli import exit_now\n"
        "atexit.register(print, 'registered first, runs last')\n"
        "atexit.register(print, 'registered last, runs first')\n"
        "exit_now(7)\n"
    )
    assert done.returncode == 7
    assert done.stdout.splitlines() == [
        "registered last, runs first",
        "registered first, runs last",
    ]


def test_buffered_output_is_flushed() -> None:
    # a pipe makes stdout block-buffered: without the flush these lines (less than
    # one buffer) would be lost by os._exit
    done = _python(
        "import sys\n"
        "from openclarify.cli import exit_now\n"
        "for i in range(50):\n"
        "    print('line', i)\n"
        "sys.stderr.write('to stderr')\n"
        "exit_now(0)\n"
    )
    assert done.returncode == 0
    assert done.stdout.splitlines() == [f"line {i}" for i in range(50)]
    assert done.stderr == "to stderr"


def test_a_running_non_daemon_thread_is_waited_for() -> None:
    done = _python(
        "import threading, time\n"
        "from openclarify.cli import exit_now\n"
        "def work():\n"
        "    time.sleep(0.2)\n"
        "    print('the thread finished', flush=True)\n"
        "threading.Thread(target=work).start()\n"
        "exit_now(5)\n"
    )
    assert done.returncode == 5
    assert done.stdout == "the thread finished\n"


def test_the_command_as_a_process_prints_all_its_output() -> None:
    done = _run(sys.executable, "-m", "openclarify", "metrics")
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == [m.code for m in METRICS]


def test_an_error_is_the_process_exit_code(tmp_path: Path) -> None:
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps({"dataset_type": "text/csv", "methods": {}, "facett": []}))
    done = _run(sys.executable, "-m", "openclarify", "validate", "--config", str(config))
    assert done.returncode == ConfigError.exit_code
    assert done.stderr.startswith("error: $.facett: ")
    assert done.stdout == ""
