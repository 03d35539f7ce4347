"""The inbox on PostgreSQL, shared by replicas: deliveries of one ask racing on two replicas
record it once, and a dead replica's asks are taken over by one live replica each."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.inbox import Inbox

pytestmark = pytest.mark.postgres
CLOCK = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


async def inboxes(url: str, *executors: str) -> list[Inbox]:
    audit = await AuditStore.open(url, clock=CLOCK)  # creates the tables
    await audit.close()
    return [Inbox.on(url, executor, CLOCK) for executor in executors]


async def test_deliveries_racing_on_two_replicas_record_an_ask_once(postgres_url: str) -> None:
    one, two = await inboxes(postgres_url, "one", "two")
    keys = [f"k{i}" for i in range(50)]

    receipts = await asyncio.gather(
        *(one.receive(k, {}) for k in keys), *(two.receive(k, {}) for k in keys)
    )

    assert Counter(r.state for r in receipts) == {"new": 50, "queued": 50}
    assert len(await one.backlog()) + len(await two.backlog()) == 50
    for inbox in (one, two):
        await inbox.close()


async def test_a_dead_replicas_asks_are_taken_over_once(postgres_url: str) -> None:
    dead, first, second = await inboxes(postgres_url, "dead", "first", "second")
    for i in range(30):
        await dead.receive(f"k{i}", {"i": i})

    taken = await asyncio.gather(first.adopt("dead"), second.adopt("dead"))

    assert sorted(len(t) for t in taken) == [0, 30]
    winner, entries = (first, taken[0]) if taken[0] else (second, taken[1])
    assert [e.payload["i"] for e in entries] == list(range(30))
    assert await winner.backlog() == entries
    for inbox in (dead, first, second):
        await inbox.close()
