"""From a Slack ask to a durable run: who is asking, a deterministic run id, submit, await.

The run id comes from the trigger (the Events API ``event_id``, a slash command's
``trigger_id``), so a Slack retry of the same event finds the run already started and starts
nothing: DBOS starts a workflow id once. A refusal (someone the directory does not know, a
text too long to be an objective) is recorded as a run of its own under the same id, and a
retry finds it there and answers nothing again. Refusals are shown to the asker alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import MAX_ASK_CHARS, SlackAsk
from bot.people import RequesterUnavailable, SlackPeople, UnknownRequester
from bot.render.blocks import notice_blocks, notice_fallback
from bot.reporters.replies import Message, SlackReplies
from bot.reporters.slack import answer_metadata
from workflows.answers import Notice
from workflows.audit import AuditStore
from workflows.clock import Clock
from workflows.engine import Engine
from workflows.errors import DeliveryError
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


def too_long_notice(run_id: str, length: int) -> Notice:
    """The answer to a text longer than an objective may be."""
    return Notice(
        run_id=run_id,
        reason="failed",
        title="That message is too long for me",
        text=f"It has {length:,} characters; I take requests of up to {MAX_ASK_CHARS:,}. "
        "Tell me in a sentence or two what you need, e.g. `brief me on Acme`.",
    )


def unknown_notice(run_id: str, reason: str) -> Notice:
    """The answer to someone the company directory does not know."""
    return Notice(
        run_id=run_id,
        reason="not_allowed",
        title="I don't know who you are yet",
        text=f"I couldn't start this because {reason}. Ask an admin to check "
        "your Slack profile email.",
    )


SLACK_BLINKED = Notice(
    reason="failed",
    title="Slack blinked",
    text="Slack could not tell me who you are just now. Please try again in a moment.",
)


@dataclass(frozen=True)
class Intake:
    engine: Engine
    audit: AuditStore
    people: SlackPeople
    client: AsyncWebClient
    clock: Clock
    # Durable starts go one at a time: a burst of events then queues here, in order, instead
    # of flooding the database threads that the event loop shares the GIL with. Refusals are
    # checked and recorded under it too, so two deliveries of one event refuse once.
    _starts: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    async def handle(self, ask: SlackAsk) -> None:
        """Start the run ``ask`` asks for, or refuse it. A slash command's acknowledgement
        has already shown a too-long text's refusal, so that one is only recorded."""
        run_id = run_id_for(ask)
        with structlog.contextvars.bound_contextvars(run_id=run_id, slack_user=ask.user_id):
            if ask.too_long:
                notice = too_long_notice(run_id, len(ask.text))
                told = ask.trigger == "slack_command"
                await self._refuse(ask, run_id, notice, "too_long", tell=not told)
                return
            try:
                principal = await self.people.principal(ask.user_id)
            except UnknownRequester as exc:
                await self._refuse(ask, run_id, unknown_notice(run_id, exc.reason), exc.reason)
                return
            except RequesterUnavailable as exc:
                await self._unavailable(ask, run_id, str(exc))
                return
            request = self._request(ask, run_id, principal)
            async with self._starts:
                handle = await self.engine.submit(request)
            if handle.duplicate:
                log.info("slack.duplicate_delivery", trigger_id=ask.trigger_id)

    async def resume(self, ask: SlackAsk) -> None:
        """Handle an ask that a crash may have interrupted: one whose run was started, or
        whose refusal was recorded, before the crash is left as it is."""
        run_id = run_id_for(ask)
        if await self.engine.started(run_id) or await self.audit.get_run(run_id) is not None:
            log.info("inbox.already_handled", run_id=run_id)
            return
        await self.handle(ask)

    def _request(self, ask: SlackAsk, run_id: str, principal: Principal) -> RunRequest:
        # A text too long to run is recorded by its start only: the audit keeps no megabytes.
        text = ask.text[:200] + "…" if ask.too_long else clean_text(ask.text)
        objective = Objective(
            text=text,
            trigger=ask.trigger,
            trigger_id=ask.trigger_id,
            reply=ReplyTarget(
                kind="slack",
                channel=ask.channel,
                thread_ts=ask.thread_ts,
                user_id=ask.user_id,
                response_url=ask.response_url,
            ),
            received_at=self.clock.now(),
        )
        return RunRequest(run_id=run_id, objective=objective, principal=principal)

    async def _refuse(
        self, ask: SlackAsk, run_id: str, notice: Notice, reason: str, *, tell: bool = True
    ) -> None:
        """Record the refusal as a run of its own and tell the asker, once per run id."""
        async with self._starts:
            earlier = await self.audit.get_run(run_id)
            first = earlier is None or earlier.run.status != "refused"
            if first:
                await self._record_refusal(ask, run_id, notice, reason)
        if not first:
            await self.audit.record(
                run_id,
                "duplicate",
                key=f"{run_id}:duplicate:{ask.trigger_id}:refused",
                detail={"trigger_id": ask.trigger_id, "status": "refused"},
            )
            log.info("slack.duplicate_refusal", trigger_id=ask.trigger_id)
        elif tell:
            await self._tell(ask, notice)

    async def _unavailable(self, ask: SlackAsk, run_id: str, error: str) -> None:
        """Slack could not say who is asking: audited as a failed run, the asker asked to try
        again. A later delivery of the same event that gets through runs under the same id,
        and its outcome then replaces this one."""
        log.warning("slack.requester_unavailable", error=error)
        notice = SLACK_BLINKED.model_copy(update={"run_id": run_id})
        await self.audit.run_started(self._request(ask, run_id, _stranger(ask)), planner="-")
        await self.audit.record(run_id, "error", detail={"error": f"users.info: {error}"})
        await self.audit.run_finished(
            run_id, status="failed", answer=notice.model_dump(mode="json")
        )
        await self._tell(ask, notice)

    async def _record_refusal(
        self, ask: SlackAsk, run_id: str, notice: Notice, reason: str
    ) -> None:
        request = self._request(ask, run_id, _stranger(ask))
        detail: dict[str, object] = {"decision": "refused", "reason": reason}
        if ask.too_long:
            detail["length"] = len(ask.text)
        await self.audit.run_started(request, planner="-")
        await self.audit.record(run_id, "decision", detail=detail)
        await self.audit.run_finished(
            run_id, status="refused", answer=notice.model_dump(mode="json")
        )

    async def _tell(self, ask: SlackAsk, notice: Notice) -> None:
        """Show ``notice`` to the asker alone; a failure is logged (the audit has the rest)."""
        objective = self._request(ask, notice.run_id, Principal(email="-", name="-")).objective
        message = Message(
            notice_fallback(notice), notice_blocks(notice), answer_metadata(notice.run_id)
        )
        try:
            await SlackReplies(self.client).tell(objective, message)
        except DeliveryError as exc:
            log.warning("slack.notice_undelivered", error=str(exc), code=exc.code)


def _stranger(ask: SlackAsk) -> Principal:
    """The asker as the audit knows them before the directory has said who they are."""
    return Principal(email=f"slack:{ask.user_id}", name="unknown", slack_user_id=ask.user_id)
