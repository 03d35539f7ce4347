"""Screening of HTTP requests before Bolt sees them: verified first, then well formed.

Bolt parses the body in :class:`AsyncBoltRequest`'s constructor, before any middleware runs,
and answers HTTP 500 to anything that breaks on the way (invalid JSON, a body that is a list,
an ``event`` that is a string, JSON nested so deep that parsing recurses out of the stack).
So the HTTP endpoint screens each request first, in this order, and refuses with a 4xx and
one log line naming the reason and the caller's address (never the body):

1. 413 for a body over :data:`MAX_BODY_BYTES` (1 MiB; Slack's own payloads are a few KB).
2. 400 for a body that is not UTF-8 (Slack sends UTF-8; the signature covers text).
3. 401 for anything :class:`bot.verify.RequestVerifier` cannot verify. Nothing below runs for
   a request that is not Slack's: no parsing, no Web API call.
4. 415 for a content type other than JSON (events) or form fields (commands, interactivity).
5. 400 for JSON nested deeper than :data:`MAX_DEPTH`, found by a scan of the brackets before
   anything is parsed, and for a body whose shape Bolt cannot route (see :class:`Envelope`).

A verified, well-formed request then goes through Bolt as usual, its context marked verified
(:data:`bot.verify.VERIFIED`), so :class:`bot.verify.VerifiedOnly` does not check the
signature a second time; requests dispatched in-process (the sandbox chat, tests) never pass
through here and carry no mark, so it checks theirs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.app import CrosswireApp
from bot.verify import VERIFIED, RequestVerifier

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 64
"""Slack's deepest payloads (rich text inside blocks inside a view) nest about a dozen deep."""

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
# Inside JSON strings brackets are text: drop the strings, then everything but brackets.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned away, and with which HTTP status."""

    status: int
    reason: str


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str


class Envelope(BaseModel):
    """The parts of a Slack payload that Bolt's routing reads before any listener, in the
    shapes Slack sends them; anything else in the payload is left alone."""

    model_config = ConfigDict(extra="allow")

    type: str | None = None
    event: _Event | None = None
    authorizations: list[dict[str, Any]] | None = None
    team: str | dict[str, Any] | None = None
    enterprise: str | dict[str, Any] | None = None
    user: str | dict[str, Any] | None = None
    channel: str | dict[str, Any] | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None
    command: str | None = None
    callback_id: str | None = None

    @model_validator(mode="after")
    def _callbacks_carry_an_event(self) -> Envelope:
        if self.type == "event_callback" and self.event is None:
            raise ValueError("an event_callback without an event")
        return self


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """How deep the JSON in ``text`` nests, counted up to just past ``limit``: a scan of the
    brackets outside strings, cheap enough for every request and safe for any input."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    deepest = 0
    for depth in accumulate(_STEP[c] for c in brackets):
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _may_nest_deeper(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` has enough opening brackets to nest deeper than ``limit``: JSON cannot
    nest deeper than it has openings (those inside strings included), so a payload with
    fewer (most of Slack's) is not scanned; counting them is far cheaper than the scan."""
    return text.count("{") + text.count("[") > limit


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without its parameters, lower case."""
    return headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def _json_part(text: str, content_type: str) -> str | None:
    """The JSON Bolt will parse from this body, decided as Bolt decides it."""
    if content_type == JSON_TYPE or text.startswith("{"):
        return text
    if "payload" in text:
        return dict(parse_qsl(text, keep_blank_values=True)).get("payload")
    return None


def _shape_refusal(request: AsyncBoltRequest) -> Refusal | None:
    if not isinstance(request.body, dict):
        return Refusal(400, "body is not an object")
    try:
        Envelope.model_validate(request.body)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return Refusal(400, f"unexpected shape at {where or 'top level'}")
    return None


class Screen:
    """The screening of one endpoint's requests, in the order the module describes."""

    def __init__(self, verifier: RequestVerifier) -> None:
        self.verifier = verifier

    def request(
        self, raw: bytes, headers: Mapping[str, str], query: str = ""
    ) -> AsyncBoltRequest | Refusal:
        """A Bolt request for ``raw``, or why there must not be one."""
        if len(raw) > MAX_BODY_BYTES:
            return Refusal(413, "body is larger than 1 MiB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "body is not UTF-8")
        reason = self.verifier.refusal(
            text, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")
        )
        if reason is not None:
            return Refusal(401, reason)
        content_type = media_type(headers)
        if content_type not in (JSON_TYPE, FORM_TYPE):
            return Refusal(415, f"content type {content_type or 'missing'} is not Slack's")
        return self._parsed(text, content_type, headers, query)

    def _parsed(
        self, text: str, content_type: str, headers: Mapping[str, str], query: str
    ) -> AsyncBoltRequest | Refusal:
        if not text.strip():
            return Refusal(400, "body is empty")
        part = _json_part(text, content_type)
        if part is not None and _may_nest_deeper(part) and nesting_depth(part) > MAX_DEPTH:
            return Refusal(400, f"JSON nested deeper than {MAX_DEPTH}")
        # dict() of a multidict keeps each header's first value, as verification read it.
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        try:
            request = AsyncBoltRequest(body=text, query=query, headers=bolt_headers)
        except json.JSONDecodeError:
            return Refusal(400, "body is not valid JSON")
        # Bolt reads the parsed body while building the request's context; a body of the
        # wrong shape (a list, a string, huge numbers) fails there with one of these.
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            return Refusal(400, "body is not a Slack payload")
        # Verified above: VerifiedOnly reads this instead of checking the signature again.
        request.context[VERIFIED] = True
        return _shape_refusal(request) or request


def acknowledged(response: BoltResponse, request: AsyncBoltRequest) -> BoltResponse:
    """Bolt's answer, except that an event nothing listens for is acknowledged: Slack retries
    an event it sees refused, and in time turns the app's event subscription off."""
    if response.status == 404 and request.body.get("type") == "event_callback":
        return BoltResponse(status=200, body="")
    return response


class ScreenedSlackAppServer(AsyncSlackAppServer):
    """Bolt's aiohttp server with every POST to the events path screened first.

    The app's :class:`RequestVerifier` comes from :class:`bot.app.CrosswireApp`; any other Bolt
    app (the benchmarks' bare baseline) is served exactly as Bolt serves it."""

    def __init__(self, *, port: int, path: str, app: AsyncApp, host: str | None = None) -> None:
        super().__init__(port=port, path=path, app=app, host=host)
        self.screen = Screen(app.verifier) if isinstance(app, CrosswireApp) else None

    async def handle_post_requests(self, request: web.Request) -> web.Response:
        if self.screen is None or request.path != self.path:
            return await super().handle_post_requests(request)
        screened = await self._screened(request)
        if isinstance(screened, Refusal):
            log.warning(
                "slack.request_refused",
                status=screened.status,
                reason=screened.reason,
                remote=request.remote,
            )
            public = "invalid request" if screened.status == 401 else screened.reason
            return web.json_response({"ok": False, "error": public}, status=screened.status)
        return await to_aiohttp_response(
            acknowledged(await self.bolt_app.async_dispatch(screened), screened)
        )

    async def _screened(self, request: web.Request) -> AsyncBoltRequest | Refusal:
        assert self.screen is not None
        too_large = Refusal(413, "body is larger than 1 MiB")
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return too_large
        try:
            raw = await request.read()  # aiohttp stops reading past client_max_size (1 MiB)
        except web.HTTPRequestEntityTooLarge:
            return too_large
        return self.screen.request(raw, request.headers, request.query_string)
