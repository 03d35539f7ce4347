"""The webinar follow-up through the real bot: Dana asks in a channel, the run drafts and waits
for an approval in Rachel Kim's DM, and clicks (signed requests) decide it.

:func:`start_story` wires the real :func:`bot.slack_bot.slack_bot` against the Web API stand-in,
with Northwind's people as Slack users and time from a :class:`ManualClock`; it can also
restart the bot on the same stand-in (the same workspace, the same state directory), as a
redeploy would. What the demo systems hold is read straight from their tables, so a test
compares the run with the world's rows rather than with a list written down here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS
from sqlalchemy import func, select

from bot.reporters.approvals import APPROVAL_EVENT
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage, SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import slack_bot
from bot.slack_client import web_client
from connectors.demo.schema import crm_accounts, crm_contacts, demo_bookings, webinar_attendance
from connectors.demo.store import DemoWorld
from connectors.demo.writes import crm_logged_activities, outbox
from tests.harness import CHANNEL, DANA, SECRET, STRANGER, TOKEN, SlackHarness
from workflows.approvals import approval_id
from workflows.audit import AuditEvent
from workflows.clock import ManualClock

OBJECTIVE = "follow up with prospects who attended last week's webinar but haven't booked a demo"
DANA_EMAIL = "dana.reyes@northwind.example"
RACHEL, RACHEL_EMAIL = "U0RACHEL", "rachel.kim@northwind.example"
VICTOR, VICTOR_EMAIL = "U0VICTOR", "victor.alvarez@northwind.example"
MARCUS, MARCUS_EMAIL = "U0MARCUS", "marcus.chen@northwind.example"
PEOPLE = (
    (DANA, DANA_EMAIL, "Dana Reyes"),
    (RACHEL, RACHEL_EMAIL, "Rachel Kim"),
    (VICTOR, VICTOR_EMAIL, "Victor Alvarez"),
    (MARCUS, MARCUS_EMAIL, "Marcus Chen"),
    (STRANGER, "someone@elsewhere.example", "Some One"),
)
# Before the stand-in's wall-clock message timestamps, so a repeated post is found by them.
START = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
RUN_TIMEOUT_S = 30.0


@dataclass
class Story:
    """The bot, its Slack workspace and its clock."""

    slack: SlackHarness
    clock: ManualClock

    @property
    def standin(self) -> SlackWebApiStandIn:
        return self.slack.standin

    @property
    def world(self) -> DemoWorld:
        return self.slack.services.world

    async def ask(self, event_id: str, text: str = OBJECTIVE) -> Asked:
        """Dana mentions the bot in the sales channel; returns once the run waits for an
        approval (its message is in an approver's DM and the note in Dana's thread)."""
        ts = payloads.new_ts()
        run_id = f"slack-{event_id}"
        mention = payloads.app_mention(text, user=DANA, channel=CHANNEL, ts=ts, event_id=event_id)
        response = await self.slack.send(mention)
        assert response.status == 200
        await self.standin.wait_for(
            lambda _: bool(self.approval_posts(run_id)) and bool(self.notes(ts)), RUN_TIMEOUT_S
        )
        await self.waiting(run_id)
        return Asked(run_id=run_id, thread_ts=ts)

    async def waiting(self, run_id: str, step_id: str = "send") -> None:
        """Wait until the run has recorded that its approval was shown (the notifier's step
        is checkpointed), so all that is left for it is to wait."""
        async with asyncio.timeout(RUN_TIMEOUT_S):
            while True:
                steps = await DBOS.list_workflow_steps_async(run_id, load_output=False)
                shown = f"notify:{step_id}"
                if any(s["function_name"] == shown and s["completed_at_epoch_ms"] for s in steps):
                    return
                await asyncio.sleep(0.02)

    def approval_posts(self, run_id: str) -> list[PostedMessage]:
        """Every copy of the approval of ``run_id``'s send step, oldest first."""
        wanted = approval_id(run_id, "send")
        return [
            m
            for m in self.standin.messages()
            if m.metadata is not None
            and m.metadata.get("event_type") == APPROVAL_EVENT
            and m.metadata["event_payload"]["approval_id"] == wanted
        ]

    def notes(self, thread_ts: str) -> list[PostedMessage]:
        """What the bot posted in Dana's thread, oldest first."""
        return [m for m in self.slack.thread(CHANNEL, thread_ts) if m.ts != thread_ts]

    def click(self, post: PostedMessage, action: str, user: str) -> payloads.Payload:
        """``user`` clicking the button ``action`` on ``post``, with a response URL served by
        the stand-in (what the app answers the clicker alone)."""
        button = next(b for b in buttons(post) if b["action_id"] == action)
        return payloads.block_action(
            action,
            str(button["value"]),
            user_id=user,
            channel_id=post.channel,
            message_ts=post.ts,
            block_id=str(button.get("block_id") or "actions"),
            message_blocks=post.blocks,
            response_url=self.standin.response_url(post.channel, user),
            label=str(button["text"]["text"]),
        )

    async def opened_form(self, post: PostedMessage, action: str, user: str) -> dict[str, Any]:
        """Click ``action`` (Review, Edit, Reject) and return the modal it opened."""
        before = len(self.standin.views())
        await self.slack.send(self.click(post, action, user))
        await self.standin.wait_for(lambda s: len(s.views()) > before)
        return self.standin.views()[before]

    def told(self, user: str) -> list[str]:
        """What ``user`` alone was shown, oldest first."""
        return [str(e["text"]) for e in self.standin.ephemerals(user)]


