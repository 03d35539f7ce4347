"""Work a serving process does every so often beside the app (the approvals' sweep, the
identity graph's refresh, its reviews put to admins), stopped between two passes.

A pass writes to the database; a task cancelled in the middle of one may leave a pooled
connection checked out or half opened (an aiosqlite connection being opened when the
cancellation lands has no owner left to close it), which the garbage collector then finds
after its event loop has gone. So :meth:`Periodic.stop` lets a pass in flight finish, for up
to ``grace_s``, and cancels only one that overruns it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress

import structlog

from workflows.engine import no_pacing

log = structlog.get_logger(__name__)
STOP_GRACE_S = 8.0
"""How long a stop waits for a pass in flight: a sweep takes milliseconds, a refresh of a
large graph seconds, and a container is killed 10 s after it is asked to stop."""


class Periodic:
    """``work`` every ``interval_s`` once ``pacer`` gives way (the edge is quiet),
    ``first_at_once``: also as soon as it starts. A pass that raises one of ``blips`` is
    logged as ``failed`` and the next goes on."""

    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        interval_s: float,
        *,
        failed: str,
        blips: tuple[type[BaseException], ...] = (Exception,),
        pacer: Callable[[], Awaitable[None]] = no_pacing,
        first_at_once: bool = False,
    ) -> None:
        self.name, self.interval_s, self._work, self._failed = name, interval_s, work, failed
        self._blips, self._pacer, self._first_at_once = blips, pacer, first_at_once
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)
            self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("periodic.ended", task=self.name, exc_info=error)

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """No pass after this one; a pass in flight finishes (``grace_s`` at most)."""
        task, self._task = self._task, None
        self._stopping.set()
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace_s)
        if not done:
            log.warning("periodic.cancelled", task=self.name, grace_s=grace_s)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        wait = 0.0 if self._first_at_once else self.interval_s
        while not await self._stopped_within(wait):
            wait = self.interval_s
            await self._pacer()
            if self._stopping.is_set():
                return
            try:
                await self._work()
            except self._blips:  # a blip must not end the passes
                log.exception(self._failed)
            self.passes += 1

    async def _stopped_within(self, seconds: float) -> bool:
        if seconds <= 0:
            return self._stopping.is_set()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()
