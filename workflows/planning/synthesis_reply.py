"""Reading the writer's reply: the answer it submitted, every citation checked against the
run's steps, or what was wrong with it, in words the model can act on.

A statement may cite only a step of this run that ran and has an output; a citation is then
resolved to the step's system by its display name (and link, where the system has one). The
reply is read as data (:class:`~workflows.planning.claude_reply.Reply`), so an odd reply is a
repairable mistake, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from workflows.answers import Citation, Statement, StatementForm, Synthesis
from workflows.planning.claude_reply import Reply
from workflows.planning.synthesis_prompt import (
    ANSWER_TOOL,
    HEADLINE_CHARS,
    MAX_STATEMENTS,
    STATEMENT_CHARS,
)
from workflows.results import StepResult

FORMS = frozenset(get_args(StatementForm))
MAX_ERRORS = 8


@dataclass(frozen=True)
class Sources:
    """What a citation may point to: the run's steps, the systems' names and links."""

    results: Mapping[str, StepResult]
    labels: Mapping[str, str]
    links: Mapping[str, str]

    def problem(self, step_id: str) -> str:
        """Why ``step_id`` cannot be cited, or the empty string."""
        result = self.results.get(step_id)
        if result is None:
            return f"cites {step_id!r}, which is not a step of this run"
        if not result.ok:
            return f"cites {step_id!r}, which has no output (it {result.status})"
        return ""

    def citation(self, step_id: str) -> Citation:
        system = self.results[step_id].system
        label = self.labels.get(system, system)
        return Citation(step=step_id, system=system, source=label, url=self.links.get(system))


@dataclass(frozen=True)
class Drafted:
    """What one reply amounts to: an answer that fits (``synthesis``) or the errors that
    keep it out (``invalid``; ``none``: the answer tool was not called)."""

    kind: Literal["answer", "invalid", "none"]
    synthesis: Synthesis | None = None
    errors: str = ""


def read_answer(reply: Reply, model: str, sources: Sources) -> Drafted:
    """The first call of the answer tool in ``reply``, judged."""
    call = next((b for b in reply.tool_uses() if b.name == ANSWER_TOOL), None)
    if call is None:
        return Drafted("none", errors=f"Answer by calling the {ANSWER_TOOL} tool.")
    given = call.input if isinstance(call.input, dict) else {}
    headline = given.get("headline")
    raw = given.get("statements")
    errors = _headline_errors(headline)
    if not isinstance(raw, list) or not raw:
        errors.append("`statements` must be a non-empty list")
        raw = []
    elif len(raw) > MAX_STATEMENTS:
        errors.append(f"give at most {MAX_STATEMENTS} statements, not {len(raw)}")
    statements: list[Statement] = []
    for number, entry in enumerate(raw, start=1):
        statement, problems = _statement(entry, sources)
        errors += [f"statement {number} {p}" for p in problems]
        if statement is not None:
            statements.append(statement)
    if errors:
        return Drafted("invalid", errors="; ".join(errors[:MAX_ERRORS]))
    text = str(headline).strip()
    return Drafted("answer", Synthesis(model=model, headline=text, statements=tuple(statements)))


def _headline_errors(headline: Any) -> list[str]:
    if not isinstance(headline, str) or not headline.strip():
        return ["`headline` must be a non-empty string"]
    if len(headline) > HEADLINE_CHARS:
        return [f"`headline` is {len(headline)} characters, more than {HEADLINE_CHARS}"]
    return []


def _statement(entry: Any, sources: Sources) -> tuple[Statement | None, list[str]]:
    """One statement, or what is wrong with it."""
    if not isinstance(entry, dict):
        return None, ["is not an object with text, form and steps"]
    text, form, steps = entry.get("text"), entry.get("form"), entry.get("steps")
    problems: list[str] = []
    if not isinstance(text, str) or not text.strip():
        problems.append("has no text")
    elif len(text) > STATEMENT_CHARS:
        problems.append(f"is {len(text)} characters, more than {STATEMENT_CHARS}")
    if form not in FORMS:
        problems.append(f"has form {form!r}; use one of {', '.join(sorted(FORMS))}")
    if not isinstance(steps, list) or not steps:
        problems.append("cites no step")
        steps = []
    cited = list(dict.fromkeys(str(s) for s in steps))
    problems += [p for p in (sources.problem(s) for s in cited) if p]
    if problems:
        return None, problems
    cites = tuple(sources.citation(s) for s in cited)
    return Statement(text=str(text).strip(), form=form, cites=cites), []


def repair_turn(reply: Reply, drafted: Drafted, sources: Sources) -> dict[str, Any]:
    """The user turn that sends a refused answer back: a tool result with ``is_error`` for
    each tool call, or plain words when no tool was called."""
    citable = ", ".join(s for s, r in sources.results.items() if r.ok) or "none"
    message = (
        f"The answer was not accepted: {drafted.errors}. The steps you may cite: {citable}. "
        f"Fix these errors and call {ANSWER_TOOL} again."
    )
    calls = reply.tool_uses()
    if not calls:
        return {"role": "user", "content": [{"type": "text", "text": message}]}
    results = [
        {
            "type": "tool_result",
            "tool_use_id": call.id,
            "content": message if index == 0 else f"Only the first {ANSWER_TOOL} call is read.",
            "is_error": True,
        }
        for index, call in enumerate(calls)
    ]
    return {"role": "user", "content": results}
