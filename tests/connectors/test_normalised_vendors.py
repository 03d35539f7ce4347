"""The same fact, typed into each vendor in that vendor's own shape, comes out of every
connector in one form: the vendors' stand-ins hold it as HubSpot, Zendesk, Google and Stripe
send it (a phone with other punctuation, times in Unix milliseconds or with an offset,
amounts in a currency's smallest unit, a name in capitals), and the operations answer what
the demo world answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from connectors.google.standin import GoogleStandIn
from connectors.hubspot.standin import HubSpotStandIn, iso
from connectors.identity import IdentityDirectory
from connectors.stripe.standin import StripeStandIn
from connectors.zendesk.standin import ZendeskStandIn
from tests.connectors.demo_env import NOW
from tests.connectors.google_env import comms
from tests.connectors.stripe_env import billing
from tests.connectors.vendor_env import system
from workflows.catalog import AnyOperation, CallContext

DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-7", step_id="read", requester_email=DANA)
EAST = timezone(timedelta(hours=5, minutes=30))
WEST = timezone(timedelta(hours=-5))


class Implementation(Protocol):
    operations: dict[str, AnyOperation]
    directory: IdentityDirectory


async def call(s: Implementation, name: str, args: dict[str, Any]) -> Any:
    op = s.operations[name]
    output: BaseModel = await op.handler(op.input_model.model_validate(args), CTX)
    return output.model_dump(mode="json")


def acme(s: Implementation) -> dict[str, Any]:
    resolution = s.directory.resolve_account("Acme")
    assert resolution.account is not None
    return resolution.account.model_dump(mode="json")


async def test_one_phone_typed_three_ways_is_one_number(tmp_path: Path) -> None:
    async with system("crm", "demo", tmp_path / "demo") as s:
        demo = (await call(s, "crm.get_account", {"account": acme(s)}))["account"]["phone"]
    digits = demo.removeprefix("+")
    assert demo.startswith("+") and digits.isdigit()
    async with system("crm", "hubspot", tmp_path / "hubspot") as s:
        assert isinstance(s.standin, HubSpotStandIn)
        company = s.standin.objects["companies"][acme(s)["links"]["crm"]]
        company["properties"]["phone"] = f"{digits[0]}-{digits[1:4]}.{digits[4:8]}.{digits[8:]}"
        hubspot = (await call(s, "crm.get_account", {"account": acme(s)}))["account"]["phone"]
    async with system("support", "zendesk", tmp_path / "zendesk") as s:
        assert isinstance(s.standin, ZendeskStandIn)
        org = s.standin.organizations[acme(s)["links"]["support"]]
        org["organization_fields"]["phone"] = f"00{digits[0]} {digits[1:4]} {digits[4:]} "
        zendesk = (await call(s, "support.open_tickets", {"account": acme(s)}))["org_phone"]
    assert hubspot == zendesk == demo


async def test_one_moment_in_milliseconds_or_with_an_offset_is_one_time(tmp_path: Path) -> None:
    """HubSpot answers an engagement's time in Unix milliseconds, Zendesk a ticket's with a
    zone offset, Google an event's in the organiser's zone: the same instants as the demo's."""
    window = {"starts_from": (NOW - timedelta(days=2)).isoformat(),
              "starts_before": (NOW + timedelta(days=5)).isoformat()}  # fmt: skip
    answers: dict[str, list[Any]] = {"demo": [], "vendors": []}
    async with system("crm", "demo", tmp_path / "crm") as s:
        answers["demo"].append(await call(s, "crm.get_account", {"account": acme(s)}))
    async with system("support", "demo", tmp_path / "support") as s:
        answers["demo"].append(await call(s, "support.open_tickets", {"account": acme(s)}))
    async with comms("demo", tmp_path / "comms") as c:
        answers["demo"].append(await call(c, "calendar.meetings_between", window))
    async with system("crm", "hubspot", tmp_path / "hubspot") as s:
        assert isinstance(s.standin, HubSpotStandIn)
        for kind in ("notes", "calls", "emails", "meetings"):
            for engagement in s.standin.engagements(kind):
                props = engagement["properties"]
                at = datetime.fromisoformat(props["hs_timestamp"])
                props["hs_timestamp"] = str(int(at.timestamp() * 1000))
        answers["vendors"].append(await call(s, "crm.get_account", {"account": acme(s)}))
    async with system("support", "zendesk", tmp_path / "zendesk") as s:
        assert isinstance(s.standin, ZendeskStandIn)
        for ticket in s.standin.tickets:
            at = datetime.fromisoformat(ticket["created_at"])
            ticket["created_at"] = at.astimezone(WEST).isoformat()
        answers["vendors"].append(await call(s, "support.open_tickets", {"account": acme(s)}))
    async with comms("google", tmp_path / "google") as c:
        assert isinstance(c.standin, GoogleStandIn)
        for event in c.standin.events.values():
            for bound in (event["start"], event["end"]):
                bound["dateTime"] = datetime.fromisoformat(bound["dateTime"]).astimezone(
                    EAST).isoformat()  # fmt: skip
        answers["vendors"].append(await call(c, "calendar.meetings_between", window))
    crm, support, calendar = answers["demo"]
    assert crm["account"]["last_activity"]["at"].endswith("Z")
    assert support["tickets"] and calendar["meetings"]
    assert answers["vendors"] == answers["demo"]


