"""Plans are data: steps over catalog operations, wired by references to earlier outputs.

An argument is a literal JSON value or a reference ``{"$ref": "step_id.path.in.output"}``.
A step with ``for_each`` (a reference to a list) runs once per item, and its arguments may use
``{"$item": "path.in.item"}`` (``{"$item": ""}`` is the item itself). A step with ``when`` (a
reference) runs only if that value is truthy. Dependencies are the steps referenced plus
``after``. :func:`validate_plan` checks a plan against the catalog before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from graphlib import CycleError, TopologicalSorter
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from workflows.catalog import Catalog
from workflows.errors import PlanError

STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Step(BaseModel):
    """One node of a plan: call ``operation`` with ``args``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    operation: str
    args: dict[str, Any] = Field(default_factory=dict)
    after: tuple[str, ...] = ()
    when: str | None = None
    for_each: str | None = None
    title: str = ""

    def references(self) -> set[str]:
        """Ids of the steps whose output this step reads."""
        refs = {ref_step(r) for r in _refs_in(self.args)}
        refs.update(ref_step(r) for r in (self.when, self.for_each) if r)
        return refs

    def depends_on(self) -> set[str]:
        return self.references() | set(self.after)


class Plan(BaseModel):
    """A DAG of steps for one objective. ``workflow`` names the library entry that reads it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workflow: str
    subject: str = ""
    summary: str = ""
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise PlanError(f"the plan has no step {step_id!r}")

    def systems(self, catalog: Catalog) -> list[str]:
        """The distinct systems the plan reads or writes, in plan order."""
        seen: dict[str, None] = {}
        for step in self.steps:
            seen.setdefault(catalog.get(step.operation).system, None)
        return list(seen)


def ref_step(ref: str) -> str:
    return ref.split(".", 1)[0]


def _refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        if set(value) == {"$ref"}:
            yield str(value["$ref"])
            return
        for item in value.values():
            yield from _refs_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _refs_in(item)


def _has_item_ref(value: Any) -> bool:
    if isinstance(value, Mapping):
        return set(value) == {"$item"} or any(_has_item_ref(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_item_ref(v) for v in value)
    return False


def waves(plan: Plan) -> list[list[str]]:
    """Step ids in topological waves; each wave sorted so replays call steps in the same order."""
    sorter = TopologicalSorter({s.id: s.depends_on() for s in plan.steps})
    try:
        sorter.prepare()
    except CycleError as exc:
        raise PlanError(f"the plan has a cycle: {' -> '.join(exc.args[1])}") from None
    result: list[list[str]] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        result.append(ready)
        sorter.done(*ready)
    return result


def validate_plan(plan: Plan, catalog: Catalog) -> None:
    """Raise :class:`PlanError` unless every step fits the catalog and the graph is acyclic."""
    if not plan.steps:
        raise PlanError("the plan has no steps")
    ids = [s.id for s in plan.steps]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise PlanError(f"step ids must be unique; repeated: {', '.join(duplicates)}")
    for step in plan.steps:
        _validate_step(step, set(ids), catalog)
    waves(plan)


def _validate_step(step: Step, ids: set[str], catalog: Catalog) -> None:
    if not STEP_ID.match(step.id):
        raise PlanError(f"step id {step.id!r} must be lower_snake_case, at most 40 characters")
    operation = catalog.get(step.operation)
    unknown = step.depends_on() - ids
    if unknown:
        raise PlanError(f"step {step.id!r} depends on unknown steps: {', '.join(sorted(unknown))}")
    if step.id in step.depends_on():
        raise PlanError(f"step {step.id!r} depends on itself")
    if _has_item_ref(step.args) and not step.for_each:
        raise PlanError(f"step {step.id!r} uses $item but has no for_each")
    fields = operation.input_model.model_fields
    extra = set(step.args) - set(fields)
    if extra:
        raise PlanError(
            f"step {step.id!r}: {step.operation} takes no argument(s) {', '.join(sorted(extra))}"
        )
    missing = {n for n, f in fields.items() if f.is_required()} - set(step.args)
    if missing:
        raise PlanError(
            f"step {step.id!r}: {step.operation} needs argument(s) {', '.join(sorted(missing))}"
        )
    _validate_literals(step, operation.input_model)


def _validate_literals(step: Step, model: type[BaseModel]) -> None:
    """Check literal arguments now; references are checked when their values exist."""
    for name, value in step.args.items():
        if any(True for _ in _refs_in(value)) or _has_item_ref(value):
            continue
        field = model.model_fields[name]
        annotation: Any = field.annotation
        if field.metadata:
            annotation = Annotated[annotation, *field.metadata]
        try:
            TypeAdapter[Any](annotation).validate_python(value)
        except ValidationError as exc:
            first = exc.errors()[0]["msg"]
            raise PlanError(f"step {step.id!r}: argument {name!r} is invalid: {first}") from None
