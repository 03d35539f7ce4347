"""A run interrupted mid-way resumes after a restart and repeats no finished step."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dbos import DBOS

from tests.workflows.engine_env import engine_env, outcome
from tests.workflows.systems import INTERRUPTIBLE_PLAN, PATIENT, System


async def test_a_restart_resumes_the_run_without_repeating_finished_steps(tmp_path: Path) -> None:
    first, stuck = System("first"), System("stuck", mode="hang")
    plan, policy = INTERRUPTIBLE_PLAN, PATIENT
    async with engine_env(tmp_path, first, stuck, policy=policy) as env:
        env.planner._script["go"] = plan
        request = env.request("go", run_id="survivor")
        await env.engine.submit(request)
        await asyncio.wait_for(stuck.called.wait(), 5)
        # the process "dies" here: DBOS goes away with step b in flight
    interrupted = asyncio.all_tasks() - {asyncio.current_task()}
    stuck.mode = "ok"
    async with engine_env(tmp_path, first, stuck, policy=policy) as env:
        env.planner._script["go"] = plan
        handle = await DBOS.retrieve_workflow_async("survivor")
        answer = await env.engine.result(request)
        status = (await handle.get_status()).status
        shown = env.reporter.updates[-1]
    for task in asyncio.all_tasks() & interrupted:
        task.cancel()
    result = outcome(answer)
    assert status == "SUCCESS"
    assert result["b"]["output"] == {"value": "stuck:first:1"}
    assert len(first.calls) == 1, "a finished step ran again after the restart"
    assert [key for key, _ in stuck.calls] == ["survivor:b", "survivor:b"]
    # step a, read back from its checkpoint, is shown done, not still running
    assert {s.system: s.state for s in shown.systems} == {"first": "ok", "stuck": "ok"}
