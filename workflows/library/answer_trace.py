"""How a free-form plan's steps make its answer: which step is the answer, which steps add to
each of its records, and which step and system each part of a record came from.

The answer is the plan's final step: the last one (in the order steps can run, then plan
order) that is not a fan-out. A fan-out over its list (``for_each: "answer.records"``) adds to
each record: its n-th call is about the n-th record.

That final step is often a data operation (a join, a filter) over lists systems returned, so
its records are those systems' records passed on. So that every fact cites the step that read
it, the origin of a list is traced back through the data operations: filter, sort and top
pass their records on, count_by counts its source's, and a join passes on its left records
with the right ones under its ``into`` field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from workflows.dataops import JoinInput
from workflows.plan import Plan, Step, ref_step, waves

PASS_ON: Final = frozenset({"data.filter", "data.sort", "data.top", "data.count_by"})
JOIN: Final = "data.join"
JOIN_INTO: Final = str(JoinInput.model_fields["into"].default)


@dataclass(frozen=True)
class Origin:
    """Where a list's records came from: the step that read them, and for each field a join
    added (``joined``), where that field's records came from."""

    step: str
    joined: Mapping[str, Origin] = field(default_factory=dict)


def final_step(plan: Plan) -> Step:
    """The step whose result is the answer (see the module docstring)."""
    rank = {step_id: n for n, wave in enumerate(waves(plan)) for step_id in wave}
    singles = [s for s in plan.steps if s.for_each is None] or list(plan.steps)
    place = {s.id: n for n, s in enumerate(plan.steps)}
    return max(singles, key=lambda s: (rank[s.id], place[s.id]))


def additions(plan: Plan, final: Step) -> list[Step]:
    """The fan-outs over the final step's list: each call adds to one of its records."""
    return [s for s in plan.steps if s.for_each is not None and ref_step(s.for_each) == final.id]


def origin(plan: Plan, step_id: str) -> Origin:
    """Where the records of ``step_id``'s output came from."""
    step = plan.step(step_id)
    if step.operation in PASS_ON:
        return _origin_of(plan, step.args.get("records"), step_id)
    if step.operation == JOIN:
        left = _origin_of(plan, step.args.get("left"), step_id)
        right = _origin_of(plan, step.args.get("right"), step_id)
        into = str(step.args.get("into", JOIN_INTO))
        return Origin(left.step, {**left.joined, into: right})
    return Origin(step_id)


def _origin_of(plan: Plan, argument: Any, own: str) -> Origin:
    """The origin of an argument: a reference's (following the path into joined fields), or
    the step's own when the records were written into the plan."""
    if not (isinstance(argument, dict) and set(argument) == {"$ref"}):
        return Origin(own)
    ref = str(argument["$ref"])
    found = origin(plan, ref_step(ref))
    for part in ref.split(".")[1:]:
        found = found.joined.get(part, found)
    return found


__all__ = ["JOIN", "PASS_ON", "Origin", "additions", "final_step", "origin"]
