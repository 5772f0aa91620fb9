"""moto's standalone server (``moto.server.ThreadedMotoServer``) on 127.0.0.1, quietly."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def moto_server() -> Iterator[int]:
    """Start the server on a free port; yield the port; stop it."""
    from moto.server import ThreadedMotoServer

    # werkzeug logs one line per request on stderr; keep failures readable.
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        yield int(port)
    finally:
        server.stop()
        werkzeug_log.setLevel(level)
