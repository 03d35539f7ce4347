"""A crash never loses or doubles a plan preview: ``crosswire serve`` killed with SIGKILL while
the webinar follow-up waits for Dana to press Run, then started again on the same state and
database, still shows one preview; Dana's Run on the new server continues the run once, to
Rachel Kim's approval and the emails, each sent once. SQLite and PostgreSQL.
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
    DANA,
    RUN_ID,
    WITHIN_S,
    Story,
    approval_posts,
    approve_all,
    assert_audited_once_each,
    assert_sent_once_each,
    deliver,
    mention,
    requested_items,
    story,
    until_answered,
    until_posted_for_approval,
)
from tests.postgres_server import POSTGRES_SERVER, postgres_database

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class PreviewStory(Story):
    """The same story, told to servers that show plan previews."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "CROSSWIRE_PREVIEWS": "on"}


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    async with postgres_database() as name:
        yield f"{POSTGRES_SERVER}/{name}"


def preview_posts(standin: SlackWebApiStandIn) -> list[PostedMessage]:
    return [
        m
        for m in standin.messages(CHANNEL)
        if isinstance(m.metadata, dict) and m.metadata.get("event_type") == PREVIEW_EVENT
    ]


def run_pressed(standin: SlackWebApiStandIn, post: PostedMessage) -> payloads.Payload:
    """Dana's press on Run, on the preview as she sees it."""
    assert post.metadata is not None
    return payloads.block_action(
        "preview.run",
        post.metadata["event_payload"]["preview_id"],
        user_id=DANA,
        channel_id=post.channel,
        message_ts=post.ts,
        response_url=standin.response_url(post.channel, DANA),
        message_text=post.text,
        message_blocks=post.blocks,
        label="Run",
        user_name="dana.reyes",
    )


async def test_a_run_killed_while_its_preview_waits_runs_once_on_the_new_server(
    tmp_path: Path, database_url: str | None
) -> None:
    async with story(tmp_path, database_url) as plain:
        told = PreviewStory(plain.tmp_path, plain.standin, plain.database_url)
        async with told.server("first") as base:
            assert await deliver(base, mention()) == 200
            await told.standin.wait_for(lambda s: bool(preview_posts(s)), WITHIN_S)
            await asyncio.sleep(0.5)  # the preview's step is checkpointed: the run waits
        [post] = preview_posts(told.standin)
        assert approval_posts(told.standin) == []
        async with told.server("second") as base:
            assert await deliver(base, run_pressed(told.standin, post)) == 200
            message = await until_posted_for_approval(told.standin)
            assert await deliver(base, approve_all(told.standin, message)) == 200
            await until_answered(told.standin)
            shown = await asyncio.to_thread(told.crosswire, "audit", "show", RUN_ID)
            count = requested_items(shown)
            outcomes = assert_audited_once_each(shown, count)
            assert set(outcomes.values()) == {"done"}
            outbox = await asyncio.to_thread(told.crosswire, "demo", "outbox", "--json")
            assert_sent_once_each(outbox, count)
        [still] = preview_posts(told.standin)  # the new server found it, and posted no other
        assert still.ts == post.ts
        assert len(approval_posts(told.standin)) == 1
        assert shown.count("outcome: run") == 1
