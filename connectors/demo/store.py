"""The demo world on its SQLite file, kept current for the clock's day while it is open.

Rows are generated per seed and day (:mod:`connectors.demo.world`). The file's ``meta`` table
records the seed, the day and the generator version the rows were built for. Every read
(:meth:`DemoWorld.read`) takes "now" from the clock and first checks, inside its own read
transaction, that the rows are the clock's day's; when the day has moved on (a server that
runs past midnight), the world is regenerated before the read goes on, so no answer is ever
computed from yesterday's rows or against yesterday's "now".

Regenerating is safe while the server runs: one rebuild at a time (an asyncio lock), inside
one transaction, so a reader sees either the whole old world or the whole new one (the file
is in WAL mode and every read is a transaction of its own, so a read that started before a
rebuild finishes on the old rows). Record ids and names do not depend on the day, only dates
do, so an identity directory built from the world stays valid across rebuilds. What the
systems were asked to write is kept apart, in tables no rebuild touches
(:mod:`connectors.demo.writes`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import structlog
from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from connectors.demo import schema
from connectors.demo.identity_source import demo_changes, demo_records
from connectors.demo.world import generate_world
from connectors.demo.writes import create_write_tables
from connectors.graph.source import SourceChanges, SourceSnapshot
from workflows.clock import Clock

GENERATOR_VERSION: Final = "7"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DemoRead:
    """One read of the world: a connection on a consistent snapshot, and the moment it is
    answered for. ``now`` (aware, UTC) is where "upcoming" meetings and "since" windows start;
    ``today`` (its UTC date) is the day the rows were generated for."""

    conn: AsyncConnection
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def midnight(self) -> datetime:
        """The start of ``today`` in UTC: what ``"today"`` calendar rows are counted from."""
        return datetime(self.today.year, self.today.month, self.today.day, tzinfo=UTC)


class DemoWorld:
    """An opened demo world: its database, its seed, and the clock it follows."""

    def __init__(self, path: Path, engine: AsyncEngine, seed: int, clock: Clock) -> None:
        self.path = path
        self.engine = engine
        self.seed = seed
        self.clock = clock
        self._rebuilding = asyncio.Lock()

    @property
    def now(self) -> datetime:
        """The clock's current moment, in UTC."""
        return self.clock.now().astimezone(UTC)

    @property
    def today(self) -> date:
        """The clock's current UTC date: the day a read's rows are generated for."""
        return self.now.date()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[DemoRead]:
        """A read transaction on rows generated for the clock's day, regenerating first if
        the day has moved on since the rows were built."""
        while True:
            now = self.now
            async with self.engine.connect() as conn:
                # The first statement opens the snapshot: checking it is the right day here
                # means a rebuild committing meanwhile cannot mix two days into one read.
                if await _stored_meta(conn) == self._wanted(now.date()):
                    yield DemoRead(conn, now)
                    return
            await self.regenerate(now.date())

    @asynccontextmanager
    async def write(self) -> AsyncIterator[DemoRead]:
        """A write transaction (one writer at a time: it takes the file's write lock first),
        answered for the clock's current moment. Writes go to the write tables, which every
        day's world shares (:mod:`connectors.demo.writes`)."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            async with conn.begin():
                yield DemoRead(conn, self.now)

    async def regenerate(self, day: date) -> None:
        """Make the file hold the rows for ``day``; does nothing if it already does."""
        async with self._rebuilding:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
                async with conn.begin():
                    if await _meta(conn) == self._wanted(day):
                        return
                    started = time.perf_counter()
                    await _rebuild(conn, self.seed, day, self._wanted(day))
            ms = round((time.perf_counter() - started) * 1000)
            log.info("demo.world_generated", day=day.isoformat(), seed=self.seed, ms=ms)

    def _wanted(self, day: date) -> dict[str, str]:
        return {"seed": str(self.seed), "today": day.isoformat(), "version": GENERATOR_VERSION}

    async def records(self) -> SourceSnapshot:
        """Every system's people and companies for the identity layer (an
        :class:`~connectors.graph.IdentitySource`, see :mod:`connectors.demo.identity_source`)."""
        return await demo_records(self)

    async def changed_since(self, cursor: str) -> SourceChanges:
        """What changed for the identity layer since ``cursor``."""
        return await demo_changes(self, cursor)

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()


async def open_demo_world(path: Path, *, clock: Clock, seed: int = 7) -> DemoWorld:
    """Open the demo world in ``path``, generating it unless it is current for the clock's day
    and ``seed``; it then follows ``clock`` for as long as it is open."""
    world = DemoWorld(path, _engine(path), seed, clock)
    await world.regenerate(world.today)
    async with world.engine.begin() as conn:
        await conn.run_sync(create_write_tables)
    return world


def _engine(path: Path) -> AsyncEngine:
    """An engine whose transactions are real SQLite transactions, DDL and reads included
    (the sqlite3 driver's legacy mode begins one only before a write), on a WAL file so a
    rebuild never waits for readers and readers never wait for a rebuild."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine


async def _meta(conn: AsyncConnection) -> dict[str, str]:
    """What the file's rows were built for; empty for a new or foreign file."""
    if not await conn.run_sync(_has_meta):
        return {}
    return await _stored_meta(conn)


async def _stored_meta(conn: AsyncConnection) -> dict[str, str]:
    result = await conn.execute(select(schema.meta.c.key, schema.meta.c.value))
    return {str(row.key): str(row.value) for row in result}


def _has_meta(conn: Connection) -> bool:
    return inspect(conn).has_table(schema.meta.name)


async def _rebuild(conn: AsyncConnection, seed: int, today: date, meta: dict[str, str]) -> None:
    await conn.run_sync(schema.metadata.drop_all)
    await conn.run_sync(schema.metadata.create_all)
    for table, rows in generate_world(seed, today).items():
        if rows:
            await conn.execute(schema.metadata.tables[table].insert(), rows)
    rows_meta = [{"key": k, "value": v} for k, v in meta.items()]
    await conn.execute(schema.meta.insert(), rows_meta)
