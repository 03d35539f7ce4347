"""When a run stops waiting for a system: its reading deadline, and the grace after the others.

A run's reading phase (its waves of steps) has a total budget: at ``started + budget`` every
step still waiting is cut off. Within a wave, once every other step has finished, the one
still running gets at most ``grace`` more: a hung system is not waited for far past the
others. A wave of one step has no others, so only the budget bounds it; several systems hung
in one wave hold each other to the budget too.

The wait is real (the event loop's monotonic time, as ``asyncio.timeout`` uses); no decision
about other runs is made here (the circuit breakers, on the injected clock, do that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class StepCutoff:
    """The moment one step must stop waiting: awaiting :meth:`reached` returns then."""

    wave: WaveCutoff
    step_id: str

    @property
    def deadline(self) -> float:
        """The run's deadline, in event-loop time."""
        return self.wave.deadline

    def remaining(self) -> float:
        """Seconds left before the run's deadline (never negative)."""
        return max(0.0, self.deadline - asyncio.get_running_loop().time())

    async def reached(self) -> None:
        """Return at the run's deadline, or ``grace`` after every other step finished."""
        try:
            async with asyncio.timeout_at(self.deadline):
                await self.wave.alone.wait()
                await asyncio.sleep(self.wave.grace)
        except TimeoutError:
            return


class WaveCutoff:
    """The cut-off of one wave's steps: told as each finishes, it starts the grace of the
    last one still running."""

    def __init__(self, step_ids: Iterable[str], *, deadline: float, grace: float) -> None:
        self.running = set(step_ids)
        self.deadline = deadline
        self.grace = grace
        self.alone = asyncio.Event()
        self._lonely = len(self.running) > 1

    def step(self, step_id: str) -> StepCutoff:
        return StepCutoff(self, step_id)

    def finished(self, step_id: str) -> None:
        """``step_id`` has its result (telling twice is harmless)."""
        self.running.discard(step_id)
        if self._lonely and len(self.running) <= 1:
            self.alone.set()


def reading_deadline(budget_s: float) -> float:
    """The event-loop time at which a reading phase starting now must end."""
    return asyncio.get_running_loop().time() + budget_s
