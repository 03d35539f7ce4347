"""A Slack workspace with approvals: the real app, desk, store and policy on real SQLite.

The approvals listeners get an :class:`~bot.listeners.actions.Approvals` built the way the
composition root builds it: the real :class:`ApprovalDesk` (compare-and-set on the stored row,
audit), the packaged policy and the demo org chart. Waking the waiting run (``DBOS.send``) is
the engine's side of the wire: here each wake the desk sends is kept in ``wakes``, so a test
can count decisions that reached a run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import build_app
from bot.listeners.actions import Approvals
from bot.people import SlackPeople
from bot.sandbox import payloads
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import slack_bot
from bot.slack_client import web_client
from tests.harness import CHANNEL, DANA, SECRET, STRANGER, TOKEN, SlackHarness
from tests.workflows.approvals.org import OrgChart
from workflows.approvals import Approval, ApprovalItem, approval_id, fingerprint
from workflows.approvals.desk import ApprovalDesk
from workflows.approvals.policy import ApprovalPolicy
from workflows.approvals.store import ApprovalStore
from workflows.clock import ManualClock
from workflows.models import ReplyTarget

RACHEL = "U0RACHEL"
VICTOR = "U0VICTOR"
RACHEL_EMAIL = "rachel.kim@northwind.example"
VICTOR_EMAIL = "victor.alvarez@northwind.example"
DANA_EMAIL = "dana.reyes@northwind.example"
THREAD = "1764590000.000100"
START = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # before the stand-in's wall-clock ts
TTL = timedelta(hours=24)


@dataclass
class Wakes:
    """The messages the desk sent to waiting runs: (run id, message, topic, key)."""

    sent: list[tuple[str, dict[str, Any], str, str]] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __call__(self, run_id: str, message: dict[str, Any], topic: str, key: str) -> None:
        self.sent.append((run_id, message, topic, key))
        async with self._arrived:
            self._arrived.notify_all()

    async def reached(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait for ``count`` wakes: a decision reaches the run after the last Web API call, so
        the stand-in's own waiting (re-checked after each call) cannot see it."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.sent) >= count), timeout)


@dataclass
class ApprovalsHarness:
    slack: SlackHarness
    approvals: Approvals
    store: ApprovalStore
    wakes: Wakes
    clock: ManualClock

    @property
    def standin(self) -> SlackWebApiStandIn:
        return self.slack.standin

    async def create(self, **kw: Any) -> Approval:
        return await self.store.create(an_approval(self.clock.now(), **kw))

    def click(self, action: str, approval: Approval, user: str, **kw: Any) -> payloads.Payload:
        """A click on a copy of ``approval`` in ``user``'s DM, with a response URL served here."""
        channel = f"D{user.lstrip('U')}"
        return payloads.block_action(
            action,
            approval.id,
            user_id=user,
            channel_id=channel,
            message_ts=THREAD,
            response_url=self.standin.response_url(channel, user),
            **kw,
        )

    def told(self, user: str) -> list[str]:
        """What ``user`` alone was told, oldest first."""
        return [str(e["text"]) for e in self.standin.ephemerals(user)]


def items(count: int = 3) -> tuple[ApprovalItem, ...]:
    return tuple(
        ApprovalItem(
            index=i,
            args={
                "to": f"lead{i}@prospect{i}.example",
                "subject": f"Following up on the webinar, {i}",
                "body": f"Hi Lead {i},\n\nThanks for joining the webinar.\n\nDana",
            },
            summary=f"Email Lead {i} <lead{i}@prospect{i}.example>",
            why=f"Attended the webinar; no demo booked (lead {i})",
            preview=f"Subject: Following up on the webinar, {i}\n\nHi Lead {i},\n\nThanks.",
            editable=("subject", "body"),
        )
        for i in range(count)
    )


def an_approval(
    now: datetime,
    *,
    run_id: str = "run-followup",
    count: int = 3,
    approvers: tuple[str, ...] = (RACHEL_EMAIL,),
    reply: ReplyTarget | None = None,
) -> Approval:
    chosen = items(count)
    return Approval(
        id=approval_id(run_id, "send"),
        run_id=run_id,
        step_id="send",
        operation="email.send",
        system="email",
        title=f"Approve {count} follow-up emails for Dana Reyes",
        requester_email=DANA_EMAIL,
        requester_name="Dana Reyes",
        reply=reply or ReplyTarget(kind="slack", channel=CHANNEL, thread_ts=THREAD, user_id=DANA),
        items=chosen,
        fingerprint=fingerprint("email.send", chosen),
        approvers=approvers,
        rule="customer-email",
        created_at=now,
        expires_at=now + TTL,
    )


@asynccontextmanager
async def start_approvals(settings: Settings) -> AsyncIterator[ApprovalsHarness]:
    clock = ManualClock(START)
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, DANA_EMAIL, "Dana Reyes")
        standin.add_user(RACHEL, RACHEL_EMAIL, "Rachel Kim")
        standin.add_user(VICTOR, VICTOR_EMAIL, "Victor Alvarez")
        standin.add_user(STRANGER, "someone@elsewhere.example", "Some One")
        client = web_client(TOKEN, standin.base_url)
        async with slack_bot(settings, client, signing_secret=SECRET, clock=clock) as bot:
            services, org, wakes = bot.services, OrgChart(), Wakes()
            store, policy = ApprovalStore(services.audit.engine), ApprovalPolicy.load()
            desk = ApprovalDesk(store, policy, org, services.audit, clock, TTL, wakes)
            people = SlackPeople(client, services.directory)
            approvals = Approvals.at(desk, people)
            app = build_app(
                client=client,
                signing_secret=SECRET,
                intake=bot.inbox.intake,
                inbox=bot.inbox,
                approvals=approvals,
            )
            slack = SlackHarness(
                app=app, standin=standin, services=services, scheduler=bot.scheduler
            )
            yield ApprovalsHarness(slack, approvals, store, wakes, clock)
