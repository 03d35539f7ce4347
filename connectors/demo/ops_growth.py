"""Marketing and scheduling operations: who attended webinars, who booked a demo."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from pydantic import Field
from sqlalchemy import select

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import Input, read_operation
from connectors.demo.schema import demo_bookings, webinar_attendance
from connectors.demo.store import DemoWorld
from workflows.catalog import AnyOperation
from workflows.domain import DemoBooking, DemoBookings, WebinarAttendance, WebinarAttendees


class WebinarAttendeesInput(Input):
    since_days: int = Field(default=7, ge=1, le=365)


class DemoBookingsInput(Input):
    since_days: int = Field(default=30, ge=1, le=365)


def growth_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``marketing.webinar_attendees`` and ``scheduling.demo_bookings``."""
    queries = _Queries(world)
    return [
        read_operation(
            "marketing.webinar_attendees",
            "People (by email) who attended a webinar in the last `since_days` days, "
            "with the webinar title and when they joined; `emails` lists them once each.",
            (WebinarAttendeesInput, WebinarAttendees),
            queries.attendees,
            behaviour,
        ),
        read_operation(
            "scheduling.demo_bookings",
            "Product demos booked in the last `since_days` days: who booked (email), "
            "when they booked and the slot; `emails` lists the bookers once each.",
            (DemoBookingsInput, DemoBookings),
            queries.bookings,
            behaviour,
        ),
    ]


class _Queries:
    """Both windows are counted back from the clock's ``now`` at the time of the read."""

    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def attendees(self, inp: WebinarAttendeesInput) -> WebinarAttendees:
        w = webinar_attendance
        async with self.world.read() as world:
            query = (
                select(w.c.webinar, w.c.email, w.c.attended_at)
                .where(w.c.attended_at >= world.now - timedelta(days=inp.since_days))
                .order_by(w.c.attended_at, w.c.email)
            )
            rows = (await world.conn.execute(query)).mappings().all()
        attendees = [WebinarAttendance.model_validate(dict(r)) for r in rows]
        return WebinarAttendees(attendees=attendees, emails=_distinct(a.email for a in attendees))

    async def bookings(self, inp: DemoBookingsInput) -> DemoBookings:
        d = demo_bookings
        async with self.world.read() as world:
            query = (
                select(d.c.email, d.c.booked_at, d.c.slot)
                .where(d.c.booked_at >= world.now - timedelta(days=inp.since_days))
                .order_by(d.c.booked_at, d.c.email)
            )
            rows = (await world.conn.execute(query)).mappings().all()
        bookings = [DemoBooking.model_validate(dict(r)) for r in rows]
        return DemoBookings(bookings=bookings, emails=_distinct(b.email for b in bookings))


def _distinct(emails: Iterable[str]) -> list[str]:
    """Addresses in lower case, each once, in first-seen order."""
    return list(dict.fromkeys(e.lower() for e in emails))
