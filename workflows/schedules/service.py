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
from workflows.schedules.store import ScheduleStore, Timetable

log = structlog.get_logger(__name__)
SYNC_S: Final = 30.0
SYNC_JOB: Final = "crosswire.sync"
EARLY: Final = timedelta(seconds=2)  # a job woken this much early waits for its tick
TICKS_AT_ONCE: Final = 4  # schedules' ticks starting runs at once (each a few queries)
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
    # What APScheduler holds: schedule id -> a hash of its timetable (to see a change), kept
    # small because a scheduler may hold tens of thousands.
    _loaded: dict[str, int] = field(default_factory=dict)
    _ticks: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(TICKS_AT_ONCE))

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
                    self._schedule_jobs(await self.store.timetables())
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
        self._aps = aps
        # Jobs go in before the timer starts: one wake-up for all of them, not one each.
        self._schedule_jobs(await self.store.timetables())
        aps.add_job(self.sync, "interval", seconds=self.sync_s, id=SYNC_JOB)
        aps.start()
        log.info("scheduler.leading", schedules=len(self._loaded))
        await self.sync()

    async def _step_down(self) -> None:
        aps, self._aps = self._aps, None
        self._loaded.clear()
        if aps is not None:
            if aps.running:
                aps.shutdown(wait=False)
            log.info("scheduler.stepped_down")

    def _schedule_jobs(self, timetables: list[Timetable]) -> None:
        assert self._aps is not None
        wanted = {t.schedule_id: t for t in timetables}
        for gone in self._loaded.keys() - wanted.keys():
            self._aps.remove_job(gone)
            del self._loaded[gone]
        for schedule_id, timetable in wanted.items():
            loaded = self._loaded.get(schedule_id)
            if loaded == hash(timetable):
                continue
            if loaded is not None:  # declared again with another timetable
                self._aps.remove_job(schedule_id)
            trigger = timetable.when.trigger(start=timetable.created_at)
            self._aps.add_job(self._tick, trigger, args=[schedule_id], id=schedule_id)
            self._loaded[schedule_id] = hash(timetable)

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
        """One schedule's tick. Ticks of different schedules fire side by side (a few at a
        time): two firings of one tick are harmless (one run id, one claim)."""
        async with self._ticks:
            try:
                if not await self.firing.fire_due(schedule_id):
                    await self._early(schedule_id)
            except Exception:  # the next sync fires the tick: it stays due until claimed
                log.exception("scheduler.tick_failed", schedule_id=schedule_id)

    async def _briefing(self) -> None:
        async with self._scanning:
            try:
                await self.briefings.scan()
            except Exception:  # the next sync sends what is still due
                log.exception("scheduler.briefings_failed")

    async def _early(self, schedule_id: str) -> None:
        """APScheduler's timer may wake a little before the tick: wait for it, then fire."""
        current = await self.store.get(schedule_id)
        if current is None or current.next_fire_at is None:
            return
        ahead = (current.next_fire_at - self.clock.now()).total_seconds()
        if 0 < ahead <= EARLY.total_seconds():
            await asyncio.sleep(ahead)
            await self.firing.fire_due(schedule_id)
