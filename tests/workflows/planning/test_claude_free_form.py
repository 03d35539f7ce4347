"""A free-form question planned by Claude (through the Messages API stand-in) under the
free-form workflow, run by the real engine over the demo world and answered with sources:
the planner knows the workflow only when it is given the workflow's guide."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anthropic

from connectors.identity import IdentityDirectory
from tests.workflows.free_form_env import DANA, PlannerFor, free_form_env
from tests.workflows.test_free_form_plans import QUESTION, overdue_and_p1_plan
from workflows.answers import Notice
from workflows.library.answer_guide import USE_FOR, answer_guide
from workflows.planning import Planner
from workflows.planning.claude import ClaudePlanner, ModelErrors
from workflows.planning.claude_prompt import WorkflowGuide, builtin_guides
from workflows.planning.messages_standin import MessagesStandIn, tool_use


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
