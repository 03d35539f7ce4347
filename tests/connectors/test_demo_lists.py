"""The demo systems' list and search reads across accounts, on the demo world at a fixed
moment: Dana's accounts, renewals, P1s, overdue invoices, deals closing, contacts by name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from connectors.demo import (
    DEMO_SYSTEM_LABELS,
    DemoBehaviour,
    DemoWorld,
    demo_operations,
    open_demo_world,
)
from connectors.errors import RecordNotFound, SystemUnavailable
from connectors.identity import IdentityDirectory, build_directory
from workflows.catalog import CallContext, Catalog, Risk
from workflows.clock import ManualClock

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
TODAY = NOW.date()
DANA = "dana.reyes@northwind.example"
ACME = "acct-0001"
CTX = CallContext(run_id="run-lists", step_id="step-1", requester_email=DANA)
LISTS = (
    "crm.list_accounts",
    "crm.deals_closing",
    "crm.search_contacts",
    "support.list_tickets",
    "billing.overdue_invoices",
)


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lists") / "demo.db"

    async def generate() -> None:
        await (await open_demo_world(path, clock=ManualClock(NOW))).close()

    asyncio.run(generate())
    return path


@pytest.fixture
async def opened(world_file: Path) -> AsyncIterator[tuple[DemoWorld, IdentityDirectory]]:
    world = await open_demo_world(world_file, clock=ManualClock(NOW))
    yield world, await build_directory(world)
    await world.close()


@pytest.fixture
def catalog(opened: tuple[DemoWorld, IdentityDirectory]) -> Catalog:
    world, directory = opened
    return Catalog.of(demo_operations(world, directory, DemoBehaviour()), DEMO_SYSTEM_LABELS)


async def call(catalog: Catalog, name: str, **args: Any) -> Any:
    op = catalog.get(name)
    output = await op.handler(op.input_model.model_validate(args), CTX)
    assert isinstance(output, op.output_model)
    return output


async def all_pages(catalog: Catalog, name: str, field: str, **args: Any) -> list[Any]:
    """Every record of a paged list, walking ``next_offset`` three at a time."""
    found: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        page = await call(catalog, name, limit=3, offset=offset, **args)
        found += getattr(page, field)
        offset = page.next_offset
    assert len(found) == page.total
    return found


# ---------------------------------------------------------------- the catalog


@pytest.mark.parametrize("name", LISTS)
def test_each_list_is_a_strict_low_risk_read(catalog: Catalog, name: str) -> None:
    op = catalog.get(name)
    assert (op.access, op.risk, op.system) == ("read", Risk.LOW, name.partition(".")[0])
    assert op.description and "\n" not in op.description
    model: type[BaseModel] = op.input_model
    assert model.model_config.get("frozen") is True
    with pytest.raises(ValidationError):
        model.model_validate({"unexpected": 1})


# ---------------------------------------------------------------- accounts


async def test_dana_s_accounts_are_the_ones_the_directory_says_she_owns(
    catalog: Catalog, opened: tuple[DemoWorld, IdentityDirectory]
) -> None:
    _, directory = opened
    listed = await call(catalog, "crm.list_accounts", owner_email="Dana.Reyes@Northwind.example")
    owned = sorted(
        a.name
        for a in directory.accounts()
        if (o := directory.account_owner(a.account_id)) and o.email == DANA
    )
    assert [s.account.name for s in listed.accounts] == owned
    assert listed.total == len(owned) > 3
    acme = next(s for s in listed.accounts if s.account.account_id == ACME)
    assert (acme.owner_name, acme.lifecycle_stage, acme.industry) == (
        "Dana Reyes",
        "customer",
        "Industrial Automation",
    )
    assert acme.account.links["support"] == "org-1042"  # ready for the per-account reads
    assert acme.renewal_date == TODAY + timedelta(days=14)
    assert acme.annual_value == 240_000


async def test_accounts_by_stage_and_by_industry_ignoring_case(catalog: Catalog) -> None:
    prospects = await call(catalog, "crm.list_accounts", lifecycle_stage="prospect", limit=200)
    assert prospects.total > 0
    assert {s.lifecycle_stage for s in prospects.accounts} == {"prospect"}
    assert all(s.renewal_date is None for s in prospects.accounts)  # no contract yet
    logistics = await call(catalog, "crm.list_accounts", industry="LOGISTICS")
    assert {s.account.name for s in logistics.accounts} >= {
        "Blue Harbor Logistics",
        "Quantum Freight Inc.",
    }
    assert {s.industry for s in logistics.accounts} == {"Logistics"}


async def test_a_renewal_window_lists_soonest_first_and_ends_on_its_last_day(
    catalog: Catalog,
) -> None:
    fortnight = await call(catalog, "crm.list_accounts", renews_within_days=14)
    renewals = [s.renewal_date for s in fortnight.accounts]
    assert renewals == sorted(renewals)
    assert all(TODAY <= d <= TODAY + timedelta(days=14) for d in renewals)
    assert ACME in {s.account.account_id for s in fortnight.accounts}
    shorter = await call(catalog, "crm.list_accounts", renews_within_days=13)
    assert ACME not in {s.account.account_id for s in shorter.accounts}


async def test_accounts_page_through_every_match(catalog: Catalog) -> None:
    whole = await call(catalog, "crm.list_accounts", limit=200)
    assert whole.next_offset is None
    paged = await all_pages(catalog, "crm.list_accounts", "accounts")
    assert paged == whole.accounts
    first = await call(catalog, "crm.list_accounts", limit=3)
    assert (len(first.accounts), first.next_offset) == (3, 3)
    with pytest.raises(ValidationError):
        await call(catalog, "crm.list_accounts", limit=201)


async def test_a_stage_written_through_the_crm_counts_in_lists(tmp_path: Path) -> None:
    world = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(NOW))
    try:
        catalog = Catalog.of(demo_operations(world, await build_directory(world), DemoBehaviour()))
        await call(
            catalog, "crm.update_field", account_id=ACME, field="lifecycle_stage", value="churned"
        )
        churned = await call(catalog, "crm.list_accounts", lifecycle_stage="churned")
        customers = await call(catalog, "crm.list_accounts", lifecycle_stage="customer")
    finally:
        await world.close()
    assert ACME in {s.account.account_id for s in churned.accounts}
    assert ACME not in {s.account.account_id for s in customers.accounts}


# ---------------------------------------------------------------- tickets


async def test_the_only_open_p1_is_acme_s_nine_day_old_outage(catalog: Catalog) -> None:
    p1 = await call(catalog, "support.list_tickets", priority="P1", status="open")
    assert [(t.id, t.account.name, t.age_days) for t in p1.tickets] == [
        ("org-1042-t1", "Acme Corporation", 9)
    ]
    assert p1.tickets[0].subject == "API requests timing out in EU region"


async def test_every_ticket_carries_its_customer(catalog: Catalog) -> None:
    tickets = await all_pages(catalog, "support.list_tickets", "tickets")
    assert len(tickets) > 20
    assert all(t.account is not None for t in tickets)
    order = [(t.priority, t.opened_at) for t in tickets]
    assert order == sorted(order)


async def test_unsolved_tickets_older_than_a_fortnight(catalog: Catalog) -> None:
    old = await call(catalog, "support.list_tickets", status="unsolved", min_age_days=14, limit=200)
    assert old.total > 0
    assert {t.status for t in old.tickets} <= {"open", "pending"}
    assert all(t.age_days >= 14 for t in old.tickets)
    assert "org-1042-t3" in {t.id for t in old.tickets}  # Acme's CSV export, 16 days
    assert "org-1042-t1" not in {t.id for t in old.tickets}  # the P1 is 9 days old


async def test_one_customer_s_tickets_by_account_id(catalog: Catalog) -> None:
    acme = await call(catalog, "support.list_tickets", account_id=ACME)
    # P1, P2, the two P3s oldest first, then the P4s (the planted discount request first)
    ids = [t.id.rpartition("-")[2] for t in acme.tickets]
    assert ids == ["t1", "t2", "t5", "t3", "discount", "t4"]
    assert acme.total == 6
    assert {t.account.account_id for t in acme.tickets} == {ACME}
    with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
        await call(catalog, "support.list_tickets", account_id="acct-9999")


async def test_a_customer_the_support_desk_does_not_know_has_no_tickets(
    catalog: Catalog,
) -> None:
    prospect = (await call(catalog, "crm.list_accounts", lifecycle_stage="prospect")).accounts[0]
    assert "support" not in prospect.account.links
    found = await call(catalog, "support.list_tickets", account_id=prospect.account.account_id)
    assert (found.tickets, found.total) == ([], 0)


# ---------------------------------------------------------------- invoices


async def test_overdue_invoices_include_acme_s_inv_000101(catalog: Catalog) -> None:
    overdue = await call(catalog, "billing.overdue_invoices", limit=200)
    acme = next(i for i in overdue.invoices if i.number == "INV-000101")
    assert (acme.account.account_id, acme.days_overdue, acme.amount) == (ACME, 16, 20_000)
    assert acme.due_on == TODAY - timedelta(days=16)
    assert {i.status for i in overdue.invoices} == {"overdue"}
    assert all(i.due_on < TODAY and i.account is not None for i in overdue.invoices)
    days = [i.days_overdue for i in overdue.invoices]
    assert days == sorted(days, reverse=True)
    assert overdue.total_amount == round(sum(i.amount for i in overdue.invoices), 2)


async def test_overdue_invoices_of_one_account_and_by_days_overdue(catalog: Catalog) -> None:
    acme = await call(catalog, "billing.overdue_invoices", account_id=ACME)
    assert [i.number for i in acme.invoices] == ["INV-000101"]
    assert (
        await call(catalog, "billing.overdue_invoices", account_id=ACME, min_days_overdue=16)
    ).total == 1
    later = await call(catalog, "billing.overdue_invoices", min_days_overdue=17)
    assert "INV-000101" not in {i.number for i in later.invoices}


# ---------------------------------------------------------------- deals


async def test_dana_s_deals_closing_this_month(catalog: Catalog) -> None:
    month = await call(
        catalog,
        "crm.deals_closing",
        from_date=TODAY.isoformat(),
        to_date=(TODAY + timedelta(days=30)).isoformat(),
        owner_email=DANA,
    )
    names = [d.name for d in month.deals]
    assert "Acme — Annual renewal" in names and "Acme — Platform expansion" in names
    assert all(d.owner_email == DANA for d in month.deals)
    assert all(TODAY <= d.close_date <= TODAY + timedelta(days=30) for d in month.deals)
    assert not {d.stage for d in month.deals} & {"Closed Won", "Closed Lost"}
    closes = [d.close_date for d in month.deals]
    assert closes == sorted(closes)
    assert month.total_amount == round(sum(d.amount for d in month.deals), 2)
    expansion = next(d for d in month.deals if d.name == "Acme — Platform expansion")
    assert (expansion.amount, expansion.account.name) == (84_000, "Acme Corporation")


async def test_closed_deals_only_when_asked_for(catalog: Catalog) -> None:
    window = {"from_date": TODAY - timedelta(days=150), "to_date": TODAY}
    lost = await call(catalog, "crm.deals_closing", stage="closed lost", **window)
    assert "Acme — Analytics add-on" in {d.name for d in lost.deals}
    assert {d.stage for d in lost.deals} == {"Closed Lost"}
    open_only = await call(catalog, "crm.deals_closing", owner_email=DANA, **window)
    assert "Acme — Analytics add-on" not in {d.name for d in open_only.deals}
    every = await call(catalog, "crm.deals_closing", include_closed=True, limit=200, **window)
    assert {d.name for d in lost.deals} <= {d.name for d in every.deals}


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "must not be before"),
        (date(2026, 1, 1), date(2027, 6, 1), "at most a year"),
    ],
)
async def test_a_backwards_or_overlong_period_is_refused(
    catalog: Catalog, start: date, end: date, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        await call(catalog, "crm.deals_closing", from_date=start, to_date=end)


# ---------------------------------------------------------------- contacts


async def test_contacts_by_a_fragment_of_their_name(catalog: Catalog) -> None:
    found = await call(catalog, "crm.search_contacts", query="morgan")
    first = found.contacts[0]
    assert (first.name, first.account.name, first.how) == (
        "Alex Morgan",
        "Acme Corporation",
        "name",
    )
    assert all("morgan" in c.name.lower() for c in found.contacts)
    assert found.emails == [c.email for c in found.contacts]


async def test_a_near_spelling_finds_the_contact(catalog: Catalog) -> None:
    found = await call(catalog, "crm.search_contacts", query="Alex Morgn")
    assert (found.contacts[0].name, found.contacts[0].how) == ("Alex Morgan", "similar")
    assert found.contacts[0].score >= 90
    assert (await call(catalog, "crm.search_contacts", query="Xqzv Wrplk")).contacts == []


async def test_contacts_by_email_exact_or_by_domain(catalog: Catalog) -> None:
    exact = await call(catalog, "crm.search_contacts", query="Alex.Morgan@acme.io")
    assert [(c.email, c.how, c.score) for c in exact.contacts] == [
        ("alex.morgan@acme.io", "email", 100.0)
    ]
    everyone = await call(catalog, "crm.search_contacts", query="@acme.io", limit=50)
    assert len(everyone.contacts) >= 7
    assert {c.account.account_id for c in everyone.contacts} == {ACME}


async def test_contacts_of_one_account_only(catalog: Catalog) -> None:
    elsewhere = await call(catalog, "crm.search_contacts", query="Morgan", account_id="acct-0002")
    assert ACME not in {c.account_id for c in elsewhere.contacts}
    with pytest.raises(RecordNotFound):
        await call(catalog, "crm.search_contacts", query="Morgan", account_id="acct-9999")


# ---------------------------------------------------------------- behaviour


async def test_a_system_that_is_down_fails_its_list(
    opened: tuple[DemoWorld, IdentityDirectory],
) -> None:
    world, directory = opened
    broken = DemoBehaviour.parse("", "support=error")
    catalog = Catalog.of(demo_operations(world, directory, broken))
    with pytest.raises(SystemUnavailable, match="support desk is not responding"):
        await call(catalog, "support.list_tickets", priority="P1")
    assert (await call(catalog, "billing.overdue_invoices")).total > 0
