"""Run and Cancel on a plan preview (``block_actions``).

The listener acks first. The button's value is the preview id and nothing else is read from
the payload but who pressed: the preview desk checks that the presser is the person who asked
(anyone else is refused, to them only, and audited), and the first press wins. The presser
hears back, ephemerally, only when nothing happened (already started or cancelled, expired,
not theirs); a press that wins shows in the preview message itself once the run has woken.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.actions import NOT_HERE, Approvals, tell_clicker
from bot.render.previews import CANCEL, RUN
from workflows.approvals.previews import PreviewChoice, PreviewDesk


async def on_run(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    await _press(body, client, context, "run")


async def on_cancel(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    await _press(body, client, context, "cancel")


async def _press(
    body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext, choice: PreviewChoice
) -> None:
    approvals = context.get("approvals")
    if not isinstance(approvals, Approvals):
        await tell_clicker(body, client, NOT_HERE)
        return
    presser = await approvals.who(str((body.get("user") or {}).get("id") or ""))
    if isinstance(presser, str):
        await tell_clicker(body, client, presser)
        return
    preview_id = str((body.get("actions") or [{}])[0].get("value") or "")
    answer = await PreviewDesk(approvals.desk).press(preview_id, presser.email, choice)
    if answer.outcome != "decided":
        await tell_clicker(body, client, answer.text)


def register(app: AsyncApp) -> None:
    app.action(RUN)(on_run)
    app.action(CANCEL)(on_cancel)
