"""The working slots of one process: how many runs may work at once.

A run holds a slot while it works and gives it back while it waits for a person (an
approval may take days), so a thousand waiting runs cost a new briefing nothing. Runs past
the limit wait durably (PENDING in DBOS) for a slot, so a burst cannot starve the event loop
that acknowledges Slack.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

_holding: ContextVar[bool] = ContextVar("crosswire_holding_slot", default=False)


class Slots:
    def __init__(self, size: int) -> None:
        self._free = asyncio.Semaphore(size)
        self.size = size

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Hold a slot for the body (a run's working part)."""
        async with self._free:
            token = _holding.set(True)
            try:
                yield
            finally:
                _holding.reset(token)

    @asynccontextmanager
    async def given_up(self) -> AsyncIterator[None]:
        """Give the caller's slot back for the body (a wait), and take one again after.
        Outside :meth:`working` (a run driven directly, in tests) it only runs the body."""
        if not _holding.get():
            yield
            return
        self._free.release()
        try:
            yield
        finally:
            await self._free.acquire()
