"""A replica in a process of its own, for the takeover tests in ``test_replicas.py``.

``python -m tests.postgres.replica_process DATABASE_URL EXECUTOR ROLE [RUN_ID]`` launches
DBOS on the database under that executor id and writes its heartbeat. As ``start`` it also
starts the run RUN_ID (:func:`await_word`: one recorded side effect, then a wait of days
for a message) and prints ``waiting`` once the run waits; as ``serve`` it beats and sweeps
for dead replicas every 50 ms (:class:`ReplicaWatch`) and prints ``serving``. Either way it
runs until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from dbos import DBOS, SetWorkflowID
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from workflows.audit import AuditStore
from workflows.engine.durable import DurableSettings, launch, system_database_url
from workflows.engine.repeats import may_have_happened
from workflows.engine.replicas import ReplicaWatch

TOPIC = "word"
WAIT_S = 3 * 24 * 3600.0
POLL_S = 0.05

test_metadata = MetaData()
# One row per time a step of the run did its side effect: which replica, and whether the
# step was told its effect may already have happened.
effects = Table(
    "replica_test_effects",
    test_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workflow_id", String(200), nullable=False),
    Column("step", String(40), nullable=False),
    Column("executor", String(120), nullable=False),
    Column("repeat_suspected", Boolean, nullable=False),
)


@dataclass(frozen=True)
class Replica:
    engine: AsyncEngine


_replica: Replica | None = None


async def effect(step: str) -> None:
    """The side effect of a step: a row in :data:`effects`."""
    assert _replica is not None and DBOS.workflow_id is not None
    row = {
        "workflow_id": DBOS.workflow_id,
        "step": step,
        "executor": DBOS.executor_id,
        "repeat_suspected": await may_have_happened(),
    }
    async with _replica.engine.begin() as conn:
        await conn.execute(effects.insert().values(row))


@DBOS.workflow(name="test.await_word")
async def await_word(topic: str) -> str:
    """Do one side effect, wait (for days) for a word on ``topic``, do another."""
    await DBOS.run_step_async({"name": "before"}, effect, "before")
    word = await DBOS.recv_async(topic, timeout_seconds=WAIT_S)
    await DBOS.run_step_async({"name": "after"}, effect, "after")
    return f"heard {word}"


async def until_waiting(run_id: str) -> None:
    """Until the run has recorded its wait's timeout, i.e. it is inside ``recv``."""
    while True:
        steps = await DBOS.list_workflow_steps_async(run_id)
        if any(s["function_name"] == "DBOS.sleep" for s in steps):
            return
        await asyncio.sleep(POLL_S)


async def main(database_url: str, executor: str, role: str, run_id: str = "") -> None:
    global _replica
    audit = await AuditStore.open(database_url)
    _replica = Replica(audit.engine)
    launch(DurableSettings(system_database_url(database_url, ""), executor))
    watch = ReplicaWatch(audit.engine, executor, interval_s=POLL_S)
    await watch.beat()
    if role == "start":
        with SetWorkflowID(run_id):
            await DBOS.start_workflow_async(await_word, TOPIC)
        await until_waiting(run_id)
        print("waiting", flush=True)
    else:
        watch.start()
        print("serving", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
