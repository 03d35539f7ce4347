"""Direct messages to the bot. Edits, bot messages and other subtypes are ignored."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.inbound import SlackAsk, event_ask
from bot.inbox import handle_recorded, record_first


def direct_ask(body: dict[str, Any]) -> SlackAsk | None:
    if (body.get("event") or {}).get("channel_type") != "im":
        return None
    return event_ask(body, "slack_dm")


def register(app: AsyncApp) -> None:
    # The ask is in the inbox before Bolt acknowledges it (see bot/inbox.py).
    app.event("message", middleware=[record_first(direct_ask)])(handle_recorded)
