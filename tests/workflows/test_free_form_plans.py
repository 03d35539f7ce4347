"""A free-form objective answered by a plan over list and data operations, as a model would
write it, run by the real engine (DBOS, SQLite audit) over the demo world at a fixed moment:
"which of my accounts have an overdue invoice and a P1 open?"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from tests.workflows.engine_env import outcome, outcome_notice
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.clock import ManualClock
from workflows.dataops import SYSTEM_LABELS, data_operations
from workflows.engine import Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.models import Principal, RunRequest
from workflows.plan import Plan, Step
from workflows.planning import ScriptedPlanner
from workflows.testing import CollectingReporter

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
LEAH = "leah.okafor@northwind.example"
QUESTION = "which of my accounts have an overdue invoice and a P1 open?"


def overdue_and_p1_plan(requester_email: str) -> Plan:
    """The plan a model would make: three lists, two joins on the account, and each found
    account's contract."""

    def ref(path: str) -> dict[str, str]:
        return {"$ref": path}

    key = "account.account_id"
    return Plan(
        workflow="test",
        subject="Accounts with an overdue invoice and an open P1",
        steps=(
            Step(
                id="mine",
                operation="crm.list_accounts",
                args={"owner_email": requester_email, "limit": 200},
            ),
            Step(id="overdue", operation="billing.overdue_invoices", args={"limit": 200}),
            Step(
                id="p1s",
                operation="support.list_tickets",
                args={"priority": "P1", "status": "open", "limit": 200},
            ),
            Step(
                id="mine_overdue",
                operation="data.join",
                args={
                    "left": ref("mine.accounts"),
                    "right": ref("overdue.invoices"),
                    "key": key,
                    "into": "overdue_invoices",
                },
            ),
            Step(
                id="answer",
                operation="data.join",
                args={
                    "left": ref("mine_overdue.records"),
                    "right": ref("p1s.tickets"),
                    "key": key,
                    "into": "p1_tickets",
                },
            ),
            # A listed record's account goes as is to a per-account read.
            Step(
                id="contracts",
                operation="contracts.get_contract",
                for_each="answer.records",
                args={"account": {"$item": "account"}},
            ),
        ),
    )


@dataclass
class FreeFormEnv:
    engine: Engine
    planner: ScriptedPlanner
    directory: IdentityDirectory
    clock: ManualClock

    async def ask(self, plan: Plan, email: str) -> dict[str, dict[str, Any]]:
        """Run ``plan`` for ``email`` as the answer to a question; every step's outcome."""
        text = f"{QUESTION} ({uuid4().hex})"
        self.planner._script[text] = plan
        who = self.directory.find_employee(email)
        assert who is not None
        principal = Principal(email=who.email, name=who.name, roles=tuple(who.roles))
        request = RunRequest.direct(text, principal, received_at=self.clock.now())
        return outcome(await self.engine.run(request))


@asynccontextmanager
async def free_form_env(state: Path) -> AsyncIterator[FreeFormEnv]:
    clock = ManualClock(NOW)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    directory = await build_directory(world)
    catalog = Catalog.of(
        [*demo_operations(world, directory, DemoBehaviour()), *data_operations()],
        {**DEMO_SYSTEM_LABELS, **SYSTEM_LABELS},
    )
    audit_url = f"sqlite+aiosqlite:///{state / 'audit.db'}"
    audit = await AuditStore.open(audit_url, clock=clock)
    planner = ScriptedPlanner({})
    engine = Engine(
        catalog=catalog,
        planner=planner,
        audit=audit,
        reporters={"cli": CollectingReporter()},
        caller=OperationCaller(StepPolicy(timeout_s=5.0, attempts=1), clock=clock),
        composers={"test": outcome_notice},
    )
    bind(engine)
    system_url = system_database_url(audit_url, str(state / "dbos.sqlite"))
    launch(DurableSettings(system_database_url=system_url, executor_id="free-form-test"))
    try:
        yield FreeFormEnv(engine, planner, directory, clock)
    finally:
        shutdown()
        await audit.close()
        await world.close()


def names(records: list[dict[str, Any]]) -> set[str]:
    return {r["account"]["name"] for r in records}


async def test_dana_s_accounts_with_an_overdue_invoice_and_a_p1_are_acme(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        dana = await env.ask(overdue_and_p1_plan(DANA), DANA)
    assert {r["status"] for r in dana.values()} == {"ok"}
    answer = dana["answer"]["output"]
    assert [r["account"]["name"] for r in answer["records"]] == ["Acme Corporation"]
    acme = answer["records"][0]
    assert [i["number"] for i in acme["overdue_invoices"]] == ["INV-000101"]
    assert [t["id"] for t in acme["p1_tickets"]] == ["org-1042-t1"]
    assert acme["owner_email"] == DANA
    assert [c["contract"]["id"] for c in dana["contracts"]["output"]] == ["CTR-ACME-0001"]
    assert dana["mine"]["output"]["total"] > 3  # Dana owns more than Acme
    assert len(dana["overdue"]["output"]["invoices"]) > 1  # and Acme is not the only debtor


async def test_overdue_accounts_without_a_p1_drop_out_at_the_second_join(tmp_path: Path) -> None:
    async with free_form_env(tmp_path) as env:
        leah = await env.ask(overdue_and_p1_plan(LEAH), LEAH)
    assert {r["status"] for r in leah.values()} == {"ok"}
    hers = names(leah["mine"]["output"]["accounts"])
    owing = names(leah["overdue"]["output"]["invoices"])
    assert hers & owing  # Leah has accounts with overdue invoices...
    assert names(leah["mine_overdue"]["output"]["records"]) == hers & owing
    assert not names(leah["p1s"]["output"]["tickets"]) & hers  # ...but none with a P1
    assert leah["answer"]["output"] == {"records": [], "count": 0}
    assert leah["contracts"]["output"] == []


async def test_a_misspelt_field_fails_its_step_once_with_a_message_a_model_can_act_on(
    tmp_path: Path,
) -> None:
    plan = Plan(
        workflow="test",
        steps=(
            Step(id="overdue", operation="billing.overdue_invoices", args={}),
            Step(
                id="big",
                operation="data.filter",
                args={
                    "records": {"$ref": "overdue.invoices"},
                    "field": "acount.name",
                    "value": "Acme Corporation",
                },
            ),
            Step(
                id="listed",
                operation="data.filter",
                args={"records": {"$ref": "overdue"}, "field": "number", "op": "in", "value": []},
            ),
        ),
    )
    async with free_form_env(tmp_path) as env:
        result = await env.ask(plan, DANA)
    assert result["overdue"]["status"] == "ok"
    big = result["big"]
    assert (big["status"], big["failure"], big["attempts"]) == ("failed", "permanent", 1)
    assert "no field 'acount.name'" in str(big["error"])
    assert "did you mean 'account'" in str(big["error"])
    listed = result["listed"]
    assert (listed["status"], listed["failure"]) == ("failed", "permanent")
    assert "not an object (it has the list(s) invoices" in str(listed["error"])
