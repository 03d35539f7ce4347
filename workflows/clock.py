"""Where "now" comes from: one clock, built in the composition root and injected everywhere.

Nothing in the bot, the engine or the connectors asks the operating system for the time
itself: a server that runs for days then never works with a stale "now", and tests move time
on purpose (:class:`ManualClock`) instead of waiting for it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current moment."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The operating system's wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: the test double for anything that reads time.

    >>> clock = ManualClock(datetime(2026, 3, 5, 23, 50, tzinfo=UTC))
    >>> clock.advance(timedelta(minutes=20)).isoformat()
    '2026-03-06T00:10:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (forwards or backwards); returns it."""
        self._now = _aware(moment)
        return self._now

    def advance(self, by: timedelta) -> datetime:
        """Move forward by ``by``; returns the new moment."""
        if by < timedelta(0):
            raise ValueError("a clock advances forwards; use set() to go back")
        self._now += by
        return self._now


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the clock's time must be timezone-aware")
    return moment
