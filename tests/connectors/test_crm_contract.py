"""One contract for every implementation of the CRM operations HubSpot serves: the demo
world's and HubSpot's (against the HubSpot stand-in, seeded from the same world). A plan must
not be able to tell which CRM is connected; a write retried with the same key lands once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.errors import RecordNotFound
from connectors.hubspot.operations import KEY_PROPERTY
from connectors.hubspot.standin import HubSpotStandIn
from tests.connectors.vendor_env import System, system
from workflows.catalog import CallContext
from workflows.errors import PermanentOperationError

IMPLEMENTATIONS = ["demo", "hubspot"]
DANA = "dana.reyes@northwind.example"
CTX = CallContext(run_id="run-7", step_id="log", requester_email=DANA)
HUBSPOT_OPERATIONS = {
    "crm.get_account", "crm.find_contacts", "crm.contact_activity",
    "crm.log_activity", "crm.remove_activity",
    "crm.update_field", "crm.restore_field",
}  # fmt: skip


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
