"""Pre-meeting briefings: each internal attendee of a customer meeting gets the customer's
briefing in a DM, their lead time (``CROSSWIRE_BRIEFING_LEAD`` by default) before it starts.

Every scan reads the calendars afresh, so a moved meeting is briefed at its new time and a
cancelled one not at all. Each (meeting, attendee) has one run id, made from the meeting's
title and attendees but not its time: a meeting that only moved after its briefing went out
is not briefed again; one whose title or attendees changed is.

Misfires are handled on purpose: a briefing whose time passed while the bot was down or busy
goes out at once if the meeting has not started; once it has started the briefing is
skipped, and the skip is recorded (audit and fires) with the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

import structlog

from workflows.answers import Notice
from workflows.audit import AuditStore
from workflows.clock import Clock
from workflows.domain import AccountRef, Meeting
from workflows.engine import Engine
from workflows.models import Objective, Occasion, Principal, ReplyTarget, RunRequest
from workflows.schedules.models import Fire, briefing_run_id
from workflows.schedules.ports import Calendars, Mailroom, Roster
from workflows.schedules.store import ScheduleStore

log = structlog.get_logger(__name__)
BRIEFINGS: Final = "briefings"  # the schedule id pre-meeting briefings are recorded under
LOOK_BACK: Final = timedelta(hours=2)  # meetings started this recently are checked for skips
MAX_LEAD: Final = timedelta(hours=24)

Decision = Literal["wait", "now", "missed"]


@dataclass(frozen=True)
class Due:
    """One attendee's briefing for one meeting, and what to do about it at ``now``."""

    meeting: Meeting
    account: AccountRef
    attendee: str
    due_at: datetime
    run_id: str
    decision: Decision


