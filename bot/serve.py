"""``crosswire serve``: the bot in Socket Mode, over HTTP, or in the local sandbox.

Socket Mode when ``SLACK_APP_TOKEN`` is set; HTTP on ``--port`` (path ``/slack/events``)
when ``SLACK_SIGNING_SECRET`` is set; otherwise a sandbox workspace: a local Slack Web API
stand-in, the HTTP endpoint, and a terminal chat that drives the app with signed requests.
Every mode serves ``/healthz`` and ``/readyz`` on ``--port`` (see :mod:`bot.health`), and
every mode's Web API calls share one HTTP session.
"""

from __future__ import annotations

import secrets
import sys
from contextlib import nullcontext
from pathlib import Path

import aiohttp
import structlog
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse as SlackResponse

from bot.health import Readiness, database_readiness
from bot.http import EVENTS_PATH, bound_port, start_health, start_http
from bot.logging import json_lines, logs_to
from bot.sandbox.cast import join_workspace
from bot.sandbox.chat import SandboxChat
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import SlackBot, slack_bot
from bot.slack_client import shared_web_client
from bot.startup import StartupError
from bot.stopping import stop_signals

log = structlog.get_logger(__name__)
SANDBOX_LOG = "serve.log"


async def serve(settings: Settings, *, host: str, port: int, chat: bool | None = None) -> None:
    """Run until stopped. ``chat`` (sandbox only) forces the terminal chat on or off; by
    default it is on when stdin is a terminal."""
    match settings.slack_mode:
        case "socket":
            await _serve_socket(settings, host=host, port=port)
        case "http":
            await _serve_http(settings, host=host, port=port)
        case "sandbox":
            repl = sys.stdin.isatty() if chat is None else chat
            await _serve_sandbox(settings, host=host, port=port, chat_repl=repl)


def _bot_token(settings: Settings) -> str:
    # Settings refuse Socket Mode or HTTP without a bot token; this only narrows the type.
    assert settings.slack_bot_token is not None
    return settings.slack_bot_token.get_secret_value()


async def _check_bot_token(client: AsyncWebClient) -> None:
    """Ask Slack who the token belongs to before serving, so a wrong or revoked token is
    one line at start rather than a failure at the first message."""
    try:
        await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response, SlackResponse) else None
        raise StartupError(f"SLACK_BOT_TOKEN: Slack refused it ({error or exc})") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise StartupError(
            f"SLACK_API_URL: cannot reach Slack's Web API at {client.base_url} ({exc or 'timeout'})"
        ) from None


async def _serve_socket(settings: Settings, *, host: str, port: int) -> None:
    assert settings.slack_app_token is not None
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    async with shared_web_client(_bot_token(settings), settings.slack_api_url) as client:
        await _check_bot_token(client)
        async with slack_bot(settings, client, signing_secret=secret, replica=True) as bot:
            runner = await start_health(_readiness(bot), host=host, port=port)
            handler = AsyncSocketModeHandler(bot.app, settings.slack_app_token.get_secret_value())
            try:
                await _connect(handler)
                async with stop_signals() as stopped:
                    log.info("serve.socket_mode", health=f"http://{host}:{bound_port(runner)}")
                    await stopped()
            finally:
                await handler.close_async()  # type: ignore[no-untyped-call]
                await runner.cleanup()


async def _connect(handler: AsyncSocketModeHandler) -> None:
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response, SlackResponse) else None
        raise StartupError(f"SLACK_APP_TOKEN: Slack refused it ({error or exc})") from None


async def _serve_http(settings: Settings, *, host: str, port: int) -> None:
    assert settings.slack_signing_secret is not None
    secret = settings.slack_signing_secret.get_secret_value()
    async with shared_web_client(_bot_token(settings), settings.slack_api_url) as client:
        await _check_bot_token(client)
        async with slack_bot(settings, client, signing_secret=secret, replica=True) as bot:
            runner = await start_http(bot.app, host=host, port=port, ready=_readiness(bot))
            try:
                async with stop_signals() as stopped:
                    log.info("serve.http", url=f"http://{host}:{bound_port(runner)}{EVENTS_PATH}")
                    await stopped()
            finally:
                await runner.cleanup()


async def _serve_sandbox(settings: Settings, *, host: str, port: int, chat_repl: bool) -> None:
    secret = secrets.token_hex(16)
    # In the chat, log lines would land between the messages: they go to a file instead.
    log_file = settings.state_dir / SANDBOX_LOG if chat_repl else None
    to_file = logs_to(log_file, settings, extra_secrets=[secret]) if log_file else nullcontext()
    with to_file:
        await _sandbox(settings, host=host, port=port, secret=secret, log_file=log_file)


async def _sandbox(
    settings: Settings, *, host: str, port: int, secret: str, log_file: Path | None
) -> None:
    async with SlackWebApiStandIn() as standin:
        join_workspace(standin)  # Northwind's staff are in Slack before anything is delivered
        async with (
            shared_web_client("xoxb-sandbox", standin.base_url) as client,
            slack_bot(settings, client, signing_secret=secret, replica=True) as bot,
        ):
            await _sandbox_chat(settings, host, port, secret, log_file, standin, bot)


async def _sandbox_chat(
    settings: Settings,
    host: str,
    port: int,
    secret: str,
    log_file: Path | None,
    standin: SlackWebApiStandIn,
    bot: SlackBot,
) -> None:
    """The terminal chat (or, with logs on stderr, just the endpoint) until stopped."""
    chat = SandboxChat(app=bot.app, standin=standin, signing_secret=secret, log_file=log_file)
    chat.attach()
    runner = await start_http(bot.app, host=host, port=port, ready=_readiness(bot))
    url = f"http://{host}:{bound_port(runner)}{EVENTS_PATH}"
    try:
        if log_file:  # the chat, which takes Ctrl-C itself
            _announce_sandbox(url, secret, as_log=False)
            await chat.repl()
            return
        async with stop_signals() as stopped:
            _announce_sandbox(url, secret, as_log=json_lines(settings.log_format))
            await stopped()
    finally:
        await runner.cleanup()


def _announce_sandbox(url: str, secret: str, *, as_log: bool) -> None:
    """Where the sandbox listens: a line for a person (with the throwaway secret its requests
    are signed with, to sign your own), or a log event when logs are JSON lines on stderr,
    which never carries a secret."""
    if as_log:
        log.info("serve.sandbox", events_url=url)
        return
    print(
        f"No Slack settings: sandbox workspace. Events endpoint {url} (signing secret {secret}).",
        file=sys.stderr,
    )


def _readiness(bot: SlackBot) -> Readiness:
    return database_readiness(bot.services.audit.engine)
