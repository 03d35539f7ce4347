"""Post-sale operations: support tickets, contract, product-usage trend and invoices."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from sqlalchemy import RowMapping, select

from connectors import normalise
from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import AccountInput, read_operation
from connectors.demo.schema import (
    billing_invoices,
    contracts,
    support_orgs,
    support_tickets,
    usage_daily,
)
from connectors.demo.store import DemoWorld
from workflows.catalog import AnyOperation
from workflows.domain import (
    Contract,
    ContractLookup,
    Invoice,
    Invoices,
    Ticket,
    Tickets,
    UsageLookup,
    UsageTrend,
)


def service_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``support.open_tickets``, ``contracts.get_contract``, ``usage.get_trend`` and
    ``billing.list_invoices``."""
    ops = _Queries(world)
    spec = (
        ("support.open_tickets", "Open and pending support tickets of a customer, P1 first "
         "then oldest: subject, priority, status, when opened, requester.",
         Tickets, ops.open_tickets),
        ("contracts.get_contract", "A customer's current contract: tier, start and renewal "
         "dates, annual value, auto-renew and notable terms.", ContractLookup, ops.contract),
        ("usage.get_trend", "A customer's product usage: average daily active users over the "
         "last 30 and 90 days and the change between them.", UsageLookup, ops.usage),
        ("billing.list_invoices", "A customer's invoices of the last 12 months, newest first, "
         "with paid / open / overdue status.", Invoices, ops.invoices),
    )  # fmt: skip
    return [
        read_operation(name, text, (AccountInput, out), handler, behaviour)
        for name, text, out, handler in spec
    ]


class _Queries:
    """The handlers, each reading its own system's link from the account."""

    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def open_tickets(self, inp: AccountInput) -> Tickets:
        org = inp.account.links.get("support")
        if org is None:
            return Tickets()
        t = support_tickets
        query = (
            select(t.c.id, t.c.subject, t.c.priority, t.c.status, t.c.opened_at)
            .add_columns(t.c.requester_email)
            .where(t.c.org_id == org, t.c.status.in_(("open", "pending")))
            .order_by(t.c.priority, t.c.opened_at, t.c.id)
        )
        async with self.world.read() as world:
            rows = (await world.conn.execute(query)).mappings().all()
            phone = select(support_orgs.c.phone).where(support_orgs.c.id == org)
            org_phone = (await world.conn.execute(phone)).scalar()
        tickets = [Ticket.model_validate(dict(r)) for r in rows]
        return Tickets(tickets=tickets, org_phone=normalise.phone(org_phone))

    async def contract(self, inp: AccountInput) -> ContractLookup:
        cid = inp.account.links.get("contracts")
        if cid is None:
            return ContractLookup()
        query = select(contracts).where(contracts.c.id == cid)
        async with self.world.read() as world:
            row = (await world.conn.execute(query)).mappings().first()
        if row is None:
            return ContractLookup()
        fields = {k: v for k, v in row.items() if k != "customer_name"}
        return ContractLookup(contract=Contract.model_validate(fields))

    async def usage(self, inp: AccountInput) -> UsageLookup:
        tenant = inp.account.links.get("usage")
        if tenant is None:
            return UsageLookup()
        u = usage_daily
        async with self.world.read() as world:
            since = world.today - timedelta(days=90)
            query = select(u.c.day, u.c.active_users).where(u.c.tenant == tenant, u.c.day >= since)
            rows = [(day, users) for day, users in await world.conn.execute(query)]
        trend = usage_trend(tenant, rows, world.today) if rows else None
        return UsageLookup(usage=trend)

    async def invoices(self, inp: AccountInput) -> Invoices:
        customer = inp.account.links.get("billing")
        if customer is None:
            return Invoices()
        b = billing_invoices
        async with self.world.read() as world:
            since = world.today - timedelta(days=365)
            query = (
                select(b.c.number, b.c.amount, b.c.issued_on, b.c.due_on, b.c.status)
                .where(b.c.customer_id == customer, b.c.issued_on >= since)
                .order_by(b.c.issued_on.desc(), b.c.number.desc())
            )
            rows = (await world.conn.execute(query)).mappings().all()
        return Invoices(invoices=[_invoice(r, world.today) for r in rows])


def _invoice(row: RowMapping, today: date) -> Invoice:
    status = invoice_status(row["status"], row["due_on"], today)
    return Invoice.model_validate(dict(row) | {"status": status})


def invoice_status(stored: str, due_on: date, today: date) -> Literal["paid", "open", "overdue"]:
    """Billing stores paid/open; an open invoice past its due date is overdue."""
    if stored == "paid":
        return "paid"
    return "overdue" if due_on < today else "open"


def usage_trend(tenant: str, rows: list[tuple[date, int]], today: date) -> UsageTrend:
    """Average daily users over the 30 and 90 days before ``today`` (days without rows count 0)."""
    recent = today - timedelta(days=30)
    avg90 = sum(n for day, n in rows if day < today) / 90
    avg30 = sum(n for day, n in rows if recent <= day < today) / 30
    change = round((avg30 - avg90) / avg90 * 100, 1) if avg90 else 0.0
    active = [day for day, n in rows if n > 0]
    return UsageTrend(
        tenant=tenant,
        avg_daily_users_30d=round(avg30, 1),
        avg_daily_users_90d=round(avg90, 1),
        change_pct=change,
        last_active=max(active, default=None),
    )
