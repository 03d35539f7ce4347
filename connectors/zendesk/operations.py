"""The ``support.*`` operations over Zendesk, with the demo world's inputs and outputs so a
plan does not care which support desk is connected: a customer's open tickets, and tickets
across customers by priority, status and age.

Zendesk's priorities (urgent, high, normal, low) are the project's P1-P4, its statuses (new,
open, pending, hold, solved, closed) fold into open, pending and solved, and a ticket's
requester is the email of its ``requester_id`` user."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from connectors import normalise
from connectors.demo.ops_base import AccountInput, context_read_operation
from connectors.demo.ops_lists_base import AccountIndex, page
from connectors.demo.ops_lists_service import UNSOLVED, ListTicketsInput
from connectors.errors import RecordNotFound
from connectors.zendesk.client import LABEL, SYSTEM, ZendeskClient
from workflows.catalog import AnyOperation, CallContext
from workflows.clock import Clock
from workflows.domain import AccountTicket, Ticket, TicketList, Tickets
from workflows.errors import PermanentOperationError

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

PRIORITIES: Final[dict[str, Literal["P1", "P2", "P3", "P4"]]] = {
    "urgent": "P1", "high": "P2", "normal": "P3", "low": "P4",
}  # fmt: skip
STATUSES: Final[dict[str, Literal["open", "pending", "solved"]]] = {
    "new": "open", "open": "open", "pending": "pending", "hold": "pending",
    "solved": "solved", "closed": "solved",
}  # fmt: skip


def zendesk_operations(
    zendesk: ZendeskClient, directory: IdentityDirectory, clock: Clock
) -> list[AnyOperation]:
    """``support.open_tickets`` and ``support.list_tickets``, as the demo world declares them."""
    ops = _Support(zendesk, AccountIndex(directory), clock)
    return [
        context_read_operation(
            "support.open_tickets",
            "Open and pending support tickets of a customer, P1 first then oldest: subject, "
            "priority, status, when opened, requester.",
            (AccountInput, Tickets),
            ops.open_tickets,
            None,
        ),
        context_read_operation(
            "support.list_tickets",
            "Support tickets of every customer (or one `account_id`) filtered by `priority` "
            "(P1-P4), `status` (open, pending, solved, or unsolved = open or pending) and/or "
            "`min_age_days`; highest priority then oldest first, each with its account and "
            "age in days; paged by `limit` (up to 200) and `offset`.",
            (ListTicketsInput, TicketList),
            ops.list_tickets,
            None,
        ),
    ]


class _Support:
    def __init__(self, zendesk: ZendeskClient, index: AccountIndex, clock: Clock) -> None:
        self.zendesk, self.index, self.clock = zendesk, index, clock

    async def open_tickets(self, inp: AccountInput, ctx: CallContext) -> Tickets:
        org = inp.account.links.get(SYSTEM)
        if org is None:
            return Tickets()
        found = await self._tickets(org)
        tickets = sorted((t for t, _ in found if t.status in UNSOLVED), key=_order)
        if "org_phone" not in Tickets.model_fields:
            return Tickets(tickets=tickets)
        return Tickets.model_validate({"tickets": tickets, "org_phone": await self._phone(org)})

    async def _phone(self, org: str) -> str | None:
        """The phone kept on the organization (its ``phone`` organization field)."""
        found = await self.zendesk.get(f"/api/v2/organizations/{org}.json")
        organization = found.get("organization") if isinstance(found, dict) else None
        fields = organization.get("organization_fields") if isinstance(organization, dict) else None
        return normalise.phone(fields.get("phone") if isinstance(fields, dict) else None)

    async def list_tickets(self, inp: ListTicketsInput, ctx: CallContext) -> TicketList:
        org: str | None = None
        if inp.account_id is not None:
            account = self.index.by_id().get(inp.account_id.strip())
            if account is None:
                raise RecordNotFound(
                    f"there is no customer account {inp.account_id!r}", system=SYSTEM
                )
            org = account.links.get(SYSTEM)
            if org is None:
                return TicketList()
        now = self.clock.now()
        wanted = UNSOLVED if inp.status == "unsolved" else (inp.status,)
        orgs = self.index.by_link(SYSTEM)
        chosen = []
        for ticket, org_id in await self._tickets(org):
            age = max(0, (now - ticket.opened_at).days)
            if inp.priority is not None and ticket.priority != inp.priority:
                continue
            if inp.status is not None and ticket.status not in wanted:
                continue
            if inp.min_age_days is not None and age < inp.min_age_days:
                continue
            account = orgs.get(org_id) if org_id is not None else None
            chosen.append(AccountTicket(account=account, age_days=age, **ticket.model_dump()))
        chosen.sort(key=_order)
        paged = page(chosen, inp)
        return TicketList(tickets=paged.items, total=paged.total, next_offset=paged.next_offset)

    async def _tickets(self, org: str | None) -> list[tuple[Ticket, str | None]]:
        """Every ticket of one organization (or of all), each with its organization's id."""
        path = f"/api/v2/organizations/{org}/tickets.json" if org else "/api/v2/tickets.json"
        raw = await self.zendesk.list_all(path, "tickets")
        emails = await self._emails({r.get("requester_id") for r in raw})
        found = []
        for r in raw:
            org_id = r.get("organization_id")
            found.append((_ticket(r, emails), None if org_id is None else str(org_id)))
        return found

    async def _emails(self, ids: set[object]) -> dict[str, str]:
        """Each requester's email, a hundred users a request (``users/show_many``)."""
        wanted = sorted(str(i) for i in ids if i is not None)
        emails: dict[str, str] = {}
        for start in range(0, len(wanted), 100):
            chunk = ",".join(wanted[start : start + 100])
            found = await self.zendesk.get("/api/v2/users/show_many.json", {"ids": chunk})
            users = found.get("users") if isinstance(found, dict) else None
            for user in users if isinstance(users, list) else []:
                if isinstance(user, dict) and user.get("email"):
                    emails[str(user.get("id"))] = normalise.email(user["email"])
        return emails


def _ticket(raw: dict[str, Any], emails: dict[str, str]) -> Ticket:
    try:
        return Ticket(
            id=str(raw["id"]),
            subject=str(raw.get("subject") or raw.get("raw_subject") or ""),
            priority=PRIORITIES.get(str(raw.get("priority")), "P3"),
            status=STATUSES[str(raw.get("status"))],
            opened_at=normalise.moment(str(raw["created_at"])),
            requester_email=emails.get(str(raw.get("requester_id")), ""),
        )
    except (KeyError, ValueError) as exc:
        raise PermanentOperationError(
            f"{LABEL} answered a ticket we cannot read ({type(exc).__name__})", system=SYSTEM
        ) from None


def _order(ticket: Ticket) -> tuple[str, datetime, str]:
    return ticket.priority, ticket.opened_at, ticket.id
