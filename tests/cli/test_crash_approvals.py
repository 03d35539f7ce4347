"""A crash never loses or doubles an approved action: ``crosswire serve`` killed with SIGKILL
while the webinar follow-up waits for Rachel Kim's approval, or while it sends the emails she
approved, then started again on the same state and database, sends each email exactly once,
posts the approval once and answers once; a click that reached no server decides once when the
new server takes it.

The server runs as its own process in HTTP mode; the Slack stand-in runs in this test's event
loop, so it sees every post and can act at the moment one is made. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.slack_api import PostedMessage, RecordedCall
from tests.cli.approval_crash import (
    RACHEL,
    RUN_ID,
    WITHIN_S,
    HeldApprovalPost,
    Story,
    answers,
    approval_posts,
    approve_all,
    assert_audited_once_each,
    assert_posted_once_each,
    assert_sent_once_each,
    audit_writes_held,
    deliver,
    mention,
    requested_items,
    story,
    until_answered,
    until_noted,
    until_posted_for_approval,
    until_sent,
)
from tests.postgres_server import POSTGRES_SERVER, postgres_database

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """The server's database: the state folder's SQLite (None), or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        yield None
        return
    async with postgres_database() as name:
        yield f"{POSTGRES_SERVER}/{name}"


async def checked(told: Story) -> dict[str, str]:
    """Everything happened once: the emails, the posts, the steps and the decision. The
    outcome of each email's recorded action, by its idempotency key."""
    shown = await asyncio.to_thread(told.crosswire, "audit", "show", RUN_ID)
    count = requested_items(shown)
    assert count > 0
    outcomes = assert_audited_once_each(shown, count)
    assert_sent_once_each(
        await asyncio.to_thread(told.crosswire, "demo", "outbox", "--json"), count
    )
    assert_posted_once_each(told.standin)
    return outcomes


@pytest.mark.parametrize("kill_point", ["after_the_approval_post_was_accepted", "while_it_waits"])
async def test_a_run_killed_around_its_request_for_approval_is_approved_on_the_new_server(
    tmp_path: Path, database_url: str | None, kill_point: str
) -> None:
    async with story(tmp_path, database_url) as told:
        held = HeldApprovalPost(told.standin) if kill_point != "while_it_waits" else None
        async with told.server("first") as base:
            assert await deliver(base, mention()) == 200
            if held is None:
                await until_noted(told.standin)
                await asyncio.sleep(0.5)  # the request's step is checkpointed: the run waits
            else:
                await asyncio.wait_for(held.accepted.wait(), WITHIN_S)
        if held is not None:
            held.released.set()  # its caller is gone: nobody reads this answer
        [message] = approval_posts(told.standin)
        async with told.server("second") as base:
            await until_noted(told.standin)  # after the post, found again and not posted twice
            assert await deliver(base, approve_all(told.standin, message)) == 200
            await until_answered(told.standin)
            assert set((await checked(told)).values()) == {"done"}


def settles(call: RecordedCall, message: PostedMessage) -> bool:
    """Whether ``call`` edits the approval message to its decided state."""
    edits = call.method == "chat.update" and call.error is None
    return edits and call.args.get("channel") == message.channel and call.args["ts"] == message.ts


async def test_a_run_killed_while_it_sends_the_approved_emails_sends_each_once(
    tmp_path: Path, database_url: str | None
) -> None:
    async with story(tmp_path, database_url) as told, AsyncExitStack() as holding:
        held = asyncio.Event()

        async def hold_the_audit(call: RecordedCall) -> None:
            # Once the approval shows its decision, the run goes on to send the emails; with
            # the audit held, the send step cannot record them, so it is never checkpointed.
            if not held.is_set() and settles(call, message):
                await holding.enter_async_context(audit_writes_held(told.state, database_url))
                held.set()

        async with told.server("first") as base:
            assert await deliver(base, mention()) == 200
            message = await until_posted_for_approval(told.standin)
            told.standin.subscribe(hold_the_audit)
            assert await deliver(base, approve_all(told.standin, message)) == 200
            await asyncio.wait_for(held.wait(), WITHIN_S)
            # SIGKILL once an email is out, before the step could record any
            sent = {m.idempotency_key for m in await until_sent(told.state)}
        await holding.aclose()
        assert not answers(told.standin)
        async with told.server("second"):
            await until_answered(told.standin)
            outcomes = await checked(told)
        # The send step ran again: it found the emails sent before the crash under their keys
        # (and any that went out while the server died), and sent the others.
        assert sent and {k for k, o in outcomes.items() if o == "duplicate"} >= sent
        assert set(outcomes.values()) <= {"done", "duplicate"}


async def test_a_click_the_dead_server_never_answered_decides_once_on_the_new_one(
    tmp_path: Path, database_url: str | None
) -> None:
    async with story(tmp_path, database_url) as told:
        async with told.server("first") as base:
            assert await deliver(base, mention()) == 200
            message = await until_posted_for_approval(told.standin)
        click = approve_all(told.standin, message)
        with pytest.raises(aiohttp.ClientConnectionError):  # Slack got no 200: it sends again
            await deliver(base, click)
        async with told.server("second") as base:
            assert await deliver(base, click) == 200
            assert await deliver(base, click) == 200  # and once more: decided already
            await until_answered(told.standin)
            assert set((await checked(told)).values()) == {"done"}
            shown = await asyncio.to_thread(told.crosswire, "audit", "show", RUN_ID)
        assert len(re.findall(r"approval \S+ already_decided: Rachel Kim", shown)) == 1
        [told_rachel] = told.standin.ephemerals(RACHEL)
        assert told_rachel["text"].startswith("Already approved by Rachel Kim")
