"""Where a free-form answer's facts came from, and which of its steps did not answer.

Every fact cites the plan step it was read from and that step's system by its label
(:meth:`ComposeInput.label`); a step that failed, or some of whose calls failed, is named as
missing with the reason in the reader's words.
"""

from __future__ import annotations

from collections.abc import Iterator

from workflows.answers import MissingStep, SourcedFact
from workflows.library.compose import ComposeInput
from workflows.library.formatting import plural
from workflows.results import StepResult


def source_of(data: ComposeInput, step_id: str) -> str:
    """The label of the system ``step_id`` ran on."""
    result = data.results.get(step_id)
    system = result.system if result is not None else data.plan.step(step_id).operation
    return data.label(system.split(".", 1)[0])


def cite(data: ComposeInput, step_id: str, text: str, record: str | None = None) -> SourcedFact:
    """A fact read by ``step_id``, citing it and its system."""
    return SourcedFact(text=text, step=step_id, source=source_of(data, step_id), record=record)


def missing_steps(data: ComposeInput) -> Iterator[MissingStep]:
    """Every step that failed, or some of whose calls failed, in plan order. A step skipped
    because a step it needed failed is not named again: the one that failed is."""
    for step in data.plan.steps:
        result = data.results.get(step.id)
        reason = _shortfall(result) if result is not None else None
        if reason is not None:
            yield MissingStep(
                step=step.id,
                title=step.title or step.operation,
                source=source_of(data, step.id),
                reason=reason,
            )


def _shortfall(result: StepResult) -> str | None:
    if result.status == "failed":
        return why(result)
    failed = result.failed_items
    if not result.ok or not failed:
        return None
    detail = f" ({failed[0].error})" if failed[0].error else ""
    return f"failed {len(failed)} of {plural(len(result.items), 'call')}{detail}"


def why(result: StepResult) -> str:
    """Why a step has no result, to follow its system's label: "could not be reached (…)"."""
    detail = f" ({result.error})" if result.error else ""
    match result.failure:
        case "late" | "timeout":
            return f"did not answer in time{detail}"
        case "circuit_open":
            return f"is unavailable{detail}, so it was not asked"
        case "permanent":
            return f"refused the request{detail}"
        case "denied":
            return f"is not shown{detail}"
        case _:
            return f"could not be reached{detail}"


def root_failure(data: ComposeInput, step_id: str) -> StepResult | None:
    """The failed step that left ``step_id`` without a result: itself, or the first failed
    step among those it needed (transitively); None when nothing failed."""
    result = data.results.get(step_id)
    if result is not None and result.status == "failed":
        return result
    for ref in sorted(data.plan.step(step_id).references()):
        found = root_failure(data, ref)
        if found is not None:
            return found
    return None


__all__ = ["cite", "missing_steps", "root_failure", "source_of", "why"]
