"""What schedules need from the edge and the systems, as protocols the composition root fills:
where a scheduled answer goes, who a person is in chat, and the calendars."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from workflows.domain import AccountResolution, Employee, Meeting
from workflows.models import Principal, ReplyTarget


class Mailroom(Protocol):
    """Where scheduled answers go, and how their owners are told what happened."""

    async def person(self, email: str) -> Principal | None:
        """The employee with ``email`` as chat knows them (chat id, time zone), or None if
        chat has no such person."""

    async def reply_to(self, owner: Principal, channel: str | None) -> ReplyTarget | None:
        """Where a delivery for ``owner`` goes: ``channel``, or (None) their DM; None if they
        cannot be reached."""

    async def tell(self, owner: Principal, text: str) -> None:
        """A short message to ``owner`` alone (a schedule paused, say)."""


class Calendars(Protocol):
    """Every calendar the company's systems hold."""

    async def meetings_between(self, start: datetime, end: datetime) -> list[Meeting]:
        """All meetings starting in ``[start, end)``, soonest first."""


class Roster(Protocol):
    """Who is who, in memory: the identity directory implements it."""

    def find_employee(self, email: str) -> Employee | None:
        """The seller's employee with this email (any case), or None."""

    def person_name(self, email: str) -> str | None:
        """The name of an employee or a customer contact with this email, if known."""

    def resolve_account(self, query: str) -> AccountResolution:
        """Which customer an email address (by its domain) or a name means."""
