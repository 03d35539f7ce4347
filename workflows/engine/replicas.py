"""Replicas that die: their pending runs are resumed by a live one.

DBOS recovers a process's own pending runs when it restarts with the same executor id, but
nothing resumes the runs of a replica that never comes back (that is DBOS Conductor's job,
which we do not use). So each replica writes a heartbeat row; periodically one replica at a
time (a PostgreSQL advisory lock) finds executors whose heartbeat expired, re-enqueues their
PENDING runs through DBOS, and forgets their row. A live executor's runs are never touched:
only heartbeats older than ``ttl`` count as dead.

On SQLite there is one process by construction, so there is no lock to take.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from dbos import DBOS
from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from workflows.audit.tables import heartbeats
from workflows.clock import SystemClock

log = structlog.get_logger(__name__)
RECOVERY_LOCK = 0x6372_6F73_7377  # "crossw": the advisory lock id of the recovery sweep


@dataclass
class ReplicaWatch:
    engine: AsyncEngine
    executor_id: str
    interval_s: float = 10.0
    ttl_s: float = 60.0
    clock: Callable[[], datetime] = field(default=SystemClock().now)
    # Called with each dead executor's id after its runs were resumed, e.g. to take over
    # the requests it had acknowledged and not yet started (bot/inbox.py).
    takeovers: list[Callable[[str], Awaitable[object]]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def beat(self) -> None:
        """Record that this executor is alive now."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        row = {"executor_id": self.executor_id, "last_seen": self.clock()}
        stmt = dialect.insert(heartbeats).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["executor_id"], set_={"last_seen": row["last_seen"]}
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def sweep(self) -> list[str]:
        """Resume the pending runs of executors whose heartbeat expired; returns their ids."""
        async with self.engine.begin() as conn:
            if not await self._lock(conn):
                return []
            dead = await self._dead(conn)
            for executor in dead:
                handles = await asyncio.to_thread(DBOS._recover_pending_workflows, [executor])
                log.warning("replica.recovered", dead_executor=executor, runs=len(handles))
                for takeover in self.takeovers:
                    await takeover(executor)
                await conn.execute(delete(heartbeats).where(heartbeats.c.executor_id == executor))
        return dead

    async def _lock(self, conn: AsyncConnection) -> bool:
        if conn.dialect.name != "postgresql":
            return True
        query = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool((await conn.execute(query, {"key": RECOVERY_LOCK})).scalar())

    async def _dead(self, conn: AsyncConnection) -> list[str]:
        cutoff = self.clock() - timedelta(seconds=self.ttl_s)
        query = select(heartbeats.c.executor_id).where(
            heartbeats.c.last_seen < cutoff, heartbeats.c.executor_id != self.executor_id
        )
        return sorted((await conn.execute(query)).scalars())

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="replica-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.beat()
                await self.sweep()
            except (SQLAlchemyError, OSError) as exc:  # the database blinked: try next round
                log.warning("replica.watch_failed", error=repr(exc))
            await asyncio.sleep(self.interval_s)
