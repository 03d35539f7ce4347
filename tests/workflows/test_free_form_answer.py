"""The free-form composer on its own (step results in, a sourced answer out), and the
free-form guide's example plan run by the real engine over the demo world."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.demo import DEMO_SYSTEM_LABELS
from tests.workflows.free_form_env import DANA, free_form_env
from workflows.answers import FreeFormAnswer
from workflows.dataops import SYSTEM_LABELS
from workflows.library.answer import WORKFLOW, compose_answer
from workflows.library.answer_guide import answer_example
from workflows.library.compose import ComposeInput
from workflows.plan import Plan, Step, validate_plan
from workflows.results import ItemResult, StepResult

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
LABELS = {**DEMO_SYSTEM_LABELS, **SYSTEM_LABELS}
ACME = {"account_id": "acct-0001", "name": "Acme Corporation", "domain": "acme.io"}
GLOBEX = {"account_id": "acct-0002", "name": "Globex", "domain": "globex.example"}


def ticket(n: int, priority: str, account: dict[str, str]) -> dict[str, Any]:
    return {
        "id": f"t{n}",
        "subject": f"Ticket {n}",
        "priority": priority,
        "status": "open",
        "opened_at": "2026-02-27T09:00:00Z",
        "requester_email": "someone@acme.io",
        "account": account,
        "age_days": 3,
    }


TICKETS = {"tickets": [ticket(1, "P1", ACME), ticket(2, "P2", ACME), ticket(3, "P1", GLOBEX)]}


def result(step: Step, output: Any = None, **fields: Any) -> StepResult:
    system = step.operation.split(".", 1)[0]
    return StepResult.model_validate(
        {
            "step_id": step.id,
            "operation": step.operation,
            "system": system,
            "status": "ok",
            "output": output,
            "started_at": NOW,
            **fields,
        }
    )


def compose(plan: Plan, outputs: dict[str, StepResult]) -> FreeFormAnswer:
    data = ComposeInput(run_id="r1", plan=plan, results=outputs, system_labels=LABELS, now=NOW)
    return compose_answer(data)


LIST = Step(id="tickets", operation="support.list_tickets", args={"status": "open"})


def test_the_answer_is_the_step_that_runs_last_whatever_the_plan_s_order_or_ids() -> None:
    # The count is written first and named like a list; it still runs after the list.
    count = Step(
        id="a_list",
        operation="data.count_by",
        args={"records": {"$ref": "tickets.tickets"}, "field": "priority"},
    )
    plan = Plan(workflow=WORKFLOW, subject="Open tickets by priority", steps=(count, LIST))
    groups = {"records": [{"value": "P1", "count": 2}, {"value": "P2", "count": 1}], "count": 2}
    answer = compose(plan, {"a_list": result(count, groups), "tickets": result(LIST, TICKETS)})

    assert answer.summary == "Found 2: P1, P2."
    p1 = answer.findings[0].facts[0]
    # A count cites the step whose records it counted.
    assert (p1.text, p1.step) == ("2 records with priority P1", "tickets")
    assert p1.source == "Support desk"
    assert [f.text for f in answer.context] == ["3 tickets (status open)"]


def test_some_calls_of_a_fan_out_failing_name_it_as_missing() -> None:
    read = Step(
        id="their_contracts",
        operation="contracts.get_contract",
        for_each="tickets.tickets",
        args={"account": {"$item": "account"}},
    )
    contract = {
        "contract": {
            "id": "CTR-1",
            "tier": "Growth",
            "start_date": "2025-04-01",
            "renewal_date": "2026-04-01",
            "annual_value": 50000,
            "auto_renew": True,
        }
    }
    items = (
        ItemResult(index=0, status="ok", output=contract),
        ItemResult(index=1, status="failed", error="timed out after 5s", failure="timeout"),
        ItemResult(index=2, status="ok", output={"contract": None}),
    )
    plan = Plan(workflow=WORKFLOW, subject="Open tickets", steps=(LIST, read))
    outputs = {
        "tickets": result(LIST, TICKETS),
        "their_contracts": result(read, [contract, {"contract": None}], items=items),
    }
    answer = compose(plan, outputs)

    assert answer.status == "partial"
    assert answer.summary.endswith("Contracts did not answer in full, so this may be incomplete.")
    [missing] = answer.missing
    assert (missing.step, missing.source) == ("their_contracts", "Contracts")
    assert missing.reason == "failed 1 of 3 calls (timed out after 5s)"
    first, second, third = answer.findings
    assert [f.step for f in first.facts] == ["tickets", "their_contracts"]
    assert first.facts[1].text.startswith("Growth tier, $50,000/year; auto-renews Apr 1")
    assert [f.step for f in second.facts] == ["tickets"]  # its call failed: nothing added
    assert third.facts[1].text == "No contract on file."
    assert first.facts[0].text.endswith("· Acme Corporation")


def test_a_final_step_without_a_list_is_one_finding_in_the_briefing_s_words() -> None:
    resolve = Step(id="find", operation="directory.resolve_account", args={"query": "Acme"})
    read = Step(
        id="usage_now", operation="usage.get_trend", args={"account": {"$ref": "find.account"}}
    )
    plan = Plan(workflow=WORKFLOW, subject="Acme's usage", steps=(resolve, read))
    trend = {"tenant": "acme-io", "avg_daily_users_30d": 70, "avg_daily_users_90d": 100}
    resolution = {"query": "Acme", "status": "found", "account": ACME}
    outputs = {
        "find": result(resolve, resolution),
        "usage_now": result(read, {"usage": {**trend, "change_pct": -30.0}}),
    }
    answer = compose(plan, outputs)

    [finding] = answer.findings
    assert finding.title == "Acme's usage"
    [fact] = finding.facts
    assert (fact.step, fact.source) == ("usage_now", "Product usage")
    assert fact.text.startswith("Daily active users: 70 (30-day average) vs 100 (90-day), down 30%")


def test_records_of_no_known_shape_are_shown_by_their_fields() -> None:
    literal = Step(
        id="picked",
        operation="data.top",
        args={"records": [{"region": "EU", "seats": 12, "account": ACME}], "n": 1},
    )
    plan = Plan(workflow=WORKFLOW, subject="Seats", steps=(literal,))
    output = {"records": literal.args["records"], "count": 1}
    answer = compose(plan, {"picked": result(literal, output)})

    [finding] = answer.findings
    assert finding.title == "Result 1"
    [fact] = finding.facts
    assert (fact.text, fact.step, fact.source) == (
        "region: EU, seats: 12, account: Acme Corporation",
        "picked",
        "Data",
    )


async def test_the_guide_s_example_runs_and_answers_with_each_account_s_usage(
    tmp_path: Path,
) -> None:
    example = answer_example()
    renewing = example.step("renewing")
    args = {**renewing.args, "owner_email": DANA}
    plan = example.model_copy(
        update={
            "steps": tuple(
                s.model_copy(update={"args": args}) if s.id == "renewing" else s
                for s in example.steps
            )
        }
    )
    async with free_form_env(tmp_path) as env:
        validate_plan(example, env.engine.catalog)
        asked = await env.ask(plan, DANA)

    answer = asked.free_form
    mine = [a["account"]["name"] for a in asked.steps["renewing"].output["accounts"]]
    assert mine and [f.title for f in answer.findings] == mine
    assert answer.status == "complete"
    acme = next(f for f in answer.findings if f.title == "Acme Corporation")
    sources = {(f.step, f.source) for f in acme.facts}
    assert ("renewing", "CRM") in sources
    assert ("usage", "Product usage") in sources
    assert ("unsolved", "Support desk") in sources  # Acme has unsolved tickets
    assert {f.step for f in answer.context} == {"renewing", "unsolved"}
