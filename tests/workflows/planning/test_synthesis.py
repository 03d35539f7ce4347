"""Synthesis through the real engine (DBOS, SQLite audit) over the demo world, with the model
answering from the Messages API stand-in: a briefing costs a plan and an answer, the next
customer's only the answer, every request marks its stable prefix for the cache, the written
answer cites the run's steps by their systems' names, a citation of a step that is not there
is sent back or falls back to the template, an overloaded API leaves the template's answer
with a note, and a replay makes no second call."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
from dbos import DBOS

from bot.cli.audit import audit_show
from bot.render.blocks import answer_rendering
from bot.render.text import answer_text
from bot.settings import Settings
from bot.wiring import build_catalog
from connectors.demo import DemoBehaviour, open_demo_world
from connectors.identity import build_directory
from tests.workflows.conftest import DEMO_NOW
from workflows.answers import Briefing
from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.context import Budget
from workflows.engine import Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library.briefing import briefing_plan
from workflows.models import Principal, RunRequest
from workflows.planning.claude import ClaudePlanner, ModelErrors
from workflows.planning.messages_standin import (
    MessagesStandIn,
    StandinReply,
    answer_from_steps,
    overloaded,
    tool_use,
)
from workflows.planning.synthesis import ClaudeSynthesizer
from workflows.testing import CollectingReporter

DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes", roles=("ae",))
MODEL = "claude-sonnet-4-5"
ACME_PLAN = briefing_plan("Acme", account_id="acct-0001")
BILLING_URL = "https://billing.northwind.example"


@dataclass
class Env:
    engine: Engine
    audit: AuditStore
    clock: ManualClock
    audit_url: str

    def request(self, text: str, run_id: str) -> RunRequest:
        return RunRequest.direct(text, DANA, received_at=self.clock.now(), run_id=run_id)

    async def shown(self, run_id: str) -> str:
        printed = io.StringIO()
        settings = Settings(database_url=self.audit_url, scheduler=False)
        with contextlib.redirect_stdout(printed):  # not capsys: DBOS keeps the stream it found
            assert await audit_show(settings, run_id, as_json=False) == 0
        return printed.getvalue()


@asynccontextmanager
async def env_with_writer(
    state: Path,
    client: anthropic.AsyncAnthropic,
    *,
    timeout_s: float = 5.0,
    budget: Budget | None = None,
) -> AsyncIterator[Env]:
    clock = ManualClock(DEMO_NOW)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    directory = await build_directory(world)
    catalog = build_catalog(world, directory, DemoBehaviour.parse("", ""))
    errors = ModelErrors(api=(anthropic.APIError,), timeout=(anthropic.APITimeoutError,))
    writer = ClaudeSynthesizer(
        client,
        model=MODEL,
        errors=errors,
        links={"billing": BILLING_URL},
        timeout_s=timeout_s,
        budget=budget,
    )
    planner = ClaudePlanner(client, model=MODEL, errors=errors, finder=directory, writer=writer)
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
    launch(DurableSettings(system_database_url=system_url, executor_id="synthesis-test"))
    try:
        yield Env(engine, audit, clock, audit_url)
    finally:
        shutdown()
        await audit.close()
        await world.close()


def planned(plan: Any = ACME_PLAN) -> StandinReply:
    return tool_use("submit_plan", {"plan": plan.model_dump(mode="json")})


def citing(*step_ids: str) -> StandinReply:
    statement = {"text": "Acme renews soon.", "form": "warning", "steps": list(step_ids)}
    return tool_use("submit_answer", {"headline": "Acme at a glance", "statements": [statement]})


def run_document(body: Mapping[str, Any]) -> dict[str, Any]:
    document = json.loads(body["messages"][0]["content"])
    assert isinstance(document, dict)
    return document


def marks_its_prefix(body: Mapping[str, Any]) -> bool:
    """The last system block carries the cache marker, and nothing in the messages does."""
    system = body["system"]
    turns = json.dumps(body["messages"])
    return system[-1].get("cache_control") == {"type": "ephemeral"} and "cache_control" not in turns


async def test_a_briefing_costs_two_calls_and_the_next_customer_one(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), answer_from_steps, answer_from_steps)

    async with env_with_writer(tmp_path, client) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-1"))
        after_acme = len(standin.bodies)
        pinecrest = await env.engine.run(env.request("brief me on Pinecrest", "syn-2"))
        again = await env.engine.submit(env.request("brief me on Acme", "syn-1"))
        replayed = await env.engine.result(env.request("brief me on Acme", "syn-1"), again)
        shown = await env.shown("syn-1")
        shown_second = await env.shown("syn-2")

    assert after_acme == 2 and len(standin.bodies) == 3 and standin.pending == 0
    assert [b["tools"][0]["name"] for b in standin.bodies] == [
        "submit_plan",
        "submit_answer",
        "submit_answer",
    ]
    assert all(marks_its_prefix(b) for b in standin.bodies)
    # The answer writer's prefix is the same for both runs: written once, then read.
    assert standin.bodies[1]["system"] == standin.bodies[2]["system"]
    assert isinstance(acme, Briefing) and acme.synthesis is not None
    assert isinstance(pinecrest, Briefing) and pinecrest.synthesis is not None
    assert replayed == acme
    cited = {c.source for s in acme.synthesis.statements for c in s.cites}
    assert {"CRM", "Billing", "Support desk"} <= cited
    assert "model      2 calls (planning 1, synthesis 1)" in shown, shown
    assert "answer written by model: 1 model call (" in shown
    assert "cost $" in shown and "unknown" not in shown
    assert "model      1 call (planning 0, synthesis 1)" in shown_second, shown_second


async def test_the_model_sees_only_this_runs_steps_as_untrusted_data(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), answer_from_steps)

    async with env_with_writer(tmp_path, client) as env:
        await env.engine.run(env.request("brief me on Acme", "syn-data"))

    document = run_document(standin.bodies[1])
    assert [s["id"] for s in document["steps"]] == [s.id for s in ACME_PLAN.steps]
    # What the steps read reaches the model as one context, each fact citing its step.
    assert "context.systems[].facts[].fields" in document["untrusted"]
    facts = [f for s in document["context"]["systems"] for f in s["facts"]]
    assert facts and {f["step"] for f in facts} <= {s.id for s in ACME_PLAN.steps}
    assert "untrusted content" in standin.bodies[1]["system"][0]["text"]
    assert document["objective"] == "brief me on Acme"


async def test_the_written_briefing_shows_its_sources_in_slack_and_the_terminal(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), answer_from_steps)

    async with env_with_writer(tmp_path, client) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-render"))

    assert isinstance(acme, Briefing)
    blocks = json.dumps([b.to_dict() for b in answer_rendering(acme).blocks])
    assert "Briefing: Acme Corporation" in blocks
    assert "What the systems say about Acme" in blocks
    assert "_(CRM)_" in blocks and "_(Support desk)_" in blocks
    assert f"<{BILLING_URL}|Billing>" in blocks
    assert "Written by Claude from" in blocks
    text = answer_text(acme)
    assert "[Billing]" in text and "written by claude-sonnet-4-5" in text


async def test_a_citation_of_a_step_that_is_not_there_is_sent_back(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), citing("crm", "renewals"), citing("crm", "contracts"))

    async with env_with_writer(tmp_path, client) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-repair"))
        shown = await env.shown("syn-repair")

    assert len(standin.bodies) == 3
    repair = standin.bodies[2]["messages"][-1]["content"][0]
    assert repair["type"] == "tool_result" and repair["is_error"] is True
    assert "'renewals', which is not a step of this run" in repair["content"]
    assert isinstance(acme, Briefing) and acme.synthesis is not None
    assert [c.step for c in acme.synthesis.statements[0].cites] == ["crm", "contracts"]
    assert "model      3 calls (planning 1, synthesis 2)" in shown, shown
    assert "1 repairs" in shown


async def test_an_answer_that_stays_wrong_leaves_the_template_with_a_note(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), citing("nowhere"), citing("nowhere"))

    async with env_with_writer(tmp_path, client) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-invalid"))
        detail = await env.audit.get_run("syn-invalid")

    assert len(standin.bodies) == 3 and standin.pending == 0
    assert isinstance(acme, Briefing) and acme.synthesis is None and acme.sections
    assert acme.note == (
        "Written from templates: Claude's answers did not cite the run's steps after 2 tries."
    )
    assert detail is not None and detail.run.status == "completed"
    blocks = json.dumps([b.to_dict() for b in answer_rendering(acme).blocks])
    assert "Written from templates" in blocks and "Watch out for" in blocks


async def test_an_overloaded_api_leaves_the_template_with_a_note(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned())
    standin.script(overloaded(), times=3)  # the SDK's two retries, then the writer gives up

    async with env_with_writer(tmp_path, client) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-529"))
        detail = await env.audit.get_run("syn-529")
        shown = await env.shown("syn-529")

    assert len(standin.bodies) == 4 and standin.pending == 0
    assert isinstance(acme, Briefing) and acme.synthesis is None
    assert acme.note == "Written from templates: Claude is overloaded right now."
    assert detail is not None and detail.run.status == "completed"
    assert "answer written by template: no model calls" in shown, shown
    assert "Claude is overloaded right now" in answer_text(acme)


async def test_a_replay_reads_the_written_answer_back_and_calls_no_model(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(), answer_from_steps)

    async with env_with_writer(tmp_path, client) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-replay"))
        steps = await DBOS.list_workflow_steps_async("syn-replay")
        # Re-executed from all its checkpoints: a fork past its last step.
        after_the_last = max(s["function_id"] for s in steps) + 1
        fork = await DBOS.fork_workflow_async("syn-replay", after_the_last)
        replayed = await fork.get_result(polling_interval_sec=0.02)

    assert "synthesize" in [s["function_name"] for s in steps]
    assert len(standin.bodies) == 2 and standin.pending == 0
    assert isinstance(acme, Briefing) and acme.synthesis is not None
    assert replayed == acme.model_dump(mode="json")


async def test_a_writer_that_does_not_answer_in_time_leaves_the_template_with_a_note(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    slow = answer_from_steps
    standin.script(planned())
    standin.script(lambda body: dataclasses.replace(slow(body), delay_s=0.6), times=3)

    async with env_with_writer(tmp_path, client, timeout_s=0.2) as env:
        acme = await env.engine.run(env.request("brief me on Acme", "syn-slow"))

    assert isinstance(acme, Briefing) and acme.synthesis is None
    assert acme.note == "Written from templates: Claude did not answer in time."
