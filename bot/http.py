"""HTTP mode: Bolt's aiohttp server on ``/slack/events`` plus ``/healthz``, in our loop."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.screening import ScreenedSlackAppServer

EVENTS_PATH = "/slack/events"


async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def start_http(app: AsyncApp, *, host: str, port: int) -> web.AppRunner:
    """Serve the app; returns the runner (``await runner.cleanup()`` to stop)."""
    # Every POST to the events path is screened before Bolt parses it (bot/screening.py).
    server = ScreenedSlackAppServer(port=port, path=EVENTS_PATH, app=app, host=host)
    server.web_app.router.add_get("/healthz", _healthz)
    runner = web.AppRunner(server.web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (useful with port 0)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("the HTTP server is not listening")
