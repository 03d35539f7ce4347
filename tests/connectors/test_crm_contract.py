"""One contract for every implementation of the CRM operations HubSpot serves: the demo
world's and HubSpot's (against the HubSpot stand-in, seeded from the same world). A plan must
not be able to tell which CRM is connected; a write retried with the same key lands once; a
list pages alike however many pages the system itself needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.errors import RecordNotFound
from connectors.hubspot.properties import KEY_PROPERTY
from connectors.hubspot.standin import HubSpotStandIn
from tests.connectors.vendor_env import System, system
from workflows.catalog import CallContext
from workflows.errors import PermanentOperationError

IMPLEMENTATIONS = ["demo", "hubspot"]
DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-7", step_id="log", requester_email=DANA)
HUBSPOT_OPERATIONS = {
    "crm.get_account", "crm.find_contacts", "crm.contact_activity",
    "crm.list_accounts", "crm.deals_closing", "crm.search_contacts",
    "crm.log_activity", "crm.remove_activity",
    "crm.update_field", "crm.restore_field",
}  # fmt: skip
ACCOUNT_LISTS: list[dict[str, Any]] = [
    {"renews_within_days": 120},
    {"owner_email": "DANA.REYES@northwind.example ", "limit": 3, "offset": 1},
    {"lifecycle_stage": "prospect"},
    {"industry": "HEALTHCARE "},
    {"owner_email": "nobody@northwind.example"},
]
DEAL_LISTS: list[dict[str, Any]] = [
    {"from_date": "2026-11-01", "to_date": "2027-06-30"},
    {"from_date": "2025-11-22", "to_date": "2026-11-21", "include_closed": True, "limit": 5},
    {"from_date": "2025-11-22", "to_date": "2026-11-21", "stage": "closed won"},
    {"from_date": "2026-11-01", "to_date": "2027-06-30", "owner_email": DANA, "offset": 2},
]
CONTACT_SEARCHES: list[dict[str, Any]] = [
    {"query": "Alex Morgn"},  # a near spelling
    {"query": "maria", "limit": 50},  # "Aria" is near too
    {"query": "organ"},  # inside a word
    {"query": "@acme.io", "limit": 50},  # everyone at a domain
    {"query": "JAMIE.ORTIZ@acme.io"},
    {"query": "an", "limit": 50},  # many candidates, several pages of them
]


async def call(s: System, name: str, args: dict[str, Any], ctx: CallContext = CTX) -> Any:
    op = s.operations[name]
    output: BaseModel = await op.handler(op.input_model.model_validate(args), ctx)
    return output.model_dump(mode="json")


def acme(s: System) -> dict[str, Any]:
    resolution = s.directory.resolve_account("Acme")
    assert resolution.account is not None
    return resolution.account.model_dump(mode="json")


async def test_hubspot_declares_its_operations_as_the_demo_crm_does(tmp_path: Path) -> None:
    declared = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            declared.append({
                n: (op.describe(), op.undo, op.editable)
                for n, op in s.operations.items() if n in HUBSPOT_OPERATIONS
            })  # fmt: skip
    assert set(declared[1]) == HUBSPOT_OPERATIONS
    assert declared[0] == declared[1]


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_an_accounts_record_with_owner_open_deals_and_last_activity(
    name: str, tmp_path: Path
) -> None:
    async with system("crm", name, tmp_path) as s:
        got = (await call(s, "crm.get_account", {"account": acme(s)}))["account"]
        unlinked = {**acme(s), "links": {}}
        none = await call(s, "crm.get_account", {"account": unlinked})
    assert (got["name"], got["owner_email"], got["lifecycle_stage"]) == (
        "Acme Corporation", DANA, "customer",
    )  # fmt: skip
    closes = [d["close_date"] for d in got["open_deals"]]
    assert closes and closes == sorted(closes)
    assert all(d["stage"] not in ("Closed Won", "Closed Lost") for d in got["open_deals"])
    assert got["last_activity"]["by"] == "Dana Reyes"
    assert none == {"account": None}


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_an_activity_is_logged_once_however_often_retried_and_undone_once(
    name: str, tmp_path: Path
) -> None:
    async with system("crm", name, tmp_path) as s:
        account = acme(s)
        args = {"account_id": account["account_id"], "contact_email": "alex.morgan@acme.example",
                "kind": "note", "summary": "Renewal call booked for Friday"}  # fmt: skip
        logged = await call(s, "crm.log_activity", args)
        again = await call(s, "crm.log_activity", args)  # a retry of the same step
        last = (await call(s, "crm.get_account", {"account": account}))["account"]
        if isinstance(s.standin, HubSpotStandIn):
            notes = [n for n in s.standin.engagements("notes")
                     if n["properties"].get(KEY_PROPERTY) == CTX.idempotency_key]  # fmt: skip
            assert len(notes) == 1
            assert set(notes[0]["associations"]["companies"]) == {account["links"]["crm"]}
        undone = await call(s, "crm.remove_activity", logged)
        later = CallContext(run_id="run-8", step_id="undo", requester_email=DANA)
        twice = await call(s, "crm.remove_activity", logged, later)
        after = (await call(s, "crm.get_account", {"account": account}))["account"]
    assert (logged["duplicate"], again["duplicate"]) == (False, True)
    assert again["activity_id"] == logged["activity_id"]
    assert last["last_activity"] == {
        "at": "2026-11-21T12:00:00Z", "kind": "note",
        "summary": "Renewal call booked for Friday", "by": "Dana Reyes",
    }  # fmt: skip
    assert (undone["undone"], twice["undone"]) == (True, False)
    assert after["last_activity"]["summary"] != "Renewal call booked for Friday"


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_a_field_is_set_once_and_put_back(name: str, tmp_path: Path) -> None:
    async with system("crm", name, tmp_path) as s:
        account = acme(s)
        args = {"account_id": account["account_id"], "field": "lifecycle_stage",
                "value": "churned"}  # fmt: skip
        change = await call(s, "crm.update_field", args)
        again = await call(s, "crm.update_field", args)  # a retry of the same step
        changed = (await call(s, "crm.get_account", {"account": account}))["account"]
        undone = await call(s, "crm.restore_field", change)
        restored = (await call(s, "crm.get_account", {"account": account}))["account"]
        with pytest.raises(PermanentOperationError, match="lifecycle_stage must be one of"):
            await call(s, "crm.update_field", {**args, "value": "lost"})
    assert (change["previous"], change["value"]) == ("customer", "churned")
    assert (again["previous"], again["duplicate"]) == ("customer", True)
    assert changed["lifecycle_stage"] == "churned"
    assert undone["undone"] is True and restored["lifecycle_stage"] == "customer"


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_an_unknown_account_is_said_plainly(name: str, tmp_path: Path) -> None:
    async with system("crm", name, tmp_path) as s:
        args = {"account_id": "acct-9999", "contact_email": "a@b.example", "kind": "call",
                "summary": "x"}  # fmt: skip
        with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
            await call(s, "crm.log_activity", args)
        with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
            industry = {"account_id": "acct-9999", "field": "industry", "value": "Retail"}
            await call(s, "crm.update_field", industry)


async def test_both_implementations_answer_alike_for_every_account(tmp_path: Path) -> None:
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            accounts = sorted(s.directory.accounts(), key=lambda a: a.account_id)
            answers.append([
                await call(s, "crm.get_account", {"account": a.model_dump(mode="json")})
                for a in accounts
            ])  # fmt: skip
    assert len(answers[0]) > 5
    assert answers[0] == answers[1]


async def test_both_implementations_find_contacts_and_their_activity_alike(
    tmp_path: Path,
) -> None:
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            emails = [c["email"] for c in (await call(s, "crm.find_contacts", {
                "emails": ["ALEX.MORGAN@acme.io", "chris.novak@acme.io", "jamie.ortiz@acme.io",
                           "nobody@acme.io"]}))["contacts"]]  # fmt: skip
            answers.append((
                await call(s, "crm.find_contacts", {"emails": emails,
                           "exclude": ["jamie.ortiz@acme.io"], "owner_email": DANA}),
                await call(s, "crm.find_contacts", {"emails": emails,
                           "lifecycle_stage": "prospect"}),
                await call(s, "crm.contact_activity", {"emails": [
                    "hannah.flores@blueharbor.com", "riley.johnson@blueharbor.com",
                    "Diego.Ramirez@blueharbor.com", "james.garcia@summithealth.org",
                ], "since_days": 30}),
            ))  # fmt: skip
    found, prospects, activity = answers[1]
    assert found["emails"] == ["alex.morgan@acme.io", "chris.novak@acme.io"]
    assert prospects["contacts"] == []
    ats = [a["at"] for a in activity["activities"]]
    assert ats and ats == sorted(ats, reverse=True)
    assert answers[0] == answers[1]


async def test_both_implementations_list_accounts_alike(tmp_path: Path) -> None:
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            answers.append([await call(s, "crm.list_accounts", a) for a in ACCOUNT_LISTS])
    window, dana, prospects, healthcare, nobody = answers[1]
    renewals = [a["renewal_date"] for a in window["accounts"]]
    assert window["total"] > 5 and renewals == sorted(renewals)
    assert (dana["total"], len(dana["accounts"]), dana["next_offset"]) == (dana["total"], 3, 4)
    assert {a["owner_email"] for a in dana["accounts"]} == {DANA}
    assert prospects["total"] > 0
    assert {a["lifecycle_stage"] for a in prospects["accounts"]} == {"prospect"}
    assert healthcare["total"] > 1
    assert {a["industry"] for a in healthcare["accounts"]} == {"Healthcare"}
    assert nobody == {"accounts": [], "total": 0, "next_offset": None}
    assert answers[0] == answers[1]


async def test_every_account_is_listed_alike_but_each_renewal_from_its_own_records(
    tmp_path: Path,
) -> None:
    """The demo world's list tells the contract's renewal; HubSpot's the company's own
    ``renewal_date``, which is what each CRM's ``crm.get_account`` tells too."""
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            listed = (await call(s, "crm.list_accounts", {"limit": 200}))["accounts"]
            records = {
                a["account"]["account_id"]: (
                    await call(s, "crm.get_account", {"account": a["account"]})
                )["account"]
                for a in listed
            }
            answers.append((listed, records))  # fmt: skip
    (demo, demo_records), (hubspot, hubspot_records) = answers
    assert len(demo) > 40 and len(demo) == len(hubspot)
    assert demo_records == hubspot_records
    for d, h in zip(demo, hubspot, strict=True):
        assert {**d, "renewal_date": None} == {**h, "renewal_date": None}
        assert h["renewal_date"] == hubspot_records[h["account"]["account_id"]]["renewal_date"]
    differ = {d["account"]["name"] for d, h in zip(demo, hubspot, strict=True) if d != h}
    assert "Quantum Freight Inc." in differ and len(differ) <= 3  # the planted disagreements


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_pages_of_a_list_join_up_to_the_whole_list(name: str, tmp_path: Path) -> None:
    async with system("crm", name, tmp_path) as s:
        whole = await call(s, "crm.list_accounts", {"limit": 200})
        pages, offset = [], 0
        while offset is not None:
            page = await call(s, "crm.list_accounts", {"limit": 7, "offset": offset})
            pages += page["accounts"]
            assert page["total"] == whole["total"]
            offset = page["next_offset"]
    assert pages == whole["accounts"] and whole["next_offset"] is None


