"""The scheduler in ``crosswire serve``: APScheduler's asyncio scheduler, in one process per
database at a time.

While this process leads (:class:`~workflows.schedules.leadership.Leadership`), APScheduler
holds one job per schedule (its cron or interval trigger, in the schedule's time zone), one
date job per pre-meeting briefing still to come, and a sync job every ``sync_s`` that fires
anything due (missed ticks after downtime, coalesced), re-reads the schedules other
processes added or removed, and re-reads the calendars. The database is the truth, and every
job only asks it what is due now, so a job that fires twice or late does no harm.

Jobs never miss on purpose (``misfire_grace_time=None``, ``coalesce=True``): APScheduler's
default grace of one second would drop a briefing whenever the process was busy.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from workflows.clock import Clock
from workflows.schedules.briefings import MeetingBriefings
from workflows.schedules.firing import ScheduleFiring
from workflows.schedules.leadership import Leadership
from workflows.schedules.models import Schedule
from workflows.schedules.store import ScheduleStore

log = structlog.get_logger(__name__)
SYNC_S: Final = 30.0
SYNC_JOB: Final = "crosswire.sync"
EARLY: Final = timedelta(seconds=2)  # a job woken this much early waits for its tick
JOB_DEFAULTS: Final = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


@dataclass
class Scheduler:
    store: ScheduleStore
    firing: ScheduleFiring
    briefings: MeetingBriefings
    clock: Clock
    database_url: str
    sync_s: float = SYNC_S
    leadership_retry_s: float = 2.0
    _aps: AsyncIOScheduler | None = None
    _leadership: Leadership | None = None
    # Ticks never wait behind a calendar scan (a slow calendar must not make them late):
    # firing and scanning each go one at a time, each under its own lock.
    _firing: asyncio.Lock = field(default_factory=asyncio.Lock)
    _scanning: asyncio.Lock = field(default_factory=asyncio.Lock)
    _loaded: dict[str, Schedule] = field(default_factory=dict)

    async def start(self) -> None:
        """Contend for leadership; run the jobs while leading."""
        self._leadership = Leadership(
            self.database_url,
            retry_s=self.leadership_retry_s,
            on_gain=self._lead,
            on_loss=self._step_down,
        )
        await self._leadership.start()

    async def stop(self) -> None:
        if self._leadership is not None:
            await self._leadership.stop()
        await self._step_down()
        await self.firing.close()

    @property
    def leading(self) -> bool:
        return self._aps is not None

    async def changed(self) -> None:
        """Something was added, removed or set in this process: pick it up now."""
        if self.leading:
            await self.sync()

    async def sync(self) -> None:
        """Fire what is due now, then make APScheduler's jobs match the database and the
        calendars. Tests drive it directly with a manual clock; serving, the sync job calls it
        every ``sync_s`` (each schedule's own job fires just its tick)."""
        try:
            async with self._firing:
                await self.firing.fire_due()
                if self._aps is not None:
                    self._schedule_jobs(await self.store.active())
        except Exception:  # a blip (database, Slack) must not stop the timetable
            log.exception("scheduler.sync_failed", part="schedules")
        try:
            async with self._scanning:
                due = await self.briefings.scan()
                if self._aps is not None:
                    self._briefing_jobs([d.due_at for d in due if d.decision == "wait"])
        except Exception:  # the next sync scans again; what is due is still due
            log.exception("scheduler.sync_failed", part="briefings")

    async def _lead(self) -> None:
        aps = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        aps.start()
        self._aps = aps
        aps.add_job(self.sync, "interval", seconds=self.sync_s, id=SYNC_JOB)
        log.info("scheduler.leading")
        await self.sync()

    async def _step_down(self) -> None:
        aps, self._aps = self._aps, None
        self._loaded.clear()
        if aps is not None:
            aps.shutdown(wait=False)
            log.info("scheduler.stepped_down")

    def _schedule_jobs(self, schedules: list[Schedule]) -> None:
        assert self._aps is not None
        wanted = {s.id: s for s in schedules}
        for gone in self._loaded.keys() - wanted.keys():
            self._aps.remove_job(gone)
            del self._loaded[gone]
        for schedule in wanted.values():
            loaded = self._loaded.get(schedule.id)
            if loaded is not None and loaded.when == schedule.when:
                continue
            if loaded is not None:  # declared again with another timetable
                self._aps.remove_job(schedule.id)
            trigger = schedule.when.trigger(start=schedule.created_at)
            self._aps.add_job(self._tick, trigger, args=[schedule.id], id=schedule.id)
            self._loaded[schedule.id] = schedule

    def _briefing_jobs(self, due_times: list[datetime]) -> None:
        """One date job per distinct time a briefing is due before the next sync."""
        assert self._aps is not None
        horizon = self.clock.now() + timedelta(seconds=self.sync_s * 2)
        for job in self._aps.get_jobs():
            if job.id.startswith("briefing@"):
                job.remove()
        for at in sorted({t for t in due_times if t <= horizon}):
            job_id = f"briefing@{at.isoformat()}"
            self._aps.add_job(self._briefing, DateTrigger(run_date=at), id=job_id)

    async def _tick(self, schedule_id: str) -> None:
        await self._on_time(self._loaded.get(schedule_id))
        async with self._firing:
            try:
                await self.firing.fire_due(schedule_id)
            except Exception:  # the next sync fires the tick: it stays due until claimed
                log.exception("scheduler.tick_failed", schedule_id=schedule_id)

    async def _briefing(self) -> None:
        async with self._scanning:
            try:
                await self.briefings.scan()
            except Exception:  # the next sync sends what is still due
                log.exception("scheduler.briefings_failed")

    async def _on_time(self, schedule: Schedule | None) -> None:
        """APScheduler's timer may wake a little early: wait for the tick itself."""
        current = schedule and await self.store.get(schedule.id)
        if current is None or current.next_fire_at is None:
            return
        ahead = (current.next_fire_at - self.clock.now()).total_seconds()
        if 0 < ahead <= EARLY.total_seconds():
            await asyncio.sleep(ahead)
