"""Runs give way to Slack's acknowledgements.

Slack wants every request acknowledged within 3 seconds; a briefing has no such deadline.
Requests and runs share one event loop (and the GIL), so during a burst of requests the work
that follows an ack (starting the run, its status, the approval sweep) waits until the edge
is quiet: no request being served and none arrived for ``quiet_s``; for at most
``max_wait_s``. What waits is already durable (the inbox has the ask): waiting delays it,
never loses it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class EdgeActivity:
    quiet_s: float = 0.05
    max_wait_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    _last_request: float = field(default=float("-inf"))
    _in_flight: int = 0

    @contextmanager
    def serving(self) -> Iterator[None]:
        """While a request is being served (from its arrival to its acknowledgement)."""
        self._in_flight += 1
        self._last_request = self.clock()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._last_request = self.clock()

    def quiet(self) -> bool:
        """No request is being served, and none was for ``quiet_s``."""
        return self._in_flight == 0 and self.clock() - self._last_request >= self.quiet_s

    async def wait_quiet(self) -> None:
        """Return once the edge is quiet, or after ``max_wait_s``."""
        deadline = self.clock() + self.max_wait_s
        while not self.quiet() and (now := self.clock()) < deadline:
            idle = max(0.0, now - self._last_request)
            await self.sleep(min(max(self.quiet_s - idle, self.quiet_s / 5), deadline - now))
