from __future__ import annotations

from pathlib import Path

from dbos import DBOS

from tests.workflows.engine_env import engine_env
from tests.workflows.systems import System
from workflows.engine import CircuitBreakers, StepPolicy
from workflows.plan import Plan, Step


def plan(*steps: Step) -> Plan:
    return Plan(workflow="test", subject="test", steps=steps)


def echo(step_id: str, system: str, q: object = "x", **kw: object) -> Step:
    return Step(id=step_id, operation=f"{system}.echo", args={"q": q}, **kw)  # type: ignore[arg-type]


async def test_independent_steps_run_at_the_same_time(tmp_path: Path) -> None:
    shared = System("s", delay=0.05)
    async with engine_env(tmp_path, shared) as env:
        result = await env.run(plan(*(echo(f"r{i}", "s", str(i)) for i in range(5))))
    assert {r["status"] for r in result.values()} == {"ok"}
    assert shared.max_in_flight == 5


async def test_outputs_flow_into_later_steps(tmp_path: Path) -> None:
    async with engine_env(tmp_path, System("a"), System("b")) as env:
        result = await env.run(
            plan(echo("first", "a", "hi"), echo("second", "b", {"$ref": "first.value"}))
        )
    assert result["second"]["output"] == {"value": "b:a:hi"}


async def test_transient_failures_are_retried(tmp_path: Path) -> None:
    flaky = System("flaky", fail_times=2)
    async with engine_env(tmp_path, flaky) as env:
        result = await env.run(plan(echo("only", "flaky")))
    assert result["only"]["status"] == "ok"
    assert result["only"]["attempts"] == 3
    assert len({key for key, _ in flaky.calls}) == 1  # one idempotency key for every attempt


async def test_a_permanent_failure_is_not_retried_and_costs_only_its_step(tmp_path: Path) -> None:
    bad, good = System("bad", mode="permanent"), System("good")
    async with engine_env(tmp_path, bad, good) as env:
        result = await env.run(plan(echo("b", "bad"), echo("g", "good")))
    assert result["b"]["status"] == "failed" and result["b"]["failure"] == "permanent"
    assert len(bad.calls) == 1
    assert result["g"]["status"] == "ok"


async def test_a_hanging_system_times_out(tmp_path: Path) -> None:
    policy = StepPolicy(timeout_s=0.1, attempts=2, backoff_initial_s=0.01)
    async with engine_env(tmp_path, System("slow", mode="hang"), policy=policy) as env:
        result = await env.run(plan(echo("s", "slow")))
    assert result["s"]["failure"] == "timeout"
    assert result["s"]["attempts"] == 2


async def test_a_connector_bug_costs_its_step_not_the_run(tmp_path: Path) -> None:
    async with engine_env(tmp_path, System("buggy", mode="crash"), System("ok")) as env:
        result = await env.run(plan(echo("b", "buggy"), echo("o", "ok")))
    assert result["b"]["failure"] == "internal"
    assert result["o"]["status"] == "ok"


async def test_steps_needing_a_failed_output_are_skipped(tmp_path: Path) -> None:
    async with engine_env(tmp_path, System("down", mode="transient"), System("b")) as env:
        result = await env.run(plan(echo("d", "down"), echo("after", "b", {"$ref": "d.value"})))
    assert result["after"]["status"] == "skipped"
    assert "'d'" in str(result["after"]["error"])


async def test_conditions_and_fan_out(tmp_path: Path) -> None:
    lister, worker = System("l"), System("w")
    async with engine_env(tmp_path, lister, worker) as env:
        result = await env.run(
            plan(
                Step(id="items", operation="l.list"),
                Step(
                    id="each", operation="w.echo", for_each="items.items", args={"q": {"$item": ""}}
                ),
                echo("never", "w", when="items.missing"),
            )
        )
    assert result["each"]["output"] == [{"value": "w:a"}, {"value": "w:b"}, {"value": "w:c"}]
    assert result["never"]["status"] == "skipped"
    assert sorted(q for _, q in worker.calls) == ["a", "b", "c"]


async def test_the_circuit_opens_after_repeated_failures(tmp_path: Path) -> None:
    down = System("down", mode="transient")
    breakers = CircuitBreakers(threshold=2, cooldown=60)
    policy = StepPolicy(timeout_s=1, attempts=1)
    async with engine_env(tmp_path, down, policy=policy, breakers=breakers) as env:
        for _ in range(2):
            await env.run(plan(echo("d", "down")))
        result = await env.run(plan(echo("d", "down")))
    assert result["d"]["failure"] == "circuit_open"
    assert len(down.calls) == 2


async def test_the_same_run_id_starts_once(tmp_path: Path) -> None:
    system = System("s")
    async with engine_env(tmp_path, system) as env:
        env.planner._script["go"] = plan(echo("only", "s"))
        request = env.request("go", run_id="fixed-run")
        first = await env.engine.submit(request)
        second = await env.engine.submit(request)
        await env.engine.result(request)
        detail = await env.audit.get_run("fixed-run")
    assert (first.duplicate, second.duplicate) == (False, True)
    assert len(system.calls) == 1
    assert detail is not None and [e.kind for e in detail.events].count("duplicate") == 1


async def test_every_step_is_audited(tmp_path: Path) -> None:
    async with engine_env(tmp_path, System("a"), System("b", mode="permanent")) as env:
        env.planner._script["go"] = plan(echo("x", "a"), echo("y", "b"))
        request = env.request("go")
        await env.engine.run(request)
        detail = await env.audit.get_run(request.run_id)
    assert detail is not None and detail.run.status == "completed"
    kinds = [e.kind for e in detail.events]
    assert kinds[0] == "trigger" and kinds[1] == "plan" and kinds[-1] == "answer"
    steps = {e.step_id: e for e in detail.steps}
    assert steps["x"].status == "ok" and steps["x"].system == "a"
    assert steps["y"].status == "failed" and steps["y"].detail["failure"] == "permanent"


async def test_a_run_checkpoints_its_plan_each_step_and_its_delivery(tmp_path: Path) -> None:
    """Planning, its audit row and the progress message are one checkpoint; the answer shown and
    recorded is one more: a run of N steps is N + 2 DBOS steps."""
    async with engine_env(tmp_path, System("a"), System("b")) as env:
        env.planner._script["go"] = plan(echo("x", "a"), echo("y", "b", after=("x",)))
        request = env.request("go")
        await env.engine.run(request)
        recorded = await DBOS.list_workflow_steps_async(request.run_id, load_output=False)
        detail = await env.audit.get_run(request.run_id)
    assert [s["function_name"] for s in recorded] == ["plan", "step:x", "step:y", "deliver"]
    assert detail is not None and detail.run.status == "completed"
    assert [e.kind for e in detail.events if e.kind in ("plan", "delivery", "answer")] == [
        "plan",
        "delivery",
        "answer",
    ]
