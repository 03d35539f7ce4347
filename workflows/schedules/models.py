"""Schedules, their fires and people's briefing preferences, as the rest of the bot sees them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from workflows.models import Principal
from workflows.schedules.when import When

ScheduleSource = Literal["slack", "cli", "config"]
# How a scheduled run ended, as the audit recorded it; "started" until then.
FireOutcome = Literal["started", "completed", "failed", "refused", "skipped"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Schedule(Model):
    """An objective run on a timetable, delivered to a channel or (``channel`` None) to its
    owner's DM, as the owner (who the run is for, whose access it has)."""

    id: str
    when: When
    objective: str
    owner: Principal
    channel: str | None
    source: ScheduleSource
    created_at: datetime
    next_fire_at: datetime | None
    last_fire_at: datetime | None = None
    last_run_id: str | None = None
    last_outcome: FireOutcome | None = None
    failures: int = 0
    paused_reason: str | None = None

    @property
    def where(self) -> str:
        """Where it delivers, in words."""
        return f"<#{self.channel}>" if self.channel else "a DM to its owner"


class Fire(Model):
    """One tick of a schedule: the time it was due, when it started, the run it started."""

    schedule_id: str
    fire_at: datetime
    fired_at: datetime
    run_id: str
    outcome: FireOutcome
    lateness_ms: float
    detail: str = ""


class BriefingPrefs(Model):
    """A person's own pre-meeting briefings: on or off, and how long before the meeting
    (``lead`` None: the bot's default, ``CROSSWIRE_BRIEFING_LEAD``)."""

    email: str
    enabled: bool = True
    lead: timedelta | None = None


def schedule_run_id(schedule_id: str, fire_at: datetime) -> str:
    """The run a schedule's tick starts: the same tick fired twice (two replicas, a restart)
    names the same run, and DBOS starts a run id once."""
    return f"sched-{schedule_id}-{fire_at.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}"


def briefing_run_id(meeting_id: str, attendee_email: str, fingerprint: str) -> str:
    """The pre-meeting briefing for one attendee of one meeting, as it stands: a meeting that
    only moved keeps its id (sent once), a meeting whose title or attendees changed gets a
    new one."""
    who = hashlib.sha256(attendee_email.strip().lower().encode()).hexdigest()[:10]
    return f"brief-{meeting_id}-{who}-{fingerprint}"
