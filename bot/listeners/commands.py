"""``/crosswire brief Acme`` and ``/crosswire help``.

The command is acknowledged first, with an ephemeral line; help is answered in the ack itself.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.inbound import command_ask
from bot.intake import intake_of
from bot.render.blocks import notice_blocks
from workflows.answers import Notice
from workflows.planning.offline import EXAMPLES, HELP_TEXT

HELP = Notice(reason="help", title="Crosswire", text=HELP_TEXT, suggestions=EXAMPLES)


async def on_command(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    text = str(command.get("text") or "").strip()
    ask = command_ask(command)
    if not text or text.lower() in {"help", "?"} or ask is None:
        await ack(text=HELP.text, blocks=notice_blocks(HELP))
        return
    await ack(text=f"On it: `{text}`")
    await intake_of(context).handle(ask)


def register(app: AsyncApp) -> None:
    app.command("/crosswire")(on_command)