@dataclass
class MeetingBriefings:
    calendars: Calendars
    roster: Roster
    store: ScheduleStore
    engine: Engine
    audit: AuditStore
    mailroom: Mailroom
    clock: Clock
    default_lead: timedelta

    async def scan(self) -> list[Due]:
        """Send what is due, record what was missed; returns the briefings still to come
        (each with its due time) and those acted on."""
        now = self.clock.now()
        found = await self.plan(now)
        for due in found:
            if due.decision == "now":
                await self._send(due, now)
            elif due.decision == "missed":
                await self._skip(due, now)
        return found

    async def plan(self, now: datetime) -> list[Due]:
        """Every briefing not yet sent for meetings from :data:`LOOK_BACK` ago to the longest
        lead ahead, with what to do about it at ``now``."""
        meetings = await self.calendars.meetings_between(now - LOOK_BACK, now + MAX_LEAD)
        planned: list[Due] = []
        for meeting in meetings:
            account = self._customer(meeting)
            if account is None:
                continue
            for attendee in self._ours(meeting):
                due = await self._due(meeting, account, attendee, now)
                if due is not None:
                    planned.append(due)
        return planned

    async def _due(
        self, meeting: Meeting, account: AccountRef, attendee: str, now: datetime
    ) -> Due | None:
        prefs = await self.store.prefs(attendee)
        if not prefs.enabled:
            return None
        run_id = briefing_run_id(meeting.id, attendee, _fingerprint(meeting))
        if await self.store.fired(run_id) is not None or await self.engine.started(run_id):
            return None
        due_at = meeting.starts_at - (prefs.lead or self.default_lead)
        decision: Decision = (
            "wait" if now < due_at else "now" if now < meeting.starts_at else "missed"
        )
        return Due(meeting, account, attendee, due_at, run_id, decision)

    def _customer(self, meeting: Meeting) -> AccountRef | None:
        """The customer a meeting is with: the account of its first external attendee."""
        for email in meeting.attendees:
            if self.roster.find_employee(email) is None:
                account = self.roster.resolve_account(email).account
                if account is not None:
                    return account
        return None

    def _ours(self, meeting: Meeting) -> list[str]:
        people = dict.fromkeys(a.lower() for a in (meeting.organizer_email, *meeting.attendees))
        return [p for p in people if self.roster.find_employee(p) is not None]

    async def _send(self, due: Due, now: datetime) -> None:
        with structlog.contextvars.bound_contextvars(run_id=due.run_id, meeting=due.meeting.id):
            person = await self.mailroom.person(due.attendee)
            reply = None if person is None else await self.mailroom.reply_to(person, None)
            if person is None or reply is None:  # tried again at the next scan, until it starts
                log.info("briefing.recipient_unreachable", attendee=due.attendee)
                return
            objective = Objective(
                text=f"brief me on {due.account.name}",
                trigger="schedule",
                trigger_id=due.run_id,
                reply=reply,
                received_at=now,
                occasion=self._occasion(due.meeting, person),
            )
            await self.engine.submit(RunRequest(run_id=due.run_id, objective=objective,
                                                principal=person))  # fmt: skip
            await self._record(due, now, "started", "")

    async def _skip(self, due: Due, now: datetime) -> None:
        """A briefing due while the bot was down or busy, for a meeting that has started: a
        run of its own in the audit, skipped, saying why."""
        started = due.meeting.starts_at.isoformat(timespec="minutes")
        reason = f"the meeting had already started (at {started}) when its briefing was due"
        employee = self.roster.find_employee(due.attendee)
        name = employee.name if employee is not None else due.attendee
        objective = Objective(
            text=f"brief me on {due.account.name}",
            trigger="schedule",
            trigger_id=due.run_id,
            reply=ReplyTarget(kind="slack", progress=False),
            received_at=now,
            occasion=self._occasion(due.meeting, Principal(email=due.attendee, name=name)),
        )
        request = RunRequest(
            run_id=due.run_id, objective=objective, principal=Principal(email=due.attendee,
                                                                       name=name)
        )  # fmt: skip
        await self.audit.run_started(request, planner="-")
        await self._record(due, now, "skipped", reason)
        notice = Notice(run_id=due.run_id, reason="done", title="Briefing skipped", text=reason)
        await self.audit.run_finished(
            due.run_id, status="skipped", answer=notice.model_dump(mode="json")
        )

    def _occasion(self, meeting: Meeting, person: Principal) -> Occasion:
        ours: list[str] = []
        theirs: list[str] = []
        for email in dict.fromkeys((meeting.organizer_email, *meeting.attendees)):
            name = self.roster.person_name(email) or email
            (ours if self.roster.find_employee(email) is not None else theirs).append(name)
        return Occasion(
            meeting_id=meeting.id,
            title=meeting.title,
            starts_at=meeting.starts_at,
            tz=person.tz or "UTC",
            ours=tuple(ours),
            theirs=tuple(theirs),
        )

    async def _record(self, due: Due, now: datetime, outcome: str, reason: str) -> None:
        fire = Fire(
            schedule_id=f"{BRIEFINGS}:{due.meeting.id}",
            fire_at=due.due_at,
            fired_at=now,
            run_id=due.run_id,
            outcome="skipped" if outcome == "skipped" else "started",
            lateness_ms=max(0.0, (now - due.due_at).total_seconds() * 1000),
            detail=reason,
        )
        if not await self.store.record_fire(fire):
            return
        await self.audit.record(
            due.run_id,
            "briefing_skipped" if fire.outcome == "skipped" else "schedule_fire",
            key=f"{due.run_id}:schedule_fire",
            status=fire.outcome,
            detail={
                "schedule_id": fire.schedule_id,
                "meeting": due.meeting.title,
                "attendee": due.attendee,
                "due_at": due.due_at.isoformat(),
                "starts_at": due.meeting.starts_at.isoformat(),
                "lateness_ms": round(fire.lateness_ms, 1),
                "reason": reason,
            },
        )
        log.info("briefing.fired", outcome=fire.outcome, reason=reason or None)


def _fingerprint(meeting: Meeting) -> str:
    """What makes a briefing worth sending again: the title and who attends (not the time)."""
    people = ",".join(sorted({a.lower() for a in (meeting.organizer_email, *meeting.attendees)}))
    return hashlib.sha256(f"{meeting.title}|{people}".encode()).hexdigest()[:8]
