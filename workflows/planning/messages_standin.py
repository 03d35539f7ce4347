"""A local server that speaks the Anthropic Messages API, for tests and the sandbox.

Tests never reach the internet: they point ``AsyncAnthropic(base_url=standin.url,
api_key=standin.api_key)`` here. Each test scripts the replies, in order (a text answer, a
``tool_use`` block, an HTTP error such as 529 overloaded, or a function of the request such
as :func:`answer_from_steps`, a writer citing every step), and reads back every request body
the SDK sent (its system prompt, tools, messages and ``cache_control`` markers).

``POST /v1/messages`` accepts the key as ``x-api-key`` or ``Authorization: Bearer``. Usage is
estimated the way the API reports it: about four characters a token; the prefix up to the
last ``cache_control`` block is written to a cache the first time (``cache_creation_input_tokens``)
and read from it after (``cache_read_input_tokens``) when it is at least ``min_cache_tokens``
long, as the real API does. A request with nothing scripted for it gets a 400 (which the SDK
does not retry), so a test that makes one call too many fails loudly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

DEFAULT_KEY = "standin-key"


@dataclass(frozen=True)
class StandinReply:
    """One scripted answer: a status, a JSON body (``usage`` is filled in when absent from a
    200), extra headers, and a delay before answering (to drive client timeouts)."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Responder = StandinReply | Callable[[Mapping[str, Any]], StandinReply]


def tool_use(
    name: str,
    tool_input: Mapping[str, Any],
    *,
    text: str = "",
    usage: Mapping[str, int] | None = None,
) -> StandinReply:
    """The model calls ``name`` with ``tool_input`` (after an optional line of text)."""
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    blocks.append({"type": "tool_use", "id": "", "name": name, "input": dict(tool_input)})
    return message(blocks, stop_reason="tool_use", usage=usage)


def text(answer: str, *, usage: Mapping[str, int] | None = None) -> StandinReply:
    """The model answers in plain text and stops."""
    return message([{"type": "text", "text": answer}], stop_reason="end_turn", usage=usage)


def message(
    content: list[dict[str, Any]], *, stop_reason: str, usage: Mapping[str, int] | None = None
) -> StandinReply:
    body: dict[str, Any] = {"content": content, "stop_reason": stop_reason}
    if usage is not None:
        body["usage"] = dict(usage)
    return StandinReply(200, body)


def error(
    status: int, kind: str, detail: str = "", *, retry_after_ms: int | None = 1
) -> StandinReply:
    """An API error as the Messages API sends it (``overloaded_error`` with 529,
    ``api_error`` with 500, ...). ``retry_after_ms`` keeps the SDK's retries fast; it must be
    above zero (the SDK ignores ``0`` and backs off for about a second)."""
    headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
    body = {"type": "error", "error": {"type": kind, "message": detail or kind}}
    return StandinReply(status, body, headers)


def overloaded() -> StandinReply:
    return error(529, "overloaded_error", "Overloaded")


def answer_from_steps(request: Mapping[str, Any]) -> StandinReply:
    """A writer's answer to an answer-writing request (a :data:`Responder`): it reads the
    run's document in the request's first user turn and submits a headline, one opening
    sentence and one bullet per step that has an output, each citing that step."""
    document = json.loads(_first_text(request))
    if "steps" not in document or "subject" not in document:
        detail = "the scripted writer got a request that is not an answer to write"
        return error(400, "invalid_request_error", detail, retry_after_ms=None)
    steps = [s for s in document["steps"] if s.get("status") == "ok"]
    statements = [
        {
            "text": f"{step['source']} answered {step['operation']} for {document['subject']}.",
            "form": "bullet",
            "steps": [step["id"]],
        }
        for step in steps
    ]
    opening = {
        "text": f"{len(steps)} steps answered for {document['subject']}.",
        "form": "sentence",
        "steps": [s["id"] for s in steps[:3]],
    }
    answer = {"headline": f"What the systems say about {document['subject']}"}
    return tool_use("submit_answer", {**answer, "statements": [opening, *statements]})


