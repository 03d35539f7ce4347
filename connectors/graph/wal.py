"""The identity graph's write-ahead log copied into the SQLite file aside, not in a commit.

In WAL mode SQLite writes a transaction's pages to the log, and the connection that commits
copies the log into the database file when the log has grown past its autocheckpoint (1,000
pages): for a build of a million records some 700 MB copied and synced before the commit
returns, for a refresh of 1% of them tens of MB. The graph is whole and readable once
committed (readers read the log), so :meth:`Checkpoints.deferred` turns the committing
connection's autocheckpoint off for the write and then copies the log on a connection of
its own in another thread (SQLite lets go of the GIL meanwhile), as SQLite's documentation
suggests for an application that would not have a commit wait. Elsewhere (PostgreSQL, an
in-memory SQLite) it does nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from connectors.graph.sqlite_driver import driver_of, execute

BUSY_TIMEOUT_S = 30
log = structlog.get_logger(__name__)


class Checkpoints:
    """The copies of the graph's log into ``engine``'s SQLite file, one after another."""

    def __init__(self, engine: AsyncEngine) -> None:
        database = engine.url.database
        on_file = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        self._path = database if on_file else None
        self._running: asyncio.Future[None] | None = None

    @asynccontextmanager
    async def deferred(self, conn: AsyncConnection) -> AsyncIterator[None]:
        """Within, ``conn`` commits without copying the log; after, its setting is back and
        the log is copied aside (after a copy still running, if there is one). Nothing is
        started when the block fails."""
        if self._path is None:
            yield
            return
        pages = await _autocheckpoint(conn, 0)
        try:
            yield
        finally:
            await _autocheckpoint(conn, pages)
        self._running = asyncio.ensure_future(_after(self._running, self._path))

    async def settled(self) -> None:
        """Wait for the copy started last, if it is still running."""
        if self._running is not None:
            await asyncio.shield(self._running)


async def _autocheckpoint(conn: AsyncConnection, pages: int) -> int:
    """Set the autocheckpoint of ``conn``'s SQLite connection to ``pages`` (0: off), through
    the driver (no transaction begins); the setting it had."""
    driver = await driver_of(conn)
    (was,) = await execute(driver, "PRAGMA wal_autocheckpoint")
    await execute(driver, f"PRAGMA wal_autocheckpoint={int(pages)}")
    return int(was[0])


async def _after(previous: asyncio.Future[None] | None, path: str) -> None:
    if previous is not None:
        await previous
    await asyncio.to_thread(_checkpoint, path)


def _checkpoint(path: str) -> None:
    """Copy the log of the SQLite file at ``path`` into it, as an autocheckpoint does
    (``PASSIVE``: no reader or writer waits for it)."""
    try:
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)) as conn:
            busy, pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error as err:  # the next commit's autocheckpoint copies what is left
        log.warning("identity_graph.checkpoint_failed", error=str(err))
        return
    log.info("identity_graph.checkpointed", pages=pages, copied=copied, busy=bool(busy))
