"""How the engine treats a system that is slow, busy or down, beside the circuit breaker
(:mod:`workflows.engine.breaker`): a rate budget per system, and the wait before a retry.

Every call of every operation goes through :class:`~workflows.engine.calls.OperationCaller`,
which applies these in one order: the breaker (fail fast while open), the attempt under its
time limit, and on a transient failure a wait of :func:`RetryWait` before the next attempt.
Connectors only say what went wrong (their error tree, with ``retry_after`` when the system
asked us to slow down); none retries on its own.

The rate budget is spent per request, where requests leave: the composition root hands
:meth:`RateBudgets.take` to the connectors, whose HTTP clients await it before every request
they send (a retry's requests too), so an operation of six requests takes six tokens. A wait
for a token is our own queue, not the system being slow: it extends the waiting call's attempt
time limit and its straggler's grace (:class:`Turns`, read by the operation caller).

Time is read from the injected clock and waited through an injected ``sleep``, so tests move
through budgets and ``Retry-After`` hints without waiting (:class:`ClockSleep`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from workflows.clock import Clock, ManualClock, SystemClock

Sleep = Callable[[float], Awaitable[None]]

log = structlog.get_logger(__name__)


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
    # The moment the bucket is full again: each request moves it on by one token's worth.
    full_at: datetime | None = None
    taken: int = 0  # tokens handed out (requests let go, at once or after a wait)
    behind: bool = False  # the latest request had to wait: a wait is going on
    waits: int = 0  # waits begun (a request had to wait after one that did not)
    waited: int = 0  # requests that waited
    waited_s: float = 0.0  # their waits, summed
    longest_s: float = 0.0


@dataclass(frozen=True)
class Waits:
    """How much ``system``'s budget made its requests wait, since the process started."""

    system: str
    taken: int  # requests that took a token
    waits: int  # waits begun (each one log line)
    requests: int  # requests that waited
    waited_s: float
    longest_s: float


@dataclass
class RateBudgets:
    """The rate budget of every system that has one (a system without one is not paced).

    :meth:`reserve` hands out start times in request order without waiting itself: a fan-out
    of fifty requests to a system allowed 10 a second with a burst of 5 gets five at once,
    then one every 0.1 s, so the vendor never sees more than its budget. :meth:`take` waits
    for the turn through ``sleep`` (a test's :class:`ClockSleep` moves its clock instead)."""

    budgets: Mapping[str, Budget] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    sleep: Sleep = asyncio.sleep
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def reserve(self, system: str) -> float:
        """Take one token of ``system``'s budget: the seconds to wait before the request may
        go out (0 when a token is free now, or when the system has no budget)."""
        budget = self.budgets.get(system)
        if budget is None:
            return 0.0
        bucket = self._buckets.setdefault(system, _Bucket(budget))
        bucket.taken += 1
        now = self.clock.now()
        token = timedelta(seconds=1 / budget.per_second)
        full_at = max(bucket.full_at or now, now)
        bucket.full_at = full_at + token
        # A token is free once the bucket is at most ``burst - 1`` tokens from full.
        start = full_at - token * (budget.burst - 1)
        return max(0.0, (start - now).total_seconds())

    async def take(self, system: str) -> float:
        """Wait until a request to ``system`` fits its budget; returns the wait. A wait
        begins when a request must wait after one that did not, and says so in the log once,
        however many requests join it before one finds a token free again; :meth:`waits`
        counts them all. (A request cancelled while it waits does not give its token back:
        the vendor sees fewer requests than the budget, never more.)"""
        delay = self.reserve(system)
        bucket = self._buckets.get(system)
        if bucket is None or delay <= 0:
            if bucket is not None:
                bucket.behind = False
            return 0.0
        if not bucket.behind:
            bucket.behind, bucket.waits = True, bucket.waits + 1
            log.info("rate_budget.waiting", system=system, wait_s=round(delay, 3),
                     per_second=bucket.budget.per_second, burst=bucket.budget.burst)  # fmt: skip
        bucket.waited += 1
        bucket.waited_s += delay
        bucket.longest_s = max(bucket.longest_s, delay)
        turns = TURNS.get()
        if turns is not None:
            turns.waiting(delay)
        await self.sleep(delay)
        return delay

    def waits(self) -> list[Waits]:
        """Every paced system's waits so far (the figures behind the log lines)."""
        return [
            Waits(system, b.taken, b.waits, b.waited, round(b.waited_s, 3), round(b.longest_s, 3))
            for system, b in sorted(self._buckets.items())
        ]


class Turns:
    """The waits for tokens of one operation call, which are not the system's time: each one
    pushes the running attempt's time limit on by the wait, and :attr:`until` says when the
    latest ends (event-loop time), from which a straggler's grace counts instead."""

    def __init__(self) -> None:
        self.until = 0.0
        self.attempt: asyncio.Timeout | None = None

    def waiting(self, delay: float) -> None:
        now = asyncio.get_running_loop().time()
        # Waits that overlap (requests of one call sent together) count once.
        more = max(0.0, now + delay - max(now, self.until))
        self.until = max(self.until, now + delay)
        when = self.attempt.when() if self.attempt is not None else None
        if self.attempt is not None and when is not None:
            self.attempt.reschedule(when + more)


# The call a request belongs to, set by the operation caller around each call (a context
# variable, so a connector's HTTP client reaches it without knowing the engine).
TURNS: ContextVar[Turns | None] = ContextVar("crosswire_turns", default=None)


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
    "TURNS",
    "Budget",
    "ClockSleep",
    "RateBudgets",
    "RetryWait",
    "Sleep",
    "StopWhenAskedOver",
    "Turns",
    "Waits",
    "hinted_wait",
]
