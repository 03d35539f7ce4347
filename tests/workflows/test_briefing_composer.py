"""The briefing composer: a pure function from step results to a sourced briefing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from workflows.answers import Briefing, Notice
from workflows.domain import (
    AccountRef,
    AccountResolution,
    Contract,
    ContractLookup,
    CrmAccount,
    CrmLookup,
    Deal,
    EmailThreads,
    Invoice,
    Invoices,
    Ticket,
    Tickets,
    UsageLookup,
    UsageTrend,
)
from workflows.library import ComposeInput, compose_briefing
from workflows.library.briefing import briefing_plan
from workflows.results import StepResult

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
ACME = AccountRef(
    account_id="a1",
    name="Acme Corporation",
    domain="acme.io",
    links={
        "crm": "a1",
        "support": "o1",
        "contracts": "c1",
        "usage": "acme-io",
        "billing": "b1",
        "email": "acme.io",
    },
)
LABELS = {
    "crm": "CRM",
    "email": "Mailbox",
    "support": "Support desk",
    "contracts": "Contracts",
    "usage": "Product usage",
    "billing": "Billing",
    "directory": "Directory",
}


def ok(step_id: str, output: Any) -> StepResult:
    return StepResult(
        step_id=step_id,
        operation=f"{step_id}.x",
        system=step_id,
        status="ok",
        output=output.model_dump(mode="json"),
        started_at=NOW,
    )


def compose(**outputs: StepResult) -> Briefing | Notice:
    resolution = AccountResolution(query="Acme", status="found", account=ACME)
    results = {"account": ok("account", resolution), **outputs}
    return compose_briefing(
        ComposeInput(
            run_id="r1", plan=briefing_plan("Acme"), results=results, system_labels=LABELS, now=NOW
        )
    )


def contract(renews_in: int, auto: bool = False) -> StepResult:
    return ok(
        "contracts",
        ContractLookup(
            contract=Contract(
                id="c1",
                tier="Enterprise",
                start_date=date(2025, 12, 5),
                annual_value=240_000,
                renewal_date=TODAY + timedelta(days=renews_in),
                auto_renew=auto,
            )
        ),
    )


def test_a_stale_p1_before_renewal_is_the_first_concern() -> None:
    ticket = Ticket(
        id="T1",
        subject="API timeouts",
        priority="P1",
        status="open",
        opened_at=NOW - timedelta(days=9),
        requester_email="alex@acme.io",
    )
    briefing = compose(support=ok("support", Tickets(tickets=[ticket])), contracts=contract(14))
    assert isinstance(briefing, Briefing)
    first = briefing.concerns[0]
    assert first.severity == "high"
    assert "open for 9 days, 14 days before renewal" in first.text
    assert first.sources == ("support", "contracts")


def test_usage_decline_thresholds() -> None:
    def usage(change: float) -> StepResult:
        return ok(
            "usage",
            UsageLookup(
                usage=UsageTrend(
                    tenant="acme-io",
                    avg_daily_users_30d=70,
                    avg_daily_users_90d=100,
                    change_pct=change,
                )
            ),
        )

    mild, steep, fine = (
        compose(usage=usage(-25)),
        compose(usage=usage(-35)),
        compose(usage=usage(-10)),
    )
    assert isinstance(mild, Briefing) and isinstance(steep, Briefing) and isinstance(fine, Briefing)
    assert [c.severity for c in mild.concerns] == ["medium"]
    assert [c.severity for c in steep.concerns] == ["high"]
    assert fine.concerns == ()


def test_overdue_invoices_and_the_renewal_deal_are_not_double_counted() -> None:
    late = Invoice(
        number="INV-1",
        amount=20_000,
        issued_on=TODAY - timedelta(days=46),
        due_on=TODAY - timedelta(days=16),
        status="overdue",
    )
    renewal = Deal(
        id="d1",
        name="Acme renewal",
        amount=240_000,
        stage="Negotiation",
        close_date=TODAY + timedelta(days=14),
    )
    crm = CrmAccount(
        account_id="a1",
        name="Acme Corporation",
        industry="Industrial",
        owner_name="Dana Reyes",
        owner_email="dana.reyes@northwind.example",
        lifecycle_stage="customer",
        open_deals=[renewal],
    )
    briefing = compose(
        billing=ok("billing", Invoices(invoices=[late])),
        crm=ok("crm", CrmLookup(account=crm)),
        contracts=contract(14),
    )
    assert isinstance(briefing, Briefing)
    texts = [c.text for c in briefing.concerns]
    assert any("1 overdue invoice totalling $20,000, the oldest 16 days late" in t for t in texts)
    assert not any("Acme renewal" in t for t in texts)


def test_every_section_names_its_source_and_says_why_it_is_empty_or_missing() -> None:
    down = StepResult(
        step_id="billing",
        operation="billing.list_invoices",
        system="billing",
        status="failed",
        error="503",
        failure="transient",
        started_at=NOW,
    )
    briefing = compose(email=ok("email", EmailThreads()), billing=down)
    assert isinstance(briefing, Briefing)
    by_key = {s.key: s for s in briefing.sections}
    assert [s.source for s in briefing.sections] == [
        "CRM",
        "Mailbox",
        "Support desk",
        "Contracts",
        "Product usage",
        "Billing",
    ]
    assert by_key["email"].status == "empty" and "No email threads" in by_key["email"].note
    assert by_key["billing"].status == "unavailable"
    assert "Billing could not be reached (503)" in by_key["billing"].note
    assert by_key["crm"].status == "unavailable"  # never ran in this test: no result at all


def test_an_unknown_customer_is_a_notice_with_suggestions() -> None:
    resolution = AccountResolution(
        query="Globex", status="not_found", candidates=["Gemini Payments"]
    )
    notice = compose_briefing(
        ComposeInput(
            run_id="r2",
            plan=briefing_plan("Globex"),
            results={"account": ok("account", resolution)},
            system_labels=LABELS,
            now=NOW,
        )
    )
    assert isinstance(notice, Notice) and notice.reason == "unknown_customer"
    assert "Globex" in notice.title and notice.suggestions == ("brief me on Gemini Payments",)
