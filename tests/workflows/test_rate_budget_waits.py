"""A wait for a rate budget's token is our own queue, not the system being slow: it does not
count against the attempt's time limit, a straggler's grace counts from its turn, and a call
still queued when the run's deadline comes is late without counting against the system's
circuit. These run on the event loop's own time (asyncio.timeout reads it), in tenths of a
second, with a budget of 10 requests a second spent through the demo world's seam (a
call's handler waits its system's turn first)."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from connectors.pacing import Pacing, paced_operations
from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.engine import Budget, CircuitBreakers, OperationCaller, RateBudgets, StepPolicy
from workflows.engine.deadline import WaveCutoff

CTX = CallContext(run_id="run-1", step_id="crm", requester_email="dana.reyes@northwind.example")
TEN_A_SECOND = Budget(per_second=10, burst=1)


class Ask(BaseModel):
    n: int = 0


class Answer(BaseModel):
    n: int


async def echo(inp: Ask, ctx: CallContext) -> Answer:
    return Answer(n=inp.n)


async def hangs(inp: Ask, ctx: CallContext) -> Answer:
    await asyncio.sleep(30)
    return Answer(n=inp.n)


def paced(handler: object, budgets: RateBudgets) -> AnyOperation:
    op: AnyOperation = Operation(
        name="crm.ask",
        system="crm",
        description="test",
        input_model=Ask,
        output_model=Answer,
        handler=handler,  # type: ignore[arg-type]
    )
    pacing = Pacing()
    pacing.by(budgets.take)
    return paced_operations([op], pacing)[0]


def caller(timeout_s: float, breakers: CircuitBreakers | None = None) -> OperationCaller:
    policy = StepPolicy(timeout_s=timeout_s, attempts=1)
    return OperationCaller(policy=policy, breakers=breakers or CircuitBreakers())


def alone(deadline_s: float, grace_s: float) -> WaveCutoff:
    """The cut-off of a wave whose other step has finished: the grace runs at once."""
    loop = asyncio.get_running_loop()
    wave = WaveCutoff(["crm", "billing"], deadline=loop.time() + deadline_s, grace=grace_s)
    wave.finished("billing")
    return wave


async def test_a_call_waiting_its_turn_past_its_time_limit_still_gets_its_answer() -> None:
    op = paced(echo, RateBudgets({"crm": TEN_A_SECOND}))
    calls = [{"n": i} for i in range(8)]  # the last waits 0.7 s for its token
    result = await caller(timeout_s=0.3).call(op, calls, CTX, fan_out=True)
    assert [item.status for item in result.items] == ["ok"] * 8


async def test_a_hung_system_still_times_out_after_its_turn() -> None:
    budgets = RateBudgets({"crm": TEN_A_SECOND})
    budgets.reserve("crm")  # the bucket is empty: this call waits 0.1 s first
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await caller(timeout_s=0.15).call(paced(hangs, budgets), [{"n": 1}], CTX)
    took = loop.time() - started
    assert (result.status, result.failure) == ("failed", "timeout")
    assert 0.24 <= took < 1.0  # the wait, then the whole time limit, and no more


async def test_a_straggler_waiting_its_turn_is_not_cut_off_by_the_grace() -> None:
    op = paced(echo, RateBudgets({"crm": TEN_A_SECOND}))
    calls = [{"n": i} for i in range(6)]  # turns at 0 to 0.5 s, the grace is 0.1 s
    cutoff = alone(deadline_s=3, grace_s=0.1).step("crm")
    result = await caller(timeout_s=5).call(op, calls, CTX, fan_out=True, cutoff=cutoff)
    assert [item.status for item in result.items] == ["ok"] * 6


async def test_a_hung_straggler_is_still_cut_off_by_the_grace() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    cutoff = alone(deadline_s=3, grace_s=0.1).step("crm")
    op = paced(hangs, RateBudgets({"crm": TEN_A_SECOND}))
    result = await caller(timeout_s=5).call(op, [{"n": 1}], CTX, cutoff=cutoff)
    assert (result.status, result.failure) == ("failed", "late")
    assert loop.time() - started < 1.0


async def test_calls_still_queued_at_the_deadline_are_late_and_do_not_open_the_circuit() -> None:
    breakers = CircuitBreakers()
    op = paced(echo, RateBudgets({"crm": TEN_A_SECOND}))
    calls = [{"n": i} for i in range(10)]  # turns up to 0.9 s, the deadline at 0.25 s
    cutoff = alone(deadline_s=0.25, grace_s=0.1).step("crm")
    result = await caller(5, breakers).call(op, calls, CTX, fan_out=True, cutoff=cutoff)
    statuses = [item.status for item in result.items]
    assert statuses[0] == "ok" and statuses[-5:] == ["failed"] * 5
    assert {item.failure for item in result.items if not item.ok} == {"late"}
    assert breakers.allows("crm") and not breakers.is_open("crm")
