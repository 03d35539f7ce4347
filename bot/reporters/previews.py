"""Plan previews shown in Slack: one message where the requester asked (the thread, the DM or
the command's channel), with Run and Cancel, brought to its final state once pressed or expired.

Each call is made from inside a durable step and may run again, so the post carries message
metadata (the preview id) and is looked for first where it would be (as approvals are, see
:mod:`bot.reporters.approvals`); an edit is safe to repeat as it is. A run asked outside
Slack (``crosswire ask``) shows its preview in the terminal instead
(:mod:`bot.reporters.terminal_previews`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import kit
from bot.render.blocks import Rendering
from bot.render.clarify import question_rendering
from bot.render.previews import preview_rendering
from bot.reporters.posted import find_posted
from bot.reporters.replies import Message, SlackReplies
from workflows.approvals.models import Approval, MessageRef
from workflows.approvals.questions import QUESTION_OPERATION
from workflows.engine.repeats import may_have_happened
from workflows.errors import PermanentDeliveryError
from workflows.models import RunRequest
from workflows.ports import People

log = structlog.get_logger(__name__)
PREVIEW_EVENT = "crosswire_preview"


def preview_metadata(preview: Approval) -> dict[str, Any]:
    """Marks the preview message: which preview (an opaque id)."""
    return {"event_type": PREVIEW_EVENT, "event_payload": {"preview_id": preview.id}}


@dataclass(frozen=True)
class SlackPreviewNotifier:
    """The :class:`~workflows.engine.preview.PreviewNotifier` for Slack; ``people`` names
    the approvers a step will wait for."""

    client: AsyncWebClient
    people: People

    async def shown(self, preview: Approval, request: RunRequest) -> tuple[MessageRef, ...]:
        objective = request.objective
        reply = objective.reply
        if reply.kind != "slack" or not reply.channel:
            return ()
        metadata = preview_metadata(preview)
        found = await self._find_repeat(reply.channel, reply.thread_ts, metadata, preview)
        if found is None:
            shown = self._rendering(preview)
            message = Message(kit.fallback(shown.text), shown.blocks, metadata)
            replies = SlackReplies(self.client)
            found = await replies.publish(objective, message, thread_ts=reply.thread_ts)
        return (MessageRef(channel=reply.channel, ts=found),) if found else ()

    async def settled(self, preview: Approval, request: RunRequest) -> None:
        shown = self._rendering(preview)
        replies = SlackReplies(self.client)
        for ref in preview.messages:
            try:
                await replies.call(
                    self.client.chat_update(
                        channel=ref.channel,
                        ts=ref.ts,
                        text=kit.fallback(shown.text),
                        blocks=kit.fit(shown.blocks),
                    )
                )
            except PermanentDeliveryError as exc:
                log.warning("slack.preview_update_refused", channel=ref.channel, error=str(exc))

    def _rendering(self, preview: Approval) -> Rendering:
        """A plan preview, or a clarifying question (shown and settled the same way)."""
        if preview.operation == QUESTION_OPERATION:
            return question_rendering(preview)
        return preview_rendering(preview, self._name)

    def _name(self, email: str) -> str:
        employee = self.people.find_employee(email)
        return employee.name if employee is not None else email

    async def _find_repeat(
        self,
        channel: str,
        thread_ts: str | None,
        metadata: Mapping[str, Any],
        preview: Approval,
    ) -> str | None:
        if not await may_have_happened():
            return None
        return await find_posted(
            self.client,
            channel,
            thread_ts=thread_ts,
            metadata=metadata,
            since=preview.created_at,
            matches=_same_metadata,
        )


def _same_metadata(message: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    found = message.get("metadata")
    return isinstance(found, Mapping) and dict(found) == dict(metadata)
