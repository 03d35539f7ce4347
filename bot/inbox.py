"""Acknowledge only what is durable: each ask is in the inbox before Slack hears "200".

Bolt acknowledges an event (HTTP 200, or the Socket Mode envelope's ack) as soon as the
listener runner takes it, before the listener runs, and Slack never sends an acknowledged
event again; a crash after that ack used to lose the request. Bolt runs a listener's own
middleware *before* its listener runner, on every transport, so the listeners that start runs
are registered with :func:`record_first` as listener middleware: it parses the payload into a
:class:`~bot.inbound.SlackAsk`, waits until the inbox (:mod:`workflows.inbox`, group commit)
has it, and only then lets Bolt go on to acknowledge. Slash commands call ``ack()``
themselves, after this middleware too. When the database cannot take the row, the request
is answered 503 instead: Slack retries it, and nothing was promised.

After the acknowledgement the slow part (``users.info``, starting the run) runs in
:class:`~bot.intake.Intake`, and the row is marked done. It first gives way to the edge
(``pace``, :mod:`bot.pacing`): during a burst of requests the work of the asks already
acknowledged waits until the burst is over (a second at most), so that the next request's
acknowledgement does not queue behind it; the ask is durable by then, so waiting loses
nothing. At start, the rows a crash left pending are worked through in the order they
arrived (:meth:`AskInbox.work_through`); an ask whose run had started before the crash is
only marked done (run ids are deterministic).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError
from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.inbound import SlackAsk
from bot.intake import Intake, run_id_for
from workflows.engine import no_pacing
from workflows.inbox import Entry, Inbox, InboxUnavailable, Receipt

log = structlog.get_logger(__name__)
DELIVERY = "crosswire_delivery"

Parse = Callable[[dict[str, Any]], SlackAsk | None]
Announce = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Delivery:
    """One delivery of an ask, and what recording it found."""

    ask: SlackAsk
    receipt: Receipt


@dataclass
class AskInbox:
    """Slack asks: recorded before their acknowledgement, handed to the intake after it."""

    store: Inbox
    intake: Intake
    # Awaited before a new ask is worked on: the edge's acknowledgements go first.
    pace: Callable[[], Awaitable[None]] = no_pacing
    # Asks this process is working on now, so that a second delivery of one waits for the
    # first to be handled and is then treated as a redelivery (the intake deduplicates).
    _working: dict[str, asyncio.Event] = field(default_factory=dict)
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    async def record(self, ask: SlackAsk) -> Delivery:
        """Record ``ask`` durably (raises :class:`InboxUnavailable` when it cannot)."""
        receipt = await self.store.receive(run_id_for(ask), ask.model_dump(mode="json"))
        return Delivery(ask, receipt)

    async def handle(self, delivery: Delivery, *, announce: Announce | None = None) -> None:
        """What to do with a delivery once it has been acknowledged; a new ask is worked on
        once the edge is quiet, ``announce`` (its "is planning…") sent as the work starts."""
        key = delivery.receipt.key
        match delivery.receipt.state:
            case "new":
                await self._work(key, delivery.ask, resumed=False, announce=announce)
            case "queued" if key in self._working:
                await self._working[key].wait()
                await self.intake.handle(delivery.ask)
            case "queued":  # left by a crash or owned by another replica: handled there
                log.info("slack.duplicate_delivery", trigger_id=delivery.ask.trigger_id)
            case "done":
                await self.intake.handle(delivery.ask)

    async def work_through(self, backlog: list[Entry]) -> None:
        """Handle recorded asks a crash left unstarted, oldest first, one at a time."""
        if backlog:
            log.info("inbox.resuming", asks=len(backlog))
        for entry in backlog:
            try:
                ask = SlackAsk.model_validate(entry.payload)
            except ValidationError as exc:  # written by an incompatible version: keep it
                log.error("inbox.unreadable", key=entry.key, error=str(exc))
                continue
            await self._work(entry.key, ask, resumed=True)

    async def take_over(self, dead_executor: str) -> None:
        """Take over what a replica that died had acknowledged and not started; it is worked
        through in the background, so the sweep that found the replica dead goes on."""
        adopted = await self.store.adopt(dead_executor)
        if adopted:
            log.warning("inbox.taken_over", dead_executor=dead_executor, asks=len(adopted))
            self.in_background(self.work_through(adopted), name="inbox-takeover")

    def in_background(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run ``work`` beside the app until :meth:`stop`."""
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # What is left of that backlog stays pending: the next start takes it up.
            log.error("inbox.backlog_failed", task=task.get_name(), exc_info=error)

    async def stop(self) -> None:
        """Stop working through backlogs; what is left stays pending for the next start."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _work(
        self, key: str, ask: SlackAsk, *, resumed: bool, announce: Announce | None = None
    ) -> None:
        working = self._working.setdefault(key, asyncio.Event())
        try:
            if resumed:
                await self.intake.resume(ask)
            else:
                await self.pace()
                if announce is None:
                    await self.intake.handle(ask)
                else:  # sent first; the hand-off does not wait for Slack's answer to it
                    await asyncio.gather(announce(), self.intake.handle(ask))
            self.store.done(key)
        finally:
            working.set()
            del self._working[key]


def inbox_of(context: AsyncBoltContext) -> AskInbox:
    """The inbox that the app's middleware put in Bolt's context."""
    inbox = context["inbox"]
    assert isinstance(inbox, AskInbox)
    return inbox


class RecordFirst(AsyncMiddleware):
    """Listener middleware: record the ask ``parse`` finds in the payload before Bolt
    acknowledges it; payloads that ask nothing pass straight through.

    A middleware object rather than a function: Bolt calls it directly, where a function is
    wrapped and has its arguments looked up by name on every request, on the ack path."""

    def __init__(self, parse: Parse) -> None:
        self.parse = parse

    def asked(self, req: AsyncBoltRequest) -> SlackAsk | None:
        """The ask in the request, if any (a subclass may need more than the payload)."""
        return self.parse(req.body)

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        ask = self.asked(req)
        if ask is not None:
            try:
                req.context[DELIVERY] = await inbox_of(req.context).record(ask)
            except InboxUnavailable as exc:
                log.error("slack.not_acknowledged", trigger_id=ask.trigger_id, error=str(exc))
                return BoltResponse(status=503, body="")
        await next()
        return None


def record_first(parse: Parse) -> RecordFirst:
    """The listener middleware that records what ``parse`` finds before the ack."""
    return RecordFirst(parse)


async def handle_recorded(context: AsyncBoltContext, *, announce: Announce | None = None) -> None:
    """The listener's part: hand the delivery :func:`record_first` recorded to the inbox
    (``announce``: what to tell Slack when a new ask starts being worked on)."""
    delivery = context.get(DELIVERY)
    if isinstance(delivery, Delivery):
        await inbox_of(context).handle(delivery, announce=announce)


@asynccontextmanager
async def working_inbox(
    store: Inbox, intake: Intake, *, pace: Callable[[], Awaitable[None]] = no_pacing
) -> AsyncIterator[AskInbox]:
    """The inbox, working through the backlog a crash left (in the background, so the app
    serves meanwhile); on exit that work stops (what is left stays pending for the next
    start), every mark is written and the store is closed. New asks wait for ``pace``."""
    inbox = AskInbox(store, intake, pace)
    # Listed before the app serves: everything in it predates this process's own asks.
    backlog = await store.backlog()
    inbox.in_background(inbox.work_through(backlog), name="inbox-backlog")
    try:
        yield inbox
    finally:
        await inbox.stop()
        await store.close()
