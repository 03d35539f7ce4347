"""``@crosswire …`` in a channel: the answer goes to the message's thread."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp

from bot.inbound import SlackAsk, event_ask
from bot.inbox import handle_recorded, record_first

log = structlog.get_logger(__name__)


def mention_ask(body: dict[str, Any]) -> SlackAsk | None:
    ask = event_ask(body, "slack_mention")
    if ask is None:
        log.warning("slack.mention_unreadable", event_id=body.get("event_id"))
    return ask


def register(app: AsyncApp) -> None:
    # The ask is in the inbox before Bolt acknowledges it (see bot/inbox.py).
    app.event("app_mention", middleware=[record_first(mention_ask)])(handle_recorded)
