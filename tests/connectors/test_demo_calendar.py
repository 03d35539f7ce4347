"""The demo calendar: rolling recurring meetings whose starts never move with the clock,
stable instance ids, every calendar's meetings in a window, and moves and cancellations
honoured by both calendar reads and kept across the daily rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.demo import DemoBehaviour, DemoWorld, demo_operations, open_demo_world
from connectors.demo.calendar_edit import (
    MeetingCancelled,
    MovedIntoThePast,
    UnknownMeeting,
    cancel_meeting,
    move_meeting,
)
from connectors.identity import build_directory
from workflows.catalog import CallContext, Catalog
from workflows.clock import ManualClock
from workflows.domain import Meeting, Meetings

NOW = datetime(2026, 3, 5, 13, 50, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-1", step_id="step-1", requester_email=DANA)
ACME_TITLE = "Acme Corporation — QBR and expansion review"


@dataclass
class Demo:
    world: DemoWorld
    clock: ManualClock
    catalog: Catalog

    async def call(self, name: str, **args: Any) -> Any:
        op = self.catalog.get(name)
        return await op.handler(op.input_model.model_validate(args), CTX)

    async def upcoming(self, hours: int = 24) -> list[Meeting]:
        found = await self.call("calendar.upcoming_meetings", owner_email=DANA, within_hours=hours)
        assert isinstance(found, Meetings)
        return found.meetings

    async def between(self, start: datetime, end: datetime, **args: Any) -> list[Meeting]:
        found = await self.call(
            "calendar.meetings_between", starts_from=start, starts_before=end, **args
        )
        assert isinstance(found, Meetings)
        return found.meetings

    async def next_acme(self) -> Meeting:
        return next(m for m in await self.upcoming() if m.title == ACME_TITLE)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    clock = ManualClock(NOW)
    world = await open_demo_world(tmp_path / "demo.db", clock=clock)
    catalog = Catalog.of(demo_operations(world, await build_directory(world), DemoBehaviour()))
    yield Demo(world, clock, catalog)
    await world.close()


async def test_an_instance_keeps_its_start_and_id_as_the_clock_moves(demo: Demo) -> None:
    first = await demo.next_acme()
    assert first.starts_at == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
    assert first.id == "evt-story-2-20260305T1500Z"
    demo.clock.advance(timedelta(minutes=20))
    assert await demo.next_acme() == first
    demo.clock.advance(timedelta(minutes=51))  # 15:01: under way, no longer upcoming
    following = await demo.next_acme()
    assert following.id == "evt-story-2-20260305T1900Z" != first.id
    assert following.starts_at - first.starts_at == timedelta(hours=4)


@pytest.mark.parametrize("minutes", [0, 7, 59, 181, 239, 600, 1439])
async def test_dana_always_meets_acme_within_four_hours(demo: Demo, minutes: int) -> None:
    demo.clock.advance(timedelta(minutes=minutes))
    now = demo.clock.now()
    acme = await demo.next_acme()
    assert now <= acme.starts_at < now + timedelta(hours=4)
    assert any(a.endswith("@acme.io") for a in acme.attendees)
    assert "grace.liu@northwind.example" in acme.attendees
    titles = {m.title for m in await demo.upcoming(hours=4)}
    assert "Pipeline review" in titles
    assert any(t.endswith("Weekly sync") for t in titles)


async def test_instances_do_not_depend_on_the_day_the_world_was_built(
    demo: Demo, tmp_path: Path
) -> None:
    tomorrow = NOW + timedelta(days=1)
    window = (tomorrow, tomorrow + timedelta(hours=8))
    today_view = await demo.between(*window)
    later = await open_demo_world(tmp_path / "later.db", clock=ManualClock(tomorrow))
    try:
        ops = demo_operations(later, await build_directory(later), DemoBehaviour())
        demo_later = Demo(later, ManualClock(tomorrow), Catalog.of(ops))
        recurring = [m for m in today_view if m.id.startswith("evt-story-") and m.id[-1] == "Z"]
        assert recurring == [m for m in await demo_later.between(*window) if m in recurring]
        assert len(recurring) == 6
    finally:
        await later.close()


async def test_meetings_between_returns_every_calendar_in_the_window(demo: Demo) -> None:
    start, end = NOW, NOW + timedelta(days=7)
    everyone = await demo.between(start, end)
    assert all(start <= m.starts_at < end for m in everyone)
    assert [m.starts_at for m in everyone] == sorted(m.starts_at for m in everyone)
    organizers = {m.organizer_email for m in everyone}
    assert DANA in organizers and len(organizers) > 3
    danas = await demo.between(start, end, attendee_email=DANA.upper())
    assert danas == [m for m in everyone if DANA in {m.organizer_email, *m.attendees}]
    assert len(danas) < len(everyone)
    assert len({m.id for m in everyone}) == len(everyone)


async def test_meetings_between_is_half_open_and_takes_naive_times_as_utc(demo: Demo) -> None:
    at_three = datetime(2026, 3, 5, 15, 0)
    found = await demo.between(at_three, at_three + timedelta(minutes=1))
    assert [m.id for m in found] == ["evt-story-2-20260305T1500Z"]
    assert await demo.between(at_three - timedelta(minutes=1), at_three) == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (NOW, NOW, "later than"),
        (NOW, NOW - timedelta(hours=1), "later than"),
        (NOW, NOW + timedelta(days=14, minutes=1), "at most 14 days"),
    ],
)
async def test_a_bad_window_is_refused_clearly(
    demo: Demo, start: datetime, end: datetime, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        await demo.between(start, end)


async def test_the_planner_reads_what_meetings_between_does(demo: Demo) -> None:
    op = demo.catalog.get("calendar.meetings_between")
    assert op.access == "read"
    assert "Every calendar" in op.description and "14 days" in op.description
    assert set(op.input_model.model_fields) == {"starts_from", "starts_before", "attendee_email"}


# ---------------------------------------------------------------- moves and cancellations


async def test_a_moved_instance_keeps_its_id_in_both_reads_and_across_days(demo: Demo) -> None:
    acme = await demo.next_acme()
    edit = await move_meeting(demo.world, acme.id, timedelta(minutes=15))
    assert (edit.action, edit.before, edit.after) == ("moved", acme, _shifted(acme, 15))
    assert await demo.next_acme() == _shifted(acme, 15)
    window = await demo.between(acme.starts_at, acme.starts_at + timedelta(hours=1))
    assert [m for m in window if m.id == acme.id] == [_shifted(acme, 15)]
    again = await move_meeting(demo.world, acme.id, timedelta(hours=1, minutes=30))
    assert again.after == _shifted(acme, 105)  # from where it stood, not where it was set
    demo.clock.set(datetime(2026, 3, 6, 0, 10, tzinfo=UTC))  # the world is rebuilt
    back = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert _shifted(acme, 105) in await demo.between(back, back + timedelta(hours=8))


async def test_a_meeting_moved_into_a_window_from_outside_it_appears_there(demo: Demo) -> None:
    later = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)
    acme = next(m for m in await demo.between(later, later + timedelta(hours=1)))
    assert acme.title == ACME_TITLE
    await move_meeting(demo.world, acme.id, NOW + timedelta(hours=1) - acme.starts_at)
    moved = [m for m in await demo.upcoming(hours=2) if m.id == acme.id]
    assert [m.starts_at for m in moved] == [NOW + timedelta(hours=1)]
    assert acme.id not in {m.id for m in await demo.between(later, later + timedelta(hours=1))}


async def test_a_cancelled_instance_is_gone_from_both_reads_for_good(demo: Demo) -> None:
    acme = await demo.next_acme()
    edit = await cancel_meeting(demo.world, acme.id)
    assert (edit.action, edit.before, edit.after) == ("cancelled", acme, None)
    following = await demo.next_acme()
    assert following.starts_at == acme.starts_at + timedelta(hours=4)
    assert acme.id not in {m.id for m in await demo.between(NOW, NOW + timedelta(days=1))}
    demo.clock.advance(timedelta(days=1, hours=-14))  # 23:50, then past midnight: rebuilt
    demo.clock.advance(timedelta(minutes=30))
    back = NOW - timedelta(hours=1)
    assert acme.id not in {m.id for m in await demo.between(back, back + timedelta(days=1))}
    with pytest.raises(MeetingCancelled, match="already cancelled"):
        await cancel_meeting(demo.world, acme.id)
    with pytest.raises(MeetingCancelled, match="already cancelled"):
        await move_meeting(demo.world, acme.id, timedelta(minutes=15))


async def test_one_offs_and_holds_move_and_cancel_too(demo: Demo) -> None:
    discovery = next(m for m in await demo.upcoming(hours=48) if m.id == "evt-story-4")
    await move_meeting(demo.world, "evt-story-4", timedelta(minutes=-30))
    assert _shifted(discovery, -30) in await demo.upcoming(hours=48)
    hold = await demo.call(
        "calendar.create_hold", owner_email=DANA, title="Hold: demo", duration_minutes=30,
        starts_at=(NOW + timedelta(hours=5)).isoformat(), attendees=[],
    )  # fmt: skip
    await cancel_meeting(demo.world, hold.hold_id)
    assert hold.hold_id not in {m.id for m in await demo.upcoming()}


@pytest.mark.parametrize(
    "meeting_id",
    [
        "evt-nothing",
        "evt-story-2-20260305T1501Z",  # not on the meeting's grid
        "evt-story-2-20260305T1500",
        "evt-story-4-20260305T1500Z",  # a one-off meeting has no instances
        "evt-story-2",  # the recurring row, not one instance
    ],
)
async def test_an_unknown_id_is_refused_clearly(demo: Demo, meeting_id: str) -> None:
    with pytest.raises(UnknownMeeting, match="crosswire demo meetings"):
        await move_meeting(demo.world, meeting_id, timedelta(minutes=15))
    with pytest.raises(UnknownMeeting):
        await cancel_meeting(demo.world, meeting_id)


async def test_a_meeting_cannot_be_moved_into_the_past(demo: Demo) -> None:
    acme = await demo.next_acme()  # 15:00, 70 minutes away
    with pytest.raises(MovedIntoThePast, match=r"by -1h30m .* in the past"):
        await move_meeting(demo.world, acme.id, timedelta(minutes=-90))
    assert await demo.next_acme() == acme
    edit = await move_meeting(demo.world, acme.id, timedelta(minutes=-70))  # to now: allowed
    assert edit.after is not None and edit.after.starts_at == NOW


def _shifted(meeting: Meeting, minutes: int) -> Meeting:
    by = timedelta(minutes=minutes)
    return meeting.model_copy(
        update={"starts_at": meeting.starts_at + by, "ends_at": meeting.ends_at + by}
    )
