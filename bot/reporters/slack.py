"""Runs shown in Slack: one progress message edited as systems answer, the answer in its thread.

Progress edits are coalesced per message (one ``chat.update`` in flight, the newest state
wins) so six systems finishing at once cost one or two edits, not six, and stay well inside
Slack's rate limits. A failed edit is logged and dropped: progress is best effort.

Where the answer goes (the thread, or the asker alone) is :mod:`bot.reporters.replies`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.render.blocks import (
    briefing_blocks,
    briefing_fallback,
    final_progress_text,
    notice_blocks,
    progress_blocks,
    progress_text,
)
from bot.reporters.replies import Message, SlackReplies
from workflows.answers import Briefing, Notice
from workflows.models import RunRequest
from workflows.ports import Progress

log = structlog.get_logger(__name__)


ANSWER_EVENT = "crosswire_answer"


def answer_metadata(run_id: str) -> dict[str, object]:
    """Message metadata that marks a message as a run's answer (for other apps and tests)."""
    return {"event_type": ANSWER_EVENT, "event_payload": {"run_id": run_id}}


def is_answer(args: Mapping[str, Any]) -> bool:
    """Whether ``chat.postMessage`` arguments are a run's answer (:func:`answer_metadata`)."""
    metadata = args.get("metadata") or {}
    return isinstance(metadata, Mapping) and metadata.get("event_type") == ANSWER_EVENT


def _dicts(blocks: list[Block]) -> list[dict[str, object]]:
    return [b.to_dict() for b in blocks]


@dataclass
class _Edits:
    latest: Progress | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class SlackReporter:
    client: AsyncWebClient
    _edits: dict[str, _Edits] = field(default_factory=dict)

    async def started(self, request: RunRequest, progress: Progress) -> str | None:
        reply = request.objective.reply
        response = await self._call(
            self.client.chat_postMessage(
                channel=reply.channel,
                thread_ts=reply.thread_ts,
                text=progress_text(progress),
                blocks=_dicts(progress_blocks(progress)),
            )
        )
        return str(response["ts"])

    async def progress(self, request: RunRequest, handle: str | None, progress: Progress) -> None:
        if handle is None:
            return
        edits = self._edits.setdefault(handle, _Edits())
        edits.latest = progress
        if edits.task is None or edits.task.done():
            edits.task = asyncio.create_task(self._flush(request.objective.reply.channel, handle))

    async def _flush(self, channel: str, handle: str) -> None:
        edits = self._edits[handle]
        while edits.latest is not None:
            progress, edits.latest = edits.latest, None
            await self._edit(channel, handle, progress_text(progress), progress_blocks(progress))

    async def _edit(self, channel: str, ts: str, text: str, blocks: list[Block]) -> None:
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=_dicts(blocks))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack.progress_edit_failed", error=str(exc))

    async def finished(
        self, request: RunRequest, handle: str | None, answer: Briefing | Notice
    ) -> None:
        reply = request.objective.reply
        await self._settle(handle)
        if handle is not None:
            final = final_progress_text(answer)
            await self._edit(reply.channel, handle, final, [SectionBlock(text=final)])
        if isinstance(answer, Briefing):
            text, blocks = briefing_fallback(answer), briefing_blocks(answer)
        else:
            text, blocks = f"{answer.title}. {answer.text}", notice_blocks(answer)
        message = Message(text, blocks, answer_metadata(request.run_id))
        await self._show(request, handle, answer, message)

    async def _show(
        self, request: RunRequest, handle: str | None, answer: Briefing | Notice, message: Message
    ) -> None:
        """A briefing goes to the thread, and so does a notice that completes a progress message
        already there; any other notice concerns only the person who asked, and goes to them."""
        replies, objective = self.replies, request.objective
        if isinstance(answer, Notice) and handle is None:
            await replies.tell(objective, message)
        else:
            await replies.publish(objective, message, thread_ts=objective.reply.thread_ts or handle)

    async def _call(self, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        return await self.replies.call(call)

    @property
    def replies(self) -> SlackReplies:
        return SlackReplies(self.client)

    async def _settle(self, handle: str | None) -> None:
        """Let the last progress edit land before the answer, so the message ends final."""
        edits = self._edits.pop(handle, None) if handle else None
        if edits and edits.task:
            await edits.task
