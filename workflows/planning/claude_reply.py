"""Reading the model's reply: the plan it submitted, checked against the catalog, or what was
wrong with it, in words the model can act on.

The reply is read as data through pydantic models of our own (the client library's types do
not cross into the core), so an odd reply is a repairable mistake, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from workflows.catalog import Catalog
from workflows.errors import PlanError
from workflows.plan import Plan, validate_plan
from workflows.planning.claude_prompt import PLAN_TOOL

MAX_ERRORS = 8


class Block(BaseModel):
    """One content block of a reply (text or tool use; others are kept by type only)."""

    model_config = ConfigDict(extra="ignore")

    type: str
    id: str = ""
    name: str = ""
    input: Any = None
    text: str = ""

    def echoed(self) -> dict[str, Any] | None:
        """The block as the next request repeats it in the assistant's turn."""
        if self.type == "tool_use":
            return {"type": "tool_use", "id": self.id, "name": self.name, "input": self.input}
        if self.type == "text" and self.text:
            return {"type": "text", "text": self.text}
        return None


class Reply(BaseModel):
    """A Messages API reply, as much of it as planning reads."""

    model_config = ConfigDict(extra="ignore")

    model: str = ""
    content: list[Block] = []
    stop_reason: str | None = None
    usage: dict[str, Any] = {}

    def assistant_turn(self) -> dict[str, Any]:
        blocks = [b for b in (block.echoed() for block in self.content) if b is not None]
        return {"role": "assistant", "content": blocks or [{"type": "text", "text": "(none)"}]}

    def tool_uses(self) -> list[Block]:
        return [b for b in self.content if b.type == "tool_use"]


@dataclass(frozen=True)
class Submission:
    """What one reply amounts to. ``errors`` is set for an ``invalid`` plan; ``reason`` for
    ``declined``; ``none`` means the plan tool was not called."""

    kind: Literal["plan", "invalid", "declined", "none"]
    plan: Plan | None = None
    reason: str = ""
    errors: str = ""
    # The model asked for the plan to be reviewed after its steps ran (adaptation).
    review_after: bool = False


def read_submission(reply: Reply, catalog: Catalog, workflows: Collection[str]) -> Submission:
    """The first call of the plan tool in ``reply``, judged."""
    call = next((b for b in reply.tool_uses() if b.name == PLAN_TOOL), None)
    if call is None:
        return Submission("none", errors=f"Answer by calling the {PLAN_TOOL} tool.")
    given = call.input if isinstance(call.input, dict) else {}
    raw_plan, reason = given.get("plan"), given.get("cannot_plan")
    if raw_plan is None and isinstance(reason, str) and reason.strip():
        return Submission("declined", reason=reason.strip())
    if raw_plan is None:
        return Submission("invalid", errors="Give either `plan` or `cannot_plan`.")
    try:
        plan = Plan.model_validate(raw_plan)
    except ValidationError as exc:
        return Submission("invalid", errors=schema_errors(exc))
    problem = plan_problem(plan, catalog, workflows)
    if problem:
        return Submission("invalid", errors=problem)
    return Submission("plan", plan=plan, review_after=given.get("review_after") is True)


def plan_problem(plan: Plan, catalog: Catalog, workflows: Collection[str]) -> str:
    """Why the plan cannot run, or the empty string."""
    if plan.workflow not in workflows:
        names = ", ".join(sorted(workflows))
        return f"workflow {plan.workflow!r} is not one of the workflows: {names}"
    try:
        validate_plan(plan, catalog)
    except PlanError as exc:
        return str(exc)
    return ""


def schema_errors(exc: ValidationError) -> str:
    """Pydantic's errors as short lines: where, and what is wrong."""
    lines = []
    for problem in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]:
        where = ".".join(str(part) for part in problem["loc"]) or "plan"
        lines.append(f"plan.{where}: {problem['msg']}")
    return "; ".join(lines)


def repair_turn(reply: Reply, submission: Submission) -> dict[str, Any]:
    """The user turn that sends a refused plan back: a tool result with ``is_error`` for each
    tool call (only the first plan is read), or plain words when no tool was called."""
    calls = reply.tool_uses()
    message = (
        f"The plan was not accepted: {submission.errors}. Fix these errors and call "
        f"{PLAN_TOOL} again."
    )
    if not calls:
        return {"role": "user", "content": [{"type": "text", "text": submission.errors}]}
    results = [
        {
            "type": "tool_result",
            "tool_use_id": call.id,
            "content": message if index == 0 else f"Only the first {PLAN_TOOL} call is read.",
            "is_error": True,
        }
        for index, call in enumerate(calls)
    ]
    return {"role": "user", "content": results}


def digest(value: Any) -> str:
    """A compact JSON rendering for logs."""
    return json.dumps(value, sort_keys=True, default=str)[:500]
