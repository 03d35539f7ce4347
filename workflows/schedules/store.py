"""Schedules, their fires and briefing preferences on the audit database.

A tick is claimed by one ``UPDATE … WHERE next_fire_at = :seen``: two schedulers that see the
same due tick (a takeover, a restart) move it on once, and both start the same run id, which
DBOS starts once. A fire is recorded once per run id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Select

from workflows.audit.tables import briefing_prefs, runs, schedule_fires, schedules
from workflows.clock import Clock
from workflows.models import Principal
from workflows.sanitise import scrubbed
from workflows.schedules.models import (
    BriefingPrefs,
    Fire,
    FireOutcome,
    Schedule,
    ScheduleSource,
)
from workflows.schedules.when import When

# What the audit's run status says of a scheduled run's outcome.
_OUTCOMES: dict[str, FireOutcome] = {
    "running": "started",
    "completed": "completed",
    "failed": "failed",
    "refused": "refused",
}


@dataclass(frozen=True, slots=True)
class Timetable:
    """When one schedule fires, and nothing else: what the scheduler's jobs are made of (a
    few plain fields, since a scheduler holds one per schedule)."""

    schedule_id: str
    text: str
    tz: str
    cron: str | None
    every_s: int | None
    created_at: datetime

    @property
    def when(self) -> When:
        return When(text=self.text, tz=self.tz, cron=self.cron, every_s=self.every_s)


class ScheduleStore:
    """Schedules and briefing preferences (the audit store's engine, SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    # ------------------------------------------------------------ schedules

    async def add(
        self,
        when: When,
        objective: str,
        owner: Principal,
        *,
        channel: str | None,
        source: ScheduleSource,
        schedule_id: str | None = None,
    ) -> Schedule:
        """A new schedule, first due at the next tick after now. ``schedule_id`` (declared
        schedules) makes adding it again change nothing."""
        now = self.clock.now()
        row = {
            "id": schedule_id or new_schedule_id(),
            "when_text": when.text,
            "tz": when.tz,
            "cron": when.cron,
            "every_s": when.every_s,
            "objective": objective,
            "owner": owner.model_dump(mode="json"),
            "owner_email": owner.email.lower(),
            "channel": channel,
            "source": source,
            "created_at": _utc(now),
            "next_fire_at": _utc(when.next_after(now, start=now)),
            "failures": 0,
        }
        async with self.engine.begin() as conn:
            inserted = await conn.execute(_insert_once(self.engine).values(**scrubbed(row)))
        if not inserted.rowcount and schedule_id is None:  # a new id taken already: another
            return await self.add(when, objective, owner, channel=channel, source=source)
        found = await self.get(str(row["id"]))
        assert found is not None
        return found

    async def get(self, schedule_id: str) -> Schedule | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_with_outcome().where(schedules.c.id == schedule_id))).first()
        return None if row is None else _schedule(row._mapping)

    async def remove(self, schedule_id: str) -> Schedule | None:
        """Remove a schedule; returns it as it was, or None if there was none."""
        found = await self.get(schedule_id)
        if found is not None:
            async with self.engine.begin() as conn:
                await conn.execute(delete(schedules).where(schedules.c.id == schedule_id))
        return found

    async def listed(
        self, *, owner_email: str | None = None, channel: str | None = None
    ) -> list[Schedule]:
        """The owner's schedules and the channel's (all of them when neither is given)."""
        query = _with_outcome().order_by(schedules.c.created_at, schedules.c.id)
        wanted = []
        if owner_email is not None:
            wanted.append(schedules.c.owner_email == owner_email.strip().lower())
        if channel is not None:
            wanted.append(schedules.c.channel == channel)
        if wanted:
            query = query.where(or_(*wanted))
        async with self.engine.connect() as conn:
            return [_schedule(r._mapping) for r in await conn.execute(query)]

    async def due(self, now: datetime, *, schedule_id: str | None = None) -> list[Schedule]:
        """Schedules not paused whose next tick is at or before ``now`` (one, if named)."""
        query = _with_outcome().where(
            schedules.c.next_fire_at <= _utc(now), schedules.c.paused_reason.is_(None)
        )
        if schedule_id is not None:
            query = query.where(schedules.c.id == schedule_id)
        async with self.engine.connect() as conn:
            return [_schedule(r._mapping) for r in await conn.execute(query)]

    async def timetables(self) -> list[Timetable]:
        """Every schedule that is not paused, as its timetable only (one light query: a
        scheduler reads this for thousands of schedules at every sync)."""
        columns = (schedules.c.id, schedules.c.when_text, schedules.c.tz, schedules.c.cron)
        query = select(*columns, schedules.c.every_s, schedules.c.created_at).where(
            schedules.c.paused_reason.is_(None)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Timetable(
                r.id, r.when_text, r.tz, r.cron, r.every_s, cast(datetime, _utc(r.created_at))
            )
            for r in rows
        ]

    async def claim(
        self, schedule: Schedule, *, fire_at: datetime, run_id: str, next_fire_at: datetime | None
    ) -> bool:
        """Move ``schedule`` on past ``fire_at`` if no one has since ``schedule`` was read."""
        statement = (
            update(schedules)
            .where(schedules.c.id == schedule.id, _same(schedule.next_fire_at))
            .values(next_fire_at=_utc(next_fire_at), last_fire_at=_utc(fire_at), last_run_id=run_id)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def pause(self, schedule_id: str, reason: str) -> bool:
        """Pause a schedule (it keeps its row, fires no more); False if already paused."""
        statement = (
            update(schedules)
            .where(schedules.c.id == schedule_id, schedules.c.paused_reason.is_(None))
            .values(paused_reason=reason)
        )
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    # ------------------------------------------------------------ fires

    async def record_fire(self, fire: Fire) -> bool:
        """Record a fire once per run id; False if it was already recorded."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                _insert_once(self.engine, schedule_fires).values(**scrubbed(_fire_row(fire)))
            )
            return bool(result.rowcount)

    async def fires(self, schedule_id: str, *, limit: int = 20) -> list[Fire]:
        """The schedule's latest fires, newest first, each with its run's outcome so far."""
        query = (
            select(schedule_fires, runs.c.status)
            .outerjoin(runs, runs.c.run_id == schedule_fires.c.run_id)
            .where(schedule_fires.c.schedule_id == schedule_id)
            .order_by(schedule_fires.c.fire_at.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [_fire(r._mapping) for r in await conn.execute(query)]

    async def latest_fires(self, *, limit: int = 50) -> list[Fire]:
        """The latest fires of every schedule and pre-meeting briefing, newest first."""
        query = (
            select(schedule_fires, runs.c.status)
            .outerjoin(runs, runs.c.run_id == schedule_fires.c.run_id)
            .order_by(schedule_fires.c.fired_at.desc(), schedule_fires.c.run_id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [_fire(r._mapping) for r in await conn.execute(query)]

    async def fired(self, run_id: str) -> Fire | None:
        query = (
            select(schedule_fires, runs.c.status)
            .outerjoin(runs, runs.c.run_id == schedule_fires.c.run_id)
            .where(schedule_fires.c.run_id == run_id)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _fire(row._mapping)

    # ------------------------------------------------------------ briefing preferences

    async def prefs(self, email: str) -> BriefingPrefs:
        key = email.strip().lower()
        async with self.engine.connect() as conn:
            query = select(briefing_prefs).where(briefing_prefs.c.email == key)
            row = (await conn.execute(query)).first()
        if row is None:
            return BriefingPrefs(email=key)
        lead = row.lead_s
        return BriefingPrefs(
            email=key,
            enabled=bool(row.enabled),
            lead=None if lead is None else timedelta(seconds=lead),
        )

    async def set_prefs(
        self, email: str, *, enabled: bool | None = None, lead: timedelta | None = None
    ) -> BriefingPrefs:
        """Change what is given, keep the rest; returns the preferences as they now are."""
        current = await self.prefs(email)
        changed = current.model_copy(
            update={k: v for k, v in (("enabled", enabled), ("lead", lead)) if v is not None}
        )
        values = {
            "enabled": changed.enabled,
            "lead_s": None if changed.lead is None else int(changed.lead.total_seconds()),
            "updated_at": _utc(self.clock.now()),
        }
        async with self.engine.begin() as conn:
            where = briefing_prefs.c.email == changed.email
            if (await conn.execute(update(briefing_prefs).where(where).values(**values))).rowcount:
                return changed
            await conn.execute(insert(briefing_prefs).values(email=changed.email, **values))
        return changed


def new_schedule_id() -> str:
    """A short id people can type (``sch-3f9a1c20b4``), unlikely to repeat in a million."""
    return f"sch-{secrets.token_hex(5)}"


def _insert_once(engine: AsyncEngine, table: Any = schedules) -> Any:
    dialect: Any = {"postgresql": postgresql, "sqlite": sqlite}.get(engine.dialect.name)
    return dialect.insert(table).on_conflict_do_nothing() if dialect else insert(table)


def _same(seen: datetime | None) -> Any:
    column = schedules.c.next_fire_at
    return column.is_(None) if seen is None else column == _utc(seen)


def _with_outcome() -> Select[Any]:
    return select(schedules, runs.c.status.label("last_status")).outerjoin(
        runs, runs.c.run_id == schedules.c.last_run_id
    )


def _utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC: every time is stored in UTC (SQLite keeps no zone, and gives back
    naive times)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _schedule(row: Any) -> Schedule:
    status = row["last_status"]
    return Schedule(
        id=row["id"],
        when=When(text=row["when_text"], tz=row["tz"], cron=row["cron"], every_s=row["every_s"]),
        objective=row["objective"],
        owner=Principal.model_validate(row["owner"]),
        channel=row["channel"],
        source=cast(ScheduleSource, row["source"]),
        created_at=cast(datetime, _utc(row["created_at"])),
        next_fire_at=_utc(row["next_fire_at"]),
        last_fire_at=_utc(row["last_fire_at"]),
        last_run_id=row["last_run_id"],
        last_outcome=None if row["last_run_id"] is None else _OUTCOMES.get(status, "started"),
        failures=row["failures"] or 0,
        paused_reason=row["paused_reason"],
    )


def _fire_row(fire: Fire) -> dict[str, Any]:
    return fire.model_dump() | {"fire_at": _utc(fire.fire_at), "fired_at": _utc(fire.fired_at)}


def _fire(row: Any) -> Fire:
    recorded = cast(FireOutcome, row["outcome"])
    status = row["status"]
    outcome = _OUTCOMES.get(status, recorded) if recorded == "started" and status else recorded
    return Fire(
        schedule_id=row["schedule_id"],
        fire_at=cast(datetime, _utc(row["fire_at"])),
        fired_at=cast(datetime, _utc(row["fired_at"])),
        run_id=row["run_id"],
        outcome=outcome,
        lateness_ms=row["lateness_ms"],
        detail=row["detail"] or "",
    )
