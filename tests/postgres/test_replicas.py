"""A replica that dies mid-run: a live replica resumes its runs, and only its runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dbos import DBOS

from tests.workflows.engine_env import engine_env, outcome
from tests.workflows.systems import INTERRUPTIBLE_PLAN, PATIENT, System
from workflows.engine.replicas import ReplicaWatch

PLAN, POLICY = INTERRUPTIBLE_PLAN, PATIENT


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
    later = lambda: datetime.now(UTC) + timedelta(minutes=5)  # noqa: E731
    async with engine_env(
        tmp_path, first, stuck, policy=POLICY, executor_id="replica-b", database_url=postgres_url
    ) as env:
        env.planner._script["go"] = PLAN
        status = await DBOS.get_workflow_status_async("orphan")
        assert status is not None and status.status == "PENDING"  # b's own restart ignores it
        watch = ReplicaWatch(env.audit.engine, "replica-b", ttl_s=60, clock=later)
        await watch.beat()
        recovered = await watch.sweep()
        answer = await env.engine.result(request)
        again = await watch.sweep()
    for task in asyncio.all_tasks() & interrupted:
        task.cancel()
    assert recovered == ["replica-a"] and again == []
    assert outcome(answer)["b"]["status"] == "ok"
    assert len(first.calls) == 1


async def test_a_live_replica_is_left_alone(postgres_url: str, tmp_path: Path) -> None:
    async with engine_env(
        tmp_path, System("s"), executor_id="replica-b", database_url=postgres_url
    ) as env:
        await ReplicaWatch(env.audit.engine, "replica-a").beat()
        assert await ReplicaWatch(env.audit.engine, "replica-b", ttl_s=60).sweep() == []
