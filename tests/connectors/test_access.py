"""Who may see what, through the composition root: the real engine on DBOS and SQLite, the
demo world's CRM deciding territories, every operation of the catalog checked, a manual clock.

Dana Reyes (a rep) owns Acme and is on the team of Lumen & Oak's open deal (Tom Becker's);
Blue Harbor Logistics is Marcus Chen's. Rachel Kim manages every rep; Omar Haddad is finance.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from structlog.testing import capture_logs

from bot.settings import Settings
from bot.wiring import Services, running
from connectors.access import AccessPolicy, AccessPolicyError, NoAccess
from connectors.demo.schema import crm_users
from workflows.answers import Briefing, FreeFormAnswer, Notice, RunAnswer
from workflows.audit.tables import events
from workflows.catalog import CallContext
from workflows.clock import ManualClock
from workflows.domain import AMOUNT_WITHHELD
from workflows.models import Principal, RunRequest
from workflows.plan import Plan, Step
from workflows.planning.messages_standin import MessagesStandIn, tool_use
from workflows.testing import CollectingReporter

START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
RACHEL = "rachel.kim@northwind.example"
TOM = "tom.becker@northwind.example"
OMAR = "omar.haddad@northwind.example"
ACME, BLUE_HARBOR, LUMEN = "acct-0001", "acct-0002", "acct-0012"
REFUSAL = "You don't have access to Blue Harbor Logistics; its owner is Marcus Chen."


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def services(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Services]:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False)
    async with running(settings, {"cli": CollectingReporter()}, clock=clock) as built:
        yield built


def principal(services: Services, email: str) -> Principal:
    person = services.directory.find_employee(email)
    assert person is not None
    return Principal(email=person.email, name=person.name, roles=tuple(person.roles))


async def ask(services: Services, text: str, email: str) -> tuple[str, RunAnswer]:
    request = RunRequest.direct(text, principal(services, email), received_at=clock_now(services))
    return request.run_id, await services.engine.run(request)


def clock_now(services: Services) -> datetime:
    return services.clock.now()


async def call(services: Services, name: str, email: str, run_id: str = "r1", **args: Any) -> Any:
    """One call of the (checked) catalog's operation, as a step of run ``run_id`` makes it."""
    operation = services.catalog.get(name)
    ctx = CallContext(run_id=run_id, step_id=name.replace(".", "_"), requester_email=email)
    return await operation.handler(operation.input_model.model_validate(args), ctx)


def account(services: Services, account_id: str) -> dict[str, Any]:
    found = services.directory.account(account_id)
    assert found is not None
    return found.model_dump(mode="json")


async def access_events(services: Services, run_id: str) -> list[dict[str, Any]]:
    query = select(events).where(events.c.run_id == run_id, events.c.kind == "access")
    async with services.audit.engine.connect() as conn:
        rows = (await conn.execute(query.order_by(events.c.id))).mappings().all()
    return [dict(r) for r in rows]


async def test_a_rep_asking_outside_her_territory_is_told_whose_it_is(services: Services) -> None:
    with capture_logs() as logs:
        run_id, answer = await ask(services, "how is Blue Harbor doing?", DANA)
    assert isinstance(answer, Notice) and answer.reason == "not_allowed"
    assert answer.text == REFUSAL
    detail = await services.audit.get_run(run_id)
    assert detail is not None and detail.steps == []  # no system was asked anything
    [refused] = [e for e in detail.events if e.kind == "access"]
    assert refused.status == "refused"
    assert refused.detail["rule"] == "territory" and refused.detail["accounts"] == [BLUE_HARBOR]
    # Nothing of the account beyond its name and owner: not in the answer, not in the logs.
    shown = answer.model_dump_json()
    assert "blueharbor" not in shown and "Annual renewal" not in shown
    assert "Blue Harbor" not in json.dumps(logs, default=str)


async def test_a_rep_is_briefed_on_her_own_account(services: Services) -> None:
    _, answer = await ask(services, "brief me on Acme", DANA)
    assert isinstance(answer, Briefing) and answer.account.name == "Acme Corporation"
    billing = next(s for s in answer.sections if s.key == "billing")
    assert any("$20,000" in f.text for f in billing.facts)  # the owner sees the amounts


