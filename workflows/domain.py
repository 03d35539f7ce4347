"""Business records as the core sees them, whatever system they came from.

Connectors translate each system's own shapes into these models; the workflow library reads
only these. Amounts are in the record's currency, datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """Base of every record: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- identity


class AccountRef(Record):
    """A customer account as the unified data layer knows it, linked across systems.

    ``links`` maps a system id (``"support"``) to the account's own id in that system; a system
    missing from it has no record of this customer.
    """

    account_id: str
    name: str
    domain: str
    links: dict[str, str] = Field(default_factory=dict)


class AccountResolution(Record):
    """The answer to "which customer did they mean?"."""

    query: str
    status: Literal["found", "ambiguous", "not_found"]
    account: AccountRef | None = None
    candidates: list[str] = Field(default_factory=list)


MentionKind = Literal["name", "partial", "similar", "domain", "email", "contact"]


class CustomerMention(Record):
    """A customer named in a message: which account, where in the text, and how it matched.

    ``how``: a name as some system spells it (``name``), its leading words (``partial``,
    "Blue Harbor"), a near spelling (``similar``), a domain, a contact's email address, or a
    contact's name (``contact``: the contact's company). ``start``/``end`` index the text.
    """

    account: AccountRef
    start: int
    end: int
    text: str
    how: MentionKind
    score: float = 100.0


class Employee(Record):
    """A person at the seller (Northwind Labs): a possible requester or approver."""

    email: str
    name: str
    title: str
    roles: list[str] = Field(default_factory=list)
    manager_email: str | None = None


# ---------------------------------------------------------------- CRM


class Deal(Record):
    id: str
    name: str
    amount: float
    currency: str = "USD"
    stage: str
    close_date: date


class Activity(Record):
    at: datetime
    kind: Literal["call", "email", "meeting", "note"]
    summary: str
    by: str


class CrmAccount(Record):
    """The CRM's view of an account: who owns it, where it stands, what is in flight."""

    account_id: str
    name: str
    industry: str
    owner_name: str
    owner_email: str
    lifecycle_stage: Literal["prospect", "customer", "churned"]
    renewal_date: date | None = None
    phone: str | None = None
    open_deals: list[Deal] = Field(default_factory=list)
    last_activity: Activity | None = None


class CrmLookup(Record):
    account: CrmAccount | None = None


class Contact(Record):
    id: str
    name: str
    email: str
    title: str
    account_id: str


class ContactProfile(Record):
    """A person at a customer with their company and its owner, as the CRM knows them."""

    name: str
    email: str
    title: str
    account_id: str
    company: str
    lifecycle_stage: Literal["prospect", "customer", "churned"]
    owner_email: str
    owner_name: str


class ContactProfiles(Record):
    """``emails`` lists the contacts' addresses in the same order, for later steps."""

    contacts: list[ContactProfile] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)


class ContactActivity(Record):
    """A CRM activity with one contact (a call, a note), newest first in lists."""

    contact_email: str
    account_id: str
    at: datetime
    kind: Literal["call", "email", "meeting", "note"]
    summary: str
    by: str


class ContactActivities(Record):
    activities: list[ContactActivity] = Field(default_factory=list)


class LoggedActivity(Record):
    """An activity the CRM logged on request; ``duplicate`` when the request was a repeat."""

    activity_id: str
    account_id: str
    contact_email: str
    kind: Literal["call", "email", "meeting", "note"]
    summary: str
    at: datetime
    duplicate: bool = False


class FieldChange(Record):
    """A CRM account field set to ``value``; ``previous`` is what it was before."""

    change_id: str
    account_id: str
    field: Literal["lifecycle_stage", "industry"]
    previous: str
    value: str
    duplicate: bool = False


# ---------------------------------------------------------------- email


class EmailThread(Record):
    id: str
    subject: str
    participants: list[str]
    message_count: int
    last_from: str
    last_at: datetime
    snippet: str


class EmailThreads(Record):
    threads: list[EmailThread] = Field(default_factory=list)


class SentEmail(Record):
    """An email the mailbox sent; ``duplicate`` when the request repeated an earlier one."""

    message_id: str
    to: str
    subject: str
    account_id: str | None = None
    sent_at: datetime
    idempotency_key: str
    duplicate: bool = False


class OutboxMessage(Record):
    """One message in the mailbox's outbox, as sent."""

    message_id: str
    to: str
    subject: str
    body: str
    account_id: str | None = None
    idempotency_key: str
    run_id: str
    sent_at: datetime


# ---------------------------------------------------------------- support


class Ticket(Record):
    id: str
    subject: str
    priority: Literal["P1", "P2", "P3", "P4"]
    status: Literal["open", "pending", "solved"]
    opened_at: datetime
    requester_email: str


class Tickets(Record):
    tickets: list[Ticket] = Field(default_factory=list)
    org_phone: str | None = None  # the phone the support desk keeps for the customer


# ---------------------------------------------------------------- contracts


class Contract(Record):
    id: str
    tier: str
    start_date: date
    renewal_date: date
    annual_value: float
    currency: str = "USD"
    auto_renew: bool
    terms: list[str] = Field(default_factory=list)


