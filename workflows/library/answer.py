"""The free-form answer: any plan's results as a short, sourced answer, written by a template.

A question no built-in workflow serves ("which of my accounts have an overdue invoice and a P1
open?") is planned over list, search and data operations under the workflow ``answer``. The
composer makes the final step's records the answer's list, each with the evidence joined into
it and what the fan-outs over it read (:mod:`workflows.library.answer_trace`); the other
steps' results become context; every fact cites its step and its system's label; the steps
that failed are named as missing (:mod:`workflows.library.answer_sources`). Where two systems
that read the plan's customer disagree on a field, the context says which source won by
precedence and that the other disagrees (:func:`workflows.context.disagreements`). No model is
needed, so it answers offline too.

A free-form plan may also carry out an action the requester asked for that no built-in
workflow covers ("close ticket T-1001 on the help desk"): a plan with a write step is answered
by the report of what was done, approved, rejected or undone
(:func:`compose_free_form`), as the follow-up's is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from workflows.answers import (
    Finding,
    FreeFormAnswer,
    FreeFormStatus,
    MissingStep,
    RunAnswer,
    SourcedFact,
)
from workflows.context import disagreements, in_words
from workflows.library.actions import compose_action_report
from workflows.library.answer_findings import context_facts, findings
from workflows.library.answer_sources import missing_steps, root_failure, why
from workflows.library.answer_trace import additions, final_step
from workflows.library.briefing_truth import default_precedence
from workflows.library.compose import ComposeInput
from workflows.library.precedence import Precedence
from workflows.plan import Step

WORKFLOW: Final = "answer"
NAMED_IN_SUMMARY: Final = 5


def compose_free_form(data: ComposeInput, precedence: Precedence | None = None) -> RunAnswer:
    """The answer of a free-form plan: what its writes did when it has any, else the sourced
    answer to its question (:func:`compose_answer`, settling by ``precedence``)."""
    if data.write_steps:
        return compose_action_report(data)
    return compose_answer(data, precedence)


def compose_answer(data: ComposeInput, precedence: Precedence | None = None) -> FreeFormAnswer:
    """The answer to the plan's question from whatever its steps returned; ``precedence``
    (the packaged one by default) settles what two systems disagree on."""
    final = final_step(data.plan)
    missing = tuple(missing_steps(data))
    result = data.results.get(final.id)
    found = findings(data, final) if result is not None and result.ok else None
    shown = {final.id, *(s.id for s in additions(data.plan, final))}
    status: FreeFormStatus = "partial" if missing else "complete"
    return FreeFormAnswer(
        run_id=data.run_id,
        title=data.plan.subject or data.plan.summary or "Your question",
        generated_at=data.now,
        status="unavailable" if found is None else status,
        summary=_no_answer(data, final) if found is None else _summary(found, missing),
        findings=tuple(found or ()),
        total=len(found or ()),
        context=(*_disputed(data, precedence), *context_facts(data, skip=shown)),
        missing=missing,
    )


def _disputed(data: ComposeInput, precedence: Precedence | None) -> list[SourcedFact]:
    """ "Renewal date: Mar 14 (Contracts; CRM disagrees: Mar 1)" for each field in dispute."""
    settled = disagreements(
        data.plan, data.results, data.system_labels, precedence or default_precedence()
    )
    return [SourcedFact(text=in_words(f), step=f.winner.step, source=f.winner.source)
            for f in settled]  # fmt: skip


def _summary(found: Sequence[Finding], missing: Sequence[MissingStep]) -> str:
    """ "Found 2: Acme Corporation, Globex." and, when a step failed, that it may be partial."""
    if not found:
        line = "Nothing matched."
    else:
        named = ", ".join(f.title for f in found[:NAMED_IN_SUMMARY])
        more = len(found) - NAMED_IN_SUMMARY
        line = f"Found {len(found)}: {named}" + (f" and {more} more." if more > 0 else ".")
    if missing:
        down = ", ".join(dict.fromkeys(m.source for m in missing))
        line += f" {down} did not answer in full, so this may be incomplete."
    return line


def _no_answer(data: ComposeInput, final: Step) -> str:
    """Why the final step has no result: its own failure, or that of a step it needed."""
    root = root_failure(data, final.id)
    if root is None:
        return "Nothing to show: the step that answers this was not run."
    return (
        f"I could not answer this: {data.label(root.system)} {why(root)}, and the answer "
        f"needs it (step {root.step_id})."
    )


__all__ = ["WORKFLOW", "compose_answer", "compose_free_form"]