async def test_a_manager_sees_her_teams_accounts(services: Services) -> None:
    _, answer = await ask(services, "how is Blue Harbor doing?", RACHEL)
    assert isinstance(answer, Briefing) and answer.account.name == "Blue Harbor Logistics"
    everyone = {a.account_id for a in services.directory.accounts()}
    listed = await call(services, "crm.list_accounts", RACHEL, limit=200)
    assert {s.account.account_id for s in listed.accounts} == everyone  # all her reps' accounts
    mine = await call(services, "crm.list_accounts", DANA, limit=200)
    owned = {a for a in everyone if (o := services.directory.account_owner(a)) and o.email == DANA}
    assert {s.account.account_id for s in mine.accounts} == owned | {LUMEN}
    assert mine.total == len(owned) + 1


async def test_a_list_across_accounts_shows_only_the_territory(services: Services) -> None:
    dana = await call(services, "billing.overdue_invoices", DANA, limit=200)
    finance = await call(services, "billing.overdue_invoices", OMAR, limit=200)
    seen = {i.account.account_id for i in dana.invoices}
    assert ACME in seen and seen <= {ACME, LUMEN} | _owned(services, DANA)
    assert dana.total == len(dana.invoices) < finance.total  # finance sees every account's
    assert {i.account.account_id for i in finance.invoices} - seen
    first = await call(services, "billing.overdue_invoices", DANA, limit=1)
    assert len(first.invoices) == 1 and first.total == dana.total
    assert first.next_offset == (1 if dana.total > 1 else None)


def _owned(services: Services, email: str) -> set[str]:
    return {
        a.account_id
        for a in services.directory.accounts()
        if (owner := services.directory.account_owner(a.account_id)) and owner.email == email
    }


async def test_billing_amounts_are_withheld_from_a_rep_who_does_not_own_the_account(
    services: Services,
) -> None:
    lumen = account(services, LUMEN)
    dana = await call(services, "billing.list_invoices", DANA, account=lumen)
    assert dana.invoices and all(i.currency == AMOUNT_WITHHELD for i in dana.invoices)
    assert all(i.amount == 0 for i in dana.invoices)
    for email in (TOM, RACHEL, OMAR):  # the owner, a manager, finance
        shown = await call(services, "billing.list_invoices", email, account=lumen)
        assert all(i.currency == "USD" and i.amount > 0 for i in shown.invoices)
    own = await call(services, "billing.list_invoices", DANA, account=account(services, ACME))
    assert all(i.currency == "USD" for i in own.invoices)


async def test_reads_and_writes_outside_the_territory_are_refused_and_audited(
    services: Services,
) -> None:
    blue = account(services, BLUE_HARBOR)
    with pytest.raises(NoAccess, match="its owner is Marcus Chen"):
        await call(services, "crm.get_account", DANA, run_id="r2", account=blue)
    with pytest.raises(NoAccess):
        await call(services, "support.list_tickets", DANA, run_id="r2", account_id=BLUE_HARBOR)
    with pytest.raises(NoAccess):
        await call(
            services,
            "crm.log_activity",
            DANA,
            run_id="r2",
            account_id=BLUE_HARBOR,
            contact_email="x@blueharbor.com",
            kind="note",
            summary="hello",
        )
    with pytest.raises(NoAccess):  # the directory's answer is an account she may not see
        await call(services, "directory.resolve_account", DANA, run_id="r2", query="Blue Harbor")
    refused = await access_events(services, "r2")
    assert [e["operation"] for e in refused] == [
        "crm.get_account",
        "support.list_tickets",
        "crm.log_activity",
        "directory.resolve_account",
    ]
    assert all(e["status"] == "refused" and e["detail"]["rule"] == "territory" for e in refused)
    assert all(e["detail"]["accounts"] == [BLUE_HARBOR] for e in refused)


async def test_mail_with_people_outside_the_territory_is_left_out(services: Services) -> None:
    contacts = await call(services, "crm.search_contacts", RACHEL, query="@blueharbor.com")
    assert contacts.emails
    found = await call(services, "crm.search_contacts", DANA, query="@blueharbor.com")
    assert found.contacts == [] and found.emails == []
    threads = await call(services, "email.threads_with", DANA, emails=contacts.emails)
    assert threads.threads == []
    assert (await call(services, "email.threads_with", RACHEL, emails=contacts.emails)).threads


