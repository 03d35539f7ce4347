"""The ``billing.*`` operations over Stripe, with the demo world's inputs and outputs so a plan
does not care which billing is connected: invoices of a customer, overdue invoices across
customers, and a discount (a Stripe coupon on the customer) with its compensation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors import normalise
from connectors.demo.ops_base import AccountInput
from connectors.demo.ops_commercial import ApplyDiscountInput
from connectors.demo.ops_lists_base import AccountIndex, page
from connectors.demo.ops_lists_service import OverdueInvoicesInput
from connectors.demo.ops_service import invoice_status
from connectors.errors import RecordNotFound
from connectors.stripe.client import SYSTEM, StripeClient, stripe_money
from workflows.catalog import AnyOperation, CallContext, Operation, Risk
from workflows.clock import Clock
from workflows.domain import (
    AccountRef,
    DiscountApplied,
    Invoice,
    Invoices,
    OverdueInvoice,
    OverdueInvoices,
    Undone,
)
from workflows.errors import PermanentOperationError

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

YEAR = timedelta(days=365)


def stripe_operations(
    stripe: StripeClient, directory: IdentityDirectory, clock: Clock
) -> list[AnyOperation]:
    """``billing.list_invoices``, ``billing.overdue_invoices``, ``billing.apply_discount`` and
    ``billing.remove_discount``, as the demo world declares them."""
    ops = _Billing(stripe, AccountIndex(directory), clock)
    return [
        Operation("billing.list_invoices", SYSTEM, "A customer's invoices of the last 12 "
                  "months, newest first, with paid / open / overdue status.",
                  AccountInput, Invoices, ops.invoices),
        Operation("billing.overdue_invoices", SYSTEM, "Unpaid invoices at least "
                  "`min_days_overdue` days (default 1) past their due date, of every customer "
                  "or one `account_id`; most overdue first, each with its account and days "
                  "overdue; `total_amount` sums them all.",
                  OverdueInvoicesInput, OverdueInvoices, ops.overdue),
        Operation("billing.apply_discount", SYSTEM, "Apply a discount (percent, up to 50) to "
                  "a customer's next invoices, with a reason.",
                  ApplyDiscountInput, DiscountApplied, ops.apply_discount, access="write",
                  risk=Risk.HIGH, undo="billing.remove_discount"),
        Operation("billing.remove_discount", SYSTEM, "Remove a discount applied by "
                  "billing.apply_discount (its compensation).",
                  DiscountApplied, Undone, ops.remove_discount, access="write", risk=Risk.HIGH,
                  reversible=False),
    ]  # fmt: skip


class _Billing:
    def __init__(self, stripe: StripeClient, index: AccountIndex, clock: Clock) -> None:
        self.stripe, self.index, self.clock = stripe, index, clock

    async def invoices(self, inp: AccountInput, ctx: CallContext) -> Invoices:
        customer = inp.account.links.get(SYSTEM)
        if customer is None:
            return Invoices()
        today = self._today()
        since = int(datetime.combine(today - YEAR, datetime.min.time(), UTC).timestamp())
        found = await self.stripe.list_all(
            "/v1/invoices", {"customer": customer, "created[gte]": since}
        )
        invoices = [_invoice(raw, today) for raw in found if raw.get("status") in PAID_OR_OPEN]
        invoices.sort(key=lambda i: (i.issued_on, i.number), reverse=True)
        return Invoices(invoices=invoices)

    async def overdue(self, inp: OverdueInvoicesInput, ctx: CallContext) -> OverdueInvoices:
        params: dict[str, str | int] = {"status": "open"}
        if inp.account_id is not None:
            customer = self._account(inp.account_id).links.get(SYSTEM)
            if customer is None:
                return OverdueInvoices()
            params["customer"] = customer
        today = self._today()
        customers = self.index.by_link(SYSTEM)
        late = []
        for raw in await self.stripe.list_all("/v1/invoices", params):
            invoice = _invoice(raw, today)
            days = (today - invoice.due_on).days
            if days >= inp.min_days_overdue:
                account = customers.get(str(raw.get("customer")))
                late.append(OverdueInvoice(account=account, days_overdue=days,
                                           **invoice.model_dump(exclude={"status"}),
                                           status="overdue"))  # fmt: skip
        late.sort(key=lambda i: (i.due_on, i.number))
        chosen = page(late, inp)
        return OverdueInvoices(
            invoices=chosen.items,
            total=chosen.total,
            total_amount=round(sum(i.amount for i in late), 2),
            next_offset=chosen.next_offset,
        )

    async def apply_discount(self, inp: ApplyDiscountInput, ctx: CallContext) -> DiscountApplied:
        customer = self._customer(inp.account_id)
        key = ctx.idempotency_key
        coupon = await self.stripe.post(
            "/v1/coupons",
            {"percent_off": f"{inp.percent:g}", "duration": "once", "name": inp.reason[:40],
             "metadata[account_id]": inp.account_id, "metadata[reason]": inp.reason},
            idempotency_key=f"{key}:coupon",
        )  # fmt: skip
        coupon_id = str(coupon["id"])
        await self.stripe.post(
            f"/v1/customers/{customer}", {"coupon": coupon_id}, idempotency_key=f"{key}:attach"
        )
        return DiscountApplied(discount_id=coupon_id, **inp.model_dump())

    async def remove_discount(self, inp: DiscountApplied, ctx: CallContext) -> Undone:
        customer = self._customer(inp.account_id)
        found = await self.stripe.get(f"/v1/customers/{customer}")
        discount = found.get("discount") if isinstance(found, dict) else None
        coupon = discount.get("coupon", {}) if isinstance(discount, dict) else {}
        if not isinstance(coupon, dict) or coupon.get("id") != inp.discount_id:
            return Undone(of=inp.discount_id, undone=False)
        await self.stripe.delete(f"/v1/customers/{customer}/discount")
        return Undone(of=inp.discount_id, undone=True)

    def _today(self) -> date:
        return self.clock.now().astimezone(UTC).date()

    def _account(self, account_id: str) -> AccountRef:
        account = self.index.by_id().get(account_id.strip())
        if account is None:
            raise RecordNotFound(f"there is no customer account {account_id!r}", system=SYSTEM)
        return account

    def _customer(self, account_id: str) -> str:
        customer = self._account(account_id).links.get(SYSTEM)
        if customer is None:
            raise PermanentOperationError(
                f"account {account_id!r} has no customer in Stripe", system=SYSTEM
            )
        return customer


PAID_OR_OPEN = frozenset({"paid", "open"})


def _invoice(raw: dict[str, Any], today: date) -> Invoice:
    """A Stripe invoice (amounts in the currency's smallest unit, times in Unix seconds) as
    the project's Invoice."""
    issued = _day(raw.get("created"))
    due = _day(raw.get("due_date")) if raw.get("due_date") is not None else issued
    try:
        amount = stripe_money(raw.get("amount_due", 0), raw.get("currency", "usd"))
    except normalise.Unreadable:
        raise PermanentOperationError(
            "Stripe answered an invoice with an amount we cannot read", system=SYSTEM
        ) from None
    return Invoice(
        number=str(raw.get("number") or raw.get("id")),
        amount=float(amount),
        currency=amount.currency,
        issued_on=issued,
        due_on=due,
        status=invoice_status(str(raw.get("status")), due, today),
    )


def _day(seconds: object) -> date:
    if not isinstance(seconds, int | float):
        raise PermanentOperationError("Stripe answered an invoice without its dates", system=SYSTEM)
    return normalise.day(seconds, epoch="s")
