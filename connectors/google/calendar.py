"""The ``calendar.*`` operations over Google Calendar v3, with the demo calendar's inputs and
outputs: meetings in a window, a person's upcoming meetings, and holding (and releasing) a
tentative slot.

Every read lists the team calendar (``calendar_id``) with ``singleEvents`` (a recurring
meeting's instances one by one) ordered by start time, page after page. A hold is inserted
with an event id derived from the call's idempotency key (Calendar takes a client's id in
base32hex); a second insert with that id answers 409, which means it was held already.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from connectors import normalise
from connectors.demo.ops_base import read_operation, write_operation
from connectors.demo.ops_comms import MeetingsBetweenInput, UpcomingMeetingsInput
from connectors.demo.ops_outreach import CreateHoldInput
from connectors.errors import SystemUnavailable
from connectors.google.client import GoogleClient
from workflows.catalog import AnyOperation, CallContext, Risk
from workflows.clock import Clock
from workflows.domain import CalendarHold, Meeting, Meetings, Undone

SYSTEM: Final = "calendar"
LABEL: Final = "Google Calendar"
SCOPES: Final = "https://www.googleapis.com/auth/calendar.events"
PAGE_SIZE: Final = 250
MAX_PAGES: Final = 40
OWNER: Final = "crosswireOwner"  # private extended property: whose slot a hold holds
CONFLICT: Final = frozenset({409})
GONE: Final = frozenset({404, 410})


def calendar_operations(
    calendar: GoogleClient, calendar_id: str, clock: Clock
) -> list[AnyOperation]:
    """``calendar.upcoming_meetings``, ``calendar.meetings_between``, ``calendar.create_hold``
    and ``calendar.release_hold``, as the demo calendar declares them."""
    ops = _Calendar(calendar, calendar_id, clock)
    return [
        read_operation("calendar.upcoming_meetings", "Meetings a person (by email) organises "
                       "or attends that start within the next `within_hours` hours, soonest "
                       "first, with attendee email addresses.",
                       (UpcomingMeetingsInput, Meetings), ops.upcoming, None),
        read_operation("calendar.meetings_between", "Every calendar's meetings (not one "
                       "person's) that start at or after `starts_from` and before "
                       "`starts_before` (ISO times, at most 14 days apart), soonest first, "
                       "with attendee email addresses; `attendee_email` keeps only the "
                       "meetings that person organises or attends.",
                       (MeetingsBetweenInput, Meetings), ops.between, None),
        write_operation("calendar.create_hold", "Hold a tentative slot on a person's "
                        "calendar, with optional attendees.",
                        (CreateHoldInput, CalendarHold), ops.create_hold, None, risk=Risk.LOW,
                        undo="calendar.release_hold"),
        write_operation("calendar.release_hold", "Release a slot held by "
                        "calendar.create_hold (its compensation).",
                        (CalendarHold, Undone), ops.release_hold, None, risk=Risk.LOW),
    ]  # fmt: skip


class _Calendar:
    def __init__(self, calendar: GoogleClient, calendar_id: str, clock: Clock) -> None:
        self.calendar, self.clock = calendar, clock
        self.events = f"/calendar/v3/calendars/{quote(calendar_id, safe='@.')}/events"

    async def upcoming(self, inp: UpcomingMeetingsInput) -> Meetings:
        now = self.clock.now().astimezone(UTC)
        found = await self._between(now, now + timedelta(hours=inp.within_hours))
        return _of(found, inp.owner_email)

    async def between(self, inp: MeetingsBetweenInput) -> Meetings:
        return _of(await self._between(inp.starts_from, inp.starts_before), inp.attendee_email)

    async def create_hold(self, inp: CreateHoldInput, ctx: CallContext) -> CalendarHold:
        event_id = event_id_of(ctx.idempotency_key)
        ends = inp.starts_at + timedelta(minutes=inp.duration_minutes)
        event = {
            "id": event_id,
            "summary": inp.title,
            "status": "tentative",
            "start": {"dateTime": _rfc3339(inp.starts_at), "timeZone": "UTC"},
            "end": {"dateTime": _rfc3339(ends), "timeZone": "UTC"},
            "attendees": [{"email": e} for e in [inp.owner_email, *inp.attendees]],
            "extendedProperties": {"private": {OWNER: inp.owner_email}},
        }
        status, _ = await self.calendar.exchange(
            "POST", self.events, params={"sendUpdates": "none"}, json_body=event,
            tolerate=CONFLICT,
        )  # fmt: skip
        return CalendarHold(
            hold_id=event_id, owner_email=inp.owner_email, title=inp.title,
            starts_at=inp.starts_at, ends_at=ends, attendees=inp.attendees,
            duplicate=status in CONFLICT,
        )  # fmt: skip

    async def release_hold(self, inp: CalendarHold, ctx: CallContext) -> Undone:
        status = await self.calendar.delete(f"{self.events}/{quote(inp.hold_id)}", tolerate=GONE)
        return Undone(of=inp.hold_id, undone=status not in GONE)

    async def _between(self, start: datetime, end: datetime) -> list[Meeting]:
        """Every meeting starting in ``[start, end)``, soonest first (Calendar's window also
        holds meetings that started earlier and are still on: they are left out)."""
        params: dict[str, str | int | bool] = {
            "timeMin": _rfc3339(start), "timeMax": _rfc3339(end), "singleEvents": True,
            "orderBy": "startTime", "maxResults": PAGE_SIZE,
        }  # fmt: skip
        found: dict[str, Meeting] = {}
        for _ in range(MAX_PAGES):
            page = await self.calendar.get(self.events, params)
            items = page.get("items") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise SystemUnavailable(f"{LABEL} answered without its events", system=SYSTEM)
            for raw in items:
                meeting = _meeting(raw)
                if meeting is not None and start <= meeting.starts_at < end:
                    found[meeting.id] = meeting
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token:
                break
            params["pageToken"] = token
        return sorted(found.values(), key=lambda m: (m.starts_at, m.id))


def _of(meetings: list[Meeting], email: str | None) -> Meetings:
    """``meetings`` (all of them, or only those ``email`` organises or attends)."""
    if email is not None:
        who = email.strip().lower()
        meetings = [
            m for m in meetings
            if who in {m.organizer_email.lower(), *(a.lower() for a in m.attendees)}
        ]  # fmt: skip
    return Meetings(meetings=meetings)


def event_id_of(key: str) -> str:
    """The event id of the hold made for idempotency key ``key``: base32hex (``0-9a-v``), as
    Calendar takes a client's id, the same on every retry."""
    digest = hashlib.sha256(key.encode()).digest()
    return base64.b32hexencode(digest).decode().rstrip("=").lower()


def _meeting(raw: Any) -> Meeting | None:
    """An event as the project's Meeting; ``None`` for a cancelled or all-day one."""
    if not isinstance(raw, dict) or raw.get("status") == "cancelled":
        return None
    start, end = _when(raw.get("start")), _when(raw.get("end"))
    if start is None or end is None:
        return None
    private = (raw.get("extendedProperties") or {}).get("private") or {}
    organizer = private.get(OWNER) or (raw.get("organizer") or {}).get("email", "")
    return Meeting(
        id=str(raw.get("id")),
        title=str(raw.get("summary", "")),
        starts_at=start,
        ends_at=end,
        organizer_email=normalise.email(organizer),
        attendees=[normalise.email(a["email"]) for a in raw.get("attendees", []) if "email" in a],
    )


def _when(value: Any) -> datetime | None:
    moment = value.get("dateTime") if isinstance(value, dict) else None
    if not isinstance(moment, str):
        return None
    try:
        return normalise.moment(moment)
    except normalise.Unreadable:
        raise SystemUnavailable(
            f"{LABEL} answered an event with an unreadable time", system=SYSTEM
        ) from None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


__all__ = ["LABEL", "SCOPES", "SYSTEM", "calendar_operations", "event_id_of"]
