"""The demo calendar: its stored rows turned into meeting instances, with changes applied.

A row of ``calendar_events`` is one of two kinds (its ``anchor``):

- ``"today"``: one meeting at ``offset_minutes`` after the UTC midnight of the day the world
  was generated for; its instance id is the row's id.
- ``"every"``: a rolling recurring meeting, every ``period_minutes`` at ``offset_minutes``
  into each period of a fixed UTC grid counted from the Unix epoch. An instance's start never
  depends on when the world is read, and its id is ``{row id}-{start:%Y%m%dT%H%MZ}`` (like a
  recurring event's instance id in Google Calendar), the same on every read and every day.

Slots held with ``calendar.create_hold`` are meetings too (their id is the hold's). Moves and
cancellations (``calendar_changes``, kept across daily rebuilds) apply to every kind, on
every read: a cancelled instance is gone, a moved one keeps its id and its length at the new
time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import RowMapping, select

from connectors.demo.schema import calendar_events
from connectors.demo.store import DemoRead
from connectors.demo.writes import calendar_changes, calendar_holds
from workflows.domain import Meeting

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
INSTANCE_FORMAT: Final = "%Y%m%dT%H%MZ"
MAX_WINDOW: Final = timedelta(days=14)


@dataclass(frozen=True)
class Change:
    """A stored move or cancellation of one instance."""

    instance_id: str
    event_id: str
    original_start: datetime
    moved_to: datetime | None
    cancelled_at: datetime | None
    changed_at: datetime


def instance_id(row_id: str, start: datetime) -> str:
    """The stable id of the instance of recurring row ``row_id`` that starts at ``start``."""
    return f"{row_id}-{start.astimezone(UTC):{INSTANCE_FORMAT}}"


def recurring_starts(row: RowMapping, start: datetime, end: datetime) -> Iterator[datetime]:
    """The starts in ``[start, end)`` of recurring row ``row``, on its epoch-aligned grid."""
    period = timedelta(minutes=row["period_minutes"])
    offset = timedelta(minutes=row["offset_minutes"])
    first = -((EPOCH + offset - start) // period)  # ceil((start - epoch - offset) / period)
    moment = EPOCH + offset + first * period
    while moment < end:
        yield moment
        moment += period


def on_grid(row: RowMapping, moment: datetime) -> bool:
    """Whether a recurring row has an instance starting exactly at ``moment``."""
    period = timedelta(minutes=row["period_minutes"])
    return (moment - EPOCH - timedelta(minutes=row["offset_minutes"])) % period == timedelta(0)


def event_meeting(read: DemoRead, row: RowMapping, start: datetime | None = None) -> Meeting:
    """The meeting of row ``row``: its instance at ``start`` for a recurring row, the one
    meeting of the generated day for a ``"today"`` row."""
    if row["anchor"] == "today":
        meeting_id, start = row["id"], read.midnight + timedelta(minutes=row["offset_minutes"])
    else:
        assert start is not None, "a recurring row's instance needs its start"
        meeting_id = instance_id(row["id"], start)
    return Meeting(
        id=meeting_id,
        title=row["title"],
        starts_at=start,
        ends_at=start + timedelta(minutes=row["duration_minutes"]),
        organizer_email=row["organizer_email"],
        attendees=row["attendees"],
    )


def held_meeting(row: RowMapping) -> Meeting:
    """A slot held with ``calendar.create_hold``, shown as the meeting it holds time for."""
    return Meeting(
        id=row["id"],
        title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["starts_at"] + timedelta(minutes=row["duration_minutes"]),
        organizer_email=row["owner_email"],
        attendees=[row["owner_email"], *row["attendees"]],
    )


def changed(meeting: Meeting, change: Change | None) -> Meeting | None:
    """``meeting`` as ``change`` leaves it: ``None`` if cancelled, at the new time if moved."""
    if change is None:
        return meeting
    if change.cancelled_at is not None:
        return None
    if change.moved_to is None:
        return meeting
    length = meeting.ends_at - meeting.starts_at
    return meeting.model_copy(
        update={"starts_at": change.moved_to, "ends_at": change.moved_to + length}
    )


async def read_changes(read: DemoRead) -> dict[str, Change]:
    """Every stored change, by instance id."""
    rows = (await read.conn.execute(select(calendar_changes))).mappings().all()
    return {r["instance_id"]: Change(**dict(r)) for r in rows}


async def meetings_between(read: DemoRead, start: datetime, end: datetime) -> list[Meeting]:
    """Every calendar's meetings (changes applied) starting in ``[start, end)``, soonest first."""
    events = (await read.conn.execute(select(calendar_events))).mappings().all()
    holds = select(calendar_holds).where(calendar_holds.c.released_at.is_(None))
    held = (await read.conn.execute(holds)).mappings().all()
    changes = await read_changes(read)
    found = [*_scheduled(read, events, start, end), *map(held_meeting, held)]
    found += _moved_in(read, events, changes, start, end)
    meetings: dict[str, Meeting] = {}
    for meeting in found:
        now_at = changed(meeting, changes.get(meeting.id))
        if now_at is not None and start <= now_at.starts_at < end:
            meetings[now_at.id] = now_at
    return sorted(meetings.values(), key=lambda m: (m.starts_at, m.id))


def _scheduled(
    read: DemoRead, events: Sequence[RowMapping], start: datetime, end: datetime
) -> Iterator[Meeting]:
    """Each row's meetings as scheduled (before changes) that start in ``[start, end)``."""
    for row in events:
        if row["anchor"] == "today":
            yield event_meeting(read, row)
        else:
            for moment in recurring_starts(row, start, end):
                yield event_meeting(read, row, moment)


def _moved_in(
    read: DemoRead,
    events: Sequence[RowMapping],
    changes: dict[str, Change],
    start: datetime,
    end: datetime,
) -> Iterator[Meeting]:
    """Recurring instances scheduled outside the window but moved into it."""
    rows = {r["id"]: r for r in events if r["anchor"] == "every"}
    for change in changes.values():
        row = rows.get(change.event_id)
        if row is not None and change.moved_to is not None and start <= change.moved_to < end:
            yield event_meeting(read, row, change.original_start)
