"""Amounts are money whichever system holds them: a rep on an open deal who does not own the
account (Dana Reyes on Lumen & Oak, Tom Becker's) reads its invoices, its deals and its
contract with every amount withheld, from the demo world's CRM and from HubSpot's alike; the
owner, a manager and finance read them in full, and the answer says plainly what was withheld.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.wiring import Services, running
from connectors.access import AccessPolicy, NoAccess, Principals, Scoped, guarded
from connectors.demo.org import DemoOrg
from tests.connectors.test_access import (
    ACME,
    DANA,
    LUMEN,
    RACHEL,
    START,
    TOM,
    access_events,
    account,
    ask,
    call,
)
from tests.connectors.vendor_env import system
from workflows.answers import Briefing
from workflows.catalog import AnyOperation, CallContext, Catalog
from workflows.clock import ManualClock
from workflows.domain import AMOUNT_WITHHELD, CrmLookup, DealList
from workflows.library.briefing import briefing_plan
from workflows.planning.messages_standin import MessagesStandIn, answer_from_steps, tool_use
from workflows.testing import CollectingReporter


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False)
    async with running(settings, {"cli": CollectingReporter()}, clock=ManualClock(START)) as built:
        yield built


@pytest.mark.parametrize("name", ["demo", "hubspot"])
async def test_deal_amounts_are_withheld_from_a_rep_on_the_deal_in_either_crm(
    name: str, tmp_path: Path
) -> None:
    async with system("crm", name, tmp_path) as s:
        principals = Principals(DemoOrg(s.world), AccessPolicy.load(), s.clock)
        log = _Log()
        catalog = guarded(Catalog.of(list(s.operations.values()), {}), principals, log)
        op = catalog.get("crm.get_account")
        lumen = s.directory.account(LUMEN)
        assert lumen is not None
        inp = op.input_model.model_validate({"account": lumen.model_dump(mode="json")})

        async def read(email: str) -> CrmLookup:
            ctx = CallContext(run_id="r", step_id="crm", requester_email=email)
            return CrmLookup.model_validate((await op.handler(inp, ctx)).model_dump())

        dana, tom, rachel = await read(DANA), await read(TOM), await read(RACHEL)
    assert dana.account is not None and dana.account.open_deals  # she sees the account
    assert all((d.amount, d.currency) == (0.0, AMOUNT_WITHHELD) for d in dana.account.open_deals)
    for shown in (tom, rachel):  # the owner, a manager
        assert shown.account is not None and shown.account.open_deals
        assert all(d.currency == "USD" and d.amount > 0 for d in shown.account.open_deals)
    assert log.withheld == [("crm.get_account", len(dana.account.open_deals))]


@pytest.mark.parametrize("name", ["demo", "hubspot"])
async def test_a_list_of_deals_withholds_the_amounts_of_deals_she_does_not_own(
    name: str, tmp_path: Path
) -> None:
    async with system("crm", name, tmp_path) as s:
        principals = Principals(DemoOrg(s.world), AccessPolicy.load(), s.clock)
        catalog = guarded(Catalog.of(list(s.operations.values()), {}), principals, _Log())
        op = catalog.get("crm.deals_closing")
        today = s.clock.now().date()
        window = {"from_date": today, "to_date": today + timedelta(days=365), "limit": 200}
        inp = op.input_model.model_validate(window)

        async def read(email: str) -> DealList:
            ctx = CallContext(run_id="r", step_id="deals", requester_email=email)
            return DealList.model_validate((await op.handler(inp, ctx)).model_dump())

        dana, tom = await read(DANA), await read(TOM)
    lumen = [d for d in dana.deals if d.account.account_id == LUMEN]
    assert lumen and all((d.amount, d.currency) == (0.0, AMOUNT_WITHHELD) for d in lumen)
    assert all(d.currency == "USD" for d in dana.deals if d.owner_email == DANA)
    assert dana.total_amount is None
    assert [d for d in tom.deals if d.account.account_id == LUMEN]
    assert all(d.currency == "USD" for d in tom.deals) and tom.total_amount


class _Log:
    """The access log of a catalog checked outside the composition root: what was withheld."""

    def __init__(self) -> None:
        self.withheld: list[tuple[str, int]] = []

    async def refused(self, ctx: CallContext, operation: AnyOperation, refusal: NoAccess) -> None:
        raise AssertionError(f"{operation.name} refused: {refusal}")

    async def narrowed(self, ctx: CallContext, operation: AnyOperation, scoped: Scoped) -> None:
        self.withheld.append((operation.name, scoped.withheld))


async def test_every_read_that_carries_a_deal_or_contract_amount_withholds_it(
    services: Services,
) -> None:
    lumen, acme = account(services, LUMEN), account(services, ACME)
    contract = await call(services, "contracts.get_contract", DANA, account=lumen)
    assert contract.contract is not None
    assert (contract.contract.annual_value, contract.contract.currency) == (0.0, AMOUNT_WITHHELD)
    own = await call(services, "contracts.get_contract", DANA, account=acme)
    assert own.contract is not None and own.contract.annual_value > 0

    listed = await call(services, "crm.list_accounts", DANA, limit=200)
    by_id = {s.account.account_id: s for s in listed.accounts}
    assert (by_id[LUMEN].annual_value, by_id[LUMEN].currency) == (0.0, AMOUNT_WITHHELD)
    assert by_id[ACME].annual_value and by_id[ACME].currency == "USD"

    window = {
        "from_date": START.date().isoformat(),
        "to_date": (START + timedelta(days=365)).date().isoformat(),
    }
    deals = await call(services, "crm.deals_closing", DANA, **window)
    lumen_deals = [d for d in deals.deals if d.account.account_id == LUMEN]
    assert lumen_deals and all(d.currency == AMOUNT_WITHHELD for d in lumen_deals)
    assert all(d.currency == "USD" for d in deals.deals if d.account.account_id != LUMEN)
    assert deals.total_amount is None  # a sum over withheld amounts is no sum
    for email in (TOM, RACHEL):
        full = await call(services, "crm.deals_closing", email, **window)
        assert full.total_amount and full.total_amount > 0
        assert all(d.currency == "USD" for d in full.deals)


async def test_a_briefing_for_a_rep_on_the_deal_says_the_amounts_were_withheld(
    services: Services,
) -> None:
    run_id, answer = await ask(services, "brief me on Lumen & Oak", DANA)
    assert isinstance(answer, Briefing) and answer.account.name == "Lumen & Oak Interiors"
    facts = [f.text for s in answer.sections for f in s.facts]
    assert any("Open deal" in t and "(amount withheld)" in t for t in facts)
    assert any("tier" in t and "(amount withheld)" in t for t in facts)
    assert not [t for t in facts if "$" in t]  # no amount of the account reaches her
    narrowed = [e for e in await access_events(services, run_id) if e["status"] == "narrowed"]
    assert {e["operation"] for e in narrowed} >= {
        "crm.get_account",
        "contracts.get_contract",
        "billing.list_invoices",
    }
    assert all(e["detail"]["amounts_withheld"] > 0 for e in narrowed)
    _, owner = await ask(services, "brief me on Lumen & Oak", TOM)
    assert isinstance(owner, Briefing)
    assert any("$" in f.text for s in owner.sections for f in s.facts)


async def test_the_model_writing_for_a_rep_on_the_deal_is_told_the_amounts_were_withheld(
    tmp_path: Path,
) -> None:
    plan = briefing_plan("Lumen & Oak", account_id=LUMEN)
    with MessagesStandIn() as standin:
        standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}))
        standin.script(answer_from_steps)
        settings = Settings(
            state_dir=tmp_path / "state",
            scheduler=False,
            anthropic_api_key=standin.api_key,
            anthropic_base_url=standin.url,
            model="claude-test",
        )
        async with running(settings, {"cli": CollectingReporter()}) as services:
            _, answer = await ask(services, "brief me on Lumen & Oak", DANA)
        body = standin.bodies[1]
    assert isinstance(answer, Briefing) and answer.synthesis is not None
    context = json.loads(body["messages"][0]["content"])["context"]
    assert context["withheld_amounts"] >= 3  # its deal, its contract, its invoices
    amounts = [
        (f["fields"].get("amount", f["fields"].get("annual_value")), f["fields"].get("currency"))
        for s in context["systems"]
        for f in s["facts"]
        if "amount" in f["fields"] or "annual_value" in f["fields"]
    ]
    assert amounts and all(a == (0.0, AMOUNT_WITHHELD) for a in amounts)
    assert 'currency is "withheld"' in body["system"][0]["text"]
