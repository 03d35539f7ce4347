"""Schedules, their ticks, briefing preferences and declared schedules on real SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.demo import open_demo_world
from connectors.identity import build_directory
from tests.postgres_server import POSTGRES_SERVER, postgres_database
from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.models import Principal
from workflows.schedules import ScheduleStore, parse_when
from workflows.schedules.declared import DeclaredError, declare_schedules, read_declared

NOW = datetime(2026, 12, 1, 15, 40, tzinfo=UTC)
DANA = Principal(email="Dana.Reyes@northwind.example", name="Dana Reyes", slack_user_id="U0DANA")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ScheduleStore]:
    clock = ManualClock(NOW)
    if request.param == "sqlite":
        audit = await AuditStore.open(f"sqlite:///{tmp_path / 'audit.db'}", clock=clock)
        yield ScheduleStore(audit.engine, clock)
        await audit.close()
        return
    async with postgres_database() as name:
        url = f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        audit = await AuditStore.open(url, clock=clock)
        yield ScheduleStore(audit.engine, clock)
        await audit.close()


async def test_a_schedule_is_stored_with_its_next_tick_in_utc(store: ScheduleStore) -> None:
    when = parse_when("every weekday at 8am", "America/New_York")
    added = await store.add(when, "today's customer meetings", DANA, channel="C1", source="slack")
    assert added.next_fire_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert added.owner == DANA and added.when == when
    assert await store.get(added.id) == added
    assert await store.due(NOW) == []
    assert [s.id for s in await store.due(NOW + timedelta(days=1))] == [added.id]
    [timetable] = await store.timetables()
    assert (timetable.schedule_id, timetable.when) == (added.id, when)


async def test_a_tick_is_claimed_once(store: ScheduleStore) -> None:
    when = parse_when("every 5 minutes", "UTC")
    added = await store.add(when, "brief me on Acme", DANA, channel=None, source="cli")
    assert added.next_fire_at is not None
    later = added.next_fire_at + timedelta(minutes=5)
    first = await store.claim(added, fire_at=added.next_fire_at, run_id="r1", next_fire_at=later)
    second = await store.claim(added, fire_at=added.next_fire_at, run_id="r1", next_fire_at=later)
    assert (first, second) == (True, False)
    moved = await store.get(added.id)
    assert moved is not None and moved.next_fire_at == later and moved.last_run_id == "r1"
    assert moved.last_outcome == "started"


async def test_listing_shows_mine_and_the_channels(store: ScheduleStore) -> None:
    when = parse_when("every hour", "UTC")
    rachel = Principal(email="rachel.kim@northwind.example", name="Rachel Kim")
    mine = await store.add(when, "a", DANA, channel=None, source="slack")
    channels = await store.add(when, "b", rachel, channel="C1", source="slack")
    elsewhere = await store.add(when, "c", rachel, channel="C2", source="slack")
    found = await store.listed(owner_email="dana.reyes@NORTHWIND.example", channel="C1")
    assert {s.id for s in found} == {mine.id, channels.id}
    assert elsewhere.id in [s.id for s in await store.listed()]
    assert await store.remove(mine.id) == mine
    assert await store.remove(mine.id) is None


async def test_paused_schedules_are_not_due(store: ScheduleStore) -> None:
    added = await store.add(parse_when("every hour", "UTC"), "a", DANA, channel=None, source="cli")
    assert await store.pause(added.id, "its last 3 runs failed")
    assert not await store.pause(added.id, "again")
    assert await store.due(NOW + timedelta(days=1)) == []
    assert await store.timetables() == []


async def test_briefing_preferences_default_and_change(store: ScheduleStore) -> None:
    prefs = await store.prefs("Dana.Reyes@northwind.example")
    assert prefs.enabled and prefs.lead is None
    await store.set_prefs("dana.reyes@northwind.example", lead=timedelta(minutes=45))
    off = await store.set_prefs("dana.reyes@northwind.example", enabled=False)
    assert (off.enabled, off.lead) == (False, timedelta(minutes=45))
    assert await store.prefs("DANA.REYES@northwind.example") == off


async def test_declared_schedules_follow_their_file(store: ScheduleStore, tmp_path: Path) -> None:
    world = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(NOW))
    directory = await build_directory(world)
    path = tmp_path / "schedules.toml"
    path.write_text(
        '[[schedule]]\nid = "digest"\nwhen = "every weekday at 8am"\ntz = "America/New_York"\n'
        'objective = "today\'s customer meetings"\nowner = "rachel.kim@northwind.example"\n'
        'channel = "C0SALES"\n'
    )
    await declare_schedules(store, path, directory)
    await declare_schedules(store, path, directory)
    [declared] = await store.listed()
    assert (declared.id, declared.source, declared.channel) == ("cfg-digest", "config", "C0SALES")
    path.write_text(path.read_text().replace("8am", "9am"))
    await declare_schedules(store, path, directory)
    [changed] = await store.listed()
    assert changed.when.cron == "0 9 * * mon-fri"
    path.write_text("")
    await declare_schedules(store, path, directory)
    assert await store.listed() == []
    await world.close()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[schedule]]\nid = 'x'\n", "when"),
        ("[[schedule]]\nid='x'\nwhen='every blue moon'\nobjective='a'\nowner='a@b.c'\n",
         "schedule 'x': I can't tell when"),
        ("not toml", "not valid TOML"),
        ("[[schedule]]\nid='x'\nwhen='every hour'\nobjective='a'\nowner='a@b.c'\n" * 2,
         "declared twice"),
    ],
)  # fmt: skip
def test_a_bad_schedules_file_is_named_with_what_is_wrong(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "schedules.toml"
    path.write_text(text)
    with pytest.raises(DeclaredError, match=says) as raised:
        read_declared(path)
    assert str(path) in str(raised.value)
