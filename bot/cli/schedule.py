"""``crosswire schedule add|list|remove``: schedules from the terminal, on the audit database.

They read and write the schedules table directly (no durable runtime is started), so they
work beside a running ``crosswire serve``, which picks a change up at its next sync
(``CROSSWIRE_SCHEDULE_SYNC``, every 30 s by default). Exit code 0 when done, 2 for input that
cannot work (the reason on stderr).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final

from bot.cli.audit import local
from bot.cli.directory import company_directory
from bot.inbound import MAX_ASK_CHARS
from bot.settings import Settings
from connectors.identity import IdentityDirectory
from workflows.audit import AuditStore
from workflows.clock import Clock, SystemClock
from workflows.models import Principal
from workflows.schedules import BadWhen, Schedule, ScheduleStore, parse_when

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
DEFAULT_TZ: Final = "UTC"
CHANNEL_ID: Final = re.compile(r"[CG][A-Z0-9]{2,}")


class Refused(Exception):
    """Input that cannot make a schedule; ``str()`` is the line for stderr."""


async def schedule_add(
    settings: Settings,
    *,
    email: str,
    when: str,
    objective: str,
    channel: str | None,
    tz: str | None,
    clock: Clock | None = None,
) -> int:
    """Add a schedule for ``email`` (delivered to ``channel``, or to their DM) and print it."""
    clock = clock or SystemClock()
    try:
        owner = principal_for(await company_directory(settings), email, tz or DEFAULT_TZ)
        parsed = parse_when(when, owner.tz or DEFAULT_TZ)
        text = objective_of(objective)
        where = channel_of(channel, owner)
    except (Refused, BadWhen) as exc:
        return _refuse(str(exc))
    async with _store(settings, clock) as store:
        schedule = await store.add(parsed, text, owner, channel=where, source="cli")
    print(f"Scheduled {schedule.id}: {schedule.objective}. {schedule.when.describe(clock.now())}.")
    print(f"It delivers to {_where(schedule)}, as {owner.name}.")
    print(_pickup(settings, "starts it"))
    return EXIT_OK


async def schedule_list(settings: Settings, *, as_json: bool, clock: Clock | None = None) -> int:
    """Print every schedule, oldest first (JSON with ``--json``); a plain note when none."""
    clock = clock or SystemClock()
    async with _store(settings, clock) as store:
        schedules = await store.listed()
    now = clock.now()
    if as_json:
        print(json.dumps([_json(s, now) for s in schedules], indent=2))
    elif not schedules:
        print(
            "No schedules yet. Add one with: crosswire schedule add --as "
            'dana.reyes@northwind.example "every weekday at 8am" "today\'s customer meetings"'
        )
    else:
        print("\n\n".join(_entry(s, now) for s in schedules))
    return EXIT_OK


async def schedule_remove(
    settings: Settings, schedule_id: str, *, clock: Clock | None = None
) -> int:
    """Remove one schedule by id; exit 2 (and say so) if there is none."""
    async with _store(settings, clock or SystemClock()) as store:
        removed = await store.remove(schedule_id.strip())
    if removed is None:
        return _refuse(
            f"there is no schedule {schedule_id.strip()!r}; `crosswire schedule list` shows them"
        )
    print(f"Removed {removed.id} ({removed.owner.name}'s): {removed.objective}.")
    print(_pickup(settings, "stops it"))
    return EXIT_OK


# ---------------------------------------------------------------- input


def principal_for(directory: IdentityDirectory, email: str, tz: str) -> Principal:
    """The employee behind ``--as``, in the time zone ``tz``."""
    employee = directory.find_employee(email)
    if employee is None:
        raise Refused(
            f"nobody with the email {email!r} is in the company directory "
            "(try dana.reyes@northwind.example)"
        )
    return Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles), tz=tz)


def objective_of(text: str) -> str:
    """What the schedule asks for, as one line; refused if empty or too long to be one."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise Refused('say what it should do, e.g. "today\'s customer meetings"')
    if len(cleaned) > MAX_ASK_CHARS:
        raise Refused(f"an objective is at most {MAX_ASK_CHARS:,} characters ({len(cleaned):,})")
    return cleaned


def channel_of(channel: str | None, owner: Principal) -> str | None:
    """The channel id a schedule posts in (None: a DM to its owner)."""
    if channel is None:
        return None
    cleaned = channel.strip()
    if cleaned.startswith("D"):
        raise Refused(f"leave out --channel for a DM to {owner.name}; {cleaned} is a DM's id")
    if not CHANNEL_ID.fullmatch(cleaned):
        raise Refused(
            f"--channel takes a channel's id such as C0123ABCD (in Slack: the channel's "
            f"details, at the bottom), not {cleaned!r}"
        )
    return cleaned


# ---------------------------------------------------------------- output


def _where(schedule: Schedule) -> str:
    return f"channel {schedule.channel}" if schedule.channel else f"a DM to {schedule.owner.name}"


def _pickup(settings: Settings, does: str) -> str:
    every = f"{settings.schedule_sync_s:g} s"
    return f"A running `crosswire serve` {does} at its next sync (within {every})."


def _entry(schedule: Schedule, now: datetime) -> str:
    """One schedule, a few lines: what, when, whose, where, how it last went."""
    lines = [
        f"{schedule.id}  {schedule.objective}",
        f"  when:   {schedule.when.describe(now)}",
        f"  owner:  {schedule.owner.name} <{schedule.owner.email}> (added from {schedule.source})",
        f"  to:     {_where(schedule)}",
        f"  last:   {last_words(schedule)}",
    ]
    if schedule.paused_reason:
        lines.append(f"  paused: {schedule.paused_reason}")
    return "\n".join(lines)


def last_words(schedule: Schedule) -> str:
    """``completed, 2026-12-01 08:00 EST``; ``not run yet``."""
    if schedule.last_fire_at is None:
        return "not run yet"
    outcome = schedule.last_outcome or "started"
    return f"{outcome}, {local(schedule.last_fire_at):%Y-%m-%d %H:%M %Z}"


def _json(schedule: Schedule, now: datetime) -> dict[str, Any]:
    return schedule.model_dump(mode="json") | {"description": schedule.when.describe(now)}


# ---------------------------------------------------------------- plumbing


def _refuse(line: str) -> int:
    print(f"crosswire: {line}", file=sys.stderr)
    return EXIT_USAGE


@asynccontextmanager
async def _store(settings: Settings, clock: Clock) -> AsyncIterator[ScheduleStore]:
    audit = await AuditStore.open(settings.audit_database_url, clock=clock)
    try:
        yield ScheduleStore(audit.engine, clock)
    finally:
        await audit.close()