async def test_a_changed_role_takes_effect_once_the_cached_principal_expires(
    services: Services, clock: ManualClock
) -> None:
    with pytest.raises(NoAccess):
        await call(services, "billing.overdue_invoices", DANA, account_id=BLUE_HARBOR)
    async with services.world.engine.begin() as conn:
        roles = update(crm_users).where(crm_users.c.email == DANA)
        await conn.execute(roles.values(roles=["sales", "finance"]))
    with pytest.raises(NoAccess):  # still the principal worked out a moment ago
        await call(services, "billing.overdue_invoices", DANA, account_id=BLUE_HARBOR)
    clock.advance(AccessPolicy.load().ttl + timedelta(seconds=1))
    found = await call(services, "billing.overdue_invoices", DANA, account_id=BLUE_HARBOR)
    assert found.total == len(found.invoices)
    blue = account(services, BLUE_HARBOR)
    shown = await call(services, "billing.list_invoices", DANA, account=blue)
    assert shown.invoices and all(i.currency == "USD" for i in shown.invoices)
    with pytest.raises(NoAccess):  # finance reads billing, not the CRM
        await call(services, "crm.get_account", DANA, account=blue)


async def test_a_model_planned_list_shows_the_model_only_the_territory(tmp_path: Path) -> None:
    plan = Plan(
        workflow="answer",
        subject="Overdue invoices",
        steps=(Step(id="overdue", operation="billing.overdue_invoices", args={"limit": 200}),),
    )
    with MessagesStandIn() as standin:
        standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}))
        settings = Settings(
            state_dir=tmp_path / "state",
            scheduler=False,
            anthropic_api_key=standin.api_key,
            anthropic_base_url=standin.url,
            model="claude-test",
        )
        async with running(settings, {"cli": CollectingReporter()}) as services:
            _, answer = await ask(services, "which customers have overdue invoices?", DANA)
            _, refused = await ask(services, "how is Blue Harbor doing?", DANA)
            owned = _owned(services, DANA) | {LUMEN}
            names = {a.account_id: a.name for a in services.directory.accounts()}
        bodies = json.dumps(standin.bodies)
    assert isinstance(answer, FreeFormAnswer) and answer.findings
    listed = json.dumps(answer.model_dump(mode="json"))
    for account_id, name in names.items():
        if account_id not in owned:
            assert name not in listed and name not in bodies, name
    assert isinstance(refused, Notice) and refused.text == REFUSAL
    assert "how is Blue Harbor doing" not in bodies  # the model never saw the request


def test_an_access_policy_that_cannot_be_used_is_named(tmp_path: Path) -> None:
    with pytest.raises(AccessPolicyError, match="ttl_seconds"):
        AccessPolicy.parse("ttl_seconds = 0", source="policy x")
    bad = tmp_path / "access.toml"
    bad.write_text("[territory\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        Settings(state_dir=tmp_path, scheduler=False, access_file=bad)
    assert AccessPolicy.load().systems_seen_by(("finance",)) == {"billing"}


async def test_meetings_with_other_customers_are_left_out(services: Services) -> None:
    window = {
        "starts_from": START.isoformat(),
        "starts_before": (START + timedelta(days=7)).isoformat(),
    }
    everyone = await call(services, "calendar.meetings_between", RACHEL, **window)
    dana = await call(services, "calendar.meetings_between", DANA, **window)
    theirs = {m.id for m in everyone.meetings} - {m.id for m in dana.meetings}
    assert theirs  # other reps' customer meetings
    mine = _owned(services, DANA) | {LUMEN}
    for meeting in dana.meetings:
        people = {meeting.organizer_email, *meeting.attendees}
        domains = {p.rpartition("@")[2] for p in people}
        customers = {a.account_id for a in services.directory.accounts() if a.domain in domains}
        assert DANA in people or customers <= mine, meeting.title
    # The scheduler reads every calendar, to brief each attendee with their own access.
    assert len(
        (await call(services, "calendar.meetings_between", "scheduler", **window)).meetings
    ) >= len(everyone.meetings)


async def test_what_finance_may_not_see_is_said_as_a_refusal_not_as_a_system_down(
    services: Services,
) -> None:
    """Omar (finance) briefed on Acme: billing in full, and every other section says he has no
    access, naming the owner, rather than that its system could not be reached."""
    _, answer = await ask(services, "brief me on Acme", OMAR)
    assert isinstance(answer, Briefing)
    sections = {s.key: s for s in answer.sections}
    assert sections["billing"].status == "ok"
    refusal = "You don't have access to Acme Corporation; its owner is Dana Reyes."
    for key in ("crm", "email", "support", "contracts"):
        assert (sections[key].status, sections[key].note) == ("unavailable", refusal)
