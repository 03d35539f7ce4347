"""``crosswire demo ...``: look into the built-in demo systems and change their calendar.

- ``demo outbox``: what the demo mailbox has sent, oldest first.
- ``demo meetings``: every demo calendar's meetings of the next 24 hours, with their ids.
- ``demo meeting move ID +15m`` / ``demo meeting cancel ID``: move or cancel one meeting, so
  that a moved or cancelled meeting can be tried (a moved one keeps its id).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Final

from bot.cli.audit import clip, local
from bot.settings import Settings
from connectors.demo import DemoWorld, calendar, open_demo_world
from connectors.demo.calendar_edit import (
    CalendarEditError,
    UnknownMeeting,
    cancel_meeting,
    move_meeting,
)
from connectors.demo.writes import read_outbox
from workflows.clock import Clock, SystemClock
from workflows.domain import Meeting, OutboxMessage

COLUMNS: Final = ("SENT", "TO", "SUBJECT", "RUN", "IDEMPOTENCY KEY", "BODY")
SUBJECT_WIDTH: Final = 48
BODY_WIDTH: Final = 60


async def demo_outbox(settings: Settings, *, as_json: bool) -> int:
    """Print every message in the demo outbox (the newest last); a plain note when empty.

    Reads the demo world's file as it is, without creating or regenerating it."""
    messages = await read_outbox(settings.demo_database)
    if as_json:
        print(json.dumps([m.model_dump(mode="json") for m in messages], indent=2))
    elif not messages:
        print(
            "The demo mailbox has not sent anything yet. Emails appear here once a run sends "
            "them, e.g. after approving: crosswire ask \"follow up with last week's webinar "
            'attendees" --as dana.reyes@northwind.example'
        )
    else:
        print(_table(messages))
        count = "1 message" if len(messages) == 1 else f"{len(messages)} messages"
        print(f"\n{count}; bodies are cut to one line here, --json shows them whole.")
    return 0


def _table(messages: list[OutboxMessage]) -> str:
    """Messages as aligned columns under a header; times in this machine's zone, named."""
    rows = [
        (
            f"{local(m.sent_at):%Y-%m-%d %H:%M:%S %Z}",
            m.to,
            clip(m.subject, SUBJECT_WIDTH),
            m.run_id,
            m.idempotency_key,
            clip(m.body, BODY_WIDTH),
        )
        for m in messages
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in [COLUMNS, *rows]
    )


# ---------------------------------------------------------------- meetings

LISTED_FOR: Final = timedelta(hours=24)
MEETING_COLUMNS: Final = ("ID", "START (UTC)", "LOCAL", "TITLE", "ORGANIZER", "ATTENDEES")
TITLE_WIDTH: Final = 44
_OFFSET: Final = re.compile(r"([+-]?)(?:(\d{1,4})h)?(?:(\d{1,5})m)?")
OFFSET_EXAMPLES: Final = "+15m, -30m, +2h or +1h30m"


def parse_offset(text: str) -> timedelta:
    """How far to move a meeting: ``+15m``, ``-30m``, ``+2h``, ``+1h30m`` (no sign: later);
    :class:`ValueError` with a readable message for anything else, or no move at all."""
    match = _OFFSET.fullmatch(text.strip())
    if match is None or not (match[2] or match[3]):
        raise ValueError(f"{text!r} is not an offset: write it like {OFFSET_EXAMPLES}.")
    by = timedelta(hours=int(match[2] or 0), minutes=int(match[3] or 0))
    if not by:
        raise ValueError(f"{text!r} would not move the meeting: write it like {OFFSET_EXAMPLES}.")
    return -by if match[1] == "-" else by


async def demo_meetings(settings: Settings, *, as_json: bool, clock: Clock | None = None) -> int:
    """Print every calendar's meetings of the next 24 hours, soonest first, with their ids
    (moves and cancellations applied)."""
    async with _world(settings, clock) as world, world.read() as read:
        found = await calendar.meetings_between(read, read.now, read.now + LISTED_FOR)
    if as_json:
        print(json.dumps([m.model_dump(mode="json") for m in found], indent=2))
    elif not found:
        print("No meetings in the next 24 hours on any demo calendar.")
    else:
        print(_meetings_table(found))
        count = "1 meeting" if len(found) == 1 else f"{len(found)} meetings"
        print(
            f"\n{count} in the next 24 hours. Try: crosswire demo meeting move ID +15m, "
            "or crosswire demo meeting cancel ID."
        )
    return 0


async def demo_meeting_move(
    settings: Settings, meeting_id: str, offset: Sequence[str], *, clock: Clock | None = None
) -> int:
    """Move one meeting by ``offset`` (one word, e.g. ``+15m``); it keeps its id. Exit 2 for
    an unknown id or a bad offset, 1 for a move the calendar refuses."""
    try:
        if len(offset) != 1:
            raise ValueError(f"Say how far to move the meeting, as one word: {OFFSET_EXAMPLES}.")
        by = parse_offset(offset[0])
    except ValueError as exc:
        return _refused(str(exc), 2)
    async with _world(settings, clock) as world:
        try:
            edit = await move_meeting(world, meeting_id, by)
        except CalendarEditError as exc:
            return _refused(str(exc), 2 if isinstance(exc, UnknownMeeting) else 1)
    assert edit.after is not None
    print(
        f"Moved {edit.before.id} ({edit.before.title}) from {_when(edit.before.starts_at)} "
        f"to {_when(edit.after.starts_at)}. It keeps its id."
    )
    return 0


async def demo_meeting_cancel(
    settings: Settings, meeting_id: str, *, clock: Clock | None = None
) -> int:
    """Cancel one meeting. Exit 2 for an unknown id, 1 if it was cancelled already."""
    async with _world(settings, clock) as world:
        try:
            edit = await cancel_meeting(world, meeting_id)
        except CalendarEditError as exc:
            return _refused(str(exc), 2 if isinstance(exc, UnknownMeeting) else 1)
    print(f"Cancelled {edit.before.id} ({edit.before.title}, {_when(edit.before.starts_at)}).")
    return 0


@asynccontextmanager
async def _world(settings: Settings, clock: Clock | None) -> AsyncIterator[DemoWorld]:
    """The demo world as a server opens it (generated for the clock's day if need be)."""
    world = await open_demo_world(
        settings.demo_database, clock=clock or SystemClock(), seed=settings.demo_seed
    )
    try:
        yield world
    finally:
        await world.close()


def _refused(message: str, code: int) -> int:
    print(f"crosswire: {message}", file=sys.stderr)
    return code


def _when(at: datetime) -> str:
    """A start in UTC and, when it differs, in this machine's zone."""
    utc, here = f"{at:%a %d %b %H:%M} UTC", local(at)
    return utc if here.utcoffset() == timedelta(0) else f"{utc} ({here:%H:%M %Z})"


def _meetings_table(meetings: list[Meeting]) -> str:
    rows = [
        (
            m.id,
            f"{m.starts_at:%a %d %b %H:%M}",
            f"{local(m.starts_at):%H:%M %Z}",
            clip(m.title, TITLE_WIDTH),
            m.organizer_email,
            ", ".join(a for a in m.attendees if a != m.organizer_email),
        )
        for m in meetings
    ]
    widths = [max(len(row[i]) for row in [MEETING_COLUMNS, *rows]) for i in range(5)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in [MEETING_COLUMNS, *rows]
    )
