"""Runs give way to Slack's acknowledgements.

Slack wants every request acknowledged within 3 seconds; a briefing has no such deadline.
Requests and runs share one event loop (and the GIL), so during a burst of requests a run
that is about to start waits until the edge has been quiet for a moment, for at most
``max_wait_s``. The run is already durably started: waiting here delays it, never loses it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class EdgeActivity:
    quiet_s: float = 0.05
    max_wait_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _last_request: float = field(default=float("-inf"))

    def touch(self) -> None:
        """A request arrived."""
        self._last_request = self.clock()

    async def wait_quiet(self) -> None:
        """Return once no request arrived for ``quiet_s``, or after ``max_wait_s``."""
        deadline = self.clock() + self.max_wait_s
        while (now := self.clock()) < deadline:
            idle = now - self._last_request
            if idle >= self.quiet_s:
                return
            await asyncio.sleep(min(self.quiet_s - idle, deadline - now))
