"""What every local vendor stand-in shares: a threaded HTTP server on ``127.0.0.1`` (a free
port), the log of requests it saw, and a script of misbehaviours that answer the next
requests in place of the real answers (a 429 with ``Retry-After``, a 5xx, a body that is not
JSON, a hang only the client's timeout ends), or answer a request after it was done (a write
whose answer was lost), or answer every request until healed (a system down for good).
Nothing reaches the internet.

:class:`StandInServer` is that machinery for any shape of request: a stand-in says how it
reads a :class:`Request` (:meth:`StandInServer.received`) and how it answers what it read
(:meth:`StandInServer.respond`). :class:`StandIn` is the common case (HubSpot's, Zendesk's):
bodies are JSON both ways, and a stand-in implements :meth:`StandIn.route` (and
:meth:`StandIn.authorised`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

Answer = tuple[int, Any]
Reply = tuple[int, dict[str, str], bytes]  # status, headers, raw body


@dataclass(frozen=True)
class Misbehaviour:
    """One scripted answer in place of the real one: a status with headers and a raw body,
    after ``delay_s`` (longer than the client's timeout: a hang)."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Request:
    """A request as it came off the wire, before a stand-in reads it."""

    method: str
    path: str
    query: str  # the raw query string
    raw: bytes
    headers: Mapping[str, str]  # names lower-cased
    at: float  # time.monotonic() on arrival


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


class _HasPath(Protocol):
    @property
    def path(self) -> str: ...


SeenT = TypeVar("SeenT", bound=_HasPath)


@dataclass(frozen=True)
class _Scripted:
    on: str  # the path prefix it answers
    lost: bool  # the request is still done; only its answer is replaced
    answer: Misbehaviour


class StandInServer(Generic[SeenT]):
    """The server, its script and its request log; ``url`` is its base URL."""

    content_type: ClassVar[str] = "application/json; charset=utf-8"
    # Headers and body go out as written: without TCP_NODELAY the body waits for the client's
    # delayed ACK of the headers, about 40 ms a request that no vendor's API costs.
    nodelay: ClassVar[bool] = True

    def __init__(self, *, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s  # added to every answer (benchmarks, drills)
        self.seen: list[SeenT] = []
        self.lock = threading.RLock()
        self._script: list[_Scripted] = []
        self._lasting: list[_Scripted] = []
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

    def script(self, *answers: Misbehaviour, on: str = "/") -> Self:
        """Answer the next requests whose path starts with ``on`` with these, in order, then
        as the vendor would again."""
        with self.lock:
            self._script += [_Scripted(on, False, a) for a in answers]
        return self

    def lose_answers(self, *answers: Misbehaviour, on: str = "/") -> Self:
        """Do the next requests to ``on`` as asked, but answer them with these: a write that
        was accepted while its answer was lost (a 503 from a proxy, a hang)."""
        with self.lock:
            self._script += [_Scripted(on, True, a) for a in answers]
        return self

    def break_down(self, answer: Misbehaviour, *, on: str = "/") -> Self:
        """Answer every request whose path starts with ``on`` with ``answer`` until
        :meth:`heal`: a system down (or hung, or throttling) for good, not for a few requests.
        Scripted answers (:meth:`script`) still come first."""
        with self.lock:
            self._lasting.append(_Scripted(on, False, answer))
        return self

    def heal(self) -> Self:
        """Forget every misbehaviour: the scripted answers not given yet and the lasting ones."""
        with self.lock:
            self._script.clear()
            self._lasting.clear()
        return self

    def received(self, request: Request) -> SeenT:
        """The request as this stand-in reads it (and logs it)."""
        raise NotImplementedError

    def respond(self, seen: SeenT) -> Reply:
        """The vendor's answer: a status, headers and a raw body (called under ``lock``)."""
        raise NotImplementedError

    def envelope(self, status: int) -> dict[str, str]:
        """Headers sent with every answer, scripted ones too."""
        return {"Content-Type": self.content_type}

    # The handler thread calls this; it returns the status, headers, body and delay.
    def answer(self, seen: SeenT) -> tuple[int, dict[str, str], bytes, float]:
        with self.lock:
            self.seen.append(seen)
            at = next((i for i, s in enumerate(self._script) if seen.path.startswith(s.on)), None)
            scripted = self._script.pop(at) if at is not None else None
            if scripted is None:
                scripted = next((s for s in self._lasting if seen.path.startswith(s.on)), None)
        if scripted is None or scripted.lost:
            with self.lock:
                status, headers, body = self.respond(seen)
            if scripted is None:
                return status, headers, body, 0.0
        m = scripted.answer
        return m.status, dict(m.headers), m.body, m.delay_s


class StandIn(StandInServer[Seen]):
    """A stand-in whose requests and answers carry JSON bodies."""

    def received(self, request: Request) -> Seen:
        try:
            body = json.loads(request.raw) if request.raw else None
        except ValueError:
            body = None
        query = dict(parse_qsl(request.query))
        return Seen(request.method, request.path, query, body, request.headers, request.at)

    def authorised(self, seen: Seen) -> Answer | None:
        """``None`` when the request carries the right credentials, else the vendor's 401."""
        return None

    def route(self, seen: Seen) -> Answer:
        """The vendor's answer to an authorised request: a status and a JSON-able body."""
        raise NotImplementedError

    def headers_for(self, seen: Seen) -> dict[str, str]:
        """Headers the vendor sends with every answer (rate-limit counters, request ids)."""
        return {}

    def respond(self, seen: Seen) -> Reply:
        status, body = self.authorised(seen) or self.route(seen)
        headers = self.headers_for(seen)
        return status, headers, b"" if status == 204 else json.dumps(body).encode()


def _handler_for(standin: StandInServer[Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            if standin.nodelay:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=split.path,
                query=split.query,
                raw=self.rfile.read(length) if length else b"",
                headers={k.lower(): v for k, v in self.headers.items()},
                at=time.monotonic(),
            )
            status, headers, payload, delay = standin.answer(standin.received(request))
            delay += standin.latency_s
            if delay:
                time.sleep(delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                for name, value in standin.envelope(status).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler


__all__ = ["Answer", "Misbehaviour", "Reply", "Request", "Seen", "StandIn", "StandInServer",
           "garbage", "hang", "unavailable"]  # fmt: skip
