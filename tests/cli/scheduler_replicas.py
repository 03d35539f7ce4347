"""``crosswire serve`` replicas with the scheduler on, for ``test_crash_scheduler.py``: each
in its own folder under its own executor id, logging JSON lines to a file the test reads to
see when it led; and what the database and the Slack stand-in say about them."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.reporters.slack import is_answer
from tests.cli.processes import free_port, http_mode, serving, until_listening
from workflows.schedules.leadership import DEFAULT_NAME, lock_key

SECRET = "crash-scheduler-secret"
START_S = 60.0
SYNC_S = "1"  # CROSSWIRE_SCHEDULE_SYNC: the sync job every second


@dataclass(frozen=True)
class Replica:
    """One serve process: its executor id, the process, and the file its logs go to."""

    executor: str
    process: asyncio.subprocess.Process
    log: Path

    def logged(self, event: str) -> list[dict[str, Any]]:
        """Its JSON log lines of ``event``, in order."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        entries = [_entry(line) for line in lines]
        return [e for e in entries if e is not None and e.get("event") == event]

    def times_led(self) -> list[datetime]:
        """When it started running the scheduler (each ``scheduler.leading``)."""
        return [datetime.fromisoformat(e["timestamp"]) for e in self.logged("scheduler.leading")]


def _entry(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except ValueError:  # a line cut short by SIGKILL, or not one of ours
        return None
    return entry if isinstance(entry, dict) else None


def scheduler_env(slack_api: str, token: str, database_url: str, executor: str) -> dict[str, str]:
    """HTTP mode against the stand-in, on ``database_url``, as ``executor``, with the
    scheduler on, its sync every second, and INFO logs as JSON lines."""
    env = http_mode(slack_api, token=token, secret=SECRET, database_url=database_url)
    return env | {
        "CROSSWIRE_SCHEDULER": "on",
        "CROSSWIRE_SCHEDULE_SYNC": SYNC_S,
        "CROSSWIRE_EXECUTOR_ID": executor,
        "CROSSWIRE_LOG_LEVEL": "INFO",
        "CROSSWIRE_LOG_FORMAT": "json",
    }


@asynccontextmanager
async def replica(
    tmp_path: Path,
    executor: str,
    slack_api: str,
    token: str,
    database_url: str,
    extra: Mapping[str, str] | None = None,
) -> AsyncIterator[Replica]:
    """``crosswire serve`` as ``executor`` in ``tmp_path/executor`` (with ``extra`` settings),
    once it listens; it gets SIGTERM when the block ends (unless it is dead by then)."""
    env = scheduler_env(slack_api, token, database_url, executor) | dict(extra or {})
    port, log = free_port(), tmp_path / f"{executor}.log"
    async with serving(tmp_path / executor / "state", port, env, stderr=log) as process:
        await until_listening(f"http://127.0.0.1:{port}/healthz", START_S)
        yield Replica(executor, process, log)


async def posted_answers(slack_api: str, channel: str) -> Counter[str]:
    """How many answers Slack accepted in ``channel`` for each run id (their metadata)."""
    url = slack_api.removesuffix("api/") + "_sandbox/calls"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        calls: list[dict[str, Any]] = await response.json()
    return Counter(
        str(c["args"]["metadata"]["event_payload"]["run_id"])
        for c in calls
        if c["method"] == "chat.postMessage"
        and c["error"] is None
        and c["args"].get("channel") == channel
        and is_answer(c["args"])
    )


async def scheduler_lock_holders(engine: AsyncEngine) -> int:
    """How many sessions hold the scheduler's advisory lock on the engine's database
    (PostgreSQL shows a bigint key as its high and low 32 bits)."""
    key = lock_key(DEFAULT_NAME)
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
    )
    high, low = (key >> 32) & 0xFFFF_FFFF, key & 0xFFFF_FFFF
    async with engine.connect() as conn:
        return int((await conn.execute(query, {"high": high, "low": low})).scalar_one())


async def fall_silent(engine: AsyncEngine, executor: str) -> None:
    """Make ``executor``'s last heartbeat an hour old by the database's clock, as a dead
    replica's is in time: the next sweep of a live replica takes its runs over."""
    silenced = text(
        "UPDATE replica_heartbeats SET last_seen = now() - interval '1 hour'"
        " WHERE executor_id = :executor"
    )
    async with engine.begin() as conn:
        assert (await conn.execute(silenced, {"executor": executor})).rowcount == 1


async def until(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    """Poll ``check`` (the state is in other processes) until it holds; TimeoutError if not."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 (the state is in other processes)
            await asyncio.sleep(0.25)
