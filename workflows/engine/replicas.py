"""Replicas that die: their pending runs are resumed by a live one.

DBOS recovers a process's own pending runs when it restarts with the same executor id, but
nothing resumes the runs of a replica that never comes back (that is DBOS Conductor's job,
which we do not use). So each replica writes a heartbeat row; periodically one replica at a
time (a PostgreSQL advisory lock, held until the dead executor's row is gone) finds
executors whose heartbeat expired and takes over their PENDING runs through DBOS's public
API: each run is first marked as taken over (a workflow attribute, :data:`TAKEN_OVER_FROM`,
which :mod:`workflows.engine.repeats` reads) and then resumed under the same workflow id
(``DBOS.resume_workflow``: ENQUEUED on its own queue, DBOS's internal one for a run started
directly; the live replica that dequeues it becomes its ``executor_id`` and replays it from
its checkpoints). Resuming restarts ``recovery_attempts`` (hence the mark), so takeovers of
a run that waits for days never push it into DBOS's dead-letter state. A run that was
waiting in ``DBOS.recv`` waits again under the same id, with the timeout it recorded, so a
message sent to that id still reaches it (a fork would not do: it gets a new id). A live
executor's runs are never touched: only heartbeats older than ``ttl`` count as dead.

Time is the database's: on PostgreSQL a heartbeat is stamped with ``now()`` and the cutoff
is ``now() - ttl``, so replicas whose clocks disagree still agree on who is dead. On SQLite
there is one process by construction, so its clock serves, and there is no lock to take.

``resume_workflow`` is unconditional (unlike DBOS's internal recovery, it does not check
whose run it is), so the advisory lock is what makes one replica take each run over: the
runs are listed and resumed, and the dead executor's row deleted, in one locked sweep.
What the lock cannot cover is the dead executor itself coming back under the same id while
a sweep takes its runs over: DBOS's recovery at its launch and the sweep could then both
start a run. A replica should therefore :meth:`ReplicaWatch.beat` before it launches DBOS
(a fresh heartbeat is never swept), which leaves only a sweep already under way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from dbos import DBOS
from sqlalchemy import delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from workflows.audit.tables import heartbeats
from workflows.clock import SystemClock
from workflows.engine.repeats import TAKEN_OVER_FROM

log = structlog.get_logger(__name__)
RECOVERY_LOCK = 0x6372_6F73_7377  # "crossw": the advisory lock id of the recovery sweep


@dataclass
class ReplicaWatch:
    engine: AsyncEngine
    executor_id: str
    interval_s: float = 10.0
    ttl_s: float = 60.0
    # The time on SQLite (one process); PostgreSQL uses its own clock (see the module).
    clock: Callable[[], datetime] = field(default=SystemClock().now)
    # Called with each dead executor's id after its runs were resumed, e.g. to take over
    # the requests it had acknowledged and not yet started (bot/inbox.py).
    takeovers: list[Callable[[str], Awaitable[object]]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def _on_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def _now(self) -> sa.ColumnElement[datetime] | datetime:
        return sa.func.now() if self._on_postgres else self.clock()

    async def beat(self) -> None:
        """Record that this executor is alive now."""
        dialect = postgresql if self._on_postgres else sqlite
        now = self._now()
        stmt = dialect.insert(heartbeats).values(executor_id=self.executor_id, last_seen=now)
        stmt = stmt.on_conflict_do_update(index_elements=["executor_id"], set_={"last_seen": now})
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def sweep(self) -> list[str]:
        """Take over the pending runs of executors whose heartbeat expired; returns their ids."""
        async with self.engine.begin() as conn:
            if not await self._lock(conn):
                return []
            dead = await self._dead(conn)
            for executor in dead:
                runs = await take_over_runs(executor)
                log.warning("replica.recovered", dead_executor=executor, runs=len(runs))
                for takeover in self.takeovers:
                    await takeover(executor)
                await conn.execute(delete(heartbeats).where(heartbeats.c.executor_id == executor))
        return dead

    async def _lock(self, conn: AsyncConnection) -> bool:
        if not self._on_postgres:
            return True
        query = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool((await conn.execute(query, {"key": RECOVERY_LOCK})).scalar())

    async def _dead(self, conn: AsyncConnection) -> list[str]:
        ttl = timedelta(seconds=self.ttl_s)
        if self._on_postgres:
            cutoff: sa.ColumnElement[datetime] | datetime = sa.func.now() - sa.literal(
                ttl, sa.Interval()
            )
        else:
            cutoff = self.clock() - ttl
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


async def take_over_runs(executor: str) -> list[str]:
    """Resume, under their own ids, the PENDING runs of this application version that
    ``executor`` was running, each first marked as taken over from it; returns their ids.

    Call only while holding the recovery lock, for an executor known to be dead."""
    pending = await DBOS.list_workflows_async(
        status="PENDING",
        executor_id=executor,
        app_version=DBOS.application_version,
        load_input=False,
        load_output=False,
    )
    for run in pending:
        await DBOS.update_workflow_attributes_async(
            run.workflow_id, {TAKEN_OVER_FROM: executor}, merge=True
        )
        await DBOS.resume_workflow_async(run.workflow_id, queue_name=run.queue_name)
    return [run.workflow_id for run in pending]
