"""Turning a step's arguments into values: references to earlier outputs and fan-out items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.errors import PlanError
from workflows.plan import Step, ref_step
from workflows.results import StepResult


class MissingInput(Exception):
    """A step needs the output of a step that failed or was skipped."""

    def __init__(self, step_id: str) -> None:
        super().__init__(step_id)
        self.step_id = step_id


def lookup(ref: str, results: Mapping[str, StepResult]) -> Any:
    """The value at ``step.path`` in an earlier step's output."""
    step_id, _, path = ref.partition(".")
    result = results.get(step_id)
    if result is None or not result.ok:
        raise MissingInput(step_id)
    return dig(result.output, path)


def dig(value: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def bind(value: Any, results: Mapping[str, StepResult], item: Any = None) -> Any:
    """``value`` with every ``{"$ref"}`` and ``{"$item"}`` replaced by what it points at."""
    if isinstance(value, Mapping):
        if set(value) == {"$ref"}:
            return lookup(str(value["$ref"]), results)
        if set(value) == {"$item"}:
            return dig(item, str(value["$item"]))
        return {k: bind(v, results, item) for k, v in value.items()}
    if isinstance(value, list):
        return [bind(v, results, item) for v in value]
    return value


def calls_for(step: Step, results: Mapping[str, StepResult]) -> list[dict[str, Any]]:
    """The argument sets to call the operation with: one, or one per fan-out item."""
    if step.for_each is None:
        return [bind(step.args, results)]
    items = lookup(step.for_each, results)
    if not isinstance(items, list):
        raise PlanError(f"step {step.id!r}: for_each {step.for_each!r} is not a list")
    return [bind(step.args, results, item) for item in items]


def should_run(step: Step, results: Mapping[str, StepResult]) -> bool:
    """False when the step's condition is falsy; raises MissingInput if it cannot be read."""
    return step.when is None or bool(lookup(step.when, results))


__all__ = ["MissingInput", "bind", "calls_for", "dig", "lookup", "ref_step", "should_run"]
