"""Moving and cancelling demo meetings, so that a person can try a moved or cancelled one.

A change is kept per instance id in ``calendar_changes`` (a write table: it outlives the
daily rebuild) and applied by every calendar read (:mod:`connectors.demo.calendar`). A moved
instance keeps its id and its length; it is moved from where it stands now (a second move
adds to the first). Refusals are :class:`CalendarEditError`, whose message a person can read:

    CalendarEditError (ValueError)
    ├── UnknownMeeting      no meeting has that id
    ├── MeetingCancelled    the meeting is cancelled already
    └── MovedIntoThePast    the new start would be before now
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from connectors.demo.calendar import (
    INSTANCE_FORMAT,
    Change,
    changed,
    event_meeting,
    held_meeting,
    instance_id,
    on_grid,
    read_changes,
)
from connectors.demo.schema import calendar_events
from connectors.demo.store import DemoRead, DemoWorld
from connectors.demo.writes import calendar_changes, calendar_holds
from workflows.domain import Meeting


class CalendarEditError(ValueError):
    """A move or cancellation the calendar refuses; the message says why, for a person."""


class UnknownMeeting(CalendarEditError):
    """No meeting (instance, one-off or hold) has the id asked for."""


class MeetingCancelled(CalendarEditError):
    """The meeting was cancelled before; it can be neither moved nor cancelled again."""


class MovedIntoThePast(CalendarEditError):
    """The move would make the meeting start before now."""


@dataclass(frozen=True)
class Scheduled:
    """A meeting as it was scheduled, and the calendar row or hold it is (an instance of)."""

    meeting: Meeting
    event_id: str


class MeetingEdit(BaseModel):
    """What a change did: the meeting before it, and after it (``None``: cancelled)."""

    model_config = ConfigDict(frozen=True)

    action: Literal["moved", "cancelled"]
    before: Meeting
    after: Meeting | None


async def move_meeting(world: DemoWorld, meeting_id: str, by: timedelta) -> MeetingEdit:
    """Move meeting ``meeting_id`` by ``by`` from where it stands now; it keeps its id."""
    async with world.write() as write:
        scheduled, change = await _found(write, meeting_id)
        before = _current(scheduled.meeting, change)
        starts = before.starts_at + by
        if starts < write.now:
            raise MovedIntoThePast(
                f"Moving {before.id} by {_signed(by)} would start it at {starts:%H:%M} UTC on "
                f"{starts:%a %d %b}, which is in the past (it is now {write.now:%H:%M} UTC)."
            )
        await _save(write, scheduled, moved_to=starts, cancelled_at=None)
    after = before.model_copy(update={"starts_at": starts, "ends_at": before.ends_at + by})
    return MeetingEdit(action="moved", before=before, after=after)


async def cancel_meeting(world: DemoWorld, meeting_id: str) -> MeetingEdit:
    """Cancel meeting ``meeting_id``: no calendar read shows it any more."""
    async with world.write() as write:
        scheduled, change = await _found(write, meeting_id)
        before = _current(scheduled.meeting, change)
        moved_to = change.moved_to if change is not None else None
        await _save(write, scheduled, moved_to=moved_to, cancelled_at=write.now)
    return MeetingEdit(action="cancelled", before=before, after=None)


async def scheduled_meeting(read: DemoRead, meeting_id: str) -> Scheduled:
    """The meeting ``meeting_id`` as it was scheduled, before any change."""
    found = await _recurring(read, meeting_id) or await _single(read, meeting_id)
    if found is None:
        raise UnknownMeeting(
            f"There is no meeting {meeting_id!r}. `crosswire demo meetings` lists the "
            "upcoming ones with their ids."
        )
    return found


async def _found(read: DemoRead, meeting_id: str) -> tuple[Scheduled, Change | None]:
    scheduled = await scheduled_meeting(read, meeting_id.strip())
    return scheduled, (await read_changes(read)).get(scheduled.meeting.id)


def _current(scheduled: Meeting, change: Change | None) -> Meeting:
    """Where the meeting stands now; refused if it is cancelled."""
    current = changed(scheduled, change)
    if current is None:
        assert change is not None and change.cancelled_at is not None
        raise MeetingCancelled(
            f"{scheduled.id} ({scheduled.title}) was already cancelled, at "
            f"{change.cancelled_at:%H:%M} UTC on {change.cancelled_at:%a %d %b}; nothing changed."
        )
    return current


async def _recurring(read: DemoRead, meeting_id: str) -> Scheduled | None:
    """The instance ``meeting_id`` names (``{row id}-{start}``), if its row recurs then."""
    row_id, _, stamp = meeting_id.rpartition("-")
    try:
        start = datetime.strptime(stamp, INSTANCE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    query = select(calendar_events).where(calendar_events.c.id == row_id)
    row = (await read.conn.execute(query)).mappings().one_or_none()
    if row is None or row["anchor"] != "every" or not on_grid(row, start):
        return None
    if instance_id(row_id, start) != meeting_id:
        return None
    return Scheduled(event_meeting(read, row, start), row_id)


async def _single(read: DemoRead, meeting_id: str) -> Scheduled | None:
    """The one-off meeting or the (unreleased) hold with id ``meeting_id``."""
    events = select(calendar_events).where(
        calendar_events.c.id == meeting_id, calendar_events.c.anchor == "today"
    )
    row = (await read.conn.execute(events)).mappings().one_or_none()
    if row is not None:
        return Scheduled(event_meeting(read, row), meeting_id)
    holds = select(calendar_holds).where(
        calendar_holds.c.id == meeting_id, calendar_holds.c.released_at.is_(None)
    )
    hold = (await read.conn.execute(holds)).mappings().one_or_none()
    return None if hold is None else Scheduled(held_meeting(hold), meeting_id)


async def _save(
    write: DemoRead,
    scheduled: Scheduled,
    *,
    moved_to: datetime | None,
    cancelled_at: datetime | None,
) -> None:
    """Store the instance's change, replacing any earlier one."""
    values = {
        "instance_id": scheduled.meeting.id,
        "event_id": scheduled.event_id,
        "original_start": scheduled.meeting.starts_at,
        "moved_to": moved_to,
        "cancelled_at": cancelled_at,
        "changed_at": write.now,
    }
    statement = insert(calendar_changes).values(values)
    updated = {k: statement.excluded[k] for k in ("moved_to", "cancelled_at", "changed_at")}
    await write.conn.execute(
        statement.on_conflict_do_update(index_elements=["instance_id"], set_=updated)
    )


def _signed(by: timedelta) -> str:
    minutes = int(by.total_seconds() // 60)
    sign, minutes = ("-", -minutes) if minutes < 0 else ("+", minutes)
    hours, rest = divmod(minutes, 60)
    return sign + (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")
