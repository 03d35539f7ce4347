"""Benchmark 9: what an objective costs in model calls, tokens and time, planned against a
step-by-step tool-calling agent over the same catalog and the same Messages API stand-in.

Crosswire: the whole product (``bot.wiring.running`` with ``ANTHROPIC_BASE_URL`` at the
stand-in), so one model call plans (none when the plan cache knows the kind of objective), the
engine runs the steps, and one call writes the answer. The agent: every catalog operation is a
tool; the model asks for one tool call a turn, is sent its result, and asks for the next,
until it writes the answer in a last turn (one call per tool call, plus one), every request
with the whole conversation so far. Both sides get the same scripted model (it makes the same
plan, step by step for the agent) and both mark their stable prefix for the cache, so the
difference is the shape of the loop. Every model reply takes :data:`LATENCY_MS` (a fast
real call; the scripted model itself answers at once), so wall time weighs calls as a real
model would. Tokens are the stand-in's estimates (about four characters a token, reported as
the API reports usage), cost at the default model's price. Objectives: the built-in
briefing (a first customer, then a second: the plan cache) and three free-form questions
over list and data operations. The follow-up workflow is left out: it writes, and its run
waits for a person's approval. The digest is planned offline (no workflow guide for it).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from pydantic import SecretStr

from benchmarks.common import DANA_EMAIL, bench_settings
from bot.wiring import Services, running
from workflows.answers import Briefing, FreeFormAnswer, RunAnswer
from workflows.catalog import AnyOperation, CallContext
from workflows.engine.arguments import MissingInput, calls_for, should_run
from workflows.library.answer import WORKFLOW as ANSWER
from workflows.library.briefing import briefing_plan
from workflows.models import Principal, RunRequest
from workflows.plan import Plan, Step, validate_plan
from workflows.planning.messages_standin import (
    MessagesStandIn,
    StandinReply,
    answer_from_steps,
    text,
    tool_use,
)
from workflows.planning.pricing import cost_usd
from workflows.planning.usage import ModelCall
from workflows.results import StepResult
from workflows.testing import CollectingReporter

MODEL: Final = "claude-sonnet-4-5"
# Each model reply waits this long, a fast real call (the scripted model itself is instant).
LATENCY_MS: Final = 500
AGENT_RULES: Final = (
    "You are a sales assistant with tools over the company's systems (CRM, email, support, "
    "contracts, billing, usage, calendar and data operations). Call one tool at a time; when "
    "you have what the objective needs, answer in plain text, citing the systems."
)


def _ref(path: str) -> dict[str, str]:
    return {"$ref": path}


def free_form_plans(requester: str, today: Any) -> dict[str, Plan]:
    """Three questions no built-in workflow serves, as a model would plan them."""
    key = "account.account_id"
    return {
        "which of my accounts have an overdue invoice and a P1 open?": Plan(
            workflow=ANSWER,
            subject="Accounts with an overdue invoice and an open P1",
            steps=(
                Step(id="mine", operation="crm.list_accounts", args={"owner_email": requester}),
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
                        "left": _ref("mine.accounts"),
                        "right": _ref("overdue.invoices"),
                        "key": key,
                        "into": "overdue_invoices",
                    },
                ),
                Step(
                    id="answer",
                    operation="data.join",
                    args={
                        "left": _ref("mine_overdue.records"),
                        "right": _ref("p1s.tickets"),
                        "key": key,
                        "into": "p1_tickets",
                    },
                ),
            ),
        ),
        "which of my accounts renew in the next 90 days, and what do their contracts say?": Plan(
            workflow=ANSWER,
            subject="My accounts renewing in the next 90 days",
            steps=(
                Step(
                    id="renewing",
                    operation="crm.list_accounts",
                    args={"owner_email": requester, "renews_within_days": 90},
                ),
                Step(
                    id="contracts",
                    operation="contracts.get_contract",
                    for_each="renewing.accounts",
                    args={"account": {"$item": "account"}},
                ),
            ),
        ),
        "which of my deals close in the next 30 days, and which of those accounts have a "
        "P1 open?": Plan(
            workflow=ANSWER,
            subject="My deals closing in 30 days, with open P1 tickets",
            steps=(
                Step(
                    id="deals",
                    operation="crm.deals_closing",
                    args={
                        "from_date": today.isoformat(),
                        "to_date": (today + timedelta(days=30)).isoformat(),
                        "owner_email": requester,
                    },
                ),
                Step(
                    id="p1s",
                    operation="support.list_tickets",
                    args={"priority": "P1", "status": "open", "limit": 200},
                ),
                Step(
                    id="answer",
                    operation="data.join",
                    args={
                        "left": _ref("deals.deals"),
                        "right": _ref("p1s.tickets"),
                        "key": key,
                        "into": "p1_tickets",
                        "how": "left",
                    },
                ),
            ),
        ),
    }


@dataclass
class Objectives:
    """Each objective's plan, as the scripted model makes it."""

    plans: dict[str, Plan]

    @classmethod
    def of(cls, services: Services) -> Objectives:
        def briefing(name: str) -> Plan:
            found = services.directory.resolve_account(name).account
            assert found is not None, f"the demo world has no {name}"
            return briefing_plan(name, account_id=found.account_id)

        plans = {
            "brief me on Acme": briefing("Acme"),
            "brief me on Lumen & Oak": briefing("Lumen & Oak"),
            **free_form_plans(DANA_EMAIL, services.clock.now().date()),
        }
        for plan in plans.values():
            validate_plan(plan, services.catalog)
        return cls(plans)


