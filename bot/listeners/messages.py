"""Direct messages to the bot. Edits, bot messages and other subtypes are ignored."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.inbound import event_ask
from bot.intake import intake_of


async def on_message(body: dict[str, Any], context: AsyncBoltContext) -> None:
    if (body.get("event") or {}).get("channel_type") != "im":
        return
    ask = event_ask(body, "slack_dm")
    if ask is not None:
        await intake_of(context).handle(ask)


def register(app: AsyncApp) -> None:
    app.event("message")(on_message)
