"""Mailbox and calendar operations: recent threads with a customer or with people, upcoming
meetings (slots held with ``calendar.create_hold`` included)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from sqlalchemy import RowMapping, select

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import AccountInput, Input, read_operation
from connectors.demo.schema import calendar_events, mail_threads
from connectors.demo.store import DemoRead, DemoWorld
from connectors.demo.writes import calendar_holds
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
        holds = select(calendar_holds).where(calendar_holds.c.released_at.is_(None))
        async with self.world.read() as world:
            rows = (await world.conn.execute(select(calendar_events))).mappings().all()
            held = (await world.conn.execute(holds)).mappings().all()
        now = world.now
        until = now + timedelta(hours=inp.within_hours)
        who = inp.owner_email.strip().lower()
        meetings = [_meeting(world, r) for r in rows] + [_held(r) for r in held]
        mine = [m for m in meetings if now <= m.starts_at < until and _involves(m, who)]
        return Meetings(meetings=sorted(mine, key=lambda m: (m.starts_at, m.id)))


def _involves(meeting: Meeting, email: str) -> bool:
    return email in {meeting.organizer_email.lower(), *(a.lower() for a in meeting.attendees)}


def _meeting(world: DemoRead, row: RowMapping) -> Meeting:
    starts = world.resolve(row["anchor"], row["offset_minutes"])
    return Meeting(
        id=row["id"],
        title=row["title"],
        starts_at=starts,
        ends_at=starts + timedelta(minutes=row["duration_minutes"]),
        organizer_email=row["organizer_email"],
        attendees=row["attendees"],
    )


def _held(row: RowMapping) -> Meeting:
    """A slot held with ``calendar.create_hold``, shown as the meeting it holds time for."""
    return Meeting(
        id=row["id"],
        title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["starts_at"] + timedelta(minutes=row["duration_minutes"]),
        organizer_email=row["owner_email"],
        attendees=[row["owner_email"], *row["attendees"]],
    )
