"""The audit's writes on SQLite: one thread, one hop per transaction.

``aiosqlite`` hands every DBAPI call to its thread and waits for the answer: a two-statement
write is eight hops (cursor, execute, close, twice; commit; the pool's reset), and on a busy
machine each hop waits for the scheduler to run the other thread. Here the whole transaction
runs in the writer thread on a plain ``sqlite3`` connection (the same file, WAL, the same busy
timeout), so the event loop waits once. One thread also means the process's audit writes
never queue for SQLite's lock behind each other. Reads stay on the async engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL

BUSY_TIMEOUT_S = 30


class SqliteWrites:
    """Runs transactions of SQLAlchemy Core statements on the SQLite file at ``url``."""

    def __init__(self, url: URL) -> None:
        self._engine = sa.create_engine(
            url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=1,
        )
        sa.event.listen(self._engine, "connect", _pragmas)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-writes")

    async def run(self, statements: Sequence[Any]) -> None:
        """One transaction of ``statements`` (a statement, or a statement and its rows)."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._run, statements)

    def _run(self, statements: Sequence[Any]) -> None:
        with self._engine.begin() as conn:
            for statement in statements:
                if isinstance(statement, tuple):
                    conn.execute(*statement)
                else:
                    conn.execute(statement)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self._engine.dispose()


def _pragmas(dbapi_conn: Any, _: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