async def test_an_all_day_event_is_no_meeting_and_breaks_no_calendar(tmp_path: Path) -> None:
    window = {"starts_from": (NOW - timedelta(days=2)).isoformat(),
              "starts_before": (NOW + timedelta(days=5)).isoformat()}  # fmt: skip
    async with comms("google", tmp_path) as c:
        assert isinstance(c.standin, GoogleStandIn)
        before = await call(c, "calendar.meetings_between", window)
        c.standin.events["offsite"] = {
            "kind": "calendar#event", "id": "offsite", "status": "confirmed",
            "summary": "Team offsite", "start": {"date": NOW.date().isoformat()},
            "end": {"date": (NOW.date() + timedelta(days=1)).isoformat()},
            "organizer": {"email": DANA}, "attendees": [{"email": DANA}],
        }  # fmt: skip
        after = await call(c, "calendar.meetings_between", window)
    assert before["meetings"] and after == before


async def test_amounts_in_a_currencys_smallest_unit_are_one_money(tmp_path: Path) -> None:
    """Stripe keeps 19.99 USD as 1999, 1999 JPY as 1999, 19.990 BHD as 19990 and 5 ISK as
    500 (its own two-decimal króna); HubSpot keeps a deal's amount as decimal text."""
    async with billing("stripe", tmp_path / "stripe") as b:
        assert isinstance(b.standin, StripeStandIn)
        customer = acme(b)["links"]["billing"]
        issued = NOW.date() - timedelta(days=3)
        for n, (amount, currency) in enumerate(
            [(19.99, "usd"), (1999, "jpy"), (19.99, "bhd"), (5, "isk")]
        ):
            b.standin.add_invoice(customer, f"FX-{n}", amount, issued, issued + timedelta(days=30),
                                  "open", currency=currency)  # fmt: skip
        stored = {
            i["number"]: i["amount_due"] for i in b.standin.invoices if i["number"][:3] == "FX-"
        }
        invoices = (await call(b, "billing.list_invoices", {"account": acme(b)}))["invoices"]
    fx = {i["number"]: (i["amount"], i["currency"]) for i in invoices if i["number"][:3] == "FX-"}
    assert stored == {"FX-0": 1999, "FX-1": 1999, "FX-2": 19990, "FX-3": 500}
    assert fx == {"FX-0": (19.99, "USD"), "FX-1": (1999.0, "JPY"), "FX-2": (19.99, "BHD"),
                  "FX-3": (5.0, "ISK")}  # fmt: skip
    async with system("crm", "hubspot", tmp_path / "hubspot") as s:
        assert isinstance(s.standin, HubSpotStandIn)
        company = acme(s)["links"]["crm"]
        s.standin.add("deals", "777", {"dealname": "Tokyo  office", "amount": "1999.0",
                      "deal_currency_code": "jpy", "dealstage": "Proposal",
                      "closedate": iso(NOW + timedelta(days=10))}, companies=[company])  # fmt: skip
        deals = (await call(s, "crm.get_account", {"account": acme(s)}))["account"]["open_deals"]
    tokyo = next(d for d in deals if d["id"] == "777")
    assert (tokyo["name"], tokyo["amount"], tokyo["currency"]) == ("Tokyo office", 1999.0, "JPY")


async def test_a_name_typed_in_capitals_with_odd_spacing_is_the_same_name(tmp_path: Path) -> None:
    wanted = {"emails": ["alex.morgan@acme.io"]}
    async with system("crm", "demo", tmp_path / "demo") as s:
        demo = await call(s, "crm.find_contacts", wanted)
    async with system("crm", "hubspot", tmp_path / "hubspot") as s:
        assert isinstance(s.standin, HubSpotStandIn)
        contact = next(c for c in s.standin.objects["contacts"].values()
                       if c["properties"]["email"] == "alex.morgan@acme.io")  # fmt: skip
        contact["properties"] |= {"firstname": "  ALEX ", "lastname": "MORGAN",
                                  "email": "Alex.Morgan@ACME.io"}  # fmt: skip
        hubspot = await call(s, "crm.find_contacts", wanted)
        found = await call(s, "crm.search_contacts", {"query": "alex morgan"})
    assert demo["contacts"] and hubspot == demo
    assert found["contacts"][0]["name"] == "Alex Morgan"
    assert found["contacts"][0]["email"] == "alex.morgan@acme.io"
