"""The Claude planner inside the real engine (DBOS, SQLite audit) over the demo world, with
the model answering from the Messages API stand-in: a briefing planned by the model runs and
is answered, a second customer's briefing is planned from the cache, and starting the same
run again makes no model call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anthropic

from bot.wiring import build_catalog
from connectors.demo import DemoBehaviour, open_demo_world
from connectors.identity import build_directory
from tests.workflows.conftest import DEMO_NOW
from workflows.answers import Briefing
from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.engine import Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library.briefing import briefing_plan
from workflows.models import Principal, RunRequest
from workflows.planning.claude import ClaudePlanner, ModelErrors
from workflows.planning.messages_standin import MessagesStandIn, tool_use
from workflows.testing import CollectingReporter

DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes", roles=("ae",))


@dataclass
class ClaudeEnv:
    engine: Engine
    audit: AuditStore
    clock: ManualClock

    def request(self, text: str, run_id: str) -> RunRequest:
        return RunRequest.direct(text, DANA, received_at=self.clock.now(), run_id=run_id)


@asynccontextmanager
async def claude_env(state: Path, client: anthropic.AsyncAnthropic) -> AsyncIterator[ClaudeEnv]:
    clock = ManualClock(DEMO_NOW)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    directory = await build_directory(world)
    catalog = build_catalog(world, directory, DemoBehaviour.parse("", ""))
    errors = ModelErrors(api=(anthropic.APIError,), timeout=(anthropic.APITimeoutError,))
    planner = ClaudePlanner(client, model="claude-test", errors=errors, finder=directory)
    audit_url = f"sqlite+aiosqlite:///{state / 'audit.db'}"
    audit = await AuditStore.open(audit_url, clock=clock)
    engine = Engine(
        catalog=catalog,
        planner=planner,
        audit=audit,
        reporters={"cli": CollectingReporter()},
        caller=OperationCaller(StepPolicy(timeout_s=5.0, attempts=1), clock=clock),
    )
    bind(engine)
    system_url = system_database_url(audit_url, str(state / "dbos.sqlite"))
    launch(DurableSettings(system_database_url=system_url, executor_id="claude-test"))
    try:
        yield ClaudeEnv(engine, audit, clock)
    finally:
        shutdown()
        await audit.close()
        await world.close()


async def test_a_model_planned_briefing_runs_and_the_next_customer_costs_no_call(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    acme = briefing_plan("Acme", account_id="acct-0001")
    standin.script(tool_use("submit_plan", {"plan": acme.model_dump(mode="json")}))

    async with claude_env(tmp_path, client) as env:
        first = await env.engine.run(env.request("brief me on Acme", "claude-run-1"))
        second = await env.engine.run(env.request("brief me on Pinecrest", "claude-run-2"))
        again = await env.engine.submit(env.request("brief me on Acme", "claude-run-1"))
        repeated = await env.engine.result(env.request("brief me on Acme", "claude-run-1"), again)
        detail = await env.audit.get_run("claude-run-2")

    assert len(standin.bodies) == 1
    assert isinstance(first, Briefing) and first.account.name == "Acme Corporation"
    assert isinstance(second, Briefing) and second.account.name == "Pinecrest Analytics"
    assert {s.status for s in second.sections} <= {"ok", "empty"}
    assert repeated == first
    assert detail is not None and detail.planner == "claude"
    assert detail.run.subject == "Pinecrest"
