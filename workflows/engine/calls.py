"""Calling one operation the way every step does: validated input, a circuit breaker per
system, a time limit per attempt, retries with backoff and jitter for transient failures
(honouring the system's ``Retry-After``), a cut-off from the run's deadline, and a result that
never raises. This is the one place resilience lives: connectors raise their error tree and
never retry themselves (see :mod:`workflows.engine.resilience`).

A system's rate budget is spent per request by the connectors' clients, not here; a call's
waits for tokens (:class:`~workflows.engine.resilience.Turns`) are not held against it: they
push its attempt's time limit on, and a straggler's grace counts from its latest turn.

A call that is cut off (see :mod:`workflows.engine.deadline`) is cancelled inside the step and
returns a ``late`` result, so the step itself finishes and is checkpointed as usual: a replay
reads the same outcome instead of asking the system again.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)
from tenacity.stop import stop_base

from workflows.catalog import AnyOperation, CallContext
from workflows.clock import Clock, SystemClock
from workflows.engine.breaker import CircuitBreakers
from workflows.engine.deadline import StepCutoff
from workflows.engine.resilience import TURNS, RetryWait, Sleep, StopWhenAskedOver, Turns
from workflows.errors import (
    NotPermitted,
    OperationError,
    OperationTimeout,
    PermanentOperationError,
)
from workflows.results import FailureKind, ItemResult, StepResult

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StepPolicy:
    """Time limit per attempt, attempts per call, the backoff between attempts (and the
    longest ``Retry-After`` a system may ask for before the call gives up instead), and how
    long a run's reading phase may take: its total budget, and the grace a straggler gets once
    the other steps of its wave have finished."""

    timeout_s: float = 10.0
    attempts: int = 3
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 2.0
    retry_after_max_s: float = 30.0
    run_deadline_s: float = 8.0
    late_grace_s: float = 2.0


Outcome = tuple[Any, tuple[str, FailureKind] | None, int]


@dataclass
class _Tally:
    """Attempts made so far, readable after the call was cut off mid-way."""

    attempts: int = 0


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, OperationError) and exc.retryable


@dataclass
class OperationCaller:
    policy: StepPolicy = field(default_factory=StepPolicy)
    breakers: CircuitBreakers = field(default_factory=CircuitBreakers)
    clock: Clock = field(default_factory=SystemClock)
    sleep: Sleep = asyncio.sleep

    async def call(
        self,
        operation: AnyOperation,
        calls: list[dict[str, Any]],
        ctx: CallContext,
        *,
        fan_out: bool = False,
        cutoff: StepCutoff | None = None,
        indexes: list[int] | None = None,
    ) -> StepResult:
        """Run the operation once per argument set (concurrently) and fold the outcomes.

        Each call of a fan-out has its own context (its own idempotency key) and its own
        item result. A fan-out step's output is the list of its successful outputs; it fails
        only if every call failed. With a ``cutoff``, calls still running when it is reached
        are cancelled and count as ``late``. ``indexes`` numbers the calls (by default 0…n-1;
        an approval that let only some items through keeps their original numbers).
        """
        started, t0 = self.clock.now(), time.perf_counter()
        numbers = list(indexes) if indexes is not None else list(range(len(calls)))
        contexts = [ctx.for_item(i) if fan_out else ctx for i in numbers]
        outcomes = await asyncio.gather(
            *(
                self._bounded(operation, a, c, cutoff, t0)
                for a, c in zip(calls, contexts, strict=True)
            )
        )
        base = {
            "step_id": ctx.step_id,
            "operation": operation.name,
            "system": operation.system,
            "started_at": started,
            "duration_ms": (time.perf_counter() - t0) * 1000,
            "attempts": max((o[2] for o in outcomes), default=0),
        }
        items = tuple(
            _item(number, outcome, context)
            for number, outcome, context in zip(numbers, outcomes, contexts, strict=True)
        )
        if fan_out:
            base["items"] = items
        failures = [o for o in outcomes if o[1] is not None]
        if failures and len(failures) == len(outcomes):
            error, kind = failures[0][1] or ("", "internal")
            return StepResult(status="failed", error=error, failure=kind, **base)
        outputs = [o[0] for o in outcomes]
        output = [i.output for i in items if i.ok] if fan_out else outputs[0]
        return StepResult(status="ok", output=output, **base)

    async def _bounded(
        self,
        operation: AnyOperation,
        args: dict[str, Any],
        ctx: CallContext,
        cutoff: StepCutoff | None,
        t0: float,
    ) -> Outcome:
        """One call, cancelled if ``cutoff`` is reached first (then it is ``late``)."""
        tally = _Tally()
        budget = cutoff.remaining() if cutoff else None
        turns = Turns()
        token = TURNS.set(turns)  # the call's task (and its requests) inherit it
        try:
            work = asyncio.ensure_future(self._one(operation, args, ctx, tally, budget))
        finally:
            TURNS.reset(token)
        if cutoff is None:
            return await work
        try:
            await _until_cut_off(work, cutoff, turns)
        finally:
            work.cancel()  # a no-op once it has finished
        await asyncio.wait({work})
        if not work.cancelled():
            return work.result()
        queued = turns.until > asyncio.get_running_loop().time()
        if not queued:  # a call still waiting its turn was held up by us, not by the system
            self.breakers.timed_out(operation.system)
        waited = time.perf_counter() - t0
        log.warning("operation.cut_off", operation=operation.name, waited_s=round(waited, 2),
                    queued=queued)  # fmt: skip
        return None, (f"skipped after {waited:.1f}s", "late"), tally.attempts

    async def _one(
        self,
        operation: AnyOperation,
        args: dict[str, Any],
        ctx: CallContext,
        tally: _Tally,
        budget: float | None,
    ) -> Outcome:
        try:
            payload = operation.input_model.model_validate(args)
        except ValidationError as exc:
            return None, (f"invalid input: {exc.errors()[0]['msg']}", "permanent"), 0
        if budget is not None and budget <= 0:
            return None, ("not asked: the run's time for reading was up", "late"), 0
        if not self.breakers.allows(operation.system):
            return None, (self.breakers.reason(operation.system), "circuit_open"), 0
        try:
            async for attempt in self._retrying(budget):
                with attempt:
                    tally.attempts += 1
                    output = await self._attempt(operation, payload, ctx)
        except OperationTimeout as exc:
            self.breakers.timed_out(operation.system)
            return None, (str(exc), "timeout"), tally.attempts
        except OperationError as exc:
            if exc.retryable:
                self.breakers.failed(operation.system)
            else:  # a refusal (not found, a bad filter) is the system answering: it is up
                self.breakers.succeeded(operation.system)
            return None, (str(exc), _kind(exc)), tally.attempts
        except Exception as exc:  # a connector bug must cost its section, not the run
            log.exception("operation.crashed", operation=operation.name)
            self.breakers.failed(operation.system)
            return None, (f"internal error ({type(exc).__name__})", "internal"), tally.attempts
        self.breakers.succeeded(operation.system)
        return output.model_dump(mode="json"), None, tally.attempts

    def _retrying(self, budget: float | None) -> AsyncRetrying:
        """Attempts with backoff (or the wait the system asked for); with a ``budget``, no
        attempt starts after it is spent, and a system asking for a longer wait than
        ``retry_after_max_s`` is not asked again by this call."""
        stop: stop_base = stop_after_attempt(self.policy.attempts) | StopWhenAskedOver(
            self.policy.retry_after_max_s
        )
        if budget is not None:
            stop = stop | stop_before_delay(budget)
        return AsyncRetrying(
            stop=stop,
            wait=RetryWait(
                initial=self.policy.backoff_initial_s,
                maximum=self.policy.backoff_max_s,
                jitter=self.policy.backoff_initial_s,
            ),
            retry=retry_if_exception(_retryable),
            sleep=self.sleep,
            reraise=True,
        )

    async def _attempt(
        self, operation: AnyOperation, payload: BaseModel, ctx: CallContext
    ) -> BaseModel:
        turns = TURNS.get()
        try:
            async with asyncio.timeout(self.policy.timeout_s) as limit:
                if turns is not None:
                    turns.attempt = limit  # its waits for tokens push the limit on
                output: BaseModel = await operation.handler(payload, ctx)
        except TimeoutError:
            raise OperationTimeout(
                f"no answer within {self.policy.timeout_s:g}s", system=operation.system
            ) from None
        expected: type[BaseModel] = operation.output_model
        if not isinstance(output, expected):
            raise PermanentOperationError(
                f"{operation.name} returned {type(output).__name__}, "
                f"not {operation.output_model.__name__}",
                system=operation.system,
            )
        return output


async def _until_cut_off(work: asyncio.Future[Outcome], cutoff: StepCutoff, turns: Turns) -> None:
    """Wait for ``work`` until ``cutoff``; a straggler's grace that ran out while it was
    waiting its turn for tokens (or soon after) counts again from that turn, up to the run's
    deadline: a call paced by its system's budget is queued by us, not hung."""
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[Any] = asyncio.ensure_future(cutoff.reached())
    try:
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    while not work.done():
        end = min(cutoff.deadline, turns.until + cutoff.wave.grace)
        if end <= loop.time():
            return
        await asyncio.wait({work}, timeout=end - loop.time())


def _item(number: int, outcome: Outcome, ctx: CallContext) -> ItemResult:
    output, failure, _ = outcome
    key = ctx.idempotency_key
    if failure is None:
        return ItemResult(index=number, status="ok", output=output, idempotency_key=key)
    error, kind = failure
    return ItemResult(index=number, status="failed", error=error, failure=kind, idempotency_key=key)


def _kind(exc: OperationError) -> FailureKind:
    if isinstance(exc, OperationTimeout):
        return "timeout"
    if isinstance(exc, NotPermitted):
        return "denied"
    return "transient" if exc.retryable else "permanent"


__all__ = ["OperationCaller", "StepPolicy"]
