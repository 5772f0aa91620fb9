"""A sample's own model server (``sample_configs/<name>/serve.py``) as a real process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_sample(folder: Path) -> Iterator[str]:
    """Run ``folder/serve.py --port <free>``; yield its URL once ``/ping`` answers.

    The server is started as the user starts it (``make run``), so the tests speak
    to it over HTTP exactly as a job does; it is stopped on exit.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(folder / "serve.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # up to 20 s on a loaded machine; a server up early ends it
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