class ScriptedModel:
    """One model for both sides: it plans (``submit_plan``), writes answers
    (``submit_answer``), and, as the agent, asks for the plan's steps one tool call a turn."""

    def __init__(self, objectives: Objectives, latency_s: float) -> None:
        self.objectives = objectives
        self.latency_s = latency_s

    def __call__(self, request: Mapping[str, Any]) -> StandinReply:
        reply = self._reply(request)
        return StandinReply(reply.status, reply.body, reply.headers, self.latency_s)

    def _reply(self, request: Mapping[str, Any]) -> StandinReply:
        tools = {t["name"] for t in request.get("tools", [])}
        if "submit_plan" in tools:
            objective = json.loads(request["messages"][0]["content"])["objective"]
            plan = self.objectives.plans[objective]
            return tool_use("submit_plan", {"plan": plan.model_dump(mode="json")})
        if "submit_answer" in tools:
            return answer_from_steps(request)
        return self._agent_turn(request)

    def _agent_turn(self, request: Mapping[str, Any]) -> StandinReply:
        objective = request["messages"][0]["content"]
        plan = self.objectives.plans[objective]
        done = _tool_results(request["messages"])
        results = {
            sid: _result(sid, outputs, fan_out=plan.step(sid).for_each is not None)
            for sid, outputs in done.items()
        }
        for step in plan.steps:
            pending = _pending(step, results, len(done.get(step.id, [])))
            if pending is not None:
                index, args = pending
                return _call(tool_name(step.operation), args, step, index)
        return text(f"Answer for {plan.subject or objective}: {len(done)} steps read.")


def _pending(
    step: Step, results: Mapping[str, StepResult], made: int
) -> tuple[int, dict[str, Any]] | None:
    """The step's next call not yet made, or None when it has none left (or cannot run)."""
    if step.for_each is None and made:
        return None
    try:
        if not should_run(step, results):
            return None
        calls = calls_for(step, results)
    except MissingInput:
        return None
    return (made, calls[made]) if made < len(calls) else None


def _call(tool: str, args: dict[str, Any], step: Step, index: int) -> StandinReply:
    reply = tool_use(tool, args)
    block = dict(reply.body["content"][-1])
    block["id"] = f"toolu_{step.id}__{index}"
    return StandinReply(reply.status, {**reply.body, "content": [block]})


def tool_name(operation: str) -> str:
    return operation.replace(".", "__")


