"""One section builder per system: a step's output in, a sourced section out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from workflows.answers import Fact, Section
from workflows.domain import (
    ContractLookup,
    CrmAccount,
    CrmLookup,
    EmailThreads,
    Invoices,
    Tickets,
    UsageLookup,
)
from workflows.library.briefing_truth import Truth, disagreement, shown_day
from workflows.library.compose import ComposeInput
from workflows.library.formatting import day, days_between, money, plural, relative
from workflows.results import StepResult

TITLES = {
    "crm": "Account & deals",
    "email": "Recent email",
    "support": "Open support tickets",
    "contracts": "Contract",
    "usage": "Product usage",
    "billing": "Billing",
}

NO_TRUTH = Truth()


class SectionBuilder(Protocol):
    """A step's output in, the system's section out; ``truth`` settles the fields another
    system holds too (without it each system's own value is shown)."""

    def __call__(self, output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section: ...


def _section(system: str, data: ComposeInput, facts: list[Fact], empty_note: str) -> Section:
    return Section(
        key=system,
        title=TITLES[system],
        source=data.label(system),
        status="ok" if facts else "empty",
        facts=tuple(facts),
        note="" if facts else empty_note,
    )


def unavailable_section(
    system: str, label: str, result: StepResult | None, *, asked: bool = True
) -> Section:
    """The section of a system that failed, timed out, was cut off late or was not asked
    (skipped, or not in the plan at all: ``asked`` False)."""
    if not asked or (result is not None and result.status == "skipped"):
        return Section(
            key=system,
            title=TITLES[system],
            source=label,
            status="skipped",
            note=f"{label} was not asked.",
        )
    if result is not None and result.failure == "denied" and result.error:
        # Not a system that failed: the requester may not see this ("You don't have access
        # to Acme Corporation; its owner is Dana Reyes.").
        return Section(
            key=system, title=TITLES[system], source=label, status="unavailable", note=result.error
        )
    return Section(
        key=system,
        title=TITLES[system],
        source=label,
        status="unavailable",
        note=f"{label} {_why_missing(result)}; this section is missing.",
    )


def _why_missing(result: StepResult | None) -> str:
    """Why a system has no section, in the reader's words (the error in brackets)."""
    detail = f" ({result.error})" if result and result.error else ""
    match result.failure if result else None:
        case "late" | "timeout":
            # A late one's error says how long it was waited for: "skipped after 2.1s".
            return f"did not answer in time{detail}"
        case "circuit_open":
            return f"is unavailable{detail}, so it was not asked this time"
        case "permanent":
            # It answered, and asking again will not help: a refused key, a missing scope.
            return f"refused the request{detail}"
        case _:
            return f"could not be reached{detail}"


def crm_section(output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section:
    crm = CrmLookup.model_validate(output).account
    if crm is None:
        return _section("crm", data, [], "The CRM has no record of this customer.")
    facts = [
        Fact(
            text=f"Owner: {crm.owner_name} · Stage: {crm.lifecycle_stage} · "
            f"Industry: {crm.industry}",
            source="crm",
            record=crm.account_id,
        )
    ]
    facts += _phone(crm, data, truth)
    for deal in crm.open_deals:
        facts.append(
            Fact(
                text=f"Open deal: {deal.name}, {money(deal.amount, deal.currency)}, {deal.stage}, "
                f"closes {day(deal.close_date)} ({relative(deal.close_date, data.now)})",
                source="crm",
                record=deal.id,
            )
        )
    if not crm.open_deals:
        facts.append(Fact(text="No open deals.", source="crm", record=crm.account_id))
    if crm.last_activity:
        act = crm.last_activity
        facts.append(
            Fact(
                text=f"Last activity: {act.kind} {relative(act.at, data.now)} by "
                f"{act.by}: {act.summary}",
                source="crm",
                record=crm.account_id,
            )
        )
    return _section("crm", data, facts, "")


def _phone(crm: CrmAccount, data: ComposeInput, truth: Truth) -> list[Fact]:
    """The customer's phone: the settled one, saying who else has another."""
    phone = truth.get("phone")
    if phone is not None:
        text = f"Phone: {phone.value}{disagreement(phone, data)}"
        return [Fact(text=text, source=phone.source, record=crm.account_id)]
    if crm.phone:
        return [Fact(text=f"Phone: {crm.phone}", source="crm", record=crm.account_id)]
    return []


def email_section(output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section:
    threads = EmailThreads.model_validate(output).threads
    facts = [
        Fact(
            text=f"“{t.subject}”: {t.last_from} wrote last, {relative(t.last_at, data.now)} "
            f"({plural(t.message_count, 'message')})",
            source="email",
            record=t.id,
        )
        for t in threads
    ]
    return _section("email", data, facts, "No email threads with this customer.")


def support_section(output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section:
    tickets = Tickets.model_validate(output).tickets
    facts = [
        Fact(
            text=f"{t.priority} {t.id} “{t.subject}”: {t.status}, opened "
            f"{relative(t.opened_at, data.now)}",
            source="support",
            record=t.id,
        )
        for t in tickets
    ]
    return _section("support", data, facts, "No open tickets.")


def contracts_section(output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section:
    contract = ContractLookup.model_validate(output).contract
    if contract is None:
        return _section("contracts", data, [], "No contract on file.")
    renew = "auto-renews" if contract.auto_renew else "renews (no auto-renewal)"
    settled = truth.get("renewal_date")
    renewal = date.fromisoformat(settled.value) if settled else contract.renewal_date
    dissent = disagreement(settled, data, shown_day) if settled else ""
    facts = [
        Fact(
            text=f"{contract.tier} tier, {money(contract.annual_value, contract.currency)}/year; "
            f"{renew} {day(renewal)} ({relative(renewal, data.now)}){dissent}",
            source=settled.source if settled else "contracts",
            record=contract.id,
        )
    ]
    facts += [
        Fact(text=f"Term: {term}", source="contracts", record=contract.id)
        for term in contract.terms
    ]
    return _section("contracts", data, facts, "")


def usage_section(output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section:
    usage = UsageLookup.model_validate(output).usage
    if usage is None:
        return _section("usage", data, [], "No product usage recorded for this customer.")
    direction = "down" if usage.change_pct < 0 else "up"
    facts = [
        Fact(
            text=f"Daily active users: {usage.avg_daily_users_30d:.0f} (30-day average) vs "
            f"{usage.avg_daily_users_90d:.0f} (90-day), {direction} {abs(usage.change_pct):.0f}%",
            source="usage",
            record=usage.tenant,
        )
    ]
    return _section("usage", data, facts, "")


def billing_section(output: Any, data: ComposeInput, truth: Truth = NO_TRUTH) -> Section:
    invoices = Invoices.model_validate(output).invoices
    if not invoices:
        return _section("billing", data, [], "No invoices in the last 12 months.")
    overdue = [i for i in invoices if i.status == "overdue"]
    facts = [
        Fact(
            text=f"Overdue: {i.number}, {money(i.amount, i.currency)}, due {day(i.due_on)} "
            f"({plural(days_between(i.due_on, data.now), 'day')} late)",
            source="billing",
            record=i.number,
        )
        for i in overdue
    ]
    unpaid = sum(1 for i in invoices if i.status == "open")
    if not overdue:
        facts.append(
            Fact(
                text=f"No overdue invoices; {unpaid} open, "
                f"{plural(len(invoices), 'invoice')} in 12 months.",
                source="billing",
            )
        )
    return _section("billing", data, facts, "")


SECTION_BUILDERS: Mapping[str, SectionBuilder] = {
    "crm": crm_section,
    "email": email_section,
    "support": support_section,
    "contracts": contracts_section,
    "usage": usage_section,
    "billing": billing_section,
}
