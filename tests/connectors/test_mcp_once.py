"""An MCP tool that cannot be repeated safely is sent at most once per call, even when the
engine retries the step or the process dies with the call in flight; one that can be repeated
is retried with the same idempotency key.

The help desk (a real MCP server over stdio) is slow here (``DESK_WRITE_DELAY_S``): a write
waits longer than the step's time limit, so the engine's first attempt times out while the
desk goes on to act, or long enough for the process to "die" (DBOS shut down, the desk's
connection closed) mid-call and a new one to resume the run. The desk's own call log
(``DESK_CALL_LOG``) says how often it was asked.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from connectors.mcp import McpServerConfig, open_mcp
from tests.connectors.mcp_env import DESK_COMMAND
from tests.connectors.test_mcp_engine import Desk
from tests.workflows.engine_env import engine_env, outcome
from workflows.answers import Notice
from workflows.engine import StepPolicy
from workflows.plan import Plan, Step

SLOW_S = 1.5
POLICY = StepPolicy(timeout_s=0.4, attempts=3, backoff_initial_s=0.01)


def desk_calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def logged(log: Path, timeout_s: float = 20.0) -> None:
    """Wait until the desk (another process) has logged a call."""
    for _ in range(int(timeout_s / 0.02)):
        if desk_calls(log):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("the desk was not called")


async def run_one(tmp_path: Path, step: Step) -> tuple[dict[str, object], list[dict[str, Any]]]:
    """Run a one-step plan against the slow desk: the step's outcome, and the desk's log."""
    log = tmp_path / "calls.jsonl"
    env = {"DESK_CALL_LOG": str(log), "DESK_WRITE_DELAY_S": str(SLOW_S)}
    config = McpServerConfig(command=DESK_COMMAND, env=env, trusted=True, label="Help desk")
    connector = await open_mcp("desk", config)
    try:
        async with engine_env(tmp_path, Desk(connector), policy=POLICY) as engine:  # type: ignore[arg-type]
            outcome = await engine.run(Plan(workflow="test", subject="desk", steps=(step,)))
    finally:
        await connector.aclose()
    return outcome[step.id], desk_calls(log)


async def test_a_destructive_tool_that_timed_out_is_not_sent_again(tmp_path: Path) -> None:
    close = Step(id="close", operation="desk.close_ticket",
                 args={"ticket_id": "T-1001", "note": "fixed"})  # fmt: skip
    step, calls = await run_one(tmp_path, close)

    assert (step["status"], step["failure"], step["attempts"]) == ("failed", "permanent", 2)
    assert str(step["error"]).startswith(
        "The Help desk tool close_ticket may already have run for this step"
    )
    [call] = calls
    assert call["tool"] == "close_ticket"
    assert str(call["idempotency_key"]).endswith(":close")


async def test_an_idempotent_tool_is_retried_with_the_same_key(tmp_path: Path) -> None:
    tag = Step(id="tag", operation="desk.tag_ticket", args={"ticket_id": "T-1001", "tag": "sso"})
    step, calls = await run_one(tmp_path, tag)

    assert (step["status"], step["failure"], step["attempts"]) == ("failed", "timeout", 3)
    assert [c["tool"] for c in calls] == ["tag_ticket"] * 3
    assert len({c["idempotency_key"] for c in calls}) == 1


async def test_a_destructive_tool_in_flight_when_the_process_died_is_not_sent_again(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"DESK_CALL_LOG": str(log), "DESK_WRITE_DELAY_S": "3"}
    config = McpServerConfig(command=DESK_COMMAND, env=env, trusted=True, label="Help desk")
    close = Step(id="close", operation="desk.close_ticket",
                 args={"ticket_id": "T-1001", "note": "fixed"})  # fmt: skip
    plan = Plan(workflow="test", subject="desk", steps=(close,))
    patient = StepPolicy(timeout_s=10, attempts=3, backoff_initial_s=0.01)
    first = await open_mcp("desk", config)
    async with engine_env(tmp_path, Desk(first), policy=patient) as engine:  # type: ignore[arg-type]
        engine.planner._script["go"] = plan
        request = engine.request("go", run_id="crashed")
        await engine.engine.submit(request)
        await logged(log)
        # the process "dies" here, with the close sent and its step not checkpointed
    interrupted = asyncio.all_tasks() - {asyncio.current_task()}
    await first.aclose()
    second = await open_mcp("desk", config)  # the restarted process's own connection
    try:
        async with engine_env(tmp_path, Desk(second), policy=patient) as engine:  # type: ignore[arg-type]
            engine.planner._script["go"] = plan
            answer = await engine.engine.result(request)
    finally:
        await second.aclose()
    for task in asyncio.all_tasks() & interrupted:
        task.cancel()

    assert isinstance(answer, Notice)
    step = outcome(answer)["close"]
    assert (step["status"], step["failure"]) == ("failed", "permanent")
    assert str(step["error"]).startswith(
        "desk.close_ticket may have been sent before Crosswire restarted"
    )
    assert [c["tool"] for c in desk_calls(log)] == ["close_ticket"]