@dataclass(frozen=True)
class Asked:
    run_id: str
    thread_ts: str


def buttons(post: PostedMessage) -> list[dict[str, Any]]:
    """The buttons on a posted message, with the block id of the actions block each is in."""
    return buttons_in(post.blocks or [])


def buttons_in(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons in ``blocks``, with the block id of the actions block each is in."""
    found: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                if element.get("type") == "button":
                    found.append({**element, "block_id": block.get("block_id")})
    return found


def typed(modal: dict[str, Any], changes: dict[str, str] | None = None) -> dict[str, Any]:
    """A modal's text inputs as a person submits them: each prefilled value as shown, with
    ``changes`` (block id to text) typed over it."""
    values: dict[str, Any] = {}
    for block in modal.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") != "input" or element.get("type") != "plain_text_input":
            continue
        block_id = str(block["block_id"])
        text = (changes or {}).get(block_id, element.get("initial_value") or "")
        values[block_id] = {str(element["action_id"]): {"type": "plain_text_input", "value": text}}
    return values


def date_token(moment: datetime) -> str:
    """How Slack's date formatting names ``moment`` in a message (``<!date^SECONDS^``)."""
    return f"<!date^{int(moment.timestamp())}^"


def dates_in(text: str) -> list[int]:
    """The moments (epoch seconds) a message's Slack date tokens name."""
    return [int(s) for s in re.findall(r"<!date\^(\d+)\^", text)]


@asynccontextmanager
async def start_story(
    settings: Settings, clock: ManualClock, standin: SlackWebApiStandIn | None = None
) -> AsyncIterator[Story]:
    """The real bot on ``settings`` with Northwind's people in a Slack stand-in (``standin``
    if given, so a restarted bot finds the workspace as the last one left it)."""
    async with workspace(standin) as slack_api:
        client = web_client(TOKEN, slack_api.base_url)
        async with slack_bot(settings, client, signing_secret=SECRET, clock=clock) as bot:
            harness = SlackHarness(
                app=bot.app, standin=slack_api, services=bot.services, scheduler=bot.scheduler
            )
            yield Story(harness, clock)


@asynccontextmanager
async def workspace(
    standin: SlackWebApiStandIn | None = None,
) -> AsyncIterator[SlackWebApiStandIn]:
    """A Slack stand-in whose users are Northwind's people (``standin`` as it is, if given)."""
    if standin is not None:
        yield standin
        return
    async with SlackWebApiStandIn(token=TOKEN) as created:
        for user_id, email, name in PEOPLE:
            created.add_user(user_id, email, name)
        yield created


# ---------------------------------------------------------------- the demo world's rows


async def webinar_prospects(world: DemoWorld, owner_email: str) -> dict[str, str]:
    """Names by email of ``owner_email``'s prospects who attended a webinar in the last 7 days and
    booked no demo in the last 30, from the demo tables themselves."""
    now = world.now
    w, d, c, a = webinar_attendance, demo_bookings, crm_contacts, crm_accounts
    async with world.read() as snapshot:
        attended = {
            str(e).lower()
            for e in await snapshot.conn.scalars(
                select(w.c.email).where(w.c.attended_at >= now - timedelta(days=7))
            )
        }
        booked = {
            str(e).lower()
            for e in await snapshot.conn.scalars(
                select(d.c.email).where(d.c.booked_at >= now - timedelta(days=30))
            )
        }
        owned = await snapshot.conn.execute(
            select(c.c.email, c.c.name)
            .join(a, a.c.id == c.c.account_id)
            .where(func.lower(a.c.owner_email) == owner_email, a.c.lifecycle_stage == "prospect")
        )
        prospects = {str(email).lower(): str(name) for email, name in owned}
    return {e: n for e, n in prospects.items() if e in attended and e not in booked}


async def sent_by(world: DemoWorld, run_id: str) -> list[dict[str, Any]]:
    """The outbox rows ``run_id`` sent, oldest first."""
    async with world.read() as snapshot:
        query = select(outbox).where(outbox.c.run_id == run_id).order_by(outbox.c.id)
        return [dict(r) for r in (await snapshot.conn.execute(query)).mappings()]


async def activities_logged_by(world: DemoWorld, run_id: str) -> list[dict[str, Any]]:
    """The CRM activities ``run_id`` logged, oldest first."""
    t = crm_logged_activities
    async with world.read() as snapshot:
        query = select(t).where(t.c.run_id == run_id).order_by(t.c.at, t.c.id)
        return [dict(r) for r in (await snapshot.conn.execute(query)).mappings()]


def of_kind(events: list[AuditEvent], kind: str) -> list[dict[str, Any]]:
    """The details of a run's audit events of one kind, oldest first."""
    return [dict(e.detail) for e in events if e.kind == kind]
