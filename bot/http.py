"""HTTP mode: Bolt's aiohttp server on ``/slack/events`` plus the health routes, in our loop.

A port that cannot be listened on (in use, not allowed) is a :class:`StartupError`: one line
for the person who chose it, not a traceback.
"""

from __future__ import annotations

import errno

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.health import Readiness, add_health_routes, health_app
from bot.screening import ScreenedSlackAppServer
from bot.startup import StartupError

EVENTS_PATH = "/slack/events"


async def start_http(
    app: AsyncApp, *, host: str, port: int, ready: Readiness | None = None
) -> web.AppRunner:
    """Serve the app and the health routes (``ready`` decides ``/readyz``); returns the
    runner (``await runner.cleanup()`` to stop)."""
    # Every POST to the events path is screened before Bolt parses it (bot/screening.py).
    server = ScreenedSlackAppServer(port=port, path=EVENTS_PATH, app=app, host=host)
    add_health_routes(server.web_app, ready)
    return await serve_web_app(server.web_app, host=host, port=port)


async def start_health(ready: Readiness | None, *, host: str, port: int) -> web.AppRunner:
    """Serve only ``/healthz`` and ``/readyz`` (Socket Mode has no other listener)."""
    return await serve_web_app(health_app(ready), host=host, port=port)


async def serve_web_app(web_app: web.Application, *, host: str, port: int) -> web.AppRunner:
    """Listen on ``host:port`` with ``web_app``; :class:`StartupError` if that cannot be."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(listen_problem(exc, host=host, port=port)) from None
    return runner


def listen_problem(exc: OSError, *, host: str, port: int) -> str:
    """One line for a port that cannot be listened on."""
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is already in use; choose another with --port"
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; choose another with --port"
    return f"cannot listen on {host}:{port} ({exc.strerror or exc}); check --host and --port"


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (useful with port 0)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("the HTTP server is not listening")
