"""A replica that dies mid-run: a live replica takes over its runs, and only its runs.

Who is dead is decided by the database's clock. The process tests run each replica as a
process of its own (:mod:`tests.postgres.replica_process`), killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dbos import DBOS, DBOSClient, WorkflowHandleAsync
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.postgres.replica_process import TOPIC, effects, test_metadata
from tests.workflows.engine_env import engine_env, outcome
from tests.workflows.systems import INTERRUPTIBLE_PLAN, PATIENT, System
from workflows.audit import AuditStore
from workflows.audit.tables import heartbeats
from workflows.clock import ManualClock
from workflows.engine.durable import system_database_url
from workflows.engine.repeats import TAKEN_OVER_FROM
from workflows.engine.replicas import ReplicaWatch

PLAN, POLICY = INTERRUPTIBLE_PLAN, PATIENT
PROCESS_START_S = 60


async def fall_silent(engine: AsyncEngine, executor: str) -> None:
    """Make ``executor``'s last heartbeat an hour old by the database's clock."""
    silenced = text(
        "UPDATE replica_heartbeats SET last_seen = now() - interval '1 hour'"
        " WHERE executor_id = :executor"
    )
    async with engine.begin() as conn:
        assert (await conn.execute(silenced, {"executor": executor})).rowcount == 1


async def test_a_dead_replicas_run_is_resumed_by_a_live_one(
    postgres_url: str, tmp_path: Path
) -> None:
    first, stuck = System("first"), System("stuck", mode="hang")
    async with engine_env(
        tmp_path, first, stuck, policy=POLICY, executor_id="replica-a", database_url=postgres_url
    ) as env:
        env.planner._script["go"] = PLAN
        request = env.request("go", run_id="orphan")
        await ReplicaWatch(env.audit.engine, "replica-a").beat()
        await env.engine.submit(request)
        await asyncio.wait_for(stuck.called.wait(), 5)
    interrupted = asyncio.all_tasks() - {asyncio.current_task()}
    stuck.mode = "ok"
    async with engine_env(
        tmp_path, first, stuck, policy=POLICY, executor_id="replica-b", database_url=postgres_url
    ) as env:
        env.planner._script["go"] = PLAN
        status = await DBOS.get_workflow_status_async("orphan")
        assert status is not None and status.status == "PENDING"  # b's own restart ignores it
        watch = ReplicaWatch(env.audit.engine, "replica-b", ttl_s=60)
        await watch.beat()
        assert await watch.sweep() == []  # a beat less than a minute ago
        await fall_silent(env.audit.engine, "replica-a")
        recovered = await watch.sweep()
        answer = await env.engine.result(request)
        again = await watch.sweep()
        (taken,) = await DBOS.list_workflows_async(workflow_ids=["orphan"])
    for task in asyncio.all_tasks() & interrupted:
        task.cancel()
    assert recovered == ["replica-a"] and again == []
    assert outcome(answer)["b"]["status"] == "ok"
    assert len(first.calls) == 1
    assert taken.executor_id == "replica-b" and taken.workflow_id == "orphan"
    assert (taken.attributes or {})[TAKEN_OVER_FROM] == "replica-a"


async def test_a_live_replica_is_left_alone(postgres_url: str, tmp_path: Path) -> None:
    async with engine_env(
        tmp_path, System("s"), executor_id="replica-b", database_url=postgres_url
    ) as env:
        await ReplicaWatch(env.audit.engine, "replica-a").beat()
        assert await ReplicaWatch(env.audit.engine, "replica-b", ttl_s=60).sweep() == []


async def test_who_is_dead_is_decided_by_the_databases_clock(
    postgres_url: str, tmp_path: Path
) -> None:
    behind = ManualClock(datetime(2020, 1, 1, tzinfo=UTC))
    ahead = ManualClock(datetime(2040, 1, 1, tzinfo=UTC))
    async with engine_env(
        tmp_path, System("s"), executor_id="fast", database_url=postgres_url
    ) as env:
        engine = env.audit.engine
        await ReplicaWatch(engine, "slow", clock=behind.now).beat()
        fast = ReplicaWatch(engine, "fast", clock=ahead.now, ttl_s=60)
        await fast.beat()
        assert await fast.sweep() == []  # years apart by their clocks, both alive by its
        async with engine.connect() as conn:
            query = select(heartbeats.c.last_seen, text("now()")).order_by(heartbeats.c.last_seen)
            for seen, now in (await conn.execute(query)).all():
                assert abs(now - seen) < timedelta(minutes=1)
        await fall_silent(engine, "slow")
        assert await fast.sweep() == ["slow"]


@asynccontextmanager
async def replica(
    database_url: str, executor: str, role: str, run_id: str = ""
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A replica process (see :mod:`tests.postgres.replica_process`), started once it says
    it is ready, killed with SIGKILL when the block ends."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.postgres.replica_process"),
        *(database_url, executor, role, run_id),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        ready = await asyncio.wait_for(process.stdout.readline(), PROCESS_START_S)
        assert ready.strip() in {b"waiting", b"serving"}, ready
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()


async def until_taken_over(client: DBOSClient, run_id: str, by: set[str]) -> str:
    while True:
        (run,) = await client.list_workflows_async(workflow_ids=[run_id], load_input=False)
        if run.status == "PENDING" and run.executor_id in by:
            return run.executor_id
        await asyncio.sleep(0.05)


async def test_a_run_waiting_for_a_message_is_taken_over_once_and_still_hears_it(
    postgres_url: str,
) -> None:
    run_id = "waits-for-days"
    audit = await AuditStore.open(postgres_url)
    async with audit.engine.begin() as conn:
        await conn.run_sync(test_metadata.create_all)
    client = DBOSClient(system_database_url=system_database_url(postgres_url, ""))
    try:
        async with replica(postgres_url, "replica-a", "start", run_id):
            pass  # the run waits in recv; replica a is killed
        async with (
            replica(postgres_url, "replica-b", "serve"),
            replica(postgres_url, "replica-c", "serve"),
        ):
            await fall_silent(audit.engine, "replica-a")  # both sweep: one takes it over
            taker = await asyncio.wait_for(
                until_taken_over(client, run_id, {"replica-b", "replica-c"}), 30
            )
            await client.send_async(run_id, "hello", TOPIC, idempotency_key=f"{run_id}:hello")
            handle: WorkflowHandleAsync[str] = await client.retrieve_workflow_async(run_id)
            answer = await asyncio.wait_for(handle.get_result(polling_interval_sec=0.05), 30)
            async with audit.engine.connect() as conn:
                query = select(effects.c.step, effects.c.executor, effects.c.repeat_suspected)
                done = (await conn.execute(query.order_by(effects.c.id))).all()
                alive = set((await conn.execute(select(heartbeats.c.executor_id))).scalars())
    finally:
        client.destroy()
        await audit.close()
    assert answer == "heard hello"
    assert [tuple(r) for r in done] == [("before", "replica-a", False), ("after", taker, True)]
    assert alive == {"replica-b", "replica-c"}
