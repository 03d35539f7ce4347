"""Runs shown in Slack: one progress message edited as systems answer, the answer in its thread.

Progress edits are coalesced per message (one ``chat.update`` in flight, the newest state
wins) so six systems finishing at once cost one or two edits, not six, and stay well inside
Slack's rate limits. A failed edit is logged and dropped: progress is best effort.

Where the answer goes (the thread, or the asker alone) is :mod:`bot.reporters.replies`.
Both messages carry metadata naming their run and kind (:func:`progress_metadata`,
:func:`answer_metadata`), so a step that runs again after a crash or a timed-out post finds
the message it already posted instead of posting another (:mod:`bot.reporters.posted`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.render import kit
from bot.render.blocks import (
    Rendering,
    answer_rendering,
    final_progress,
    progress_blocks,
    progress_rendering,
    progress_text,
    undelivered_progress,
)
from bot.reporters.replies import Message, SlackReplies
from bot.reporters.status import CLEAR, say_status, status_of, thread_status
from workflows.answers import Briefing, Notice, RunAnswer
from workflows.errors import DeliveryError
from workflows.models import RunRequest
from workflows.ports import Progress

log = structlog.get_logger(__name__)


ANSWER_EVENT = "crosswire_answer"
PROGRESS_EVENT = "crosswire_progress"


def answer_metadata(run_id: str) -> dict[str, object]:
    """Message metadata that marks a message as a run's answer (a briefing, or a notice)."""
    return {"event_type": ANSWER_EVENT, "event_payload": {"run_id": run_id}}


def progress_metadata(run_id: str) -> dict[str, object]:
    """Message metadata that marks a message as a run's progress message."""
    return {"event_type": PROGRESS_EVENT, "event_payload": {"run_id": run_id}}


def is_progress(args: Mapping[str, Any]) -> bool:
    """Whether ``chat.postMessage`` arguments are a run's progress message."""
    metadata = args.get("metadata") or {}
    return isinstance(metadata, Mapping) and metadata.get("event_type") == PROGRESS_EVENT


def is_answer(args: Mapping[str, Any]) -> bool:
    """Whether ``chat.postMessage`` arguments are a run's answer (:func:`answer_metadata`)."""
    metadata = args.get("metadata") or {}
    return isinstance(metadata, Mapping) and metadata.get("event_type") == ANSWER_EVENT


ANSWER_METHODS = frozenset({"chat.postMessage", "chat.update"})
"""Web API methods that carry an answer: a post, or a progress message turned into a notice."""


def is_answer_call(method: str, args: Mapping[str, Any]) -> bool:
    """Whether a Web API call (``method`` with ``args``) delivers a run's answer."""
    return method in ANSWER_METHODS and is_answer(args)


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return kit.fit(blocks)


@dataclass
class _Edits:
    latest: Progress | None = None
    task: asyncio.Task[None] | None = None
    # The state the message last showed: a step that moves no system on edits nothing.
    last_shown: Progress | None = None


@dataclass
class SlackReporter:
    client: AsyncWebClient
    _edits: dict[str, _Edits] = field(default_factory=dict)
    # The thread status each run last set (see bot/reporters/status.py).
    _statuses: dict[str, str] = field(default_factory=dict)

    async def started(self, request: RunRequest, progress: Progress) -> str | None:
        """Post the progress message, or find the one this run already posted; a reply
        that shows only its answer (a scheduled delivery) gets none."""
        objective = request.objective
        if not objective.reply.progress:
            return None
        message = Message(
            progress_text(progress), progress_blocks(progress), progress_metadata(request.run_id)
        )
        handle = await self.replies.post(
            objective.reply,
            message,
            thread_ts=objective.reply.thread_ts,
            since=objective.received_at,
        )
        self._edits[handle] = _Edits(last_shown=progress)
        return handle

    async def progress(self, request: RunRequest, handle: str | None, progress: Progress) -> None:
        # The edit is queued before anything is awaited: steps report as they finish, and a
        # step whose report waited (on the thread's status) must not edit an older state in
        # over a newer one.
        if handle is not None:
            edits = self._edits.setdefault(handle, _Edits())
            edits.latest = progress
            if edits.task is None or edits.task.done():
                edits.task = asyncio.create_task(
                    self._flush(request.objective.reply.channel, handle, edits)
                )
        await self._status(request, status_of(progress))

    async def _flush(self, channel: str, handle: str, edits: _Edits) -> None:
        # ``edits`` is passed in: the answer may settle (and forget) them before this starts.
        while edits.latest is not None:
            progress, edits.latest = edits.latest, None
            if progress != edits.last_shown:
                edits.last_shown = progress
                await self._edit(channel, handle, progress_rendering(progress))

    async def _edit(self, channel: str, ts: str, shown: Rendering) -> None:
        """Edit the progress message; best effort, so a failure is logged and dropped."""
        try:
            await self.client.chat_update(
                channel=channel, ts=ts, text=kit.fallback(shown.text), blocks=_dicts(shown.blocks)
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("slack.progress_edit_failed", error=str(exc))

    async def finished(self, request: RunRequest, handle: str | None, answer: RunAnswer) -> None:
        """Deliver the answer, then bring the progress message to its final state.

        A notice replaces the progress message (one message, marked as the answer); a
        briefing is posted, and only then does the progress message point to it, or say
        that it could not be posted."""
        await self._settle(handle)
        try:
            await self._deliver(request, handle, answer)
        finally:
            await self._status(request, CLEAR)
            self._statuses.pop(request.run_id, None)

    async def _status(self, request: RunRequest, status: str) -> None:
        """The thread's status, when it changes; best effort. The change is noted before it
        is sent, so that progress reported meanwhile does not send it a second time."""
        run_id = request.run_id
        set_status = thread_status(self.client, request.objective.reply)
        if set_status is None or self._statuses.get(run_id) == status:
            return
        self._statuses[run_id] = status
        if not await say_status(set_status, status) and self._statuses.get(run_id) == status:
            del self._statuses[run_id]

    async def _deliver(self, request: RunRequest, handle: str | None, answer: RunAnswer) -> None:
        reply = request.objective.reply
        shown = answer_rendering(answer)
        message = Message(kit.fallback(shown.text), shown.blocks, answer_metadata(request.run_id))
        replaced = isinstance(answer, Notice) and handle is not None
        if replaced and await self._replace(reply.channel, str(handle), message):
            return
        try:
            await self._show(request, handle, answer, message)
        except DeliveryError as exc:
            if handle is not None:
                await self._edit(reply.channel, handle, undelivered_progress(answer, str(exc)))
            raise
        if handle is not None and isinstance(answer, Briefing):
            in_thread = reply.thread_ts is not None
            await self._edit(reply.channel, handle, final_progress(answer, in_thread=in_thread))

    async def _replace(self, channel: str, ts: str, message: Message) -> bool:
        """Turn the progress message into ``message``; False if Slack would not edit it."""
        try:
            await self._call(
                self.client.chat_update(
                    channel=channel,
                    ts=ts,
                    text=message.text,
                    blocks=_dicts(message.blocks),
                    metadata=dict(message.metadata) if message.metadata else None,
                )
            )
        except DeliveryError as exc:
            log.warning("slack.answer_edit_failed", error=str(exc))
            return False
        return True

    async def _show(
        self,
        request: RunRequest,
        handle: str | None,
        answer: RunAnswer,
        message: Message,
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
