"""How the engine treats a system that is slow, busy or down, beside the circuit breaker
(:mod:`workflows.engine.breaker`): a rate budget per system, and the wait before a retry.

Every call of every operation goes through :class:`~workflows.engine.calls.OperationCaller`,
which applies these in one order: the breaker (fail fast while open), the system's rate budget
(wait for a token), the attempt under its time limit, and on a transient failure a wait of
:func:`RetryWait` before the next attempt. Connectors only say what went wrong (their error
tree, with ``retry_after`` when the system asked us to slow down); none retries on its own.

Time is read from the injected clock and waited through an injected ``sleep``, so tests move
through budgets and ``Retry-After`` hints without waiting (:class:`ClockSleep`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from workflows.clock import Clock, ManualClock, SystemClock

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Budget:
    """A token bucket: ``per_second`` calls on average, up to ``burst`` at once."""

    per_second: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a rate budget needs per_second > 0 and burst >= 1")


@dataclass
class _Bucket:
    budget: Budget
    # The moment the bucket is full again: each call moves it on by one token's worth.
    full_at: datetime | None = None


@dataclass
class RateBudgets:
    """The rate budget of every system that has one (a system without one is not paced).

    :meth:`reserve` hands out start times in call order without waiting itself: a fan-out of
    fifty calls to a system allowed 10 a second with a burst of 5 gets five at once, then one
    every 0.1 s, so the vendor never sees more than its budget."""

    budgets: Mapping[str, Budget] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def reserve(self, system: str) -> float:
        """Take one token of ``system``'s budget: the seconds to wait before the call may go
        out (0 when a token is free now, or when the system has no budget)."""
        budget = self.budgets.get(system)
        if budget is None:
            return 0.0
        bucket = self._buckets.setdefault(system, _Bucket(budget))
        now = self.clock.now()
        token = timedelta(seconds=1 / budget.per_second)
        full_at = max(bucket.full_at or now, now)
        bucket.full_at = full_at + token
        # A token is free once the bucket is at most ``burst - 1`` tokens from full.
        start = full_at - token * (budget.burst - 1)
        return max(0.0, (start - now).total_seconds())

    async def take(self, system: str, sleep: Sleep) -> float:
        """Wait (through ``sleep``) until a call to ``system`` fits its budget; returns the wait."""
        delay = self.reserve(system)
        if delay > 0:
            await sleep(delay)
        return delay


class RetryWait(wait_base):
    """Exponential backoff with jitter, unless the failure says how long to wait: a transient
    error's ``retry_after`` (seconds, from a ``Retry-After`` header) is honoured as given, at
    least, with a little jitter on top so that callers told the same do not return together."""

    def __init__(self, initial: float, maximum: float, jitter: float) -> None:
        self.initial, self.maximum, self.jitter = initial, maximum, jitter

    def __call__(self, retry_state: RetryCallState) -> float:
        hint = retry_after(retry_state)
        if hint is not None:
            return hint + random.uniform(0, self.jitter)
        exponent = max(0, retry_state.attempt_number - 1)
        backoff = float(min(self.maximum, self.initial * 2.0**exponent))
        return backoff + random.uniform(0, self.jitter)


class StopWhenAskedOver(stop_base):
    """Stop retrying when the system asks for a longer wait than ``limit`` seconds: the call
    fails now (a named gap in the answer) instead of holding its run for minutes."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        hint = retry_after(retry_state)
        return hint is not None and hint > self.limit


def retry_after(retry_state: RetryCallState) -> float | None:
    """The wait the failed attempt's error asked for, if it asked (never negative)."""
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None and outcome.failed else None
    return hinted_wait(error)


def hinted_wait(error: BaseException | None) -> float | None:
    """``error.retry_after`` in seconds when it carries one (``connectors.errors.RateLimited``
    does: the engine does not know the connectors, only this attribute)."""
    value = getattr(error, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    return None


class ClockSleep:
    """The test double of ``asyncio.sleep`` for a :class:`ManualClock`: sleeping moves the
    clock on by the delay at once and yields to the other tasks, so waits take no wall time
    and every later decision that reads the clock sees the time pass. ``waits`` records each
    delay and ``woke_at`` the moment each sleeper was due (several sleepers started together
    each see the clock where the one before left it, as their waits were reserved in turn)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.woke_at: list[datetime] = []

    async def __call__(self, delay: float) -> None:
        self.waits.append(delay)
        if delay > 0:
            self.clock.advance(timedelta(seconds=delay))
        self.woke_at.append(self.clock.now())
        await asyncio.sleep(0)


__all__ = [
    "Budget",
    "ClockSleep",
    "RateBudgets",
    "RetryWait",
    "Sleep",
    "StopWhenAskedOver",
    "hinted_wait",
]
