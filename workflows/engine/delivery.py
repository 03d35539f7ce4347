"""How steps that show something to people are retried."""

from __future__ import annotations

from dbos import StepOptions

from workflows.errors import retryable_delivery

# Showing a run to people is retried by DBOS when the chat system blinked (a 5xx, a
# timeout), never when it refused (no such channel, invalid blocks): that would be refused
# again. Reads have their own retries in the operation caller.
DELIVERY_RETRIES: StepOptions = {
    "retries_allowed": True,
    "max_attempts": 3,
    "interval_seconds": 0.25,
    "backoff_rate": 3.0,
    "should_retry": retryable_delivery,
}
