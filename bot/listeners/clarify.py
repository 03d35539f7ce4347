"""A clarifying question's buttons (``block_actions``): one per candidate, and None of these.

The listener acks first. Only the button's value (the question id and the choice's index)
and who pressed are read from the payload: the question desk checks that the presser asked
(anyone else is refused, to them only, and audited), and the first press wins. The presser
hears back, ephemerally, only when nothing happened (already answered, expired, not
theirs); a press that wins shows in the question itself once the run has woken.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.actions import NOT_HERE, Approvals, tell_clicker
from bot.render.clarify import CHOOSE_PATTERN, NONE, parse_value
from workflows.approvals.questions import UNKNOWN, QuestionDesk


async def on_answer(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    approvals = context.get("approvals")
    if not isinstance(approvals, Approvals):
        await tell_clicker(body, client, NOT_HERE)
        return
    presser = await approvals.who(str((body.get("user") or {}).get("id") or ""))
    if isinstance(presser, str):
        await tell_clicker(body, client, presser)
        return
    parsed = parse_value(str((body.get("actions") or [{}])[0].get("value") or ""))
    if parsed is None:
        await tell_clicker(body, client, UNKNOWN)
        return
    question_id, choice = parsed
    answer = await QuestionDesk(approvals.desk).answer(question_id, presser.email, choice)
    if answer.outcome != "decided":
        await tell_clicker(body, client, answer.text)


def register(app: AsyncApp) -> None:
    app.action(CHOOSE_PATTERN)(on_answer)
    app.action(NONE)(on_answer)
