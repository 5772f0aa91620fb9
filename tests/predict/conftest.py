"""Fixtures: the SageMaker emulator (tests/emulator) and a tiny model server of our own.

:class:`ModelServer` speaks the SageMaker inference protocol (``GET /ping``,
``POST /invocations``) with the emulator's scikit-learn model behind it, records
every request, and can be told to fail (a queue of canned answers), to refuse
bodies above a size (413) or to hold requests (to observe concurrency).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.emulator.fixtures import emulator  # noqa: F401
from tests.emulator.model import Invocation, Model, ModelInvocationError, SklearnModel


@dataclass(frozen=True)
class Seen:
    """One request the model server saw."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased (HTTP header names are case-insensitive)
    body: bytes


@dataclass
class ModelServer:
    """State of a running :func:`model_server`."""

    model: Model
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    #: Canned answers (status, body) used before the model, first in first out.
    answers: list[tuple[int, bytes]] = field(default_factory=list)
    #: Bodies larger than this get a 413.
    max_body: int | None = None
    #: Seconds each /invocations request is held (to observe concurrency).
    hold: float = 0.0
    #: Answer to /ping.
    ping_status: int = 200
    in_flight: int = 0
    peak_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def invocations(self) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == "/invocations"]

    def answer(self, status: int, body: bytes = b"", times: int = 1) -> None:
        with self.lock:
            self.answers.extend([(status, body)] * times)


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}


def _handler(state: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (its read timeout)

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(Seen("GET", self.path, _lower(self.headers.items()), b""))
            if self.path == "/ping":
                self._reply(state.ping_status, b"")
            else:
                self._reply(404, b"not found")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.requests.append(Seen("POST", self.path, _lower(self.headers.items()), body))
                canned = state.answers.pop(0) if state.answers else None
                state.in_flight += 1
                state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
            try:
                if state.hold:
                    time.sleep(state.hold)
                if self.path != "/invocations":
                    self._reply(404, b"not found")
                elif canned is not None:
                    self._reply(*canned)
                elif state.max_body is not None and len(body) > state.max_body:
                    self._reply(413, b"request entity too large")
                else:
                    try:
                        response = state.model.invoke(
                            Invocation(
                                body=body,
                                content_type=self.headers.get("Content-Type") or "",
                                accept=self.headers.get("Accept"),
                            )
                        )
                    except ModelInvocationError as error:
                        self._reply(error.status, error.message.encode())
                    else:
                        self._reply(200, response.body, response.content_type)
            finally:
                with state.lock:
                    state.in_flight -= 1

    return Handler


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    """A local SageMaker-protocol model server serving the emulator's binary sklearn model."""
    state = ModelServer(model=SklearnModel())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_sleep() -> Callable[[float], None]:
    """A sleep that records and returns at once."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    sleep.calls = slept  # type: ignore[attr-defined]
    return sleep
