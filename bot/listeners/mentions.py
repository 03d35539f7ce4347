"""``@crosswire …`` in a channel: the answer goes to the message's thread."""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.inbound import event_ask
from bot.intake import intake_of

log = structlog.get_logger(__name__)


async def on_mention(body: dict[str, Any], context: AsyncBoltContext) -> None:
    ask = event_ask(body, "slack_mention")
    if ask is None:
        log.warning("slack.mention_unreadable", event_id=body.get("event_id"))
        return
    await intake_of(context).handle(ask)


def register(app: AsyncApp) -> None:
    app.event("app_mention")(on_mention)
