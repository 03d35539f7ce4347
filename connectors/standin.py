"""What every local vendor stand-in shares (HubSpot's, Zendesk's): a threaded HTTP server on
``127.0.0.1`` (a free port), the log of requests it saw, and a script of misbehaviours that
answer the next requests in place of the real answers (a 429 with ``Retry-After``, a 5xx, a
body that is not JSON, a hang only the client's timeout ends). Nothing reaches the internet.

A stand-in subclasses :class:`StandIn` and implements :meth:`StandIn.route` (and
:meth:`StandIn.authorised`); bodies are JSON both ways.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

Answer = tuple[int, Any]


@dataclass(frozen=True)
class Misbehaviour:
    """One scripted answer in place of the real one: a status with headers and a raw body,
    after ``delay_s`` (longer than the client's timeout: a hang)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    """A request as the stand-in received it (``body`` parsed from JSON, or ``None``)."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]
    at: float = 0.0  # time.monotonic() on arrival


def unavailable(status: int = 503) -> Misbehaviour:
    return Misbehaviour(status, b"<html><body>Service Unavailable</body></html>")


def garbage() -> Misbehaviour:
    return Misbehaviour(200, b'{"results": [')


def hang(seconds: float, body: bytes = b"{}") -> Misbehaviour:
    return Misbehaviour(200, body, delay_s=seconds)


class StandIn:
    """The server, its script and its request log; ``url`` is its base URL."""

    def __init__(self, *, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s  # added to every answer (benchmarks, drills)
        self.seen: list[Seen] = []
        self.lock = threading.RLock()
        self._script: deque[Misbehaviour] = deque()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def script(self, *answers: Misbehaviour) -> Self:
        """Answer the next requests with these, in order, then as the vendor would again."""
        with self.lock:
            self._script.extend(answers)
        return self

    def authorised(self, seen: Seen) -> Answer | None:
        """``None`` when the request carries the right credentials, else the vendor's 401."""
        return None

    def route(self, seen: Seen) -> Answer:
        """The vendor's answer to an authorised request: a status and a JSON-able body."""
        raise NotImplementedError

    def headers_for(self, seen: Seen) -> dict[str, str]:
        """Headers the vendor sends with every answer (rate-limit counters, request ids)."""
        return {}

    # The handler thread calls this; it returns the status, headers, body and delay.
    def answer(self, seen: Seen) -> tuple[int, dict[str, str], bytes, float]:
        with self.lock:
            self.seen.append(seen)
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted.status, dict(scripted.headers), scripted.body, scripted.delay_s
        with self.lock:
            status, body = self.authorised(seen) or self.route(seen)
            headers = self.headers_for(seen)
        raw = b"" if status == 204 else json.dumps(body).encode()
        return status, headers, raw, 0.0


def _handler_for(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            seen = Seen(
                method=self.command,
                path=split.path,
                query=dict(parse_qsl(split.query)),
                body=body,
                headers={k.lower(): v for k, v in self.headers.items()},
                at=time.monotonic(),
            )
            status, headers, payload, delay = standin.answer(seen)
            delay += standin.latency_s
            if delay:
                time.sleep(delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler


__all__ = ["Answer", "Misbehaviour", "Seen", "StandIn", "garbage", "hang", "unavailable"]
