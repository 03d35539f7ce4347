"""Adaptation through the real engine (DBOS, SQLite audit) over the demo world, the model
answering from the Messages API stand-in: Dana's two open renewals in negotiation lead the
model to add one step fetching both contracts, which the answer cites; the rounds budget stops
a model that keeps adding; a write or an unknown operation is refused and the run finishes
with what it has; a replay asks the model nothing; a plan that asks for no review costs no
adaptation call; ``crosswire audit show`` prints each round."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anthropic
from dbos import DBOS

from bot.cli.audit import audit_show
from bot.settings import Settings
from bot.wiring import build_catalog
from connectors.demo import DemoBehaviour, open_demo_world
from connectors.identity import build_directory
from tests.workflows.conftest import DEMO_NOW
from workflows.answers import FreeFormAnswer
from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.engine import Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library.answer_guide import answer_guide
from workflows.models import Principal, RunRequest
from workflows.plan import Plan, Step
from workflows.planning.adaptation import Budget
from workflows.planning.claude import ClaudePlanner, ModelErrors
from workflows.planning.claude_prompt import builtin_guides
from workflows.planning.messages_standin import (
    MessagesStandIn,
    StandinReply,
    answer_from_steps,
    tool_use,
)
from workflows.planning.synthesis import ClaudeSynthesizer
from workflows.testing import CollectingReporter

DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes", roles=("ae",))
MODEL = "claude-sonnet-4-5"
QUESTION = "what do the contracts of my renewals in negotiation say?"
RENEWALS = Plan(
    workflow="answer",
    subject="renewals in negotiation",
    summary="Dana's deals in negotiation closing in the next 30 days",
    steps=(
        Step(
            id="renewals",
            operation="crm.deals_closing",
            args={
                "from_date": "2026-11-21",
                "to_date": "2026-12-21",
                "owner_email": DANA.email,
                "stage": "Negotiation",
            },
        ),
    ),
)
CONTRACTS = {
    "id": "contracts",
    "operation": "contracts.get_contract",
    "for_each": "renewals.deals",
    "args": {"account": {"$item": "account"}},
    "title": "The contract behind each renewal",
}


@dataclass
class Env:
    engine: Engine
    audit: AuditStore
    clock: ManualClock
    audit_url: str

    async def run(self, run_id: str) -> Any:
        request = RunRequest.direct(QUESTION, DANA, received_at=self.clock.now(), run_id=run_id)
        return await self.engine.run(request)

    async def shown(self, run_id: str) -> str:
        printed = io.StringIO()
        settings = Settings(database_url=self.audit_url, scheduler=False)
        with contextlib.redirect_stdout(printed):  # not capsys: DBOS keeps the stream it found
            assert await audit_show(settings, run_id, as_json=False) == 0
        return printed.getvalue()


@asynccontextmanager
async def adapting_env(
    state: Path, client: anthropic.AsyncAnthropic, budget: Budget | None = None
) -> AsyncIterator[Env]:
    clock = ManualClock(DEMO_NOW)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    directory = await build_directory(world)
    catalog = build_catalog(world, directory, DemoBehaviour.parse("", ""))
    errors = ModelErrors(api=(anthropic.APIError,), timeout=(anthropic.APITimeoutError,))
    writer = ClaudeSynthesizer(client, model=MODEL, errors=errors)
    planner = ClaudePlanner(
        client,
        model=MODEL,
        errors=errors,
        finder=directory,
        writer=writer,
        guides=(*builtin_guides(), answer_guide()),
        adaptation_budget=budget,
    )
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
    launch(DurableSettings(system_database_url=system_url, executor_id="adaptation-test"))
    try:
        yield Env(engine, audit, clock, audit_url)
    finally:
        shutdown()
        await audit.close()
        await world.close()


def planned(*, review_after: bool = True) -> StandinReply:
    given = {"plan": RENEWALS.model_dump(mode="json"), "review_after": review_after}
    return tool_use("submit_plan", given)


def adapted(reason: str, *steps: Mapping[str, Any]) -> StandinReply:
    return tool_use("submit_adaptation", {"reason": reason, "steps": list(steps)})


def done(reason: str) -> StandinReply:
    return tool_use("submit_adaptation", {"done": True, "reason": reason})


def document(body: Mapping[str, Any]) -> dict[str, Any]:
    parsed = json.loads(body["messages"][0]["content"])
    assert isinstance(parsed, dict)
    return parsed


async def test_two_open_renewals_add_a_step_fetching_both_contracts(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    reason = "Dana has two open renewals in negotiation; their contracts hold the terms."
    standin.script(planned(), adapted(reason, CONTRACTS), done("Both contracts read."))
    standin.script(answer_from_steps)

    async with adapting_env(tmp_path, client) as env:
        answer = await env.run("adapt-renewals")
        detail = await env.audit.get_run("adapt-renewals")
        shown = await env.shown("adapt-renewals")
        steps = await DBOS.list_workflow_steps_async("adapt-renewals")

    tools = [b["tools"][0]["name"] for b in standin.bodies]
    assert tools == ["submit_plan", "submit_adaptation", "submit_adaptation", "submit_answer"]
    first_round = document(standin.bodies[1])
    assert "steps[].output" in first_round["untrusted"]
    deals = first_round["steps"][0]["output"]["deals"]
    assert [d["account"]["name"] for d in deals] == ["Acme Corporation", "Westwind Airlines"]
    assert detail is not None and detail.run.status == "completed"
    contracts = next(s for s in detail.steps if s.step_id == "contracts")
    assert contracts.status == "ok"
    # The writer reads what the steps found as one context: each contract a fact of its step.
    written_from = document(standin.bodies[3])["context"]["systems"]
    facts = [f for s in written_from for f in s["facts"] if f["step"] == "contracts"]
    fetched = [f["fields"]["id"] for f in facts if f["about"].endswith(".contract")]
    assert len(fetched) == 2 and "CTR-ACME-0001" in fetched
    assert isinstance(answer, FreeFormAnswer) and answer.synthesis is not None
    cited = {c.step for s in answer.synthesis.statements for c in s.cites}
    assert "contracts" in cited
    assert [s["function_name"] for s in steps] == [
        "plan",
        "step:renewals",
        "adapt:1",
        "step:contracts",
        "adapt:2",
        "synthesize",
        "deliver",
    ]
    assert f"round 1: added steps; {reason} (1 model call" in shown, shown
    assert "+ contracts    contracts.get_contract" in shown
    assert "round 2: done; Both contracts read." in shown
    assert "budget end: done (the model found the objective met)" in shown
    assert "model      4 calls (planning 1, adaptation 2, synthesis 1)" in shown


async def test_the_rounds_budget_stops_a_model_that_keeps_adding(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    again = {**CONTRACTS, "id": "contracts_again"}
    standin.script(planned(), adapted("Fetch the contracts.", CONTRACTS))
    standin.script(adapted("Fetch them again.", again), answer_from_steps)

    async with adapting_env(tmp_path, client, Budget(rounds=2)) as env:
        answer = await env.run("adapt-rounds")
        detail = await env.audit.get_run("adapt-rounds")
        shown = await env.shown("adapt-rounds")

    assert len(standin.bodies) == 4 and standin.pending == 0  # no third round
    assert detail is not None and {s.step_id for s in detail.steps} == {
        "renewals",
        "contracts",
        "contracts_again",
    }
    assert isinstance(answer, FreeFormAnswer)
    assert "budget end: rounds (the budget's rounds were spent)" in shown, shown


async def test_the_tokens_budget_ends_adapting_after_the_round_that_spent_it(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), adapted("Fetch the contracts.", CONTRACTS), answer_from_steps)

    async with adapting_env(tmp_path, client, Budget(rounds=5, tokens=50)) as env:
        await env.run("adapt-tokens")
        shown = await env.shown("adapt-tokens")

    assert len(standin.bodies) == 3 and standin.pending == 0
    assert "budget end: tokens (the budget's tokens were spent)" in shown, shown


async def test_an_added_write_or_unknown_operation_is_refused_and_the_run_finishes(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    write = {
        "id": "discount",
        "operation": "billing.apply_discount",
        "args": {"account": {"$ref": "renewals.deals.0.account"}, "percent": 50},
    }
    unknown = {"id": "peek", "operation": "contracts.download_all", "args": {}}
    standin.script(planned(), adapted("The ticket asks for 50% off.", write), answer_from_steps)
    standin.script(planned(), adapted("Read everything.", unknown), answer_from_steps)

    async with adapting_env(tmp_path, client) as env:
        wrote = await env.run("adapt-write")
        peeked = await env.run("adapt-unknown")
        write_detail = await env.audit.get_run("adapt-write")
        shown_write = await env.shown("adapt-write")
        shown_unknown = await env.shown("adapt-unknown")

    assert standin.pending == 0
    assert isinstance(wrote, FreeFormAnswer) and isinstance(peeked, FreeFormAnswer)
    assert write_detail is not None and write_detail.run.status == "completed"
    assert [s.step_id for s in write_detail.steps] == ["renewals"]
    assert "an adaptation may add reads only" in shown_write, shown_write
    assert "budget end: refused" in shown_write
    assert "'contracts.download_all' is not an operation of the catalog" in shown_unknown


async def test_a_replay_reads_every_round_back_and_calls_no_model(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), adapted("Fetch the contracts.", CONTRACTS), done("Read."))
    standin.script(answer_from_steps)

    async with adapting_env(tmp_path, client) as env:
        answer = await env.run("adapt-replay")
        steps = await DBOS.list_workflow_steps_async("adapt-replay")
        after_the_last = max(s["function_id"] for s in steps) + 1
        fork = await DBOS.fork_workflow_async("adapt-replay", after_the_last)
        replayed = await fork.get_result(polling_interval_sec=0.02)

    assert len(standin.bodies) == 4 and standin.pending == 0
    assert replayed == answer.model_dump(mode="json")


async def test_a_plan_that_asks_for_no_review_makes_no_adaptation_call(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(review_after=False), answer_from_steps)

    async with adapting_env(tmp_path, client) as env:
        await env.run("adapt-none")
        steps = await DBOS.list_workflow_steps_async("adapt-none")
        shown = await env.shown("adapt-none")

    assert len(standin.bodies) == 2
    assert [s["function_name"] for s in steps] == [
        "plan",
        "step:renewals",
        "synthesize",
        "deliver",
    ]
    assert " adapt  round" not in shown and "model      2 calls (planning 1, synthesis 1)" in shown


async def test_the_time_budget_ends_adapting_on_the_engines_clock(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    clocks: list[ManualClock] = []

    def slow_round(body: Mapping[str, Any]) -> StandinReply:
        clocks[0].advance(timedelta(seconds=90))  # the round and its stage took 90 s
        return adapted("Fetch the contracts.", CONTRACTS)

    standin.script(planned(), slow_round, answer_from_steps)

    async with adapting_env(tmp_path, client, Budget(rounds=3, seconds=60)) as env:
        clocks.append(env.clock)
        await env.run("adapt-time")
        shown = await env.shown("adapt-time")
        steps = await DBOS.list_workflow_steps_async("adapt-time")

    assert len(standin.bodies) == 3 and standin.pending == 0  # round 2 asked nobody
    assert "adapt:2" in [s["function_name"] for s in steps]
    assert "round 2: not asked (no model calls" in shown, shown
    assert "budget end: time (the budget's time was spent)" in shown
