"""``crosswire serve``: the bot in Socket Mode, over HTTP, or in the local sandbox.

Socket Mode when ``SLACK_APP_TOKEN`` is set; HTTP on ``--port`` (path ``/slack/events``)
when ``SLACK_SIGNING_SECRET`` is set; otherwise a sandbox workspace: a local Slack Web API
stand-in, the HTTP endpoint, and a terminal chat that drives the app with signed requests.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import sys

import structlog
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.http import EVENTS_PATH, bound_port, start_http
from bot.sandbox.chat import SandboxChat
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_client import web_client
from bot.wiring import slack_bot

log = structlog.get_logger(__name__)


async def serve(settings: Settings, *, host: str, port: int, chat: bool | None = None) -> None:
    """Run until stopped. ``chat`` (sandbox only) forces the terminal chat on or off; by
    default it is on when stdin is a terminal."""
    match settings.slack_mode:
        case "socket":
            await _serve_socket(settings)
        case "http":
            await _serve_http(settings, host=host, port=port)
        case "sandbox":
            repl = sys.stdin.isatty() if chat is None else chat
            await _serve_sandbox(settings, host=host, port=port, chat_repl=repl)


async def until_stopped() -> None:
    """Wait for SIGTERM or SIGINT, so that a container stop shuts down cleanly (DBOS and the
    databases closed; runs in flight resume at the next start)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("serve.stopping")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def _client(settings: Settings) -> AsyncWebClient:
    if settings.slack_bot_token is None:
        raise SystemExit("SLACK_BOT_TOKEN is required with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET")
    return web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)


async def _serve_socket(settings: Settings) -> None:
    client = _client(settings)
    assert settings.slack_app_token is not None
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    async with slack_bot(settings, client, signing_secret=secret, replica=True) as bot:
        log.info("serve.socket_mode")
        handler = AsyncSocketModeHandler(bot.app, settings.slack_app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            await until_stopped()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]


async def _serve_http(settings: Settings, *, host: str, port: int) -> None:
    client = _client(settings)
    assert settings.slack_signing_secret is not None
    secret = settings.slack_signing_secret.get_secret_value()
    async with slack_bot(settings, client, signing_secret=secret, replica=True) as bot:
        runner = await start_http(bot.app, host=host, port=port)
        log.info("serve.http", url=f"http://{host}:{bound_port(runner)}{EVENTS_PATH}")
        try:
            await until_stopped()
        finally:
            await runner.cleanup()


async def _serve_sandbox(settings: Settings, *, host: str, port: int, chat_repl: bool) -> None:
    secret = secrets.token_hex(16)
    async with SlackWebApiStandIn() as standin:
        client = web_client("xoxb-sandbox", standin.base_url)
        async with slack_bot(settings, client, signing_secret=secret, replica=True) as bot:
            chat = SandboxChat(app=bot.app, standin=standin, signing_secret=secret)
            chat.attach()
            runner = await start_http(bot.app, host=host, port=port)
            print(
                f"No Slack settings: sandbox workspace. Events endpoint "
                f"http://{host}:{bound_port(runner)}{EVENTS_PATH} (signing secret {secret}).",
                file=sys.stderr,
            )
            try:
                if chat_repl:
                    await chat.repl()
                else:
                    await until_stopped()
            finally:
                await runner.cleanup()
