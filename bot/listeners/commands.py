"""``/crosswire brief Acme`` and ``/crosswire help``.

The command is acknowledged first, with an ephemeral line; help is answered in the ack itself,
and so is a text too long to be an objective (the refusal is still recorded). Everything else
the run has to say reaches the person who typed the command through its ``response_url``
when it concerns only them, or the bot cannot post in the channel.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.inbound import command_ask
from bot.intake import intake_of, run_id_for, too_long_notice
from bot.render.blocks import notice_blocks, notice_fallback
from workflows.answers import Notice
from workflows.planning.offline import EXAMPLES, HELP_TEXT

HELP = Notice(reason="help", title="Crosswire", text=HELP_TEXT, suggestions=EXAMPLES)


async def on_command(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    text = str(command.get("text") or "").strip()
    ask = command_ask(command)
    if not text or text.lower() in {"help", "?"} or ask is None:
        await ack(text=notice_fallback(HELP), blocks=notice_blocks(HELP))
        return
    if ask.too_long:
        notice = too_long_notice(run_id_for(ask), len(ask.text))
        await ack(text=notice_fallback(notice), blocks=notice_blocks(notice))
        await intake_of(context).handle(ask, told=True)
        return
    await ack(text=f"On it: `{text}`")
    await intake_of(context).handle(ask)


def register(app: AsyncApp) -> None:
    app.command("/crosswire")(on_command)
