"""A free-form question planned by Claude (through the Messages API stand-in) under the
free-form workflow, run by the real engine over the demo world and answered with sources:
the planner knows the workflow only when it is given the workflow's guide; given a writer,
the model writes the answer, citing the steps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import anthropic

from bot.render.blocks import answer_rendering
from connectors.identity import IdentityDirectory
from tests.workflows.free_form_env import DANA, PlannerFor, free_form_env
from tests.workflows.test_free_form_plans import QUESTION, overdue_and_p1_plan
from workflows.answers import Notice
from workflows.library.answer_guide import USE_FOR, answer_guide
from workflows.planning import Planner
from workflows.planning.claude import ClaudePlanner, ModelErrors
from workflows.planning.claude_prompt import WorkflowGuide, builtin_guides
from workflows.planning.messages_standin import MessagesStandIn, answer_from_steps, tool_use
from workflows.planning.synthesis import ClaudeSynthesizer


def claude(client: anthropic.AsyncAnthropic, guides: Sequence[WorkflowGuide]) -> PlannerFor:
    def planner(directory: IdentityDirectory) -> Planner:
        errors = ModelErrors(api=(anthropic.APIError,), timeout=(anthropic.APITimeoutError,))
        return ClaudePlanner(
            client, model="claude-test", errors=errors, finder=directory, guides=guides
        )

    return planner


async def test_a_model_planned_free_form_question_is_answered_with_its_sources(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    plan = overdue_and_p1_plan(DANA)
    standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}))
    guides = (*builtin_guides(), answer_guide())
    async with free_form_env(tmp_path, planner=claude(client, guides)) as env:
        asked = await env.objective(QUESTION)

    [request] = standin.bodies
    reference = request["system"][1]["text"]
    assert f"- answer: {USE_FOR}\n  Example: " in reference
    answer = asked.free_form
    assert (answer.status, answer.summary) == ("complete", "Found 1: Acme Corporation.")
    facts = {f.record: (f.step, f.source) for f in answer.findings[0].facts}
    assert facts["INV-000101"] == ("overdue", "Billing")
    assert facts["org-1042-t1"] == ("p1s", "Support desk")


async def test_without_the_guide_the_free_form_workflow_is_refused(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    plan = overdue_and_p1_plan(DANA)
    standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}), times=3)
    async with free_form_env(tmp_path, planner=claude(client, builtin_guides())) as env:
        asked = await env.objective(QUESTION)

    refusal = str(standin.bodies[1]["messages"][-1]["content"])
    assert "workflow 'answer' is not one of the workflows: briefing, follow_up" in refusal
    assert isinstance(asked.answer, Notice)


async def test_a_free_form_answer_written_by_the_model_cites_billing_and_support(
    tmp_path: Path, standin: MessagesStandIn, client: anthropic.AsyncAnthropic
) -> None:
    plan = overdue_and_p1_plan(DANA)
    standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}))
    standin.script(answer_from_steps)
    guides = (*builtin_guides(), answer_guide())

    def writing(directory: IdentityDirectory) -> Planner:
        errors = ModelErrors(api=(anthropic.APIError,), timeout=(anthropic.APITimeoutError,))
        writer = ClaudeSynthesizer(client, model="claude-test", errors=errors)
        return ClaudePlanner(
            client,
            model="claude-test",
            errors=errors,
            finder=directory,
            guides=guides,
            writer=writer,
        )

    async with free_form_env(tmp_path, planner=writing) as env:
        asked = await env.objective(QUESTION)

    assert len(standin.bodies) == 2
    answer = asked.free_form
    assert answer.written_by == "model" and answer.synthesis is not None
    assert answer.findings  # the template's findings stay, as the evidence
    cited = {(c.step, c.source) for s in answer.synthesis.statements for c in s.cites}
    assert {("overdue", "Billing"), ("p1s", "Support desk")} <= cited
    blocks = json.dumps([b.to_dict() for b in answer_rendering(answer).blocks])
    assert "_(Billing)_" in blocks and "_(Support desk)_" in blocks
