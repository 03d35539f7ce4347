"""The meetings digest: today's customer meetings of a person or a team, three lines each.

The plan reads every calendar's meetings from now (less :data:`UNDER_WAY`, so a meeting that
has just begun still shows) to the end of the requester's day (``calendar.meetings_between``,
only the requester's own when the scope is "me"), keeps the customer meetings of the scope
(``directory.customer_meetings``), then reads the briefing's six systems once per customer,
in parallel (one fan-out step per system). The composer gives each meeting three lines: the
deal's stage and amount, the top concern and the owner (:mod:`workflows.library.digest_lines`).
A system that is down costs its line, named; a calendar that is down costs the digest.

The day is counted in the requester's time zone (``Principal.tz``), UTC when it is not known.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.answers import Digest, DigestScope, Notice
from workflows.catalog import AnyOperation
from workflows.library.briefing import SYSTEM_STEPS
from workflows.library.compose import ComposeInput
from workflows.library.digest_lines import digest_meeting
from workflows.library.digest_meetings import (
    OPERATION,
    CustomerMeetings,
    MeetingDirectory,
    customer_meetings_operation,
)
from workflows.models import Principal
from workflows.plan import Plan, Step

WORKFLOW: Final = "digest"
UNDER_WAY: Final = timedelta(minutes=30)
CALENDAR_STEP: Final = "calendar"
CUSTOMERS_STEP: Final = "customers"
SUBJECTS: Final[dict[DigestScope, str]] = {
    "me": "your customer meetings today",
    "team": "your team's customer meetings today",
}


def zone_of(tz: str | None) -> ZoneInfo:
    """The time zone named ``tz``; UTC when none is named or the name is unknown."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_window(now: datetime, tz: str | None) -> tuple[datetime, datetime]:
    """From ``now`` (less :data:`UNDER_WAY`, but not before midnight) to the next midnight,
    both in ``tz``, as UTC times."""
    zone = zone_of(tz)
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(), zone)
    end = datetime.combine(today + timedelta(days=1), time(), zone)
    return max(midnight, now - UNDER_WAY).astimezone(UTC), end.astimezone(UTC)


def digest_plan(requester: Principal, *, scope: DigestScope, now: datetime) -> Plan:
    """The plan of ``requester``'s digest (``scope`` "me": their meetings; "team": theirs
    and those of everyone they manage) for the rest of their day as of ``now``."""
    tz = zone_of(requester.tz).key
    starts_from, starts_before = day_window(now, tz)
    window: dict[str, str] = {
        "starts_from": starts_from.isoformat(),
        "starts_before": starts_before.isoformat(),
    }
    if scope == "me":
        window["attendee_email"] = requester.email
    found = Step(
        id=CUSTOMERS_STEP,
        operation=OPERATION,
        args={
            "meetings": {"$ref": f"{CALENDAR_STEP}.meetings"},
            "requester_email": requester.email,
            "scope": scope,
            "tz": tz,
        },
        title="The customer meetings among them",
    )
    reads = tuple(
        Step(
            id=step_id,
            operation=op,
            for_each=f"{CUSTOMERS_STEP}.accounts",
            args={"account": {"$item": ""}},
            title=title,
        )
        for step_id, op, title in SYSTEM_STEPS
    )
    return Plan(
        workflow=WORKFLOW,
        subject=SUBJECTS[scope],
        summary=f"Customer meetings until the end of the day ({tz}), three lines each",
        steps=(
            Step(id=CALENDAR_STEP, operation="calendar.meetings_between", args=window),
            found,
            *reads,
        ),
    )


def digest_operations(directory: MeetingDirectory) -> list[AnyOperation]:
    """The digest's own operation, for the catalog (system ``directory``)."""
    return [customer_meetings_operation(directory)]


def compose_digest(data: ComposeInput) -> Digest | Notice:
    """The digest, or a notice when the meetings themselves could not be read."""
    found = _customer_meetings(data)
    if isinstance(found, Notice):
        return found
    places = {a.account_id: i for i, a in enumerate(found.accounts)}
    meetings = tuple(
        digest_meeting(m, data, places.get(m.account.account_id) if m.account else None)
        for m in found.meetings
    )
    return Digest(
        run_id=data.run_id,
        scope=found.scope,
        whose=found.whose,
        day=data.now.astimezone(zone_of(found.tz)).date(),
        tz=found.tz,
        generated_at=data.now,
        meetings=meetings,
    )


def _customer_meetings(data: ComposeInput) -> CustomerMeetings | Notice:
    calendar = data.results.get(CALENDAR_STEP)
    customers = data.results.get(CUSTOMERS_STEP)
    if calendar is not None and calendar.ok and customers is not None and customers.ok:
        return CustomerMeetings.model_validate(customers.output)
    failed = calendar if calendar is None or not calendar.ok else customers
    label = data.label("calendar" if failed is calendar else "directory")
    detail = f" ({failed.error})" if failed is not None and failed.error else ""
    why, after = f"could not be reached{detail}", " Please try again shortly."
    if failed is not None and failed.failure == "permanent":  # trying again will not help
        why, after = f"refused the request{detail}", ""
    elif failed is not None and failed.failure in ("late", "timeout"):
        why = f"did not answer in time{detail}"
    return Notice(
        run_id=data.run_id,
        reason="failed",
        title="I could not read today's meetings",
        text=f"{label} {why}, so there is no digest of today's customer meetings.{after}",
    )


__all__ = [
    "UNDER_WAY",
    "WORKFLOW",
    "compose_digest",
    "day_window",
    "digest_operations",
    "digest_plan",
    "zone_of",
]
