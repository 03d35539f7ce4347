"""The inbox: what a trigger asked for, written durably before it is acknowledged.

A chat system that got an acknowledgement never sends the request again, so whatever happens
after the acknowledgement (finding out who asked, starting the durable run) must be able to
start again after a crash. The edge therefore records each request here first, keyed by the
run id its trigger determines (a retry of the same request finds its row), and acknowledges
only once the row is committed. A row stays ``pending`` until what it asks for has been
started (or refused); at the next start, the executor's pending rows are its backlog.

**Group commit.** Every request waiting while the previous transaction ran goes into the
next one, and each waiter is released when its own transaction commits: a burst of a
hundred acknowledgements costs a handful of transactions, not a hundred.

**Ownership.** A row belongs to the executor (replica) that received it; only that executor
works through it, so two replicas sharing one PostgreSQL inbox never take the same row. The
rows of an executor that died are taken over with a compare-and-set on the owner
(:meth:`Inbox.adopt`): one replica wins each row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from workflows.audit.tables import inbox
from workflows.clock import Clock
from workflows.sanitise import scrubbed

log = structlog.get_logger(__name__)

#: ``new``: this delivery recorded the request; ``queued``: an earlier delivery did and it has
#: not been started yet; ``done``: an earlier delivery's request has been started or refused.
ReceiptState = Literal["new", "queued", "done"]


class InboxUnavailable(Exception):
    """The inbox could not record a request: it must not be acknowledged (the sender retries)."""


@dataclass(frozen=True)
class Receipt:
    """What recording one delivery found."""

    key: str
    state: ReceiptState


@dataclass(frozen=True)
class Entry:
    """A recorded request not yet started: its key and what it asked for."""

    key: str
    payload: dict[str, Any]


@dataclass
class _Waiting:
    row: dict[str, Any]
    future: asyncio.Future[Receipt]


@dataclass
class Inbox:
    """The inbox of one executor, on the audit database."""

    engine: AsyncEngine
    executor_id: str
    clock: Clock
    _arrivals: list[_Waiting] = field(default_factory=list)
    _finished: list[str] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None

    async def receive(self, key: str, payload: dict[str, Any]) -> Receipt:
        """Record a request, returning once the row is committed (or was already there).

        Raises :class:`InboxUnavailable` when the database cannot take it."""
        row = {
            "key": key,
            "received_at": self.clock.now(),
            "executor_id": self.executor_id,
            "status": "pending",
            "payload": payload,
        }
        waiting = _Waiting(scrubbed(row), asyncio.get_running_loop().create_future())
        self._arrivals.append(waiting)
        self._wake()
        return await waiting.future

    def done(self, key: str) -> None:
        """Mark a request started; written with the next batch. Losing the mark in a crash
        costs only a check at the next start (the run ids are deterministic)."""
        self._finished.append(key)
        self._wake()

    async def flush(self) -> None:
        """Wait until everything handed in so far is written."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def backlog(self) -> list[Entry]:
        """This executor's pending requests, oldest first."""
        query = (
            select(inbox.c.key, inbox.c.payload)
            .where(inbox.c.executor_id == self.executor_id, inbox.c.status == "pending")
            .order_by(inbox.c.id)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Entry(key, dict(payload)) for key, payload in rows]

    async def adopt(self, dead_executor: str) -> int:
        """Take over the pending requests of an executor that died; returns how many. The
        owner is compared and set in one statement, so one replica wins each row."""
        statement = (
            update(inbox)
            .where(inbox.c.executor_id == dead_executor, inbox.c.status == "pending")
            .values(executor_id=self.executor_id)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount

    # ------------------------------------------------------------------ group commit

    def _wake(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="inbox-writer")

    async def _write_batches(self) -> None:
        while self._arrivals or self._finished:
            await asyncio.sleep(0)  # let requests that arrived in this same moment join
            arrivals, self._arrivals = self._arrivals, []
            finished, self._finished = self._finished, []
            try:
                receipts = await self._commit(arrivals, finished)
            except (SQLAlchemyError, OSError) as exc:
                log.error("inbox.write_failed", error=repr(exc), requests=len(arrivals))
                _release(arrivals, error=InboxUnavailable(f"the inbox is unavailable: {exc}"))
                continue
            _release(arrivals, receipts=receipts)

    async def _commit(self, arrivals: list[_Waiting], finished: list[str]) -> dict[str, Receipt]:
        """One transaction: the new rows first (the write lock is taken at once), then what
        was there before for the keys that were not new, then the done marks."""
        receipts: dict[str, Receipt] = {}
        async with self.engine.begin() as conn:
            if arrivals:
                receipts = await self._insert(conn, [w.row for w in arrivals])
            if finished:
                marked = {"status": "done", "done_at": self.clock.now()}
                await conn.execute(update(inbox).where(inbox.c.key.in_(finished)).values(marked))
        return receipts

    async def _insert(
        self, conn: AsyncConnection, rows: list[dict[str, Any]]
    ) -> dict[str, Receipt]:
        unique: dict[str, dict[str, Any]] = {}
        for row in rows:
            unique.setdefault(row["key"], row)
        dialect: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.dialect.name)
        statement = (
            dialect.insert(inbox).on_conflict_do_nothing() if dialect else insert(inbox)
        ).returning(inbox.c.key)
        new = set((await conn.execute(statement, list(unique.values()))).scalars())
        receipts = {key: Receipt(key, "new") for key in new}
        if earlier := [key for key in unique if key not in new]:
            query = select(inbox.c.key, inbox.c.status).where(inbox.c.key.in_(earlier))
            for key, status in (await conn.execute(query)).all():
                receipts[key] = Receipt(key, "done" if status == "done" else "queued")
        return receipts


def _release(
    arrivals: list[_Waiting],
    *,
    receipts: dict[str, Receipt] | None = None,
    error: Exception | None = None,
) -> None:
    """Tell each waiter what its batch found; the second delivery of a key in one batch
    finds the first's row."""
    first: set[str] = set()
    for waiting in arrivals:
        if waiting.future.done():  # the request gave up waiting
            continue
        if error is not None or receipts is None:
            waiting.future.set_exception(error or InboxUnavailable("not written"))
            continue
        key = waiting.row["key"]
        receipt = receipts[key]
        if receipt.state == "new" and key in first:
            receipt = Receipt(key, "queued")
        first.add(key)
        waiting.future.set_result(receipt)
