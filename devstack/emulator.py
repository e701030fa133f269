"""An in-process moto server that handles one request at a time.

moto's backends are not thread-safe: concurrent TransactWriteItems were seen
to let two writers win and to corrupt the table. DynamoDB makes every request
atomic; serving each request under one lock restores that, so concurrency
tests prove something. The server also records DynamoDB calls (operation,
request, response), so benchmarks count real requests and bytes.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass
class Call:
    service: str
    operation: str
    request: dict[str, Any]
    response: dict[str, Any]


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    enabled: bool = False

    def dynamodb(self) -> list[Call]:
        return [c for c in self.calls if c.service == "dynamodb"]

    def clear(self) -> None:
        self.calls.clear()


def _snapshot_each_table_once() -> None:
    """moto backs up the whole table once per item of a TransactWriteItems (a deep copy each time);
    once per table is enough. Safe because the emulator serves one request at a time."""
    import copy
    import types

    from moto.dynamodb import models

    if getattr(models.DynamoDBBackend.transact_write_items, "patched", False):
        return
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):  # type: ignore[no-untyped-def]
        copies: dict[int, Any] = {}

        def deepcopy(obj, memo=None):  # type: ignore[no-untyped-def]
            if isinstance(obj, models.Table):
                if id(obj) not in copies:
                    copies[id(obj)] = copy.deepcopy(obj)
                return copies[id(obj)]
            return copy.deepcopy(obj, memo)

        models.copy = types.SimpleNamespace(deepcopy=deepcopy)
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    transact_write_items.patched = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items


class _Serialized:
    """WSGI middleware: one request at a time, body fully produced under the lock."""

    def __init__(self, app: Callable, recorder: Recorder) -> None:
        self.app, self.recorder = app, recorder
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL):
            return self.control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        request = b""
        if self.recorder.enabled and target.startswith("DynamoDB"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = environ["wsgi.input"].read(length)
            import io

            environ["wsgi.input"] = io.BytesIO(request)
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        if request:
            self.recorder.calls.append(Call("dynamodb", target.split(".", 1)[1], _json(request), _json(body)))
        return [body]


    def control(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """The recorder, for a test process talking to an emulator process."""
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"][len(CONTROL):]
        if path == "/record" and method == "POST":
            self.recorder.enabled = environ.get("QUERY_STRING") == "on"
        elif path == "/calls" and method == "DELETE":
            self.recorder.clear()
        body = json.dumps([c.__dict__ for c in self.recorder.calls]).encode() if path == "/calls" else b"{}"
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


CONTROL = "/_emulator"


def _json(raw: bytes) -> dict[str, Any]:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


class Emulator:
    """``with Emulator() as emu: emu.url`` — DynamoDB, SES and SNS on a free loopback port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.recorder = Recorder()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        from moto.moto_server.threaded_moto_server import MotoRequestHandler
        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise

        _snapshot_each_table_once()
        app = _Serialized(DomainDispatcherApplication(create_backend_app), self.recorder)
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RemoteRecorder:
    """The recorder of an emulator running in another process."""

    def __init__(self, url: str) -> None:
        self.url = url + CONTROL

    def _call(self, method: str, path: str) -> Any:
        import urllib.request

        with urllib.request.urlopen(urllib.request.Request(self.url + path, method=method)) as response:
            return json.loads(response.read())

    @property
    def enabled(self) -> bool:
        return False

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._call("POST", "/record?" + ("on" if value else "off"))

    def clear(self) -> None:
        self._call("DELETE", "/calls")

    def dynamodb(self) -> list[Call]:
        return [Call(**c) for c in self._call("GET", "/calls") if c["service"] == "dynamodb"]


class EmulatorProcess:
    """The emulator in its own process: its lock holder never waits for the GIL behind
    the test's client threads (in-process, 50 racing threads made each request 10x slower)."""

    def __init__(self) -> None:
        import subprocess
        import sys

        self._process = subprocess.Popen([sys.executable, "-m", "devstack.emulator"], stdout=subprocess.PIPE,
                                         text=True)
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line.startswith("http://"):
            self._process.kill()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.url = line.strip()
        self.recorder = RemoteRecorder(self.url)

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """``python -m devstack.emulator``: serve until terminated; the first line printed is the URL."""
    import signal

    emulator = Emulator().start()
    print(emulator.url, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    emulator.stop()


if __name__ == "__main__":
    main()