def _first_text(request: Mapping[str, Any]) -> str:
    content = request["messages"][0]["content"]
    if isinstance(content, str):
        return content
    return next(str(b.get("text", "")) for b in content if b.get("type") == "text")


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the stand-in received it. ``headers`` have lower-case names; the key's
    value is replaced by whether it matched."""

    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]


class MessagesStandIn:
    """The scripted Messages API server. Use as a context manager, or ``start``/``close``."""

    def __init__(self, *, api_key: str = DEFAULT_KEY, min_cache_tokens: int = 1024) -> None:
        self.api_key = api_key
        self.min_cache_tokens = min_cache_tokens
        self.requests: list[RecordedRequest] = []
        # The ``usage`` of every 200 reply sent, in order (what a run's calls cost).
        self.usages: list[dict[str, int]] = []
        self._script: deque[Responder] = deque()
        self._cached: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, *replies: Responder, times: int = 1) -> Self:
        """Queue replies, in order, each ``times`` times (a 529 three times outlasts the
        SDK's two retries)."""
        with self._lock:
            for _ in range(times):
                self._script.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._script)

    @property
    def bodies(self) -> list[Mapping[str, Any]]:
        """The JSON bodies of the ``/v1/messages`` requests received, in order."""
        return [r.body for r in self.requests if r.path == "/v1/messages"]

    def start(self) -> Self:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answer(self, path: str, headers: Mapping[str, str], raw: bytes) -> StandinReply:
        """The reply to one request (the handler's whole job, kept here to be testable)."""
        authorised = self._authorised(headers)
        body = _json_or_none(raw)
        kept = {k: v for k, v in headers.items() if k not in ("x-api-key", "authorization")}
        kept["authorised"] = str(authorised).lower()
        with self._lock:
            self.requests.append(RecordedRequest(path, kept, body or {}))
            if not authorised:
                return error(401, "authentication_error", "invalid x-api-key", retry_after_ms=None)
            if path != "/v1/messages" or body is None:
                return error(404, "not_found_error", f"no route {path}", retry_after_ms=None)
            if not self._script:
                detail = "the stand-in has no scripted reply left for this request"
                return error(400, "invalid_request_error", detail, retry_after_ms=None)
            scripted = self._script.popleft()
        reply = scripted(body) if callable(scripted) else scripted
        return self._completed(reply, body) if reply.status == 200 else reply

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        return self.api_key in (headers.get("x-api-key", ""), bearer)

    def _completed(self, reply: StandinReply, request: Mapping[str, Any]) -> StandinReply:
        """A 200 reply with the fields the SDK expects, usage estimated unless scripted."""
        with self._lock:
            number = len(self.requests)
            usage = dict(reply.body.get("usage") or self._usage(request, reply.body))
            self.usages.append(usage)
        content = [_with_id(block, number, i) for i, block in enumerate(reply.body["content"])]
        body = {
            "id": f"msg_standin_{number}",
            "type": "message",
            "role": "assistant",
            "model": request.get("model", "standin"),
            "stop_sequence": None,
            **reply.body,
            "content": content,
            "usage": usage,
        }
        return StandinReply(200, body, reply.headers, reply.delay_s)

    def _usage(self, request: Mapping[str, Any], reply: Mapping[str, Any]) -> dict[str, int]:
        prefix, rest = _split_at_cache_marker(request)
        prefix_tokens = _tokens(prefix)
        usage = {
            "input_tokens": _tokens(rest),
            "output_tokens": _tokens(reply.get("content", [])),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        if prefix and prefix_tokens >= self.min_cache_tokens:
            digest = hashlib.sha256(json.dumps(prefix, sort_keys=True).encode()).hexdigest()
            seen = digest in self._cached
            self._cached.add(digest)
            usage["cache_read_input_tokens" if seen else "cache_creation_input_tokens"] = (
                prefix_tokens
            )
        else:
            usage["input_tokens"] += prefix_tokens
        return usage


def _split_at_cache_marker(request: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """The request's blocks in cache order (tools, system, messages' content), split after
    the last block carrying ``cache_control``."""
    system = request.get("system", [])
    blocks: list[Any] = [*request.get("tools", [])]
    blocks += [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
    for turn in request.get("messages", []):
        content = turn.get("content", [])
        blocks += [{"type": "text", "text": content}] if isinstance(content, str) else content
    marked = [i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")]
    cut = marked[-1] + 1 if marked else 0
    return blocks[:cut], blocks[cut:]


def _tokens(value: Any) -> int:
    return (len(json.dumps(value)) + 3) // 4 if value else 0


def _with_id(block: Mapping[str, Any], number: int, index: int) -> dict[str, Any]:
    if block.get("type") == "tool_use" and not block.get("id"):
        return {**block, "id": f"toolu_standin_{number}_{index}"}
    return dict(block)


def _json_or_none(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw or b"null")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _handler_for(standin: MessagesStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this the client waits for a
        # delayed ACK (about 40 ms) on every reply.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = standin.answer(self.path.split("?", 1)[0], headers, raw)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            self._send(reply)

        def _send(self, reply: StandinReply) -> None:
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            # A client that gave up (a timeout test) is not waiting for the answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
