"""A hung system costs its step, never the run's time: the run's reading deadline, the grace
after the other systems answered, retries inside the budget, and a breaker that sheds a system
that keeps timing out (one probe after its cooldown)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dbos import DBOS

from tests.workflows.engine_env import engine_env, outcome
from tests.workflows.systems import Echo, Query, System
from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.clock import ManualClock
from workflows.engine import CircuitBreakers, StepPolicy
from workflows.plan import Plan, Step

GRACE = 0.2
QUICK = StepPolicy(timeout_s=10, attempts=3, run_deadline_s=3.0, late_grace_s=GRACE)


def plan(*steps: Step) -> Plan:
    return Plan(workflow="test", subject="test", steps=steps)


def echo(step_id: str, system: str, q: object = "x") -> Step:
    return Step(id=step_id, operation=f"{system}.echo", args={"q": q})


def briefing_like() -> Plan:
    """Three systems read side by side, one of them hung."""
    return plan(echo("h", "hung"), echo("a", "a"), echo("b", "b"))


def clocked() -> tuple[ManualClock, CircuitBreakers]:
    clock = ManualClock(datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    return clock, CircuitBreakers(timeout_threshold=2, window=60, cooldown=30, clock=clock)


async def test_a_hung_system_is_cut_off_a_grace_after_the_others(tmp_path: Path) -> None:
    hung, a, b = System("hung", mode="hang"), System("a", delay=0.05), System("b")
    async with engine_env(tmp_path, hung, a, b, policy=QUICK) as env:
        t0 = time.perf_counter()
        result = await env.run(briefing_like())
        wall = time.perf_counter() - t0
    assert (result["a"]["status"], result["b"]["status"]) == ("ok", "ok")
    assert (result["h"]["status"], result["h"]["failure"]) == ("failed", "late")
    assert str(result["h"]["error"]).startswith("skipped after 0.")
    assert result["h"]["attempts"] == 1
    # Cut off a grace after the others, long before the run's deadline (3 s).
    assert 0.05 + GRACE <= wall < QUICK.run_deadline_s, wall


async def test_a_lone_hung_step_is_cut_off_at_the_run_deadline(tmp_path: Path) -> None:
    policy = StepPolicy(timeout_s=10, run_deadline_s=0.3, late_grace_s=0.05)
    async with engine_env(tmp_path, System("hung", mode="hang"), policy=policy) as env:
        t0 = time.perf_counter()
        result = await env.run(plan(echo("h", "hung")))
        wall = time.perf_counter() - t0
    assert result["h"]["failure"] == "late"
    assert 0.3 <= wall < policy.timeout_s / 2, wall  # the run's deadline, not the step's timeout


async def test_the_deadline_is_the_whole_runs_not_each_waves(tmp_path: Path) -> None:
    # Per wave, the hung second wave would end at 1.2 + 1.5 s; for the whole run, at 1.5 s.
    policy = StepPolicy(timeout_s=10, run_deadline_s=1.5, late_grace_s=0.05)
    first, hung = System("first", delay=1.2), System("hung", mode="hang")
    async with engine_env(tmp_path, first, hung, policy=policy) as env:
        t0 = time.perf_counter()
        result = await env.run(plan(echo("f", "first"), echo("h", "hung", {"$ref": "f.value"})))
        wall = time.perf_counter() - t0
    assert (result["f"]["status"], result["h"]["failure"]) == ("ok", "late")
    assert 1.5 <= wall < 1.2 + 1.5, wall


async def test_retries_stop_before_the_deadline(tmp_path: Path) -> None:
    policy = StepPolicy(
        timeout_s=10, attempts=10, backoff_initial_s=0.1, backoff_max_s=1, run_deadline_s=0.35
    )
    down = System("down", mode="transient")
    async with engine_env(tmp_path, down, policy=policy) as env:
        t0 = time.perf_counter()
        result = await env.run(plan(echo("d", "down")))
        wall = time.perf_counter() - t0
    assert result["d"]["failure"] == "transient"  # the system's own error, not cut off
    assert 1 < len(down.calls) < 10
    assert wall < 3, wall  # ten attempts with their backoff would take longer


async def test_slow_systems_that_answer_within_the_grace_are_kept(tmp_path: Path) -> None:
    slow, fast = System("slow", delay=0.1), System("fast")
    async with engine_env(tmp_path, slow, fast, policy=QUICK) as env:
        result = await env.run(plan(echo("s", "slow"), echo("f", "fast")))
    assert result["s"]["output"] == {"value": "slow:x"}


async def test_two_timeouts_open_the_circuit_and_the_next_run_skips_at_once(
    tmp_path: Path,
) -> None:
    clock, breakers = clocked()
    hung, a, b = System("hung", mode="hang"), System("a"), System("b")
    patient = StepPolicy(timeout_s=10, run_deadline_s=5.0, late_grace_s=1.5)
    async with engine_env(tmp_path, hung, a, b, policy=patient, breakers=breakers) as env:
        for _ in range(2):
            assert (await env.run(briefing_like()))["h"]["failure"] == "late"
            clock.advance(timedelta(seconds=5))
        t0 = time.perf_counter()
        third = await env.run(briefing_like())
        wall = time.perf_counter() - t0
    assert (third["h"]["failure"], third["h"]["attempts"]) == ("circuit_open", 0)
    assert third["h"]["error"] == "no answer the last 2 times it was asked"
    assert len(hung.calls) == 2
    assert wall < patient.late_grace_s, wall  # not the grace of a run that waited for it


async def test_timeouts_further_apart_than_the_window_do_not_open_it(tmp_path: Path) -> None:
    clock, breakers = clocked()
    hung, a = System("hung", mode="hang"), System("a")
    async with engine_env(tmp_path, hung, a, policy=QUICK, breakers=breakers) as env:
        for _ in range(3):
            result = await env.run(plan(echo("h", "hung"), echo("a", "a")))
            assert result["h"]["failure"] == "late"
            clock.advance(timedelta(seconds=61))
    assert len(hung.calls) == 3


async def test_after_the_cooldown_one_probe_goes_through(tmp_path: Path) -> None:
    clock, breakers = clocked()
    hung, a, b = System("hung", mode="hang"), System("a"), System("b")
    twice = plan(echo("h1", "hung", "1"), echo("h2", "hung", "2"), echo("a", "a"))
    # A grace long enough for the recovering probe's slow answer (0.5 s) to count.
    policy = StepPolicy(timeout_s=10, attempts=3, run_deadline_s=3.0, late_grace_s=1.0)
    async with engine_env(tmp_path, hung, a, b, policy=policy, breakers=breakers) as env:
        for _ in range(2):
            await env.run(briefing_like())
        clock.advance(timedelta(seconds=29))
        assert (await env.run(twice))["h1"]["failure"] == "circuit_open"
        clock.advance(timedelta(seconds=2))
        probed = await env.run(twice)  # half-open: one of the two calls is the probe
        asked_while_half_open = len(hung.calls) - 2
        reopened = await env.run(twice)  # the probe hung: open again, nobody asked
        # It answers, slowly enough that the other call of the wave, started beside it, finds
        # the circuit still half-open (by a margin a busy machine keeps).
        hung.mode, hung.delay = "ok", 0.5
        clock.advance(timedelta(seconds=31))
        recovered = await env.run(twice)
        closed = await env.run(twice)
    assert asked_while_half_open == 1
    assert sorted(str(probed[s]["failure"]) for s in ("h1", "h2")) == ["circuit_open", "late"]
    assert {reopened[s]["failure"] for s in ("h1", "h2")} == {"circuit_open"}
    assert sorted(str(recovered[s]["status"]) for s in ("h1", "h2")) == ["failed", "ok"]
    assert {closed[s]["status"] for s in ("h1", "h2")} == {"ok"}
    assert len(hung.calls) == 2 + 1 + 1 + 2


async def test_a_cut_off_step_is_checkpointed_and_not_asked_again_after_a_restart(
    tmp_path: Path,
) -> None:
    hung, quick, stuck = System("hung", mode="hang"), System("quick"), System("stuck", mode="hang")
    policy = StepPolicy(timeout_s=30, attempts=1, run_deadline_s=30, late_grace_s=GRACE)
    interrupted = plan(
        echo("h", "hung"), echo("q", "quick"), echo("s", "stuck", {"$ref": "q.value"})
    )
    async with engine_env(tmp_path, hung, quick, stuck, policy=policy) as env:
        env.planner._script["go"] = interrupted
        request = env.request("go", run_id="cut-off-survivor")
        await env.engine.submit(request)
        await asyncio.wait_for(stuck.called.wait(), 5)
        steps = await DBOS.list_workflow_steps_async("cut-off-survivor")
        # the process "dies" here, with step s in flight and h already recorded as late
    left_running = asyncio.all_tasks() - {asyncio.current_task()}
    stuck.mode = "ok"
    async with engine_env(tmp_path, hung, quick, stuck, policy=policy) as env:
        env.planner._script["go"] = interrupted
        result = outcome(await env.engine.result(request))
    for task in asyncio.all_tasks() & left_running:
        task.cancel()
    [recorded] = [s["output"] for s in steps if s["function_name"] == "step:h"]
    assert recorded is not None
    assert recorded["failure"] == "late"
    assert result["h"]["failure"] == "late" and result["h"]["error"] == recorded["error"]
    assert result["s"]["output"] == {"value": "stuck:quick:x"}
    assert len(hung.calls) == 1, "a step cut off before the restart was asked again"


class SlowWriter(System):
    """A system whose one operation writes, and takes longer than the run's deadline."""

    async def record(self, inp: Query, ctx: CallContext) -> Echo:
        self.calls.append((ctx.idempotency_key, inp.q))
        await asyncio.sleep(self.delay)
        return Echo(value="written")

    def operations(self) -> list[AnyOperation]:
        return [
            Operation(
                name=f"{self.name}.record",
                system=self.name,
                description="record",
                input_model=Query,
                output_model=Echo,
                handler=self.record,
                access="write",
                reversible=False,
            )
        ]


async def test_a_write_is_never_cut_off(tmp_path: Path) -> None:
    policy = StepPolicy(timeout_s=10, run_deadline_s=0.1, late_grace_s=0.05)
    writer = SlowWriter("writer", delay=0.3)
    async with engine_env(tmp_path, writer, System("a"), policy=policy) as env:
        result = await env.run(
            plan(Step(id="w", operation="writer.record", args={"q": "x"}), echo("a", "a"))
        )
    assert result["w"]["output"] == {"value": "written"}


def test_a_probe_that_never_reports_is_given_up_after_another_cooldown() -> None:
    clock, breakers = clocked()
    breakers.timed_out("s")
    breakers.timed_out("s")
    clock.advance(timedelta(seconds=30))
    assert breakers.allows("s") and not breakers.allows("s")  # one probe, and only one
    clock.advance(timedelta(seconds=29))
    assert not breakers.allows("s")
    clock.advance(timedelta(seconds=1))
    assert breakers.allows("s")  # the first probe's caller vanished: another may go


def test_an_error_between_timeouts_breaks_the_streak() -> None:
    _, breakers = clocked()
    breakers.timed_out("s")
    breakers.failed("s")
    breakers.timed_out("s")
    assert breakers.allows("s") and not breakers.is_open("s")
