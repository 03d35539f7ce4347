"""The inbox on SQLite: group commit, a second delivery finding the first, each executor's
backlog in arrival order, a dead executor's rows taken over once, a database that refuses."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, text

from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.inbox import Inbox, InboxUnavailable

CLOCK = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    """An audit database, its tables created."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    audit = await AuditStore.open(url, clock=CLOCK)
    await audit.close()
    yield url


@pytest.fixture
async def store(url: str) -> AsyncIterator[AuditStore]:
    audit = await AuditStore.open(url, clock=CLOCK)
    yield audit
    await audit.close()


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """A list that grows by one at every transaction committed (by any engine) meanwhile."""
    seen: list[int] = []

    def count(_: Any) -> None:
        seen.append(1)

    event.listen(sa.Engine, "commit", count)
    yield seen
    event.remove(sa.Engine, "commit", count)


async def test_a_burst_of_deliveries_is_written_in_a_few_transactions(
    url: str, commits: list[int]
) -> None:
    inbox = Inbox.on(url, "local", CLOCK)

    receipts = await asyncio.gather(*(inbox.receive(f"k{i}", {"i": i}) for i in range(100)))

    assert {r.state for r in receipts} == {"new"}
    assert len(commits) <= 5
    assert [e.payload["i"] for e in await inbox.backlog()] == list(range(100))


async def test_a_second_delivery_finds_the_first_and_then_that_it_was_handled(
    url: str,
) -> None:
    inbox = Inbox.on(url, "local", CLOCK)
    together = await asyncio.gather(inbox.receive("k", {}), inbox.receive("k", {}))
    assert Counter(r.state for r in together) == {"new": 1, "queued": 1}
    assert (await inbox.receive("k", {})).state == "queued"

    inbox.done("k")
    # Marks wait for the next batch (or a moment), yet a delivery already finds it done.
    assert (await inbox.receive("k", {})).state == "done"
    await inbox.flush()
    assert (await inbox.receive("k", {})).state == "done"
    assert await inbox.backlog() == []


async def test_handled_asks_are_forgotten_after_a_day(url: str) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    inbox = Inbox.on(url, "local", clock)
    await inbox.receive("old", {})
    await inbox.receive("pending", {})
    inbox.done("old")
    await inbox.flush()
    clock.advance(timedelta(days=1, hours=2))

    await inbox.receive("new", {})
    inbox.done("new")
    await inbox.flush()

    assert (await inbox.receive("old", {})).state == "new"  # forgotten: a day-old retry is new
    assert (await inbox.receive("new", {})).state == "done"
    assert [e.key for e in await inbox.backlog()] == ["pending", "old"]
    await inbox.close()


async def test_each_executor_works_through_its_own_backlog_oldest_first(url: str) -> None:
    one, other = Inbox.on(url, "one", CLOCK), Inbox.on(url, "other", CLOCK)
    for key in ("a", "b", "c"):
        await one.receive(key, {"key": key})
    await other.receive("x", {"key": "x"})
    one.done("b")
    await one.flush()

    assert [e.key for e in await one.backlog()] == ["a", "c"]
    assert [e.key for e in await other.backlog()] == ["x"]


async def test_a_dead_executors_asks_are_taken_over_by_one_replica_each(url: str) -> None:
    dead = Inbox.on(url, "dead", CLOCK)
    for i in range(20):
        await dead.receive(f"k{i}", {})
    dead.done("k0")
    await dead.flush()
    first, second = Inbox.on(url, "first", CLOCK), Inbox.on(url, "second", CLOCK)

    taken = await asyncio.gather(first.adopt("dead"), second.adopt("dead"))

    assert sorted(len(t) for t in taken) == [0, 19]
    mine = [e.key for e in await first.backlog()] + [e.key for e in await second.backlog()]
    assert sorted(mine) == sorted(f"k{i}" for i in range(1, 20))
    assert await dead.backlog() == []


async def test_a_database_that_cannot_take_the_row_refuses_the_delivery(
    url: str, store: AuditStore
) -> None:
    inbox = Inbox.on(url, "local", CLOCK)
    async with store.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))

    with pytest.raises(InboxUnavailable):
        await inbox.receive("k", {})

    async with store.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    assert (await inbox.receive("k", {})).state == "new"
