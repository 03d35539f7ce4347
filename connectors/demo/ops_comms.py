"""Mailbox and calendar operations: recent threads with a customer or with people, a person's
upcoming meetings, and every calendar's meetings in a window (slots held with
``calendar.create_hold`` included, moves and cancellations applied:
:mod:`connectors.demo.calendar`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Self

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select

from connectors.demo import calendar
from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import AccountInput, Input, read_operation
from connectors.demo.schema import mail_threads
from connectors.demo.store import DemoWorld
from workflows.catalog import AnyOperation
from workflows.domain import EmailThread, EmailThreads, Meeting, Meetings


class RecentThreadsInput(AccountInput):
    limit: int = Field(default=5, ge=1, le=50)


class ThreadsWithInput(Input):
    emails: list[str] = Field(max_length=1_000)
    per_person: int = Field(default=3, ge=1, le=20)


class UpcomingMeetingsInput(Input):
    owner_email: str
    within_hours: int = Field(default=24, ge=1, le=24 * 14)


class MeetingsBetweenInput(Input):
    """A window of at most 14 days (naive times are taken as UTC), and optionally a person
    whose meetings (organised or attended) are the only ones wanted."""

    starts_from: datetime
    starts_before: datetime
    attendee_email: str | None = None

    @field_validator("starts_from", "starts_before")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.starts_before <= self.starts_from:
            raise ValueError("starts_before must be later than starts_from")
        if self.starts_before - self.starts_from > calendar.MAX_WINDOW:
            raise ValueError("the window can be at most 14 days long")
        return self


def comms_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``email.recent_threads``, ``email.threads_with`` and ``calendar.upcoming_meetings``."""
    queries = _Queries(world)
    return [
        read_operation(
            "email.recent_threads",
            "Most recent mailbox threads with anyone at the customer's email domain, "
            "newest first: subject, participants, who wrote last and when, a snippet.",
            (RecentThreadsInput, EmailThreads),
            queries.recent_threads,
            behaviour,
        ),
        read_operation(
            "email.threads_with",
            "Mailbox threads with any of `emails` (up to `per_person` each, newest first): "
            "subject, participants, who wrote last and when, a snippet.",
            (ThreadsWithInput, EmailThreads),
            queries.threads_with,
            behaviour,
        ),
        read_operation(
            "calendar.upcoming_meetings",
            "Meetings a person (by email) organises or attends that start within the next "
            "`within_hours` hours, soonest first, with attendee email addresses.",
            (UpcomingMeetingsInput, Meetings),
            queries.upcoming_meetings,
            behaviour,
        ),
        read_operation(
            "calendar.meetings_between",
            "Every calendar's meetings (not one person's) that start at or after "
            "`starts_from` and before `starts_before` (ISO times, at most 14 days apart), "
            "soonest first, with attendee email addresses; `attendee_email` keeps only the "
            "meetings that person organises or attends.",
            (MeetingsBetweenInput, Meetings),
            queries.meetings_between,
            behaviour,
        ),
    ]


class _Queries:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def recent_threads(self, inp: RecentThreadsInput) -> EmailThreads:
        domain = inp.account.links.get("email")
        if domain is None:
            return EmailThreads()
        query = select(mail_threads).order_by(mail_threads.c.last_at.desc(), mail_threads.c.id)
        async with self.world.read() as world:
            rows = (await world.conn.execute(query)).mappings().all()
        wanted = f"@{domain.lower()}"
        threads = [
            EmailThread.model_validate(dict(r))
            for r in rows
            if any(p.lower().endswith(wanted) for p in r["participants"])
        ]
        return EmailThreads(threads=threads[: inp.limit])

    async def threads_with(self, inp: ThreadsWithInput) -> EmailThreads:
        wanted = {e.strip().lower() for e in inp.emails}
        query = select(mail_threads).order_by(mail_threads.c.last_at.desc(), mail_threads.c.id)
        async with self.world.read() as world:
            rows = (await world.conn.execute(query)).mappings().all()
        taken: dict[str, int] = {}
        threads = []
        for row in rows:
            people = [p.lower() for p in row["participants"] if p.lower() in wanted]
            if people and any(taken.get(p, 0) < inp.per_person for p in people):
                threads.append(EmailThread.model_validate(dict(row)))
                for p in people:
                    taken[p] = taken.get(p, 0) + 1
        return EmailThreads(threads=threads)

    async def upcoming_meetings(self, inp: UpcomingMeetingsInput) -> Meetings:
        async with self.world.read() as world:
            until = world.now + timedelta(hours=inp.within_hours)
            found = await calendar.meetings_between(world, world.now, until)
        return _of(found, inp.owner_email)

    async def meetings_between(self, inp: MeetingsBetweenInput) -> Meetings:
        async with self.world.read() as world:
            found = await calendar.meetings_between(world, inp.starts_from, inp.starts_before)
        return _of(found, inp.attendee_email)


def _of(meetings: list[Meeting], email: str | None) -> Meetings:
    """``meetings`` (all of them, or only those ``email`` organises or attends)."""
    if email is not None:
        who = email.strip().lower()
        meetings = [m for m in meetings if _involves(m, who)]
    return Meetings(meetings=meetings)


def _involves(meeting: Meeting, email: str) -> bool:
    return email in {meeting.organizer_email.lower(), *(a.lower() for a in meeting.attendees)}
