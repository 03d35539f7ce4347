"""Resilience in the one place every call goes through (the operation caller): the wait a
system asks for is honoured, a half-open circuit lets exactly one probe through however many
callers arrive together, and a system's rate budget refills while idle. Time is a
ManualClock moved by the waits themselves (ClockSleep): nothing here sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from connectors.errors import RateLimited, SystemUnavailable
from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.clock import ManualClock
from workflows.engine import Budget, CircuitBreakers, OperationCaller, RateBudgets, StepPolicy
from workflows.engine.resilience import ClockSleep

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CTX = CallContext(run_id="run-1", step_id="s", requester_email="dana.reyes@northwind.example")


class Ask(BaseModel):
    n: int = 0


class Answer(BaseModel):
    n: int


def operation(system: str, handler: object) -> AnyOperation:
    return Operation(
        name=f"{system}.ask",
        system=system,
        description="test",
        input_model=Ask,
        output_model=Answer,
        handler=handler,  # type: ignore[arg-type]
    )


def caller(
    clock: ManualClock,
    *,
    attempts: int = 3,
    breakers: CircuitBreakers | None = None,
) -> tuple[OperationCaller, ClockSleep]:
    sleep = ClockSleep(clock)
    policy = StepPolicy(timeout_s=5, attempts=attempts, backoff_initial_s=0.2, backoff_max_s=2)
    return (
        OperationCaller(
            policy=policy,
            breakers=breakers or CircuitBreakers(clock=clock),
            clock=clock,
            sleep=sleep,
        ),
        sleep,
    )


async def test_a_retry_waits_as_long_as_the_system_asked() -> None:
    clock = ManualClock(T0)
    asked_at: list[datetime] = []

    async def throttled_once(inp: Ask, ctx: CallContext) -> Answer:
        asked_at.append(clock.now())
        if len(asked_at) == 1:
            raise RateLimited("Billing is rate limiting us (429)", system="billing", retry_after=7)
        return Answer(n=inp.n)

    call, sleep = caller(clock)
    result = await call.call(operation("billing", throttled_once), [{"n": 1}], CTX)
    assert (result.status, result.output, result.attempts) == ("ok", {"n": 1}, 2)
    assert 7 <= sleep.waits[0] <= 7 + 0.2
    assert asked_at[1] - asked_at[0] >= timedelta(seconds=7)


async def test_a_system_asking_for_too_long_a_wait_is_a_named_gap_at_once() -> None:
    clock = ManualClock(T0)
    calls: list[int] = []

    async def throttled(inp: Ask, ctx: CallContext) -> Answer:
        calls.append(inp.n)
        raise RateLimited("Billing is rate limiting us (429)", system="billing", retry_after=600)

    call, sleep = caller(clock)
    result = await call.call(operation("billing", throttled), [{"n": 1}], CTX)
    assert (result.status, result.failure) == ("failed", "transient")
    assert result.error == "Billing is rate limiting us (429)"
    assert calls == [1] and sleep.waits == []


async def test_without_a_hint_the_backoff_grows_and_stays_within_its_cap() -> None:
    clock = ManualClock(T0)

    async def down(inp: Ask, ctx: CallContext) -> Answer:
        raise SystemUnavailable("The support desk is not responding (503)", system="support")

    call, sleep = caller(clock, attempts=5)
    result = await call.call(operation("support", down), [{}], CTX)
    assert (result.status, result.attempts) == ("failed", 5)
    bases = [0.2, 0.4, 0.8, 1.6]
    assert all(b <= w <= b + 0.2 for b, w in zip(bases, sleep.waits, strict=True)), sleep.waits


async def test_a_half_open_circuit_lets_exactly_one_probe_through() -> None:
    clock = ManualClock(T0)
    breakers = CircuitBreakers(threshold=1, cooldown=30, clock=clock)
    call, _ = caller(clock, attempts=1, breakers=breakers)
    entered: list[int] = []
    release = asyncio.Event()
    healthy = False

    async def flaky(inp: Ask, ctx: CallContext) -> Answer:
        entered.append(inp.n)
        if not healthy:
            raise SystemUnavailable("The CRM is not responding (503)", system="crm")
        await release.wait()
        return Answer(n=inp.n)

    op = operation("crm", flaky)
    assert (await call.call(op, [{}], CTX)).status == "failed"
    assert breakers.is_open("crm")
    clock.advance(timedelta(seconds=31))
    healthy, entered = True, []
    probes = [asyncio.ensure_future(call.call(op, [{"n": i}], CTX)) for i in range(5)]
    await asyncio.sleep(0.01)
    assert entered == [0]  # the first caller probes; the other four failed fast
    release.set()
    results = await asyncio.gather(*probes)
    assert [r.status for r in results] == ["ok", "failed", "failed", "failed", "failed"]
    assert {r.failure for r in results[1:]} == {"circuit_open"}
    after = await call.call(op, [{"n": 9}], CTX)  # the probe's success closed the circuit
    assert after.status == "ok"


async def test_a_failed_probe_opens_the_circuit_for_another_cooldown() -> None:
    clock = ManualClock(T0)
    breakers = CircuitBreakers(threshold=1, cooldown=30, clock=clock)
    call, _ = caller(clock, attempts=1, breakers=breakers)
    entered: list[int] = []

    async def down(inp: Ask, ctx: CallContext) -> Answer:
        entered.append(inp.n)
        raise SystemUnavailable("The CRM is not responding (503)", system="crm")

    op = operation("crm", down)
    await call.call(op, [{"n": 0}], CTX)
    clock.advance(timedelta(seconds=31))
    await call.call(op, [{"n": 1}], CTX)  # the probe fails
    clock.advance(timedelta(seconds=29))
    skipped = await call.call(op, [{"n": 2}], CTX)
    assert skipped.failure == "circuit_open" and entered == [0, 1]


def test_an_idle_bucket_fills_up_again() -> None:
    clock = ManualClock(T0)
    budgets = RateBudgets({"crm": Budget(per_second=2, burst=3)}, clock=clock)
    assert [budgets.reserve("crm") for _ in range(5)] == [0, 0, 0, 0.5, 1.0]
    clock.advance(timedelta(seconds=10))
    assert [budgets.reserve("crm") for _ in range(4)] == [0, 0, 0, 0.5]
