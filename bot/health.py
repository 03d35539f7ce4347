"""``/healthz`` and ``/readyz``, served in every mode.

* ``GET /healthz`` is liveness: 200 while the process serves (a container restarts it if not).
* ``GET /readyz`` is readiness: 200 when the audit database answers a ``SELECT 1`` within
  :data:`READY_TIMEOUT_S`, otherwise 503 with the reason as JSON, e.g.
  ``{"ok": false, "database": "cannot connect to db:5432 (connection refused)"}``.

HTTP mode and the sandbox add them beside ``/slack/events``; Socket Mode has no other HTTP
listener, so :func:`start_health` serves them on their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.database_check import database_problem

READY_TIMEOUT_S = 2.0
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"

Readiness = Callable[[], Awaitable[str | None]]
"""Why the service is not ready (one line), or ``None`` when it is."""


def database_readiness(engine: AsyncEngine) -> Readiness:
    """Readiness that depends on ``engine``'s database answering."""

    async def ready() -> str | None:
        return await database_problem(engine, timeout_s=READY_TIMEOUT_S)

    return ready


def add_health_routes(app: web.Application, ready: Readiness | None) -> None:
    """Register ``/healthz`` and ``/readyz`` on ``app``."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        problem = await ready() if ready is not None else None
        if problem is None:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "database": problem}, status=503)

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(READY_PATH, readyz)


def health_app(ready: Readiness | None) -> web.Application:
    """An application with only the health routes (Socket Mode's listener)."""
    app = web.Application()
    add_health_routes(app, ready)
    return app
