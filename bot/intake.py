"""From a Slack ask to a durable run: who is asking, a deterministic run id, submit, await.

The run id comes from the trigger (the Events API ``event_id``, a slash command's
``trigger_id``), so a Slack retry of the same event finds the run already started and starts
nothing: DBOS starts a workflow id once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import SlackAsk
from bot.people import SlackPeople, UnknownRequester
from bot.render.blocks import notice_blocks
from bot.reporters.slack import answer_metadata
from workflows.answers import Notice
from workflows.audit import AuditStore
from workflows.clock import Clock
from workflows.engine import Engine
from workflows.models import Objective, Principal, ReplyTarget, RunRequest
from workflows.planning.phrasing import clean_text

log = structlog.get_logger(__name__)


def intake_of(context: AsyncBoltContext) -> Intake:
    """The intake that the app's middleware put in Bolt's context."""
    intake = context["intake"]
    assert isinstance(intake, Intake)
    return intake


def run_id_for(ask: SlackAsk) -> str:
    prefix = "slack-cmd" if ask.trigger == "slack_command" else "slack"
    return f"{prefix}-{ask.trigger_id}"


@dataclass(frozen=True)
class Intake:
    engine: Engine
    audit: AuditStore
    people: SlackPeople
    client: AsyncWebClient
    clock: Clock
    # Durable starts go one at a time: a burst of events then queues here, in order, instead
    # of flooding the database threads that the event loop shares the GIL with.
    _starts: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    async def handle(self, ask: SlackAsk) -> None:
        run_id = run_id_for(ask)
        with structlog.contextvars.bound_contextvars(run_id=run_id, slack_user=ask.user_id):
            try:
                principal = await self.people.principal(ask.user_id)
            except UnknownRequester as exc:
                await self._refuse(ask, run_id, exc.reason)
                return
            request = self._request(ask, run_id, principal)
            async with self._starts:
                handle = await self.engine.submit(request)
            if handle.duplicate:
                log.info("slack.duplicate_delivery", trigger_id=ask.trigger_id)

    def _request(self, ask: SlackAsk, run_id: str, principal: Principal) -> RunRequest:
        objective = Objective(
            text=clean_text(ask.text),
            trigger=ask.trigger,
            trigger_id=ask.trigger_id,
            reply=ReplyTarget(
                kind="slack", channel=ask.channel, thread_ts=ask.thread_ts, user_id=ask.user_id
            ),
            received_at=self.clock.now(),
        )
        return RunRequest(run_id=run_id, objective=objective, principal=principal)

    async def _refuse(self, ask: SlackAsk, run_id: str, reason: str) -> None:
        """Tell them politely, and record the refusal as a run of its own."""
        stranger = Principal(
            email=f"slack:{ask.user_id}", name="unknown", slack_user_id=ask.user_id
        )
        request = self._request(ask, run_id, stranger)
        notice = Notice(
            run_id=run_id,
            reason="not_allowed",
            title="I don't know who you are yet",
            text=f"I couldn't start this because {reason}. Ask an admin to check "
            "your Slack profile email.",
        )
        await self.audit.run_started(request, planner="-")
        await self.audit.record(
            run_id, "decision", detail={"decision": "refused", "reason": reason}
        )
        await self.audit.run_finished(
            run_id, status="refused", answer=notice.model_dump(mode="json")
        )
        await self.client.chat_postMessage(
            channel=ask.channel,
            thread_ts=ask.thread_ts,
            text=notice.text,
            blocks=[b.to_dict() for b in notice_blocks(notice)],
            metadata=answer_metadata(run_id),
        )
