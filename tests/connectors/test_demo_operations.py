"""The demo operations: Acme's briefing data, the catalog contract, and injected behaviour."""

from __future__ import annotations

import asyncio
import time
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
from connectors.errors import SystemUnavailable
from connectors.identity import IdentityDirectory, build_directory
from workflows.catalog import CallContext, Catalog, Risk
from workflows.clock import ManualClock
from workflows.domain import AccountRef
from workflows.errors import TransientOperationError

TODAY = date(2025, 6, 10)
NOW = datetime(2025, 6, 10, 9, 7, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-1", step_id="step-1", requester_email=DANA)
NAMES = {
    "directory.resolve_account",
    "crm.get_account",
    "email.recent_threads",
    "support.open_tickets",
    "contracts.get_contract",
    "usage.get_trend",
    "billing.list_invoices",
    "calendar.upcoming_meetings",
    "calendar.meetings_between",
    "marketing.webinar_attendees",
    "scheduling.demo_bookings",
    "crm.find_contacts",
    "crm.contact_activity",
    "email.threads_with",
    "crm.list_accounts",
    "crm.deals_closing",
    "crm.search_contacts",
    "support.list_tickets",
    "billing.overdue_invoices",
}
# name: (risk, undo operation or None when it cannot be undone)
WRITES = {
    "email.send": (Risk.HIGH, None),
    "crm.log_activity": (Risk.LOW, "crm.remove_activity"),
    "crm.remove_activity": (Risk.LOW, None),
    "crm.update_field": (Risk.MEDIUM, "crm.restore_field"),
    "crm.restore_field": (Risk.MEDIUM, None),
    "calendar.create_hold": (Risk.LOW, "calendar.release_hold"),
    "calendar.release_hold": (Risk.LOW, None),
    "tasks.create": (Risk.LOW, "tasks.cancel"),
    "tasks.cancel": (Risk.LOW, None),
    "billing.apply_discount": (Risk.HIGH, "billing.remove_discount"),
    "billing.remove_discount": (Risk.HIGH, None),
    "contracts.amend": (Risk.HIGH, None),
}


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("operations") / "demo.db"

    async def generate() -> None:
        await (await open_demo_world(path, clock=ManualClock(NOW))).close()

    asyncio.run(generate())
    return path


@pytest.fixture
async def opened(world_file: Path) -> AsyncIterator[tuple[DemoWorld, IdentityDirectory]]:
    world = await open_demo_world(world_file, clock=ManualClock(NOW))
    yield world, await build_directory(world)
    await world.close()


def _catalog(opened: tuple[DemoWorld, IdentityDirectory], behaviour: DemoBehaviour) -> Catalog:
    world, directory = opened
    return Catalog.of(demo_operations(world, directory, behaviour), DEMO_SYSTEM_LABELS)


async def _call(catalog: Catalog, name: str, **args: Any) -> Any:
    op = catalog.get(name)
    return await op.handler(op.input_model(**args), CTX)


@pytest.fixture
def catalog(opened: tuple[DemoWorld, IdentityDirectory]) -> Catalog:
    return _catalog(opened, DemoBehaviour())


@pytest.fixture
async def acme(catalog: Catalog) -> AccountRef:
    resolution = await _call(catalog, "directory.resolve_account", query="ACME Corp.")
    assert resolution.account is not None
    account: AccountRef = resolution.account
    return account


# ---------------------------------------------------------------- catalog contract


def test_the_catalog_has_every_read_as_a_safe_one_and_every_write(catalog: Catalog) -> None:
    assert {op.name for op in catalog} == NAMES | set(WRITES)
    for op in catalog:
        if op.name in NAMES:
            assert (op.access, op.risk, op.reversible) == ("read", Risk.LOW, True)
        else:
            assert (op.access, op.risk, op.undo) == ("write", *WRITES[op.name])
            assert op.reversible is (op.undo is not None)
        assert op.system == op.name.partition(".")[0]
        assert op.system in DEMO_SYSTEM_LABELS
        assert op.description and "\n" not in op.description
    assert catalog.get("email.send").editable == ("subject", "body")


@pytest.mark.parametrize("name", sorted(NAMES | set(WRITES)))
def test_inputs_are_frozen_and_strict(catalog: Catalog, name: str) -> None:
    model: type[BaseModel] = catalog.get(name).input_model
    assert model.model_config.get("frozen") is True
    with pytest.raises(ValidationError):
        model.model_validate({"unexpected": 1})


# ---------------------------------------------------------------- Acme's briefing


async def test_crm_shows_dana_and_the_expansion(catalog: Catalog, acme: AccountRef) -> None:
    account = (await _call(catalog, "crm.get_account", account=acme)).account
    assert (account.owner_name, account.lifecycle_stage) == ("Dana Reyes", "customer")
    closes = [d.close_date for d in account.open_deals]
    assert closes == sorted(closes)
    expansion = next(d for d in account.open_deals if "expansion" in d.name.lower())
    assert expansion.amount == 84_000
    assert expansion.close_date - TODAY == timedelta(days=21)
    assert 1 <= (TODAY - account.last_activity.at.date()).days <= 5


async def test_support_has_a_p1_open_for_nine_days(catalog: Catalog, acme: AccountRef) -> None:
    tickets = (await _call(catalog, "support.open_tickets", account=acme)).tickets
    assert [t.priority for t in tickets] == ["P1", "P2", "P3"]
    assert {t.status for t in tickets} <= {"open", "pending"}
    assert (TODAY - tickets[0].opened_at.date()).days == 9


async def test_the_contract_renews_in_fourteen_days(catalog: Catalog, acme: AccountRef) -> None:
    contract = (await _call(catalog, "contracts.get_contract", account=acme)).contract
    assert contract.renewal_date - TODAY == timedelta(days=14)
    assert "Price cap 5% at renewal" in contract.terms
    assert contract.auto_renew is False


async def test_usage_is_declining(catalog: Catalog, acme: AccountRef) -> None:
    usage = (await _call(catalog, "usage.get_trend", account=acme)).usage
    assert usage.tenant == "acme-io"
    assert -35 <= usage.change_pct <= -25
    expected = (usage.avg_daily_users_30d - usage.avg_daily_users_90d) / usage.avg_daily_users_90d
    assert usage.change_pct == pytest.approx(expected * 100, abs=0.1)


async def test_one_invoice_is_overdue(catalog: Catalog, acme: AccountRef) -> None:
    invoices = (await _call(catalog, "billing.list_invoices", account=acme)).invoices
    assert [i.status for i in invoices].count("overdue") == 1
    issued = [i.issued_on for i in invoices]
    assert issued == sorted(issued, reverse=True)
    assert all(TODAY - day <= timedelta(days=365) for day in issued)
    overdue = next(i for i in invoices if i.status == "overdue")
    assert overdue.due_on < TODAY


async def test_the_latest_email_is_from_acme(catalog: Catalog, acme: AccountRef) -> None:
    threads = (await _call(catalog, "email.recent_threads", account=acme, limit=3)).threads
    assert len(threads) == 3
    assert [t.last_at for t in threads] == sorted((t.last_at for t in threads), reverse=True)
    assert threads[0].last_from.endswith("@acme.io")
    assert 1 <= (TODAY - threads[0].last_at.date()).days <= 2


async def test_dana_meets_acme_within_four_hours(catalog: Catalog) -> None:
    meetings = (
        await _call(catalog, "calendar.upcoming_meetings", owner_email=DANA.upper(), within_hours=4)
    ).meetings
    assert all(NOW <= m.starts_at < NOW + timedelta(hours=4) for m in meetings)
    assert any(any(a.endswith("@acme.io") for a in m.attendees) for m in meetings)


async def test_a_prospect_has_nothing_after_the_sale(catalog: Catalog) -> None:
    found = await _call(catalog, "directory.resolve_account", query="Polaris Mobility")
    account = found.account
    assert (await _call(catalog, "contracts.get_contract", account=account)).contract is None
    assert (await _call(catalog, "usage.get_trend", account=account)).usage is None
    assert (await _call(catalog, "billing.list_invoices", account=account)).invoices == []
    assert (await _call(catalog, "support.open_tickets", account=account)).tickets == []


async def test_most_webinar_attendees_did_not_book_a_demo(catalog: Catalog) -> None:
    attendees = (await _call(catalog, "marketing.webinar_attendees", since_days=7)).attendees
    assert len(attendees) >= 10
    assert {a.webinar for a in attendees} == {"Scaling Customer Ops with AI"}
    booked = {b.email for b in (await _call(catalog, "scheduling.demo_bookings")).bookings}
    emails = {a.email for a in attendees}
    assert 0 < len(emails & booked) < len(emails) / 2


# ---------------------------------------------------------------- behaviour


async def test_an_error_fault_raises_system_unavailable(
    opened: tuple[DemoWorld, IdentityDirectory], acme: AccountRef
) -> None:
    catalog = _catalog(opened, DemoBehaviour.parse("", "support=error"))
    with pytest.raises(SystemUnavailable) as caught:
        await _call(catalog, "support.open_tickets", account=acme)
    assert isinstance(caught.value, TransientOperationError)
    assert caught.value.system == "support"
    assert str(caught.value) == "The support desk is not responding (503)"
    assert (await _call(catalog, "billing.list_invoices", account=acme)).invoices


async def test_a_wildcard_fault_spares_the_directory(
    opened: tuple[DemoWorld, IdentityDirectory],
) -> None:
    catalog = _catalog(opened, DemoBehaviour.parse("", "*=error"))
    assert (await _call(catalog, "directory.resolve_account", query="acme")).status == "found"
    with pytest.raises(SystemUnavailable):
        await _call(catalog, "marketing.webinar_attendees")


async def test_a_timeout_fault_never_answers(
    opened: tuple[DemoWorld, IdentityDirectory], acme: AccountRef
) -> None:
    catalog = _catalog(opened, DemoBehaviour.parse("", "billing=timeout"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_call(catalog, "billing.list_invoices", account=acme), 0.2)


async def test_latency_is_applied_per_system(
    opened: tuple[DemoWorld, IdentityDirectory], acme: AccountRef
) -> None:
    catalog = _catalog(opened, DemoBehaviour.parse("*=10,crm=250", ""))
    started = time.perf_counter()
    await _call(catalog, "crm.get_account", account=acme)
    assert time.perf_counter() - started >= 0.25
    started = time.perf_counter()
    await _call(catalog, "contracts.get_contract", account=acme)
    assert 0.01 <= time.perf_counter() - started < 0.25


def test_parse_reads_settings_strings() -> None:
    behaviour = DemoBehaviour.parse(" crm=50, support=200 ", "support=error,billing=timeout")
    assert dict(behaviour.latency_ms) == {"crm": 50, "support": 200}
    assert dict(behaviour.faults) == {"support": "error", "billing": "timeout"}
    assert behaviour.latency_for("usage") == 0
    assert DemoBehaviour.parse("*=200", "").latency_for("usage") == 200
    assert DemoBehaviour.parse("", "") == DemoBehaviour()


@pytest.mark.parametrize(
    ("latency", "faults", "message"),
    [
        ("crm", "", "expected SYSTEM=VALUE"),
        ("crm=fast", "", "not a whole number"),
        ("crm=-5", "", "not a whole number"),
        ("crmm=5", "", "unknown system 'crmm'"),
        ("", "support=down", "must be 'error' or 'timeout'"),
        ("", "=error", "expected SYSTEM=VALUE"),
    ],
)
def test_parse_rejects_bad_settings_clearly(latency: str, faults: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DemoBehaviour.parse(latency, faults)


@pytest.mark.parametrize("today", [date.today(), date(2024, 2, 29), date(2026, 12, 31)])
async def test_the_story_holds_whatever_the_day(tmp_path: Path, today: date) -> None:
    now = datetime.combine(today, datetime.now(UTC).timetz())
    world = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(now))
    try:
        catalog = Catalog.of(demo_operations(world, await build_directory(world), DemoBehaviour()))
        acme = (await _call(catalog, "directory.resolve_account", query="acme")).account
        tickets = (await _call(catalog, "support.open_tickets", account=acme)).tickets
        contract = (await _call(catalog, "contracts.get_contract", account=acme)).contract
        usage = (await _call(catalog, "usage.get_trend", account=acme)).usage
        meetings = await _call(catalog, "calendar.upcoming_meetings", owner_email=DANA)
    finally:
        await world.close()
    assert (today - tickets[0].opened_at.date()).days == 9
    assert (contract.renewal_date - today).days == 14
    assert -35 <= usage.change_pct <= -25
    acme_meeting = next(m for m in meetings.meetings if "Acme" in m.title)
    assert timedelta(0) <= acme_meeting.starts_at - now < timedelta(hours=4)
