"""The scheduler's own timer: APScheduler's jobs fire ticks on the wall clock, with no sync to
help them (a few seconds of real time, a one-second interval)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bot.settings import Settings
from tests.harness import CHANNEL, DANA, start_harness
from workflows.models import Principal
from workflows.schedules import ScheduleStore, When


async def test_apscheduler_fires_each_tick_once_on_time(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", step_timeout_s=2.0, schedule_sync_s=3600)
    async with start_harness(settings) as slack:
        assert slack.scheduler.leading
        owner = Principal(
            email="dana.reyes@northwind.example", name="Dana Reyes", slack_user_id=DANA
        )
        when = When(text="every second", tz="UTC", every_s=1)
        store = slack.services.schedules
        schedule = await store.add(when, "help", owner, channel=CHANNEL, source="cli")
        await slack.scheduler.changed()  # the job is added; from now on only its timer fires
        await _until(lambda: _fired(store, schedule.id, 3))
        await store.remove(schedule.id)
        await slack.scheduler.changed()
        fires = sorted(await store.fires(schedule.id), key=lambda f: f.fire_at)
    ticks = [f.fire_at for f in fires]
    assert len(set(ticks)) == len(ticks) and len({f.run_id for f in fires}) == len(fires)
    assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(ticks))
    assert all(f.lateness_ms < 1000 for f in fires[1:])


async def _fired(store: ScheduleStore, schedule_id: str, count: int) -> bool:
    return len(await store.fires(schedule_id)) >= count


async def _until(check: Callable[[], Awaitable[bool]], timeout_s: float = 20.0) -> None:
    """Poll ``check`` (the ticks are the wall clock's here) until it holds."""
    async with asyncio.timeout(timeout_s):
        while True:
            if await check():
                return
            await asyncio.sleep(0.1)
