"""``@crosswire …`` in a channel: the answer goes to the message's thread."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncSetStatus

from bot.inbound import SlackAsk, event_ask
from bot.inbox import DELIVERY, Delivery, handle_recorded, record_first
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
    """A new ask shows Slack's "is planning…" in its thread (best effort) as it is handed
    on: the status call is sent first, but the hand-off does not wait for its answer (a
    redelivery must find the ask already being worked on)."""
    delivery = context.get(DELIVERY)
    new = isinstance(delivery, Delivery) and delivery.receipt.state == "new"
    if set_status is None or not new:
        await handle_recorded(context)
        return
    await asyncio.gather(say_status(set_status, PLANNING), handle_recorded(context))


def register(app: AsyncApp) -> None:
    # The ask is in the inbox before Bolt acknowledges it (see bot/inbox.py).
    app.event("app_mention", middleware=[record_first(mention_ask)])(handle_mention)
