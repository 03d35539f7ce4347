"""``@crosswire …`` in a channel: the answer goes to the message's thread."""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncSetStatus

from bot.inbound import SlackAsk, event_ask
from bot.inbox import handle_recorded, record_first
from bot.reporters.status import PLANNING, say_status

log = structlog.get_logger(__name__)


def mention_ask(body: dict[str, Any]) -> SlackAsk | None:
    ask = event_ask(body, "slack_mention")
    if ask is None:
        log.warning("slack.mention_unreadable", event_id=body.get("event_id"))
    return ask


async def handle_mention(
    context: AsyncBoltContext, set_status: AsyncSetStatus | None = None
) -> None:
    """A new ask shows Slack's "is planning…" in its thread (best effort) as the inbox
    starts working on it (after a burst of requests, not during it)."""
    if set_status is None:
        await handle_recorded(context)
        return
    await handle_recorded(context, announce=partial(say_status, set_status, PLANNING))


def register(app: AsyncApp) -> None:
    # The ask is in the inbox before Bolt acknowledges it (see bot/inbox.py).
    app.event("app_mention", middleware=[record_first(mention_ask)])(handle_mention)
