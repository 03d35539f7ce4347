"""The Bolt app: listeners registered, services put in each request's context, one error
handler that turns anything unexpected into a polite line in Slack and a log entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import reply_channel
from bot.intake import Intake
from bot.listeners import register_all
from bot.pacing import EdgeActivity

log = structlog.get_logger(__name__)
SORRY = "Sorry, something went wrong on my side. It is logged; please try again in a moment."


def build_app(
    *,
    client: AsyncWebClient,
    signing_secret: str,
    intake: Intake,
    activity: EdgeActivity | None = None,
) -> AsyncApp:
    """The one Bolt app, for HTTP, Socket Mode and the sandbox alike. ``activity`` hears of
    every request, so that runs can give way to acknowledgements (see :mod:`bot.pacing`)."""
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=False)

    async def provide_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        if activity is not None:
            activity.touch()
        context["intake"] = intake
        await next()

    app.middleware(provide_services)
    register_all(app)
    app.error(on_error)
    return app


async def on_error(error: Exception, body: dict[str, Any], client: AsyncWebClient) -> None:
    """The top-level handler: log with the trace, tell the requester plainly."""
    log.error("slack.unhandled_error", error=repr(error), exc_info=error)
    channel, thread = reply_channel(body)
    if channel is None:
        return
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread, text=SORRY)
    except SlackApiError as exc:
        log.warning("slack.apology_failed", error=exc.response.get("error"))
