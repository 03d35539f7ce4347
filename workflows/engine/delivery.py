"""How showing a run to people is retried.

Showing a run is retried when the chat system blinked (a 5xx, a timeout), never when it
refused (no such channel, invalid blocks): that would be refused again. Reads have their own
retries in the operation caller. A step that only shows something is retried by DBOS
(:data:`DELIVERY_RETRIES`); a post made inside a larger step (the announcement inside the
planning step) is retried on the same schedule in place (:func:`shown`), so a blink never
repeats the rest of that step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from dbos import StepOptions
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from workflows.engine.repeats import retried_in_place
from workflows.errors import retryable_delivery

T = TypeVar("T")
ATTEMPTS = 3
FIRST_WAIT_S = 0.25
BACKOFF = 3.0

DELIVERY_RETRIES: StepOptions = {
    "retries_allowed": True,
    "max_attempts": ATTEMPTS,
    "interval_seconds": FIRST_WAIT_S,
    "backoff_rate": BACKOFF,
    "should_retry": retryable_delivery,
}


async def shown(post: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``post(*args)``, retried as :data:`DELIVERY_RETRIES` retries a step (an attempt after
    the first looks for what the one before may have posted); the last error rises as it
    was raised."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=FIRST_WAIT_S, exp_base=BACKOFF),
        retry=retry_if_exception(retryable_delivery),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt, retried_in_place(attempt.retry_state.attempt_number > 1):
            return await post(*args)
    raise AssertionError("unreachable: tenacity either returns or re-raises")
