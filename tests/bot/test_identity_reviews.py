"""The identity graph's "maybe" pairs put to its admins in Slack: the real Bolt app and bot
wiring, the Slack Web API stand-in, the graph on real SQLite. One message per pair in each
admin's DM; Same merges (through the same code path as ``crosswire identity same``),
Different splits; a non-admin is refused and audited; the first click wins; a restart, even
one after a crash between posting and recording it, posts nothing twice."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.render.identity_review import DIFFERENT, SAME
from bot.reporters.identity_reviews import REVIEW_EVENT, IdentityReviews, admins_of
from bot.sandbox import payloads
from bot.sandbox.chat import SandboxChat
from bot.sandbox.slack_api import PostedMessage, SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import SlackBot, slack_bot
from bot.slack_client import web_client
from connectors.demo import open_demo_world
from connectors.graph import IdentityGraph
from connectors.graph import tables as t
from connectors.graph.review_posts import ReviewPosts
from connectors.graph.store import GraphTables
from connectors.resolution import Evidence, Link, RecordKey, Review
from tests.harness import DANA, SECRET, TOKEN, SlackHarness
from workflows.audit import AuditStore
from workflows.clock import ManualClock

RACHEL, VICTOR = "U0RACHEL", "U0VICTOR"
RACHEL_EMAIL = "rachel.kim@northwind.example"
VICTOR_EMAIL = "victor.alvarez@northwind.example"
START = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
CHLOE = ("crm", "acct-0001-c06")  # two Acme contacts the graph keeps apart
JOSEPH = ("crm", "acct-0001-c07")
ACME = ("crm", "acct-0001")  # and a pair it links
ACME_SUPPORT = ("support", "org-1042")
DIANA = ("crm", "acct-0002-c02")  # a pair nobody decides
JULIAN = ("crm", "acct-0002-c05")


def maybe(left: RecordKey, right: RecordKey) -> Review:
    evidence = (
        Evidence(field="last_name", level="far", weight=-2.0),
        Evidence(field="company", level="exact", weight=3.8),
        Evidence(field="email", level="domain", weight=-5.7),
    )
    link = Link(
        left=left,
        right=right,
        probability=0.72,
        bayes_factor=1.4,
        band="maybe",
        source="model",
        evidence=evidence,
    )
    return Review(link=link, reason="maybe")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(
        state_dir=tmp_path / ".crosswire",
        scheduler=False,
        identity_admins=f"{RACHEL_EMAIL}, {VICTOR_EMAIL}",
    )
    settings.state_dir.mkdir(parents=True)
    return settings


async def plant(settings: Settings, reviews: list[Review]) -> None:
    """The graph built once, with ``reviews`` left for a person (as a build writes them)."""
    clock = ManualClock(START)
    audit = await AuditStore.open(settings.audit_database_url, clock=clock)
    world = await open_demo_world(settings.demo_database, clock=clock)
    try:
        await IdentityGraph.open(audit.engine, world, clock=clock)
        await GraphTables(audit.engine).write(
            records=(),
            removed=(),
            dropped_entities=(),
            entities=(),
            reviews=reviews,
            state={},
            at=START,
        )
    finally:
        await world.close()
        await audit.close()


@asynccontextmanager
async def bot(
    settings: Settings, standin: SlackWebApiStandIn, at: datetime = START
) -> AsyncIterator[tuple[SlackBot, SlackHarness]]:
    client = web_client(TOKEN, standin.base_url)
    async with slack_bot(settings, client, signing_secret=SECRET, clock=ManualClock(at)) as b:
        harness = SlackHarness(
            app=b.app, standin=standin, services=b.services, scheduler=b.scheduler
        )
        yield b, harness


@asynccontextmanager
async def workspace() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, "dana.reyes@northwind.example", "Dana Reyes")
        standin.add_user(RACHEL, RACHEL_EMAIL, "Rachel Kim")
        standin.add_user(VICTOR, VICTOR_EMAIL, "Victor Alvarez")
        yield standin


def review_posts(standin: SlackWebApiStandIn, user: str = RACHEL) -> list[PostedMessage]:
    return [
        m
        for m in standin.messages(f"D{user.lstrip('U')}")
        if (m.metadata or {}).get("event_type") == REVIEW_EVENT
    ]


def review_id(message: PostedMessage) -> str:
    assert message.metadata is not None
    return str(message.metadata["event_payload"]["review_id"])


def post_about(standin: SlackWebApiStandIn, name: str, user: str = RACHEL) -> PostedMessage:
    [found] = [m for m in review_posts(standin, user) if name in m.text]
    return found


def click(
    standin: SlackWebApiStandIn, action: str, message: PostedMessage, user: str
) -> payloads.Payload:
    channel = f"D{user.lstrip('U')}"
    return payloads.block_action(
        action,
        review_id(message),
        user_id=user,
        channel_id=channel,
        message_ts=message.ts,
        response_url=standin.response_url(channel, user),
    )


def told(standin: SlackWebApiStandIn, user: str) -> list[str]:
    return [str(e["text"]) for e in standin.ephemerals(user)]


def audited(settings: Settings) -> list[dict[str, Any]]:
    with sqlite3.connect(settings.state_dir / "crosswire.db") as db:
        rows = db.execute(
            "SELECT detail FROM audit_events WHERE kind = 'identity_override' ORDER BY id"
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


def buttons(message: PostedMessage) -> list[str]:
    return [
        e["action_id"]
        for b in message.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def test_each_maybe_is_put_to_each_admin_once_and_decided_by_the_first_click(
    settings: Settings,
) -> None:
    await plant(settings, [maybe(CHLOE, JOSEPH), maybe(ACME, ACME_SUPPORT), maybe(DIANA, JULIAN)])
    async with workspace() as standin:
        async with bot(settings, standin) as (b, slack):
            await standin.wait_for(
                lambda s: len(review_posts(s)) == 3 == len(review_posts(s, VICTOR)), 15
            )
            chloe = post_about(standin, "Chloe Hernandez")
            assert buttons(chloe) == [SAME, DIFFERENT]
            shown = json.dumps(chloe.blocks)
            assert "Joseph Thomas" in shown and "chloe.hernandez@acme.io" in shown
            assert "company (exact)" in shown and "last_name (far)" in shown and "72%" in shown
            assert review_id(chloe).isdigit()  # the buttons carry the review id, nothing else
            assert {
                e["value"]
                for b_ in chloe.blocks or []
                if b_["type"] == "actions"
                for e in b_["elements"]
            } == {review_id(chloe)}

            # Dana is not an identity admin: refused, told so, audited.
            await slack.send(click(standin, SAME, chloe, DANA))
            await standin.wait_for(lambda s: len(told(s, DANA)) == 1)
            assert "Only an identity admin" in told(standin, DANA)[0]
            refused = audited(settings)[-1]
            assert refused["outcome"] == "refused" and refused["reason"] == "not_admin"
            assert refused["by"] == "dana.reyes@northwind.example"

            # Rachel says Same: recorded as the CLI records it; the message shows who and when.
            graph = b.services.directory.graph
            assert graph is not None
            assert graph.entity_of(CHLOE) != graph.entity_of(JOSEPH)
            await slack.send(click(standin, SAME, chloe, RACHEL))
            await standin.wait_for(
                lambda s: (
                    not buttons(post_about(s, "Chloe Hernandez"))
                    and not buttons(post_about(s, "Chloe Hernandez", VICTOR))
                )
            )
            decided = post_about(standin, "Chloe Hernandez")
            assert "Rachel Kim decided at 14:00 UTC: the same" in json.dumps(decided.blocks)
            assert not buttons(post_about(standin, "Chloe Hernandez", VICTOR))  # every copy
            recorded = audited(settings)[-1]
            assert recorded["outcome"] == "recorded" and recorded["verdict"] == "same"
            assert recorded["by"] == RACHEL_EMAIL and recorded["left"] == "crm:acct-0001-c06"
            await b.services.directory.refresh()
            entity = graph.entity_of(CHLOE)
            assert entity is not None and JOSEPH in entity.records

            # Victor clicks Different on the same review, too late.
            await slack.send(click(standin, DIFFERENT, decided, VICTOR))
            await standin.wait_for(lambda s: len(told(s, VICTOR)) == 1)
            assert told(standin, VICTOR) == [
                "Already decided by Rachel Kim at 14:00 UTC: the same."
            ]
            entity = graph.entity_of(CHLOE)
            assert entity is not None and JOSEPH in entity.records

            # Victor says the Acme support desk is not Acme: the entity is split.
            acme = post_about(standin, "Acme Corporation", VICTOR)
            await slack.send(click(standin, DIFFERENT, acme, VICTOR))
            await standin.wait_for(lambda s: not buttons(post_about(s, "Acme Corporation")))
            await b.services.directory.refresh()
            entity = graph.entity_of(ACME)
            assert entity is not None and ACME_SUPPORT not in entity.records
            assert [o.verdict for o in graph.overrides] == ["same", "not_same"]
            posted = len(standin.calls_to("chat.postMessage"))

        # A restart puts nothing again, decided or not.
        async with bot(settings, standin, START + timedelta(minutes=1)) as (b, slack):
            await b.services.directory.refresh()
            assert len(standin.calls_to("chat.postMessage")) == posted
            assert len(review_posts(standin)) == 3


async def test_a_crash_between_posting_and_recording_it_does_not_post_twice(
    settings: Settings,
) -> None:
    await plant(settings, [maybe(DIANA, JULIAN)])
    async with workspace() as standin:
        async with bot(settings, standin):
            await standin.wait_for(
                lambda s: len(review_posts(s)) == 1 == len(review_posts(s, VICTOR)), 15
            )
        audit = await AuditStore.open(settings.audit_database_url)
        try:  # as if the process had died after posting, before recording the messages
            async with audit.engine.begin() as conn:
                await conn.execute(update(t.review_posts).values(messages=None))
        finally:
            await audit.close()
        later = START + timedelta(minutes=10)
        async with bot(settings, standin, later) as (b, _):
            posts = ReviewPosts(b.services.audit.engine, ManualClock(later))
            async with asyncio.timeout(15):
                # no Slack call follows the recording, so the stand-in cannot be waited on
                while (post := await posts.get(1)) is None or post.messages is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert {m[0] for m in post.messages} == {"D0RACHEL", "D0VICTOR"}
            assert standin.calls_to("conversations.history")  # looked for before posting
        assert len(standin.calls_to("chat.postMessage")) == 2  # one per admin, ever
        assert len(review_posts(standin)) == 1


async def test_an_admin_decides_from_the_terminal_sandbox(settings: Settings) -> None:
    async with workspace() as standin, bot(settings, standin) as (b, _):
        screen = io.StringIO()
        chat = SandboxChat(
            app=b.app, standin=standin, signing_secret=SECRET, out=screen, ansi=False
        )
        chat.attach()
        graph = b.services.directory.graph
        assert graph is not None
        review = maybe(CHLOE, JOSEPH)  # the graph finds a maybe while the sandbox is open
        await GraphTables(b.services.audit.engine).write(
            records=(),
            removed=(),
            dropped_entities=(),
            entities=(),
            reviews=[review],
            state={},
            at=START,
        )
        graph.reviews.append(review)
        clock = ManualClock(START)
        reviews = IdentityReviews(
            web_client(TOKEN, standin.base_url),
            b.services.directory,
            ReviewPosts(b.services.audit.engine, clock),
            admins_of(settings.identity_admins),
            clock,
        )
        assert await reviews.post_pending() == 1
        out = screen.getvalue()
        assert "crosswire (DM to Rachel Kim)> " in out and "[1] Same  [2] Different" in out
        await chat.converse(f"/as {RACHEL_EMAIL}")
        await chat.converse("/press 1")
        entity = graph.entity_of(CHLOE)
        assert entity is not None and JOSEPH in entity.records
        assert "Rachel Kim decided at 14:00 UTC: the same" in screen.getvalue()
