"""Run the emulator in the foreground: ``python -m tests.emulator [--port 8080]``.

Prints the ``export`` lines that point boto3 (and ``openclarify``) at it, then serves until
interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import tempfile
import threading
from pathlib import Path

from .server import start_emulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--features", type=int, default=4, help="model features (x0..)")
    parser.add_argument("--classes", type=int, default=2, help="model classes")
    parser.add_argument("--csv-label", action="store_true", help="CSV answers 'label,score'")
    args = parser.parse_args(argv)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with (
        tempfile.TemporaryDirectory(prefix="sagemaker-emulator-") as temp,
        start_emulator(
            port=args.port,
            n_features=args.features,
            n_classes=args.classes,
            csv_label=args.csv_label,
            patch_env=False,
        ) as emu,
    ):
        for key, value in emu.environment(Path(temp)).items():
            print(f"export {key}={shlex.quote(value)}")
        print(f"# serving endpoint clarify-test-endpoint (model clarify-test-model) at {emu.url}")
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()


if __name__ == "__main__":
    main()
