"""Which process runs the scheduler: exactly one per database, and another when it dies.

Every replica creates a :class:`Leadership` and starts it; the one that takes the lock is the
leader until it stops, dies or loses its hold, and the others try again every ``retry_s``.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``, key :func:`lock_key` of the
  lock's name) on a connection of its own, kept open while the lock is held and checked with a
  ``SELECT 1`` every ``retry_s``. The server releases the lock when the session ends (the
  process died, the connection was killed, the server restarted); a leader that finds its
  connection gone calls ``on_loss`` and goes back to trying. The connection must be a real
  session: behind a pooler in transaction mode (PgBouncer's) a session lock is not kept.
- SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock``, released by the OS
  when the process dies. An in-memory database belongs to one process: it always leads.

A leader that loses its connection learns of it at its next check, so another process may
already lead for up to ``retry_s`` before the old one calls ``on_loss``: leader-only work must
still be idempotent (at-least-once), the lock only keeps two schedulers from running for long.

``on_gain`` is awaited before :attr:`Leadership.held` is true. If it raises, the failure is
logged, ``on_loss`` is called (to undo whatever ``on_gain`` had started), the lock released and
taken again at a later try. ``on_loss`` is always called before the lock is released, so the
old leader's work stops before another process can start its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from workflows.database_url import audit_url

log = structlog.get_logger(__name__)

Callback = Callable[[], Awaitable[None]]
DEFAULT_NAME = "crosswire.scheduler"
# A bound on each connect and query, so a server that stops answering counts as lost.
PG_TIMEOUT_S = 10.0
# What a try that fails on the database counts as: it blinked, try again later.
DATABASE_ERRORS = (SQLAlchemyError, OSError)


def lock_key(name: str) -> int:
    """The advisory-lock key of ``name``: the first 8 bytes of its SHA-256 as a signed 64-bit
    integer (PostgreSQL's ``bigint``), the same in every process and release."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class _Lock(Protocol):
    """One way to hold the leadership lock (see the module)."""

    async def acquire(self) -> bool:
        """Take the lock if it is free; never waits for another holder."""

    async def alive(self) -> bool:
        """Whether the lock taken by :meth:`acquire` is still held."""

    async def release(self) -> None:
        """Let the lock go (safe to call when it is not held, or half taken)."""


class _AlwaysLock:
    """An in-memory SQLite database: no other process can see it, so this one leads."""

    async def acquire(self) -> bool:
        return True

    async def alive(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class _FileLock:
    """An exclusive ``flock`` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not inherited by child processes (Python's default), so only this one holds it.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def alive(self) -> bool:
        # A lock file deleted or replaced under us would let another process lock a new one.
        if self._fd is None:
            return False
        try:
            return os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor drops the flock


class _AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection of its own."""

    def __init__(self, url: str, key: int) -> None:
        self.key = key
        self._engine: AsyncEngine = create_async_engine(
            url,
            poolclass=NullPool,  # a closed connection really ends its session
            isolation_level="AUTOCOMMIT",  # never idle in a transaction for hours
            connect_args={"timeout": PG_TIMEOUT_S, "command_timeout": PG_TIMEOUT_S},
        )
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        conn = self._conn = await self._engine.connect()
        query = text("SELECT pg_try_advisory_lock(:key)")
        if bool((await conn.execute(query, {"key": self.key})).scalar()):
            return True
        await self._drop()
        return False

    async def alive(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
        except DATABASE_ERRORS as exc:
            log.warning("leadership.connection_lost", error=repr(exc))
            return False
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(*DATABASE_ERRORS):
            unlock = text("SELECT pg_advisory_unlock(:key)")
            await self._conn.execute(unlock, {"key": self.key})
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Ending the session releases the lock even if the unlock did not get through.
            with contextlib.suppress(*DATABASE_ERRORS):
                await conn.invalidate()
            with contextlib.suppress(*DATABASE_ERRORS):
                await conn.close()

    async def dispose(self) -> None:
        await self._engine.dispose()


def _lock_for(database_url: str, name: str) -> _Lock:
    """The lock that fits ``database_url`` (any form :mod:`workflows.database_url` accepts)."""
    raw = make_url(database_url.strip())
    if raw.get_backend_name() == "sqlite" and raw.database in (None, "", ":memory:"):
        return _AlwaysLock()
    url = make_url(audit_url(database_url))
    if url.get_backend_name() == "sqlite":
        assert url.database is not None  # audit_url refuses a URL without a file
        return _FileLock(Path(f"{url.database}.{name.rpartition('.')[2]}.lock"))
    return _AdvisoryLock(url.render_as_string(hide_password=False), lock_key(name))


class Leadership:
    """This process's claim to run the scheduler (see the module for the contract).

    ``name`` names the lock: processes contend only with those using the same name on the
    same database. The SQLite lock file is ``<database>.<last part of name>.lock``, i.e.
    ``<database>.scheduler.lock`` for the default name."""

    def __init__(
        self,
        database_url: str,
        *,
        retry_s: float = 2.0,
        on_gain: Callback,
        on_loss: Callback,
        name: str = DEFAULT_NAME,
    ) -> None:
        self.database_url = database_url
        self.retry_s = retry_s
        self.name = name
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._lock: _Lock | None = None
        self._locked = False  # the lock is taken (held, or on_gain still running)
        self._held = False
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        """Whether this process leads: the lock is held and ``on_gain`` has returned."""
        return self._held

    async def start(self) -> None:
        """Make a first try now (so a lone process leads once this returns), then keep
        trying, or checking the held lock, every ``retry_s`` until :meth:`stop`."""
        if self._task is not None:
            return
        self._lock = _lock_for(self.database_url, self.name)
        await self._round()
        self._task = asyncio.create_task(self._loop(), name=f"leadership:{self.name}")

    async def stop(self) -> None:
        """Stop trying; if this process led (or was gaining), call ``on_loss`` and release
        the lock, so another process takes over at its next try."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._locked:
            await self._give_up("stopped")
        elif self._lock is not None:
            await self._lock.release()  # a try cut short may have taken it
        if isinstance(self._lock, _AdvisoryLock):
            await self._lock.dispose()
        self._lock = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry_s)
            await self._round()

    async def _round(self) -> None:
        """One try to gain the lock, or one check of the lock held."""
        try:
            if not self._locked:
                await self._try_gain()
            elif not await self._current().alive():
                await self._give_up("lost")
        except DATABASE_ERRORS as exc:  # the database blinked: try next round
            log.warning("leadership.try_failed", lock=self.name, error=repr(exc))
            if self._locked:
                await self._give_up("lost")
            else:
                await self._current().release()

    async def _try_gain(self) -> None:
        if not await self._current().acquire():
            return
        self._locked = True
        try:
            await self._on_gain()
        except Exception as exc:  # a failing callback must not end the loop: release, retry
            log.error("leadership.gain_failed", lock=self.name, error=repr(exc), exc_info=True)
            await self._give_up("gain_failed")
            return
        self._held = True
        log.info("leadership.gained", lock=self.name)

    async def _give_up(self, why: str) -> None:
        """Stop leading: ``on_loss`` first (while the lock still keeps others out), then
        release the lock."""
        self._held = False
        try:
            await self._on_loss()
        except Exception as exc:  # the lock is released whatever on_loss did
            log.error("leadership.loss_failed", lock=self.name, error=repr(exc), exc_info=True)
        finally:
            self._locked = False
            await self._current().release()
        log.warning("leadership.lost", lock=self.name, why=why)

    def _current(self) -> _Lock:
        assert self._lock is not None, "start() first"
        return self._lock
