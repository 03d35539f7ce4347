"""How many requests HubSpot's CRM operations send, and that the ones that do not wait on each
other are under way together, a few at a time: counted where they arrive (the stand-in's log)
and timed where they are sent (the client's own request and response hooks), against the
HubSpot stand-in answering every request after a delay."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from connectors.demo import DemoWorld
from connectors.errors import SystemUnavailable
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.standin import HubSpotStandIn
from connectors.hubspot.together import IN_FLIGHT
from connectors.identity import IdentityDirectory
from connectors.standin import unavailable
from tests.connectors.demo_env import demo_state
from tests.connectors.test_crm_contract import DANA
from tests.connectors.vendor_env import hubspot_http, system
from workflows.catalog import AnyOperation, CallContext

LATENCY_S = 0.05
CTX = CallContext(run_id="run-3", step_id="crm", requester_email=DANA)
OWNERS = "/crm/v3/owners/"


@dataclass
class Timed:
    """The HubSpot connector over a client that stamps each request as it goes out and as
    its answer comes back (``spans``: path, sent, answered; monotonic seconds)."""

    operations: dict[str, AnyOperation]
    standin: HubSpotStandIn
    directory: IdentityDirectory
    world: DemoWorld
    spans: list[tuple[str, float, float]] = field(default_factory=list)

    async def call(self, name: str, args: dict[str, Any]) -> tuple[Any, list[str]]:
        """The operation's answer and the paths of the requests it sent (owners apart)."""
        seen, self.spans[:] = len(self.standin.seen), []
        op = self.operations[name]
        output: BaseModel = await op.handler(op.input_model.model_validate(args), CTX)
        paths = [s.path for s in self.standin.seen[seen:]]
        return output.model_dump(mode="json"), [p for p in paths if not p.startswith(OWNERS)]

    def most_at_once(self) -> int:
        """The most requests of the last call that were sent and not yet answered at once."""
        return max(sum(1 for _, s, e in self.spans if s <= at < e) for _, at, _ in self.spans)


@pytest.fixture
async def timed(tmp_path: Path) -> AsyncIterator[Timed]:
    async with demo_state(tmp_path) as demo:
        world, directory, clock = demo.world, demo.directory, demo.clock
        with HubSpotStandIn(latency_s=LATENCY_S) as standin:
            await standin.seed_from(world)
            http = hubspot_http(standin)
            found = Timed({}, standin, directory, world)
            sent: dict[int, float] = {}

            async def on_request(request: httpx.Request) -> None:
                sent[id(request)] = time.monotonic()

            async def on_response(response: httpx.Response) -> None:
                at = sent.pop(id(response.request))
                found.spans.append((response.request.url.path, at, time.monotonic()))

            http.event_hooks = {"request": [on_request], "response": [on_response]}
            connector = HubSpotConnector(http, clock=clock)
            found.operations = {o.name: o for o in connector.operations(directory)}
            try:
                yield found
            finally:
                await connector.aclose()


def account(t: Timed, name: str = "Acme") -> dict[str, Any]:
    found = t.directory.resolve_account(name).account
    assert found is not None
    return {"account": found.model_dump(mode="json")}


def contacts_with_activity(t: Timed) -> list[str]:
    """The emails of the stand-in's contacts, those with engagements first."""
    kinds = ("notes", "calls", "emails", "meetings")
    engaged = {c for kind in kinds for o in t.standin.engagements(kind)
               for c in o["associations"]["contacts"]}  # fmt: skip
    people = sorted(t.standin.objects["contacts"].values(), key=lambda c: c["id"] not in engaged)
    return [str(c["properties"]["email"]) for c in people]


async def test_an_accounts_record_is_six_requests_and_the_searches_go_together(
    timed: Timed,
) -> None:
    first, paths = await timed.call("crm.get_account", account(timed))
    assert first["account"]["owner_email"] == DANA
    assert len(paths) == 6
    assert paths.count("/crm/v3/objects/deals/search") == 1
    assert {p for p in paths if p.endswith("/search")} == {
        f"/crm/v3/objects/{k}/search" for k in ("deals", "notes", "calls", "emails", "meetings")
    }
    assert 1 < timed.most_at_once() <= IN_FLIGHT
    again, paths = await timed.call("crm.get_account", account(timed))
    assert again == first and len(paths) == 6
    assert not any(s.path.startswith(OWNERS) for s in timed.standin.seen[-6:])  # known now


