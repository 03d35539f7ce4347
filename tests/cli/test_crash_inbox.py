"""Nothing acknowledged is lost: ``crosswire serve`` killed with SIGKILL after acknowledging a
burst of mentions answers every one of them, once, when it starts again on the same database.

The server runs as its own process in HTTP mode against the Slack stand-in (another process);
the mentions are signed and sent concurrently over real HTTP, as Slack sends them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.reporters.slack import is_answer_call
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from tests.cli.conftest import TOKEN
from tests.cli.processes import http_mode, killed_at_exit
from tests.postgres_server import POSTGRES_SERVER, postgres_database

SECRET = "crash-inbox-secret"
MENTIONS = 200
IN_FLIGHT = 50
KILL_AFTER_LAST_ACK_S = {"right_after_the_last_ack": 0.0, "a_few_hundred_ms_in": 0.3}
ANSWERED_WITHIN_S = 120.0


async def send_burst(session: aiohttp.ClientSession, url: str) -> list[int]:
    """``MENTIONS`` signed mentions, at most ``IN_FLIGHT`` at once; their HTTP statuses."""
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def send(i: int) -> int:
        mention = payloads.app_mention(
            "brief me on Acme",
            user="U0DANA",
            channel="C0CRASH",
            ts=f"1700001000.{i:06d}",
            event_id=f"Ev0CRASH{i:04d}",
        )
        body = mention.body.encode()
        headers = signed_headers(body, SECRET, content_type=mention.content_type)
        async with slots, session.post(url, data=body, headers=headers) as ack:
            return ack.status

    return list(await asyncio.gather(*(send(i) for i in range(MENTIONS))))


async def answers_per_run(session: aiohttp.ClientSession, slack_api: str) -> Counter[str]:
    """How many answers Slack accepted for each run id (from the answers' metadata)."""
    async with session.get(slack_api.removesuffix("api/") + "_sandbox/calls") as response:
        calls: list[dict[str, Any]] = await response.json()
    return Counter(
        str(c["args"]["metadata"]["event_payload"]["run_id"])
        for c in calls
        if c["error"] is None and is_answer_call(c["method"], c["args"])
    )


async def until(check: Callable[[], Any], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 (the answers are in another process)
            await asyncio.sleep(0.25)


async def crash_and_restart(
    slack_api: str, state: Path, database_url: str | None, kill_after_s: float
) -> Counter[str]:
    env = http_mode(slack_api, token=TOKEN, secret=SECRET, database_url=database_url)
    async with aiohttp.ClientSession() as session:
        async with killed_at_exit(state, env, state.parent / "first.log") as base:
            statuses = await send_burst(session, f"{base}/slack/events")
            assert statuses == [200] * MENTIONS
            await asyncio.sleep(kill_after_s)
        before = await answers_per_run(session, slack_api)
        assert sum(before.values()) < MENTIONS, "the kill came after every answer: no crash"

        async with killed_at_exit(state, env, state.parent / "second.log"):

            async def all_answered() -> bool:
                return len(await answers_per_run(session, slack_api)) >= MENTIONS

            await until(all_answered, ANSWERED_WITHIN_S)
            await asyncio.sleep(1.0)  # a second answer to any of them would show by now
            return await answers_per_run(session, slack_api)


def expected_runs() -> set[str]:
    return {f"slack-Ev0CRASH{i:04d}" for i in range(MENTIONS)}


@pytest.mark.parametrize("kill_point", list(KILL_AFTER_LAST_ACK_S))
async def test_acknowledged_mentions_survive_sigkill_on_sqlite(
    slack_api: str, tmp_path: Path, kill_point: str
) -> None:
    answers = await crash_and_restart(
        slack_api, tmp_path / "state", None, KILL_AFTER_LAST_ACK_S[kill_point]
    )
    assert set(answers) == expected_runs()
    assert [run for run, n in answers.items() if n != 1] == []


@pytest.mark.postgres
@pytest.mark.parametrize("kill_point", list(KILL_AFTER_LAST_ACK_S))
async def test_acknowledged_mentions_survive_sigkill_on_postgresql(
    slack_api: str, tmp_path: Path, kill_point: str
) -> None:
    async with postgres_database() as name:
        answers = await crash_and_restart(
            slack_api,
            tmp_path / "state",
            f"{POSTGRES_SERVER}/{name}",
            KILL_AFTER_LAST_ACK_S[kill_point],
        )
    assert set(answers) == expected_runs()
    assert [run for run, n in answers.items() if n != 1] == []
