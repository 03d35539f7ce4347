"""A crash around a Slack post never doubles it: ``crosswire serve`` killed with SIGKILL after
Slack accepted a post and before the step that made it was checkpointed, then started again on
the same database, leaves one progress message (in its final state) and one answer.

The server runs as its own process in HTTP mode; the Slack stand-in runs in this test's event
loop, so it can hold back its answer to the post until the server is dead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reporters.slack import is_answer, is_progress
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import PostedMessage, RecordedCall, SlackWebApiStandIn
from tests.cli.processes import crosswire, http_mode, killed_at_exit
from tests.postgres_server import POSTGRES_SERVER, postgres_database

TOKEN = "xoxb-crash-posts"
SECRET = "crash-posts-secret"
CHANNEL = "C0CRASHPOST"
THREAD = "1700000500.000100"
EVENT = "Ev0CRASHPOST"
RUN_ID = f"slack-{EVENT}"
WITHIN_S = 90.0
KILL_POINTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "after_the_progress_post_was_accepted": is_progress,
    "after_the_answer_post_was_accepted": is_answer,
}


class HeldPost:
    """Holds Slack's answer to the first post that ``kind`` matches, once Slack took it."""

    def __init__(self, standin: SlackWebApiStandIn, kind: Callable[[dict[str, Any]], bool]):
        self.accepted, self.released = asyncio.Event(), asyncio.Event()
        self._kind = kind
        standin.subscribe(self._hold)

    async def _hold(self, call: RecordedCall) -> None:
        taken = call.method == "chat.postMessage" and call.error is None
        if taken and self._kind(call.args) and not self.accepted.is_set():
            self.accepted.set()
            await self.released.wait()  # the caller hears nothing until it is dead


async def mention(base: str) -> None:
    sent = payloads.app_mention(
        "brief me on Acme", user="U0DANA", channel=CHANNEL, ts=THREAD, event_id=EVENT
    )
    body = sent.body.encode()
    headers = signed_headers(body, SECRET, content_type=sent.content_type)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/slack/events", data=body, headers=headers) as ack,
    ):
        assert ack.status == 200


def thread(standin: SlackWebApiStandIn, event_type: str) -> list[PostedMessage]:
    return [
        m
        for m in standin.messages(CHANNEL)
        if m.thread_ts == THREAD and m.metadata and m.metadata["event_type"] == event_type
    ]


def finished(standin: SlackWebApiStandIn) -> bool:
    """The progress message says where the briefing is: the run's last post is done."""
    return any(m.text.startswith("Briefing on") for m in thread(standin, "crosswire_progress"))


async def crash_and_restart(
    tmp_path: Path, kill_point: str, database_url: str | None
) -> SlackWebApiStandIn:
    """One mention; SIGKILL once Slack took the chosen post; start again; wait for the end."""
    state = tmp_path / "state"
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user("U0DANA", "dana.reyes@northwind.example", "Dana Reyes")
        env = http_mode(standin.base_url, token=TOKEN, secret=SECRET, database_url=database_url)
        held = HeldPost(standin, KILL_POINTS[kill_point])
        async with killed_at_exit(state, env, tmp_path / "first.log") as base:
            await mention(base)
            await asyncio.wait_for(held.accepted.wait(), WITHIN_S)
        held.released.set()  # its caller is gone: nobody reads this answer
        async with killed_at_exit(state, env, tmp_path / "second.log"):
            await standin.wait_for(finished, WITHIN_S)
            await asyncio.sleep(0.5)  # a second copy, if one were coming, would be posted now
        return standin


def assert_one_copy_of_each(standin: SlackWebApiStandIn) -> None:
    [progress] = thread(standin, "crosswire_progress")
    [answer] = thread(standin, "crosswire_answer")
    assert progress.text.startswith("Briefing on *Acme Corporation* below: 6 of 6")
    assert answer.text.startswith("Briefing on Acme")
    assert answer.metadata == {
        "event_type": "crosswire_answer",
        "event_payload": {"run_id": RUN_ID},
    }


def audited(state: Path, env: dict[str, str]) -> str:
    shown = crosswire(state, "audit", "show", RUN_ID, env=env)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
async def test_a_sigkill_around_a_post_leaves_one_copy_of_each_message_on_sqlite(
    tmp_path: Path, kill_point: str
) -> None:
    standin = await crash_and_restart(tmp_path, kill_point, None)
    assert_one_copy_of_each(standin)
    shown = await asyncio.to_thread(audited, tmp_path / "state", {})
    assert "completed" in shown


@pytest.mark.postgres
@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
async def test_a_sigkill_around_a_post_leaves_one_copy_of_each_message_on_postgresql(
    tmp_path: Path, kill_point: str
) -> None:
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER}/{name}"
        standin = await crash_and_restart(tmp_path, kill_point, url)
        assert_one_copy_of_each(standin)
        env = {"CROSSWIRE_DATABASE_URL": url}
        shown = await asyncio.to_thread(audited, tmp_path / "state", env)
        assert "completed" in shown
