"""A crash never loses a clarifying question: ``crosswire serve`` killed with SIGKILL while
Rachel Kim's "brief me on Summit" waits for her to say which Summit, then started again on the
same state and database, still shows one question; her choice on the new server continues
the same run, to the briefing on the customer she chose. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.reporters.previews import PREVIEW_EVENT
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage, SlackWebApiStandIn
from tests.cli.approval_crash import (
    CHANNEL,
    RACHEL,
    WITHIN_S,
    answers,
    deliver,
    story,
    until_answered,
)
from tests.postgres_server import POSTGRES_SERVER, postgres_database
from workflows.engine.clarify import question_id

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
THREAD = "1700000700.000100"
EVENT = "Ev0CRASHASK"
RUN_ID = f"slack-{EVENT}"
HEALTH = "Summit Health Systems"


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    async with postgres_database() as name:
        yield f"{POSTGRES_SERVER}/{name}"


def question_posts(standin: SlackWebApiStandIn) -> list[PostedMessage]:
    return [
        m
        for m in standin.messages(CHANNEL)
        if isinstance(m.metadata, dict) and m.metadata.get("event_type") == PREVIEW_EVENT
    ]


def chose(standin: SlackWebApiStandIn, post: PostedMessage, label: str) -> payloads.Payload:
    """Rachel's press on the button ``label``, on the question as she sees it."""
    button = next(
        e
        for b in post.blocks or []
        for e in b.get("elements") or []
        if e.get("type") == "button" and e["text"]["text"] == label
    )
    return payloads.block_action(
        str(button["action_id"]),
        str(button["value"]),
        user_id=RACHEL,
        channel_id=post.channel,
        message_ts=post.ts,
        response_url=standin.response_url(post.channel, RACHEL),
        message_text=post.text,
        message_blocks=post.blocks,
        label=label,
        user_name="rachel.kim",
    )


async def test_a_run_killed_while_its_question_waits_continues_on_the_new_server(
    tmp_path: Path, database_url: str | None
) -> None:
    async with story(tmp_path, database_url) as told:
        asked = payloads.app_mention(
            "brief me on Summit", user=RACHEL, channel=CHANNEL, ts=THREAD, event_id=EVENT
        )
        async with told.server("first") as base:
            assert await deliver(base, asked) == 200
            await told.standin.wait_for(lambda s: bool(question_posts(s)), WITHIN_S)
            await asyncio.sleep(0.5)  # the question's step is checkpointed: the run waits
        [post] = question_posts(told.standin)
        assert answers(told.standin) == []
        async with told.server("second") as base:
            assert await deliver(base, chose(told.standin, post, HEALTH)) == 200
            await until_answered(told.standin)
            shown = await asyncio.to_thread(told.crosswire, "audit", "show", RUN_ID)
        [still] = question_posts(told.standin)  # the new server found it, and posted no other
        assert still.ts == post.ts
        [answer] = answers(told.standin)
        assert HEALTH in str(answer.args)
        assert "Summit Financial Group" not in str(answer.args)
        assert question_id(RUN_ID) in shown
        assert shown.count("outcome: answered") == 1
