"""A schedule's tick becomes a run: the same engine, audit and delivery as a typed request.

A tick is fired in this order, so that a crash anywhere loses nothing and doubles nothing:
start the run (its id is the schedule id and the tick, so starting it again starts nothing),
record the fire, then move the schedule past the tick (compare-and-set). A crash before the
move leaves the tick due, and whoever fires it next names the same run. After downtime the
missed ticks are coalesced: one run, for the latest of them.

A schedule whose last :data:`FAILURE_LIMIT` runs all failed is paused, and its owner told.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import structlog

from workflows.audit import AuditStore
from workflows.clock import Clock
from workflows.engine import Engine
from workflows.models import Objective, ReplyTarget, RunRequest
from workflows.schedules.models import Fire, Schedule, schedule_run_id
from workflows.schedules.ports import Mailroom
from workflows.schedules.store import ScheduleStore

log = structlog.get_logger(__name__)
FAILURE_LIMIT: Final = 3


@dataclass
class ScheduleFiring:
    store: ScheduleStore
    engine: Engine
    audit: AuditStore
    mailroom: Mailroom
    clock: Clock
    failure_limit: int = FAILURE_LIMIT
    _watching: set[asyncio.Task[None]] = field(default_factory=set)

    async def fire_due(self, schedule_id: str | None = None) -> list[Fire]:
        """Fire every schedule that is due now (or only ``schedule_id``)."""
        now = self.clock.now()
        fired = []
        for schedule in await self.store.due(now, schedule_id=schedule_id):
            # Its last runs may have ended in failure while no one watched (a restart).
            if schedule.last_outcome == "failed" and await self.check_failures(schedule.id):
                continue
            fire = await self._fire(schedule, now)
            if fire is not None:
                fired.append(fire)
        return fired

    async def _fire(self, schedule: Schedule, now: datetime) -> Fire | None:
        assert schedule.next_fire_at is not None
        when = schedule.when
        fire_at = when.last_due(schedule.next_fire_at, now, start=schedule.created_at)
        run_id = schedule_run_id(schedule.id, fire_at)
        with structlog.contextvars.bound_contextvars(schedule_id=schedule.id, run_id=run_id):
            reply = await self.mailroom.reply_to(schedule.owner, schedule.channel)
            if reply is None:
                fire = await self._record(schedule, fire_at, now, run_id, "skipped", _UNREACHABLE)
            else:
                fire = await self._start(schedule, fire_at, now, run_id, reply)
            upcoming = when.next_after(now, start=schedule.created_at)
            if not await self.store.claim(
                schedule, fire_at=fire_at, run_id=run_id, next_fire_at=upcoming
            ):
                log.info("schedule.tick_taken_elsewhere")
        return fire

    async def _start(
        self, schedule: Schedule, fire_at: datetime, now: datetime, run_id: str, reply: ReplyTarget
    ) -> Fire:
        objective = Objective(
            text=schedule.objective,
            trigger="schedule",
            trigger_id=run_id,
            reply=reply,
            received_at=now,
        )
        request = RunRequest(run_id=run_id, objective=objective, principal=schedule.owner)
        handle = await self.engine.submit(request)
        fire = await self._record(schedule, fire_at, now, run_id, "started", "")
        if handle.workflow is not None:
            self._watch(schedule, request)
        return fire

    async def _record(
        self,
        schedule: Schedule,
        fire_at: datetime,
        now: datetime,
        run_id: str,
        outcome: str,
        detail: str,
    ) -> Fire:
        lateness_ms = max(0.0, (now - fire_at).total_seconds() * 1000)
        fire = Fire(
            schedule_id=schedule.id,
            fire_at=fire_at,
            fired_at=now,
            run_id=run_id,
            outcome="skipped" if outcome == "skipped" else "started",
            lateness_ms=lateness_ms,
            detail=detail,
        )
        if await self.store.record_fire(fire):
            await self.audit.record(
                run_id,
                "schedule_fire",
                key=f"{run_id}:schedule_fire",
                status=fire.outcome,
                detail={
                    "schedule_id": schedule.id,
                    "when": schedule.when.text,
                    "fire_at": fire_at.isoformat(),
                    "lateness_ms": round(lateness_ms, 1),
                    "reason": detail,
                },
            )
            log.info("schedule.fired", outcome=fire.outcome, lateness_ms=round(lateness_ms, 1))
        return fire

    def _watch(self, schedule: Schedule, request: RunRequest) -> None:
        task = asyncio.create_task(self._settle(schedule, request))
        self._watching.add(task)
        task.add_done_callback(self._watching.discard)

    async def _settle(self, schedule: Schedule, request: RunRequest) -> None:
        """When the run ends: pause the schedule if its last runs all failed."""
        try:
            await self.engine.result(request)
            await self.check_failures(schedule.id)
        except Exception:  # a watcher must not take the scheduler down; the audit has the run
            log.exception("schedule.settle_failed", schedule_id=schedule.id)

    async def check_failures(self, schedule_id: str) -> bool:
        """Pause the schedule if its last :attr:`failure_limit` runs all failed; True if it
        paused it now (its owner is then told in a DM)."""
        fires = await self.store.fires(schedule_id, limit=self.failure_limit)
        if len(fires) < self.failure_limit or any(f.outcome != "failed" for f in fires):
            return False
        reason = f"its last {self.failure_limit} runs failed"
        if not await self.store.pause(schedule_id, reason):
            return False
        schedule = await self.store.get(schedule_id)
        assert schedule is not None
        await self.audit.record(
            fires[0].run_id,
            "schedule_paused",
            key=f"{schedule_id}:paused:{fires[0].run_id}",
            detail={"schedule_id": schedule_id, "reason": reason},
        )
        await self.mailroom.tell(schedule.owner, _paused_text(schedule, reason))
        return True

    async def close(self) -> None:
        """Stop watching runs (they go on; the next fire checks their outcomes)."""
        for task in list(self._watching):
            task.cancel()
        await asyncio.gather(*self._watching, return_exceptions=True)


_UNREACHABLE: Final = "its owner could not be reached in Slack"


def _paused_text(schedule: Schedule, reason: str) -> str:
    return (
        f"I paused your schedule `{schedule.id}` ({schedule.when.text}: {schedule.objective}) "
        f"because {reason}. See `crosswire audit show {schedule.last_run_id}`; remove it with "
        f"`/crosswire schedule remove {schedule.id}` and add it again once the cause is fixed."
    )
