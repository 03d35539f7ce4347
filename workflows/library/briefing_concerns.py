"""The "watch out for" list: risks that show when systems are read together.

Each rule reads the outputs of the systems that answered (found by what they are, through
:func:`~workflows.library.briefing_reads.read`, whatever the plan called its steps) and says
what a rep should know before talking to the customer, citing the systems it drew on.
Thresholds are named here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from workflows.answers import Concern
from workflows.domain import (
    AccountRef,
    Contract,
    ContractLookup,
    CrmLookup,
    EmailThreads,
    Invoices,
    Tickets,
    UsageLookup,
)
from workflows.library.briefing_reads import read
from workflows.library.compose import ComposeInput
from workflows.library.formatting import day, days_between, money, plural

RENEWAL_WINDOW_DAYS = 45
STALE_P1_DAYS = 3
USAGE_DROP_PCT = 20.0
STEEP_USAGE_DROP_PCT = 30.0
NO_CONTACT_DAYS = 30
UNANSWERED_DAYS = 2
DEAL_CLOSING_DAYS = 14


def concerns(data: ComposeInput, account: AccountRef) -> tuple[Concern, ...]:
    """Every concern the rules find, most severe first."""
    found = [c for rule in RULES for c in rule(data, account)]
    return tuple(sorted(found, key=lambda c: c.severity != "high"))


def _renewal(data: ComposeInput) -> Contract | None:
    lookup = read(data, ContractLookup)
    return lookup.contract if lookup else None


def _days_to(contract: Contract, now: datetime) -> int:
    return days_between(now, contract.renewal_date)


def urgent_tickets(data: ComposeInput, _: AccountRef) -> Iterator[Concern]:
    tickets = read(data, Tickets)
    contract = _renewal(data)
    for t in tickets.tickets if tickets else []:
        age = days_between(t.opened_at, data.now)
        if t.priority != "P1" or age < STALE_P1_DAYS:
            continue
        text = f"{t.priority} ticket {t.id} “{t.subject}” has been open for {plural(age, 'day')}"
        sources: tuple[str, ...] = ("support",)
        if contract and 0 <= _days_to(contract, data.now) <= RENEWAL_WINDOW_DAYS:
            text += f", {plural(_days_to(contract, data.now), 'day')} before renewal"
            sources = ("support", "contracts")
        yield Concern(text=text, severity="high", sources=sources)


def renewal_soon(data: ComposeInput, _: AccountRef) -> Iterator[Concern]:
    contract = _renewal(data)
    if contract is None:
        return
    days = _days_to(contract, data.now)
    if 0 <= days <= RENEWAL_WINDOW_DAYS:
        auto = "" if contract.auto_renew else " and does not auto-renew"
        yield Concern(
            text=f"Contract ({money(contract.annual_value, contract.currency)}/year) renews "
            f"{day(contract.renewal_date)}, in {plural(days, 'day')}{auto}",
            severity="medium" if contract.auto_renew else "high",
            sources=("contracts",),
        )


def usage_decline(data: ComposeInput, _: AccountRef) -> Iterator[Concern]:
    lookup = read(data, UsageLookup)
    usage = lookup.usage if lookup else None
    if usage is None or usage.change_pct > -USAGE_DROP_PCT:
        return
    yield Concern(
        text=f"Usage is down {abs(usage.change_pct):.0f}%: {usage.avg_daily_users_30d:.0f} daily "
        f"users over 30 days against {usage.avg_daily_users_90d:.0f} over 90",
        severity="high" if usage.change_pct <= -STEEP_USAGE_DROP_PCT else "medium",
        sources=("usage",),
    )


def overdue_invoices(data: ComposeInput, _: AccountRef) -> Iterator[Concern]:
    invoices = read(data, Invoices)
    overdue = [i for i in invoices.invoices if i.status == "overdue"] if invoices else []
    if not overdue:
        return
    total = sum(i.amount for i in overdue)
    oldest = max(days_between(i.due_on, data.now) for i in overdue)
    yield Concern(
        text=f"{plural(len(overdue), 'overdue invoice')} totalling "
        f"{money(total, overdue[0].currency)}, the oldest {plural(oldest, 'day')} late",
        severity="high" if oldest > 30 else "medium",
        sources=("billing",),
    )


def quiet_account(data: ComposeInput, _: AccountRef) -> Iterator[Concern]:
    lookup = read(data, CrmLookup)
    crm = lookup.account if lookup else None
    if crm is None or crm.last_activity is None:
        return
    idle = days_between(crm.last_activity.at, data.now)
    if idle >= NO_CONTACT_DAYS:
        yield Concern(
            text=f"No CRM activity for {plural(idle, 'day')}", severity="medium", sources=("crm",)
        )


def unanswered_email(data: ComposeInput, account: AccountRef) -> Iterator[Concern]:
    threads = read(data, EmailThreads)
    for t in threads.threads if threads else []:
        waiting = days_between(t.last_at, data.now)
        if (
            t.last_from.lower().endswith("@" + account.domain.lower())
            and waiting >= UNANSWERED_DAYS
        ):
            yield Concern(
                text=f"{t.last_from} is waiting for a reply on “{t.subject}” "
                f"({plural(waiting, 'day')})",
                severity="medium",
                sources=("email",),
            )


def deals_closing(data: ComposeInput, _: AccountRef) -> Iterator[Concern]:
    """Open deals due soon, except the renewal itself (the contract concern covers it)."""
    lookup = read(data, CrmLookup)
    contract = _renewal(data)
    renewal_day = contract.renewal_date if contract else None
    for deal in lookup.account.open_deals if lookup and lookup.account else []:
        days = days_between(data.now, deal.close_date)
        if 0 <= days <= DEAL_CLOSING_DAYS and deal.close_date != renewal_day:
            yield Concern(
                text=f"{deal.name} ({money(deal.amount, deal.currency)}) is due to "
                f"close in {plural(days, 'day')}",
                severity="medium",
                sources=("crm",),
            )


Rule = Callable[[ComposeInput, AccountRef], Iterator[Concern]]
RULES: tuple[Rule, ...] = (
    urgent_tickets,
    renewal_soon,
    usage_decline,
    overdue_invoices,
    quiet_account,
    unanswered_email,
    deals_closing,
)

__all__ = ["RULES", "concerns"]