async def test_both_implementations_list_deals_closing_alike(tmp_path: Path) -> None:
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            answers.append([await call(s, "crm.deals_closing", a) for a in DEAL_LISTS])
    upcoming, closed_too, won, danas = answers[1]
    closes = [d["close_date"] for d in upcoming["deals"]]
    assert upcoming["total"] > 5 and closes == sorted(closes)
    assert all("2026-11-01" <= c <= "2027-06-30" for c in closes)
    assert not {d["stage"] for d in upcoming["deals"]} & {"Closed Won", "Closed Lost"}
    assert upcoming["total_amount"] == round(sum(d["amount"] for d in upcoming["deals"]), 2)
    assert len(closed_too["deals"]) == 5 and closed_too["next_offset"] == 5
    assert won["total"] > 0 and {d["stage"] for d in won["deals"]} == {"Closed Won"}
    assert {d["owner_email"] for d in danas["deals"]} == {DANA}
    assert answers[0] == answers[1]


async def test_both_implementations_search_contacts_alike(tmp_path: Path) -> None:
    answers = []
    for name in IMPLEMENTATIONS:
        async with system("crm", name, tmp_path / name) as s:
            found = [await call(s, "crm.search_contacts", q) for q in CONTACT_SEARCHES]
            at_acme = {"query": "chris", "account_id": acme(s)["account_id"]}
            found.append(await call(s, "crm.search_contacts", at_acme))
            with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
                await call(s, "crm.search_contacts", {"query": "alex", "account_id": "acct-9999"})
            answers.append(found)
    near, maria, inside, domain, exact, _, chris = answers[1]
    assert (near["emails"], near["contacts"][0]["how"]) == (["alex.morgan@acme.io"], "similar")
    assert any(m["how"] == "similar" for m in maria["contacts"])
    assert inside["contacts"][0]["name"] == "Alex Morgan"
    assert domain["emails"] and all(e.endswith("@acme.io") for e in domain["emails"])
    assert exact["contacts"][0]["score"] == 100.0
    assert {m["account"]["name"] for m in chris["contacts"]} == {"Acme Corporation"}
    assert answers[0] == answers[1]
