"""Where a system's rate budget is spent: before every request a connector sends it.

The connectors do not own the budget (the composition root builds it from each system's
:class:`~connectors.protocol.RateLimit` and hands its ``take`` over); they only say where
their requests leave:

    pacing = Pacing()                       # one for all the configured connectors
    pace_client(http, "crm", pacing)        # every request on ``http`` waits its turn first
    pacing.by(budgets.take)                 # from now on (before: nothing waits)

A request is what the vendor counts: each of an operation's HTTP requests, and each time one
is sent again (an engine retry, Google's resend after a 401). A connector with no HTTP client
of its own paces per operation instead (:func:`paced_operations`): the demo world's operations
are local reads, and an MCP server's tool call is one JSON-RPC request, over stdio or HTTP.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import httpx

from workflows.catalog import AnyOperation, CallContext

# Wait until a request to the system may go out (what it returns is not read).
Pace = Callable[[str], Awaitable[object]]


class Pacing:
    """The budget the connectors' requests wait for, bound once the budgets are known."""

    def __init__(self) -> None:
        self._pace: Pace | None = None

    def by(self, pace: Pace) -> None:
        self._pace = pace

    async def turn(self, system: str) -> None:
        """Return when a request to ``system`` may go out."""
        if self._pace is not None:
            await self._pace(system)


@runtime_checkable
class PacedByRequest(Protocol):
    """A connector that paces each HTTP request it sends (see :func:`pace_client`)."""

    def pace(self, pacing: Pacing) -> None: ...


def pace_client(http: httpx.AsyncClient, system: str, pacing: Pacing) -> None:
    """Make every request ``http`` sends wait for ``system``'s turn first."""

    async def before(request: httpx.Request) -> None:
        await pacing.turn(system)

    hooks = http.event_hooks
    http.event_hooks = {**hooks, "request": [*hooks.get("request", []), before]}


def paced_operations(operations: Sequence[AnyOperation], pacing: Pacing) -> list[AnyOperation]:
    """``operations``, each call of each waiting for its system's turn first."""
    return [dataclasses.replace(op, handler=_paced(op, pacing)) for op in operations]


def _paced(op: AnyOperation, pacing: Pacing) -> Callable[[Any, CallContext], Awaitable[Any]]:
    handler = op.handler

    async def call(payload: Any, ctx: CallContext) -> Any:
        await pacing.turn(op.system)
        return await handler(payload, ctx)

    return call


__all__ = ["Pace", "PacedByRequest", "Pacing", "pace_client", "paced_operations"]