def _tool_results(messages: list[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Each step's outputs so far, from the tool results in the conversation (ids name them)."""
    calls: dict[str, str] = {}
    done: dict[str, list[Any]] = {}
    for turn in messages:
        content = turn.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if block.get("type") == "tool_use":
                calls[block["id"]] = block["id"].removeprefix("toolu_").split("__")[0]
            elif block.get("type") == "tool_result":
                step_id = calls[block["tool_use_id"]]
                done.setdefault(step_id, []).append(json.loads(block["content"]))
    return done


def _result(step_id: str, outputs: list[Any], *, fan_out: bool) -> StepResult:
    """What the engine's argument binding reads: a fan-out's outputs as a list."""
    return StepResult(
        step_id=step_id,
        operation="",
        system="",
        status="ok",
        output=outputs if fan_out else outputs[0],
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@dataclass
class Cost:
    calls: int
    tokens: dict[str, int]
    wall_ms: float

    def row(self) -> dict[str, Any]:
        usage = ModelCall(model=MODEL, outcome="plan", **self.tokens)
        return {
            "model_calls": self.calls,
            "tokens": self.tokens,
            "tokens_total": sum(self.tokens.values()),
            "cost_usd": str(cost_usd(MODEL, usage)),
            "wall_ms": round(self.wall_ms, 1),
        }


TOKEN_FIELDS: Final = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def _spent(standin: MessagesStandIn, since: int, wall_s: float, calls: int) -> Cost:
    usages = standin.usages[since:]
    tokens = {name: sum(int(u.get(name) or 0) for u in usages) for name in TOKEN_FIELDS}
    return Cost(calls=calls, tokens=tokens, wall_ms=wall_s * 1000)


async def _crosswire(services: Services, standin: MessagesStandIn, objective: str) -> Cost:
    employee = services.directory.find_employee(DANA_EMAIL)
    assert employee is not None
    principal = Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))
    request = RunRequest.direct(objective, principal, received_at=services.clock.now())
    before, used = len(standin.bodies), len(standin.usages)
    t0 = time.perf_counter()
    answer = await services.engine.run(request)
    wall = time.perf_counter() - t0
    _check(objective, answer)
    return _spent(standin, used, wall, len(standin.bodies) - before)


def _check(objective: str, answer: RunAnswer) -> None:
    if not isinstance(answer, Briefing | FreeFormAnswer) or answer.synthesis is None:
        raise RuntimeError(f"{objective!r} was not answered by the model: {answer!r}")


async def _agent(services: Services, client: Any, standin: MessagesStandIn, objective: str) -> Cost:
    """The step-by-step agent: one model call per tool call, then one for the answer."""
    catalog = services.catalog
    tools = [_tool(op) for op in catalog]
    tools[-1] = {**tools[-1], "cache_control": {"type": "ephemeral"}}
    by_tool = {tool_name(op.name): op for op in catalog}
    messages: list[dict[str, Any]] = [{"role": "user", "content": objective}]
    before, used = len(standin.bodies), len(standin.usages)
    t0 = time.perf_counter()
    for _ in range(200):
        message = await client.messages.create(
            model=MODEL,
            max_tokens=2048,
            system=[{"type": "text", "text": AGENT_RULES, "cache_control": {"type": "ephemeral"}}],
            tools=tools,
            messages=messages,
        )
        reply = message.model_dump(mode="json")
        uses = [b for b in reply["content"] if b["type"] == "tool_use"]
        if not uses:
            break
        messages.append({"role": "assistant", "content": uses})
        results = [await _run_tool(by_tool[u["name"]], u) for u in uses]
        messages.append({"role": "user", "content": results})
    wall = time.perf_counter() - t0
    return _spent(standin, used, wall, len(standin.bodies) - before)


def _tool(op: AnyOperation) -> dict[str, Any]:
    return {
        "name": tool_name(op.name),
        "description": op.description,
        "input_schema": op.input_model.model_json_schema(),
    }


async def _run_tool(op: AnyOperation, use: Mapping[str, Any]) -> dict[str, Any]:
    ctx = CallContext(run_id="agent", step_id=str(use["id"]), requester_email=DANA_EMAIL)
    output = await op.handler(op.input_model.model_validate(use["input"]), ctx)
    return {
        "type": "tool_result",
        "tool_use_id": use["id"],
        "content": json.dumps(output.model_dump(mode="json")),
    }


async def run(state: Path, *, latency_ms: int = LATENCY_MS) -> dict[str, Any]:
    import anthropic

    results: dict[str, Any] = {}
    with MessagesStandIn() as standin:
        settings = bench_settings(state).model_copy(
            update={
                "anthropic_api_key": SecretStr(standin.api_key),
                "anthropic_base_url": standin.url,
                "model": MODEL,
            }
        )
        async with running(settings, {"cli": CollectingReporter()}) as services:
            objectives = Objectives.of(services)
            standin.script(ScriptedModel(objectives, latency_ms / 1000), times=10_000)
            async with anthropic.AsyncAnthropic(
                api_key=standin.api_key, base_url=standin.url, max_retries=0
            ) as client:
                for objective in objectives.plans:
                    ours = await _crosswire(services, standin, objective)
                    theirs = await _agent(services, client, standin, objective)
                    results[objective] = {"crosswire": ours.row(), "agent": theirs.row()}
                    print(f"  {objective}", file=sys.stderr, flush=True)
    return {"objectives": results, "model": MODEL, "model_latency_ms": latency_ms}


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The table's lines: per objective, Crosswire against the step-by-step agent."""
    title = f"planner vs step-by-step agent, {results['model_latency_ms']} ms a model call"
    out = [(title, "calls", "tokens (cost)", "wall")]
    for objective, sides in results["objectives"].items():
        ours, theirs = sides["crosswire"], sides["agent"]
        label = objective if len(objective) <= 48 else objective[:47] + "…"
        out.append(
            (
                f"  {label}",
                f"{ours['model_calls']} vs {theirs['model_calls']} calls",
                f"{ours['tokens_total']:,} vs {theirs['tokens_total']:,} tokens "
                f"(${float(ours['cost_usd']):.4f} vs ${float(theirs['cost_usd']):.4f})",
                f"{ours['wall_ms']:.0f} vs {theirs['wall_ms']:.0f} ms",
            )
        )
    return out