class ContractLookup(Record):
    contract: Contract | None = None


# ---------------------------------------------------------------- product usage


class UsageTrend(Record):
    """Daily active users, averaged over the last 30 and the last 90 days."""

    tenant: str
    avg_daily_users_30d: float
    avg_daily_users_90d: float
    change_pct: float
    last_active: date | None = None


class UsageLookup(Record):
    usage: UsageTrend | None = None


# ---------------------------------------------------------------- billing


# The currency of an amount withheld from someone who may not see it (the amount reads 0):
# billing amounts, deal amounts and contract values are for finance, the account owner and
# managers (connectors.access).
AMOUNT_WITHHELD = "withheld"


class Invoice(Record):
    number: str
    amount: float
    currency: str = "USD"
    issued_on: date
    due_on: date
    status: Literal["paid", "open", "overdue"]


class Invoices(Record):
    invoices: list[Invoice] = Field(default_factory=list)


# ---------------------------------------------------------------- calendar


class Meeting(Record):
    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    organizer_email: str
    attendees: list[str]


class Meetings(Record):
    meetings: list[Meeting] = Field(default_factory=list)


class CalendarHold(Record):
    """A tentative slot held on someone's calendar."""

    hold_id: str
    owner_email: str
    title: str
    starts_at: datetime
    ends_at: datetime
    attendees: list[str] = Field(default_factory=list)
    duplicate: bool = False


# ---------------------------------------------------------------- tasks


class TaskRecord(Record):
    """An internal task created for someone at the seller."""

    task_id: str
    assignee_email: str
    title: str
    due_on: date | None = None
    account_id: str | None = None
    duplicate: bool = False


# ---------------------------------------------------------------- commercial changes


class DiscountApplied(Record):
    """A discount on a customer's next invoices, in percent."""

    discount_id: str
    account_id: str
    percent: float
    reason: str
    duplicate: bool = False


class ContractAmendment(Record):
    """A change recorded against a customer's contract (cannot be taken back by the bot)."""

    amendment_id: str
    account_id: str
    contract_id: str | None = None
    change: str
    duplicate: bool = False


class Undone(Record):
    """What a compensating write did: ``undone`` is False when there was nothing left to undo
    (already undone, or never done)."""

    of: str
    undone: bool
    duplicate: bool = False


# ---------------------------------------------------------------- marketing & scheduling


class WebinarAttendance(Record):
    webinar: str
    email: str
    attended_at: datetime


class WebinarAttendees(Record):
    """``emails`` lists the attendees' distinct addresses, for later steps."""

    attendees: list[WebinarAttendance] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)


class DemoBooking(Record):
    email: str
    booked_at: datetime
    slot: datetime


class DemoBookings(Record):
    """``emails`` lists the bookers' distinct addresses, for later steps."""

    bookings: list[DemoBooking] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- lists across accounts
#
# Records of the list and search operations. Each carries the customer it belongs to as an
# ``account`` (an :class:`AccountRef`), so that lists from different systems join on
# ``account.account_id`` and a record can be handed to the per-account operations as is.


class AccountSummary(Record):
    """A CRM account in a list: owner, stage and industry, and its contract's renewal (if it
    has a current contract)."""

    account: AccountRef
    industry: str
    lifecycle_stage: Literal["prospect", "customer", "churned"]
    owner_email: str
    owner_name: str
    renewal_date: date | None = None
    annual_value: float | None = None
    currency: str = "USD"


class AccountList(Record):
    """One page of accounts; ``total`` counts every match, ``next_offset`` asks for the next
    page (None on the last)."""

    accounts: list[AccountSummary] = Field(default_factory=list)
    total: int = 0
    next_offset: int | None = None


class AccountTicket(Ticket):
    """A support ticket with its customer and its age in whole days."""

    account: AccountRef | None = None
    age_days: int


class TicketList(Record):
    tickets: list[AccountTicket] = Field(default_factory=list)
    total: int = 0
    next_offset: int | None = None


class OverdueInvoice(Invoice):
    """An unpaid invoice past its due date, with its customer."""

    account: AccountRef | None = None
    days_overdue: int


class OverdueInvoices(Record):
    """One page of overdue invoices; ``total_amount`` sums every match (all pages), or is
    None when some of their amounts are withheld from the requester."""

    invoices: list[OverdueInvoice] = Field(default_factory=list)
    total: int = 0
    total_amount: float | None = 0.0
    next_offset: int | None = None


class AccountDeal(Deal):
    """A CRM deal with its customer and the account owner."""

    account: AccountRef
    owner_email: str


class DealList(Record):
    """One page of deals; ``total_amount`` sums every match, or is None when some of their
    amounts are withheld from the requester."""

    deals: list[AccountDeal] = Field(default_factory=list)
    total: int = 0
    total_amount: float | None = 0.0
    next_offset: int | None = None


class ContactMatch(Contact):
    """A CRM contact found by a search: how it matched, how well (0-100), and its company."""

    account: AccountRef
    how: Literal["email", "name", "similar"]
    score: float


class ContactMatches(Record):
    """Best match first; ``emails`` lists the matches' addresses in the same order."""

    contacts: list[ContactMatch] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