async def test_the_activity_of_a_hundred_contacts_takes_as_many_requests_as_of_two(
    timed: Timed,
) -> None:
    emails = contacts_with_activity(timed)[:100]
    assert len(emails) == 100
    counts = {}
    for n in (2, 10, 100):
        found, paths = await timed.call(
            "crm.contact_activity", {"emails": emails[:n], "since_days": 365}
        )
        assert found["activities"], n
        assert timed.most_at_once() <= IN_FLIGHT
        counts[n] = len(paths)
    # the contacts' search, one search per engagement kind, each kind's companies and contacts
    assert max(counts.values()) <= 1 + 4 + 4 * 2 == counts[100]
    assert timed.most_at_once() > 1
    one, paths = await timed.call("crm.contact_activity", {"emails": emails[:1],
                                                          "since_days": 365})  # fmt: skip
    assert one["activities"] and len(paths) <= 1 + 4 + 4


async def test_the_activity_of_many_contacts_is_what_each_alone_has(timed: Timed) -> None:
    emails = contacts_with_activity(timed)[:12]
    together, _ = await timed.call("crm.contact_activity", {"emails": emails, "since_days": 90})
    alone = []
    for email in emails:
        found, _ = await timed.call("crm.contact_activity", {"emails": [email], "since_days": 90})
        alone += found["activities"]

    def key(a: dict[str, Any]) -> tuple[str, ...]:
        return a["at"], a["contact_email"], a["kind"], a["summary"]

    assert len(together["activities"]) > len(emails)
    assert sorted(together["activities"], key=key) == sorted(alone, key=key)
    ats = [a["at"] for a in together["activities"]]
    assert ats == sorted(ats, reverse=True)


async def test_many_contacts_activity_is_the_demo_crms(tmp_path: Path) -> None:
    answers = []
    for name in ("hubspot", "demo"):  # the stand-in tells the contacts' emails
        async with system("crm", name, tmp_path / name) as s:
            if isinstance(s.standin, HubSpotStandIn):
                emails = sorted(str(c["properties"]["email"]).upper()
                                for c in s.standin.objects["contacts"].values())[:100]  # fmt: skip
            op = s.operations["crm.contact_activity"]
            args = op.input_model.model_validate({"emails": emails, "since_days": 60})
            answers.append((await op.handler(args, CTX)).model_dump(mode="json"))
    assert len(answers[1]["activities"]) > 10
    assert answers[0] == answers[1]


async def test_contacts_found_by_email_take_one_read_for_all_their_companies(
    timed: Timed,
) -> None:
    emails = contacts_with_activity(timed)[:40]
    found, paths = await timed.call("crm.find_contacts", {"emails": emails})
    assert len(found["contacts"]) == 40
    assert paths == ["/crm/v3/objects/contacts/search", "/crm/v3/objects/companies/batch/read"]


async def test_an_account_hubspot_no_longer_has_is_no_record(timed: Timed) -> None:
    gone = account(timed)
    timed.standin.objects["companies"][gone["account"]["links"]["crm"]]["archived"] = True
    found, _ = await timed.call("crm.get_account", gone)
    assert found == {"account": None}


async def test_a_search_hubspot_fails_fails_the_record_as_itself(timed: Timed) -> None:
    timed.standin.script(unavailable(503), on="/crm/v3/objects/calls/search")
    with pytest.raises(SystemUnavailable, match=r"HubSpot is not responding \(503\)"):
        await timed.call("crm.get_account", account(timed))


async def test_batch_reads_answer_207_with_the_inputs_hubspot_has_nothing_for(
    timed: Timed,
) -> None:
    async with httpx.AsyncClient(
        base_url=timed.standin.url,
        headers={"Authorization": f"Bearer {timed.standin.access_token}"},
    ) as http:
        company = account(timed)["account"]["links"]["crm"]
        read = await http.post("/crm/v3/objects/companies/batch/read", json={
            "properties": ["name"], "inputs": [{"id": company}, {"id": "404404"}]})  # fmt: skip
        linked = await http.post("/crm/v4/associations/contacts/companies/batch/read", json={
            "inputs": [{"id": "404404"}]})  # fmt: skip
        whole = await http.post("/crm/v3/objects/companies/batch/read", json={
            "properties": ["name"], "inputs": [{"id": company}]})  # fmt: skip
        too_many = await http.post("/crm/v3/objects/companies/batch/read", json={
            "properties": ["name"], "inputs": [{"id": str(i)} for i in range(101)]})  # fmt: skip
    assert read.status_code == 207
    body = read.json()
    assert (body["status"], [r["id"] for r in body["results"]]) == ("COMPLETE", [company])
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"] == {"ids": ["404404"]}
    assert {"startedAt", "completedAt", "numErrors"} <= set(body)
    assert linked.status_code == 207 and linked.json()["results"] == []
    assert linked.json()["errors"][0]["context"] == {"fromObjectId": ["404404"]}
    assert whole.status_code == 200 and "errors" not in whole.json()
    assert too_many.status_code == 400
