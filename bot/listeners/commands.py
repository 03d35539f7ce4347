"""``/crosswire brief Acme``, ``/crosswire approvals``, ``/crosswire help``, and the routing of
``/crosswire schedule …`` and ``/crosswire briefings …`` to :mod:`bot.listeners.schedules`.

The command is recorded in the inbox (listener middleware, see :mod:`bot.inbox`), then
acknowledged with an ephemeral line; help is answered in the ack itself, and so is a text too
long to be an objective (the refusal is still recorded). Everything else the run has to say
reaches the person who typed the command through its ``response_url`` when it concerns only
them, or the bot cannot post in the channel. ``approvals`` is no ask: it is acknowledged
empty and answered, to the person alone, with what waits for them (with its buttons) and what
they asked for. Nor are ``schedule`` and ``briefings``: acknowledged empty, then answered
by :mod:`bot.listeners.schedules`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.inbound import SlackAsk, command_ask
from bot.inbox import handle_recorded, record_first
from bot.intake import run_id_for, too_long_notice
from bot.listeners.actions import NOT_HERE, Approvals
from bot.listeners.schedule_words import is_schedule_command
from bot.listeners.schedules import on_schedule_command
from bot.render import kit
from bot.render.blocks import notice_blocks, notice_fallback
from workflows.answers import Notice
from workflows.planning.offline import EXAMPLES, HELP_TEXT

HELP = Notice(reason="help", title="Crosswire", text=HELP_TEXT, suggestions=EXAMPLES)
APPROVALS = "approvals"


def _words(command: dict[str, Any]) -> str:
    return str(command.get("text") or "").strip().lower()


def runnable_ask(command: dict[str, Any]) -> SlackAsk | None:
    """The ask a command makes; None for help (``/crosswire``, ``help``, ``?``) and for
    payloads that do not parse, which are answered with help."""
    if _words(command) in {"", "help", "?", APPROVALS} or is_schedule_command(_words(command)):
        return None
    return command_ask(command)


async def on_command(
    ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    if _words(command) == APPROVALS:
        await ack()
        await show_approvals(command, context, respond)
        return
    if is_schedule_command(_words(command)):
        await ack()
        await on_schedule_command(command, context, respond)
        return
    ask = runnable_ask(command)
    if ask is None:
        await ack(text=notice_fallback(HELP), blocks=notice_blocks(HELP))
        return
    if ask.too_long:
        notice = too_long_notice(run_id_for(ask), len(ask.text))
        await ack(text=notice_fallback(notice), blocks=notice_blocks(notice))
    else:
        await ack(text=f"On it: `{ask.text.strip()}`")
    await handle_recorded(context)


async def show_approvals(
    command: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    """What waits for the person who typed the command, and what they asked for."""
    approvals = context.get("approvals")
    if not isinstance(approvals, Approvals):
        await respond(text=NOT_HERE, response_type="ephemeral")
        return
    who = await approvals.who(str(command.get("user_id") or ""))
    if isinstance(who, str):
        await respond(text=who, response_type="ephemeral")
        return
    listing = await approvals.listing(who.email)
    await respond(
        text=kit.fallback(listing.text),
        blocks=kit.fit(listing.blocks),
        response_type="ephemeral",
        replace_original=False,
    )


def register(app: AsyncApp) -> None:
    app.command("/crosswire", middleware=[record_first(runnable_ask)])(on_command)
