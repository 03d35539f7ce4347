"""The webinar follow-up story: Dana's prospects at last week's webinar, whatever the day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.demo import DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import build_directory
from workflows.catalog import CallContext, Catalog
from workflows.clock import ManualClock

DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-1", step_id="step-1", requester_email=DANA)
WEBINAR = "Scaling Customer Ops with AI"


@pytest.fixture(params=[date(2025, 6, 10), date(2024, 2, 29), date(2026, 12, 31)])
async def catalog(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Catalog]:
    now = datetime.combine(request.param, datetime.min.time(), UTC) + timedelta(hours=10)
    world = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(now))
    directory = await build_directory(world)
    yield Catalog.of(demo_operations(world, directory, DemoBehaviour()))
    await world.close()


async def _call(catalog: Catalog, name: str, **args: Any) -> Any:
    op = catalog.get(name)
    return await op.handler(op.input_model(**args), CTX)


async def _dana_attendees(catalog: Catalog) -> Any:
    attendees = await _call(catalog, "marketing.webinar_attendees", since_days=7)
    return await _call(
        catalog,
        "crm.find_contacts",
        emails=attendees.emails,
        owner_email=DANA,
        lifecycle_stage="prospect",
    )


async def test_at_least_ten_of_danas_prospects_attended_last_week(catalog: Catalog) -> None:
    found = await _dana_attendees(catalog)
    assert len(found.contacts) >= 10
    assert {c.owner_name for c in found.contacts} == {"Dana Reyes"}
    assert {c.lifecycle_stage for c in found.contacts} == {"prospect"}
    attendees = await _call(catalog, "marketing.webinar_attendees", since_days=7)
    assert {a.webinar for a in attendees.attendees} == {WEBINAR}


async def test_three_of_them_booked_a_demo(catalog: Catalog) -> None:
    found = await _dana_attendees(catalog)
    booked = (await _call(catalog, "scheduling.demo_bookings", since_days=30)).emails
    assert len(set(found.emails) & set(booked)) == 3
    attendees = await _call(catalog, "marketing.webinar_attendees", since_days=7)
    left = await _call(
        catalog,
        "crm.find_contacts",
        emails=attendees.emails,
        exclude=booked,
        owner_email=DANA,
        lifecycle_stage="prospect",
    )
    assert len(left.contacts) == len(found.contacts) - 3


async def test_recent_activity_explains_some_delays(catalog: Catalog) -> None:
    found = await _dana_attendees(catalog)
    activity = await _call(catalog, "crm.contact_activity", emails=found.emails, since_days=7)
    summaries = " ".join(a.summary for a in activity.activities).lower()
    assert 2 <= len({a.contact_email for a in activity.activities}) <= 3
    assert "budget" in summaries and "q1" in summaries
    times = [a.at for a in activity.activities]
    assert times == sorted(times, reverse=True)


async def test_each_prospect_has_their_own_email_history(catalog: Catalog) -> None:
    found = await _dana_attendees(catalog)
    threads = (await _call(catalog, "email.threads_with", emails=found.emails)).threads
    for email in found.emails:
        assert any(email in t.participants for t in threads), email
    assert len({t.snippet for t in threads}) == len(threads)


async def test_other_owners_attendees_stay(catalog: Catalog) -> None:
    attendees = await _call(catalog, "marketing.webinar_attendees", since_days=7)
    everyone = await _call(catalog, "crm.find_contacts", emails=attendees.emails)
    owners = {c.owner_email for c in everyone.contacts}
    assert len(owners) > 1
    assert "alex.morgan@acme.io" not in attendees.emails  # Acme's attendee was 6 days ago...
    assert "jamie.ortiz@acme.io" in attendees.emails  # ...it is Jamie Ortiz
