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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from workflows.audit.tables import inbox
from workflows.clock import Clock
from workflows.database_url import audit_url as async_form
from workflows.database_url import system_url
from workflows.sanitise import storable, storable_json

log = structlog.get_logger(__name__)
_T = TypeVar("_T")
MARK_DELAY_S = 0.2
KEEP_HANDLED = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)

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
    """The inbox of one executor, on the audit database, through a synchronous driver: a
    batch is one call, on the event loop's thread when SQLite's lock is free (see
    :meth:`_write`), else on the inbox's own thread, never a loop round trip per statement."""

    engine: sa.Engine
    executor_id: str
    clock: Clock
    _arrivals: list[_Waiting] = field(default_factory=list)
    _finished: list[str] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None
    _marking: set[str] = field(default_factory=set)  # marked done, not yet written
    _marks_timer: asyncio.TimerHandle | None = None
    _closed: bool = False
    _pruned_at: datetime | None = None
    # SQLite only: a connection that does not wait for a busy lock (see _write).
    _nowait: sa.Engine | None = None
    _thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="inbox")
    )

    @classmethod
    def on(cls, audit_url: str, executor_id: str, clock: Clock) -> Inbox:
        """The inbox in the audit database at ``audit_url`` (any accepted form), whose tables
        the audit store has created."""
        database = make_url(async_form(audit_url)).database or ""
        # The synchronous driver for the same database: sqlite3, or psycopg as DBOS uses.
        url = system_url(audit_url, database)
        nowait = sync_engine(url, busy_timeout_s=0) if url.startswith("sqlite") else None
        return cls(sync_engine(url), executor_id, clock, _nowait=nowait)

    async def receive(self, key: str, payload: dict[str, Any]) -> Receipt:
        """Record a request, returning once the row is committed (or was already there).

        Raises :class:`InboxUnavailable` when the database cannot take it."""
        # The payload is made storable as it is written (the engine's JSON serializer).
        row = {
            "key": storable(key),
            "received_at": self.clock.now(),
            "executor_id": self.executor_id,
            "status": "pending",
            "payload": payload,
        }
        if self._closed:
            raise InboxUnavailable("the inbox is closed: the server is stopping")
        waiting = _Waiting(row, asyncio.get_running_loop().create_future())
        self._arrivals.append(waiting)
        self._wake()
        receipt = await waiting.future
        if receipt.state == "queued" and key in self._marking:  # done, its mark not yet written
            return Receipt(key, "done")
        return receipt

    def done(self, key: str) -> None:
        """Mark a request started; written with the next batch of requests, or on its own
        after :data:`MARK_DELAY_S`, so that marks never hold up an acknowledgement. Losing
        a mark in a crash costs only a check at the next start (run ids are deterministic)."""
        if self._closed:  # shutting down: the next start checks this one instead
            return
        self._finished.append(key)
        self._marking.add(key)
        self._schedule_marks()

    async def flush(self) -> None:
        """Wait until everything handed in so far is written."""
        if self._marks_timer is not None:
            self._marks_timer.cancel()
            self._marks_due()
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def close(self) -> None:
        """Write what is waiting, then let the thread and the connections go."""
        await self.flush()
        self._closed = True
        self._thread.shutdown(wait=True)
        self.engine.dispose()
        if self._nowait is not None:
            self._nowait.dispose()

    async def backlog(self) -> list[Entry]:
        """This executor's pending requests, oldest first."""
        return await self._in_thread(self._backlog)

    async def adopt(self, dead_executor: str) -> list[Entry]:
        """Take over the pending requests of an executor that died; returns them, oldest
        first. The owner is compared and set in one statement, so one replica wins each
        row."""
        return await self._in_thread(self._adopt, dead_executor)

    # ------------------------------------------------------------------ group commit

    def _schedule_marks(self) -> None:
        if self._marks_timer is None:
            loop = asyncio.get_running_loop()
            self._marks_timer = loop.call_later(MARK_DELAY_S, self._marks_due)

    def _marks_due(self) -> None:
        self._marks_timer = None
        self._wake()

    def _wake(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="inbox-writer")

    async def _write_batches(self) -> None:
        while self._arrivals or (self._finished and self._marks_timer is None):
            await asyncio.sleep(0)  # let requests that arrived in this same moment join
            arrivals, self._arrivals = self._arrivals, []
            finished, self._finished = self._finished, []
            rows = [w.row for w in arrivals]
            try:
                receipts = await self._write(rows, finished)
            except (SQLAlchemyError, OSError) as exc:
                log.error("inbox.write_failed", error=repr(exc), requests=len(arrivals))
                _release(arrivals, error=InboxUnavailable(f"the inbox is unavailable: {exc}"))
                self._finished[:0] = finished  # the marks are tried again later
                self._schedule_marks()
                continue
            self._marking.difference_update(finished)
            _release(arrivals, receipts=receipts)

    async def _write(self, rows: list[dict[str, Any]], finished: list[str]) -> dict[str, Receipt]:
        """On SQLite, first try in the event loop's own thread without waiting for the lock:
        a batch takes well under a millisecond there, while a thread that must win the GIL
        back from a busy loop at every statement takes several. A busy database (another
        writer holds the lock) sends the batch to the thread, which waits for it."""
        if self._nowait is not None:
            try:
                return self._commit(self._nowait, rows, finished)
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
        return await self._in_thread(self._commit, self.engine, rows, finished)

    async def _in_thread(self, work: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    # ------------------------------------------------------------------ on the thread

    def _commit(
        self, engine: sa.Engine, rows: list[dict[str, Any]], finished: list[str]
    ) -> dict[str, Receipt]:
        """One transaction, writing first (so the write lock is taken at once): the done
        marks, the new rows, then what was there before for the keys that were not new (a
        key marked in this same batch reads as done)."""
        receipts: dict[str, Receipt] = {}
        with engine.begin() as conn:
            if finished:
                now = self.clock.now()
                marked = {"status": "done", "done_at": now}
                conn.execute(update(inbox).where(inbox.c.key.in_(finished)).values(marked))
                self._forget_handled(conn, now)
            if rows:
                receipts = self._insert(conn, rows)
        return receipts

    def _forget_handled(self, conn: sa.Connection, now: datetime) -> None:
        """Delete rows handled more than :data:`KEEP_HANDLED` ago, at most once an hour: a
        retry of a request comes within minutes, and the inbox is no archive (the audit is)."""
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        old = (inbox.c.status == "done") & (inbox.c.done_at < now - KEEP_HANDLED)
        conn.execute(delete(inbox).where(old))

    def _insert(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> dict[str, Receipt]:
        unique: dict[str, dict[str, Any]] = {}
        for row in rows:
            unique.setdefault(row["key"], row)
        dialect: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(conn.dialect.name)
        statement = (
            dialect.insert(inbox).on_conflict_do_nothing() if dialect else insert(inbox)
        ).returning(inbox.c.key)
        new = set(conn.execute(statement, list(unique.values())).scalars())
        receipts = {key: Receipt(key, "new") for key in new}
        if earlier := [key for key in unique if key not in new]:
            query = select(inbox.c.key, inbox.c.status).where(inbox.c.key.in_(earlier))
            for key, status in conn.execute(query).all():
                receipts[key] = Receipt(key, "done" if status == "done" else "queued")
        return receipts

    def _backlog(self) -> list[Entry]:
        query = (
            select(inbox.c.key, inbox.c.payload)
            .where(inbox.c.executor_id == self.executor_id, inbox.c.status == "pending")
            .order_by(inbox.c.id)
        )
        with self.engine.connect() as conn:
            return [Entry(key, dict(payload)) for key, payload in conn.execute(query).all()]

    def _adopt(self, dead_executor: str) -> list[Entry]:
        statement = (
            update(inbox)
            .where(inbox.c.executor_id == dead_executor, inbox.c.status == "pending")
            .values(executor_id=self.executor_id)
            .returning(inbox.c.id, inbox.c.key, inbox.c.payload)
        )
        with self.engine.begin() as conn:
            rows = sorted(conn.execute(statement).all())
        return [Entry(key, dict(payload)) for _, key, payload in rows]


def sync_engine(url: str, *, busy_timeout_s: float = 30) -> sa.Engine:
    """A synchronous engine on ``url`` whose JSON is made storable as it is serialised;
    SQLite waits ``busy_timeout_s`` for a busy lock and writes as the audit store does (WAL,
    ``synchronous=NORMAL``)."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, pool_size=2, json_serializer=storable_json)
    engine = sa.create_engine(
        url, connect_args={"timeout": busy_timeout_s}, json_serializer=storable_json
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    return engine


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
