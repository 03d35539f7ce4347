"""Post-sale lists across accounts: support tickets by priority, status, age or customer, and
overdue invoices. Each record carries the customer it belongs to, found through the id the
system knows it by."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, Select, false, select

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import context_read_operation
from connectors.demo.ops_lists_base import AccountIndex, PageInput, page
from connectors.demo.schema import billing_invoices, support_tickets
from connectors.demo.store import DemoWorld
from connectors.errors import RecordNotFound
from workflows.catalog import AnyOperation, CallContext
from workflows.domain import AccountTicket, OverdueInvoice, OverdueInvoices, TicketList

TicketStatus = Literal["open", "pending", "solved", "unsolved"]
UNSOLVED: Final = ("open", "pending")


class ListTicketsInput(PageInput):
    """Tickets matching every filter given. ``status`` "unsolved" means open or pending;
    ``min_age_days`` keeps tickets opened at least that many days ago; ``account_id`` is the
    customer's unified account id."""

    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    status: TicketStatus | None = None
    min_age_days: int | None = Field(default=None, ge=0, le=3_650)
    account_id: str | None = None


class OverdueInvoicesInput(PageInput):
    """Unpaid invoices at least ``min_days_overdue`` days past due, of every customer or of
    one (``account_id``)."""

    account_id: str | None = None
    min_days_overdue: int = Field(default=1, ge=1, le=3_650)


def service_list_operations(
    world: DemoWorld, index: AccountIndex, behaviour: DemoBehaviour
) -> list[AnyOperation]:
    """``support.list_tickets`` and ``billing.overdue_invoices``."""
    lists = _ServiceLists(world, index)
    return [
        context_read_operation(
            "support.list_tickets",
            "Support tickets of every customer (or one `account_id`) filtered by `priority` "
            "(P1-P4), `status` (open, pending, solved, or unsolved = open or pending) and/or "
            "`min_age_days`; highest priority then oldest first, each with its account and "
            "age in days; paged by `limit` (up to 200) and `offset`.",
            (ListTicketsInput, TicketList),
            lists.tickets,
            behaviour,
        ),
        context_read_operation(
            "billing.overdue_invoices",
            "Unpaid invoices at least `min_days_overdue` days (default 1) past their due date, "
            "of every customer or one `account_id`; most overdue first, each with its account "
            "and days overdue; `total_amount` sums them all.",
            (OverdueInvoicesInput, OverdueInvoices),
            lists.overdue_invoices,
            behaviour,
        ),
    ]


class _ServiceLists:
    def __init__(self, world: DemoWorld, index: AccountIndex) -> None:
        self.world = world
        self.index = index

    async def tickets(self, inp: ListTicketsInput, ctx: CallContext) -> TicketList:
        t = support_tickets
        query = select(t).order_by(t.c.priority, t.c.opened_at, t.c.id)
        query = self._for_account(query, t.c.org_id, inp.account_id, "support")
        if inp.priority is not None:
            query = query.where(t.c.priority == inp.priority)
        if inp.status is not None:
            wanted = UNSOLVED if inp.status == "unsolved" else (inp.status,)
            query = query.where(t.c.status.in_(wanted))
        async with self.world.read() as snapshot:
            now = snapshot.now
            if inp.min_age_days is not None:
                query = query.where(t.c.opened_at <= now - timedelta(days=inp.min_age_days))
            rows = (await snapshot.conn.execute(query)).mappings().all()
        orgs = self.index.by_link("support")
        tickets = [
            AccountTicket(
                account=orgs.get(r["org_id"]),
                age_days=_days(now, r["opened_at"]),
                **{k: v for k, v in r.items() if k != "org_id"},
            )
            for r in rows
        ]
        chosen = page(tickets, inp)
        return TicketList(tickets=chosen.items, total=chosen.total, next_offset=chosen.next_offset)

    async def overdue_invoices(
        self, inp: OverdueInvoicesInput, ctx: CallContext
    ) -> OverdueInvoices:
        b = billing_invoices
        query = select(b).where(b.c.status == "open").order_by(b.c.due_on, b.c.number)
        query = self._for_account(query, b.c.customer_id, inp.account_id, "billing")
        async with self.world.read() as snapshot:
            today = snapshot.today
            query = query.where(b.c.due_on <= today - timedelta(days=inp.min_days_overdue))
            rows = (await snapshot.conn.execute(query)).mappings().all()
        customers = self.index.by_link("billing")
        invoices = [
            OverdueInvoice(
                account=customers.get(r["customer_id"]),
                days_overdue=(today - r["due_on"]).days,
                status="overdue",
                **{k: r[k] for k in ("number", "amount", "issued_on", "due_on")},
            )
            for r in rows
        ]
        chosen = page(invoices, inp)
        return OverdueInvoices(
            invoices=chosen.items,
            total=chosen.total,
            total_amount=round(sum(i.amount for i in invoices), 2),
            next_offset=chosen.next_offset,
        )

    def _for_account(
        self, query: Select[Any], column: ColumnElement[Any], account_id: str | None, system: str
    ) -> Select[Any]:
        """``query`` narrowed to one customer's records in ``system`` (none if it has none
        there); an account id nobody has is a mistake worth saying."""
        if account_id is None:
            return query
        account = self.index.by_id().get(account_id.strip())
        if account is None:
            raise RecordNotFound(f"there is no customer account {account_id!r}", system=system)
        link = account.links.get(system)
        return query.where(column == link) if link is not None else query.where(false())


def _days(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)
