"""A live connection to one MCP server, over stdio or streamable HTTP, and the one place an
MCP failure becomes the project's connector errors.

    link = McpLink(config, system="desk", label="Help desk")
    tools = await link.tools()                  # connects first if it must
    result = await link.call("find_tickets", {...})
    await link.aclose()                         # ends the session; stops a stdio server

The SDK's transports are anyio task groups that must be entered and left by one task, so a
connection is held open by a task of its own and other tasks call through it. A connection
that broke (the server exited, the HTTP server went away) is dropped, the call raises
:class:`~connectors.errors.SystemUnavailable` (the engine may retry it) and the next call
connects afresh. Nothing here retries.

MCP has no idempotency header, so a call's idempotency key travels in the request's
``_meta`` (:data:`IDEMPOTENCY_META`), for a server that knows to read it; most will not. A
call made ``once`` is sent at most once per key by this link: an engine retry of it (after a
timeout, or a connection that broke after the request went out) is refused instead of sent
again, since the server may have acted on the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any, Final, TypeVar

import anyio
import httpx
from mcp import ClientSession, McpError, StdioServerParameters, types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from connectors.errors import SystemUnavailable
from connectors.mcp.config import McpServerConfig
from workflows.errors import PermanentOperationError

T = TypeVar("T")

MAX_PAGES = 20  # tools/list pages: a runaway cursor is a bug, not a catalog
CLOSE_TIMEOUT_S = 5.0
# Where a call's idempotency key goes in the request's `_meta` (a reverse-DNS prefix, as MCP
# asks of custom `_meta` keys).
IDEMPOTENCY_META: Final = "io.crosswire/idempotency-key"
SENT_KEPT: Final = 10_000  # keys of once-only calls remembered, newest kept

# JSON-RPC errors the server sends for a request it will never accept as sent.
REFUSALS = frozenset({types.INVALID_PARAMS, types.INVALID_REQUEST, types.METHOD_NOT_FOUND})


class _Connection:
    """One session, held open by its own task until :meth:`close`."""

    def __init__(self, config: McpServerConfig) -> None:
        self.config = config
        self.ready: asyncio.Future[tuple[ClientSession, types.InitializeResult]] = (
            asyncio.get_running_loop().create_future()
        )
        self.stop = asyncio.Event()
        self.broken = False
        self.task = asyncio.create_task(self._hold())

    async def _hold(self) -> None:
        try:
            async with AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(_transport(self.config))
                timeout = timedelta(seconds=self.config.timeout_s)
                session = await stack.enter_async_context(
                    ClientSession(read, write, read_timeout_seconds=timeout)
                )
                info = await session.initialize()
                self.ready.set_result((session, info))
                await self.stop.wait()
        except Exception as exc:  # noqa: BLE001 - any transport failure means "broken"
            if not self.ready.done():
                self.ready.set_exception(exc)
        finally:
            self.broken = True
            if not self.ready.done():
                self.ready.set_exception(ConnectionError("the connection was closed"))

    async def close(self) -> None:
        self.stop.set()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await asyncio.shield(self.task)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@asynccontextmanager
async def _transport(config: McpServerConfig) -> AsyncIterator[tuple[Any, Any]]:
    if config.command is not None:
        program, *args = config.command
        params = StdioServerParameters(command=program, args=args, env=config.resolved_env())
        # The server's stderr is its own business and may carry what it was given: not ours
        # to print, past the log redactor.
        with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opening /dev/null
            async with stdio_client(params, errlog=errlog) as (read, write):
                yield read, write
        return
    assert config.url is not None
    http = httpx.AsyncClient(
        headers=config.resolved_headers(),
        timeout=httpx.Timeout(config.timeout_s, read=max(config.timeout_s, 300)),
    )
    async with http, streamable_http_client(config.url, http_client=http) as (read, write, _):
        yield read, write


class McpLink:
    """Calls to one MCP server, connecting when needed (see the module docstring)."""

    def __init__(self, config: McpServerConfig, *, system: str, label: str) -> None:
        self.config = config
        self.system = system
        self.label = label
        self.info: types.InitializeResult | None = None
        self._connection: _Connection | None = None
        self._lock = asyncio.Lock()
        self._sent: OrderedDict[str, None] = OrderedDict()

    async def tools(self) -> list[types.Tool]:
        """Every tool the server lists, page after page."""
        session = await self._session()
        found: list[types.Tool] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await self._ask(session.list_tools(cursor), "list its tools")
            found += page.tools
            cursor = page.nextCursor
            if not cursor:
                break
        return found

    async def call(
        self, tool: str, arguments: dict[str, Any], *, key: str | None = None, once: bool = False
    ) -> types.CallToolResult:
        """Call ``tool``; ``key`` is sent in the request's ``_meta``. With ``once`` (and a
        key), a key this link has sent before is not sent again: :class:`AlreadySent`."""
        session = await self._session()
        if once and key is not None:
            if key in self._sent:
                raise AlreadySent(
                    f"The {self.label} tool {tool} may already have run for this step (an "
                    "earlier attempt got no answer) and the server cannot tell a repeat, so "
                    f"it was not run again: check the {self.label} before asking again",
                    system=self.system,
                )
            self._sent[key] = None  # from here on the request may reach the server
            while len(self._sent) > SENT_KEPT:
                self._sent.popitem(last=False)
        meta = {IDEMPOTENCY_META: key} if key is not None else None
        return await self._ask(session.call_tool(tool, arguments, meta=meta), f"run {tool}")

    async def aclose(self) -> None:
        async with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def _session(self) -> ClientSession:
        async with self._lock:
            if self._connection is not None and self._connection.broken:
                await self._connection.close()
                self._connection = None
            if self._connection is None:
                self._connection = _Connection(self.config)
            connection = self._connection
        try:
            async with asyncio.timeout(self.config.timeout_s):
                session, self.info = await asyncio.shield(connection.ready)
        except Exception as exc:  # noqa: BLE001 - every way of not connecting, said plainly
            connection.broken = True
            raise SystemUnavailable(
                f"The {self.label} MCP server could not be reached ({_kind(exc)})",
                system=self.system,
            ) from None
        return session

    async def _ask(self, request: Awaitable[T], doing: str) -> T:
        try:
            return await request
        except McpError as exc:
            code = exc.error.code
            if code in REFUSALS:
                raise PermanentOperationError(
                    f"The {self.label} MCP server refused to {doing} (error {code})",
                    system=self.system,
                ) from None
            self._drop()
            raise SystemUnavailable(
                f"The {self.label} MCP server did not {doing} (error {code})", system=self.system
            ) from None
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, httpx.HTTPError, OSError):
            self._drop()
            raise SystemUnavailable(
                f"The {self.label} MCP server went away while asked to {doing}",
                system=self.system,
            ) from None

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.broken = True


class AlreadySent(PermanentOperationError):
    """A once-only call was asked for again with a key already sent (see the module)."""


def _kind(exc: BaseException) -> str:
    """What went wrong, in a word or two, without the server's own text (which may echo
    what it was given)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError | ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, FileNotFoundError):
        return "its command was not found"
    if isinstance(exc, McpError | anyio.ClosedResourceError | anyio.BrokenResourceError):
        return "it closed the connection"
    return type(exc).__name__


__all__ = ["IDEMPOTENCY_META", "AlreadySent", "McpLink"]
