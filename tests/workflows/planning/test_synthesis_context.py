"""The answer writer reads one bounded context, not the raw step outputs: the real engine and
Claude planner against the Messages API stand-in, a question about Quantum Freight, whose CRM
keeps a renewal date 13 days before its contract's. The model is told which source wins and
that the other disagrees, and the answer it writes says so; a small budget cuts the context
and counts what it left out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anthropic

from tests.workflows.planning.test_synthesis import env_with_writer, planned, run_document
from workflows.answers import Briefing
from workflows.context import Budget
from workflows.library.briefing import briefing_plan
from workflows.planning.messages_standin import MessagesStandIn, StandinReply, tool_use

QUESTION = "when does Quantum Freight renew?"
QUANTUM_PLAN = briefing_plan("Quantum Freight", account_id="acct-0007")


def stating_the_settled_renewal(request: Mapping[str, Any]) -> StandinReply:
    """A writer that states the settled renewal date as rule 4 asks: the winner, its source,
    and who disagrees, citing the steps of both."""
    document = json.loads(request["messages"][0]["content"])
    [renewal] = [s for s in document["context"]["settled"] if s["field"] == "renewal_date"]
    steps = [renewal["winner"]["step"], *(d["step"] for d in renewal["dissent"])]
    statement = {"text": f"Renewal date: {renewal['note']}.", "form": "sentence", "steps": steps}
    return tool_use(
        "submit_answer", {"headline": "Quantum Freight renews", "statements": [statement]}
    )


async def test_the_model_is_told_which_source_won_and_says_the_other_disagrees(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(QUANTUM_PLAN), stating_the_settled_renewal)

    async with env_with_writer(tmp_path, client) as env:
        answer = await env.engine.run(env.request(QUESTION, "ctx-1"))

    body = standin.bodies[1]
    document = run_document(body)
    assert all("output" not in s for s in document["steps"])  # no raw outputs beside it
    context = document["context"]
    assert context["entity"]["name"] == "Quantum Freight Inc."
    [renewal] = [s for s in context["settled"] if s["field"] == "renewal_date"]
    assert renewal["winner"]["system"] == "contracts"
    assert [d["system"] for d in renewal["dissent"]] == ["crm"]
    assert renewal["note"].startswith("Contracts says ") and "; CRM disagrees: " in renewal["note"]
    assert "the other disagrees" in body["system"][0]["text"]
    assert isinstance(answer, Briefing) and answer.synthesis is not None
    [said] = answer.synthesis.statements
    assert "CRM disagrees" in said.text
    assert {c.source for c in said.cites} == {"Contracts", "CRM"}


async def test_a_small_budget_bounds_what_the_model_reads_and_says_what_was_left_out(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    standin.script(planned(QUANTUM_PLAN), stating_the_settled_renewal)

    async with env_with_writer(tmp_path, client, budget=Budget.tokens(250)) as env:
        await env.engine.run(env.request(QUESTION, "ctx-2"))

    context = run_document(standin.bodies[1])["context"]
    facts = [f for s in context["systems"] for f in s["facts"]]
    assert context["budget_chars"] == 1000 and context["used_chars"] <= 1000
    assert sum(len(json.dumps(f, separators=(",", ":"))) for f in facts) <= 1000
    assert context["dropped"]["facts"] > 0
    assert sum(s["dropped"] for s in context["systems"]) == context["dropped"]["facts"]
    assert context["settled"]  # the settled fields stay whatever the budget
