"""A local Slack Web API server that slack_sdk's `AsyncWebClient` can talk to.

`SlackWebApiStandIn` binds an aiohttp server to 127.0.0.1 on a free port and answers
`POST|GET {base_url}{method}` the way Slack does: form-encoded, JSON or query-string arguments;
the token as `Authorization: Bearer` or a `token` field; errors as HTTP 200
`{"ok": false, "error": ...}` (unknown methods included) and injected rate limits as HTTP 429
with `Retry-After: 0`. It also serves the slash commands' response URLs it hands out
(`response_url()`, see `bot.sandbox.response_urls`), recorded as calls of the method
`"response_url"`. Faults are injected per method (`fail`, `fail_next`): Slack errors, HTTP
statuses with any body (an HTML error page), delays. The state lives in a `SandboxWorkspace`;
every call is recorded, and waiters and observers are told about it. It serves the event loop
that started it and is not thread-safe.

    async with SlackWebApiStandIn() as slack:
        client = AsyncWebClient(base_url=slack.base_url, token="xoxb-sandbox")
        await client.chat_postMessage(channel="C1", text="hi")
        await slack.wait_for(lambda s: len(s.messages("C1")) == 1)
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.sandbox.block_kit_limits import BlockKitError, check_call
from bot.sandbox.faults import HTML_ERROR_PAGE, Fault
from bot.sandbox.payloads import (
    SANDBOX_APP_ID,
    SANDBOX_BOT_ID,
    SANDBOX_BOT_USER_ID,
    SANDBOX_TEAM_ID,
)
from bot.sandbox.response_urls import RESPONSE_PATH, ResponseUrls
from bot.sandbox.slack_workspace import Args, PostedMessage, SandboxWorkspace, SlackError
from bot.sandbox.socket_mode import SOCKET_PATH, SocketModeEnd

__all__ = ["CallObserver", "Fault", "PostedMessage", "RecordedCall", "SlackWebApiStandIn"]

_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as received: method, parsed arguments, token, and the error answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    error: str | None = None


CallObserver = Callable[[RecordedCall], Awaitable[None]]


class SlackWebApiStandIn:
    """A Slack Web API server on 127.0.0.1 for one event loop; see the module docstring.

    `token`, when given, is the only token accepted (others get `invalid_auth`); otherwise any
    non-empty token is. A call without a token gets `not_authed`.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        team_id: str = SANDBOX_TEAM_ID,
        bot_user_id: str = SANDBOX_BOT_USER_ID,
        bot_id: str = SANDBOX_BOT_ID,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.workspace = SandboxWorkspace(team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id)
        self.responses = ResponseUrls(self.workspace, clock)
        self.calls: list[RecordedCall] = []
        self._failures: dict[str, list[Fault]] = {}
        self._observers: list[CallObserver] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.socket_mode = SocketModeEnd(app_id=SANDBOX_APP_ID)
        self._port: int | None = None

    async def start(self) -> None:
        """Start serving on 127.0.0.1 with a free port; `base_url` is valid afterwards."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post(RESPONSE_PATH + "{key}", self._respond)
        app.router.add_get("/_sandbox/calls", self._list_calls)
        self.socket_mode.register(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving. State and recorded calls stay readable."""
        await self.socket_mode.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The `base_url` for `AsyncWebClient`, ending in `/api/` (the trailing slash matters)."""
        if self._port is None:
            raise RuntimeError("SlackWebApiStandIn is not started")
        return f"http://127.0.0.1:{self._port}/api/"

    def add_user(
        self, user_id: str, email: str, real_name: str, *, name: str | None = None, tz: str = "UTC"
    ) -> None:
        """Make `users.info` know `user_id` (`name` defaults to the email's local part)."""
        handle = name or email.split("@", 1)[0]
        self.workspace.add_user(user_id, email, real_name, name=handle, tz=tz)

    def add_channel(self, channel_id: str, *, private: bool = False, member: bool = True) -> None:
        """Declare a channel and whether the bot is in it (undeclared ones: a member)."""
        self.workspace.add_channel(channel_id, private=private, member=member)

    def response_url(self, channel_id: str, user_id: str) -> str:
        """A fresh response URL served here, for a command `user_id` types in `channel_id`."""
        key = self.responses.issue(channel_id, user_id)
        return self.base_url.removesuffix("/api/") + RESPONSE_PATH + key

    def ephemerals(self, user: str | None = None) -> list[Args]:
        """What was shown to one person only (`chat.postEphemeral` and ephemeral responses)."""
        found = self.workspace.ephemerals
        return [copy.deepcopy(e) for e in found if user is None or e["user"] == user]

    def views(self) -> list[Args]:
        """Copies of the modals opened so far, in opening order, each as last updated."""
        return [copy.deepcopy(v) for v in self.workspace.modal_views.values()]

    def fail_next(self, method: str, error: str = "ratelimited", *, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail with Slack's `error` code.

        `"ratelimited"` is answered as HTTP 429 with `Retry-After: 0`; any other error as HTTP 200
        `{"ok": false, "error": error}`. Injected failures are recorded in `calls` with `error`
        set and change no state.
        """
        self.fail(method, times=times, error=error)

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        error: str | None = None,
        status: int = 500,
        body: str | None = None,
        delay_s: float = 0.0,
        content_type: str = "text/html",
        accepted: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` fail (see `Fault`); `"response_url"` too.

        With `error`, Slack's error answer; otherwise HTTP `status` with `body` (default: an
        HTML error page) sent as `content_type`. `delay_s` holds the answer back first (for
        client timeouts). With `accepted`, the call takes effect and only its answer fails
        (a post that happened although its caller was told otherwise)."""
        if error is not None:
            fault = Fault(error=error, status=200 if error != "ratelimited" else 429)
        else:
            page = HTML_ERROR_PAGE if body is None else body
            fault = Fault(status=status, body=page)
        fault = Fault(fault.error, fault.status, fault.body, delay_s, content_type, accepted)
        self._failures.setdefault(method, []).extend([fault] * times)

    def subscribe(self, observer: CallObserver) -> Callable[[], None]:
        """Await `observer(call)` after each call is handled and before it is answered.

        Returns a function that unsubscribes the observer. An observer's exception fails the
        HTTP request, so observers should not raise.
        """
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def messages(self, channel: str | None = None) -> list[PostedMessage]:
        """Copies of the posted messages, edits applied, in posting order; `channel` filters."""
        found = self.workspace.messages.values()
        return [copy.deepcopy(m) for m in found if channel is None or m.channel == channel]

    def calls_to(self, method: str) -> list[RecordedCall]:
        """The recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self,
        predicate: Callable[[SlackWebApiStandIn], bool],
        timeout: float = 5.0,
    ) -> None:
        """Wait until `predicate(self)` holds, re-checked after each call; TimeoutError if not
        within ``timeout`` seconds."""
        async with self._changed, asyncio.timeout(timeout):
            await self._changed.wait_for(lambda: predicate(self))

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, token = await _parse_args(request)
        if method == "apps.connections.open":
            return await self._open_connection(args, token)
        fault = await self._take_failure(method)
        if fault is not None and not fault.accepted:
            await self._record(RecordedCall(method, args, token, fault.recorded_as))
            return fault.response()
        error = self._auth_error(token)
        result: Args = {}
        if error is None:
            try:
                check_call(method, args)  # Block Kit's limits, refused as Slack refuses them
                result = self.workspace.call(method, args)
            except BlockKitError as exc:
                error, result = exc.error, exc.answer_fields
            except SlackError as exc:
                error = exc.error
        if fault is not None:  # it took effect; only its answer fails
            await self._record(RecordedCall(method, args, token, fault.recorded_as))
            return fault.response()
        await self._record(RecordedCall(method, args, token, error))
        if error is not None:
            return web.json_response({"ok": False, "error": error, **result})
        return web.json_response({"ok": True, **result})

    async def _respond(self, request: web.Request) -> web.Response:
        """A POST to a response URL: Slack answers `ok` as text, or 404 with the reason."""
        body = await request.json() if request.content_type == "application/json" else None
        args: Args = dict(body) if isinstance(body, dict) else {"body": body}
        fault = await self._take_failure("response_url")
        if fault is not None:
            await self._record(RecordedCall("response_url", args, None, fault.recorded_as))
            return fault.response()
        try:
            self.responses.respond(request.match_info["key"], body)
        except SlackError as exc:
            await self._record(RecordedCall("response_url", args, None, exc.error))
            status = 400 if exc.error == "no_text" else 404
            return web.Response(status=status, text=exc.error)
        await self._record(RecordedCall("response_url", args, None))
        return web.Response(text="ok")

    async def _open_connection(self, args: Args, token: str | None) -> web.Response:
        """Socket Mode's handshake: an app-level token gets the WebSocket URL."""
        error = None if token and token.startswith("xapp-") else "invalid_auth"
        await self._record(RecordedCall("apps.connections.open", args, token, error))
        if error:
            return web.json_response({"ok": False, "error": error})
        url = self.base_url.replace("http://", "ws://").removesuffix("/api/") + SOCKET_PATH
        return web.json_response({"ok": True, "url": url})

    async def _list_calls(self, _: web.Request) -> web.Response:
        """Every call received so far, for a stand-in running in another process."""
        calls = [{"method": c.method, "args": c.args, "error": c.error} for c in self.calls]
        return web.json_response(calls)

    async def _take_failure(self, method: str) -> Fault | None:
        pending = self._failures.get(method)
        fault = pending.pop(0) if pending else None
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        return fault

    def _auth_error(self, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if self.token is not None and token != self.token:
            return "invalid_auth"
        return None

    async def _record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        for observer in list(self._observers):
            await observer(call)
        async with self._changed:
            self._changed.notify_all()


async def _parse_args(request: web.Request) -> tuple[Args, str | None]:
    """Merge query, JSON or form arguments; decode JSON-string fields; pull out the token."""
    args: Args = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in _JSON_FIELDS:
        if isinstance(args.get(key), str):
            args[key] = json.loads(args[key])
    field_token = args.pop("token", None)
    auth = request.headers.get("Authorization", "")
    header_token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
    if header_token:
        return args, header_token
    return args, field_token if isinstance(field_token, str) and field_token else None
