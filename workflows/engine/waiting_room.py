"""Where runs wait for their approvals to change, at the cost of one query for all of them.

A run waiting for a person waits here, not in ``DBOS.recv``: DBOS on SQLite polls the
database for every waiting ``recv`` every 50 ms, so a thousand waiting approvals would cost
twenty thousand queries a second. Here one task reads the state (status, escalation level)
of every watched approval in one query per ``interval_s`` (and at once when new waiters
arrive: a thousand runs recovered together cost one query), and a decision taken in this
process rings its waiter at once (:meth:`WaitingRoom.ring`, called by the desk's wake-up
after ``DBOS.send``). Once its approval has changed, the run takes the wake-up message with
``DBOS.recv`` (it is there already) and reads the row, which is the truth.

Waiting here is not a DBOS operation, so a replay does not record it: a replayed run whose
approval has moved on since finds it changed at once and replays its recorded steps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)
State = tuple[str, int]
INTERVAL_S = 0.5


class WaitingRoom:
    def __init__(
        self,
        states: Callable[[list[str]], Awaitable[dict[str, State]]],
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._states = states
        self._interval_s = interval_s
        self._waiting: dict[str, list[tuple[State, asyncio.Event]]] = {}
        self._watch: asyncio.Task[None] | None = None
        self._newcomers = asyncio.Event()

    @property
    def waiting(self) -> int:
        """How many waits are open."""
        return sum(len(w) for w in self._waiting.values())

    async def changed(self, approval_id: str, known: State) -> None:
        """Return once the approval's state is no longer ``known`` (at once if it is not
        already: the next look, which a new waiter brings forward, is made for it)."""
        event = asyncio.Event()
        entry = (known, event)
        self._waiting.setdefault(approval_id, []).append(entry)
        self._newcomers.set()
        self._start()
        try:
            await event.wait()
        finally:
            entries = self._waiting.get(approval_id, [])
            if entry in entries:
                entries.remove(entry)
            if not entries:
                self._waiting.pop(approval_id, None)

    def ring(self, approval_id: str) -> None:
        """The approval changed in this process: its waiters look now."""
        for _, event in self._waiting.get(approval_id, []):
            event.set()

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None

    def _start(self) -> None:
        if self._watch is None or self._watch.done():
            self._watch = asyncio.create_task(self._watching(), name="crosswire.waiting_room")

    async def _watching(self) -> None:
        while self._waiting:
            # Not ``asyncio.wait_for``: in Python 3.11 a cancellation that meets a newcomer's
            # arrival is lost there, and the room would never close.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._newcomers.wait()
            self._newcomers.clear()
            asked = list(self._waiting)
            try:
                states = await self._states(asked)
            except Exception:  # a database blip: look again next time
                log.warning("waiting_room.poll_failed", exc_info=True)
                continue
            # Only what was asked about: a waiter that came in meanwhile is looked at next
            # time (its arrival brings that look forward), not woken for want of an answer.
            for approval_id in asked:
                for known, event in self._waiting.get(approval_id, []):
                    if states.get(approval_id) != known:
                        event.set()
