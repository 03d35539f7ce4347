"""Which of the day's meetings are customer meetings, whose, and with which customer.

``directory.customer_meetings`` is the digest's one operation of its own: it reads no system,
only the identity directory (in memory). An attendee is one of ours when the directory knows
them as an employee, or their address is at the requester's own domain; anyone else is a
guest, and a guest's address resolves to a customer account by its domain (exactly). A
meeting with at least one guest is a customer meeting; it is the requester's when they
organise or attend it, their team's when anyone they manage (directly or further down) does.
A directory that knows no managers at all has no teams: "the team" is then every seller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final, Protocol

from pydantic import BaseModel, ConfigDict, Field

from workflows.answers import DigestScope
from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.domain import AccountRef, AccountResolution, Employee, Meeting

OPERATION: Final = "directory.customer_meetings"
SELLER_ROLE: Final = "sales"
MAX_CHAIN: Final = 12  # management levels walked up before giving up (a cycle, a deep chart)


class MeetingDirectory(Protocol):
    """What the operation asks of the identity directory (which implements it)."""

    def find_employee(self, email: str) -> Employee | None: ...

    def manager_of(self, email: str) -> Employee | None: ...

    def account_owner(self, account_id: str) -> Employee | None: ...

    def resolve_account(self, query: str) -> AccountResolution: ...


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerMeetingsInput(_Model):
    """The day's meetings (``calendar.meetings_between``), who asks, and for whom."""

    meetings: list[Meeting] = Field(max_length=5_000)
    requester_email: str
    scope: DigestScope = "me"
    tz: str = Field(default="UTC", description="The time zone the day is counted in")


class CustomerMeeting(_Model):
    """A customer meeting: ``ours`` by name, ``theirs`` by address, the customer's account
    (None when no account matches the guests) and its owner as the directory knows them."""

    meeting: Meeting
    account: AccountRef | None = None
    ours: list[str] = Field(default_factory=list)
    theirs: list[str] = Field(default_factory=list)
    owner_name: str | None = None


class CustomerMeetings(_Model):
    """The customer meetings, soonest first; ``accounts`` their customers, each once, in the
    order they first meet (what the per-customer reads fan out over); ``whose`` names the
    people the meetings are of, as a header says it; ``scope`` and ``tz`` as asked."""

    meetings: list[CustomerMeeting] = Field(default_factory=list)
    accounts: list[AccountRef] = Field(default_factory=list)
    whose: str
    scope: DigestScope = "me"
    tz: str = "UTC"


def customer_meetings(inp: CustomerMeetingsInput, people: MeetingDirectory) -> CustomerMeetings:
    """The customer meetings among ``inp.meetings`` that belong to the scope asked for."""
    sorter = _Sorter(people, inp.requester_email)
    wanted = sorter.in_scope(inp.meetings, inp.scope)
    found = [m for m in (sorter.classify(meeting) for meeting in wanted) if m is not None]
    accounts = {m.account.account_id: m.account for m in found if m.account is not None}
    return CustomerMeetings(
        meetings=found,
        accounts=list(accounts.values()),
        whose=sorter.whose(inp.scope),
        scope=inp.scope,
        tz=inp.tz,
    )


def customer_meetings_operation(people: MeetingDirectory) -> AnyOperation:
    """The operation, reading ``people`` (system ``directory``: shown in no progress)."""

    async def handler(inp: CustomerMeetingsInput, ctx: CallContext) -> CustomerMeetings:
        return customer_meetings(inp, people)

    return Operation(
        name=OPERATION,
        system="directory",
        description="Keep the customer meetings among `meetings` (those with someone from "
        "outside the company), with each guest's customer account and its owner; `scope` "
        "'me' keeps the requester's own, 'team' also those of everyone they manage.",
        input_model=CustomerMeetingsInput,
        output_model=CustomerMeetings,
        handler=handler,
        access="read",
    )


def _attendees(meeting: Meeting) -> list[str]:
    everyone = [meeting.organizer_email, *meeting.attendees]
    return list(dict.fromkeys(e.strip().lower() for e in everyone if e.strip()))


class _Sorter:
    """Tells ours from guests and the requester's team from everyone else."""

    def __init__(self, people: MeetingDirectory, requester_email: str) -> None:
        self.people = people
        self.me = requester_email.strip().lower()
        self.domain = self.me.rpartition("@")[2]

    def ours(self, email: str) -> bool:
        return self.people.find_employee(email) is not None or email.endswith("@" + self.domain)

    def in_scope(self, meetings: list[Meeting], scope: DigestScope) -> list[Meeting]:
        if scope == "me":
            return [m for m in meetings if self.me in _attendees(m)]
        staff = {e for m in meetings for e in _attendees(m) if self.ours(e)}
        charted = any(self.people.manager_of(e) is not None for e in staff | {self.me})
        team = {e for e in staff if self._in_team(e)} if charted else self._sellers(staff)
        return [m for m in meetings if team & set(_attendees(m))]

    def _in_team(self, email: str) -> bool:
        """The requester, or someone whose chain of managers reaches the requester."""
        return email == self.me or any(m.email.lower() == self.me for m in self._chain(email))

    def _chain(self, email: str) -> Iterator[Employee]:
        for _ in range(MAX_CHAIN):
            manager = self.people.manager_of(email)
            if manager is None:
                return
            yield manager
            email = manager.email

    def _sellers(self, staff: set[str]) -> set[str]:
        """Everyone who sells (when the directory has no org chart to find a team in)."""
        found = {e: self.people.find_employee(e) for e in staff}
        return {e for e, who in found.items() if who and SELLER_ROLE in who.roles} | {self.me}

    def classify(self, meeting: Meeting) -> CustomerMeeting | None:
        """The meeting as a customer meeting, or None when nobody from outside attends."""
        everyone = _attendees(meeting)
        guests = [e for e in everyone if not self.ours(e)]
        if not guests:
            return None
        account = self._account(guests)
        owner = self.people.account_owner(account.account_id) if account else None
        return CustomerMeeting(
            meeting=meeting,
            account=account,
            ours=[self._name(e) for e in everyone if self.ours(e)],
            theirs=guests,
            owner_name=owner.name if owner else None,
        )

    def _account(self, guests: list[str]) -> AccountRef | None:
        """The customer most of the guests are from (the first of them on a tie)."""
        accounts = [a for a in map(self._by_domain, guests) if a is not None]
        if not accounts:
            return None
        counts = Counter(a.account_id for a in accounts)
        return max(accounts, key=lambda a: counts[a.account_id])

    def _by_domain(self, guest: str) -> AccountRef | None:
        """The account of a guest's email domain; a name that only looks like the address
        (the directory's fuzzy match) is no match."""
        found = self.people.resolve_account(guest).account
        domain = guest.rpartition("@")[2]
        if found is None or domain not in {found.domain.lower(), found.links.get("email")}:
            return None
        return found

    def _name(self, email: str) -> str:
        who = self.people.find_employee(email)
        return who.name if who else email

    def whose(self, scope: DigestScope) -> str:
        name = self._name(self.me)
        return name if scope == "me" else f"{name}'s team"


__all__ = [
    "OPERATION",
    "CustomerMeeting",
    "CustomerMeetings",
    "CustomerMeetingsInput",
    "MeetingDirectory",
    "customer_meetings",
    "customer_meetings_operation",
]
