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


class _Serialized:
    """WSGI middleware: one request at a time, body fully produced under the lock."""

    def __init__(self, app: Callable, recorder: Recorder) -> None:
        self.app, self.recorder = app, recorder
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
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
